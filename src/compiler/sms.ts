/**
 * The `sms` form: plain text through the session endpoint with SMS channel types. Its checks are
 * about the bill: empty text, more segments than allowed, and UCS-2 caused only by characters
 * that look like GSM-7 ones (a curly quote can double the segments of a million messages).
 */
import type { JsonPath } from "../diagnostics.js";
import type { SmsOverride } from "../types/message.generated.js";
import { compileCallbackData, Fields, renderText, type CompileContext, type Origin, type RenderContext } from "./forms.js";
import type { Report } from "./limits.js";
import { SMS_CHANNEL_TYPE, type SendSmsBody } from "./plan.js";
import { countSegments, lookalikesOnly, nonGsmCharacters, type SmsEncoding } from "./segments.js";

export const DEFAULT_MAX_SEGMENTS = 3;

/** What one rendered SMS text costs, and why it is UCS-2 when only look-alikes made it so. */
export interface SmsInfo {
  segments: number;
  encoding: SmsEncoding;
  characters: number;
  /** The look-alikes (0-based UTF-16 index in the text) when they alone made the text UCS-2. */
  lookalikes?: { chars: Array<{ char: string; index: number }>; gsmSegments: number };
}

export interface SmsBuilder {
  sender: string | undefined;
  /** A text without interpolation: checked (and its look-alikes reported) at compile time. */
  literal: boolean;
  /** Renders the text, reporting empty text and too many segments as errors. */
  text: (rc: RenderContext) => { text: string; info: SmsInfo };
  callbackData?: (rc: RenderContext) => unknown;
}

export function compileSms(sms: SmsOverride, origin: Origin, cc: CompileContext): SmsBuilder | undefined {
  const before = cc.diagnostics.length;
  const maxSegments = sms.maxSegments ?? DEFAULT_MAX_SEGMENTS;
  const fields = new Fields(cc);
  const textPath = origin(["text"]);
  const field = fields.optional(sms.text ?? "", textPath);
  const callbackData = compileCallbackData(sms.callbackData, origin(["callbackData"]), cc, fields);
  if (!fields.ok || !field || cc.diagnostics.length > before) return undefined;

  let text: SmsBuilder["text"];
  if (field.text.literal) {
    // Checked once here, where the look-alikes can be pointed at in the source.
    const value = field.text.render({}, undefined);
    const info = measureSms(value, maxSegments, textPath, (code, message, path) => {
      cc.diagnostics.push({ code, severity: "error", message, file: cc.file, path });
    });
    if (info.lookalikes) {
      const first = info.lookalikes.chars[0] as { index: number };
      cc.diagnostics.push({ code: "sms-unicode-lookalike", severity: "warning", message: describeLookalikes(info), file: cc.file, path: textPath, offset: first.index });
    }
    if (cc.diagnostics.length > before && cc.diagnostics.slice(before).some((d) => d.severity === "error")) return undefined;
    text = () => ({ text: value, info });
  } else {
    text = (rc) => {
      const value = renderText(field, rc);
      return { text: value, info: measureSms(value, maxSegments, textPath, rc.report) };
    };
  }
  const builder: SmsBuilder = { sender: sms.sender, literal: field.text.literal, text };
  if (callbackData) builder.callbackData = callbackData;
  return builder;
}

function measureSms(value: string, maxSegments: number, path: JsonPath, report: Report): SmsInfo {
  if (value.trim() === "") {
    report("sms-text-empty", "sms.text is empty", path);
    return { segments: 0, encoding: "GSM-7", characters: 0 };
  }
  const count = countSegments(value);
  const info: SmsInfo = { segments: count.segments, encoding: count.encoding, characters: count.characters };
  if (count.segments > maxSegments) {
    report("sms-too-many-segments", `${count.segments} segments (${count.encoding}, ${count.characters} characters); at most ${maxSegments}`, path);
  }
  if (count.encoding === "UCS-2") {
    const lookalikes = lookalikesOnly(value);
    if (lookalikes) info.lookalikes = lookalikes;
  }
  return info;
}

/** `UCS-2 only because of ’ (character 3) and “ (character 9): 2 segments as UCS-2, 1 segment in GSM-7` */
export function describeLookalikes(info: SmsInfo): string {
  const found = info.lookalikes;
  if (!found) return "";
  const shown = found.chars.slice(0, 5).map((c) => `${visible(c.char)} (character ${c.index + 1})`);
  const more = found.chars.length > 5 ? ` and ${found.chars.length - 5} more` : "";
  const list = shown.length > 1 && !more ? `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}` : shown.join(", ") + more;
  const plural = (n: number): string => `${n} segment${n === 1 ? "" : "s"}`;
  return `sms.text is UCS-2 only because of ${list}: ${plural(info.segments)} as UCS-2, ${plural(found.gsmSegments)} in GSM-7`;
}

function visible(char: string): string {
  return char === "\u00A0" ? "U+00A0 (no-break space)" : char;
}

/** The distinct characters that forced UCS-2, in order of appearance. */
export function ucs2Culprits(text: string): string[] {
  return [...new Set(nonGsmCharacters(text).map((c) => c.char))];
}

export function smsBody(builder: SmsBuilder, rc: RenderContext, input: { recipient: string; campaignName?: string | undefined }): { body: SendSmsBody; info: SmsInfo } {
  const rendered = builder.text(rc);
  const body = {} as SendSmsBody;
  // Only the sms form's own sender: the message's and campaign's are WhatsApp numbers.
  if (builder.sender !== undefined) body.sender = { id: builder.sender, channelType: SMS_CHANNEL_TYPE };
  body.recipient = { id: input.recipient, channelType: SMS_CHANNEL_TYPE };
  body.message = { text: rendered.text };
  if (input.campaignName !== undefined) body.campaignName = input.campaignName;
  if (builder.callbackData) body.callbackData = builder.callbackData(rc);
  return { body, info: rendered.info };
}
