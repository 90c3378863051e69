import type { Form, PlanItem, SendMessageBody, SendSmsBody, SendTemplateBody, WindowMode } from "../../compiler/plan.js";
import { countSegments, type SmsEncoding } from "../../compiler/segments.js";
import { ucs2Culprits } from "../../compiler/sms.js";
import { chooseForm, RECIPIENT_PLACEHOLDER } from "../../compiler/plan.js";
import type { Attachment, Header } from "../../types/send-message.generated.js";
import { maskNumber, maskNumbersIn } from "../../mask.js";
import type { TextSpan } from "./whatsapp-format.js";
import { parseWhatsAppFormatting } from "./whatsapp-format.js";
import type { TemplateSpec } from "../../types/template.generated.js";
import { fillTemplateText } from "../../compiler/template-check.js";
import { OTP_BODY_TEXT } from "../../compiler/template-create.js";

/**
 * The render model: everything a customer would see, derived from the payload bodies alone
 * (the body fully determines the message), plus where it came from and which form goes out.
 * Every text formatter (text, markdown, html, json) works from this model only.
 */

export type MediaType = "image" | "video" | "audio" | "document";

export interface RichText {
  /** The text as sent, markers included. */
  raw: string;
  /** The text as shown, markers applied. */
  spans: TextSpan[];
}

export interface MediaCard {
  type: MediaType;
  url: string;
  filename?: string;
  caption?: RichText;
}

