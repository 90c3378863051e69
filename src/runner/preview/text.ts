import type { MediaCard, RenderedMessage, RichText, SessionView, SmsView, TemplateButtonView, TemplateCustomerView, TemplateView } from "./model.js";
import { sentWhat, smsCostLine, smsPieces, ucs2Note } from "./model.js";
import type { Styled, StyledLine } from "./terminal.js";
import { displayWidth, padLine, paintLine, safeTerminalText, wrapStyled } from "./terminal.js";

/**
 * The terminal view (`--format text`) and the plain transcript that `msgc diff` compares.
 * Both come from the same lines: the view draws them in a box with colours, the transcript
 * labels them one per line so a change shows as one changed line.
 */

export interface TextOptions {
  color: boolean;
  /** The terminal's columns; the rules and bubbles fit them (default PREVIEW_WIDTH.default). */
  width?: number;
}

/**
 * Columns the view takes: its rules are this wide and its bubbles 4 narrower. Without a terminal
 * (a pipe, a file, a golden test) the default keeps the output the same everywhere. A bubble
 * under 20 columns wraps every other word; one over 96 is no longer a phone's.
 */
export const PREVIEW_WIDTH = { default: 60, min: 24, max: 100 } as const;

interface Layout {
  rule: number;
  /** Columns inside a bubble, between its borders and their padding. */
  inner: number;
}

function layoutFor(width: number | undefined): Layout {
  const wanted = width !== undefined && Number.isFinite(width) ? Math.floor(width) : PREVIEW_WIDTH.default;
  const rule = Math.min(PREVIEW_WIDTH.max, Math.max(PREVIEW_WIDTH.min, wanted));
  return { rule, inner: rule - 8 };
}

interface Block {
  /** Lines inside the bubble. */
  inside: StyledLine[];
  /** Lines under the bubble: reply buttons, the list's sheet, callback data. */
  below: StyledLine[];
}

type Mode = "view" | "transcript";

function t(text: string, style: Omit<Styled, "text"> = {}): Styled {
  return { ...style, text: safeTerminalText(text) };
}

function rich(text: RichText, color: boolean): Styled[] {
  if (!color) return [t(text.raw)];
  return text.spans.map((s) => t(s.text, { bold: s.bold === true, italic: s.italic === true, strike: s.strike === true, mono: s.mono === true }));
}

function indent(mode: Mode, width: number): string {
  return mode === "view" ? " ".repeat(width) : "";
}

function label(mode: Mode, name: string): Styled[] {
  return mode === "transcript" ? [t(`${name}: `, { dim: true })] : [];
}

function mediaLines(card: MediaCard, mode: Mode, color: boolean, name: string): StyledLine[] {
  const lines: StyledLine[] = [[...label(mode, name), t(`[${card.type}] `, { color: "blue" }), t(card.filename ?? card.url)]];
  if (card.filename !== undefined) lines.push([...label(mode, `${name} url`), t(card.url, { dim: true })]);
  if (card.caption) lines.push([...label(mode, "caption"), ...rich(card.caption, color)]);
  return lines;
}

function sessionBlock(view: SessionView, mode: Mode, color: boolean): Block {
  const inside: StyledLine[] = [];
  const below: StyledLine[] = [];
  if (view.header?.kind === "text") inside.push([...label(mode, "header"), t(view.header.text, { bold: true })]);
  if (view.header?.kind === "media") inside.push(...mediaLines(view.header.media, mode, color, "header"));
  if (view.attachment) inside.push(...mediaLines(view.attachment, mode, color, "attachment"));
  if (view.location) {
    const loc = view.location;
    inside.push([...label(mode, "location"), t("[location] ", { color: "blue" }), t(loc.name ?? "pin")]);
    if (loc.address !== undefined) inside.push([...label(mode, "address"), t(loc.address)]);
    inside.push([...label(mode, "coordinates"), t(`${loc.latitude}, ${loc.longitude}`, { dim: true })]);
  }
  if (view.product) {
    inside.push([...label(mode, "product"), t("[product] ", { color: "blue" }), t(view.product.productRetailerId), t(` (catalog ${view.product.catalogId})`, { dim: true })]);
  }
  if (view.body) inside.push([...label(mode, "text"), ...rich(view.body, color)]);
  if (view.footer !== undefined) inside.push([...label(mode, "footer"), t(view.footer, { dim: true })]);
  if (view.list) {
    inside.push([...label(mode, "list button"), t(`☰ ${view.list.button}`, { color: "cyan" })]);
    for (const section of view.list.sections) {
      if (section.title !== undefined) below.push([...label(mode, "section"), t(`${indent(mode, 2)}${section.title}`, { bold: true })]);
      for (const row of section.rows) {
        const line: StyledLine = [...label(mode, "row"), t(`${indent(mode, 4)}○ `), t(row.text)];
        if (row.description !== undefined) line.push(t(`: ${row.description}`, { dim: true }));
        below.push(line);
      }
    }
  }
  if (view.buttons) {
    const line: StyledLine = [...label(mode, "buttons")];
    view.buttons.forEach((b, i) => line.push(t(i === 0 ? "" : "  "), t(`[ ${b.text} ]`, { color: "cyan" })));
    below.push(line);
  }
  if (view.callbackData !== undefined) below.push([t("callbackData: ", { dim: true }), t(JSON.stringify(view.callbackData), { dim: true })]);
  return { inside, below };
}

