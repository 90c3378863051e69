/**
 * Reading journals back. A journal of millions of recipients is streamed a chunk at a time (never
 * read whole: a string has a size limit, and a Map of an object per key costs hundreds of bytes
 * a recipient) into compact per-recipient state: typed arrays indexed by a dense recipient id,
 * about 30 bytes a recipient. What is rarely needed (a message id, an error code) is not kept:
 * each recipient keeps where its last outcome line starts, and those are read again on demand.
 *
 * Several journals of one campaign (other shard layouts) replay into one state, in the order they
 * were started: the keys are the same whatever the layout, so what one layout sent another skips.
 */
import { isUtf8 } from "node:buffer";
import { closeSync, fstatSync, readSync } from "node:fs";
import { InputError } from "../../errors.js";
import type { Form } from "../../compiler/plan.js";
import { e164Value, RecipientSet } from "../recipients.js";
import { openJournalFile, parseJournalEntry } from "./journal.js";
import type { AttemptResult, HeaderEntry, OutcomeEntry } from "./journal.js";

/** What replaying the journals says about one key. */
export interface KeyHistory {
  /** Attempts made so far (the highest attempt number seen). */
  attempts: number;
  sent: boolean;
  /** The form of the latest intent (or of the success). */
  form: Form | null;
  /** The latest outcome's result, or null when the latest intent has no outcome. */
  last: AttemptResult | null;
  lastStatus: number | null;
  /** The latest outcome's error code was `invalid-request` (the client refused to send it). */
  lastInvalidRequest: boolean;
  /** An intent without an outcome: the request may or may not have reached the server. */
  unknown: boolean;
  /**
   * Attempts that may have been accepted without the journal knowing: ambiguous outcomes (see
   * OutcomeEntry) and intents that never got an outcome before another intent.
   */
  ambiguousAttempts: number;
  fallback: boolean;
  /** A run found the number suppressed and did not request it (a `suppressed` entry). */
  suppressed: boolean;
  /** Some attempt carried no msgc token (an `untracked` intent): events cannot show it was not accepted. */
  untracked: boolean;
}

/** One journal file as replayed. */
export interface ReplayedFile {
  path: string;
  /** Every header, in order: the first run's, then one per resumed run. */
  headers: HeaderEntry[];
  /** When the file was last written (epoch ms): no attempt in it is later. */
  writtenAt: number;
}

/** The largest line a journal holds: entries are small, and what is stored of an answer is capped. */
export const MAX_JOURNAL_LINE = 64 * 1024;
const CHUNK = 1024 * 1024;

const RESULT_CODES: readonly (AttemptResult | null)[] = [null, "sent", "retry", "failed", "fallback"];
const SENT = 1;
const UNKNOWN = 2;
const FALLBACK = 4;
const FORM_KNOWN = 8;
const FORM_TEMPLATE = 16;
const INVALID_REQUEST = 32;
const SUPPRESSED = 64;
const UNTRACKED = 128;
/** Where an outcome line is: file number times 2^40 plus its byte offset (exact below 2^53). */
const FILE_STRIDE = 2 ** 40;

/**
 * Keys to dense ids. A campaign's keys are `<campaign>/<E.164 number>`: the number goes to a
 * RecipientSet (the planner's duplicate table, about 10.5 bytes a number) with its id + 1 as its
 * "row"; any other key to a Map.
 */
const MAX_TABLE_ID = 2 ** 28 - 1;

class KeyIds {
  private prefix: string | undefined;
  private readonly numbers = new RecipientSet();
  private readonly others = new Map<string, number>();
  size = 0;

  /** The key's id, or -1 (after adding it as the next id when `add`). */
  id(key: string, add: boolean): number {
    const number = this.numberOf(key);
    const row = number === undefined ? undefined : this.numbers.rowOf(number);
    if (row !== undefined) return row - 1;
    const id = this.others.get(key);
    if (id !== undefined || !add) return id ?? -1;
    // The table keeps rows below 2^28 - 1: ids past that (268 million keys) go to the Map.
    if (number !== undefined && this.size + 1 < MAX_TABLE_ID) this.numbers.firstRowOf(number, this.size + 1);
    else this.others.set(key, this.size);
    return this.size++;
  }

  /** The E.164 number of a key with the journal's prefix (the first key's), or undefined. */
  private numberOf(key: string): string | undefined {
    const cut = key.lastIndexOf("/") + 1;
    this.prefix ??= key.slice(0, cut);
    if (cut !== this.prefix.length || !key.startsWith(this.prefix)) return undefined;
    const number = cut === 0 ? key : key.slice(cut);
    return e164Value(number) === undefined ? undefined : number;
  }
}

function grow<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(array: T, needed: number): T {
  let length = array.length;
  while (length < needed) length *= 2;
  const bigger = new (array.constructor as new (n: number) => T)(length);
  bigger.set(array);
  return bigger;
}

