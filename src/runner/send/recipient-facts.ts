/**
 * What the store knows about recipients that changes a send (docs/tracking.md): who opted out,
 * and when each customer last wrote. Loaded once before the send as plain maps (opt-outs are few
 * compared to audiences; inbound is the last 24 hours only), so the send itself never waits on
 * the database per recipient.
 */
import { recipientOfKey } from "../../compiler/plan.js";

export interface RecipientFacts {
  /** Suppressed numbers (E.164) and why: never requested, counted as `suppressed`. */
  suppressed?: ReadonlyMap<string, { reason: string }>;
  /**
   * `suppression: ignore` (messages the customer asked for, such as a one-time code): suppressed
   * numbers are sent to, and a journal's earlier `suppressed` entries settle nothing.
   */
  ignoreSuppression?: boolean;
  /** When each customer last wrote (ISO 8601), for `window: auto`: the later of this and the audience column wins. */
  inbound?: ReadonlyMap<string, string>;
  /** Connectly answered that the customer opted out: suppresses the number (in the store). */
  onOptedOut?: (number: string) => Promise<void>;
}

/** Why the key's number is suppressed now, or undefined when it is not (or suppression is ignored). */
export function suppressionOf(facts: RecipientFacts | undefined, key: string): string | undefined {
  if (!facts?.suppressed || facts.ignoreSuppression) return undefined;
  const number = recipientOfKey(key);
  return number === undefined ? undefined : facts.suppressed.get(number)?.reason;
}

/** The store's last inbound time for the key's number, if it has one. */
export function inboundOf(facts: RecipientFacts | undefined, key: string): string | undefined {
  if (!facts?.inbound) return undefined;
  const number = recipientOfKey(key);
  return number === undefined ? undefined : facts.inbound.get(number);
}
