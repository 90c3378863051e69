/**
 * WhatsApp limits as reusable checks. A check runs once at compile time on a literal value, and
 * on every render for an interpolated one.
 */
import type { DiagnosticCode, JsonPath } from "../diagnostics.js";
import { charCount, quote } from "./words.js";

export type Report = (code: DiagnosticCode, message: string, path: JsonPath) => void;
export type Check = (value: string, path: JsonPath, report: Report) => void;

export const LIMITS = {
  text: 4096,
  listBody: 4096,
  buttonsBody: 1024,
  productBody: 1024,
  caption: 1024,
  header: 60,
  footer: 60,
  listButton: 20,
  sectionTitle: 24,
  rowTitle: 24,
  rowDescription: 72,
  rowId: 200,
  buttonTitle: 20,
  buttonId: 256,
  sections: 10,
  rows: 10,
  buttons: 3,
  templateBody: 15,
  templateButtons: 2,
  callbackDataBytes: 1024,
} as const;

/** `label` is at most `max` characters (Unicode code points). */
export function maxChars(code: DiagnosticCode, label: string, max: number): Check {
  return (value, path, report) => {
    // UTF-16 length is an upper bound of the code point count: the exact count is rarely needed.
    if (value.length <= max) return;
    const count = charCount(value);
    if (count > max) report(code, `${label} ${quote(value)} is ${count} characters; WhatsApp allows ${max}`, path);
  };
}

/** A required text: empty (or only spaces) is an error. */
export function nonEmpty(label: string): Check {
  return (value, path, report) => {
    if (value.trim() === "") report("text-empty", `${label} is empty`, path);
  };
}

const HTTPS_URL = /^https:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i;

export function httpsUrl(label: string): Check {
  return (value, path, report) => {
    if (HTTPS_URL.test(value)) return;
    const problem = /^https:\/\//i.test(value) ? "is not a valid URL" : "must be an https:// URL";
    report("url-not-https", `${label} ${quote(value)} ${problem}`, path);
  };
}

const LINE_BREAK_OR_TAB = /[\n\r\t]/;
const FIVE_SPACES = / {5}/;

/** Meta rejects template parameters that are empty, multi-line, or padded with spaces. */
export function templateParam(name: string): Check {
  return (value, path, report) => {
    if (value === "") report("template-param-invalid", `Template parameter ${name} is empty`, path);
    else if (LINE_BREAK_OR_TAB.test(value)) report("template-param-invalid", `Template parameter ${name} ${quote(value)} contains a newline or tab`, path);
    else if (FIVE_SPACES.test(value)) report("template-param-invalid", `Template parameter ${name} ${quote(value)} has more than 4 consecutive spaces`, path);
  };
}

export function allOf(...checks: Check[]): Check {
  return (value, path, report) => {
    for (const check of checks) check(value, path, report);
  };
}

const encoder = new TextEncoder();

/** Size of a JSON value once serialized, in UTF-8 bytes. */
export function jsonBytes(value: unknown): number {
  const json = JSON.stringify(value) ?? "";
  // ASCII-only JSON is the common case: its byte count is its length.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(json) ? json.length : encoder.encode(json).length;
}

export function checkCallbackData(value: unknown, path: JsonPath, report: Report): void {
  const bytes = jsonBytes(value);
  if (bytes > LIMITS.callbackDataBytes) {
    report("callback-data-too-large", `callbackData is ${bytes} bytes once serialized; Connectly allows ${LIMITS.callbackDataBytes}`, path);
  }
}
