/**
 * The journal's successes that the store has no send row for. The recorder writes in batches, so
 * a SIGKILL drops the last one (and a store that failed mid-send missed more): the journal still
 * has those attempts as sent, with their message ids. `msgc status` finds their events by message
 * id and token; `send --resume` records them (docs/tracking.md, Kills).
 */
import { trackingToken } from "../../compiler/tracking-token.js";
import type { EventRecord, SendOutcome, SendRecord, Store } from "../../store/store.js";
import { STATUS_RANK } from "../../store/store.js";
import type { JournalState, KeyHistory } from "../send/journal-replay.js";

/** A success as the journal has it, and the token its request carried (null when none). */
export interface JournaledSuccess {
  form: "session" | "template";
  attempt: number;
  messageId: string | null;
  token: string | null;
}

/** Recipients whose events are looked up per store query. */
export const LOOKUP_BATCH = 500;

/**
 * The token the key's successful attempt carried: the run of the journal holding it hashes it.
 * None when some attempt went without one (an untracked intent): a guessed token that no event
 * carries would hide the events found by message id (the store joins by token first).
 */
function successToken(state: JournalState, key: string, history: KeyHistory, form: JournaledSuccess["form"], attempt: number): string | null {
  const first = state.outcomeFile(key)?.headers[0];
  if (history.untracked || !first) return null;
  return trackingToken({ campaign: first.campaign, startedAt: first.startedAt }, key, form, attempt);
}

/** The key's success from the journal, read again from its outcome line; undefined when it has none. */
export function journaledSuccess(state: JournalState, key: string): JournaledSuccess | undefined {
  const history = state.history(key);
  if (!history?.sent) return undefined;
  const outcome = state.lastOutcome(key);
  if (outcome?.result !== "sent") return undefined;
  return { form: outcome.form, attempt: outcome.attempt, messageId: outcome.messageId, token: successToken(state, key, history, outcome.form, outcome.attempt) };
}

/**
 * Whether a send row is the journal's success of its key: the same attempt and form (a success is
 * a key's last attempt), and not another run's (both carry tokens, and they differ).
 */
function isJournaledSuccess(state: JournalState, row: SendRecord): boolean {
  const history = state.history(row.key);
  if (!history?.sent || row.messageId === null || row.attempt !== history.attempts || row.form !== history.form) return false;
  const token = successToken(state, row.key, history, row.form, row.attempt);
  return row.token === null || token === null || row.token === token;
}

/**
 * Marks, by journal key id, the successes the store has a send row for; the others are the ones
 * to record. Rejects when the store does.
 */
export async function recordedSuccesses(state: JournalState, store: Store, campaign: string): Promise<Uint8Array> {
  const recorded = new Uint8Array(state.size);
  for await (const row of store.campaignSends(campaign)) {
    const id = state.keyId(row.key);
    if (id >= 0 && recorded[id] === 0 && isJournaledSuccess(state, row)) recorded[id] = 1;
  }
  return recorded;
}

/**
 * The outcomes of journaled successes from their events (by token and by message id), as the
 * store's campaignOutcomes would give them had their sends been recorded: the furthest status,
 * each status's first time, the first failure. Keys without events are left out.
 */
export async function outcomesFromEvents(store: Store, campaign: string, successes: ReadonlyMap<string, JournaledSuccess>): Promise<Map<string, SendOutcome>> {
  const byToken = new Map<string, string>();
  const byMessageId = new Map<string, string>();
  for (const [key, success] of successes) {
    if (success.token !== null) byToken.set(success.token, key);
    if (success.messageId !== null) byMessageId.set(success.messageId, key);
  }
  const events = new Map<string, { key: string; event: EventRecord }>();
  const gather = (found: EventRecord[], keyOf: (e: EventRecord) => string | undefined): void => {
    for (const event of found) {
      const key = keyOf(event);
      if (key !== undefined) events.set(`${key}\u0000${event.deliveryId}`, { key, event });
    }
  };
  if (byToken.size > 0) gather(await store.eventsByTokens([...byToken.keys()]), (e) => (e.token === null ? undefined : byToken.get(e.token)));
  // By message id only where the token cannot say otherwise (an event without one, or a success
  // that carried none), as the store joins them.
  if (byMessageId.size > 0) {
    gather(await store.eventsByMessageIds([...byMessageId.keys()]), (e) => {
      const key = e.messageId === null ? undefined : byMessageId.get(e.messageId);
      return key !== undefined && (e.token === null || successes.get(key)!.token === null) ? key : undefined;
    });
  }
  const outcomes = new Map<string, SendOutcome>();
  for (const { key, event } of [...events.values()].sort((a, b) => compareSeen(a.event, b.event))) {
    if (event.status === null) continue;
    const success = successes.get(key)!;
    const seen = seenAt(event);
    let outcome = outcomes.get(key);
    if (!outcome) {
      // When it went out is not in the journal: no later than its first event.
      const send: SendRecord = { key, campaign, channel: "whatsapp", form: success.form, attempt: success.attempt, messageId: success.messageId, token: success.token, at: seen };
      outcome = { send, furthest: null, failed: null, firstAt: {} };
      outcomes.set(key, outcome);
    }
    outcome.firstAt[event.status] ??= seen;
    if (event.status === "delivery_failed") outcome.failed ??= { errorCode: event.errorCode, errorMessage: event.errorMessage, at: seen };
    else if (outcome.furthest === null || STATUS_RANK[event.status] > STATUS_RANK[outcome.furthest]) outcome.furthest = event.status;
  }
  return outcomes;
}

function seenAt(event: EventRecord): string {
  return event.occurredAt ?? event.receivedAt;
}

/** Earliest first, then by delivery id (as the store picks a first failure). */
function compareSeen(a: EventRecord, b: EventRecord): number {
  const x = seenAt(a);
  const y = seenAt(b);
  return x < y ? -1 : x > y ? 1 : a.deliveryId < b.deliveryId ? -1 : a.deliveryId > b.deliveryId ? 1 : 0;
}
