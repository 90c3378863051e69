/**
 * SMS on the session endpoint: `channelType: "sms"` on the recipient (and the sender, when
 * there is one), `message.text` only, no 24-hour window. A sandbox started without the SMS
 * channel is a business without an SMS number.
 */
import { SMS_CHANNEL_TYPE } from "../compiler/plan.js";
import { countSegments } from "../compiler/segments.js";
import { invalidRequest, type Rejection } from "./errors.js";
import { checkCallbackData, isE164 } from "./validate.js";

export type SandboxChannel = "whatsapp" | "sms";
export const SANDBOX_CHANNELS: readonly SandboxChannel[] = ["whatsapp", "sms"];

const ENVELOPE_KEYS = new Set(["sender", "recipient", "message", "campaignName", "callbackData"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** True when the body asks for the SMS channel on its recipient or its sender. */
export function isSmsRequest(body: unknown): boolean {
  if (!isObject(body)) return false;
  const recipient = body["recipient"];
  const sender = body["sender"];
  return (isObject(recipient) && recipient["channelType"] === SMS_CHANNEL_TYPE) || (isObject(sender) && sender["channelType"] === SMS_CHANNEL_TYPE);
}

/** Checks an SMS body; on success, its text. */
export function checkSmsBody(body: Record<string, unknown>, channels: ReadonlySet<SandboxChannel>): Rejection | { text: string } {
  if (!channels.has("sms")) {
    return invalidRequest("ERROR_CODE_BUSINESS_MISSES_MATCHING_CHANNEL", "The business has no SMS number", { field: "recipient.channelType" });
  }
  for (const key of Object.keys(body)) {
    if (!ENVELOPE_KEYS.has(key)) return invalidRequest("ERROR_CODE_INVALID_ARGUMENT", `${key} is not a field of an SMS`, { field: key });
  }
  const recipient = body["recipient"];
  if (!isObject(recipient) || recipient["channelType"] !== SMS_CHANNEL_TYPE) {
    return invalidRequest("ERROR_CODE_INVALID_ARGUMENT", `recipient.channelType must be "${SMS_CHANNEL_TYPE}" when the sender's is`, { field: "recipient.channelType" });
  }
  if (typeof recipient["id"] !== "string" || !isE164(recipient["id"])) {
    return invalidRequest("ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "recipient.id is not an E.164 number", { field: "recipient.id" });
  }
  const sender = body["sender"];
  if (sender !== undefined) {
    if (!isObject(sender) || sender["channelType"] !== SMS_CHANNEL_TYPE) {
      return invalidRequest("ERROR_CODE_INVALID_ARGUMENT", `sender.channelType must be "${SMS_CHANNEL_TYPE}" when the recipient's is`, { field: "sender.channelType" });
    }
    if (typeof sender["id"] !== "string" || !isE164(sender["id"])) {
      return invalidRequest("ERROR_CODE_INVALID_SENDER_ID", "sender.id is not an E.164 number", { field: "sender.id" });
    }
  }
  const message = body["message"];
  if (!isObject(message) || Object.keys(message).some((k) => k !== "text")) {
    return invalidRequest("ERROR_CODE_INVALID_ARGUMENT", "an SMS message has text only", { field: "message" });
  }
  const text = message["text"];
  if (typeof text !== "string" || text.trim() === "") return invalidRequest("ERROR_CODE_MESSAGE_TEXT_EMPTY", "message.text is empty", { field: "message.text" });
  if (body["campaignName"] !== undefined && typeof body["campaignName"] !== "string") {
    return invalidRequest("ERROR_CODE_INVALID_ARGUMENT", "campaignName must be a string", { field: "campaignName" });
  }
  const tooLarge = checkCallbackData(body);
  if (tooLarge) return tooLarge;
  return { text };
}

export function segmentsOf(text: string): number {
  return countSegments(text).segments;
}
