/**
 * The small decisions of a send run, each a pure function: which shard a key belongs to, when
 * too many failures stop the run, how long to back off, and what an answer means.
 */
import { UsageError } from "../../errors.js";

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** `I/N` with 1 <= I <= N. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || !(count >= 1) || !(index >= 1) || index > count) {
    throw new UsageError(`--shard must be I/N with 1 <= I <= N (like 2/3), got "${text}"`);
  }
  return { index, count };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * FNV-1a (32 bits) over the key's UTF-8 bytes: stable across runs, machines and Node versions,
 * so the jobs of a CI matrix split an audience the same way every time.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The 1-based shard a key belongs to among `count`. */
export function shardOf(key: string, count: number): number {
  return (fnv1a(key) % count) + 1;
}

export type MaxFailures =
  /** Stop when 20 of the first 100 recipients fail (a broken message is not blasted to everyone). */
  | { kind: "default" }
  /** Stop when this many recipients have failed. */
  | { kind: "count"; count: number }
  /** Stop when more than this share of the finished recipients (at least 20 of them) failed. */
  | { kind: "percent"; percent: number };

export const DEFAULT_MAX_FAILURES: MaxFailures = { kind: "default" };
const PERCENT_MIN_SAMPLE = 20;

export function parseMaxFailures(text: string): MaxFailures {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (percent) {
    const value = Number(percent[1]);
    if (value > 0 && value <= 100) return { kind: "percent", percent: value };
  } else if (/^\d+$/.test(text.trim()) && Number(text) >= 1) {
    return { kind: "count", count: Number(text) };
  }
  throw new UsageError(`--max-failures must be a count of at least 1 (like 50) or a percentage (like 5%), got "${text}"`);
}

/** True when the run must stop, after `failed` of `finished` attempted recipients failed. */
export function tooManyFailures(policy: MaxFailures, failed: number, finished: number): boolean {
  switch (policy.kind) {
    case "default":
      return finished <= 100 && failed >= 20;
    case "count":
      return failed >= policy.count;
    case "percent":
      return finished >= PERCENT_MIN_SAMPLE && failed * 100 > policy.percent * finished;
  }
}

export function describeMaxFailures(policy: MaxFailures): string {
  switch (policy.kind) {
    case "default":
      return "20 of the first 100 recipients failed";
    case "count":
      return `${policy.count} recipient${policy.count === 1 ? "" : "s"} failed`;
    case "percent":
      return `more than ${policy.percent}% of the recipients failed`;
  }
}

export interface Backoff {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 250, capMs: 15_000 };

/** Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(retry-1))). */
export function backoffDelay(backoff: Backoff, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** A session send refused for the 24-hour window: the template form goes out instead, once. */
export const WINDOW_ERROR_CODES: ReadonlySet<string> = new Set([
  "ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW",
  "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION",
]);

export type AnswerKind = "sent" | "rate-limited" | "retryable" | "final";

export function classifyStatus(status: number): AnswerKind {
  if (status >= 200 && status < 300) return "sent";
  if (status === 429) return "rate-limited";
  if (status >= 500) return "retryable";
  return "final";
}

/** What is kept of an answer's body: a real one is a few hundred bytes; the rest is not read. */
export const MAX_ANSWER_BYTES = 64 * 1024;
/** What is stored of an answer's `id`, `code` and `message` (journal, report, summary). */
export const MAX_STORED_ID = 128;
export const MAX_STORED_CODE = 128;
export const MAX_STORED_MESSAGE = 512;

export interface AnswerBody {
  id: string | null;
  code: string | null;
  type: string | null;
  /** The API's human-readable `message` of an error body. */
  message: string | null;
}

/**
 * The `id` of a success body, or the `code`, `type` and `message` of an error body; null when the
 * body says neither. Every value is untrusted: the secrets are cut out of it (a server or proxy
 * that echoes the key would otherwise put it in the journal and the report), control characters
 * are replaced (they would reach a terminal) and its length is bounded.
 */
export function readAnswerBody(body: string, secrets: ReadonlyArray<string | undefined> = []): AnswerBody {
  let parsed: { id?: unknown; code?: unknown; type?: unknown; message?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { id: null, code: null, type: null, message: null };
  }
  const text = (value: unknown, max: number): string | null => (typeof value === "string" ? sanitizeAnswerText(value, secrets, max) : null);
  return {
    id: text(parsed?.id, MAX_STORED_ID),
    code: text(parsed?.code, MAX_STORED_CODE) ?? text(parsed?.error?.code, MAX_STORED_CODE),
    type: text(parsed?.type, MAX_STORED_CODE),
    message: text(parsed?.message, MAX_STORED_MESSAGE) ?? text(parsed?.error?.message, MAX_STORED_MESSAGE),
  };
}

/**
 * Text that came from the server, made fit to store and print: every secret replaced by
 * `[redacted]` (whatever its length: this text is not ours, so nothing of ours is mangled),
 * control characters by `?`, and cut to `max` characters with an ellipsis.
 */
export function sanitizeAnswerText(text: string, secrets: ReadonlyArray<string | undefined>, max: number): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    // As sent, and as a server would quote it in a URL or a form (`"` as %22).
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join("[redacted]");
  }
  out = out.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
  if (out.length <= max) return out;
  // Never cut a character in half (a lone surrogate).
  const end = /[\ud800-\udbff]/.test(out[max - 2] ?? "") ? max - 2 : max - 1;
  return `${out.slice(0, end)}…`;
}

/** Distinct error codes counted one by one; a server that makes up a code per answer gets the rest lumped together. */
export const MAX_DISTINCT_CODES = 50;
export const OTHER_CODES = "(other codes)";

/** Counts `code` in `byCode`, under OTHER_CODES once MAX_DISTINCT_CODES codes are there. */
export function countCode(byCode: Record<string, number>, code: string): void {
  const key = Object.hasOwn(byCode, code) || Object.keys(byCode).length < MAX_DISTINCT_CODES ? code : OTHER_CODES;
  byCode[key] = (byCode[key] ?? 0) + 1;
}

/** The key was refused: every other request would be refused too, so the run stops at once. */
export function isAuthenticationFailure(status: number, type: string | null): boolean {
  return status === 401 || type === "ERROR_TYPE_AUTHENTICATION";
}
