/**
 * Whether a message's callbackData can carry the msgc token (put in at send time): an object
 * with room under Connectly's 1024 bytes can; anything else is sent as written, and the message
 * is tracked by its message id only, which `validate` says once per message.
 */
import type { Diagnostic, JsonPath } from "../diagnostics.js";
import type { MessageSpec } from "../types/message.generated.js";
import { jsonBytes, LIMITS } from "./limits.js";
import { TRACKING_FIELD, TRACKING_FIELD_BYTES } from "./tracking-token.js";

/** Whether a callbackData can carry the token, and if not, why. */
export type TokenRoom = "carries" | "not-an-object" | "field-taken" | "no-room";

export function tokenRoom(callbackData: unknown): TokenRoom {
  if (callbackData === undefined) return "carries";
  if (callbackData === null || typeof callbackData !== "object" || Array.isArray(callbackData)) return "not-an-object";
  if (Object.hasOwn(callbackData, TRACKING_FIELD)) return "field-taken";
  // `{}` takes the field without the comma.
  const added = Object.keys(callbackData).length === 0 ? TRACKING_FIELD_BYTES - 1 : TRACKING_FIELD_BYTES;
  return jsonBytes(callbackData) + added > LIMITS.callbackDataBytes ? "no-room" : "carries";
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "string" ? "a string" : typeof value === "number" ? "a number" : "a boolean";
}

/** The callbackData of every form and locale of a message, with its spec path, in spec order. */
function callbackDataOf(spec: MessageSpec): Array<{ value: unknown; path: JsonPath }> {
  const found: Array<{ value: unknown; path: JsonPath }> = [];
  const forms = (owner: Partial<Record<"session" | "template" | "sms", { callbackData?: unknown } | undefined>>, at: JsonPath): void => {
    for (const form of ["session", "template", "sms"] as const) {
      const data = owner[form]?.callbackData;
      if (data !== undefined) found.push({ value: data, path: [...at, form, "callbackData"] });
    }
  };
  forms(spec, []);
  for (const [locale, override] of Object.entries(spec.locales ?? {})) forms(override, ["locales", locale]);
  return found;
}

/**
 * One `tracking-unavailable` warning for a message some of whose callbackData cannot carry the
 * token, at the first such place. A callbackData with `{{…}}` in it is sized when rendered: only
 * its kind is checked here (a rendered one with no room is sent without the token).
 */
export function checkTrackingRoom(spec: MessageSpec, file: string): Diagnostic[] {
  for (const { value, path } of callbackDataOf(spec)) {
    const room = tokenRoom(value);
    if (room === "carries") continue;
    if (room === "no-room" && JSON.stringify(value).includes("{{")) continue;
    const why =
      room === "not-an-object"
        ? `callbackData is ${kindOf(value)}, not an object: it cannot carry the msgc token`
        : room === "field-taken"
          ? `callbackData already has a "${TRACKING_FIELD}" field: the msgc token would replace it, so none is added`
          : `callbackData is ${jsonBytes(value)} bytes: with the msgc token (${TRACKING_FIELD_BYTES} bytes more) it would pass Connectly's ${LIMITS.callbackDataBytes}`;
    return [
      {
        code: "tracking-unavailable",
        severity: "warning",
        message: `${why}; this message is tracked by its message id only`,
        file,
        path,
        hint:
          room === "not-an-object"
            ? "Make it an object (its fields are echoed back as they are) so that webhooks tie back to each recipient even when an answer is lost, or set track: false."
            : room === "field-taken"
              ? `Rename the "${TRACKING_FIELD}" field, or set track: false.`
              : `Keep callbackData under ${LIMITS.callbackDataBytes - TRACKING_FIELD_BYTES} bytes, or set track: false.`,
      },
    ];
  }
  return [];
}
