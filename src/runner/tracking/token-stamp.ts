/**
 * Putting the msgc token in a request's `callbackData`, at send time only: build output stays
 * deterministic. A callbackData that is not an object (or already has a `msgc` field, or has no
 * room left under Connectly's 1024 bytes) is sent exactly as written: that message is tracked by
 * its message id only.
 */
import { TRACKING_FIELD } from "../../compiler/tracking-token.js";
import { tokenRoom } from "../../compiler/tracking-room.js";

/** The request body as sent: with the token in its callbackData when it can carry one. */
export function stampToken(body: { callbackData?: unknown }, token: string): { json: string; stamped: boolean } {
  if (tokenRoom(body.callbackData) !== "carries") return { json: JSON.stringify(body), stamped: false };
  const callbackData = { ...(body.callbackData as Record<string, unknown> | undefined), [TRACKING_FIELD]: token };
  return { json: JSON.stringify({ ...body, callbackData }), stamped: true };
}
