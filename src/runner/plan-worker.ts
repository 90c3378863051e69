/**
 * A worker thread of the parallel planner (`parallel-plan.ts`). It receives whole lines of the
 * audience file as bytes, and does everything per row that needs no shared state: splitting
 * (CSV) or parsing (NDJSON) the lines, compiling each row, and writing each item's NDJSON line.
 * The main thread keeps what must be global and in order: reading the file, duplicate
 * detection, diagnostics and the output.
 *
 * This module only runs inside a worker; the main thread imports its types alone.
 */
import { isUtf8 } from "node:buffer";
import { parentPort, workerData } from "node:worker_threads";
import { parse as parseCsvSync } from "csv-parse/sync";
import type { Diagnostic } from "../diagnostics.js";
import { compileMessage } from "../compiler/message.js";
import { compileCampaign, compileRow } from "../compiler/campaign.js";
import type { TemplateBodies } from "../compiler/template-check.js";
import type { CompiledCampaign } from "../compiler/campaign.js";
import type { CampaignSpec } from "../types/campaign.generated.js";
import type { MessageSpec } from "../types/message.generated.js";
import { atLine, csvParseOptions, fieldCountProblem, isBlankLine, parsedRecordLine, parseJsonRecord, rowMaker } from "./audience.js";
import { decodeSingleByte } from "./audience-encoding.js";
import type { SourceEncoding } from "./audience-encoding.js";
import { recordEnd } from "./csv-records.js";
import type { CsvShape } from "./csv-records.js";
import { e164Value } from "./recipients.js";
import { smsCode } from "./sms-totals.js";
import { createShapeWriter, NO_ROOM } from "./shape-serializer.js";

export interface PlanWorkerSetup {
  message: { spec: MessageSpec; file: string };
  campaign: { spec: CampaignSpec; file: string; audienceFile: string; templates?: TemplateBodies };
  format: "csv" | "ndjson";
  /** CSV: the header, already checked by the main thread. */
  header: string[];
  /** CSV: the line ending of the file. */
  recordDelimiter: "\n" | "\r\n";
  /** CSV: the field delimiter (`audience.delimiter`). */
  delimiter: string;
  /** UTF-8 (checked) or a single-byte encoding (decoded here). */
  encoding: SourceEncoding;
  /** CSV: the longest record a task may hold (the cutter's limit). */
  maxRecordBytes: number;
  /** The memory of the tasks in flight, shared with the main thread. */
  slots: TaskSlot[];
}

/**
 * Shared memory for one task in flight, used again for later tasks: memory that is written over
 * again costs no page faults, and nothing is moved or copied between threads per task but the
 * small result arrays. (Moving big buffers back and forth makes each thread count them as new
 * allocations, which starts garbage collections.)
 */
export interface TaskSlot {
  /** The task's lines. */
  input: SharedArrayBuffer;
  /** The items' NDJSON lines. */
  output: SharedArrayBuffer;
}

/** Whole lines of the audience, each ended by its line break, at the start of a slot's input. */
export interface PlanTask {
  seq: number;
  /** CSV: the row number of the first record; NDJSON: the number of the first line. */
  firstRow: number;
  /** The number of the task's first physical line. */
  firstLine: number;
  /** Where the task starts in the file (for a hand-over to the one-thread reader). */
  offset: number;
  slot: number;
  length: number;
}

export interface PlanTaskResult {
  seq: number;
  /** The items' NDJSON lines, UTF-8: at the start of the slot's output... */
  outLength: number;
  /** ...or here, when they did not fit there (moved, not copied). */
  overflow?: Uint8Array;
  /**
   * The task is not the workers' to read (bytes that are not UTF-8, CSV that csv-parse refuses):
   * the one-thread reader reads the file from the task's start. Nothing else is filled in.
   */
  handOver?: boolean;
  /** Per item: where its line ends in `out` (after the line break), its row and line, its number. */
  ends: Uint32Array;
  itemRows: Float64Array;
  itemLines: Float64Array;
  /** The number as `e164Value`, or 0 when it has none: then it is in `otherNumbers`. */
  keys: Float64Array;
  /** Per item: its channel and segments as `smsCode` (0 for WhatsApp). */
  itemSms: Float64Array;
  otherNumbers: Array<[item: number, number: string]>;
  /** Rows read (good and bad) and rows left out as invalid, as CampaignStats counts them. */
  rows: number;
  invalidRows: number;
  /** Records that were not blank lines (the "empty file" check). */
  records: number;
  /** Row problems and compile diagnostics, in row order. */
  diagnostics: Diagnostic[];
}

