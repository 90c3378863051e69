/**
 * The diff report as terminal text, as a pull-request comment (markdown) and as JSON. Pure
 * `(report) => string` functions.
 */
import { diagnosticToJson } from "../../diagnostics.js";
import { escapeHtml, markdownCode, markdownFence, markdownText } from "../preview/escape.js";
import { paint } from "../preview/terminal.js";
import { safeTerminalText } from "../preview/terminal.js";
import type { AudienceDiff, CampaignDiff, MessageDiff, ReportedProblem, SampleDiff, SpecProblems, TemplateDiff } from "./compare.js";
import type { DiffReport, StatusCounts } from "./index.js";
import type { FieldChange } from "./json-changes.js";
import { diffLines } from "./line-diff.js";
import { describeSmsTotals, type SmsTotals } from "../sms-totals.js";

/** GitHub rejects comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
const VALUE_LIMIT = 200;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function countsPhrase(counts: StatusCounts, noun: string): string | undefined {
  const parts: string[] = [];
  const total = counts.added + counts.removed + counts.changed + counts.broken;
  if (total === 0) return undefined;
  if (counts.changed) parts.push(`${counts.changed} changed`);
  if (counts.added) parts.push(`${counts.added} added`);
  if (counts.removed) parts.push(`${counts.removed} removed`);
  if (counts.broken) parts.push(`${counts.broken} broken`);
  return `${plural(total, noun)} (${parts.join(", ")})`;
}

/** One line: what changed, in counts. */
export function summaryLine(report: DiffReport): string {
  const s = report.summary;
  const parts = [countsPhrase(s.messages, "message"), countsPhrase(s.campaigns, "campaign"), countsPhrase(s.templates, "template")].filter((p) => p !== undefined);
  const r = s.recipients;
  if (r.added + r.removed + r.changed > 0) parts.push(`recipients +${r.added} −${r.removed} ~${r.changed}`);
  if (s.otherProblems > 0) parts.push(`${plural(s.otherProblems, "file")} that ${s.otherProblems === 1 ? "does" : "do"} not load`);
  if (parts.length === 0) return "No message or campaign changes.";
  return `${parts.join("; ")}.`;
}

function shortCommit(report: DiffReport): string {
  return report.baseCommit.slice(0, 12);
}

function showValue(value: unknown): string {
  if (value === undefined) return "(absent)";
  const json = JSON.stringify(value);
  return json.length > VALUE_LIMIT ? `${json.slice(0, VALUE_LIMIT)}…` : json;
}

