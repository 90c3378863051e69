/**
 * The send journal: append-only NDJSON, one file per campaign (and shard). Every request is
 * preceded by an `intent` entry that is on disk before the request leaves, and followed by an
 * `outcome` entry. Replaying it tells a resumed run what is known to be sent, what failed, and
 * what is unknown (an intent without an outcome: the process died with the request in flight).
 */
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { InputError } from "../../errors.js";
import type { Form } from "../../compiler/plan.js";

export const JOURNAL_VERSION = 1;

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
}

export interface IntentEntry {
  type: "intent";
  key: string;
  form: Form;
  attempt: number;
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

export type JournalEntry = HeaderEntry | IntentEntry | OutcomeEntry;

/** What replaying a journal says about one key. */
export interface KeyHistory {
  /** Attempts made so far (the highest attempt number seen). */
  attempts: number;
  sent: boolean;
  messageId: string | null;
  form: Form | null;
  /** The latest outcome's result, or null when the latest intent has no outcome. */
  last: AttemptResult | null;
  lastErrorCode: string | null;
  lastStatus: number | null;
  /** An intent without an outcome: the request may or may not have reached the server. */
  unknown: boolean;
  /**
   * Attempts that may have been accepted without the journal knowing: ambiguous outcomes (see
   * OutcomeEntry) and intents that never got an outcome.
   */
  ambiguousAttempts: number;
  fallback: boolean;
}

export interface JournalReplay {
  header: HeaderEntry;
  keys: Map<string, KeyHistory>;
}

function newHistory(): KeyHistory {
  return {
    attempts: 0,
    sent: false,
    messageId: null,
    form: null,
    last: null,
    lastErrorCode: null,
    lastStatus: null,
    unknown: false,
    ambiguousAttempts: 0,
    fallback: false,
  };
}

/**
 * Reads a journal back; undefined when it holds no complete entry. A torn last line (the process
 * died mid-write) is ignored; anything else that does not parse is an error, since guessing
 * could resend. A torn intent counts as never written, so its request as never sent: intents
 * are on disk before their request leaves, so a request only goes out after its intent's
 * newline. A torn outcome leaves its intent without an outcome: unknown, as it should be.
 */
export function replayJournal(path: string): JournalReplay | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(`cannot read the journal ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const lines = text.split("\n");
  let header: HeaderEntry | undefined;
  const keys = new Map<string, KeyHistory>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      // Only the last line can be torn: a text that ends in a newline has "" as its last part.
      if (i === lines.length - 1) continue;
      throw new InputError(`the journal ${path} is damaged at line ${i + 1}; it cannot be resumed safely`);
    }
    if (entry.type === "header") {
      if (entry.version !== JOURNAL_VERSION) {
        throw new InputError(`the journal ${path} has version ${String(entry.version)}; this msgc writes version ${JOURNAL_VERSION}`);
      }
      header ??= entry;
      continue;
    }
    let history = keys.get(entry.key);
    if (!history) {
      history = newHistory();
      keys.set(entry.key, history);
    }
    if (entry.type === "intent") {
      // The previous intent never got an outcome: that request may have been accepted.
      if (history.unknown) history.ambiguousAttempts++;
      history.attempts = Math.max(history.attempts, entry.attempt);
      history.form = entry.form;
      history.unknown = true;
      history.last = null;
    } else if (entry.type === "outcome") {
      history.unknown = false;
      history.last = entry.result;
      history.lastErrorCode = entry.errorCode;
      history.lastStatus = entry.status;
      if (entry.ambiguous) history.ambiguousAttempts++;
      history.fallback ||= entry.result === "fallback";
      if (entry.result === "sent") {
        history.sent = true;
        history.messageId = entry.messageId;
        history.form = entry.form;
      }
    }
  }
  if (!header) {
    // Killed before its header was complete: nothing was sent through this journal.
    if (keys.size === 0) return undefined;
    throw new InputError(`the journal ${path} has no header line; it cannot be resumed safely`);
  }
  return { header, keys };
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
  private failure: unknown;

  private static readonly MAX_COMMITS = 2;
  private static readonly LAZY_MS = 20;

  private constructor(private readonly handle: FileHandle, readonly path: string) {}

  static async open(path: string): Promise<JournalWriter> {
    mkdirSync(dirname(path), { recursive: true });
    dropTornTail(path);
    const handle = await open(path, "a");
    return new JournalWriter(handle, path);
  }

  /** Queues an entry; it reaches the disk with the next commit, at most a moment later. */
  write(entry: JournalEntry): void {
    if (this.failure !== undefined) throw this.failure;
    this.pending.push(`${JSON.stringify(entry)}\n`);
    if (!this.scheduled) this.startLazyTimer();
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
    const written = (this.writes = this.writes.then(() => (lines.length > 0 ? this.handle.write(lines.join("")) : undefined)));
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
 * Cuts a torn last line (a write cut short by a crash) off the journal, durably, so that the next
 * entry starts on a line of its own: appended to the torn one, it would make a line in the middle
 * that does not parse, and the journal could never be resumed again. Reads back from the end
 * only as far as the last newline.
 */
function dropTornTail(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new InputError(`cannot open the journal ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
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

/**
 * A lock file next to the journal (`<journal>.lock`, created with O_EXCL, holding the pid):
 * a second `msgc send` on the same journal is refused while the first runs. A lock whose pid is
 * no longer alive (the first run was killed) is stale and taken over.
 */
export function acquireLock(journalPath: string): () => void {
  const lockPath = `${journalPath}.lock`;
  mkdirSync(dirname(lockPath), { recursive: true });
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(lockPath, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new InputError(`cannot create the lock ${lockPath}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
      }
    }
    const holder = lockHolder(lockPath);
    if (holder === undefined && lockIsFresh(lockPath)) {
      // Created a moment ago by a process that has not written its pid yet.
      throw new InputError(`another msgc send is starting on the journal ${journalPath}; try again in a moment`);
    }
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      throw new InputError(
        `another msgc send (pid ${holder}) is using the journal ${journalPath}; wait for it to finish, or remove ${lockPath} if that process is gone`,
      );
    }
    if (holder === process.pid) {
      throw new InputError(`the journal ${journalPath} is already in use by this process`);
    }
    try {
      unlinkSync(lockPath);
    } catch {
      // Someone else removed the stale lock first; try again.
    }
  }
  throw new InputError(`cannot take the lock ${lockPath}: another process keeps taking it`);
}

function lockHolder(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function lockIsFresh(lockPath: string): boolean {
  try {
    return Date.now() - statSync(lockPath).mtimeMs < 5000;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