export function tooLong(path: string, line: number): InputError {
  return damaged(path, line, `a line over ${MAX_JOURNAL_LINE / 1024} KiB`);
}

export function damaged(path: string, line: number, why: string): InputError {
  return new InputError(`the journal ${path} is damaged at line ${line} (${why}); it cannot be resumed safely`);
}

/** Everything the journals of a campaign say, one compact record per recipient. */
export class JournalState {
  readonly files: ReplayedFile[] = [];
  private readonly ids = new KeyIds();
  private attempts = new Uint32Array(1024);
  private ambiguous = new Uint16Array(1024);
  private flags = new Uint8Array(1024);
  private last = new Uint8Array(1024);
  private status = new Uint16Array(1024);
  private outcomeAt = new Float64Array(1024);
  /** Open journals, for reading outcomes again; `close` closes them. */
  private readonly fds: Array<number | undefined> = [];
  private readonly lineBuffer = Buffer.allocUnsafe(MAX_JOURNAL_LINE + 1);
  /**
   * Keys an unknown or ambiguous attempt may have reached, for resolving them against webhook
   * events: intents still waiting for their outcome (in flight: a few at a time), and keys with an
   * ambiguous attempt. Few next to the recipients, so kept as strings.
   */
  private readonly awaiting = new Map<number, string>();
  private readonly ambiguousKeys = new Map<number, string>();

  get size(): number {
    return this.ids.size;
  }

  /** Reads one journal into the state; false when it holds no complete entry. */
  replay(path: string): boolean {
    const fd = openJournalFile(path, "r");
    if (fd === undefined) return false;
    const file: ReplayedFile = { path, headers: [], writtenAt: fstatSync(fd).mtimeMs };
    const fileNumber = this.files.length;
    let entries = 0;
    try {
      const buffer = Buffer.allocUnsafe(CHUNK + MAX_JOURNAL_LINE);
      let filled = 0;
      let position = 0;
      let lineStart = 0;
      let lineNumber = 0;
      for (;;) {
        const read = readSync(fd, buffer, filled, buffer.length - filled, position + filled);
        if (read === 0) break;
        filled += read;
        let start = 0;
        for (let newline = buffer.indexOf(0x0a, start); newline !== -1 && newline < filled; newline = buffer.indexOf(0x0a, start)) {
          lineNumber++;
          if (newline - start > MAX_JOURNAL_LINE) throw tooLong(path, lineNumber);
          if (newline > start) {
            // msgc writes only UTF-8 (JSON.stringify escapes lone surrogates): other bytes are
            // damage, which decoding would hide behind U+FFFD (a key that no longer matches).
            if (!isUtf8(buffer.subarray(start, newline))) throw damaged(path, lineNumber, "not UTF-8");
            this.apply(file, fileNumber, buffer.toString("utf8", start, newline), lineNumber, position + start);
            entries++;
          }
          start = newline + 1;
        }
        lineStart = position + start;
        if (filled - start > MAX_JOURNAL_LINE) throw tooLong(path, lineNumber + 1);
        buffer.copy(buffer, 0, start, filled);
        filled -= start;
        position = lineStart;
      }
      // What follows the last newline is a line whose write was cut short: its intent never
      // counted (its request only leaves once the newline is on disk), its outcome left the
      // intent unknown, as it should be.
    } finally {
      closeSync(fd);
    }
    if (file.headers.length === 0) {
      // Killed before its header was complete: nothing was sent through this journal.
      if (entries === 0) return false;
      throw new InputError(`the journal ${path} has no header line; it cannot be resumed safely`);
    }
    this.files.push(file);
    return true;
  }

  private apply(file: ReplayedFile, fileNumber: number, line: string, lineNumber: number, offset: number): void {
    const entry = parseJournalEntry(line);
    if (typeof entry === "string") {
      throw damaged(file.path, lineNumber, entry);
    }
    if (entry.type === "header") {
      file.headers.push(entry);
      return;
    }
    if (file.headers.length === 0) {
      throw new InputError(`the journal ${file.path} has no header line; it cannot be resumed safely`);
    }
    const id = this.ids.id(entry.key, true);
    if (id >= this.flags.length) this.reserve(id + 1);
    let flags = this.flags[id]!;
    if (entry.type === "suppressed") {
      this.flags[id] = flags | SUPPRESSED;
      return;
    }
    if (entry.type === "intent") {
      // The previous intent never got an outcome: that request may have been accepted.
      if (flags & UNKNOWN) {
        this.ambiguous[id] = Math.min(0xffff, this.ambiguous[id]! + 1);
        this.ambiguousKeys.set(id, entry.key);
      }
      this.awaiting.set(id, entry.key);
      this.attempts[id] = Math.max(this.attempts[id]!, entry.attempt);
      flags = (flags & ~FORM_TEMPLATE) | UNKNOWN | FORM_KNOWN | (entry.form === "template" ? FORM_TEMPLATE : 0) | (entry.untracked ? UNTRACKED : 0);
      this.last[id] = 0;
    } else {
      this.awaiting.delete(id);
      flags &= ~(UNKNOWN | INVALID_REQUEST);
      this.attempts[id] = Math.max(this.attempts[id]!, entry.attempt);
      this.last[id] = RESULT_CODES.indexOf(entry.result);
      this.status[id] = entry.status ?? 0;
      this.outcomeAt[id] = fileNumber * FILE_STRIDE + offset;
      if (entry.errorCode === "invalid-request") flags |= INVALID_REQUEST;
      if (entry.ambiguous) {
        this.ambiguous[id] = Math.min(0xffff, this.ambiguous[id]! + 1);
        this.ambiguousKeys.set(id, entry.key);
      }
      if (entry.result === "fallback") flags |= FALLBACK;
      if (entry.result === "sent") flags = (flags & ~FORM_TEMPLATE) | SENT | FORM_KNOWN | (entry.form === "template" ? FORM_TEMPLATE : 0);
    }
    this.flags[id] = flags;
  }

