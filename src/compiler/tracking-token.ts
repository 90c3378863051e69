/**
 * The msgc token: put in every request's `callbackData` at send time as `"msgc": "<token>"`.
 * Connectly echoes callbackData in the webhooks of that message, so an event is tied to its
 * recipient and attempt even when the send never saw the answer.
 *
 * It hashes the run (campaign and the journal's first start time, so a later run of the same
 * campaign gets other tokens), the plan key, the form and the attempt number. A resumed run
 * reads the same start time from the journal header, so it computes the same tokens for the
 * attempts an earlier run made.
 */
import { createHash } from "node:crypto";

/** Characters a token takes: 16 base64url characters (96 bits). */
export const TRACKING_TOKEN_LENGTH = 16;
/** The callbackData field that carries it. */
export const TRACKING_FIELD = "msgc";
/** Bytes the field adds to a callbackData object at most: `,"msgc":"<16>"`. */
export const TRACKING_FIELD_BYTES = `,"${TRACKING_FIELD}":""`.length + TRACKING_TOKEN_LENGTH;

export interface TrackingScope {
  campaign: string;
  /** The first header's `startedAt` of the journal. */
  startedAt: string;
}

export function trackingToken(scope: TrackingScope, key: string, form: "session" | "template", attempt: number): string {
  return createHash("sha256")
    .update(`msgc-token\u0000${scope.campaign}\u0000${scope.startedAt}\u0000${key}\u0000${form}\u0000${attempt}`)
    .digest("base64url")
    .slice(0, TRACKING_TOKEN_LENGTH);
}