export type PlanWorkerReply = { ok: true; result: PlanTaskResult } | { ok: false; error: string };

/** A task's NDJSON, in the slot's output or, when that is too small, a buffer of its own. */
class TaskOutput {
  buf: Buffer;
  used = 0;
  overflowed = false;

  constructor(
    room: SharedArrayBuffer,
    private readonly writeJson: ReturnType<typeof createShapeWriter>,
  ) {
    this.buf = Buffer.from(room);
  }

  /** `JSON.stringify(value)` and a line break; returns where the line ends. */
  add(value: unknown): number {
    for (;;) {
      const next = this.writeJson(value, this.buf, this.used, this.buf.length - 1);
      if (next !== NO_ROOM) {
        this.buf[next] = 0x0a;
        this.used = next + 1;
        return this.used;
      }
      this.grow();
    }
  }

  private grow(): void {
    const bigger = Buffer.allocUnsafeSlow(this.buf.length * 2);
    this.buf.copy(bigger, 0, 0, this.used);
    this.buf = bigger;
    this.overflowed = true;
  }
}

function compiledCampaign(setup: PlanWorkerSetup): CompiledCampaign {
  const message = compileMessage(setup.message.spec, setup.message.file).message;
  const campaign =
    message && compileCampaign(setup.campaign.spec, setup.campaign.file, message, {
      audienceFile: setup.campaign.audienceFile,
      ...(setup.campaign.templates ? { templates: setup.campaign.templates } : {}),
    }).campaign;
  // The main thread compiled the same specs without errors before it started the workers.
  if (!campaign) throw new Error("the campaign does not compile in the plan worker");
  return campaign;
}

