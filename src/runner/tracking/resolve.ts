/**
 * Unknown outcomes resolved from webhook events. The journal knows what a send saw; the store
 * knows what Connectly said afterwards, tied to each attempt by the msgc token in callbackData
 * (and to a success by its message id). `send --resume` and `msgc status` both ask here.
 *
 * - An attempt with no recorded success whose token has events was accepted: the recipient is
 *   **sent** (never resent, even with --retry-unknown).
 * - A recipient whose attempts may add up to two deliveries is **duplicated** when events show two
 *   of its attempts, **not duplicated** when only one attempt has events and every attempt is
 *   older than the grace period (webhooks come late, never that late), else still **uncertain**.
 */
import type { Form } from "../../compiler/plan.js";
import { trackingToken } from "../../compiler/tracking-token.js";
import type { TrackingScope } from "../../compiler/tracking-token.js";
import type { EventRecord, Store } from "../../store/store.js";
import type { JournalState, KeyHistory } from "../send/journal-replay.js";

/** How long webhooks of an accepted message may take to arrive: 30 minutes. */
export const DEFAULT_GRACE_MS = 30 * 60_000;

/** Attempts looked at per recipient, the latest ones (a run makes a handful; a damaged journal may claim billions). */
const MAX_ATTEMPTS_LOOKED_AT = 256;
/** Tokens or message ids per store query. */
const QUERY_BATCH = 500;
/** Tokens looked up per group of recipients. */
const GROUP_TOKENS = 4096;
const FORMS: readonly Form[] = ["session", "template"];

export type DuplicateResolution = "duplicated" | "not-duplicated" | "uncertain";

export interface KeyResolution {
  /**
   * Set when the journal knows of no success but events show an attempt was accepted: the
   * recipient is sent. The attempt is the earliest one with events.
   */
  sent: { attempt: number; form: Form; token: string | null; messageId: string | null } | null;
  /** For a recipient whose attempts may add up to two deliveries; null when they cannot. */
  duplicates: DuplicateResolution | null;
}

export interface ResolveOptions {
  /** Epoch ms. */
  now: number;
  graceMs: number;
  /**
   * Every request of the campaign carried the token. Otherwise an attempt's silence proves
   * nothing, so no recipient is found "not duplicated" (events found still count).
   */
  tracked: boolean;
}

/** Whether the journal's attempts for this key may add up to two deliveries. */
export function maybeDuplicated(h: KeyHistory): boolean {
  return h.ambiguousAttempts + (h.unknown ? 1 : 0) + (h.sent ? 1 : 0) >= 2;
}

interface Candidate {
  key: string;
  history: KeyHistory;
  /** The attempt that succeeded and its message id, when the journal has one. */
  success: { attempt: number; messageId: string | null } | null;
  /** Attempts with events. */
  seen: Map<number, { form: Form; token: string | null; messageId: string | null }>;
}

/**
 * Resolves every uncertain recipient of the replayed journals. Only recipients with something to
 * resolve are in the answer. Rejects when the store does: the caller decides what that costs.
 */
export async function resolveFromEvents(state: JournalState, store: Store, options: ResolveOptions): Promise<Map<string, KeyResolution>> {
  const resolutions = new Map<string, KeyResolution>();
  const scopes = scopesOf(state);
  const settledSince = Math.max(0, ...state.files.map((f) => f.writtenAt));
  const graceOver = options.now - settledSince >= options.graceMs;
  // In groups of a few thousand tokens: a campaign whose every request timed out has a million
  // candidates, and their tokens are not all held at once.
  let group: Candidate[] = [];
  let tokens = 0;
  const resolveGroup = async (): Promise<void> => {
    await findEvents(group, scopes, store);
    for (const candidate of group) {
      const resolution = resolveCandidate(candidate, { graceOver, tracked: options.tracked });
      if (resolution) resolutions.set(candidate.key, resolution);
    }
    group = [];
    tokens = 0;
  };
  for (const key of state.uncertainKeys()) {
    const history = state.history(key);
    if (!history) continue;
    const unresolvedSend = !history.sent && (history.unknown || history.ambiguousAttempts > 0);
    if (!unresolvedSend && !maybeDuplicated(history)) continue;
    let success: Candidate["success"] = null;
    if (history.sent) {
      const outcome = state.lastOutcome(key);
      if (outcome?.result === "sent") success = { attempt: outcome.attempt, messageId: outcome.messageId };
    }
    group.push({ key, history, success, seen: new Map() });
    tokens += Math.min(history.attempts, MAX_ATTEMPTS_LOOKED_AT) * scopes.length * FORMS.length;
    if (tokens >= GROUP_TOKENS) await resolveGroup();
  }
  if (group.length > 0) await resolveGroup();
  return resolutions;
}

