import type { Diagnostic } from "../../diagnostics.js";
import { escapeHtml, markdownCode, markdownFence, markdownText } from "./escape.js";
import { failureLines, summarizeFailures } from "./failures.js";
import type { MediaCard, RenderedMessage, RichText, SessionView, SmsView, TemplateCustomerView, TemplateView } from "./model.js";
import { smsCostLine, smsPieces, ucs2Note } from "./model.js";
import { subjectTitle, templateButtonFace } from "./text.js";

/** `--format markdown`: the preview as a pull-request comment. */

export function markdownRich(text: RichText): string {
  return text.spans
    .map((s) => {
      let out = s.mono ? `<code>${escapeHtml(s.text).replace(/\r?\n/g, "<br>")}</code>` : markdownText(s.text);
      if (s.strike) out = `<s>${out}</s>`;
      if (s.italic) out = `<i>${out}</i>`;
      if (s.bold) out = `<b>${out}</b>`;
      return out;
    })
    .join("");
}

function mediaMarkdown(card: MediaCard): string[] {
  const lines = [`📎 **${card.type}** ${card.filename === undefined ? "" : `${markdownText(card.filename)} `}${markdownCode(card.url)}`];
  if (card.caption) lines.push(markdownRich(card.caption));
  return lines;
}

/** A blockquote in which each entry is its own line (a blank entry starts a new paragraph). */
function quote(lines: string[]): string {
  return lines
    .map((l, i) => {
      if (l === "") return ">";
      const next = lines[i + 1];
      return `> ${l}${next === undefined || next === "" ? "" : "<br>"}`;
    })
    .join("\n");
}

function sessionMarkdown(view: SessionView): string[] {
  const bubble: string[] = [];
  if (view.header?.kind === "text") bubble.push(`**${markdownText(view.header.text)}**`);
  if (view.header?.kind === "media") bubble.push(...mediaMarkdown(view.header.media));
  if (view.attachment) bubble.push(...mediaMarkdown(view.attachment));
  if (view.location) {
    const loc = view.location;
    const name = loc.name === undefined ? "" : ` ${markdownText(loc.name)}`;
    const address = loc.address === undefined ? "" : `, ${markdownText(loc.address)}`;
    bubble.push(`📍 **location**${name}${address} (${loc.latitude}, ${loc.longitude})`);
  }
  if (view.product) bubble.push(`🛍️ **product** ${markdownCode(view.product.productRetailerId)} in catalog ${markdownCode(view.product.catalogId)}`);
  if (view.body) bubble.push(markdownRich(view.body));
  if (view.footer !== undefined) bubble.push(`<sub>${markdownText(view.footer)}</sub>`);
  if (view.list) bubble.push("", `☰ **${markdownText(view.list.button)}**`);
  if (view.buttons) bubble.push("", view.buttons.map((b) => `\`[\` ${markdownText(b.text)} \`]\``).join(" "));
  const out = [quote(bubble)];
  if (view.list) {
    const sheet: string[] = [];
    for (const section of view.list.sections) {
      if (section.title !== undefined) sheet.push(`- **${markdownText(section.title)}**`);
      for (const row of section.rows) {
        const description = row.description === undefined ? "" : `: ${markdownText(row.description)}`;
        sheet.push(`${section.title === undefined ? "" : "  "}- ${markdownText(row.text)}${description} <sub>${markdownCode(row.id)}</sub>`);
      }
    }
    out.push("", `List sheet behind **${markdownText(view.list.button)}**:`, "", ...sheet);
  }
  if (view.callbackData !== undefined) out.push("", `callbackData: ${markdownCode(JSON.stringify(view.callbackData))}`);
  return out;
}

/** Plain text (no WhatsApp formatting); the characters that forced UCS-2 in <mark>. */
function smsMarkdown(view: SmsView): string[] {
  const text = smsPieces(view).map((p) => (p.ucs2 ? `<mark>${markdownText(p.text)}</mark>` : markdownText(p.text))).join("");
  const out = [quote([text]), "", `<sub>${markdownText(smsCostLine(view))}</sub>`];
  const note = ucs2Note(view);
  if (note) out.push("", `⚠️ ${markdownText(note)}`);
  if (view.callbackData !== undefined) out.push("", `callbackData: ${markdownCode(JSON.stringify(view.callbackData))}`);
  return out;
}

