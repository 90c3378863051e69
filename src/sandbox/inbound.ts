import { extname } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { readInputFile, SandboxConfigError } from "./config-error.js";
import { isE164 } from "./validate.js";

/** A customer wrote to the business: `from` (E.164), `at` (ISO 8601 or epoch ms; default now). */
export interface InboundEntry {
  from: string;
  at?: string | number;
}

const NUMBER_COLUMNS = ["number", "from", "phone"];
const TIME_COLUMNS = ["time", "at", "lastinboundat", "last_inbound_at"];

/** When each customer last wrote, which is all the 24-hour window needs. */
export class InboundBook {
  private readonly lastAt = new Map<string, number>();

  /** Keeps the latest time: an older message does not reopen or shorten the window. */
  record(from: string, at: number): void {
    const previous = this.lastAt.get(from);
    if (previous === undefined || at > previous) this.lastAt.set(from, at);
  }

  lastInboundAt(from: string): number | undefined {
    return this.lastAt.get(from);
  }
}

/** Turns one entry into `{from, at}` in epoch ms, or says what is wrong with it. */
export function parseInboundEntry(entry: unknown, now: number): { from: string; at: number } | { problem: string } {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return { problem: "expected an object with from and at" };
  const record = entry as Record<string, unknown>;
  const from = record["from"] ?? record["number"];
  const rawAt = record["at"] ?? record["time"];
  if (typeof from !== "string" || !isE164(from)) return { problem: `"from" must be an E.164 number such as +16045852331` };
  if (rawAt === undefined || rawAt === null || rawAt === "") return { from, at: now };
  const at = typeof rawAt === "number" ? rawAt : typeof rawAt === "string" ? Date.parse(rawAt) : Number.NaN;
  // Past ±8.64e15 ms a number is no date at all (new Date(at) is invalid).
  if (!Number.isFinite(at) || Math.abs(at) > 8.64e15) return { problem: `"at" must be an ISO 8601 date-time such as 2026-01-31T09:30:00Z` };
  return { from, at };
}

function rowsFromCsv(text: string, file: string): Record<string, unknown>[] {
  let rows: string[][];
  try {
    rows = parseCsv(text, { skip_empty_lines: true, trim: true, relax_column_count: true, bom: true }) as string[][];
  } catch (error) {
    throw new SandboxConfigError(`inbound file ${file} is not valid CSV: ${(error as Error).message}`);
  }
  const first = rows[0];
  if (!first) return [];
  // A first row whose first cell is not a number is a header naming the columns.
  const hasHeader = !/^\+?\d/.test(first[0] ?? "");
  const names = hasHeader ? first.map((cell) => cell.toLowerCase()) : [];
  const numberColumn = hasHeader ? names.findIndex((name) => NUMBER_COLUMNS.includes(name)) : 0;
  const timeColumn = hasHeader ? names.findIndex((name) => TIME_COLUMNS.includes(name)) : 1;
  if (numberColumn < 0) throw new SandboxConfigError(`inbound file ${file}: the header has no number column (number, from or phone)`);
  return rows.slice(hasHeader ? 1 : 0).map((row) => ({ from: row[numberColumn], at: timeColumn < 0 ? undefined : row[timeColumn] }));
}

function rowsFromNdjson(text: string, file: string): unknown[] {
  const rows: unknown[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      rows.push(JSON.parse(line));
    } catch {
      throw new SandboxConfigError(`inbound file ${file}: line ${index + 1} is not valid JSON`);
    }
  });
  return rows;
}

/** A row is a few dozen bytes: a million customers fit many times over. */
const MAX_INBOUND_FILE_BYTES = 256 * 1024 * 1024;

/** Reads a CSV (number, time) or NDJSON ({"number"|"from", "time"|"at"}) file of inbound messages. */
export async function loadInbound(file: string, now: number): Promise<{ from: string; at: number }[]> {
  const text = await readInputFile(file, "inbound", MAX_INBOUND_FILE_BYTES);
  const extension = extname(file).toLowerCase();
  const isNdjson = extension === ".ndjson" || extension === ".jsonl" || (extension !== ".csv" && text.trimStart().startsWith("{"));
  const rows = isNdjson ? rowsFromNdjson(text, file) : rowsFromCsv(text, file);
  return rows.map((row, index) => {
    const parsed = parseInboundEntry(row, now);
    if ("problem" in parsed) throw new SandboxConfigError(`inbound file ${file}: entry ${index + 1}: ${parsed.problem}`);
    return parsed;
  });
}
