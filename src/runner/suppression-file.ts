/**
 * `msgc suppress import FILE`: the numbers of a suppression file, normalized like audience
 * numbers. A CSV with a header naming a number column, or one number per line. The file is read
 * like other project inputs: inside the project (links followed), a regular file, never more
 * than MAX_SUPPRESSION_FILE_BYTES. Every bad line is one diagnostic with its line; the caller
 * imports nothing when there is any (docs/tracking.md, Opt-outs).
 */
import { isUtf8 } from "node:buffer";
import { resolve } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { normalizePhone } from "../compiler/phone.js";
import type { Diagnostic } from "../diagnostics.js";
import { InputError } from "../errors.js";
import { maskWrittenNumber } from "../mask.js";
import { confinement, projectRelative, readBoundedFile, realPathOf } from "../project/confine.js";

/** About 900,000 numbers a line each: opt-outs are few compared to audiences. */
export const MAX_SUPPRESSION_FILE_BYTES = 16 * 1024 * 1024;

/** Header names of the number column (case ignored; a space or a hyphen stands for the underscore: "Phone Number"). */
export const NUMBER_COLUMNS = ["number", "phone", "phone_number", "msisdn"];

/** The longest text taken for a number: anything longer is refused without being quoted. */
const MAX_NUMBER_TEXT = 64;

const DELIMITERS = [",", ";", "\t", "|"];

export interface SuppressionFile {
  /** Project-relative path, for messages and the suppression's source. */
  file: string;
  /** Normalized E.164 numbers, each once, in file order. */
  numbers: string[];
  /** The first MAX_LISTED_PROBLEMS bad lines (phone-invalid, encoding-invalid), in line order. */
  diagnostics: Diagnostic[];
  /** Bad lines past those. */
  unlisted: number;
}

/** A file of nothing but bad lines would otherwise print (and hold) one diagnostic per line. */
export const MAX_LISTED_PROBLEMS = 100;

/** Reads FILE (relative to `cwd`) inside the project at `root`; throws InputError for a file it cannot use at all. */
export async function readSuppressionFile(root: string, cwd: string, given: string): Promise<SuppressionFile> {
  const absPath = resolve(cwd, given);
  const where = await confinement(root, await realPathOf(root), absPath);
  if (where !== undefined) {
    throw new InputError(`${given} is outside the project${where === "links-outside" ? " (it links to a file outside)" : ""}; put the file in the project folder`);
  }
  const file = projectRelative(root, absPath) ?? given;
  const read = readBoundedFile(absPath, MAX_SUPPRESSION_FILE_BYTES);
  if ("problem" in read) {
    if (read.problem === "not-a-file") throw new InputError(`${file} is not a regular file`);
    if (read.problem === "too-large") throw new InputError(`${file} is larger than ${MAX_SUPPRESSION_FILE_BYTES / (1024 * 1024)} MiB; split it`);
    throw new InputError(`cannot read ${file} (${read.code})`);
  }
  return parseSuppressionFile(read.content, file);
}

/**
 * The numbers of a suppression file's bytes (see the module comment). Lines are taken one at a
 * time and only numbers are kept, so memory follows the numbers, not the file's lines.
 */
export function parseSuppressionFile(bytes: Buffer, file: string): SuppressionFile {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new InputError(`${file} is UTF-16 text (Excel's "Unicode text"); save it as CSV UTF-8`);
  }
  const content = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const result: SuppressionFile = { file, numbers: [], diagnostics: [], unlisted: 0 };
  const seen = new Set<string>();
  const problem = (code: "phone-invalid" | "encoding-invalid", message: string, line: number): void => {
    if (result.diagnostics.length < MAX_LISTED_PROBLEMS) result.diagnostics.push({ code, severity: "error", message, file, path: [], line });
    else result.unlisted++;
  };
  const take = (text: string, line: number): void => {
    const checked = numberProblem(text);
    if (typeof checked === "string") problem("phone-invalid", checked, line);
    else if (!seen.has(checked.number)) {
      seen.add(checked.number);
      result.numbers.push(checked.number);
    }
  };
  const first = firstLine(content);
  const delimiter = first === undefined ? undefined : DELIMITERS.find((d) => first.includes(d));
  if (delimiter === undefined) {
    let header = true;
    eachLine(content, problem, (text, line) => {
      // A first line that names the column is a header.
      if (header && NUMBER_COLUMNS.includes(columnName(text))) return void (header = false);
      header = false;
      take(text, line);
    });
  } else {
    csvColumn(content, delimiter, file, { problem, take });
  }
  // CSV records come after the lines that were not UTF-8: back into line order.
  result.diagnostics.sort((a, b) => a.line! - b.line!);
  return result;
}

