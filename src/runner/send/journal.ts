/**
 * The send journal: append-only NDJSON, one file per campaign (and shard). Every request is
 * preceded by an `intent` entry that is on disk before the request leaves, and followed by an
 * `outcome` entry. Replaying it tells a resumed run what is known to be sent, what failed, and
 * what is unknown (an intent without an outcome: the process died with the request in flight).
 *
 * This module writes journals and says what a valid entry is; `journal-replay.ts` reads them
 * back, `journal-lock.ts` keeps one run per journal.
 */
import { closeSync, constants as fsConstants, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { InputError } from "../../errors.js";
import type { Form } from "../../compiler/plan.js";

/** 2 added the target (origin and business id) to the header. */
export const JOURNAL_VERSION = 2;

export interface HeaderEntry {
  type: "header";
  version: number;
  campaign: string;
  /** sha256 over the compiled plan items, in order (the whole campaign, not one shard). */
  planHash: string;
  startedAt: string;
  /** "I/N", or null when not sharded. */
  shard: string | null;
  /** True on the header a resumed run appends. */
  resumed: boolean;
  /** The API this journal's requests went to (scheme, host and port; never a key or a path). */
  origin: string;
  businessId: string;
}

export interface IntentEntry {
  type: "intent";
  key: string;
  form: Form;
  attempt: number;
  /**
   * The request carried no msgc token (track: false, or a callbackData with no room for it):
   * webhooks cannot name this attempt, so their silence about it proves nothing.
   */
  untracked?: true;
}

/**
 * What one attempt came to. `sent`: 2xx. `retry`: will be (or may be, on resume) tried again.
 * `failed`: final for this recipient. `fallback`: a session send refused for the 24-hour window,
 * answered by the template form next.
 */
export type AttemptResult = "sent" | "retry" | "failed" | "fallback";

export interface OutcomeEntry {
  type: "outcome";
  key: string;
  form: Form;
  attempt: number;
  result: AttemptResult;
  /** HTTP status, or null when there was no answer (timeout, connection error). */
  status: number | null;
  messageId: string | null;
  errorCode: string | null;
  /**
   * The server may have accepted this attempt although it did not say so (5xx, timeout, a
   * connection that broke after the request was written): a later success may be a duplicate.
   */
  ambiguous: boolean;
}

/**
 * The recipient was on the suppression list (opted out) when this run reached it: never
 * requested. It settles the recipient for every later run of the journal, like a success, even
 * if the number is unsuppressed meanwhile (docs/tracking.md, Opt-outs).
 */
export interface SuppressedEntry {
  type: "suppressed";
  key: string;
  /** Why the number is suppressed (keyword, error, manual, import). */
  reason: string;
}

export type JournalEntry = HeaderEntry | IntentEntry | OutcomeEntry | SuppressedEntry;

const FORMS: ReadonlySet<unknown> = new Set(["session", "template"]);
const RESULTS: ReadonlySet<unknown> = new Set(["sent", "retry", "failed", "fallback"]);
const HEADER_FIELDS = ["type", "version", "campaign", "planHash", "startedAt", "shard", "resumed", "origin", "businessId"];
const INTENT_FIELDS = ["type", "key", "form", "attempt"];
const UNTRACKED_INTENT_FIELDS = [...INTENT_FIELDS, "untracked"];
const OUTCOME_FIELDS = ["type", "key", "form", "attempt", "result", "status", "messageId", "errorCode", "ambiguous"];
const SUPPRESSED_FIELDS = ["type", "key", "reason"];

function hasExactly(value: Record<string, unknown>, fields: readonly string[]): boolean {
  const keys = Object.keys(value);
  return keys.length === fields.length && fields.every((f) => Object.hasOwn(value, f));
}

const isString = (v: unknown): v is string => typeof v === "string";
const isStringOrNull = (v: unknown): boolean => v === null || typeof v === "string";
/** At most 2^32 - 1: replay keeps attempt numbers in 32 bits, and no run makes more. */
const isAttempt = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 0xffffffff;

/**
 * The entry a journal line holds, or a reason why it is not one. Every field is checked: a
 * damaged entry trusted as it reads could mark a recipient sent (never sent) or unsent (twice).
 */
export function parseJournalEntry(line: string): JournalEntry | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an entry";
  const entry = value as Record<string, unknown>;
  switch (entry.type) {
    case "header":
      if (!Number.isSafeInteger(entry.version)) return "a header without a version";
      if (entry.version !== JOURNAL_VERSION) return `version ${String(entry.version)}; this msgc reads version ${JOURNAL_VERSION}`;
      if (
        !hasExactly(entry, HEADER_FIELDS) ||
        !isString(entry.campaign) ||
        !isString(entry.planHash) ||
        !isString(entry.startedAt) ||
        !isStringOrNull(entry.shard) ||
        typeof entry.resumed !== "boolean" ||
        !isString(entry.origin) ||
        !isString(entry.businessId)
      ) {
        return "a malformed header";
      }
      return entry as unknown as HeaderEntry;
    case "intent":
      if (
        !(hasExactly(entry, INTENT_FIELDS) || (hasExactly(entry, UNTRACKED_INTENT_FIELDS) && entry.untracked === true)) ||
        !isString(entry.key) || entry.key === "" || !FORMS.has(entry.form) || !isAttempt(entry.attempt)) {
        return "a malformed intent";
      }
      return entry as unknown as IntentEntry;
    case "outcome":
      if (
        !hasExactly(entry, OUTCOME_FIELDS) ||
        !isString(entry.key) ||
        entry.key === "" ||
        !FORMS.has(entry.form) ||
        !isAttempt(entry.attempt) ||
        !RESULTS.has(entry.result) ||
        !(entry.status === null || (Number.isSafeInteger(entry.status) && (entry.status as number) >= 100 && (entry.status as number) <= 599)) ||
        !isStringOrNull(entry.messageId) ||
        !isStringOrNull(entry.errorCode) ||
        typeof entry.ambiguous !== "boolean"
      ) {
        return "a malformed outcome";
      }
      return entry as unknown as OutcomeEntry;
    case "suppressed":
      if (!hasExactly(entry, SUPPRESSED_FIELDS) || !isString(entry.key) || entry.key === "" || !isString(entry.reason)) return "a malformed suppressed entry";
      return entry as unknown as SuppressedEntry;
    default:
      return "an entry of no known type";
  }
}

