/**
 * Builds the status model in two streaming passes. The journals are replayed first into their
 * compact per-recipient state (about 30 bytes a recipient, see journal-replay.ts); then the
 * store's sends stream past in key order, each recipient's sends joined with its journal history;
 * last, the journals are read again for the recipients the store never heard of (failed at send,
 * unknown, not finished, or sent in a batch of records a kill dropped: those are joined with their
 * events by message id and token), a bitmap by journal id saying which were already counted. Nothing per
 * recipient is kept beyond that state and the bitmap.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { SendOutcome, Store } from "../../store/store.js";
import { STATUS_RANK } from "../../store/store.js";
import { readFirstHeader } from "../send/journal-family.js";
import { JournalState } from "../send/journal-replay.js";
import type { KeyHistory } from "../send/journal-replay.js";
import { parseJournalEntry } from "../send/journal.js";
import { describeErrorCode } from "./error-codes.js";
import type { FailureCount, RecipientRow, RecipientState, Resolution, StatusModel } from "./model.js";
import { emptyStatusModel } from "./model.js";
import { TimelineCounter } from "./timeline.js";
import { DEFAULT_GRACE_MS, maybeDuplicated, resolveFromEvents } from "../tracking/resolve.js";
import { journaledSuccess, LOOKUP_BATCH, outcomesFromEvents } from "../tracking/journaled-sends.js";
import type { JournaledSuccess } from "../tracking/journaled-sends.js";

/**
 * Settles a recipient's uncertainty (an unknown outcome, a possible duplicate). The default
 * reads the journal and the recorded sends only; events resolve more (tracking.md).
 */
export type Resolver = (row: RecipientRow, history: KeyHistory | undefined, sends: readonly SendOutcome[]) => Resolution | null | Promise<Resolution | null>;

export interface CollectOptions {
  campaign: string;
  /** The campaign's journals (every shard layout); missing files are skipped. */
  journals: readonly string[];
  store?: Store;
  /** The journal paths and store location as shown to people. */
  sources: StatusModel["sources"];
  /** Now, in ms: event times later than a day past it are not plotted (a webhook's own clock). */
  now: number;
  /** Each recipient as it is joined (the `--report` file); awaited when it returns a promise. */
  onRecipient?: (row: RecipientRow) => void | Promise<void>;
  resolve?: Resolver;
  /** With a store: how long webhooks may take before silence proves an attempt was not accepted (default 30 minutes). */
  graceMs?: number;
  /** Every request of the campaign carried the msgc token (default true; `track: false` says otherwise). */
  tracked?: boolean;
}

const DAY = 24 * 60 * 60 * 1000;
/** Distinct error codes counted one by one. */
const MAX_CODES = 200;
const OTHER_CODES = "(other codes)";

/**
 * From the journal and the store's sends alone: two accepted attempts are a duplicate for sure,
 * and an unknown attempt with a status under its token was sent.
 */
export const resolveFromJournal: Resolver = (row, _history, sends) => {
  if (row.possiblyDuplicated) return sends.filter(wasAccepted).length >= 2 ? "duplicated" : "uncertain";
  if (row.unknown) return row.sentAt !== null ? "sent" : "uncertain";
  return null;
};

export async function collectStatus(options: CollectOptions): Promise<StatusModel> {
  const journal = new JournalState();
  try {
    const ordered = orderJournals(options.journals);
    for (const path of ordered) journal.replay(path);
    const tally = new Tally(options.campaign, options.sources, options.now);
    if (options.store && !options.resolve) tally.resolvedFromEvents();
    const resolve = options.resolve ?? (options.store ? await eventResolver(journal, options) : resolveFromJournal);
    const seen = new Uint8Array(journal.size);
    const visit = async (key: string, sends: SendOutcome[], fromEvents = false): Promise<void> => {
      const id = journal.keyId(key);
      if (id >= 0) seen[id] = 1;
      const history = id >= 0 ? journal.history(key) : undefined;
      const row = joinRecipient(key, history, sends, journal, options.onRecipient !== undefined);
      // Events do not say which channel a message went by, nor does the journal.
      if (fromEvents) row.channel = null;
      row.resolution = await resolve(row, history, sends);
      tally.add(row);
      const written = options.onRecipient?.(row);
      if (written) await written;
    };

    if (options.store) {
      const store = options.store;
      // A recipient whose earlier attempts the store has (a 5xx, a timeout) but not the success a
      // kill dropped: rare, so looked up one at a time.
      const visitStored = async (key: string, sends: SendOutcome[]): Promise<void> => {
        const success = journal.history(key)?.sent === true && !sends.some((s) => s.send.messageId !== null) ? journaledSuccess(journal, key) : undefined;
        const found = success ? (await outcomesFromEvents(store, options.campaign, new Map([[key, success]]))).get(key) : undefined;
        await (found ? visit(key, [...sends, found], true) : visit(key, sends));
      };
      let key: string | undefined;
      let group: SendOutcome[] = [];
      for await (const outcome of store.campaignOutcomes(options.campaign)) {
        if (outcome.send.key !== key) {
          if (key !== undefined) await visitStored(key, group);
          key = outcome.send.key;
          group = [];
        }
        group.push(outcome);
      }
      if (key !== undefined) await visitStored(key, group);
    }

    // A success the store has no send row for (a kill dropped the recorder's last batch) is
    // joined with its events by message id and token, a batch of recipients at a time.
    let waiting: string[] = [];
    const visitWaiting = async (): Promise<void> => {
      const successes = new Map<string, JournaledSuccess>();
      for (const key of waiting) {
        const success = journaledSuccess(journal, key);
        if (success) successes.set(key, success);
      }
      const outcomes = successes.size > 0 ? await outcomesFromEvents(options.store!, options.campaign, successes) : new Map<string, SendOutcome>();
      for (const key of waiting) {
        const outcome = outcomes.get(key);
        await visit(key, outcome ? [outcome] : [], outcome !== undefined);
      }
      waiting = [];
    };
    for (const path of ordered) {
      for await (const key of journalKeys(path)) {
        const id = journal.keyId(key);
        if (id < 0 || seen[id] === 1) continue;
        if (!options.store) {
          await visit(key, []);
          continue;
        }
        seen[id] = 1;
        waiting.push(key);
        if (waiting.length >= LOOKUP_BATCH) await visitWaiting();
      }
    }
    if (waiting.length > 0) await visitWaiting();
    return tally.finish();
  } finally {
    journal.close();
  }
}