/** Where a file's lines go: bad ones to `problem`, each number's text to `take`. */
interface Sink {
  problem: (code: "encoding-invalid", message: string, line: number) => void;
  take: (text: string, line: number) => void;
}

function firstLine(content: Buffer): string | undefined {
  let found: string | undefined;
  eachLine(
    content,
    () => undefined,
    (text) => {
      found ??= text;
    },
    true,
  );
  return found;
}

/**
 * Calls `onLine` with each line that is not blank (without its line break) and its 1-based
 * number; a line that is not UTF-8 is a problem, not a line. `once` stops at the first.
 */
function eachLine(content: Buffer, problem: (code: "encoding-invalid", message: string, line: number) => void, onLine: (text: string, line: number) => void, once = false): void {
  // A file that is UTF-8 as a whole (the usual case) is decoded once, not line by line.
  if (isUtf8(content)) {
    const text = content.toString("utf8");
    let number = 0;
    for (let start = 0; start <= text.length; ) {
      let end = text.indexOf("\n", start);
      if (end === -1) end = text.length;
      const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
      start = end + 1;
      number++;
      if (line.trim() === "") continue;
      onLine(line, number);
      if (once) return;
    }
    return;
  }
  let start = 0;
  for (let number = 1; start <= content.length; number++) {
    let end = content.indexOf(0x0a, start);
    if (end === -1) end = content.length;
    const bytes = content.subarray(start, end > start && content[end - 1] === 0x0d ? end - 1 : end);
    start = end + 1;
    if (!isUtf8(bytes)) {
      problem("encoding-invalid", "the line is not UTF-8 text", number);
      continue;
    }
    const text = bytes.toString("utf8");
    if (text.trim() === "") continue;
    onLine(text, number);
    if (once) return;
  }
}

/** The number column of a CSV with a header: each record's cell, with the line it ends on. */
function csvColumn(content: Buffer, delimiter: string, file: string, { problem, take }: Sink): void {
  if (!content.includes(0x22)) return splitColumn(content, delimiter, file, { problem, take });
  // Lines that are not UTF-8 are left out (already reported); the rest keep their numbers.
  const kept: string[] = [];
  const lineOf: number[] = [];
  eachLine(content, problem, (text, line) => {
    kept.push(text);
    lineOf.push(line);
  });
  let column = -1;
  const physical = (lines: number): number => lineOf[lines - 1] ?? lines;
  try {
    parseCsv(kept.join("\n"), {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      // Each record is looked at as it is parsed and dropped: only its number is kept.
      on_record: (record: string[], context: { lines: number }) => {
        if (column === -1) {
          column = headerColumn(record, file);
          return null;
        }
        // A number cell holds no line break: the line a record ends on is its number's.
        take(record[column] ?? "", physical(context.lines));
        return null;
      },
    });
  } catch (e) {
    if (e instanceof InputError) throw e;
    const at = (e as { lines?: number }).lines;
    throw new InputError(`${file}${at !== undefined ? `:${physical(at)}` : ""} is not valid CSV (${(e as { code?: string }).code ?? "parse error"})`);
  }
}

/** Without a quote anywhere, a record is a line and its cells are what the delimiter splits (csv-parse is several times slower). */
function splitColumn(content: Buffer, delimiter: string, file: string, { problem, take }: Sink): void {
  let column = -1;
  eachLine(content, problem, (text, line) => {
    const cells = text.split(delimiter);
    if (column === -1) {
      column = headerColumn(cells, file);
      return;
    }
    take(cells[column] ?? "", line);
  });
}

/** The number column of a header row; a header without one is the file's one error. */
function headerColumn(names: readonly string[], file: string): number {
  const column = names.map(columnName).findIndex((n) => NUMBER_COLUMNS.includes(n));
  if (column === -1) {
    // A file without a header starts with a customer's number: it is masked like any other.
    const looksLikeNumber = (name: string): boolean => /\d{5}/.test(name.replace(/[\s().-]/g, ""));
    const shown = names.slice(0, 10).map((n) => (looksLikeNumber(n) ? maskWrittenNumber(n) : JSON.stringify(n.slice(0, 40)))).join(", ");
    const hint = names.some(looksLikeNumber) ? " (the first line looks like data: add a header line naming the number column)" : "";
    throw new InputError(`${file}: the header has no number column (${NUMBER_COLUMNS.join(", ")}); it has ${shown}${hint}`);
  }
  return column;
}

function columnName(text: string): string {
  return text.trim().replace(/^"|"$/g, "").trim().toLowerCase().replace(/[\s-]+/g, "_");
}

function numberProblem(text: string): { number: string } | string {
  if (text.trim().length > MAX_NUMBER_TEXT) return `the number is over ${MAX_NUMBER_TEXT} characters: not a phone number`;
  const { number, problem } = normalizePhone(text);
  return number !== undefined ? { number } : (problem ?? "not a phone number");
}