export function taskRunner(setup: PlanWorkerSetup): (task: PlanTask) => PlanTaskResult {
  const campaign = compiledCampaign(setup);
  const file = campaign.audienceFile;
  const { header, recordDelimiter, slots } = setup;
  const writeJson = createShapeWriter();
  const makeRow = rowMaker(header);

  const shape: CsvShape = { crlf: recordDelimiter === "\r\n", delimiter: setup.delimiter.charCodeAt(0), maxRecordBytes: setup.maxRecordBytes };
  const parseOptions = csvParseOptions(setup.delimiter, setup.maxRecordBytes, recordDelimiter);

  return (task) => {
    const slot = slots[task.slot]!;
    const bytes = Buffer.from(slot.input, 0, task.length);
    if (setup.encoding === "utf-8" && !isUtf8(bytes)) return handOver(task);
    const decode = (from: number, to: number): string =>
      setup.encoding === "utf-8" ? bytes.toString("utf8", from, to) : decodeSingleByte(bytes.subarray(from, to), setup.encoding);
    const out = new TaskOutput(slot.output, writeJson);
    const ends: number[] = [];
    const itemRows: number[] = [];
    const itemLines: number[] = [];
    const keys: number[] = [];
    const itemSms: number[] = [];
    const otherNumbers: Array<[number, string]> = [];
    const diagnostics: Diagnostic[] = [];
    let rows = 0;
    let invalidRows = 0;
    let records = 0;

    const problem = (d: Diagnostic): void => {
      rows++;
      invalidRows++;
      diagnostics.push(d);
    };
    const compile = (values: Record<string, unknown>, row: number, line: number, fromStrings: boolean): void => {
      rows++;
      const compiled = compileRow(campaign, values, row, { fromStrings });
      for (const d of compiled.diagnostics) diagnostics.push(atLine(d, line));
      if (!compiled.item) {
        invalidRows++;
        return;
      }
      const key = compiled.number === undefined ? undefined : e164Value(compiled.number);
      if (key === undefined) otherNumbers.push([keys.length, compiled.number ?? ""]);
      keys.push(key ?? 0);
      itemRows.push(row);
      itemLines.push(line);
      itemSms.push(smsCode(compiled.sms));
      ends.push(out.add(compiled.item));
    };

    if (setup.format === "csv") {
      let row = task.firstRow - 1;
      let line = task.firstLine - 1;
      const width = header.length;
      const take = (record: string[], recordLine: number): void => {
        row++;
        records++;
        if (record.length !== width) problem(fieldCountProblem(file, row, recordLine, record.length, width));
        else compile(makeRow(record), row, recordLine, true);
      };
      /** Lines without quotes, split directly, one at a time (short-lived objects stay in the young generation). */
      const plain = (from: number, to: number): void => {
        const text = decode(from, to);
        for (let at = 0; at < text.length; ) {
          let end = text.indexOf(recordDelimiter, at);
          if (end === -1) end = text.length;
          line++;
          if (end > at) take(text.slice(at, end).split(setup.delimiter), line);
          at = end + recordDelimiter.length;
        }
      };
      /** Records with quotes: csv-parse reads them. False when it refuses them. */
      const quoted = (from: number, to: number): boolean => {
        let parsed: Array<{ record: string[]; info: { lines: number } }>;
        try {
          parsed = parseCsvSync(decode(from, to), parseOptions) as unknown as typeof parsed;
        } catch {
          return false;
        }
        const lineState = { drift: 0 };
        for (const { record, info } of parsed) take(record, parsedRecordLine(record, info.lines, line, lineState));
        for (let n = bytes.indexOf(0x0a, from); n !== -1 && n < to; n = bytes.indexOf(0x0a, n + 1)) line++;
        return true;
      };
      for (let at = 0; at < bytes.length; ) {
        const quote = bytes.indexOf(0x22, at);
        if (quote === -1) {
          plain(at, bytes.length);
          break;
        }
        // From the start of the quote's line, the records that have quotes go to csv-parse together.
        const runStart = quote === 0 ? 0 : Math.max(at, bytes.lastIndexOf(0x0a, quote - 1) + 1);
        if (runStart > at) plain(at, runStart);
        let runEnd = runStart;
        for (;;) {
          const end = recordEnd(bytes, runEnd, shape);
          if (end < 0) return handOver(task);
          runEnd = end;
          const nextQuote = bytes.indexOf(0x22, runEnd);
          if (nextQuote === -1 || nextQuote > bytes.indexOf(0x0a, runEnd)) break;
        }
        if (!quoted(runStart, runEnd)) return handOver(task);
        at = runEnd;
      }
    } else {
      const text = decode(0, bytes.length);
      const lines = text.split("\n");
      // The text ends with a line break: the last piece is not a line.
      for (let i = 0; i < lines.length - 1; i++) {
        let line = lines[i]!;
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (isBlankLine(line)) continue;
        records++;
        const row = task.firstRow + i;
        const record = parseJsonRecord(line, row, file, "Line", row);
        if (record.problem) problem(record.problem);
        else compile(record.values, row, row, false);
      }
    }
    return {
      seq: task.seq,
      outLength: out.used,
      // Output that outgrew the slot is moved over in its own buffer.
      ...(out.overflowed ? { overflow: new Uint8Array(out.buf.buffer, 0, out.used) } : {}),
      ends: Uint32Array.from(ends),
      itemRows: Float64Array.from(itemRows),
      itemLines: Float64Array.from(itemLines),
      keys: Float64Array.from(keys),
      itemSms: Float64Array.from(itemSms),
      otherNumbers,
      rows,
      invalidRows,
      records,
      diagnostics,
    };
  };
}

/** A task the one-thread reader reads instead, from its start. */
function handOver(task: PlanTask): PlanTaskResult {
  const none = new Float64Array(0);
  return {
    seq: task.seq,
    handOver: true,
    outLength: 0,
    ends: new Uint32Array(0),
    itemRows: none,
    itemLines: none,
    keys: none,
    itemSms: none,
    otherNumbers: [],
    rows: 0,
    invalidRows: 0,
    records: 0,
    diagnostics: [],
  };
}

if (parentPort && (workerData as { msgcPlanWorker?: PlanWorkerSetup } | null)?.msgcPlanWorker) {
  const port = parentPort;
  let run: ((task: PlanTask) => PlanTaskResult) | undefined;
  let setupError: string | undefined;
  try {
    run = taskRunner((workerData as { msgcPlanWorker: PlanWorkerSetup }).msgcPlanWorker);
  } catch (e) {
    setupError = e instanceof Error ? e.message : String(e);
  }
  port.on("message", (task: PlanTask) => {
    let reply: PlanWorkerReply;
    try {
      if (!run) throw new Error(setupError);
      reply = { ok: true, result: run(task) };
    } catch (e) {
      reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    const overflow = reply.ok ? reply.result.overflow : undefined;
    port.postMessage(reply, overflow ? [overflow.buffer as ArrayBuffer] : []);
  });
}