/**
 * What webhook events settle (the resolution `send --resume` uses: an unknown attempt whose token
 * has events was sent; two attempts with events are a duplicate, one alone past the grace period is
 * not), falling back to the journal's own reading for the rest.
 */
async function eventResolver(journal: JournalState, options: CollectOptions): Promise<Resolver> {
  const resolved = await resolveFromEvents(journal, options.store!, {
    now: options.now,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    tracked: options.tracked ?? true,
  });
  return (row, history, sends) => {
    const byEvents = resolved.get(row.key);
    if (row.unknown && byEvents?.sent) return "sent";
    if (row.possiblyDuplicated && byEvents?.duplicates && byEvents.duplicates !== "uncertain") return byEvents.duplicates;
    return resolveFromJournal(row, history, sends);
  };
}

/** The journals that hold a header, in the order their runs started (as a resume replays them). */
function orderJournals(paths: readonly string[]): string[] {
  const started: Array<{ path: string; at: string }> = [];
  for (const path of paths) {
    const header = readFirstHeader(path);
    if (header) started.push({ path, at: header.startedAt });
  }
  return started.sort((a, b) => a.at.localeCompare(b.at) || a.path.localeCompare(b.path)).map((j) => j.path);
}

/** Every key a journal mentions, in the order it does (repeats included). Replay checked the lines. */
async function* journalKeys(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === "") continue;
    const entry = parseJournalEntry(line);
    // A last line cut short by a kill is ignored, as replay ignores it.
    if (typeof entry === "string" || entry.type === "header") continue;
    yield entry.key;
  }
}

/** It got a message id; or its answer was lost, and events under its token show it went out. */
function wasAccepted(outcome: SendOutcome): boolean {
  return outcome.send.messageId !== null || outcome.furthest !== null || outcome.failed !== null;
}

function earliest(a: string | null, b: string | undefined): string | null {
  if (b === undefined) return a;
  return a === null || b < a ? b : a;
}

