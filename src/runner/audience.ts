/**
 * Streaming audience readers: CSV (header row), NDJSON/JSONL (one object per line) and JSON (a
 * top-level array). Memory stays constant however large the file: one chunk and one record at a
 * time, and no record may grow past `maxRecordBytes`, so a hostile file (a 100 MB line, binary
 * junk) ends in a diagnostic instead of an out-of-memory crash.
 *
 * Problems are Diagnostics. A problem that leaves the rest of the file unreadable (missing file,
 * unclosed quote, oversized record, a JSON document that is not an array) is thrown as an
 * `AudienceError`, after every row before it was delivered; a problem confined to one record (a
 * CSV row with the wrong number of fields, an NDJSON line that is not JSON, an array element
 * that is not an object) is reported in row order and reading goes on.
 *
 * `readAudienceBatches` delivers rows a chunk at a time (one await per 64 KB, not per row);
 * `readAudience` is the same, row by row, with record problems going to `onDiagnostic` (without
 * it, they are thrown).
 *
 * Row numbers (1-based): CSV, the data record (the header is not counted, nor are blank lines);
 * NDJSON, the line number; JSON, the array index + 1. Header problems carry no row.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseCsv } from "csv-parse";
import type { Diagnostic, DiagnosticCode } from "../diagnostics.js";
import { closest } from "../compiler/words.js";
import { NotUtf8Error, utf8Stream } from "./audience-encoding.js";
import type { AudienceEncoding } from "./audience-encoding.js";

export interface AudienceRow {
  /** 1-based row number, as described in the module comment. */
  row: number;
  /** 1-based physical line of the file where the row starts (JSON: where the element starts). */
  line: number;
  /** Column -> raw value: strings for CSV, JSON values otherwise. */
  values: Record<string, unknown>;
  /** CSV values are all strings and are converted to the declared var types. */
  fromStrings: boolean;
}

/** A column the header must have, and the campaign setting that names it (for the hint). */
export interface RequiredColumn {
  column: string;
  /** "phone", "locale", "lastInboundAt", or the var that `audience.columns` maps. */
  setting: "phone" | "locale" | "lastInboundAt" | { variable: string };
}

export interface ReadAudienceOptions {
  /** CSV only: columns the header must have (the phone column, mapped vars). */
  requiredColumns?: readonly (string | RequiredColumn)[];
  /** How the bytes are decoded (`audience.encoding`); a byte order mark wins. Default UTF-8. */
  encoding?: AudienceEncoding;
  /** CSV only: the field delimiter (`audience.delimiter`), one character. Default ",". */
  delimiter?: string;
  /** Receives problems confined to one record; without it they are thrown. */
  onDiagnostic?: (d: Diagnostic) => void;
  /** Largest record (CSV row, NDJSON line, JSON element) accepted, in bytes. */
  maxRecordBytes?: number;
  /**
   * CSV and NDJSON: go on reading from a byte offset, where a reader that read the header and
   * the rows before it stopped (the parallel planner hands over where csv-parse must decide, or
   * where bytes are not UTF-8).
   */
  resume?: CsvResume;
}

/**
 * Where a reader stopped: the next line's byte offset, the header, the rows (NDJSON: lines) and
 * physical lines read so far.
 */
export interface CsvResume {
  offset: number;
  header: string[];
  rows: number;
  lines: number;
  recordDelimiter: "\n" | "\r\n";
}

export type AudienceFormat = "csv" | "ndjson" | "json";

/** 1 MiB: far beyond any real recipient row, small enough to keep memory flat. */
export const MAX_RECORD_BYTES = 1024 * 1024;

/** A problem that stops reading the audience; carries its diagnostic. */
export class AudienceError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
    this.name = "AudienceError";
  }
}

export function audienceFormatOf(file: string): AudienceFormat | undefined {
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".ndjson" || ext === ".jsonl") return "ndjson";
  if (ext === ".json") return "json";
  return undefined;
}

export function audienceDiagnostic(
  code: DiagnosticCode,
  file: string,
  message: string,
  extra: Partial<Diagnostic> = {},
): Diagnostic {
  return { code, severity: "error", message, file, path: [], ...extra };
}

/** A row's diagnostic with the line the row starts on. */
export function atLine(d: Diagnostic, line: number): Diagnostic {
  return d.line === undefined ? { ...d, line } : d;
}

/** A CSV row whose field count is not the header's. */
export function fieldCountProblem(file: string, row: number, line: number, fields: number, headerFields: number): Diagnostic {
  return audienceDiagnostic(
    "audience-row-invalid",
    file,
    `Row ${row} has ${fields} field${fields === 1 ? "" : "s"}; the header has ${headerFields}`,
    { row, line },
  );
}