  private reserve(needed: number): void {
    this.attempts = grow(this.attempts, needed);
    this.ambiguous = grow(this.ambiguous, needed);
    this.flags = grow(this.flags, needed);
    this.last = grow(this.last, needed);
    this.status = grow(this.status, needed);
    this.outcomeAt = grow(this.outcomeAt, needed);
  }

  /** The key's dense id (0 <= id < size), or -1 when the journals never mention it. */
  keyId(key: string): number {
    return this.ids.id(key, false);
  }

  /** Keys whose outcome is unknown, or that made an attempt that may have been accepted unseen. */
  uncertainKeys(): string[] {
    const keys = new Map(this.ambiguousKeys);
    for (const [id, key] of this.awaiting) keys.set(id, key);
    return [...keys.values()];
  }

  /** What the journals say about a key; undefined when they never mention it. */
  history(key: string): KeyHistory | undefined {
    const id = this.ids.id(key, false);
    if (id < 0) return undefined;
    const flags = this.flags[id]!;
    return {
      attempts: this.attempts[id]!,
      sent: (flags & SENT) !== 0,
      form: flags & FORM_KNOWN ? (flags & FORM_TEMPLATE ? "template" : "session") : null,
      last: RESULT_CODES[this.last[id]!] ?? null,
      lastStatus: this.status[id]! === 0 ? null : this.status[id]!,
      lastInvalidRequest: (flags & INVALID_REQUEST) !== 0,
      unknown: (flags & UNKNOWN) !== 0,
      ambiguousAttempts: this.ambiguous[id]!,
      fallback: (flags & FALLBACK) !== 0,
      suppressed: (flags & SUPPRESSED) !== 0,
      untracked: (flags & UNTRACKED) !== 0,
    };
  }

  /**
   * The key's last outcome as written (its message id, error code), read again from its journal;
   * undefined when it has none. An intent may have come after it.
   */
  lastOutcome(key: string): OutcomeEntry | undefined {
    const id = this.ids.id(key, false);
    // 0 is never an outcome's place: a journal's first line is its header.
    if (id < 0 || this.outcomeAt[id] === 0) return undefined;
    const at = this.outcomeAt[id]!;
    const fileNumber = Math.floor(at / FILE_STRIDE);
    const path = this.files[fileNumber]?.path;
    if (path === undefined) return undefined;
    let fd = this.fds[fileNumber];
    if (fd === undefined) {
      fd = openJournalFile(path, "r");
      if (fd === undefined) return undefined;
      this.fds[fileNumber] = fd;
    }
    const buffer = this.lineBuffer;
    const offset = at - fileNumber * FILE_STRIDE;
    // Most lines are a few hundred bytes: read a little first, the rest only if needed.
    let read = readSync(fd, buffer, 0, 1024, offset);
    let end = buffer.subarray(0, read).indexOf(0x0a);
    if (end === -1 && read === 1024) {
      read = readSync(fd, buffer, 0, buffer.length, offset);
      end = buffer.subarray(0, read).indexOf(0x0a);
    }
    const entry = parseJournalEntry(buffer.toString("utf8", 0, end === -1 ? read : end));
    return typeof entry !== "string" && entry.type === "outcome" && entry.key === key ? entry : undefined;
  }

  /** The journal that holds the key's last outcome; undefined when it has none. */
  outcomeFile(key: string): ReplayedFile | undefined {
    const id = this.ids.id(key, false);
    if (id < 0 || this.outcomeAt[id] === 0) return undefined;
    return this.files[Math.floor(this.outcomeAt[id]! / FILE_STRIDE)];
  }

  /** Closes the journals `lastOutcome` opened. */
  close(): void {
    for (const fd of this.fds.splice(0)) if (fd !== undefined) closeSync(fd);
  }
}
