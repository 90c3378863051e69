import type { Diagnostic } from "../../diagnostics.js";
import { escapeHtml, htmlPage } from "./escape.js";
import { failureLines, summarizeFailures } from "./failures.js";
import type { MediaCard, RenderedMessage, RichText, SessionView, SmsView, TemplateCustomerView, TemplateView } from "./model.js";
import { smsCostLine, smsPieces, ucs2Note } from "./model.js";
import { subjectTitle, templateButtonFace } from "./text.js";

/**
 * `--format html`: one self-contained page. Inline CSS only, no script, no external URL is ever
 * loaded (media are drawn as labelled cards, URLs shown as text, never as src or href), and a
 * Content-Security-Policy forbids anything else. Every piece of user text goes through escapeHtml.
 */

const MEDIA_ICON: Record<MediaCard["type"], string> = { image: "▣", video: "▶", audio: "♫", document: "▤" };

function richHtml(text: RichText): string {
  return text.spans
    .map((s) => {
      let out = escapeHtml(s.text);
      if (s.mono) out = `<code>${out}</code>`;
      if (s.strike) out = `<del>${out}</del>`;
      if (s.italic) out = `<em>${out}</em>`;
      if (s.bold) out = `<strong>${out}</strong>`;
      return out;
    })
    .join("");
}

function mediaHtml(card: MediaCard): string {
  const name = card.filename === undefined ? "" : `<span class="media-name">${escapeHtml(card.filename)}</span>`;
  const caption = card.caption ? `<div class="caption">${richHtml(card.caption)}</div>` : "";
  return `<div class="media media-${card.type}"><div class="media-frame"><span class="media-icon" aria-hidden="true">${MEDIA_ICON[card.type]}</span><span class="media-type">${card.type}</span>${name}</div><div class="url">${escapeHtml(card.url)}</div></div>${caption}`;
}

function sessionHtml(view: SessionView): string {
  const parts: string[] = [];
  if (view.header?.kind === "text") parts.push(`<div class="header-text">${escapeHtml(view.header.text)}</div>`);
  if (view.header?.kind === "media") parts.push(mediaHtml(view.header.media));
  if (view.attachment) parts.push(mediaHtml(view.attachment));
  if (view.location) {
    const loc = view.location;
    parts.push(`<div class="location"><div class="map" aria-hidden="true"><span class="pin">⬤</span></div>` +
      (loc.name === undefined ? "" : `<div class="loc-name">${escapeHtml(loc.name)}</div>`) +
      (loc.address === undefined ? "" : `<div class="loc-address">${escapeHtml(loc.address)}</div>`) +
      `<div class="coords">${loc.latitude}, ${loc.longitude}</div></div>`);
  }
  if (view.product) {
    parts.push(`<div class="product"><span class="media-icon" aria-hidden="true">▦</span><div><div class="loc-name">${escapeHtml(view.product.productRetailerId)}</div><div class="coords">catalog ${escapeHtml(view.product.catalogId)}</div></div></div>`);
  }
  if (view.body) parts.push(`<div class="body">${richHtml(view.body)}</div>`);
  if (view.footer !== undefined) parts.push(`<div class="footer">${escapeHtml(view.footer)}</div>`);
  if (view.list) parts.push(`<div class="list-button">☰ ${escapeHtml(view.list.button)}</div>`);
  let html = `<div class="bubble">${parts.join("")}</div>`;
  if (view.buttons) {
    html += `<div class="replies">${view.buttons.map((b) => `<div class="reply" title="id: ${escapeHtml(b.id)}">${escapeHtml(b.text)}</div>`).join("")}</div>`;
  }
  if (view.list) {
    const sections = view.list.sections.map((section) => {
      const title = section.title === undefined ? "" : `<div class="section-title">${escapeHtml(section.title)}</div>`;
      const rows = section.rows.map((row) =>
        `<div class="row"><div><div class="row-text">${escapeHtml(row.text)}</div>${row.description === undefined ? "" : `<div class="row-desc">${escapeHtml(row.description)}</div>`}</div><span class="radio" aria-hidden="true"></span></div>`).join("");
      return `${title}${rows}`;
    }).join("");
    html += `<div class="sheet"><div class="sheet-title">${escapeHtml(view.list.button)}</div>${sections}</div>`;
  }
  if (view.callbackData !== undefined) html += `<div class="callback">callbackData: <code>${escapeHtml(JSON.stringify(view.callbackData))}</code></div>`;
  return html;
}

