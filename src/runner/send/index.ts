/**
 * `send`: plan items out to Connectly, paced, retried, journaled and resumable. The CLI's
 * `msgc send` is a thin shell over this; benchmarks and programs call it directly.
 *
 * The plan is read twice: once to hash it (a resumed run must be sending the same campaign) and
 * count what will go out (the confirmation and the ETA need it), once to send. The first pass may
 * read the plan as NDJSON (`planNdjson`, compiled on worker threads); given a `planHash` and no
 * confirmation, it runs beside the send instead of before it, for the progress line only. Items
 * stream through both passes, so a campaign of millions of recipients sends in constant memory
 * apart from the replayed journal (about 30 bytes a recipient).
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { InputError, UsageError } from "../../errors.js";
import { chooseForm, recipientOfKey, withLastInbound } from "../../compiler/plan.js";
import type { Form, PlanItem } from "../../compiler/plan.js";
import { maskNumbersIn } from "../../mask.js";
import { openJournals, replayedHeaders } from "./journal-family.js";
import { JournalState } from "./journal-replay.js";
import type { KeyHistory } from "./journal-replay.js";
import { JOURNAL_VERSION, JournalWriter } from "./journal.js";
import type { AttemptResult } from "./journal.js";
import {
  backoffDelay,
  classifyStatus,
  countCode,
  DEFAULT_BACKOFF,
  DEFAULT_MAX_FAILURES,
  describeMaxFailures,
  formatShard,
  isAuthenticationFailure,
  readAnswerBody,
  shardOf,
  tooManyFailures,
  WINDOW_ERROR_CODES,
} from "./policy.js";
import type { Backoff, MaxFailures, Shard } from "./policy.js";
import { RateGovernor } from "./rate-governor.js";
import { ReportWriter } from "./report.js";
import type { RecipientReport, RecipientStatus } from "./report.js";
import { OPTED_OUT_CODE } from "../../connectly/answer.js";
import { businessPath } from "../../connectly/client.js";
import { createTransport, sendsKeyInClear } from "../../connectly/transport.js";
import type { Transport } from "../../connectly/transport.js";
import type { SmsTotals } from "../sms-totals.js";
import { inboundOf, suppressionOf } from "./recipient-facts.js";
import type { RecipientFacts } from "./recipient-facts.js";
import type { Store } from "../../store/store.js";
import { SendTracking } from "../tracking/send-tracking.js";
import { DEFAULT_GRACE_MS, maybeDuplicated } from "../tracking/resolve.js";
import type { KeyResolution } from "../tracking/resolve.js";

export type { Backoff, MaxFailures, Shard } from "./policy.js";
export { parseMaxFailures, parseShard, shardOf } from "./policy.js";
export type { RecipientReport, RecipientStatus } from "./report.js";
export type { HeaderEntry, IntentEntry, JournalEntry, OutcomeEntry, SuppressedEntry } from "./journal.js";
export { scrubOutput, scrubValue } from "./scrub.js";
export type { RecipientFacts } from "./recipient-facts.js";

export const DEFAULT_RATE = 50;
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_TIMEOUT_MS = 30_000;
/** An hour: beyond it a request is lost, not slow (and timers overflow at 2^31 ms). */
export const MAX_TIMEOUT_MS = 3_600_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
/** 429s do not use up attempts (they say "not now", not "broken"), but a server that never lets up ends it. */
const MAX_RATE_LIMITED_PER_RECIPIENT = 100;

export type PlanSource = AsyncIterable<PlanItem> | Iterable<PlanItem>;

export interface ConfirmInfo {
  campaign: string;
  /** Requests about to go out (after shard, resume and unknown filtering). */
  count: number;
  /** Host (and port) of the target; never the key. */
  host: string;
  dryRun: boolean;
  /** Recipients by channel and SMS segments, when the message has an sms form. */
  sms?: SmsTotals;
}

export interface ProgressSnapshot {
  /** Recipients this run will handle (to send, or already sent and skipped). */
  total: number;
  /** The total is still being counted (the run started before its count): so far, `total` seen. */
  counting?: boolean;
  sent: number;
  failed: number;
  fallbacks: number;
  skipped: number;
  /** On the suppression list: not requested. */
  suppressed: number;
  unknown: number;
  inFlight: number;
  requests: number;
  rateLimited: number;
  /** Requests sent again after a 5xx, a timeout or a connection error. */
  retries: number;
  /** 5xx answers so far. */
  serverErrors: number;
  /** The pace in force, requests per second (lower than asked after 429s). */
  rate: number;
  elapsedMs: number;
}

export interface ProgressSink {
  start(read: () => ProgressSnapshot): void;
  stop(): void;
}