function problemLine(p: ReportedProblem): string {
  const where = p.row !== undefined ? `${p.file}:${p.row}` : p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${where} ${p.code} ${p.message}`;
}

function sideName(side: SpecProblems["side"]): string {
  return side === "base" ? "the base" : "the working tree";
}

function brokenPhrase(broken: SpecProblems[]): string {
  return `does not compile on ${broken.map((b) => sideName(b.side)).join(" or ")}`;
}

function audiencePhrase(a: AudienceDiff): string {
  let text = `recipients ${a.before} → ${a.after}: +${a.added} added, −${a.removed} removed, ~${a.changed} changed, ${a.unchanged} unchanged`;
  if (a.invalidRows.base + a.invalidRows.head > 0) text += ` (rows with errors: ${a.invalidRows.base} before, ${a.invalidRows.head} after)`;
  return text;
}

/** `SMS: 2 WhatsApp, 3 SMS (3 segments, 1 UCS-2) → 1 WhatsApp, 4 SMS (8 segments, 4 UCS-2)` */
function smsPhrase(a: AudienceDiff): string | undefined {
  if (!a.sms) return undefined;
  const side = (t: SmsTotals | null): string => (t ? describeSmsTotals(t) : "no sms form");
  const before = side(a.sms.base);
  const after = side(a.sms.head);
  return before === after ? `channels: ${after}` : `channels: ${before} → ${after}`;
}

// ---------------------------------------------------------------- text

const STATUS_MARK = { added: "+", removed: "-", changed: "~", unchanged: " ", broken: "!" } as const;
const STATUS_COLOR = { added: "green", removed: "red", changed: "yellow", unchanged: undefined, broken: "red" } as const;

export interface DiffTextOptions {
  color: boolean;
}

type SpecDiff = MessageDiff | CampaignDiff | TemplateDiff;
type Kind = "message" | "campaign" | "template";

function textSpec(d: SpecDiff, kind: Kind, color: boolean): string[] {
  const lines: string[] = [];
  const c = STATUS_COLOR[d.status];
  const title = `${STATUS_MARK[d.status]} ${kind} ${d.name} (${d.file}): ${d.status === "broken" ? brokenPhrase(d.broken) : d.status}`;
  lines.push(paint({ text: safeTerminalText(title), bold: true, ...(c ? { color: c } : {}) }, color));
  for (const b of d.broken) {
    if (b.note) lines.push(`    ${sideName(b.side)}: ${safeTerminalText(b.note)}`);
    for (const p of b.problems) lines.push(`    ${sideName(b.side)}: ${safeTerminalText(problemLine(p))}`);
  }
  for (const f of d.specFields) lines.push(`    spec ${safeTerminalText(fieldLine(f))}`);
  if ("hint" in d && d.hint !== undefined) lines.push(`    hint: ${safeTerminalText(d.hint)}`);
  if ("samples" in d) {
    for (const s of d.samples) if (s.status !== "unchanged") lines.push(...textSample(s, color));
  }
  if ("audience" in d && d.audience) {
    const a = d.audience;
    if (a.added + a.removed + a.changed > 0 || d.status !== "unchanged") lines.push(`  ${audiencePhrase(a)}`);
    const sms = smsPhrase(a);
    if (sms && (a.added + a.removed + a.changed > 0 || d.status !== "unchanged")) lines.push(`  ${sms}`);
    for (const row of a.rows) {
      lines.push(paint({ text: `    ${STATUS_MARK[row.status]} ${safeTerminalText(row.key)}`, color: STATUS_COLOR[row.status] }, color));
      for (const f of row.fields) lines.push(`        ${safeTerminalText(fieldLine(f))}`);
    }
  }
  return lines;
}

function fieldLine(f: FieldChange): string {
  return `${f.path}: ${showValue(f.before)} → ${showValue(f.after)}`;
}

function transcriptDiff(s: SampleDiff): { op: " " | "-" | "+"; text: string }[] {
  return diffLines(s.before ?? [], s.after ?? []);
}

/** A change the customer cannot see (a button id, callbackData): the fields say it all. */
const SAME_RENDERING = "renders the same; only payload fields changed";

function rendersTheSame(s: SampleDiff): boolean {
  return s.status === "changed" && JSON.stringify(s.before) === JSON.stringify(s.after);
}

function textSample(s: SampleDiff, color: boolean): string[] {
  const lines = [`  sample ${safeTerminalText(s.sample)}: ${s.status}${rendersTheSame(s) ? ` (${SAME_RENDERING})` : ""}`];
  for (const l of rendersTheSame(s) ? [] : transcriptDiff(s)) {
    const text = `    ${l.op} ${safeTerminalText(l.text)}`;
    lines.push(l.op === " " ? paint({ text, dim: true }, color) : paint({ text, color: l.op === "+" ? "green" : "red" }, color));
  }
  if (s.fields.length > 0) {
    lines.push("    fields:");
    for (const f of s.fields) lines.push(`      ${safeTerminalText(fieldLine(f))}`);
  }
  return lines;
}

export function formatDiffText(report: DiffReport, opts: DiffTextOptions): string {
  const lines = [`msgc diff ${safeTerminalText(report.base)} (${shortCommit(report)}) → working tree: ${summaryLine(report)}`];
  for (const d of report.messages) if (d.status !== "unchanged") lines.push("", ...textSpec(d, "message", opts.color));
  for (const d of report.campaigns) if (d.status !== "unchanged") lines.push("", ...textSpec(d, "campaign", opts.color));
  for (const d of report.templates) if (d.status !== "unchanged") lines.push("", ...textSpec(d, "template", opts.color));
  for (const p of report.otherProblems) {
    lines.push("", paint({ text: `! does not load on ${sideName(p.side)}:`, bold: true, color: "red" }, opts.color));
    for (const problem of p.problems) lines.push(`    ${safeTerminalText(problemLine(problem))}`);
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------- markdown

function fieldsTable(fields: FieldChange[]): string[] {
  if (fields.length === 0) return [];
  return [
    "| field | before | after |",
    "|---|---|---|",
    ...fields.map((f) => `| ${markdownCode(f.path)} | ${markdownCode(showValue(f.before))} | ${markdownCode(showValue(f.after))} |`),
  ];
}

function markdownSample(s: SampleDiff, full: boolean): string[] {
  const same = rendersTheSame(s);
  const out = [`**sample ${markdownCode(s.sample)}**: ${s.status}${same ? ` (${SAME_RENDERING})` : ""}`];
  if (!full) return out;
  if (!same) out.push("", markdownFence(transcriptDiff(s).map((l) => `${l.op} ${l.text}`).join("\n"), "diff"));
  if (s.fields.length > 0) out.push("", ...fieldsTable(s.fields));
  return out;
}

function markdownProblems(broken: SpecProblems[]): string[] {
  const out: string[] = [];
  for (const b of broken) {
    out.push(`Does not compile on ${sideName(b.side)}${b.note ? `: ${markdownText(b.note)}` : ":"}`, "");
    if (b.problems.length > 0) out.push(markdownFence(b.problems.map(problemLine).join("\n")), "");
  }
  return out;
}

/** One `<details>` section; `full` false gives the short form used when space runs out. */
function markdownSection(d: SpecDiff, kind: Kind, full: boolean): string {
  const status = d.status === "broken" ? `⚠️ ${brokenPhrase(d.broken)}` : d.status;
  const out = [`<details><summary>${kind} <b>${escapeHtml(d.name)}</b>: ${escapeHtml(status)} · <code>${escapeHtml(d.file)}</code></summary>`, ""];
  out.push(...markdownProblems(d.broken));
  if (d.specFields.length > 0) out.push("Spec fields changed:", "", ...fieldsTable(d.specFields), "");
  if ("hint" in d && d.hint !== undefined) out.push(`⚠️ ${markdownText(d.hint)}`, "");
  if ("samples" in d) {
    for (const s of d.samples) if (s.status !== "unchanged") out.push(...markdownSample(s, full), "");
  }
  if ("audience" in d && d.audience) {
    const a = d.audience;
    out.push(markdownText(audiencePhrase(a)), "");
    const sms = smsPhrase(a);
    if (sms) out.push(markdownText(sms), "");
    if (full && a.rows.length > 0) {
      out.push("| recipient | change | fields |", "|---|---|---|");
      for (const row of a.rows) {
        const fields = row.fields.map((f) => `${markdownCode(f.path)}: ${markdownCode(showValue(f.before))} → ${markdownCode(showValue(f.after))}`).join("<br>");
        out.push(`| ${markdownCode(row.key)} | ${row.status} | ${fields} |`);
      }
      out.push("");
    }
  }
  if (!full) out.push("_Details left out to keep this comment under GitHub's size limit._", "");
  out.push("</details>");
  return out.join("\n");
}

export interface DiffMarkdownOptions {
  /** Maximum length in characters (default GitHub's 65,536). */
  maxLength?: number;
}

export function formatDiffMarkdown(report: DiffReport, opts: DiffMarkdownOptions = {}): string {
  const limit = opts.maxLength ?? GITHUB_COMMENT_LIMIT;
  const head = [
    // Our own words and numbers only, so only `~` (strikethrough on GitHub) needs escaping.
    `**msgc diff**: ${summaryLine(report).replace(/~/g, "\\~")}`,
    "",
    `<sub>Compared ${markdownCode(report.base)} (${markdownCode(shortCommit(report))}) with this branch.${report.numbersMasked ? " Phone numbers are masked." : ""}</sub>`,
  ];
  for (const p of report.otherProblems) {
    head.push("", `⚠️ A file does not load on ${sideName(p.side)}:`, "", markdownFence(p.problems.map(problemLine).join("\n")));
  }
  let out = `${head.join("\n")}\n`;
  const sections = [
    ...report.messages.filter((d) => d.status !== "unchanged").map((d) => ({ d, kind: "message" as const })),
    ...report.campaigns.filter((d) => d.status !== "unchanged").map((d) => ({ d, kind: "campaign" as const })),
    ...report.templates.filter((d) => d.status !== "unchanged").map((d) => ({ d, kind: "template" as const })),
  ];
  // Room kept for the note that says what was left out.
  const reserve = 1200;
  const left: string[] = [];
  let shortened = 0;
  for (const { d, kind } of sections) {
    if (left.length > 0) {
      left.push(d.name);
      continue;
    }
    const full = `\n${markdownSection(d, kind, true)}\n`;
    if (out.length + full.length + reserve <= limit) {
      out += full;
      continue;
    }
    const short = `\n${markdownSection(d, kind, false)}\n`;
    if (out.length + short.length + reserve <= limit) {
      out += short;
      shortened++;
      continue;
    }
    left.push(d.name);
  }
  if (left.length > 0 || shortened > 0) out += `\n${truncationNote(left, shortened, report.base)}\n`;
  return out;
}

function truncationNote(left: string[], shortened: number, base: string): string {
  const parts: string[] = [];
  if (left.length > 0) {
    const names: string[] = [];
    let length = 0;
    for (const name of left) {
      if (length + name.length > 600) break;
      names.push(name);
      length += name.length + 2;
    }
    const more = left.length - names.length;
    parts.push(`${plural(left.length, "changed spec")} not shown: ${names.map((n) => markdownCode(n)).join(", ")}${more > 0 ? ` and ${more} more` : ""}.`);
  }
  if (shortened > 0) parts.push(`${plural(shortened, "spec")} shown without the rendered text and fields.`);
  return `> **Cut to stay under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")}-character comment limit.** ${parts.join(" ")} Run ${markdownCode(`msgc diff --base ${base}`)} for the full report.`;
}

// ---------------------------------------------------------------- json

export function formatDiffJson(report: DiffReport): string {
  const diagnostics = report.diagnostics.map((d) => ({ ...diagnosticToJson(d), side: d.side }));
  return `${JSON.stringify({ ...report, diagnostics })}\n`;
}