/**
 * Appends entries through one file descriptor. `writeDurable` resolves once its entry is on
 * disk: entries queued while a commit runs are written and synced together by the next one
 * (group commit), so a run with 64 requests in flight pays one fsync for many intents. Two
 * commits may overlap: writes stay in order (one chain), and an fdatasync covers everything
 * written before it was called, so the second commit need not wait for the first one's sync.
 * Plain `write`s (outcomes) ride along with the next commit, or a lazy one shortly after.
 */
export class JournalWriter {
  private pending: string[] = [];
  private pendingWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private commits = 0;
  private scheduled = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private idle: Array<() => void> = [];
  private failure: InputError | undefined;
  /** Entries queued so far; an entry's number is its place in that count. */
  private queued = 0;
  /** Entries wholly written (the first `landed` of them). */
  private landed = 0;

  private static readonly MAX_COMMITS = 2;
  private static readonly LAZY_MS = 20;

  /** @param end where the file ends: after the last whole batch written. */
  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    private end: number,
  ) {}

  static async open(path: string): Promise<JournalWriter> {
    mkdirSync(dirname(path), { recursive: true });
    dropTornTail(path);
    const handle = await open(path, "a");
    try {
      return new JournalWriter(handle, path, (await handle.stat()).size);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Whether the entry numbered `entry` (what `write` returned) was wholly written. */
  isWritten(entry: number): boolean {
    return entry < this.landed;
  }

  /** The error that stopped this journal: nothing more can be written to it. */
  get failed(): InputError | undefined {
    return this.failure;
  }

  /**
   * Queues an entry; it reaches the disk with the next commit, at most a moment later. After a
   * failure it is dropped: the caller learns of the failure from `failed` or the next durable
   * write, and a resume reads the entry's recipient as it stands on disk.
   */
  write(entry: JournalEntry): number {
    if (this.failure !== undefined) return Infinity;
    this.pending.push(`${JSON.stringify(entry)}\n`);
    if (!this.scheduled) this.startLazyTimer();
    return this.queued++;
  }

  private startLazyTimer(): void {
    if (this.lazyTimer !== undefined) return;
    this.lazyTimer = setTimeout(() => {
      this.lazyTimer = undefined;
      this.schedule();
    }, JournalWriter.LAZY_MS);
  }

  /** Queues an entry and resolves once it is on disk. */
  writeDurable(entry: JournalEntry): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.pending.push(`${JSON.stringify(entry)}\n`);
    this.queued++;
    return this.flush();
  }

  /** Resolves once everything queued so far is on disk. */
  flush(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.pendingWaiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Starts a commit on the next microtask (so that entries of the same tick join it). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.commit();
    });
  }

  private commit(): void {
    if (this.pending.length === 0 && this.pendingWaiters.length === 0) return;
    // Too many in flight: the next one to finish starts this one.
    if (this.commits >= JournalWriter.MAX_COMMITS) return;
    if (this.lazyTimer !== undefined) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
    }
    const lines = this.pending;
    const waiters = this.pendingWaiters;
    this.pending = [];
    this.pendingWaiters = [];
    this.commits++;
    const upTo = this.queued;
    const written = (this.writes = this.writes.then(() => (lines.length > 0 ? this.writeBatch(lines.join(""), upTo) : undefined)));
    written
      .then(() => (lines.length > 0 ? this.handle.datasync() : undefined))
      .then(
        () => {
          for (const w of waiters) w.resolve();
        },
        (e: unknown) => {
          this.failure ??= new InputError(`cannot write the journal ${this.path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
          for (const w of [...waiters, ...this.pendingWaiters]) w.reject(this.failure);
          this.pendingWaiters = [];
        },
      )
      .finally(() => {
        this.commits--;
        if (this.failure === undefined) {
          if (this.pendingWaiters.length > 0) this.schedule();
          else if (this.pending.length > 0) this.startLazyTimer();
        }
        if (this.commits === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
  }

  /**
   * Writes one batch whole, or takes it back: after a failure the file is cut back to where the
   * batch began (cutting needs no room on a full disk), so that none of its entries is on disk.
   * Its waiters all fail and their requests never leave; none of its lines can then be read by a
   * resume as anything the run's summary did not count.
   */
  private async writeBatch(text: string, upTo: number): Promise<void> {
    const bytes = Buffer.from(text, "utf8");
    try {
      await writeAll(this.handle, bytes);
    } catch (e) {
      await this.handle
        .truncate(this.end)
        .then(() => this.handle.datasync())
        .catch(() => undefined);
      throw e;
    }
    this.end += bytes.length;
    this.landed = upTo;
  }

  async close(): Promise<void> {
    try {
      if (this.failure === undefined) await this.flush();
      if (this.commits > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    } finally {
      if (this.lazyTimer !== undefined) clearTimeout(this.lazyTimer);
      await this.handle.close();
    }
  }
}

/**
 * Writes every byte or fails: a write cut short (a disk that fills up mid-batch) is not complete,
 * and its waiters' requests must not leave. The rest is written until the file system says why it
 * cannot take more.
 */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    if (bytesWritten <= 0) throw Object.assign(new Error("no byte was written"), { code: "ENOSPC" });
    offset += bytesWritten;
  }
}

/**
 * Opens a journal that must be a regular file (a FIFO would hang the run, a device would feed it
 * forever); undefined when there is none. Opened non-blocking so that a FIFO cannot block the
 * open itself before it is seen for what it is.
 */
export function openJournalFile(path: string, mode: "r" | "r+"): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, (mode === "r" ? fsConstants.O_RDONLY : fsConstants.O_RDWR) | fsConstants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InputError(`cannot open the journal ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new InputError(`the journal ${path} is not a regular file`);
  }
  return fd;
}

/**
 * Cuts a torn last line (a write cut short by a crash) off the journal, durably, so that the next
 * entry starts on a line of its own: appended to the torn one, it would make a line in the middle
 * that does not parse, and the journal could never be resumed again. Reads back from the end
 * only as far as the last newline.
 */
function dropTornTail(path: string): void {
  const fd = openJournalFile(path, "r+");
  if (fd === undefined) return;
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const read = readSync(fd, chunk, 0, end - start, start);
      const newline = chunk.subarray(0, read).lastIndexOf(0x0a);
      if (newline !== -1) {
        end = start + newline + 1;
        break;
      }
      end = start;
    }
    if (end === size) return;
    ftruncateSync(fd, end);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