export interface SendOptions {
  /**
   * The plan; called twice (see above) and must yield the same items, with unique keys, both
   * times. planCampaign does.
   */
  plan: () => PlanSource;
  /**
   * The same plan as NDJSON, exactly `JSON.stringify(item) + "\n"` per item (what
   * planCampaignNdjson gives, compiled on worker threads): when given, the first pass reads it
   * instead of `plan()`, which is several times faster on a large audience, so that the first
   * request leaves sooner. The plan hash is the same either way.
   */
  planNdjson?: () => AsyncIterable<Uint8Array>;
  /**
   * The campaign's identity for --resume, when the caller has one that needs no pass over the plan
   * (the CLI hashes the campaign's inputs: runner/fingerprint.ts). With it, and no `confirm`, the
   * run starts sending at once: the plan is counted in the background, for the progress line only.
   * Without it, the plan's hash (sha256 over its items) is computed first.
   */
  planHash?: string;
  /**
   * The campaign's SMS totals, read once the plan has been gone through (before the
   * confirmation): shown in the confirmation, the summary and the report.
   */
  smsTotals?: () => SmsTotals | undefined;
  /** The campaign (or message) name: journal header, summary, confirmation. */
  campaign: string;
  baseUrl: string;
  businessId: string;
  /** Sent as X-API-Key; never written anywhere. Not needed for a dry run. */
  apiKey?: string;
  /**
   * Allow a plain `http:` base URL on a host other than loopback, which carries the key in clear
   * text. Default false: such a target is refused.
   */
  insecureHttp?: boolean;
  /** Requests per second; Infinity for no limit (library only: the CLI caps at 200). Default 50. */
  rate?: number;
  /** Requests in flight at once (and connections in the pool). Default 16. */
  concurrency?: number;
  /** Per-request timeout for the answer's headers and body, whole milliseconds. Default 30 s. */
  timeoutMs?: number;
  /** Attempts per recipient for 5xx, timeouts and connection errors. Default 5. */
  maxAttempts?: number;
  backoff?: Backoff;
  maxFailures?: MaxFailures;
  shard?: Shard;
  /** The journal file; false runs without one (nothing can be resumed: benchmarks, tests). */
  journal: string | false;
  resume?: boolean;
  retryUnknown?: boolean;
  /**
   * With resume, also resend keys whose last outcome was a final failure (a 4xx that says the
   * request itself is wrong); without it they are counted as failed earlier and left alone.
   */
  retryFailed?: boolean;
  /** Resume although the plan changed since the journal was started. */
  force?: boolean;
  /** Everything but the HTTP requests (and the journal). */
  dryRun?: boolean;
  /**
   * Called once the plan is scanned, before anything is sent (dry runs too): false cancels the
   * run, and it may throw (the CLI refuses to go on when the audience could not be read).
   */
  confirm?: (info: ConfirmInfo) => Promise<boolean>;
  /** Writes the per-recipient report (JSON) here. */
  report?: string;
  showNumbers?: boolean;
  progress?: ProgressSink;
  /** The clock of the 24-hour window (epoch ms). Default Date.now. */
  now?: () => number;
  /** Stops the run gracefully: nothing new starts, what is in flight finishes and is journaled. */
  signal?: AbortSignal;
  /** Randomness of the backoff jitter. */
  random?: () => number;
  /** Opt-outs and the store's inbound times (docs/tracking.md); without it, neither applies. */
  facts?: RecipientFacts;
  /**
   * Where the attempts are recorded (in batches) and, on resume, where webhook events resolve
   * unknown outcomes. Optional: the journal is the record; a store that fails is a warning.
   */
  store?: Store;
  /** false leaves callbackData exactly as written: no msgc token. Default true. */
  track?: boolean;
  /**
   * Every request of the plan can carry the token (no callbackData that is not an object): an
   * attempt whose token has no events, once the grace period is over, was not accepted. Default true.
   */
  everyRequestTracked?: boolean;
  /** How long an accepted message's webhooks may take (resolving duplicates). Default 30 minutes. */
  graceMs?: number;
  /** One line for a person about something that did not stop the run (the store failed). */
  onWarning?: (line: string) => void;
}

export interface SendSummary {
  campaign: string;
  /** Host of the target. */
  target: string;
  dryRun: boolean;
  cancelled: boolean;
  shard: string | null;
  journal: string | null;
  planHash: string;
  /** Plan items in this shard. */
  total: number;
  /** The whole campaign's recipients by channel and SMS segments, when the message has an sms form. */
  sms?: SmsTotals;
  /** Of `forms.session`, the SMS items (they go to the session endpoint). */
  smsItems?: number;
  sent: number;
  failed: number;
  /** Failed recipients by error code (the API's `code`, `HTTP_<status>`, or a network code). */
  failedByCode: Record<string, number>;
  /** Sent as the template form after the session form was refused for the 24-hour window. */
  fallbacks: number;
  /** Requests whose outcome is unknown from an earlier run, not resent (masked keys). */
  unknown: number;
  unknownKeys: string[];
  /** Already sent according to the journal. */
  skipped: number;
  /**
   * On the suppression list (opted out), or found so by an earlier run of the journal: never
   * requested. Not a failure: the exit code does not count them.
   */
  suppressed: number;
  /** Answered ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT in this run (failed), and suppressed for the next sends. */
  optedOut: number;
  /** The store could not take an opted-out number (its answer was still counted as failed). */
  suppressionError: string | null;
  /**
   * Failed for good in an earlier run (a final 4xx), not resent without retryFailed: resending
   * the same request would be refused the same way.
   */
  failedEarlier: number;
  /** Of those, by error code. */
  failedEarlierByCode: Record<string, number>;
  /**
   * Recipients who may have the message more than once: a success after an attempt that may
   * have been accepted (a 5xx, a timeout, an unknown outcome), or two such attempts (masked keys),
   * in this run or an earlier one of the same journals: the count holds across runs.
   */
  possiblyDuplicated: number;
  /** Of those, the ones whose attempts were all made by earlier runs (settled before this one). */
  possiblyDuplicatedEarlier: number;
  possiblyDuplicatedKeys: string[];
  /** Unknown outcomes of earlier runs that webhook events show were accepted: counted sent, not resent (not in `unknown`). */
  resolvedSent: number;
  /** Of the possibly duplicated recipients of earlier runs, those webhook events show got it twice. */
  duplicated: number;
  /** Of those, the ones whose events show one attempt only, once the grace period is over. */
  notDuplicated: number;
  /** The store the attempts were recorded in, and how many it missed (it failed); null without one. */
  store: { location: string; missed: number } | null;
  /** Started but cut short by a stop (left for --resume). */
  interrupted: number;
  /** Never started because the run stopped early. */
  notAttempted: number;
  /** Dry run: how many would go out as each form. */
  forms: Record<Form, number>;
  requests: number;
  retries: number;
  rateLimited: number;
  stopped: string | null;
  /**
   * The --report file could not be written (a full disk, say): why, without the key. The
   * messages went out all the same; the summary is still the run's account of them.
   */
  reportError: string | null;
  durationMs: number;
  messagesPerSecond: number;
}

/** Exit status for a summary: 1 if anything failed, is unknown, was cut short or cancelled, or the report was not written. */
export function summaryExitCode(summary: SendSummary): 0 | 1 {
  const incomplete =
    summary.failed > 0 ||
    summary.failedEarlier > 0 ||
    summary.unknown > 0 ||
    summary.interrupted > 0 ||
    summary.notAttempted > 0 ||
    summary.stopped !== null ||
    summary.reportError !== null ||
    summary.cancelled;
  return incomplete ? 1 : 0;
}

function toAsyncIterator(source: PlanSource): { next(): Promise<IteratorResult<PlanItem>> | IteratorResult<PlanItem>; return?(): unknown } {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<PlanItem>)[Symbol.asyncIterator]();
  return (source as Iterable<PlanItem>)[Symbol.iterator]();
}