/** A template button's face: an icon for what tapping it does, and where it goes. */
export function templateButtonFace(button: TemplateButtonView): { icon: string; text: string; target?: string } {
  const icon = { url: "↗", quick_reply: "↩", phone: "☎", copy_code: "❐", otp: "❐" }[button.type];
  return { icon, text: button.text, ...(button.target !== undefined ? { target: button.target } : {}) };
}

/** A template form as the customer sees it: header, body and footer with the values in, then the buttons. */
function customerBlock(view: TemplateCustomerView, callbackData: unknown, mode: Mode, color: boolean): Block {
  const inside: StyledLine[] = [];
  const below: StyledLine[] = [];
  if (view.header?.kind === "text") inside.push([...label(mode, "header"), t(view.header.text, { bold: true })]);
  if (view.header?.kind === "media") inside.push(...mediaLines(view.header.media, mode, color, "header"));
  inside.push([...label(mode, "text"), ...rich(view.body, color)]);
  if (view.footer !== undefined) inside.push([...label(mode, "footer"), t(view.footer, { dim: true })]);
  for (const button of view.buttons) {
    const face = templateButtonFace(button);
    const line: StyledLine = [...label(mode, "button"), t(`[ ${face.icon} ${face.text} ]`, { color: "cyan" })];
    if (face.target !== undefined) line.push(t(` ${face.target}`, { dim: true }));
    below.push(line);
  }
  if (callbackData !== undefined) below.push([t("callbackData: ", { dim: true }), t(JSON.stringify(callbackData), { dim: true })]);
  return { inside, below };
}

function templateBlock(view: TemplateView, mode: Mode, color: boolean): Block {
  if (view.customer) return customerBlock(view.customer, view.callbackData, mode, color);
  const inside: StyledLine[] = [];
  const below: StyledLine[] = [];
  if (view.header?.kind === "text") inside.push([t("header: ", { dim: true }), t(view.header.text, { bold: true })]);
  if (view.header?.kind === "media") inside.push(...mediaLines(view.header.media, "transcript", color, "header"));
  for (const p of [...view.body, ...view.buttons, ...view.other]) inside.push([t(`${p.label} = `, { dim: true }), t(p.value)]);
  if (inside.length === 0) inside.push([t("(no parameters)", { dim: true })]);
  if (mode === "view") below.push([t("the template's own text is stored at Meta; these are the parameters sent", { dim: true })]);
  if (view.callbackData !== undefined) below.push([t("callbackData: ", { dim: true }), t(JSON.stringify(view.callbackData), { dim: true })]);
  return { inside, below };
}

function sessionTitle(view: SessionView): string {
  let title = `session form · to ${view.recipient}`;
  if (view.sender !== undefined) title += ` · from ${view.sender}`;
  if (view.campaignName !== undefined) title += ` · campaign ${view.campaignName}`;
  return title;
}

function smsTitle(view: SmsView): string {
  let title = `SMS · to ${view.recipient}`;
  if (view.sender !== undefined) title += ` · from ${view.sender}`;
  if (view.campaignName !== undefined) title += ` · campaign ${view.campaignName}`;
  return title;
}

/** Plain text: asterisks stay asterisks. The characters that forced UCS-2 are marked. */
function smsBlock(view: SmsView, mode: Mode, color: boolean): Block {
  const text: StyledLine = [...label(mode, "text")];
  for (const piece of smsPieces(view)) text.push(t(piece.text, piece.ucs2 && color ? { color: "red", bold: true } : {}));
  const below: StyledLine[] = [[t(smsCostLine(view), { dim: true })]];
  const note = ucs2Note(view);
  if (note) below.push([t(note, { color: "yellow" })]);
  if (view.callbackData !== undefined) below.push([t("callbackData: ", { dim: true }), t(JSON.stringify(view.callbackData), { dim: true })]);
  return { inside: [text], below };
}