/** Fills each candidate's `seen`: the attempts that events are about, by token or by message id. */
async function findEvents(candidates: readonly Candidate[], scopes: readonly TrackingScope[], store: Store): Promise<void> {
  // Every token the candidates' attempts may have carried: one per scope, form and attempt. Looked
  // for even when not every request carried one: an event found is proof, only silence is not.
  const byToken = new Map<string, { candidate: Candidate; attempt: number; form: Form }>();
  for (const candidate of candidates) {
    const last = candidate.history.attempts;
    for (let attempt = Math.max(1, last - MAX_ATTEMPTS_LOOKED_AT + 1); attempt <= last; attempt++) {
      for (const scope of scopes) {
        for (const form of FORMS) byToken.set(trackingToken(scope, candidate.key, form, attempt), { candidate, attempt, form });
      }
    }
  }
  for (const events of await inBatches([...byToken.keys()], (batch) => store.eventsByTokens(batch))) {
    for (const event of events) {
      const match = event.token === null ? undefined : byToken.get(event.token);
      if (!match) continue;
      const seen = match.candidate.seen.get(match.attempt);
      if (!seen || (seen.messageId === null && event.messageId !== null)) {
        match.candidate.seen.set(match.attempt, { form: match.form, token: event.token, messageId: event.messageId });
      }
    }
  }
  // A success whose message could not carry the token is still known by its message id.
  const byMessageId = new Map<string, Candidate>();
  for (const candidate of candidates) if (candidate.success?.messageId) byMessageId.set(candidate.success.messageId, candidate);
  for (const events of await inBatches([...byMessageId.keys()], (ids) => store.eventsByMessageIds(ids))) {
    for (const event of events) {
      const candidate = event.messageId === null ? undefined : byMessageId.get(event.messageId);
      if (candidate?.success && !candidate.seen.has(candidate.success.attempt)) {
        candidate.seen.set(candidate.success.attempt, { form: candidate.history.form ?? "session", token: event.token, messageId: event.messageId });
      }
    }
  }
}

function resolveCandidate(candidate: Candidate, options: { graceOver: boolean; tracked: boolean }): KeyResolution | undefined {
  const { history, seen } = candidate;
  let sent: KeyResolution["sent"] = null;
  if (!history.sent && seen.size > 0) {
    const attempt = Math.min(...seen.keys());
    const first = seen.get(attempt)!;
    sent = { attempt, form: first.form, token: first.token, messageId: first.messageId };
  }
  // The attempts known accepted: those with events, and the journal's success (a 200 is
  // accepted whether or not its events have come). A success the journal cannot place may be
  // one of the attempts with events.
  const accepted = new Set(seen.keys());
  if (candidate.success) accepted.add(candidate.success.attempt);
  const placed = !history.sent || candidate.success !== null;
  let duplicates: DuplicateResolution | null = null;
  if (maybeDuplicated(history) || accepted.size >= 2) {
    if (accepted.size >= 2) duplicates = "duplicated";
    else if (accepted.size === 1 && placed && options.graceOver && options.tracked && !history.untracked) duplicates = "not-duplicated";
    else duplicates = "uncertain";
  }
  return sent !== null || duplicates !== null ? { sent, duplicates } : undefined;
}

/** The run of each journal: its campaign and first start (what the tokens of its attempts hash). */
function scopesOf(state: JournalState): TrackingScope[] {
  const scopes = new Map<string, TrackingScope>();
  for (const file of state.files) {
    const first = file.headers[0];
    if (first) scopes.set(`${first.campaign}\u0000${first.startedAt}`, { campaign: first.campaign, startedAt: first.startedAt });
  }
  return [...scopes.values()];
}

async function inBatches<T>(items: readonly T[], query: (batch: T[]) => Promise<EventRecord[]>): Promise<EventRecord[][]> {
  const results: EventRecord[][] = [];
  for (let i = 0; i < items.length; i += QUERY_BATCH) results.push(await query(items.slice(i, i + QUERY_BATCH)));
  return results;
}