export interface LocationCard {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

export interface ProductCard {
  catalogId: string;
  productRetailerId: string;
}

export interface ListView {
  button: string;
  sections: { title?: string; rows: { id: string; text: string; description?: string }[] }[];
}

export type SessionHeader = { kind: "text"; text: string } | { kind: "media"; media: MediaCard };

export interface SessionView {
  recipient: string;
  sender?: string;
  campaignName?: string;
  header?: SessionHeader;
  body?: RichText;
  footer?: string;
  buttons?: { id: string; text: string }[];
  list?: ListView;
  attachment?: MediaCard;
  location?: LocationCard;
  product?: ProductCard;
  callbackData?: unknown;
}

export type TemplateHeader =
  | { kind: "text"; text: string }
  | { kind: "media"; media: MediaCard };

export interface TemplateParam {
  /** The parameter name as sent (`body_1`, `button_2_url`, …). */
  name: string;
  /** How the template refers to it: `{{1}}` for body_1, `button 1 URL`, `header`. */
  label: string;
  value: string;
}

export interface TemplateView {
  recipient: string;
  sender?: string;
  campaignName?: string;
  name: string;
  language: string;
  header?: TemplateHeader;
  body: TemplateParam[];
  buttons: TemplateParam[];
  /** Parameters whose name msgc does not know (kept so nothing sent is hidden). */
  other: TemplateParam[];
  /** The template as the customer sees it, when its Template spec is known. */
  customer?: TemplateCustomerView;
  callbackData?: unknown;
}

/** A template button as shown: its label and what tapping it does (the URL with its value in, the number, the code). */
export interface TemplateButtonView {
  type: "url" | "quick_reply" | "phone" | "copy_code" | "otp";
  text: string;
  target?: string;
}

export interface TemplateCustomerView {
  category: TemplateSpec["category"];
  header?: TemplateHeader;
  body: RichText;
  footer?: string;
  buttons: TemplateButtonView[];
}

export type Subject =
  | { kind: "sample"; message: string; sample: string }
  | { kind: "recipient"; campaign: string; recipient: string; row?: number };

export interface RenderedMessage {
  key: string;
  spec: string;
  subject: Subject;
  /** Absent on SMS items: no window applies to them. */
  window?: WindowMode;
  lastInboundAt?: string | null;
  /** The form that goes out at `now`, and why. */
  form: Form;
  reason: string;
  session?: SessionView;
  template?: TemplateView;
  sms?: SmsView;
}

/** An SMS: plain text (no WhatsApp formatting), what it costs, and what made it UCS-2. */
export interface SmsView {
  recipient: string;
  sender?: string;
  campaignName?: string;
  text: string;
  segments: number;
  encoding: SmsEncoding;
  characters: number;
  /** The distinct characters outside GSM-7, in order of appearance. */
  ucs2: string[];
  callbackData?: unknown;
}

export interface RenderOptions {
  showNumbers: boolean;
  /** Clock for the 24-hour rule (ms since epoch). */
  now: number;
  /** 1-based audience row, when the item comes from a campaign. */
  row?: number;
  /** The project's Template specs by name: template forms are then shown as the customer sees them. */
  templates?: ReadonlyMap<string, { data: TemplateSpec }>;
}

export function richText(raw: string): RichText {
  return { raw, spans: parseWhatsAppFormatting(raw) };
}

function showNumber(number: string, opts: RenderOptions): string {
  if (opts.showNumbers || number === RECIPIENT_PLACEHOLDER) return number;
  return maskNumber(number);
}

function subjectOf(key: string, opts: RenderOptions): Subject {
  const sampleAt = key.lastIndexOf("/sample:");
  if (sampleAt !== -1) {
    return { kind: "sample", message: key.slice(0, sampleAt), sample: key.slice(sampleAt + "/sample:".length) };
  }
  const slash = key.lastIndexOf("/");
  const recipient = slash === -1 ? key : key.slice(slash + 1);
  const subject: Subject = { kind: "recipient", campaign: slash === -1 ? "" : key.slice(0, slash), recipient: showNumber(recipient, opts) };
  if (opts.row !== undefined) subject.row = opts.row;
  return subject;
}

const HOUR = 60 * 60 * 1000;

function describeAge(ms: number): string {
  if (ms < HOUR) return `${Math.max(0, Math.round(ms / 60000))} min`;
  if (ms < 48 * HOUR) return `${Math.round(ms / HOUR)} h`;
  return `${Math.round(ms / (24 * HOUR))} days`;
}

/** Why `chooseForm` picked what it picked, in words. */
export function explainForm(item: PlanItem, form: Form, now: number): string {
  if (item.sms) return "channel: sms, no 24-hour window";
  if (item.window === "session") return "window: session, so always the session form";
  if (item.window === "template") return "window: template, so always the template form";
  if (!item.template) return "window: auto, but the message has only a session form";
  if (!item.session) return "window: auto, but the message has only a template form";
  if (item.lastInboundAt === null || item.lastInboundAt === undefined) return "window: auto and no lastInboundAt, so outside the 24-hour window";
  const last = Date.parse(item.lastInboundAt);
  if (Number.isNaN(last)) return `window: auto and lastInboundAt "${item.lastInboundAt}" is not a date, so the template form`;
  if (last > now) return `window: auto and lastInboundAt ${item.lastInboundAt} is in the future, so the template form`;
  const age = describeAge(now - last);
  return form === "session"
    ? `window: auto and the last inbound message was ${age} ago, inside the 24-hour window`
    : `window: auto and the last inbound message was ${age} ago, outside the 24-hour window`;
}

function mediaCard(a: Attachment): MediaCard {
  const card: MediaCard = { type: a.type, url: a.url };
  if (a.filename !== undefined) card.filename = a.filename;
  if (a.caption !== undefined) card.caption = richText(a.caption);
  return card;
}

function sessionHeader(header: Header | undefined): SessionHeader | undefined {
  if (!header) return undefined;
  if (header.attachment) return { kind: "media", media: mediaCard(header.attachment) };
  if (header.text !== undefined) return { kind: "text", text: header.text };
  return undefined;
}

export function renderSession(body: SendMessageBody, opts: RenderOptions): SessionView {
  const view: SessionView = { recipient: showNumber(body.recipient.id, opts) };
  if (body.sender) view.sender = body.sender.id;
  if (body.campaignName !== undefined) view.campaignName = body.campaignName;
  const m = body.message;
  const interactive = m.listMessage ?? m.replyButtonMessage;
  const header = sessionHeader(interactive?.header);
  if (header) view.header = header;
  if (m.text !== undefined) view.body = richText(m.text);
  const footer = interactive?.footer?.text ?? m.singleProductMessage?.footer?.text;
  if (footer !== undefined) view.footer = footer;
  if (m.replyButtonMessage) view.buttons = m.replyButtonMessage.buttons.map((b) => ({ id: b.id, text: b.text }));
  if (m.listMessage) {
    view.list = {
      button: m.listMessage.button.text,
      sections: m.listMessage.sections.map((s) => {
        const section: ListView["sections"][number] = {
          rows: s.rows.map((r) => (r.description === undefined ? { id: r.id, text: r.text } : { id: r.id, text: r.text, description: r.description })),
        };
        if (s.title !== undefined) section.title = s.title;
        return section;
      }),
    };
  }
  const attachment = m.attachments?.[0];
  if (attachment) view.attachment = mediaCard(attachment);
  if (m.location) {
    const loc: LocationCard = { latitude: m.location.latitude, longitude: m.location.longitude };
    if (m.location.name !== undefined) loc.name = m.location.name;
    if (m.location.address !== undefined) loc.address = m.location.address;
    view.location = loc;
  }
  if (m.singleProductMessage) {
    view.product = { catalogId: m.singleProductMessage.catalogId, productRetailerId: m.singleProductMessage.productItem.productRetailerId };
  }
  if (body.callbackData !== undefined) view.callbackData = body.callbackData;
  return view;
}

const HEADER_MEDIA: Record<string, MediaType> = { header_image: "image", header_video: "video", header_document: "document" };

export function renderTemplate(body: SendTemplateBody, opts: RenderOptions): TemplateView {
  const view: TemplateView = {
    recipient: showNumber(body.number, opts),
    name: body.templateName,
    language: body.language,
    body: [],
    buttons: [],
    other: [],
  };
  if (body.sender !== undefined) view.sender = body.sender;
  if (body.campaignName !== undefined) view.campaignName = body.campaignName;
  for (const p of body.parameters ?? []) {
    const bodyIndex = /^body_(\d+)$/.exec(p.name);
    const buttonIndex = /^button_(\d+)_url$/.exec(p.name);
    const mediaType = HEADER_MEDIA[p.name];
    if (p.name === "header_text") {
      view.header = { kind: "text", text: p.value };
    } else if (mediaType) {
      const media: MediaCard = { type: mediaType, url: p.value };
      if (p.filename !== undefined) media.filename = p.filename;
      view.header = { kind: "media", media };
    } else if (bodyIndex) {
      view.body.push({ name: p.name, label: `{{${bodyIndex[1]}}}`, value: p.value });
    } else if (buttonIndex) {
      view.buttons.push({ name: p.name, label: `button ${buttonIndex[1]} URL`, value: p.value });
    } else {
      view.other.push({ name: p.name, label: p.name, value: p.value });
    }
  }
  const spec = opts.templates?.get(body.templateName)?.data;
  const language = spec?.languages[body.language];
  if (spec && language) view.customer = customerView(spec, language, body.parameters ?? [], view.header);
  if (body.callbackData !== undefined) view.callbackData = body.callbackData;
  return view;
}

/** `SMS · 2 segments · GSM-7 · 187 characters` */
export function smsCostLine(view: SmsView): string {
  return `SMS · ${view.segments} segment${view.segments === 1 ? "" : "s"} · ${view.encoding} · ${view.characters} character${view.characters === 1 ? "" : "s"}`;
}

/** `UCS-2 because of: ’ (U+2019), 🙂 (U+1F642)`, when the text is UCS-2. */
export function ucs2Note(view: SmsView): string | undefined {
  if (view.ucs2.length === 0) return undefined;
  const shown = view.ucs2.slice(0, 10).map((c) => `${c} (${[...c].map((p) => `U+${p.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`).join(" ")})`);
  return `UCS-2 because of: ${shown.join(", ")}${view.ucs2.length > 10 ? ` and ${view.ucs2.length - 10} more` : ""}`;
}

/** The text cut where the characters that forced UCS-2 are, so that renderers can mark them. */
export function smsPieces(view: SmsView): Array<{ text: string; ucs2: boolean }> {
  if (view.ucs2.length === 0) return [{ text: view.text, ucs2: false }];
  const culprits = new Set(view.ucs2);
  const pieces: Array<{ text: string; ucs2: boolean }> = [];
  for (const char of view.text) {
    const ucs2 = culprits.has(char);
    const last = pieces.at(-1);
    if (last && last.ucs2 === ucs2) last.text += char;
    else pieces.push({ text: char, ucs2 });
  }
  return pieces;
}

/** What goes out, in words: `the SMS` or `the session form`. */
export function sentWhat(message: RenderedMessage): string {
  return message.sms ? "the SMS" : `the ${message.form} form`;
}

function renderSms(body: SendSmsBody, opts: RenderOptions): SmsView {
  const count = countSegments(body.message.text);
  const view: SmsView = {
    recipient: showNumber(body.recipient.id, opts),
    text: body.message.text,
    segments: count.segments,
    encoding: count.encoding,
    characters: count.characters,
    ucs2: ucs2Culprits(body.message.text),
  };
  if (body.sender !== undefined) view.sender = body.sender.id;
  if (body.campaignName !== undefined) view.campaignName = body.campaignName;
  if (body.callbackData !== undefined) view.callbackData = body.callbackData;
  return view;
}

/** Meta's fixed security sentence of authentication templates (English; Meta translates it). */
const OTP_SECURITY = " For your security, do not share this code.";

function customerView(
  spec: TemplateSpec,
  language: TemplateSpec["languages"][string],
  parameters: readonly { name: string; value: string }[],
  sentHeader: TemplateHeader | undefined,
): TemplateCustomerView {
  const value = (name: string) => parameters.find((p) => p.name === name)?.value;
  const otp = language.otp;
  const bodyText = otp ? OTP_BODY_TEXT + (otp.addSecurityRecommendation ? OTP_SECURITY : "") : (language.body?.text ?? "");
  const view: TemplateCustomerView = { category: spec.category, body: richText(fillTemplateText(bodyText, (n) => value(`body_${n}`))), buttons: [] };
  const header = language.header;
  if (header?.text !== undefined) view.header = { kind: "text", text: fillTemplateText(header.text, () => value("header_text")) };
  else if (header && sentHeader?.kind === "media") view.header = sentHeader;
  const footer = otp?.codeExpirationMinutes !== undefined ? `This code expires in ${otp.codeExpirationMinutes} minutes.` : language.footer;
  if (footer !== undefined) view.footer = footer;
  let urlIndex = 0;
  for (const button of language.buttons ?? []) {
    if (button.type === "url" && button.url !== undefined) {
      const takes = /\{\{1\}\}/.test(button.url);
      const filled = takes ? fillTemplateText(button.url, () => value(`button_${++urlIndex}_url`)) : button.url;
      view.buttons.push({ type: "url", text: button.text ?? "", target: filled });
    } else if (button.type === "phone") {
      view.buttons.push({ type: "phone", text: button.text ?? "", ...(button.phone !== undefined ? { target: button.phone } : {}) });
    } else if (button.type === "copy_code") {
      view.buttons.push({ type: "copy_code", text: button.text ?? "Copy offer code", ...(button.example !== undefined ? { target: button.example } : {}) });
    } else {
      view.buttons.push({ type: "quick_reply", text: button.text ?? "" });
    }
  }
  if (otp) view.buttons.push({ type: "otp", text: otp.text ?? (otp.type === "one_tap" ? "Autofill" : "Copy code"), ...(value("body_1") !== undefined ? { target: value("body_1")! } : {}) });
  return view;
}

/** The render model of one plan item. */
export function renderPlanItem(item: PlanItem, opts: RenderOptions): RenderedMessage {
  const form = chooseForm(item, opts.now);
  const rendered = {
    key: opts.showNumbers ? item.key : maskNumbersIn(item.key),
    spec: item.spec,
    subject: subjectOf(item.key, opts),
  } as RenderedMessage;
  // Key order as before for WhatsApp items: the JSON preview is compared byte for byte.
  if (item.window !== undefined) rendered.window = item.window;
  if (item.lastInboundAt !== undefined) rendered.lastInboundAt = item.lastInboundAt;
  rendered.form = form;
  rendered.reason = explainForm(item, form, opts.now);
  if (item.sms) rendered.sms = renderSms(item.sms.body, opts);
  if (item.session) rendered.session = renderSession(item.session.body, opts);
  if (item.template) rendered.template = renderTemplate(item.template.body, opts);
  return rendered;
}
