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
import { confinement, projectRelative, readBoundedFile, realPathOf } from "../project/confine.js";

/** About 900,000 numbers a line each: opt-outs are few compared to audiences. */
export const MAX_SUPPRESSION_FILE_BYTES = 16 * 1024 * 1024;

/** Header names of the number column (case and spaces ignored). */
export const NUMBER_COLUMNS = ["number", "phone", "phone_number", "msisdn"];

/** The longest text taken for a number: anything longer is refused without being quoted. */
const MAX_NUMBER_TEXT = 64;

const DELIMITERS = [",", ";", "\t", "|"];

export interface SuppressionFile {
  /** Project-relative path, for messages and the suppression's source. */
  file: string;
  /** Normalized E.164 numbers, each once, in file order. */
  numbers: string[];
  /** One per bad line (phone-invalid, encoding-invalid), in line order. */
  diagnostics: Diagnostic[];
}

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

/** The numbers of a suppression file's bytes (see the module comment). */
export function parseSuppressionFile(bytes: Buffer, file: string): SuppressionFile {
  const content = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(content, file, diagnostics);
  const first = lines.find((l) => l.text.trim() !== "");
  const delimiter = first === undefined ? undefined : DELIMITERS.find((d) => first.text.includes(d));
  const cells = delimiter === undefined ? singleColumn(lines) : csvColumn(lines, delimiter, file);
  const numbers = new Set<string>();
  for (const { text, line } of cells) {
    const problem = numberProblem(text);
    if (typeof problem === "string") diagnostics.push({ code: "phone-invalid", severity: "error", message: problem, file, path: [], line });
    else numbers.add(problem.number);
  }
  diagnostics.sort((a, b) => a.line! - b.line!);
  return { file, numbers: [...numbers], diagnostics };
}

interface Line {
  text: string;
  /** 1-based. */
  line: number;
}

/** Lines as text; a line that is not UTF-8 is a diagnostic, not a number. */
function splitLines(content: Buffer, file: string, diagnostics: Diagnostic[]): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (let number = 1; start <= content.length; number++) {
    let end = content.indexOf(0x0a, start);
    if (end === -1) end = content.length;
    const bytes = content.subarray(start, end > start && content[end - 1] === 0x0d ? end - 1 : end);
    if (isUtf8(bytes)) lines.push({ text: bytes.toString("utf8"), line: number });
    else diagnostics.push({ code: "encoding-invalid", severity: "error", message: "the line is not UTF-8 text", file, path: [], line: number });
    start = end + 1;
  }
  return lines;
}

/** One number per line; a first line that names the column is a header. */
function singleColumn(lines: Line[]): Line[] {
  const filled = lines.filter((l) => l.text.trim() !== "");
  if (filled[0] && NUMBER_COLUMNS.includes(columnName(filled[0].text))) filled.shift();
  return filled;
}

/** The number column of a CSV with a header; each record's cell with the line it starts on. */
function csvColumn(lines: Line[], delimiter: string, file: string): Line[] {
  // Lines that were not UTF-8 are left out (already reported); the rest keep their numbers.
  const text = lines.map((l) => l.text).join("\n");
  const lineOf = lines.map((l) => l.line);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parseCsv(text, { delimiter, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (e) {
    const at = (e as { lines?: number }).lines;
    throw new InputError(`${file}${at !== undefined ? `:${lineOf[at - 1] ?? at}` : ""} is not valid CSV (${(e as { code?: string }).code ?? "parse error"})`);
  }
  const header = records.shift();
  if (!header) return [];
  const names = header.record.map(columnName);
  const column = names.findIndex((n) => NUMBER_COLUMNS.includes(n));
  if (column === -1) {
    const shown = header.record.slice(0, 10).map((n) => JSON.stringify(n.slice(0, 40))).join(", ");
    throw new InputError(`${file}: the header has no number column (${NUMBER_COLUMNS.join(", ")}); it has ${shown}`);
  }
  // csv-parse counts the line a record ends on; a number cell holds no line break, so it is the record's line.
  return records.map(({ record, info }) => ({ text: record[column] ?? "", line: lineOf[info.lines - 1] ?? info.lines }));
}

function columnName(text: string): string {
  return text.trim().replace(/^"|"$/g, "").trim().toLowerCase();
}

function numberProblem(text: string): { number: string } | string {
  if (text.trim().length > MAX_NUMBER_TEXT) return `the number is over ${MAX_NUMBER_TEXT} characters: not a phone number`;
  const { number, problem } = normalizePhone(text);
  return number !== undefined ? { number } : (problem ?? "not a phone number");
}
