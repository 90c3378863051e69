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

// How an answer's body is read is the Connectly client's; the sender's decisions use it.
export { MAX_ANSWER_BYTES, MAX_STORED_CODE, MAX_STORED_ID, MAX_STORED_MESSAGE, readAnswerBody, sanitizeAnswerText } from "../../connectly/answer.js";
export type { AnswerBody } from "../../connectly/answer.js";

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
