import type { SendMessageBody } from "../types/send-message.generated.js";
import type { SendTemplateBody } from "../types/send-template.generated.js";

export type { SendMessageBody, SendTemplateBody };

export type WindowMode = "auto" | "session" | "template";
export type Form = "session" | "template";
export type Channel = "whatsapp" | "sms";

/**
 * Connectly's `channelType` for SMS. Unconfirmed: no readable example shows it; `"sms"` is
 * lowercase like `"whatsapp"`. The one place to change it.
 */
export const SMS_CHANNEL_TYPE = "sms";

export const SESSION_PATH = "/v1/businesses/{businessId}/send/messages";
export const TEMPLATE_PATH = "/v1/businesses/{businessId}/send/whatsapp_templated_messages";

/** The recipient placeholder used in message sample plans. */
export const RECIPIENT_PLACEHOLDER = "{recipient}";

export interface PlanRequest<B> {
  method: "POST";
  path: string;
  body: B;
}

/** The session envelope with SMS channel types and text only; key order as in the session body. */
export interface SendSmsBody {
  sender?: { id: string; channelType: typeof SMS_CHANNEL_TYPE };
  recipient: { id: string; channelType: typeof SMS_CHANNEL_TYPE };
  message: { text: string };
  campaignName?: string;
  callbackData?: unknown;
}

/**
 * One compiled send. Key order is fixed (key, spec, window, lastInboundAt, template, session) so
 * that serialized plans are byte-for-byte deterministic. An SMS item is (key, spec, channel, sms):
 * no window applies to it.
 */
export interface PlanItem {
  /** `<campaign>/<E.164>` or `<message>/sample:<sample>`; stable across runs. */
  key: string;
  /** Project-relative path of the spec that produced it. */
  spec: string;
  /** Only on SMS items; WhatsApp items carry none, so that their plans stay as they were. */
  channel?: "sms";
  /** Absent on SMS items. */
  window?: WindowMode;
  /** ISO 8601, or null when unknown; absent on SMS items. */
  lastInboundAt?: string | null;
  template?: PlanRequest<SendTemplateBody>;
  session?: PlanRequest<SendMessageBody>;
  sms?: PlanRequest<SendSmsBody>;
}

/**
 * Which form goes out for an item at time `now` (the 24-hour rule). An SMS item goes to the
 * session endpoint with no window: journals record it as the session form.
 */
export function chooseForm(item: PlanItem, now: number): Form {
  if (item.sms) return "session";
  if (item.window === "session" || !item.template) return "session";
  if (item.window === "template" || !item.session) return "template";
  if (item.lastInboundAt === null || item.lastInboundAt === undefined) return "template";
  const last = Date.parse(item.lastInboundAt);
  if (Number.isNaN(last)) return "template";
  return now - last < 24 * 60 * 60 * 1000 && last <= now ? "session" : "template";
}

/**
 * The number a plan item goes to: the last segment of its key (`<campaign>/<E.164>`,
 * `<message>/<E.164>` for one message to one number); undefined for a sample's key.
 */
export function recipientOfKey(key: string): string | undefined {
  const number = key.slice(key.lastIndexOf("/") + 1);
  return number.startsWith("+") ? number : undefined;
}

/**
 * The item with its last inbound time the later of its own (the audience column) and `known`
 * (when the customer last wrote, from the store). Decided at send time like the clock, so the
 * plan (and its hash, which a resume checks) does not change as customers write.
 */
export function withLastInbound(item: PlanItem, known: string | undefined): PlanItem {
  if (known === undefined || item.sms || item.window === undefined) return item;
  const knownAt = Date.parse(known);
  if (Number.isNaN(knownAt)) return item;
  const ownAt = item.lastInboundAt ? Date.parse(item.lastInboundAt) : Number.NaN;
  if (!Number.isNaN(ownAt) && ownAt >= knownAt) return item;
  return { ...item, lastInboundAt: known };
}