/** One recipient from what its journal history and its recorded sends say. */
export function joinRecipient(key: string, history: KeyHistory | undefined, sends: readonly SendOutcome[], journal: JournalState, wantDetail: boolean): RecipientRow {
  let rank = 0;
  let failed: SendOutcome["failed"] = null;
  let deliveredAt: string | null = null;
  let readAt: string | null = null;
  let sentAt: string | null = null;
  let latest: SendOutcome | undefined;
  let accepted = 0;
  let attempts = history?.attempts ?? 0;
  for (const outcome of sends) {
    attempts = Math.max(attempts, outcome.send.attempt);
    if (latest === undefined || outcome.send.attempt >= latest.send.attempt) latest = outcome;
    if (!wasAccepted(outcome)) continue;
    accepted++;
    sentAt = earliest(sentAt, outcome.send.at);
    if (outcome.furthest !== null) rank = Math.max(rank, STATUS_RANK[outcome.furthest]);
    failed ??= outcome.failed;
    // A read message was delivered even when its delivered webhook never came.
    deliveredAt = earliest(deliveredAt, outcome.firstAt.delivered ?? outcome.firstAt.read);
    readAt = earliest(readAt, outcome.firstAt.read);
  }
  const sent = accepted > 0 || history?.sent === true;
  let state: RecipientState;
  if (rank === STATUS_RANK.read) state = "read";
  else if (rank === STATUS_RANK.delivered) state = "delivered";
  else if (failed !== null) state = "delivery-failed";
  else if (rank === STATUS_RANK.sent) state = "sent";
  else if (sent) state = "no-status";
  // A run skipped the number (the suppression list) and no run sent it.
  else if (history?.suppressed === true) state = "suppressed";
  else if (history === undefined || history.unknown) state = "unknown";
  else if (history.last === "failed") state = "failed";
  else state = "not-finished";

  let errorCode: string | null = state === "delivery-failed" ? (failed?.errorCode ?? "unknown-error") : null;
  let messageId = latest?.send.messageId ?? null;
  // The journal is read again only for what the counts need (a failure's code), or for a report.
  const unsent = state === "failed" || state === "not-finished" || state === "unknown";
  if (history !== undefined && (state === "failed" || (wantDetail && (unsent || messageId === null)))) {
    const outcome = journal.lastOutcome(key);
    if (unsent) errorCode = outcome?.errorCode ?? (state === "failed" ? "unknown-error" : null);
    if (sent) messageId ??= outcome?.messageId ?? null;
  }
  // The send never heard back (an intent without an outcome, an attempt without a message id),
  // whether or not events have shown since that it went out.
  const unknown = history !== undefined ? history.unknown && !history.sent : sends.every((s) => s.send.messageId === null);
  const possiblyDuplicated = accepted >= 2 || (history !== undefined && maybeDuplicated(history));
  const forms = new Set(sends.map((s) => s.send.form));
  return {
    key,
    state,
    channel: latest?.send.channel ?? null,
    form: history?.form ?? latest?.send.form ?? null,
    attempts,
    messageId,
    errorCode,
    fallback: history?.fallback === true || forms.size > 1,
    sentAt,
    deliveredAt: state === "read" || state === "delivered" ? deliveredAt : null,
    readAt: state === "read" ? readAt : null,
    failedAt: state === "delivery-failed" ? (failed?.at ?? null) : null,
    unknown,
    possiblyDuplicated,
    resolution: null,
  };
}

class Tally {
  private readonly model: StatusModel;
  private readonly failures = new Map<string, FailureCount>();
  private readonly timeline = new TimelineCounter();

  constructor(campaign: string, sources: StatusModel["sources"], private readonly now: number) {
    this.model = emptyStatusModel(campaign, sources);
  }

  resolvedFromEvents(): void {
    this.model.resolution.source = "events";
  }

  add(row: RecipientRow): void {
    const m = this.model;
    const f = m.funnel;
    f.planned++;
    switch (row.state) {
      case "read":
      case "delivered":
        // A read message was delivered.
        if (row.state === "read") f.read++;
        f.delivered++;
        f.sent++;
        break;
      case "sent":
        f.sent++;
        break;
      case "no-status":
        f.sent++;
        f.noStatus++;
        break;
      case "delivery-failed":
        f.sent++;
        f.failed++;
        this.fail(row.errorCode ?? "unknown-error", "delivery");
        break;
      case "failed":
        f.failed++;
        this.fail(row.errorCode ?? "unknown-error", "send");
        break;
      case "unknown":
        f.unknown++;
        break;
      case "not-finished":
        f.notFinished++;
        break;
      case "suppressed":
        f.suppressed++;
        break;
    }
    if (row.fallback) m.fallbacks++;
    if (row.channel === "sms" && row.sentAt !== null) m.sms.recipients++;
    if (row.possiblyDuplicated) m.possiblyDuplicated++;
    const r = m.resolution;
    if (row.unknown) {
      if (row.resolution === "sent") r.unknown.sent++;
      else r.unknown.uncertain++;
    }
    if (row.possiblyDuplicated) {
      if (row.resolution === "duplicated") r.possiblyDuplicated.duplicated++;
      else if (row.resolution === "not-duplicated") r.possiblyDuplicated.notDuplicated++;
      else r.possiblyDuplicated.uncertain++;
    }
    this.plot("delivered", row.deliveredAt, row.sentAt);
    this.plot("read", row.readAt, row.sentAt);
  }

  /** Times from a webhook's own clock a day before the send or a day after now are not plotted. */
  private plot(kind: "delivered" | "read", at: string | null, sentAt: string | null): void {
    if (at === null) return;
    const time = Date.parse(at);
    if (!Number.isFinite(time) || time > this.now + DAY) return;
    if (sentAt !== null && time < Date.parse(sentAt) - DAY) return;
    this.timeline.add(kind, at);
  }

  private fail(code: string, stage: FailureCount["stage"]): void {
    // Codes come from webhook bodies: past a few hundred distinct ones the rest are one row.
    const kept = this.failures.size < MAX_CODES || this.failures.has(`${stage}\u0000${code}`);
    const shown = kept ? code : OTHER_CODES;
    const id = `${stage}\u0000${shown}`;
    const known = this.failures.get(id);
    if (known) known.count++;
    else this.failures.set(id, { code: shown, meaning: kept ? (describeErrorCode(code) ?? null) : `codes past the first ${MAX_CODES}`, stage, count: 1 });
  }

  finish(): StatusModel {
    this.model.failures = [...this.failures.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code) || a.stage.localeCompare(b.stage));
    this.model.timeline = this.timeline.finish();
    return this.model;
  }
}