/** A journal is there and this is not a resume: sending again from scratch would send twice. */
export class JournalExistsError extends UsageError {
  constructor(
    readonly journal: string,
    /** When the first run of that journal started (ISO 8601). */
    readonly startedAt: string,
  ) {
    super(
      `the journal ${journal} already exists: this campaign was sent (or started) before`,
      "Add --resume to send only what is not known to be sent, or remove the journal to start over (which can send twice).",
    );
  }
}

/** Visible ASCII only: anything else cannot go in an HTTP header (and no key has it). */
export function isUsableApiKey(key: string): boolean {
  return /^[\x21-\x7e]+$/.test(key);
}

/** Never quotes the key: it is the one thing that must not be printed. */
export const API_KEY_UNUSABLE = "the API key has characters an HTTP header cannot carry (spaces, line breaks or non-ASCII); check how it was copied";

export function insecureHttpRefusal(host: string): string {
  return `the base URL is plain http:// to ${host}, which would send the API key in clear text; use https://, or add --insecure-http if this network is yours`;
}

function checkOptions(options: SendOptions): void {
  const rate = options.rate ?? DEFAULT_RATE;
  if (!(rate > 0)) throw new UsageError(`rate must be above 0, got ${rate}`);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`concurrency must be a whole number of at least 1, got ${concurrency}`);
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new UsageError(`max attempts must be a whole number of at least 1, got ${maxAttempts}`);
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // A fraction of a millisecond is no timeout the HTTP client can keep: every request would fail.
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_MS) {
    throw new UsageError(`timeout must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${timeout}`);
  }
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new UsageError(`the base URL "${options.baseUrl}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`the base URL must be http(s), got "${options.baseUrl}"`);
  if (!options.insecureHttp && sendsKeyInClear(options.baseUrl)) throw new UsageError(insecureHttpRefusal(url.host));
  if (options.businessId === "") throw new UsageError("the business id is empty");
  if (!options.dryRun && !options.apiKey) throw new UsageError("no API key: set CONNECTLY_API_KEY or pass --api-key-file");
  if (options.apiKey && !isUsableApiKey(options.apiKey)) throw new UsageError(API_KEY_UNUSABLE);
  if (options.shard && !(options.shard.index >= 1 && options.shard.index <= options.shard.count)) {
    throw new UsageError(`shard must be I/N with 1 <= I <= N, got ${options.shard.index}/${options.shard.count}`);
  }
}

interface Scan {
  planHash: string;
  /** Items in this shard. */
  inShard: number;
  /** Of those, what will go out (not already sent, not unknown left alone). */
  toSend: number;
  /** Of those, what the journal, the suppression list or webhook events settle, by how (for a run cancelled before it settles them). */
  settled: Record<Exclude<RecipientStatus_, "send">, number>;
}

/** First pass: hash the whole plan, count this shard's items and what will go out. */
async function scanPlan(
  options: SendOptions,
  replay: JournalState | undefined,
  choices: ResumeChoices,
  tracking: SendTracking | undefined,
  signal?: AbortSignal,
): Promise<Scan> {
  const hash = createHash("sha256");
  const shard = options.shard;
  let inShard = 0;
  let toSend = 0;
  const settled = { skip: 0, unknown: 0, "failed-earlier": 0, suppressed: 0, resolved: 0 };
  const count = (key: string): void => {
    if (shard && shardOf(key, shard.count) !== shard.index) return;
    inShard++;
    const status = recipientStatus(replay?.history(key), key, choices, options.facts, tracking?.resolution(key));
    if (status === "send") toSend++;
    else settled[status]++;
  };
  if (options.planNdjson) {
    const lines = new NdjsonKeys();
    for await (const chunk of options.planNdjson()) {
      if (signal?.aborted) break;
      hash.update(chunk);
      lines.push(chunk, count);
    }
    if (!signal?.aborted) lines.end();
  } else {
    for await (const item of options.plan()) {
      if (signal?.aborted) break;
      hash.update(JSON.stringify(item));
      hash.update("\n");
      count(item.key);
    }
  }
  return { planHash: `sha256:${hash.digest("hex")}`, inShard, toSend, settled };
}

const KEY_START = Buffer.from('{"key":"');

/**
 * The key of every plan item in an NDJSON stream of them, whose chunks need not end at a line
 * break. A plan item's first field is its key, so a line's key is read without parsing the line.
 */
class NdjsonKeys {
  private carry: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array, onKey: (key: string) => void): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (this.carry.length > 0) {
      // The line begun in the last chunk: only it is joined, not the whole chunk.
      const newline = bytes.indexOf(0x0a);
      if (newline === -1) {
        this.carry = Buffer.concat([this.carry, bytes]);
        return;
      }
      const line = Buffer.concat([this.carry, bytes.subarray(0, newline + 1)]);
      onKey(keyOfLine(line, 0, line.length - 1));
      start = newline + 1;
    }
    for (let newline = bytes.indexOf(0x0a, start); newline !== -1; newline = bytes.indexOf(0x0a, start)) {
      onKey(keyOfLine(bytes, start, newline));
      start = newline + 1;
    }
    // Copied: a lent chunk may be reused once the next one is asked for.
    this.carry = Buffer.from(bytes.subarray(start));
  }

  end(): void {
    if (this.carry.length > 0) throw new Error("the plan's NDJSON does not end with a line break");
  }
}

function keyOfLine(bytes: Buffer, start: number, end: number): string {
  if (bytes.compare(KEY_START, 0, KEY_START.length, start, start + KEY_START.length) === 0) {
    const from = start + KEY_START.length;
    const quote = bytes.indexOf(0x22, from);
    const backslash = bytes.indexOf(0x5c, from);
    if (quote !== -1 && quote < end && (backslash === -1 || backslash > quote)) return bytes.toString("utf8", from, quote);
  }
  return (JSON.parse(bytes.toString("utf8", start, end)) as PlanItem).key;
}

interface ResumeChoices {
  retryUnknown: boolean;
  retryFailed: boolean;
}

type RecipientStatus_ = "skip" | "unknown" | "failed-earlier" | "resolved" | "suppressed" | "send";

/**
 * 401/403 stop the run and mean the key, not the request, was refused: nothing was accepted, and
 * a resume with a fixed key must send them. 408 and 429 say "not now".
 */
const NOT_FINAL_4XX = new Set([401, 403, 408, 429]);

/** The last outcome says the request itself is wrong: sending it again gets the same answer. */
export function failedForGood(history: KeyHistory): boolean {
  if (history.last !== "failed") return false;
  const status = history.lastStatus;
  if (status === null) return history.lastInvalidRequest;
  return status >= 400 && status < 500 && !NOT_FINAL_4XX.has(status);
}

/**
 * What a run does with a key: what the journal says about it first (a run that found the number
 * suppressed settled it, unless suppression is ignored now), then the suppression list as it is.
 */
function recipientStatus(
  history: KeyHistory | undefined,
  key: string,
  choices: ResumeChoices,
  facts: RecipientFacts | undefined,
  resolution: KeyResolution | undefined,
): RecipientStatus_ {
  const status = resumeStatus(history, choices, facts?.ignoreSuppression === true, resolution);
  return status === "send" && suppressionOf(facts, key) !== undefined ? "suppressed" : status;
}

/**
 * What a resumed run does with a key, from what the journal says about it and what webhook events
 * resolved: an attempt shown accepted is sent, whatever --retry-unknown says.
 */
function resumeStatus(history: KeyHistory | undefined, choices: ResumeChoices, ignoreSuppression: boolean, resolution: KeyResolution | undefined): RecipientStatus_ {
  if (!history) return "send";
  if (history.sent) return "skip";
  if (resolution?.sent) return "resolved";
  if (history.suppressed && !ignoreSuppression) return "suppressed";
  if (history.unknown && !choices.retryUnknown) return "unknown";
  if (!history.unknown && failedForGood(history) && !choices.retryFailed) return "failed-earlier";
  return "send";
}

function hostOf(baseUrl: string): string {
  return new URL(baseUrl).host;
}

/** Sends a plan. Resolves with the summary; rejects only on usage or input problems (journal, lock). */
export async function send(options: SendOptions): Promise<SendSummary> {
  checkOptions(options);
  const startedAt = performance.now();
  const clock = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const showNumbers = options.showNumbers ?? false;
  const display = (key: string): string => (showNumbers ? key : maskNumbersIn(key));
  const shardLabel = options.shard ? formatShard(options.shard) : null;
  const journalPath = options.journal === false ? null : options.journal;
  const dryRun = options.dryRun ?? false;
  const choices: ResumeChoices = { retryUnknown: options.retryUnknown ?? false, retryFailed: options.retryFailed ?? false };

  let releaseLock: (() => void) | undefined;
  let journal: JournalWriter | undefined;
  let report: ReportWriter | undefined;
  let transport: Transport | undefined;
  const summary: SendSummary = {
    campaign: options.campaign,
    target: hostOf(options.baseUrl),
    dryRun,
    cancelled: false,
    shard: shardLabel,
    journal: journalPath,
    planHash: "",
    total: 0,
    sent: 0,
    failed: 0,
    // No prototype: the codes are the server's, "__proto__" included.
    failedByCode: Object.create(null) as Record<string, number>,
    fallbacks: 0,
    unknown: 0,
    unknownKeys: [],
    skipped: 0,
    suppressed: 0,
    optedOut: 0,
    suppressionError: null,
    failedEarlier: 0,
    failedEarlierByCode: Object.create(null) as Record<string, number>,
    possiblyDuplicated: 0,
    possiblyDuplicatedEarlier: 0,
    possiblyDuplicatedKeys: [],
    resolvedSent: 0,
    duplicated: 0,
    notDuplicated: 0,
    store: null,
    interrupted: 0,
    notAttempted: 0,
    forms: { session: 0, template: 0 },
    requests: 0,
    retries: 0,
    rateLimited: 0,
    stopped: null,
    reportError: null,
    durationMs: 0,
    messagesPerSecond: 0,
  };

  const origin = new URL(options.baseUrl).origin;
  let replay: JournalState | undefined;
  const stopCounting = new AbortController();
  let counting: Promise<void> | undefined;
  /** This shard's plan items, once counted (undefined while the count runs in the background). */
  let progressTotal: number | undefined;
  let run: Run | undefined;
  // Dry runs send nothing and record nothing, but say what a resume would resolve.
  const tracking = new SendTracking({
    campaign: options.campaign,
    track: options.track !== false,
    everyRequestTracked: options.everyRequestTracked !== false,
    store: options.store,
    clock,
    warn: (line) => options.onWarning?.(line),
  });
  let firstStartedAt: string | undefined;
  try {
    if (journalPath !== null) {
      const opened = openJournals({ journalPath, shard: options.shard, resume: options.resume === true, lock: !dryRun });
      releaseLock = opened.release;
      replay = opened.state;
      firstStartedAt = opened.ownHeader?.startedAt;
      if (opened.ownHeader && !options.resume && !dryRun) throw new JournalExistsError(journalPath, opened.ownHeader.startedAt);
      if (options.resume) await tracking.resolve(replay, { graceMs: options.graceMs ?? DEFAULT_GRACE_MS });
      if (options.resume && !dryRun) await tracking.findUnrecorded(replay);
    }

    // The first pass hashes the plan and counts what goes out. Given the plan's identity and no
    // confirmation to ask, the run does not wait for it: sending starts at once, and the count
    // arrives in the background for the progress line.
    const scanning = scanPlan(options, replay, choices, tracking, stopCounting.signal);
    const waitForScan = options.planHash === undefined || options.confirm !== undefined;
    if (!waitForScan) {
      counting = scanning.then(
        (counted) => {
          progressTotal = counted.inShard;
        },
        () => undefined,
      );
    }
    const scan = waitForScan ? await scanning : undefined;
    const planHash = options.planHash ?? scan!.planHash;
    summary.planHash = planHash;
    summary.total = scan?.inShard ?? 0;
    progressTotal = scan?.inShard;
    // Counted first: the totals of the SMS rows are known before the confirmation.
    const sms = scan ? options.smsTotals?.() : undefined;
    if (sms) summary.sms = sms;
    if (replay) checkReplayedHeaders(replay, { campaign: options.campaign, journalPath: journalPath!, shard: shardLabel, origin, businessId: options.businessId, planHash, force: options.force === true });

    if (options.confirm && scan) {
      const ok = await options.confirm({ campaign: options.campaign, count: scan.toSend, host: summary.target, dryRun, ...(sms ? { sms } : {}) });
      if (!ok) {
        // Every recipient is in one number: what the journal settles, as it settles it.
        summary.cancelled = true;
        summary.notAttempted = scan.toSend;
        summary.skipped = scan.settled.skip;
        summary.unknown = scan.settled.unknown;
        summary.failedEarlier = scan.settled["failed-earlier"];
        summary.suppressed = scan.settled.suppressed;
        summary.resolvedSent = scan.settled.resolved;
        return summary;
      }
    }

    if (options.report) report = await ReportWriter.open(options.report);
    const startedAtIso = new Date(clock()).toISOString();
    tracking.startRun(firstStartedAt ?? startedAtIso);
    if (journalPath !== null && !dryRun) {
      journal = await JournalWriter.open(journalPath);
      await journal.writeDurable({
        type: "header",
        version: JOURNAL_VERSION,
        campaign: options.campaign,
        planHash,
        startedAt: startedAtIso,
        shard: shardLabel,
        resumed: replay !== undefined && replay.files.length > 0,
        origin,
        businessId: options.businessId,
      });
    }
    if (!dryRun) {
      transport = createTransport({
        baseUrl: options.baseUrl,
        apiKey: options.apiKey!,
        connections: options.concurrency ?? DEFAULT_CONCURRENCY,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
    }

    run = new Run(options, summary, {
      replay,
      journal,
      report,
      transport,
      tracking,
      display,
      clock,
      random,
      total: () => progressTotal,
    });
    await run.execute();
    // Not counted first: the run saw every item of its shard (what it did not send it counted),
    // and its own pass over the plan gathered the SMS totals.
    if (!scan) {
      summary.total = run.seen;
      const sms = options.smsTotals?.();
      if (sms) summary.sms = sms;
    }
  } finally {
    stopCounting.abort();
    await counting;
    await transport?.close().catch(() => undefined);
    replay?.close();
    // What is left of the attempts goes to the store, at the end and on a stop alike.
    summary.store = (await tracking.finish()) ?? null;
    const closing = journal?.close();
    summary.durationMs = Math.round(performance.now() - startedAt);
    const seconds = summary.durationMs / 1000;
    summary.messagesPerSecond = seconds > 0 ? Math.round((summary.sent / seconds) * 10) / 10 : 0;
    try {
      // The last outcomes that rode along lazily (retries cut short by a stop) could not be
      // written: their recipients read as unknown on resume, and the run says why it stopped.
      await closing?.catch((e: unknown) => {
        summary.stopped ??= `stopped: ${e instanceof Error ? e.message : "the journal could not be written"}`;
      });
      summary.reportError = (await report?.close(summary)) ?? null;
    } finally {
      releaseLock?.();
    }
  }
  return summary;
}

/**
 * Every journal replayed must be this run's campaign, on this target, of this plan (as of its
 * last run: a run resumed with --force appends a header with the plan it accepted), and the run's
 * own journal of its shard.
 */
function checkReplayedHeaders(
  state: JournalState,
  run: { campaign: string; journalPath: string; shard: string | null; origin: string; businessId: string; planHash: string; force: boolean },
): void {
  for (const { path, header, last } of replayedHeaders(state)) {
    if (header.campaign !== run.campaign) {
      throw new InputError(`the journal ${path} belongs to campaign "${header.campaign}", not "${run.campaign}"`);
    }
    if (path === run.journalPath && header.shard !== run.shard) {
      throw new InputError(`the journal ${path} was written for shard ${header.shard ?? "none"}, not ${run.shard ?? "none"}`);
    }
    if (header.origin !== run.origin || header.businessId !== run.businessId) {
      throw new UsageError(
        `the journal ${path} was written sending to ${header.origin} (business ${header.businessId}), not ${run.origin} (business ${run.businessId}): what it says was sent went to that target`,
        "Resume against the target the campaign started with, or use another --journal to send to this one from the start.",
      );
    }
    if (last && header.planHash !== run.planHash && !run.force) {
      throw new UsageError(
        `the campaign "${run.campaign}" changed since the journal ${path} was started (its specs or audience compile differently)`,
        "Resuming a changed campaign can mix old and new content; add --force to resume anyway.",
      );
    }
  }
}

interface RunContext {
  replay: JournalState | undefined;
  journal: JournalWriter | undefined;
  report: ReportWriter | undefined;
  transport: Transport | undefined;
  tracking: SendTracking;
  display: (key: string) => string;
  clock: () => number;
  random: () => number;
  /** This shard's plan items for the progress line, once known. */
  total: () => number | undefined;
}

/** One recipient's journey so far. */
interface Attempting {
  item: PlanItem;
  form: Form;
  attempts: number;
  /** Attempts counted against maxAttempts (429s and the window fallback are not). */
  failures: number;
  rateLimited: number;
  fallback: boolean;
  /** Attempts that may have been accepted although no success came back. */
  ambiguousAttempts: number;
  lastStatus: number | null;
  lastErrorCode: string | null;
  /** The journal's number for the last outcome written lazily (a retry or fallback), if any. */
  lazyOutcome?: number;
  /** The API's human-readable message of the last error answer. */
  lastErrorMessage: string | null;
}

/** The second pass: workers pulling items, each carrying one recipient to a final state. */
class Run {
  private readonly governor: RateGovernor;
  private readonly maxAttempts: number;
  private readonly backoff: Backoff;
  private readonly maxFailures: MaxFailures;
  private readonly choices: ResumeChoices;
  private stopping = false;
  private readonly stopped: Promise<void>;
  private stop!: () => void;
  private finished = 0;
  private inFlight = 0;
  private serverErrors = 0;
  private readonly startedAt = performance.now();
  private pulling: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: SendOptions,
    private readonly summary: SendSummary,
    private readonly ctx: RunContext,
  ) {
    this.governor = new RateGovernor(options.rate ?? DEFAULT_RATE);
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
    this.choices = { retryUnknown: options.retryUnknown ?? false, retryFailed: options.retryFailed ?? false };
    this.stopped = new Promise<void>((resolve) => {
      this.stop = resolve;
    });
  }

  private halt(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.summary.stopped = reason;
    this.stop();
    this.governor.release();
  }

  snapshot(): ProgressSnapshot {
    const s = this.summary;
    const total = this.ctx.total();
    return {
      total: total ?? this.seen,
      counting: total === undefined,
      sent: s.sent,
      failed: s.failed,
      fallbacks: s.fallbacks,
      // Resolved as sent from webhooks: done, like what the journal knows was sent.
      skipped: s.skipped + s.resolvedSent,
      suppressed: s.suppressed,
      unknown: s.unknown,
      inFlight: this.inFlight,
      requests: s.requests,
      rateLimited: s.rateLimited,
      retries: s.retries,
      serverErrors: this.serverErrors,
      rate: this.governor.rate,
      elapsedMs: performance.now() - this.startedAt,
    };
  }

  async execute(): Promise<void> {
    const signal = this.options.signal;
    const onAbort = (): void => this.halt("interrupted: what was in flight finished, the rest is left for --resume");
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort);
    this.options.progress?.start(() => this.snapshot());
    const iterator = toAsyncIterator(this.options.plan());
    try {
      const workers = Array.from({ length: this.options.concurrency ?? DEFAULT_CONCURRENCY }, () =>
        this.work(iterator).catch((e: unknown) => {
          // A journal that cannot be written stops everything: nothing may go out unjournaled.
          this.halt("stopped: an error");
          throw e;
        }),
      );
      await Promise.all(workers);
      if (this.stopping) {
        // The rest of this shard's plan: still listed (unknowns, skips), counted as not attempted.
        for (let next = await this.pull(iterator); !next.done; next = await this.pull(iterator)) {
          const item = next.value;
          if (this.inShard(item) && !this.settleWithoutSending(item)) this.summary.notAttempted++;
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.options.progress?.stop();
      this.governor.release();
      await iterator.return?.();
    }
  }

  /** Items are pulled one at a time, whatever the source: an async generator is not re-entrant. */
  private pull(iterator: ReturnType<typeof toAsyncIterator>): Promise<IteratorResult<PlanItem>> {
    const next = this.pulling.then(() => iterator.next());
    this.pulling = next.catch(() => undefined);
    return next;
  }

  /** This shard's plan items pulled so far. */
  seen = 0;

  private inShard(item: PlanItem): boolean {
    const shard = this.options.shard;
    const mine = !shard || shardOf(item.key, shard.count) === shard.index;
    if (mine) this.seen++;
    return mine;
  }

  private history(key: string): KeyHistory | undefined {
    return this.ctx.replay?.history(key);
  }

  /** The last outcome's message id and error code from the journal, read only when needed. */
  private earlier(key: string): { messageId: string | null; errorCode: string | null } {
    const outcome = this.ctx.replay?.lastOutcome(key);
    return { messageId: outcome?.messageId ?? null, errorCode: outcome?.errorCode ?? null };
  }

  /**
   * Keys the journal already settles (sent, failed for good, or unknown and left alone): listed,
   * not sent. Whatever settles them, a key whose earlier attempts may add up to two deliveries is
   * counted as possibly duplicated by every run, not only by the run that made them.
   */
  private settleWithoutSending(item: PlanItem): boolean {
    const history = this.history(item.key);
    const resolution = this.ctx.tracking.resolution(item.key);
    const status = recipientStatus(history, item.key, this.choices, this.options.facts, resolution);
    if (status === "send") return false;
    // A number suppressed between runs may have no history at all.
    const duplicated = (history !== undefined && maybeDuplicated(history)) || resolution?.duplicates === "duplicated";
    if (duplicated) {
      this.summary.possiblyDuplicatedEarlier++;
      if (resolution?.duplicates === "duplicated") this.summary.duplicated++;
      if (resolution?.duplicates === "not-duplicated") this.summary.notDuplicated++;
    }
    const note = (): boolean => (duplicated ? this.notePossibleDuplicate(item.key, 2) : false);
    if (status === "suppressed") return this.suppress(item, history, note());
    const h = history!;
    const state = { ...h, lastErrorCode: null as string | null };
    const duplicates = duplicated && resolution?.duplicates ? { duplicates: resolution.duplicates } : {};
    switch (status) {
      case "skip": {
        this.summary.skipped++;
        // A kill may have kept its record from the store: recorded now, once.
        if (!this.options.dryRun) this.ctx.tracking.recordJournaled(item);
        const possiblyDuplicated = note();
        if (this.ctx.report) this.record(item.key, h.form, "skipped", state, { messageId: this.earlier(item.key).messageId, possiblyDuplicated, ...duplicates });
        return true;
      }
      case "resolved": {
        const sent = resolution!.sent!;
        this.summary.resolvedSent++;
        const possiblyDuplicated = note();
        // Recorded now: the run that made the attempt died before it could say so.
        if (!this.options.dryRun) this.ctx.tracking.recordAttempt(item, sent.form, sent.attempt, sent.token, sent.messageId);
        if (this.ctx.report) this.record(item.key, sent.form, "resolved-sent", state, { messageId: sent.messageId, possiblyDuplicated, ...duplicates });
        return true;
      }
      case "failed-earlier": {
        const code = this.earlier(item.key).errorCode ?? "unknown-error";
        this.summary.failedEarlier++;
        countCode(this.summary.failedEarlierByCode, code);
        const possiblyDuplicated = note();
        this.record(item.key, h.form, "failed-earlier", { ...state, lastErrorCode: code }, { possiblyDuplicated, ...duplicates });
        return true;
      }
      case "unknown": {
        this.summary.unknown++;
        this.summary.unknownKeys.push(this.ctx.display(item.key));
        const possiblyDuplicated = note();
        if (this.ctx.report) this.record(item.key, h.form, "unknown", { ...state, lastErrorCode: this.earlier(item.key).errorCode }, { possiblyDuplicated, ...duplicates });
        return true;
      }
    }
  }

  /**
   * A suppressed number is never requested. The first run that finds it so says so in the
   * journal, so that every later run counts it the same way (and does not send it).
   */
  private suppress(item: PlanItem, history: KeyHistory | undefined, possiblyDuplicated: boolean): true {
    const reason = suppressionOf(this.options.facts, item.key) ?? "journal";
    if (!history?.suppressed) this.ctx.journal?.write({ type: "suppressed", key: item.key, reason });
    this.summary.suppressed++;
    const state = {
      attempts: history?.attempts ?? 0,
      fallback: history?.fallback ?? false,
      lastStatus: history?.lastStatus ?? null,
      ambiguousAttempts: history?.ambiguousAttempts ?? 0,
      lastErrorCode: null,
    };
    this.record(item.key, history?.form ?? null, "suppressed", state, { suppression: reason, possiblyDuplicated });
    return true;
  }

  private async work(iterator: ReturnType<typeof toAsyncIterator>): Promise<void> {
    while (!this.stopping) {
      const next = await this.pull(iterator);
      if (next.done) return;
      const item = next.value;
      if (!this.inShard(item) || this.settleWithoutSending(item)) continue;
      const history = this.history(item.key);
      if (this.stopping) {
        this.summary.notAttempted++;
        return;
      }
      this.inFlight++;
      try {
        await this.deliver(item, history);
      } finally {
        this.inFlight--;
      }
    }
  }

  private record(
    key: string,
    form: Form | null,
    status: RecipientStatus,
    state: Pick<KeyHistory, "attempts" | "fallback" | "lastStatus" | "ambiguousAttempts"> & { lastErrorCode: string | null; lastErrorMessage?: string | null },
    extra: { messageId?: string | null; possiblyDuplicated?: boolean; suppression?: string; duplicates?: RecipientReport["duplicates"] },
  ): void {
    const report = this.ctx.report;
    if (!report) return;
    const entry: RecipientReport = {
      key: this.ctx.display(key),
      form,
      status,
      fallback: state.fallback,
      messageId: extra.messageId ?? null,
      errorCode: status === "sent" || status === "skipped" || status === "suppressed" ? null : state.lastErrorCode,
      errorMessage: status === "sent" || status === "skipped" || status === "suppressed" ? null : (state.lastErrorMessage ?? null),
      httpStatus: state.lastStatus,
      attempts: state.attempts,
      ambiguousAttempts: state.ambiguousAttempts,
      possiblyDuplicated: extra.possiblyDuplicated ?? false,
      ...(extra.duplicates ? { duplicates: extra.duplicates } : {}),
    };
    if (extra.suppression !== undefined) entry.suppression = extra.suppression;
    report.add(entry);
  }

  private async deliver(item: PlanItem, history: KeyHistory | undefined): Promise<void> {
    const now = this.ctx.clock();
    // A recipient that already fell back in an earlier run stays on the template form.
    const fellBack = history?.fallback === true && item.template !== undefined;
    const state: Attempting = {
      item,
      form: fellBack ? "template" : chooseForm(withLastInbound(item, inboundOf(this.options.facts, item.key)), now),
      attempts: history?.attempts ?? 0,
      failures: 0,
      rateLimited: 0,
      fallback: fellBack,
      ambiguousAttempts: (history?.ambiguousAttempts ?? 0) + (history?.unknown ? 1 : 0),
      lastStatus: null,
      lastErrorCode: null,
      lastErrorMessage: null,
    };
    if (this.options.dryRun) {
      this.summary.forms[state.form]++;
      if (item.sms) this.summary.smsItems = (this.summary.smsItems ?? 0) + 1;
      this.record(item.key, state.form, "dry-run", { ...state, lastErrorCode: null }, {});
      return;
    }
    for (;;) {
      const wait = this.governor.take();
      if (wait) await wait;
      if (this.stopping) return this.interrupt(state);
      const outcome = await this.attempt(state);
      if (outcome === "done") return;
      if (outcome === "again-now") continue;
      const delay = backoffDelay(this.backoff, state.failures, this.ctx.random);
      this.summary.retries++;
      await Promise.race([sleep(delay), this.stopped]);
      if (this.stopping) return this.interrupt(state);
    }
  }

  private interrupt(state: Attempting): void {
    // Cut short after an attempt whose outcome went with a journal batch that failed: on disk its
    // intent has no outcome, which a resume reads as unknown, and so does this summary.
    if (state.lazyOutcome !== undefined && this.ctx.journal?.failed !== undefined && !this.ctx.journal.isWritten(state.lazyOutcome)) {
      this.unjournaled(state, false);
      return;
    }
    this.summary.interrupted++;
    this.record(state.item.key, state.form, "interrupted", state, {});
  }

  /** One request for one recipient; says whether it is done, or goes again now or after a backoff. */
  private async attempt(state: Attempting): Promise<"done" | "again-now" | "again-later"> {
    const { item } = state;
    const request = state.form === "session" ? (item.sms ?? item.session) : item.template;
    if (!request) throw new Error(`plan item ${item.key} has no ${state.form} form`);
    const journal = this.ctx.journal;
    const sending = this.ctx.tracking.requestBody(item.key, state.form, state.attempts + 1, request.body);
    if (journal) {
      try {
        // No request leaves before its intent is wholly on disk; one without a token says so,
        // for the resolution of duplicates (src/runner/tracking/resolve.ts).
        const intent = { type: "intent", key: item.key, form: state.form, attempt: state.attempts + 1 } as const;
        await journal.writeDurable(sending.token === null ? { ...intent, untracked: true } : intent);
      } catch {
        return this.journalFailed(state);
      }
    }
    state.attempts++;
    this.summary.requests++;
    const path = businessPath(request.path, this.options.businessId);
    const http = await this.ctx.transport!.post(path, sending.json);
    // An attempt that may have been accepted goes to the store: a success with its message id, a
    // lost or 5xx answer without one.
    const recordAttempt = (messageId: string | null): void => this.ctx.tracking.recordAttempt(item, state.form, state.attempts, sending.token, messageId);

    /**
     * Journals the outcome; false when the journal cannot take it. A final outcome (sent,
     * failed) is on disk before the recipient is counted, so that the summary never says more
     * than a resume will read; one that goes on (retry, fallback) rides with the next intent.
     */
    const finish = async (
      result: AttemptResult,
      fields: { status: number | null; messageId?: string | null; errorCode: string | null; errorMessage?: string | null; ambiguous: boolean },
    ): Promise<boolean> => {
      state.lastStatus = fields.status;
      state.lastErrorCode = fields.errorCode;
      state.lastErrorMessage = fields.errorMessage ?? null;
      if (!journal) return true;
      const entry = {
        type: "outcome",
        key: item.key,
        form: state.form,
        attempt: state.attempts,
        result,
        status: fields.status,
        messageId: fields.messageId ?? null,
        errorCode: fields.errorCode,
        ambiguous: fields.ambiguous,
      } as const;
      if (result === "sent" || result === "failed") return journal.writeDurable(entry).then(() => true, () => false);
      state.lazyOutcome = journal.write(entry);
      return journal.failed === undefined;
    };

    if (http.kind === "error") {
      if (http.final) {
        if (!(await finish("failed", { status: null, errorCode: http.code, ambiguous: false }))) return this.unjournaled(state);
        return this.fail(state);
      }
      if (http.ambiguous) {
        state.ambiguousAttempts++;
        recordAttempt(null);
      }
      const result = state.failures + 1 >= this.maxAttempts ? "failed" : "retry";
      if (!(await finish(result, { status: null, errorCode: http.code, ambiguous: http.ambiguous }))) return this.unjournaled(state);
      return this.afterRetryable(state);
    }
    const answer = classifyStatus(http.status);
    // Scrubbed of the key and bounded before anything of it is journaled, reported or counted.
    const { id, code, type, message } = readAnswerBody(http.body, [this.options.apiKey]);
    const errorCode = code ?? `HTTP_${http.status}`;
    switch (answer) {
      case "sent": {
        this.governor.onAnswered();
        recordAttempt(id);
        if (!(await finish("sent", { status: http.status, messageId: id, errorCode: null, ambiguous: false }))) return this.unjournaled(state);
        this.summary.sent++;
        if (state.fallback) this.summary.fallbacks++;
        const duplicated = this.notePossibleDuplicate(item.key, state.ambiguousAttempts + 1);
        this.record(item.key, state.form, "sent", state, { messageId: id, possiblyDuplicated: duplicated });
        this.settled(false);
        return "done";
      }
      case "rate-limited": {
        this.summary.rateLimited++;
        this.governor.onRateLimited(http.retryAfterMs ?? 1000);
        state.rateLimited++;
        if (state.rateLimited >= MAX_RATE_LIMITED_PER_RECIPIENT) {
          if (!(await finish("failed", { status: http.status, errorCode, errorMessage: message, ambiguous: false }))) return this.unjournaled(state);
          return this.fail(state);
        }
        if (!(await finish("retry", { status: http.status, errorCode, errorMessage: message, ambiguous: false }))) return this.unjournaled(state);
        return "again-now";
      }
      case "retryable": {
        this.governor.onAnswered();
        this.serverErrors++;
        // A 5xx may come after the server accepted the message (see docs/sending.md).
        state.ambiguousAttempts++;
        recordAttempt(null);
        const result = state.failures + 1 >= this.maxAttempts ? "failed" : "retry";
        if (!(await finish(result, { status: http.status, errorCode, errorMessage: message, ambiguous: true }))) return this.unjournaled(state);
        return this.afterRetryable(state);
      }
      case "final": {
        this.governor.onAnswered();
        if (state.form === "session" && WINDOW_ERROR_CODES.has(errorCode) && item.template && !state.fallback) {
          if (!(await finish("fallback", { status: http.status, errorCode, errorMessage: message, ambiguous: false }))) return this.unjournaled(state);
          state.form = "template";
          state.fallback = true;
          return "again-now";
        }
        if (!(await finish("failed", { status: http.status, errorCode, errorMessage: message, ambiguous: false }))) return this.unjournaled(state);
        if (errorCode === OPTED_OUT_CODE) await this.optedOut(item.key);
        if (isAuthenticationFailure(http.status, type)) this.halt(`stopped: the API refused the key (HTTP ${http.status} ${errorCode})`);
        return this.fail(state);
      }
    }
  }

  /**
   * The journal could not take an intent: its request never left. The run stops (nothing may go
   * out unjournaled); a recipient with earlier attempts is cut short, one without is not attempted.
   */
  private journalFailed(state: Attempting): "done" {
    this.halt(`stopped: ${this.ctx.journal?.failed?.message ?? "the journal could not be written"}`);
    if (state.attempts === 0) {
      this.summary.notAttempted++;
      return "done";
    }
    this.interrupt(state);
    return "done";
  }

  /**
   * The request went out but the journal could not take its outcome: a resume reads the
   * recipient as unknown (an intent without an outcome), and so does this run's summary, whatever
   * the answer was, so that the two never disagree.
   */
  private unjournaled(state: Attempting, lastAttemptCounted = true): "done" {
    this.halt(`stopped: ${this.ctx.journal?.failed?.message ?? "the journal could not be written"}`);
    this.summary.unknown++;
    this.summary.unknownKeys.push(this.ctx.display(state.item.key));
    // The attempt whose outcome is lost may have been accepted; one already counted as ambiguous
    // (a 5xx whose retry outcome was lost) is not counted twice.
    const duplicated = this.notePossibleDuplicate(state.item.key, state.ambiguousAttempts + (lastAttemptCounted ? 1 : 0));
    this.record(state.item.key, state.form, "unknown", state, { possiblyDuplicated: duplicated });
    return "done";
  }

  /** Connectly says the customer opted out: no later send should request them again. */
  private async optedOut(key: string): Promise<void> {
    const number = recipientOfKey(key);
    const onOptedOut = this.options.facts?.onOptedOut;
    if (number === undefined || !onOptedOut) return;
    try {
      await onOptedOut(number);
      this.summary.optedOut++;
    } catch (e) {
      this.summary.suppressionError ??= `the suppression list could not take an opted-out number: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private afterRetryable(state: Attempting): "done" | "again-later" {
    state.failures++;
    if (state.failures >= this.maxAttempts) return this.fail(state);
    return "again-later";
  }

  private fail(state: Attempting): "done" {
    const code = state.lastErrorCode ?? "unknown-error";
    this.summary.failed++;
    countCode(this.summary.failedByCode, code);
    const duplicated = this.notePossibleDuplicate(state.item.key, state.ambiguousAttempts);
    this.record(state.item.key, state.form, "failed", state, { possiblyDuplicated: duplicated });
    this.settled(true);
    return "done";
  }

  /**
   * A recipient may have received the message more than once when the accepted-for-sure
   * attempt (a success) and the maybe-accepted ones add up to two or more. Listed, never hidden.
   */
  private notePossibleDuplicate(key: string, deliveries: number): boolean {
    const duplicated = deliveries >= 2;
    if (duplicated) {
      this.summary.possiblyDuplicated++;
      this.summary.possiblyDuplicatedKeys.push(this.ctx.display(key));
    }
    return duplicated;
  }

  private settled(failed: boolean): void {
    this.finished++;
    if (failed && tooManyFailures(this.maxFailures, this.summary.failed, this.finished)) {
      this.halt(`stopped early: ${describeMaxFailures(this.maxFailures)}`);
    }
  }
}
