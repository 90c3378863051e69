import type { SendMessageBody } from "../types/send-message.generated.js";
import type { SendTemplateBody } from "../types/send-template.generated.js";

export type { SendMessageBody, SendTemplateBody };

export type WindowMode = "auto" | "session" | "template";
export type Form = "session" | "template";

export const SESSION_PATH = "/v1/businesses/{businessId}/send/messages";
export const TEMPLATE_PATH = "/v1/businesses/{businessId}/send/whatsapp_templated_messages";

/** The recipient placeholder used in message sample plans. */
export const RECIPIENT_PLACEHOLDER = "{recipient}";

export interface PlanRequest<B> {
  method: "POST";
  path: string;
  body: B;
}

/**
 * One compiled send. Key order is fixed (key, spec, window, lastInboundAt, template, session) so
 * that serialized plans are byte-for-byte deterministic.
 */
export interface PlanItem {
  /** `<campaign>/<E.164>` or `<message>/sample:<sample>`; stable across runs. */
  key: string;
  /** Project-relative path of the spec that produced it. */
  spec: string;
  window: WindowMode;
  /** ISO 8601, or null when unknown. */
  lastInboundAt: string | null;
  template?: PlanRequest<SendTemplateBody>;
  session?: PlanRequest<SendMessageBody>;
}

/** Which form goes out for an item at time `now` (the 24-hour rule). */
export function chooseForm(item: PlanItem, now: number): Form {
  if (item.window === "session" || !item.template) return "session";
  if (item.window === "template" || !item.session) return "template";
  if (item.lastInboundAt === null) return "template";
  const last = Date.parse(item.lastInboundAt);
  if (Number.isNaN(last)) return "template";
  return now - last < 24 * 60 * 60 * 1000 && last <= now ? "session" : "template";
}