function customerMarkdown(view: TemplateCustomerView, callbackData: unknown): string[] {
  const bubble: string[] = [];
  if (view.header?.kind === "text") bubble.push(`**${markdownText(view.header.text)}**`);
  if (view.header?.kind === "media") bubble.push(...mediaMarkdown(view.header.media));
  bubble.push(markdownRich(view.body));
  if (view.footer !== undefined) bubble.push(`<sub>${markdownText(view.footer)}</sub>`);
  if (view.buttons.length > 0) {
    bubble.push("", view.buttons.map((b) => {
      const face = templateButtonFace(b);
      return `\`[\` ${face.icon} ${markdownText(face.text)} \`]\`${face.target === undefined ? "" : ` <sub>${markdownCode(face.target)}</sub>`}`;
    }).join(" "));
  }
  const out = [quote(bubble)];
  if (callbackData !== undefined) out.push("", `callbackData: ${markdownCode(JSON.stringify(callbackData))}`);
  return out;
}

function templateMarkdown(view: TemplateView): string[] {
  if (view.customer) return customerMarkdown(view.customer, view.callbackData);
  const rows: string[] = [];
  if (view.header?.kind === "text") rows.push(`| header | ${markdownText(view.header.text)} |`);
  if (view.header?.kind === "media") {
    const name = view.header.media.filename === undefined ? "" : ` ${markdownText(view.header.media.filename)}`;
    rows.push(`| header ${view.header.media.type} |${name} ${markdownCode(view.header.media.url)} |`);
  }
  for (const p of [...view.body, ...view.buttons, ...view.other]) rows.push(`| ${markdownCode(p.label)} | ${markdownText(p.value)} |`);
  const out = rows.length === 0 ? ["_(no parameters)_"] : ["| parameter | value |", "|---|---|", ...rows];
  out.push("", "<sub>The template's own text is stored at Meta; these are the parameters sent.</sub>");
  if (view.callbackData !== undefined) out.push("", `callbackData: ${markdownCode(JSON.stringify(view.callbackData))}`);
  return out;
}

function formHeading(title: string, sent: boolean): string {
  return `**${title}**${sent ? " ◀ goes out" : ""}`;
}

export function formatMessageMarkdown(message: RenderedMessage, headingLevel = 3): string {
  const out = [
    `${"#".repeat(headingLevel)} ${markdownText(subjectTitle(message))}`,
    "",
    `${markdownCode(message.spec)} · sends ${message.sms ? "the **SMS**" : `the **${message.form}** form`}: ${markdownText(message.reason)}`,
  ];
  if (message.sms) {
    const s = message.sms;
    out.push("", formHeading(`SMS · to ${markdownCode(s.recipient)}${s.sender === undefined ? "" : ` · from ${markdownCode(s.sender)}`}${s.campaignName === undefined ? "" : ` · campaign ${markdownCode(s.campaignName)}`}`, true), "", ...smsMarkdown(s));
  }
  if (message.session) {
    const s = message.session;
    out.push("", formHeading(`Session form · to ${markdownCode(s.recipient)}${s.sender === undefined ? "" : ` · from ${markdownCode(s.sender)}`}${s.campaignName === undefined ? "" : ` · campaign ${markdownCode(s.campaignName)}`}`, message.form === "session"), "", ...sessionMarkdown(s));
  }
  if (message.template) {
    const tv = message.template;
    out.push("", formHeading(`Template form · ${markdownCode(tv.name)} (${markdownText(tv.language)}) · to ${markdownCode(tv.recipient)}${tv.sender === undefined ? "" : ` · from ${markdownCode(tv.sender)}`}${tv.campaignName === undefined ? "" : ` · campaign ${markdownCode(tv.campaignName)}`}`, message.form === "template"), "", ...templateMarkdown(tv));
  }
  return out.join("\n");
}

export function formatPreviewMarkdown(messages: readonly RenderedMessage[], diagnostics: readonly Diagnostic[] = [], totals: readonly { campaign: string; summary: string }[] = []): string {
  const count = messages.length;
  let head = `## msgc preview\n\n${count} message${count === 1 ? "" : "s"} rendered.`;
  if (totals.length > 0) head += `\n\n${totals.map((t) => `- Campaign ${markdownCode(t.campaign)}: ${markdownText(t.summary)}`).join("\n")}`;
  const failures = summarizeFailures(diagnostics);
  if (failures) head += `\n\n⚠️ ${markdownText(failures.headline)}\n\n${markdownFence(failureLines(failures).join("\n"))}`;
  if (count === 0) return `${head}\n`;
  return `${head}\n\n${messages.map((m) => formatMessageMarkdown(m)).join("\n\n---\n\n")}\n`;
}