function customerHtml(view: TemplateView, customer: TemplateCustomerView): string {
  const parts: string[] = [`<div class="tpl-name">template ${escapeHtml(view.name)} <span class="lang">${escapeHtml(view.language)} · ${escapeHtml(customer.category)}</span></div>`];
  if (customer.header?.kind === "text") parts.push(`<div class="header-text">${escapeHtml(customer.header.text)}</div>`);
  if (customer.header?.kind === "media") parts.push(mediaHtml(customer.header.media));
  parts.push(`<div class="body">${richHtml(customer.body)}</div>`);
  if (customer.footer !== undefined) parts.push(`<div class="footer">${escapeHtml(customer.footer)}</div>`);
  let html = `<div class="bubble template">${parts.join("")}</div>`;
  if (customer.buttons.length > 0) {
    html += `<div class="replies">${customer.buttons.map((b) => {
      const face = templateButtonFace(b);
      const target = face.target === undefined ? "" : `<span class="param-value">${escapeHtml(face.target)}</span>`;
      return `<div class="reply tpl-button tpl-${b.type}"><span>${face.icon} ${escapeHtml(face.text)}</span>${target}</div>`;
    }).join("")}</div>`;
  }
  if (view.callbackData !== undefined) html += `<div class="callback">callbackData: <code>${escapeHtml(JSON.stringify(view.callbackData))}</code></div>`;
  return html;
}

function templateHtml(view: TemplateView): string {
  if (view.customer) return customerHtml(view, view.customer);
  const parts: string[] = [`<div class="tpl-name">template ${escapeHtml(view.name)} <span class="lang">${escapeHtml(view.language)}</span></div>`];
  if (view.header?.kind === "text") parts.push(`<div class="param"><span class="param-label">header</span><span class="header-text">${escapeHtml(view.header.text)}</span></div>`);
  if (view.header?.kind === "media") parts.push(mediaHtml(view.header.media));
  const params = [...view.body, ...view.other];
  if (params.length > 0) {
    parts.push(`<div class="params">${params.map((p) => `<div class="param"><span class="param-label">${escapeHtml(p.label)}</span><span class="param-value">${escapeHtml(p.value)}</span></div>`).join("")}</div>`);
  }
  parts.push(`<div class="note">The template's text is stored at Meta; these are the parameters sent.</div>`);
  let html = `<div class="bubble template">${parts.join("")}</div>`;
  if (view.buttons.length > 0) {
    html += `<div class="replies">${view.buttons.map((b) => `<div class="reply url-button"><span>↗ ${escapeHtml(b.label)}</span><span class="param-value">${escapeHtml(b.value)}</span></div>`).join("")}</div>`;
  }
  if (view.callbackData !== undefined) html += `<div class="callback">callbackData: <code>${escapeHtml(JSON.stringify(view.callbackData))}</code></div>`;
  return html;
}

/** Plain text (asterisks stay asterisks); the characters that forced UCS-2 marked. */
function smsHtml(view: SmsView): string {
  const text = smsPieces(view).map((p) => (p.ucs2 ? `<mark class="ucs2">${escapeHtml(p.text)}</mark>` : escapeHtml(p.text))).join("");
  const note = ucs2Note(view);
  return `<div class="bubble sms"><div class="body">${text}</div></div>` +
    `<p class="sms-cost">${escapeHtml(smsCostLine(view))}</p>` +
    (note ? `<p class="sms-cost">${escapeHtml(note)}</p>` : "") +
    (view.callbackData === undefined ? "" : `<p class="sms-cost">callbackData: <code>${escapeHtml(JSON.stringify(view.callbackData))}</code></p>`);
}