/** Bytes that are not UTF-8, at `row` (undefined: the header, or between JSON elements). */
export function notUtf8Problem(file: string, e: NotUtf8Error, row: number | undefined): AudienceError {
  const at = e.column > 0 ? `column ${e.column}` : "the end of the file";
  const byte = `0x${e.byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return new AudienceError(
    audienceDiagnostic("encoding-invalid", file, `${file} is not UTF-8 (byte ${byte} at ${at}); it looks like ${e.likely}`, {
      ...(row === undefined ? {} : { row }),
      line: e.line,
      hint: e.likely.startsWith("windows-1252")
        ? `Set audience.encoding: windows-1252 in the campaign, or save the file as "CSV UTF-8"`
        : `Save the file as "CSV UTF-8"`,
    }),
  );
}

/** The rows of one read chunk and the record problems among them (both in row order). */
export interface AudienceBatch {
  rows: AudienceRow[];
  problems: Diagnostic[];
}

export async function* readAudienceBatches(
  absPath: string,
  displayFile: string,
  opts: Omit<ReadAudienceOptions, "onDiagnostic"> = {},
): AsyncGenerator<AudienceBatch> {
  const format = audienceFormatOf(absPath);
  if (!format) {
    throw new AudienceError(
      audienceDiagnostic("audience-unreadable", displayFile, `${displayFile} is not a .csv, .ndjson, .jsonl or .json file`),
    );
  }
  await checkFile(absPath, displayFile);
  const resume = format !== "json" ? opts.resume : undefined;
  const ctx: ReaderContext = {
    file: displayFile,
    maxRecordBytes: opts.maxRecordBytes ?? MAX_RECORD_BYTES,
    rows: [],
    problems: [],
    sawRecord: resume !== undefined,
    rowAt: () => undefined,
  };
  const stream = createReadStream(absPath, resume ? { start: resume.offset } : {});
  const source = utf8Stream(stream as AsyncIterable<Buffer>, {
    encoding: opts.encoding ?? "utf-8",
    atStart: resume === undefined,
    firstLine: (resume?.lines ?? 0) + 1,
  });
  try {
    let rows = 0;
    const inner =
      format === "csv"
        ? readCsv(source, ctx, { required: opts.requiredColumns ?? [], delimiter: opts.delimiter ?? "," }, resume)
        : format === "ndjson"
          ? readNdjson(source, ctx, resume?.lines ?? 0)
          : readJsonArray(source, ctx);
    for await (const batch of inner) {
      rows += batch.rows.length;
      yield batch;
    }
    if (rows === 0 && !ctx.sawRecord) {
      throw new AudienceError(audienceDiagnostic("audience-empty", displayFile, `${displayFile} has no recipients`));
    }
  } catch (e) {
    if (e instanceof NotUtf8Error) throw notUtf8Problem(displayFile, e, ctx.rowAt(e.line));
    throw unreadableAudience(e, displayFile);
  } finally {
    stream.destroy();
  }
}

/** A read error as the AudienceError that reports it; anything that is not an I/O error as it is. */
export function unreadableAudience(e: unknown, displayFile: string): unknown {
  if (e instanceof AudienceError) return e;
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === "string" && err.code.startsWith("E")) {
    return new AudienceError(audienceDiagnostic("audience-unreadable", displayFile, `${displayFile} could not be read (${err.code})`));
  }
  return e;
}

export async function* readAudience(
  absPath: string,
  displayFile: string,
  opts: ReadAudienceOptions = {},
): AsyncGenerator<AudienceRow> {
  const report =
    opts.onDiagnostic ??
    ((d: Diagnostic) => {
      throw new AudienceError(d);
    });
  for await (const { rows, problems } of readAudienceBatches(absPath, displayFile, opts)) {
    let p = 0;
    for (const row of rows) {
      while (p < problems.length && (problems[p]!.row ?? 0) < row.row) report(problems[p++]!);
      yield row;
    }
    while (p < problems.length) report(problems[p++]!);
  }
}

interface ReaderContext {
  file: string;
  maxRecordBytes: number;
  /** The batch being filled. */
  rows: AudienceRow[];
  problems: Diagnostic[];
  /** A record was seen, even a bad one: the file is not "empty". */
  sawRecord: boolean;
  /** The row being read when the reader stopped at `line` (undefined: not in a row). */
  rowAt: (line: number) => number | undefined;
}

/** Hands over the batch filled so far (undefined when there is nothing in it). */
function takeBatch(ctx: ReaderContext): AudienceBatch | undefined {
  if (ctx.rows.length === 0 && ctx.problems.length === 0) return undefined;
  const batch = { rows: ctx.rows, problems: ctx.problems };
  ctx.rows = [];
  ctx.problems = [];
  return batch;
}

async function checkFile(absPath: string, file: string): Promise<void> {
  let size: number;
  try {
    const info = await stat(absPath);
    if (!info.isFile()) {
      throw new AudienceError(audienceDiagnostic("audience-unreadable", file, `${file} is not a file`));
    }
    size = info.size;
  } catch (e) {
    if (e instanceof AudienceError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new AudienceError(audienceDiagnostic("audience-not-found", file, `Audience file ${file} does not exist`));
    }
    throw new AudienceError(audienceDiagnostic("audience-unreadable", file, `${file} could not be read (${code ?? "error"})`));
  }
  if (size === 0) {
    throw new AudienceError(audienceDiagnostic("audience-empty", file, `${file} is empty`));
  }
}

function describeBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

export function recordTooLarge(ctx: Pick<ReaderContext, "file" | "maxRecordBytes">, row: number, line?: number): AudienceError {
  return new AudienceError(
    audienceDiagnostic(
      "audience-unreadable",
      ctx.file,
      `Row ${row} is larger than ${describeBytes(ctx.maxRecordBytes)}; is this really an audience file?`,
      { row, ...(line === undefined ? {} : { line }) },
    ),
  );
}

// ---------------------------------------------------------------- CSV

const CSV_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: "a quoted field is never closed",
  CSV_INVALID_CLOSING_QUOTE: "a closing quote is followed by something other than a comma or a line break",
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "a closing quote is followed by something other than a comma or a line break",
};

/** csv-parse's options for an audience: the one-thread reader's and the plan workers'. */
export function csvParseOptions(delimiter: string, maxRecordBytes: number, recordDelimiter: string | undefined) {
  return {
    // PlainLines has taken the BOM off already.
    bom: false,
    delimiter,
    // Each record's line, for `row N (line M)`.
    info: true,
    // Field counts are checked here, per row, so that one bad row does not hide the rest.
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: maxRecordBytes,
    // After a hand-over from PlainLines, the line ending it already found (csv-parse would
    // otherwise guess again from the first line it sees).
    ...(recordDelimiter === undefined ? {} : { record_delimiter: recordDelimiter }),
  } as const;
}

/**
 * The physical line a csv-parse record (read with `info`) starts on. csv-parse counts the line a
 * record ends on, but counts every \r and \n inside its cells as a line of its own (so \r\n as
 * two); the line breaks inside the record go back up, and `drift` carries the \r it counted too
 * many for the records that follow. One per csv-parse parser, starting at `{ drift: 0 }`.
 */
export function parsedRecordLine(record: readonly string[], endLine: number, linesBefore: number, state: { drift: number }): number {
  let breaks = 0;
  let returns = 0;
  for (const cell of record) {
    for (let at = cell.indexOf("\n"); at !== -1; at = cell.indexOf("\n", at + 1)) breaks++;
    for (let at = cell.indexOf("\r"); at !== -1; at = cell.indexOf("\r", at + 1)) returns++;
  }
  const line = linesBefore + endLine - breaks - returns - state.drift;
  state.drift += returns;
  return line;
}

function csvParser(ctx: ReaderContext, delimiter: string, recordDelimiter: string | undefined): CsvParser {
  const parser = parseCsv(csvParseOptions(delimiter, ctx.maxRecordBytes, recordDelimiter));
  // Errors are read from `parser.errored`; the listener only keeps them from being unhandled.
  parser.on("error", () => {});
  return parser;
}

type CsvParser = ReturnType<typeof parseCsv>;

async function* readCsv(
  source: AsyncIterable<Buffer>,
  ctx: ReaderContext,
  opts: { required: readonly (string | RequiredColumn)[]; delimiter: string },
  resume: CsvResume | undefined,
): AsyncGenerator<AudienceBatch> {
  let header: string[] | undefined = resume?.header;
  let row = resume?.rows ?? 0;
  /** Records (the header included) and lines read before csv-parse took over. */
  let recordsBefore = 0;
  let linesBefore = 0;
  const lineState = { drift: 0 };
  /** csv-parse's count of lines at the end of the last record it gave, and of blank lines skipped by then. */
  const lastRecord = { endLine: 0, emptyLines: 0 };
  ctx.rowAt = () => (header ? row + 1 : undefined);

  let makeRow = header ? rowMaker(header) : undefined;
  const onRecord = (record: string[], line: number): void => {
    ctx.sawRecord = true;
    if (!header || !makeRow) {
      header = checkHeader(record, ctx.file, opts.required, opts.delimiter);
      makeRow = rowMaker(header);
      return;
    }
    row++;
    if (record.length !== header.length) {
      ctx.problems.push(fieldCountProblem(ctx.file, row, line, record.length, header.length));
      return;
    }
    ctx.rows.push({ row, line, values: makeRow(record), fromStrings: true });
  };

  const plain = new PlainLines(onRecord, ctx.maxRecordBytes, opts.delimiter, resume);
  let parser: CsvParser | undefined;

  const failure = (): AudienceError | undefined => {
    const err = parser?.errored as (Error & { code?: string; records?: number; empty_lines?: number }) | null | undefined;
    if (!err) return undefined;
    // `records` counts the header too, so it is the 1-based number of the failing data row.
    const records = typeof err.records === "number" ? recordsBefore + err.records : 0;
    const failingRow = records > 0 ? records : undefined;
    // The failing record starts after the last one read and the blank lines csv-parse skipped since.
    const line =
      failingRow !== undefined && typeof err.empty_lines === "number"
        ? linesBefore + lastRecord.endLine + (err.empty_lines - lastRecord.emptyLines) + 1 - lineState.drift
        : undefined;
    if (err.code === "CSV_MAX_RECORD_SIZE") return recordTooLarge(ctx, failingRow ?? 0, line);
    const what = CSV_PROBLEMS[err.code ?? ""] ?? "it is not valid CSV";
    const where = failingRow === undefined ? "the header" : `row ${failingRow}`;
    return new AudienceError(
      audienceDiagnostic("audience-unreadable", ctx.file, `${ctx.file} cannot be read past ${where}: ${what}`, {
        ...(failingRow === undefined ? {} : { row: failingRow }),
        ...(line === undefined ? {} : { line }),
      }),
    );
  };

  const handOver = (rest: Buffer): CsvParser => {
    recordsBefore = plain.records;
    linesBefore = plain.lines;
    const taken = csvParser(ctx, opts.delimiter, plain.recordDelimiter);
    taken.write(rest);
    return taken;
  };

  /** Yields what was parsed, then throws if parsing failed. */
  async function* drain(opts = { stopOnFailure: true }): AsyncGenerator<AudienceBatch> {
    if (parser) {
      let parsed: { record: string[]; info: { lines: number; empty_lines: number } } | null;
      while ((parsed = parser.read() as typeof parsed) !== null) {
        onRecord(parsed.record, parsedRecordLine(parsed.record, parsed.info.lines, linesBefore, lineState));
        lastRecord.endLine = parsed.info.lines;
        lastRecord.emptyLines = parsed.info.empty_lines;
      }
    }
    const batch = takeBatch(ctx);
    if (batch) yield batch;
    const err = opts.stopOnFailure ? failure() : undefined;
    if (err) throw err;
  }

  /** Ends csv-parse and reads what it still holds. */
  async function* finish(parser: CsvParser, opts = { stopOnFailure: true }): AsyncGenerator<AudienceBatch> {
    parser.end();
    for (;;) {
      yield* drain(opts);
      if (parser.readableEnded || (!opts.stopOnFailure && parser.errored)) break;
      await firstEvent(parser, ["readable", "end", "error", "close"]);
    }
  }

  try {
    for await (const chunk of source) {
      if (parser) parser.write(chunk);
      else {
        const rest = plain.push(chunk as Buffer);
        if (rest) parser = handOver(rest);
      }
      yield* drain();
    }
  } catch (e) {
    // Bytes that are not UTF-8 come after whole lines: the records csv-parse still holds (it
    // looks ahead past a line break) are whole, and are read before the error. A record it
    // cannot finish is the one with the bad byte: its error is the encoding's.
    if (e instanceof NotUtf8Error && parser) yield* finish(parser, { stopOnFailure: false });
    throw e;
  }
  if (!parser) {
    const rest = plain.end();
    if (rest) parser = handOver(rest);
  }
  if (parser) yield* finish(parser);
  else yield* drain();
  if (!header) {
    throw new AudienceError(audienceDiagnostic("audience-empty", ctx.file, `${ctx.file} has no header row`));
  }
  if (row === 0) {
    throw new AudienceError(audienceDiagnostic("audience-empty", ctx.file, `${ctx.file} has a header but no rows`));
  }
}

export const QUOTE = 0x22;

/** What `scanPlainLines` found. */
export interface PlainScan {
  /** Where the complete plain lines end (after the last one's line break). */
  end: number;
  /** Records among them (empty lines are not records, as with csv-parse's skip_empty_lines). */
  records: number;
  /** Whether `end` is where csv-parse must take over: what follows is not plain. */
  handOver: boolean;
}

/**
 * The complete plain CSV lines of `data`: no quote, lines of at most `maxRecordBytes`, ended by
 * `\n` with no `\r` anywhere, or (`crlf`) by `\r\n` with no other `\r`. The one-thread reader's
 * fast path; the parallel planner cuts with `scanRecords` (csv-records.ts), which also takes
 * well-formed quoted records.
 */
export function scanPlainLines(data: Buffer, crlf: boolean, maxRecordBytes: number): PlainScan {
  const quote = data.indexOf(QUOTE);
  // Past this byte nothing is plain: a quote, or (with \n endings) any \r.
  let limit = quote === -1 ? data.length : quote;
  if (!crlf) {
    const cr = data.indexOf(CARRIAGE_RETURN);
    if (cr !== -1 && cr < limit) limit = cr;
  }
  let lineStart = 0;
  let records = 0;
  for (;;) {
    const newline = data.indexOf(NEWLINE, lineStart);
    if (newline === -1 || newline >= limit) break;
    if (newline - lineStart > maxRecordBytes) break;
    if (crlf) {
      if (data.indexOf(CARRIAGE_RETURN, lineStart) !== newline - 1) break;
      if (newline - 1 > lineStart) records++;
    } else if (newline > lineStart) records++;
    lineStart = newline + 1;
  }
  // A complete line stopped the loop, or a quote or \r is ahead: from here on it is csv-parse's.
  const next = data.indexOf(NEWLINE, lineStart);
  const handOver = (next !== -1 && lineStart < data.length) || (limit < data.length && lineStart <= limit);
  return { end: lineStart, records, handOver };
}

/**
 * A function that makes a row's values object from its cells, in header order. The object is
 * made by one literal, so every row of a file has the same hidden class and the compiler's reads
 * of it stay fast (objects filled key by key from a list go megamorphic). The header is checked
 * already: no "__proto__" (a literal would take it as the prototype), no name twice.
 */
export function rowMaker(header: readonly string[]): (cells: readonly string[]) => Record<string, unknown> {
  if (header.includes("__proto__") || new Set(header).size !== header.length || header.length > 1000) {
    return (cells) => {
      const values: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) values[header[i]!] = cells[i];
      return values;
    };
  }
  const fields = header.map((name, i) => `${JSON.stringify(name)}: cells[${i}]`).join(", ");
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function("cells", `return { ${fields} };`) as (cells: readonly string[]) => Record<string, unknown>;
}

/**
 * The line ending of a CSV as its first line shows it, "\n" or "\r\n"; "not plain" when that
 * line has a quote or a stray \r (csv-parse must read it); undefined before any line break.
 */
export function firstLineEnding(data: Buffer): "\n" | "\r\n" | "not plain" | undefined {
  const newline = data.indexOf(NEWLINE);
  if (newline === -1) return undefined;
  const quote = data.indexOf(QUOTE);
  const cr = data.indexOf(CARRIAGE_RETURN);
  if ((quote !== -1 && quote < newline) || (cr !== -1 && cr < newline - 1)) return "not plain";
  return cr !== -1 && cr === newline - 1 ? "\r\n" : "\n";
}

/** Whether the last line of a file (no line break after it) is plain. */
export function isPlainLastLine(data: Buffer, maxRecordBytes: number): boolean {
  return !data.includes(QUOTE) && !data.includes(CARRIAGE_RETURN) && data.length <= maxRecordBytes;
}

/**
 * The records of plain text (whole lines, as `scanPlainLines` accepted them) to `onRecord`, with
 * their lines, numbered from `firstLine`; returns the lines read.
 */
function plainRecords(
  text: string,
  recordDelimiter: "\n" | "\r\n",
  delimiter: string,
  firstLine: number,
  onRecord: (record: string[], line: number) => void,
): number {
  const lines = text.split(recordDelimiter);
  for (let i = 0; i < lines.length; i++) {
    // skip_empty_lines, as csv-parse does it
    if (lines[i] !== "") onRecord(lines[i]!.split(delimiter), firstLine + i);
  }
  return lines.length;
}

/**
 * The common CSV: lines without quotes, ended by \n or \r\n throughout. Such lines are split on
 * commas directly, several times faster than csv-parse. At the first line that is anything else
 * (a quote, a stray \r, a line longer than the record cap, a \r line ending), `push` and `end`
 * return the bytes from that line on, and csv-parse reads the rest of the file: csv-parse decides
 * everything that is not plain.
 */
class PlainLines {
  /** Records delivered (the header included). */
  records = 0;
  /** Physical lines read. */
  lines = 0;
  /** "\n" or "\r\n" once the first line has shown it. */
  recordDelimiter: "\n" | "\r\n" | undefined;
  private pending: Buffer | undefined;
  private atStart = true;

  constructor(
    private readonly onRecord: (record: string[], line: number) => void,
    private readonly maxRecordBytes: number,
    private readonly delimiter: string,
    resume?: CsvResume,
  ) {
    if (resume) {
      this.records = resume.rows + 1;
      this.lines = resume.lines;
      this.recordDelimiter = resume.recordDelimiter;
      this.atStart = false;
    }
  }

  push(chunk: Buffer): Buffer | undefined {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    if (this.atStart) {
      if (data.length < 3) {
        this.pending = data;
        return undefined;
      }
      data = stripBom(data);
      this.atStart = false;
    }
    const { start, handOver } = this.readLines(data);
    if (start < data.length && handOver) return data.subarray(start);
    this.pending = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
    if (this.pending && this.pending.length > this.maxRecordBytes) {
      const rest = this.pending;
      this.pending = undefined;
      return rest;
    }
    return undefined;
  }

  /** The bytes csv-parse has to read at the end, if any. */
  end(): Buffer | undefined {
    let data = this.pending;
    this.pending = undefined;
    if (!data || data.length === 0) return undefined;
    if (this.atStart) data = stripBom(data);
    // The last line, without a line ending: plain only if it has no quote and no \r at all.
    if (!isPlainLastLine(data, this.maxRecordBytes)) return data;
    this.deliver(data.toString("utf8"), "\n");
    return undefined;
  }

  /** Reads the complete plain lines of `data`; returns where the unread part starts. */
  private readLines(data: Buffer): { start: number; handOver: boolean } {
    if (this.recordDelimiter === undefined) {
      const ending = firstLineEnding(data);
      if (ending === undefined) return { start: 0, handOver: false };
      if (ending === "not plain") return { start: 0, handOver: true };
      this.recordDelimiter = ending;
    }
    const crlf = this.recordDelimiter === "\r\n";
    const scan = scanPlainLines(data, crlf, this.maxRecordBytes);
    if (scan.end > 0) {
      this.deliver(data.toString("utf8", 0, crlf ? scan.end - 2 : scan.end - 1), this.recordDelimiter);
    }
    return { start: scan.end, handOver: scan.handOver };
  }

  private deliver(text: string, recordDelimiter: "\n" | "\r\n"): void {
    this.lines += plainRecords(text, recordDelimiter, this.delimiter, this.lines + 1, (record, line) => {
      this.records++;
      this.onRecord(record, line);
    });
  }
}

/** Resolves at the first of `events` on `emitter`, and stops listening to all of them. */
export function firstEvent(emitter: NodeJS.EventEmitter, events: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const event of events) emitter.off(event, done);
      resolve();
    };
    for (const event of events) emitter.on(event, done);
  });
}

/** Delimiters `audience.delimiter` takes, as a person names them. */
const DELIMITER_NAMES: ReadonlyArray<[string, string]> = [
  [",", '","'],
  [";", '";"'],
  ["\t", '"\\t" (tab)'],
  ["|", '"|"'],
];

/** The delimiter a header that came out as one column seems to use, if another one. */
function gluedDelimiter(record: readonly string[], delimiter: string): string | undefined {
  if (record.length !== 1) return undefined;
  const found = DELIMITER_NAMES.find(([d]) => d !== delimiter && record[0]!.includes(d));
  return found?.[1];
}

/**
 * The header name `column` was most likely meant as: a likely typo (case and surrounding spaces
 * aside), or else the one name that contains it or is contained in it ("Phone Number", "tel").
 */
function closestName(record: readonly string[], column: string): string | undefined {
  const names = record.filter((name) => name.trim() !== "");
  const typo = closest(column, names.map((name) => name.trim()));
  if (typo !== undefined) return names.find((name) => name.trim() === typo);
  const wanted = column.toLowerCase();
  const containing = names.filter((name) => name.toLowerCase().includes(wanted) || wanted.includes(name.trim().toLowerCase()));
  return containing.length === 1 ? containing[0] : undefined;
}

/** The campaign setting that names `column`, as YAML, with `name` as its value. */
function settingFor(required: RequiredColumn, name: string): string {
  const value = JSON.stringify(name);
  return typeof required.setting === "string"
    ? `audience.${required.setting}: ${value}`
    : `audience.columns: { ${required.setting.variable}: ${value} }`;
}

function missingColumnHint(record: readonly string[], required: RequiredColumn, delimiter: string): string {
  const glued = gluedDelimiter(record, delimiter);
  if (glued !== undefined) return `The header is one column; it looks separated by ${glued}: set audience.delimiter: ${glued.split(" ")[0]} in the campaign`;
  const near = closestName(record, required.column);
  if (near !== undefined) return `Did you mean "${near}"? If so, set ${settingFor(required, near)} in the campaign`;
  const names = record.slice(0, 20).map((n) => `"${n}"`).join(", ");
  const key = typeof required.setting === "string" ? `audience.${required.setting}` : "audience.columns";
  return `The header has: ${names}${record.length > 20 ? ", ..." : ""}; name the column with ${key} in the campaign`;
}

export function checkHeader(
  record: string[],
  file: string,
  requiredColumns: readonly (string | RequiredColumn)[],
  delimiter = ",",
): string[] {
  const seen = new Set<string>();
  for (const name of record) {
    if (name === "__proto__") {
      throw new AudienceError(
        audienceDiagnostic("audience-unreadable", file, `${file} has a column named "__proto__", which msgc does not accept`, {
          field: name,
        }),
      );
    }
    if (seen.has(name)) {
      throw new AudienceError(
        audienceDiagnostic("audience-unreadable", file, `Column "${name}" appears twice in the header of ${file}`, {
          field: name,
        }),
      );
    }
    seen.add(name);
  }
  for (const entry of requiredColumns) {
    const required: RequiredColumn = typeof entry === "string" ? { column: entry, setting: "phone" } : entry;
    if (seen.has(required.column)) continue;
    throw new AudienceError(
      audienceDiagnostic("audience-missing-column", file, `The header of ${file} has no column "${required.column}"`, {
        field: required.column,
        hint: missingColumnHint(record, required, delimiter),
      }),
    );
  }
  return record;
}

// ---------------------------------------------------------------- NDJSON

export const NEWLINE = 0x0a;
export const CARRIAGE_RETURN = 0x0d;

export function stripBom(chunk: Buffer): Buffer {
  return chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? chunk.subarray(3) : chunk;
}

/**
 * Splits a byte stream into lines, a chunk's worth at a time, never holding more than one
 * (capped) partial line. Each batch is numbered from `firstLine`.
 */
async function* splitLines(
  source: AsyncIterable<Buffer>,
  ctx: ReaderContext,
  linesBefore: number,
): AsyncGenerator<{ firstLine: number; lines: string[] }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = linesBefore;
  let first = linesBefore === 0;
  for await (const raw of source) {
    let chunk = raw as Buffer;
    if (first) {
      chunk = stripBom(chunk);
      first = false;
    }
    const lines: string[] = [];
    const firstLine = lineNumber + 1;
    let start = 0;
    let tooLarge: AudienceError | undefined;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) break;
      lineNumber++;
      if (pendingBytes + (end - start) > ctx.maxRecordBytes) {
        tooLarge = recordTooLarge(ctx, lineNumber, lineNumber);
        break;
      }
      const piece = chunk.subarray(start, end);
      const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      pendingBytes = 0;
      lines.push(decodeLine(line));
      start = end + 1;
    }
    if (lines.length > 0) yield { firstLine, lines };
    if (tooLarge) throw tooLarge;
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > ctx.maxRecordBytes) throw recordTooLarge(ctx, lineNumber + 1, lineNumber + 1);
    }
  }
  if (pendingBytes > 0) yield { firstLine: lineNumber + 1, lines: [decodeLine(Buffer.concat(pending))] };
}

function decodeLine(line: Buffer): string {
  const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
  return line.toString("utf8", 0, end);
}

function isObjectRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeJsonValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** One JSON text -> a recipient's values, or the problem with it. */
export function parseJsonRecord(
  text: string,
  row: number,
  file: string,
  what: "Line" | "Element",
  line: number,
): { values: Record<string, unknown>; problem?: undefined } | { problem: Diagnostic } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: audienceDiagnostic("audience-row-invalid", file, `${what} ${row} is not valid JSON`, { row, line }) };
  }
  if (!isObjectRecord(value)) {
    return {
      problem: audienceDiagnostic(
        "audience-row-invalid",
        file,
        `${what} ${row} is ${describeJsonValue(value)}; each recipient must be a JSON object`,
        { row, line },
      ),
    };
  }
  return { values: value };
}

/** One JSON text -> a row of the batch, or a problem of the batch. */
function addJsonRecord(text: string, row: number, line: number, ctx: ReaderContext, what: "Line" | "Element"): void {
  ctx.sawRecord = true;
  const record = parseJsonRecord(text, row, ctx.file, what, line);
  if (record.problem) ctx.problems.push(record.problem);
  else ctx.rows.push({ row, line, values: record.values, fromStrings: false });
}

/** Whether an NDJSON line is blank (skipped, though it keeps its line number). */
export function isBlankLine(line: string): boolean {
  return line.trim() === "";
}

async function* readNdjson(source: AsyncIterable<Buffer>, ctx: ReaderContext, linesBefore: number): AsyncGenerator<AudienceBatch> {
  // An NDJSON row is its line.
  ctx.rowAt = (line) => line;
  for await (const { firstLine, lines } of splitLines(source, ctx, linesBefore)) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!isBlankLine(line)) addJsonRecord(line, firstLine + i, firstLine + i, ctx, "Line");
    }
    const batch = takeBatch(ctx);
    if (batch) yield batch;
  }
}

// ---------------------------------------------------------------- JSON array

const enum JsonPhase {
  BeforeArray,
  BeforeElement,
  InElement,
  AfterArray,
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Streams the elements of a top-level JSON array. The scanner only finds element boundaries
 * (tracking strings and nesting); each element is then checked by JSON.parse.
 */
async function* readJsonArray(source: AsyncIterable<Buffer>, ctx: ReaderContext): AsyncGenerator<AudienceBatch> {
  let phase = JsonPhase.BeforeArray as JsonPhase;
  /** The line being scanned, and the one the element being read starts on. */
  let line = 1;
  let elementLine = 1;
  ctx.rowAt = () => (phase === JsonPhase.InElement ? row + 1 : undefined);
  let depth = 0;
  let inString = false;
  let escaped = false;
  let afterComma = false;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let row = 0;
  let first = true;

  const unreadable = (message: string, extra: Partial<Diagnostic> = {}): AudienceError =>
    new AudienceError(audienceDiagnostic("audience-unreadable", ctx.file, message, extra));

  const finishElement = (chunk: Buffer, start: number, end: number): void => {
    row++;
    if (pendingBytes + (end - start) > ctx.maxRecordBytes) throw recordTooLarge(ctx, row);
    const piece = chunk.subarray(start, end);
    const bytes = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
    pending = [];
    pendingBytes = 0;
    addJsonRecord(bytes.toString("utf8"), row, elementLine, ctx, "Element");
  };

  for await (const raw of source) {
    let chunk = raw as Buffer;
    if (first) {
      chunk = stripBom(chunk);
      first = false;
    }
    let start = 0;
    let failure: unknown;
    try {
      start = scan(chunk);
    } catch (e) {
      failure = e;
    }
    // Rows before a failure are delivered first, as for every format.
    const batch = takeBatch(ctx);
    if (batch) yield batch;
    if (failure) throw failure;
    if (phase === JsonPhase.InElement) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > ctx.maxRecordBytes) throw recordTooLarge(ctx, row + 1);
    }
  }
  if (phase === JsonPhase.BeforeArray) {
    throw new AudienceError(audienceDiagnostic("audience-empty", ctx.file, `${ctx.file} is empty`));
  }
  if (phase !== JsonPhase.AfterArray) {
    throw unreadable(`${ctx.file} ends before its array is closed`, { row: row + 1 });
  }
  if (row === 0) {
    throw new AudienceError(audienceDiagnostic("audience-empty", ctx.file, `${ctx.file} is an empty array`));
  }

  /** Scans one chunk; returns where the unfinished element (if any) starts. */
  function scan(chunk: Buffer): number {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === NEWLINE) line++;
      switch (phase) {
        case JsonPhase.BeforeArray:
          if (isJsonWhitespace(byte)) continue;
          if (byte !== 0x5b /* [ */) throw unreadable(`${ctx.file} must hold a JSON array of recipient objects`);
          phase = JsonPhase.BeforeElement;
          continue;
        case JsonPhase.BeforeElement:
          if (isJsonWhitespace(byte)) continue;
          if (byte === 0x5d /* ] */) {
            if (afterComma) throw unreadable(`${ctx.file} has a comma after its last element`, { row });
            phase = JsonPhase.AfterArray;
            continue;
          }
          if (byte === 0x2c /* , */) throw unreadable(`Element ${row + 1} of ${ctx.file} is missing`, { row: row + 1 });
          phase = JsonPhase.InElement;
          start = i;
          elementLine = line;
          depth = 0;
          inString = false;
          escaped = false;
          i--; // scan this byte as part of the element
          continue;
        case JsonPhase.InElement:
          if (inString) {
            if (escaped) escaped = false;
            else if (byte === 0x5c /* \ */) escaped = true;
            else if (byte === 0x22 /* " */) inString = false;
            continue;
          }
          if (byte === 0x22) inString = true;
          else if (byte === 0x7b /* { */ || byte === 0x5b /* [ */) depth++;
          else if (byte === 0x7d /* } */ || byte === 0x5d /* ] */) {
            if (depth > 0) depth--;
            else if (byte === 0x5d) {
              finishElement(chunk, start, i);
              phase = JsonPhase.AfterArray;
            }
          } else if (byte === 0x2c && depth === 0) {
            finishElement(chunk, start, i);
            phase = JsonPhase.BeforeElement;
            afterComma = true;
          }
          continue;
        case JsonPhase.AfterArray:
          if (isJsonWhitespace(byte)) continue;
          throw unreadable(`${ctx.file} has more data after its array`);
      }
    }
    return start;
  }
}
