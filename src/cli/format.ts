/**
 * Pure diagnostic formatters: (diagnostics, ...) => string. Positions are 0-based everywhere
 * else; these are the only functions that add 1.
 */
import { diagnosticLocation, diagnosticToJson } from "../diagnostics.js";
import type { Diagnostic } from "../diagnostics.js";
import { markdownCode, markdownText, visibleControls } from "../runner/preview/escape.js";
import stringWidth from "string-width";
import type { SmsTotals } from "../runner/sms-totals.js";

export interface DiagnosticSummary {
  specs: number;
  errors: number;
  warnings: number;
  /** A campaign's SMS totals, when a message has an sms form. */
  sms?: SmsTotals;
}

const ANSI = {
  red: "\x1b[31m",
  yellow: "\x1b[33m",
  cyan: "\x1b[36m",
  dim: "\x1b[2m",
  bold: "\x1b[1m",
  reset: "\x1b[0m",
};

/** A code frame shows at most this many characters of a line, around the column. */
const FRAME_WIDTH = 120;

/**
 * Text from specs (values, names, file names) on one line of a terminal or a log: control
 * characters made visible as the preview does, line breaks too, so that a value can neither drive
 * the terminal (titles, clearing, OSC 52 clipboard writes) nor fake a line of its own.
 */
function visibleLine(text: string): string {
  return visibleControls(text.replace(/\r?\n/g, "\u2424"));
}

function paint(color: boolean, code: string, text: string): string {
  return color ? `${code}${text}${ANSI.reset}` : text;
}

/**
 * `file:line:col`, `file row N (line M)` (audiences: the data row, and the line of the file it
 * starts on), `file:line` (an audience line outside any row) or just `file` (whole-file
 * problems), 1-based.
 */
export function formatLocation(d: Diagnostic): string {
  return diagnosticLocation(d);
}

function sourceLine(source: string, line: number): string | undefined {
  let start = 0;
  for (let i = 0; i < line; i++) {
    const next = source.indexOf("\n", start);
    if (next === -1) return undefined;
    start = next + 1;
  }
  const end = source.indexOf("\n", start);
  return source.slice(start, end === -1 ? source.length : end).replace(/\r$/, "");
}

/**
 * What goes before the caret so that it sits under the character after `before` in a terminal:
 * one space per terminal cell (an emoji or a CJK character takes two, a combining accent none),
 * and tabs stay tabs so that they line up however the terminal renders them.
 */
export function caretPadding(before: string): string {
  return before
    .split("\t")
    .map((part) => " ".repeat(stringWidth(part)))
    .join("\t");
}

/** The source line and a caret under the column; long lines are cut around the column. */
function codeFrame(source: string, d: Diagnostic, color: boolean): string | undefined {
  if (!d.range) return undefined;
  const { line, column } = d.range.start;
  const raw = sourceLine(source, line);
  if (raw === undefined) return undefined;
  // One character for one: the column and the cut below still line up.
  let text = visibleControls(raw);
  let caretAt = Math.min(column, text.length);
  if (text.length > FRAME_WIDTH) {
    const from = Math.max(0, Math.min(caretAt - FRAME_WIDTH / 2, text.length - FRAME_WIDTH));
    const cut = text.slice(from, from + FRAME_WIDTH);
    const before = from > 0 ? "…" : "";
    text = `${before}${cut}${from + FRAME_WIDTH < text.length ? "…" : ""}`;
    caretAt = caretAt - from + before.length;
  }
  const padding = caretPadding(text.slice(0, caretAt));
  const number = String(line + 1);
  const gutter = " ".repeat(number.length);
  const caret = paint(color, d.severity === "error" ? ANSI.red : ANSI.yellow, "^");
  return `${paint(color, ANSI.dim, ` ${number} |`)} ${text}\n${paint(color, ANSI.dim, ` ${gutter} |`)} ${padding}${caret}`;
}