function templateTitle(view: TemplateView): string {
  const category = view.customer ? ` ${view.customer.category}` : "";
  let title = `template form · ${view.name} (${view.language}${category}) · to ${view.recipient}`;
  if (view.sender !== undefined) title += ` · from ${view.sender}`;
  if (view.campaignName !== undefined) title += ` · campaign ${view.campaignName}`;
  return title;
}

export function subjectTitle(message: RenderedMessage): string {
  const s = message.subject;
  if (s.kind === "sample") return `${s.message} · sample ${s.sample}`;
  return `${s.campaign} · ${s.row === undefined ? "" : `row ${s.row} · `}${s.recipient}`;
}

function drawBox(block: Block, color: boolean, inner: number): string[] {
  const out: string[] = [];
  const border = (s: string): string => paintLine([{ text: s, dim: true }], color);
  out.push(border(`╭${"─".repeat(inner + 2)}╮`));
  for (const paragraph of block.inside) {
    for (const line of wrapStyled(paragraph, inner)) {
      out.push(`${border("│")} ${paintLine(padLine(line, inner), color)} ${border("│")}`);
    }
  }
  out.push(border(`╰${"─".repeat(inner + 2)}╯`));
  for (const line of block.below) out.push(` ${paintLine(line, color)}`);
  return out;
}

function formHeading(title: string, sent: boolean, color: boolean): string {
  return paintLine([{ text: safeTerminalText(title), bold: true }, ...(sent ? [{ text: "  ◀ goes out", color: "green" as const }] : [])], color);
}

/** One message as a terminal view. */
export function formatMessageText(message: RenderedMessage, opts: TextOptions): string {
  const { color } = opts;
  const layout = layoutFor(opts.width);
  const title = ` ${safeTerminalText(subjectTitle(message))} `;
  const lines: string[] = [
    paintLine([{ text: `━━${title}${"━".repeat(Math.max(3, layout.rule - 2 - displayWidth(title)))}`, bold: true }], color),
    paintLine([{ text: safeTerminalText(message.spec), dim: true }], color),
    paintLine([{ text: `sends ${sentWhat(message)}: `, dim: false }, { text: message.reason, dim: true }], color),
  ];
  if (message.sms) {
    lines.push("", formHeading(smsTitle(message.sms), true, color));
    lines.push(...drawBox(smsBlock(message.sms, "view", color), color, layout.inner));
  }
  if (message.session) {
    lines.push("", formHeading(sessionTitle(message.session), message.form === "session", color));
    lines.push(...drawBox(sessionBlock(message.session, "view", color), color, layout.inner));
  }
  if (message.template) {
    lines.push("", formHeading(templateTitle(message.template), message.form === "template", color));
    lines.push(...drawBox(templateBlock(message.template, "view", color), color, layout.inner));
  }
  return lines.join("\n");
}

/** Every message, one after another; ends with a newline. */
export function formatPreviewText(messages: readonly RenderedMessage[], opts: TextOptions, totals: readonly { campaign: string; summary: string }[] = []): string {
  const head = totals.map((t) => `${safeTerminalText(`Campaign "${t.campaign}": ${t.summary}`)}\n`).join("") + (totals.length > 0 ? "\n" : "");
  if (messages.length === 0) return `${head}Nothing to preview: no message samples and no campaign rows.\n`;
  return `${head}${messages.map((m) => formatMessageText(m, opts)).join("\n\n")}\n`;
}

/**
 * A plain, unwrapped, one-fact-per-line rendering of what the customer sees, for diffs.
 * Key and spec path are left out: they are the diff's headings.
 */
export function formatTranscript(message: RenderedMessage): string[] {
  const lines: string[] = [message.sms ? `sent: SMS (${message.reason})` : `form sent: ${message.form} (${message.reason})`];
  const emit = (block: Block): void => {
    for (const line of [...block.inside, ...block.below]) lines.push(paintLine(line, false));
  };
  if (message.sms) {
    lines.push(`[${smsTitle(message.sms)}]`);
    emit(smsBlock(message.sms, "transcript", false));
  }
  if (message.session) {
    lines.push(`[${sessionTitle(message.session)}]`);
    emit(sessionBlock(message.session, "transcript", false));
  }
  if (message.template) {
    lines.push(`[${templateTitle(message.template)}]`);
    emit(templateBlock(message.template, "transcript", false));
  }
  return lines;
}