function formSection(kind: "session" | "template" | "sms", sent: boolean, title: string, meta: string, chat: string): string {
  const badge = sent ? ` <span class="badge">goes out</span>` : "";
  return `<section class="form form-${kind}${sent ? " sent" : ""}"><h3>${title}${badge}</h3><p class="to">${meta}</p><div class="chat">${chat}</div></section>`;
}

function envelope(recipient: string, sender: string | undefined, campaign: string | undefined): string {
  let meta = `to <code>${escapeHtml(recipient)}</code>`;
  if (sender !== undefined) meta += ` · from <code>${escapeHtml(sender)}</code>`;
  if (campaign !== undefined) meta += ` · campaign <code>${escapeHtml(campaign)}</code>`;
  return meta;
}

function messageHtml(message: RenderedMessage, index: number): string {
  const forms: string[] = [];
  if (message.sms) {
    const s = message.sms;
    forms.push(formSection("sms", true, "SMS", envelope(s.recipient, s.sender, s.campaignName), smsHtml(s)));
  }
  if (message.session) {
    const s = message.session;
    forms.push(formSection("session", message.form === "session", "Session form", envelope(s.recipient, s.sender, s.campaignName), sessionHtml(s)));
  }
  if (message.template) {
    const tv = message.template;
    forms.push(formSection("template", message.form === "template", "Template form", envelope(tv.recipient, tv.sender, tv.campaignName), templateHtml(tv)));
  }
  return `<article class="message" id="message-${index + 1}" data-key="${escapeHtml(message.key)}">` +
    `<header><h2>${escapeHtml(subjectTitle(message))}</h2><p class="meta"><code>${escapeHtml(message.spec)}</code></p>` +
    `<p class="reason">Sends ${message.sms ? "the <b>SMS</b>" : `the <b>${message.form}</b> form`}: ${escapeHtml(message.reason)}</p></header>` +
    `<div class="forms">${forms.join("")}</div></article>`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:#f0f2f5;color:#111b21}
.top{background:#008069;color:#fff;padding:14px 20px}
.top h1{margin:0;font-size:20px}
.top p{margin:4px 0 0;opacity:.85;font-size:13px}
main{max-width:1200px;margin:0 auto;padding:16px}
.message{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12);margin:0 0 18px;padding:14px 16px}
.message>header h2{margin:0 0 4px;font-size:17px;overflow-wrap:anywhere}
.meta,.reason,.to{margin:2px 0;font-size:13px;color:#54656f;overflow-wrap:anywhere}
.forms{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:14px;margin-top:10px}
.form h3{margin:0;font-size:14px}
.badge{background:#25d366;color:#fff;border-radius:9px;padding:1px 8px;font-size:11px;vertical-align:middle}
.chat{background:#efeae2;border-radius:8px;padding:14px 12px;margin-top:6px;min-height:80px}
.bubble{background:#fff;border-radius:0 8px 8px 8px;padding:6px 8px 8px;max-width:360px;box-shadow:0 1px .5px rgba(11,20,26,.13);position:relative;overflow-wrap:anywhere}
.bubble:before{content:"";position:absolute;left:-8px;top:0;border-width:0 8px 10px 0;border-style:solid;border-color:transparent #fff transparent transparent}
.header-text{font-weight:700;margin:2px 0 4px}
.body{white-space:pre-wrap}
mark.ucs2{background:#ffd7a8;color:inherit;border-radius:2px}
.sms-cost{margin:4px 0 0;font-size:12px;color:#54656f}
.body code,.caption code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.footer{color:#667781;font-size:13px;margin-top:4px}
.media{background:#d1d7db;border-radius:6px;margin-bottom:6px;padding:10px}
.media-frame{display:flex;align-items:center;gap:8px;min-height:60px}
.media-icon{font-size:28px}
.media-type{font-weight:600;text-transform:uppercase;font-size:12px;color:#3b4a54}
.media-name{font-weight:600}
.url{font-size:12px;color:#3b4a54;overflow-wrap:anywhere}
.caption{white-space:pre-wrap;margin-bottom:2px}
.location .map{height:90px;border-radius:6px;background:linear-gradient(135deg,#cde6c6 25%,#e8f0d8 25%,#e8f0d8 50%,#cde6c6 50%,#cde6c6 75%,#e8f0d8 75%);background-size:28px 28px;display:flex;align-items:center;justify-content:center;margin-bottom:6px}
.pin{font-size:30px;color:#e53935}
.loc-name{font-weight:600}
.loc-address,.coords{font-size:13px;color:#667781}
.product{display:flex;gap:10px;align-items:center;background:#f5f6f6;border-radius:6px;padding:8px;margin-bottom:6px}
.list-button{border-top:1px solid #e9edef;margin:8px -8px -4px;padding:8px 8px 0;text-align:center;color:#008bd0;font-weight:500}
.replies{max-width:360px;display:flex;flex-direction:column;gap:3px;margin-top:3px}
.reply{background:#fff;border-radius:8px;text-align:center;color:#008bd0;padding:8px;font-weight:500;box-shadow:0 1px .5px rgba(11,20,26,.13);overflow-wrap:anywhere}
.url-button,.tpl-button{display:flex;flex-direction:column;gap:2px}
.sheet{max-width:360px;background:#fff;border-radius:12px 12px 0 0;margin-top:12px;padding:10px 14px;box-shadow:0 -1px 4px rgba(0,0,0,.12)}
.sheet-title{text-align:center;font-weight:600;margin-bottom:6px;overflow-wrap:anywhere}
.section-title{color:#008069;font-size:13px;font-weight:600;margin:10px 0 2px;overflow-wrap:anywhere}
.row{display:flex;justify-content:space-between;align-items:center;gap:10px;padding:7px 0;border-bottom:1px solid #f0f2f5}
.row-text{overflow-wrap:anywhere}
.row-desc{font-size:13px;color:#667781;overflow-wrap:anywhere}
.radio{flex:none;width:18px;height:18px;border:2px solid #8696a0;border-radius:50%}
.tpl-name{font-size:12px;color:#54656f;margin-bottom:6px;overflow-wrap:anywhere}
.lang{background:#e9edef;border-radius:4px;padding:0 5px}
.params{display:flex;flex-direction:column;gap:4px}
.param{display:flex;gap:8px;align-items:baseline}
.param-label{flex:none;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;background:#e7f3ef;color:#00684f;border-radius:4px;padding:0 5px}
.param-value{overflow-wrap:anywhere;white-space:pre-wrap}
.note{font-size:11px;color:#8696a0;margin-top:6px}
.callback{font-size:12px;color:#54656f;margin-top:8px;overflow-wrap:anywhere}
.empty{color:#54656f}
.totals{margin:0 0 16px}.totals p{margin:0 0 4px}
.failures{background:#fff4e5;border:1px solid #f0b429;border-radius:8px;padding:8px 12px;margin:0 0 16px}
.failures p{margin:0 0 6px;font-weight:600}
.failures pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px}
@media (max-width:480px){main{padding:8px}.message{padding:10px}.forms{grid-template-columns:1fr}}
`;

function failuresHtml(diagnostics: readonly Diagnostic[]): string {
  const failures = summarizeFailures(diagnostics);
  if (!failures) return "";
  return `<section class="failures"><p>⚠️ ${escapeHtml(failures.headline)}</p><pre>${escapeHtml(failureLines(failures).join("\n"))}</pre></section>\n`;
}

export function formatPreviewHtml(messages: readonly RenderedMessage[], diagnostics: readonly Diagnostic[] = [], totals: readonly { campaign: string; summary: string }[] = []): string {
  const count = messages.length;
  const totalsHtml = totals.length === 0 ? "" : `<section class="totals">${totals.map((t) => `<p>Campaign <code>${escapeHtml(t.campaign)}</code>: ${escapeHtml(t.summary)}</p>`).join("")}</section>\n`;
  const body = failuresHtml(diagnostics) + totalsHtml + (count === 0
    ? `<p class="empty">Nothing to preview: no message samples and no campaign rows.</p>`
    : messages.map(messageHtml).join("\n"));
  return htmlPage({ title: "msgc preview", style: STYLE, header: `<h1>msgc preview</h1><p>${count} message${count === 1 ? "" : "s"} · nothing was sent</p>`, main: body });
}