/**
 * `file:line:col severity code message`, then a one-line code frame with a caret (when the
 * file's source is known and the diagnostic has a range), then the hint. Audience problems are
 * `file:row severity code message` without a frame.
 */
export function formatDiagnosticsText(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  opts: { color: boolean },
): string {
  const { color } = opts;
  return diagnostics
    .map((d) => {
      const severity = paint(color, d.severity === "error" ? ANSI.red + ANSI.bold : ANSI.yellow + ANSI.bold, d.severity);
      const lines = [`${visibleLine(formatLocation(d))} ${severity} ${paint(color, ANSI.dim, d.code)} ${visibleLine(d.message)}`];
      const source = d.row === undefined ? sources.get(d.file) : undefined;
      const frame = source === undefined ? undefined : codeFrame(source, d, color);
      if (frame) lines.push(frame);
      if (d.hint) lines.push(`  ${paint(color, ANSI.cyan, "hint:")} ${visibleLine(d.hint)}`);
      return lines.join("\n");
    })
    .join("\n");
}

/** The `--format json` document of cli.md: `{ ok, diagnostics, summary }`, one line. */
export function formatDiagnosticsJson(diagnostics: readonly Diagnostic[], summary: DiagnosticSummary): string {
  const ok = summary.errors === 0 && !diagnostics.some((d) => d.severity === "error");
  return JSON.stringify({
    ok,
    diagnostics: diagnostics.map(diagnosticToJson),
    summary: { specs: summary.specs, errors: summary.errors, warnings: summary.warnings, ...(summary.sms ? { sms: summary.sms } : {}) },
  });
}

/** Workflow-command escaping: the message (data) and, more strictly, property values. */
function escapeData(text: string): string {
  return visibleControls(text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A"));
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** GitHub Actions annotations: `::error file=…,line=…,col=…,title=<code>::<message>`. */
export function formatDiagnosticsGithub(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const properties = [`file=${escapeProperty(d.file)}`];
      if (d.row === undefined && d.range) {
        properties.push(`line=${d.range.start.line + 1}`, `col=${d.range.start.column + 1}`);
      } else if (d.line !== undefined) {
        // An audience row's line: the annotation lands on it in a pull request.
        properties.push(`line=${d.line}`);
      }
      properties.push(`title=${escapeProperty(d.code)}`);
      const message = d.row !== undefined ? `row ${d.row}: ${d.message}` : d.message;
      return `::${d.severity} ${properties.join(",")}::${escapeData(message)}`;
    })
    .join("\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `3 specs, 2 samples: 1 error, 0 warnings`; `what` describes what was checked. */
export function formatSummaryLine(what: string, summary: { errors: number; warnings: number }): string {
  return `${what}: ${plural(summary.errors, "error")}, ${plural(summary.warnings, "warning")}`;
}

/** A code span inside a table cell: GitHub splits cells at `|` even inside code, unless escaped. */
function tableCode(text: string): string {
  return markdownCode(text).replace(/\|/g, "\\|");
}

/**
 * A pull-request comment: the summary line, then one table row per diagnostic
 * (location | severity | code | message, the hint under the message). User text is escaped so
 * that it renders as itself and cannot break out of its cell.
 */
export function formatDiagnosticsMarkdown(
  diagnostics: readonly Diagnostic[],
  summary: { what: string; errors: number; warnings: number },
): string {
  const lines = [`**${markdownText(formatSummaryLine(summary.what, summary))}**`];
  if (diagnostics.length > 0) {
    lines.push("", "| location | severity | code | message |", "|---|---|---|---|");
    for (const d of diagnostics) {
      const message = d.hint ? `${markdownText(d.message)}<br>_hint:_ ${markdownText(d.hint)}` : markdownText(d.message);
      lines.push(`| ${tableCode(formatLocation(d))} | ${d.severity} | ${tableCode(d.code)} | ${message} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}
