/**
 * The parallel planner behind `planCampaignNdjson` for large CSV and NDJSON audiences: the same
 * bytes, diagnostics and stats as the one-thread planner, using every core.
 *
 * The main thread reads the file in tasks of whole lines and knows each task's first row number
 * (it counts the records as it cuts). Worker threads (`plan-worker.ts`) split or parse the lines,
 * compile the rows and write the items' NDJSON. The results come back in task order; the main
 * thread then does what must be global: duplicate detection (a duplicate's line is cut out of the
 * output), the row diagnostics in row order, the stats and the output.
 *
 * CSV is cut only at the ends of well-formed records (`scanRecords` in csv-records.ts: quoted
 * fields that open and close cleanly are taken, and the worker hands those records to csv-parse):
 * at the first record that is not simple (a quote inside a bare field, text after a closing
 * quote, a stray \r, an oversized record), the tasks already sent are finished and the one-thread
 * reader goes on from that record's byte offset (`CsvResume`), so csv-parse decides everything
 * that is not simple, exactly as in the one-thread planner.
 *
 * Memory is fixed: each task in flight has a slot of shared memory for its lines going in and its
 * NDJSON coming out, used again from task to task (fresh buffers of megabytes per task cost more
 * in page faults and garbage collections than the compile itself). The output is handed out as
 * views of a slot when the consumer says it is done with each chunk before asking for the next
 * (`lendChunks`), and copied into 64 KiB chunks of its own otherwise.
 */
import { isUtf8 } from "node:buffer";
import { existsSync } from "node:fs";
import { close, open, read } from "node:fs";
import { stat } from "node:fs/promises";
import { promisify } from "node:util";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { parse as parseCsvSync } from "csv-parse/sync";
import type { Diagnostic } from "../diagnostics.js";
import {
  AudienceError,
  audienceDiagnostic,
  audienceFormatOf,
  checkHeader,
  csvParseOptions,
  firstLineEnding,
  NEWLINE,
  QUOTE,
  recordTooLarge,
  stripBom,
  unreadableAudience,
} from "./audience.js";
import type { CsvResume, RequiredColumn } from "./audience.js";
import { decodeSingleByte, isSingleByte, sourceEncoding } from "./audience-encoding.js";
import type { AudienceEncoding } from "./audience-encoding.js";
import { recordEnd, scanRecords } from "./csv-records.js";
import type { CsvShape } from "./csv-records.js";
import { InputError } from "../errors.js";
import { NdjsonChunks } from "./ndjson-chunks.js";
import type { PlanTask, PlanTaskResult, PlanWorkerReply, PlanWorkerSetup, TaskSlot } from "./plan-worker.js";

export interface ParallelOptions {
  /** Worker threads; 0 turns the parallel planner off. Default: the cores available, at most 4. */
  threads?: number;
  /** Audiences smaller than this (bytes) are planned on one thread (default 4 MiB). */
  minBytes?: number;
  /** Bytes of audience per task (default 64 KiB). */
  taskBytes?: number;
  /**
   * The consumer is done with each chunk (has written it out) before it asks for the next one,
   * so chunks may be views of memory that is then used again. Without it, chunks are copies.
   */
  lendChunks?: boolean;
  /** Told how the run went: tasks compiled on worker threads, and whether one thread took over. */
  onFinish?: (info: { tasks: number; handedOver: boolean }) => void;
}

/** What the parallel planner needs from a campaign pass. */
export interface ParallelPass {
  readonly audiencePath: string;
  readonly audienceFile: string;
  readonly maxRecordBytes: number;
  readonly requiredColumns: readonly RequiredColumn[];
  readonly encoding: AudienceEncoding;
  readonly delimiter: string;
  readonly setup: Omit<PlanWorkerSetup, "format" | "header" | "recordDelimiter" | "slots" | "delimiter" | "encoding" | "maxRecordBytes">;
  readonly stats: { rows: number; invalidRows: number };
  reportRow(d: Diagnostic): void;
  /** A hint: about this many recipients are coming. */
  expectRecipients(n: number): void;
  /** True when the item goes into the plan; false for a duplicate (reported). */
  admitValue(key: number, row: number, line: number): boolean;
  admit(number: string | undefined, row: number, line: number): boolean;
  /** An admitted item's channel and segments (`smsCode`), and its plan key when `smsByKey`. */
  countSms(code: number, key?: string): void;
  /** The SMS totals count only some keys (a shard's): `countSms` needs each item's key. */
  readonly smsByKey: boolean;
  /** The plan key of a recipient's number. */
  keyOf(number: string): string;
}

/**
 * How a parallel run ended: `done`, or the rest is the one-thread planner's (from `resume`,
 * or the whole file when the parallel planner did not start).
 */
export type ParallelEnd = { done: true } | { done: false; resume?: CsvResume };

const DEFAULT_MIN_BYTES = 4 * 1024 * 1024;
/** Bigger tasks make bigger short-lived strings and heaps in the workers, for no gain in speed. */
const DEFAULT_TASK_BYTES = 64 * 1024;
const WORKER_YOUNG_MB = 16;
const WORKER_OLD_MB = 1024;
/**
 * At most this many recipients are reserved for up front (158 MB of table; 10.5 bytes a row at 10M
 * rows): a table sized once leaves no outgrown tables for the garbage collector, which in a
 * 10M-row build cost 60 MB of peak RSS.
 */
const MAX_RESERVED = 1 << 24;
/** Tasks in flight per worker: one being compiled, one waiting. */
const TASKS_PER_WORKER = 2;
/** A slot's output room, in multiples of the task size (more output is moved over, not shared). */
const OUTPUT_ROOM = 32;

const WORKER_URL = new URL("./plan-worker.js", import.meta.url);

/** MSGC_THREADS overrides the default number of worker threads (0: none, one thread does it all). */
function defaultThreads(): number {
  const fromEnv = process.env.MSGC_THREADS;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) {
    // More threads than cores only costs memory.
    return Math.min(Number(fromEnv), availableParallelism());
  }
  const cores = availableParallelism();
  return cores < 2 ? 0 : Math.min(cores, 4);
}

/** Whether this build has the worker file (a run from the TypeScript sources has not). */
function workerFileExists(): boolean {
  return WORKER_URL.protocol === "file:" && existsSync(fileURLToPath(WORKER_URL));
}

const openFile = promisify(open);
const readFile = promisify(read);
const closeFile = promisify(close);

/**
 * The audience file by its descriptor, not a FileHandle: a caller that drops the plan without
 * finishing it (a library caller) leaves no FileHandle for the garbage collector to close with a
 * warning on stderr; the descriptor goes with the process.
 */
class AudienceFile {
  constructor(private readonly fd: number) {}

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return readFile(this.fd, buffer, offset, length, position);
  }

  close(): Promise<void> {
    return closeFile(this.fd);
  }
}

export async function* planInParallel(pass: ParallelPass, opts: ParallelOptions = {}): AsyncGenerator<Uint8Array, ParallelEnd> {
  const format = audienceFormatOf(pass.audiencePath);
  const threads = opts.threads ?? defaultThreads();
  if (threads < 1 || (format !== "csv" && format !== "ndjson") || !workerFileExists()) return { done: false };
  // NDJSON in another encoding than UTF-8 is rare enough for one thread.
  if (format === "ndjson" && pass.encoding !== "utf-8") return { done: false };
  const size = await stat(pass.audiencePath).then(
    (info) => (info.isFile() ? info.size : -1),
    () => -1,
  );
  if (size < 1 || size < (opts.minBytes ?? DEFAULT_MIN_BYTES)) return { done: false };
  let handle: AudienceFile;
  try {
    handle = new AudienceFile(await openFile(pass.audiencePath, "r"));
  } catch {
    return { done: false }; // the one-thread reader reports why
  }
  const taskBytes = opts.taskBytes ?? DEFAULT_TASK_BYTES;
  const cutter = new TaskCutter(pass, handle, format, taskBytes);
  let pool: WorkerPool | undefined;
  try {
    const start = await cutter.start();
    if (!start) return { done: false };
    const slots: TaskSlot[] = [];
    for (let i = 0; i < threads * TASKS_PER_WORKER; i++) {
      // Room for a task's bytes after the unfinished line carried from the read before.
      slots.push({
        input: new SharedArrayBuffer(taskBytes + pass.maxRecordBytes + 2),
        output: new SharedArrayBuffer(taskBytes * OUTPUT_ROOM),
      });
    }
    pool = new WorkerPool(threads, {
      ...pass.setup,
      format,
      header: start.header,
      recordDelimiter: start.recordDelimiter,
      delimiter: pass.delimiter,
      encoding: pass.encoding,
      maxRecordBytes: cutter.shape.maxRecordBytes,
      slots,
    });
    const free = slots.map((_, i) => i).reverse();
    const inFlight: Array<{ slot: number; task: PlanTask; result: Promise<PlanTaskResult> }> = [];
    /** Where a worker gave a task back: the one-thread reader goes on from its start. */
    let givenBack: PlanTask | undefined;
    const copies = opts.lendChunks ? undefined : new NdjsonChunks();
    let failure: unknown;
    let records = 0;
    let tasks = 0;
    /** The result's output, then its slot is free again (the consumer is done with the views). */
    const take = function* (result: PlanTaskResult, slot: number, task: PlanTask): Generator<Uint8Array> {
      if (givenBack || result.handOver) {
        // This task and every one after it are read again on one thread.
        givenBack ??= task;
        free.push(slot);
        return;
      }
      records += result.records;
      const lines = result.overflow ?? new Uint8Array(slots[slot]!.output, 0, result.outLength);
      const { pieces, failure: stop } = merge(pass, result, lines);
      if (copies) {
        for (const piece of pieces) copies.addBytes(piece);
        yield* stop === undefined ? copies.full() : copies.rest();
      } else yield* pieces;
      free.push(slot);
      if (stop !== undefined) throw stop;
    };
    while (!givenBack) {
      const slot = free.pop()!;
      let task: PlanTask | undefined;
      try {
        task = await cutter.next(slots[slot]!, slot);
      } catch (e) {
        // Rows before an oversized line or a read error are planned first, as on one thread.
        failure = unreadableAudience(e, pass.audienceFile);
      }
      if (!task) break;
      // The first task tells how long a row is, and so about how many rows the file has.
      // Clamped: blank or junk lines at the start must not reserve room for more rows than a file
      // of that size can hold (a recipient row is at least a dozen bytes).
      if (task.seq === 0) pass.expectRecipients(Math.min(Math.ceil((size / task.length) * cutter.rows), Math.ceil(size / 12), MAX_RESERVED));
      const result = pool.run(task);
      result.catch(() => {}); // awaited in order below; a failure must not be "unhandled" meanwhile
      inFlight.push({ slot, task, result });
      tasks++;
      if (free.length === 0) {
        const done = inFlight.shift()!;
        yield* take(await done.result, done.slot, done.task);
      }
    }
    while (inFlight.length > 0) {
      const done = inFlight.shift()!;
      yield* take(await done.result, done.slot, done.task);
    }
    if (copies) yield* copies.rest();
    opts.onFinish?.({ tasks, handedOver: cutter.resumeAt !== undefined || givenBack !== undefined });
    const resumeHere = (offset: number, rows: number, lines: number): ParallelEnd => ({
      done: false,
      resume: { offset, header: start.header, rows, lines, recordDelimiter: start.recordDelimiter },
    });
    // A task given back comes before anything the cutter stopped at later, and before its failure.
    if (givenBack) return resumeHere(givenBack.offset, givenBack.firstRow - 1, givenBack.firstLine - 1);
    if (failure) throw failure;
    if (cutter.resumeAt !== undefined) return resumeHere(cutter.resumeAt, cutter.rows, cutter.lines);
    if (records === 0) {
      throw new AudienceError(
        format === "csv"
          ? audienceDiagnostic("audience-empty", pass.audienceFile, `${pass.audienceFile} has a header but no rows`)
          : audienceDiagnostic("audience-empty", pass.audienceFile, `${pass.audienceFile} has no recipients`),
      );
    }
    return { done: true };
  } finally {
    await handle.close().catch(() => {});
    await pool?.close();
  }
}

/**
 * One task's result into the plan: the diagnostics in row order, and the pieces of `lines` to
 * write, which are all of it but the lines of duplicates. When reporting a diagnostic throws (a
 * caller without `onDiagnostic` stops at the first error), the pieces are the items before that
 * row, as on one thread, and the error comes back with them.
 */
function merge(pass: ParallelPass, result: PlanTaskResult, lines: Uint8Array): { pieces: Uint8Array[]; failure?: unknown } {
  pass.stats.rows += result.rows;
  pass.stats.invalidRows += result.invalidRows;
  const { ends, itemRows, itemLines, keys, diagnostics } = result;
  const pieces: Uint8Array[] = [];
  const others = new Map(result.otherNumbers);
  let d = 0;
  let kept = 0; // output before this offset is decided (kept or cut)
  let decided = 0; // output before this offset belongs to items already admitted or cut
  try {
    for (let i = 0; i < ends.length; i++) {
      const row = itemRows[i]!;
      while (d < diagnostics.length && (diagnostics[d]!.row ?? 0) <= row) pass.reportRow(diagnostics[d++]!);
      const key = keys[i]!;
      const line = itemLines[i]!;
      const admitted = key !== 0 ? pass.admitValue(key, row, line) : pass.admit(others.get(i), row, line);
      decided = ends[i]!;
      if (admitted) {
        // A key is made only when the totals count by it: a string per row costs on this path.
        pass.countSms(result.itemSms[i]!, pass.smsByKey ? pass.keyOf(key !== 0 ? `+${key}` : (others.get(i) ?? "")) : undefined);
        continue;
      }
      const lineStart = i === 0 ? 0 : ends[i - 1]!;
      if (lineStart > kept) pieces.push(lines.subarray(kept, lineStart));
      kept = ends[i]!;
    }
    decided = lines.length;
    while (d < diagnostics.length) pass.reportRow(diagnostics[d++]!);
  } catch (failure) {
    if (decided > kept) pieces.push(lines.subarray(kept, decided));
    return { pieces, failure };
  }
  if (kept < lines.length) pieces.push(lines.subarray(kept));
  return { pieces };
}

/**
 * Reads the audience in tasks of whole lines, counting rows. `next` gives undefined at the end of
 * the file or where the one-thread reader must take over (`resumeAt`).
 */
class TaskCutter {
  /** CSV: records read so far (the row number of the last one). NDJSON: lines so far. */
  rows = 0;
  /** Physical lines read so far. */
  lines = 0;
  /** What the cutter takes as CSV records (the rest is csv-parse's, on one thread). */
  shape: CsvShape;
  /** CSV: the byte offset where the one-thread reader takes over. */
  resumeAt: number | undefined;
  private seq = 0;
  private slot = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** File offset of `pending[0]`, and of the next read. */
  private pendingOffset = 0;
  private position = 0;
  private ended = false;
  /** Thrown by the next `next`, after the task of the lines before it. */
  private failure: AudienceError | undefined;

  constructor(
    private readonly pass: ParallelPass,
    private readonly handle: AudienceFile,
    private readonly format: "csv" | "ndjson",
    private readonly taskBytes: number,
  ) {
    // A character of a single-byte encoding is up to 3 bytes of UTF-8: a record that might pass
    // the cap once decoded is left to the one-thread reader, which counts it decoded.
    const max = isSingleByte(pass.encoding) ? Math.floor(pass.maxRecordBytes / 3) : pass.maxRecordBytes;
    this.shape = { crlf: false, delimiter: pass.delimiter.charCodeAt(0), maxRecordBytes: max };
  }

  /**
   * Reads past a BOM and (CSV) the header; undefined when the one-thread reader must read it
   * all: a header csv-parse must decide, or a byte order mark that says other than the setting
   * (UTF-16, or UTF-8 where `audience.encoding` says otherwise).
   */
  async start(): Promise<{ header: string[]; recordDelimiter: "\n" | "\r\n" } | undefined> {
    // Enough for any header short of the record cap, whatever the task size.
    const first = Buffer.allocUnsafe(this.pass.maxRecordBytes + 3);
    const { bytesRead } = await this.handle.read(first, 0, first.length, 0);
    const data = first.subarray(0, bytesRead);
    if (sourceEncoding(data, this.pass.encoding) !== this.pass.encoding) return undefined;
    const text = stripBom(data);
    const bom = data.length - text.length;
    this.pendingOffset = this.position = bom;
    if (this.format === "ndjson") return { header: [], recordDelimiter: "\n" };
    const ending = firstLineEnding(text);
    if (ending === undefined) return undefined;
    // With a quote in the first line, the line break after it shows the ending.
    const crlf = ending === "not plain" ? text[text.indexOf(NEWLINE) - 1] === 0x0d : ending === "\r\n";
    const shape = { ...this.shape, crlf };
    const end = recordEnd(text, 0, shape);
    if (end <= (crlf ? 2 : 1)) return undefined;
    const bytes = text.subarray(0, end);
    if (this.pass.encoding === "utf-8" && !isUtf8(bytes)) return undefined;
    const line = this.pass.encoding === "utf-8" ? bytes.toString("utf8") : decodeSingleByte(bytes, this.pass.encoding);
    const recordDelimiter = crlf ? "\r\n" : "\n";
    let record: string[];
    if (bytes.includes(QUOTE)) {
      try {
        const parsed = parseCsvSync(line, csvParseOptions(this.pass.delimiter, shape.maxRecordBytes, recordDelimiter)) as unknown as Array<{ record: string[] }>;
        if (parsed.length !== 1) return undefined;
        record = parsed[0]!.record;
      } catch {
        return undefined;
      }
    } else record = line.slice(0, line.length - recordDelimiter.length).split(this.pass.delimiter);
    const header = checkHeader(record, this.pass.audienceFile, this.pass.requiredColumns, this.pass.delimiter);
    this.shape = shape;
    for (let n = bytes.indexOf(NEWLINE); n !== -1; n = bytes.indexOf(NEWLINE, n + 1)) this.lines++;
    this.pendingOffset = this.position = bom + end;
    return { header, recordDelimiter };
  }

  /** The next task, read into `slot`'s input. */
  async next(slot: TaskSlot, slotIndex: number): Promise<PlanTask | undefined> {
    this.slot = slotIndex;
    for (;;) {
      if (this.failure) {
        const failure = this.failure;
        this.failure = undefined;
        throw failure;
      }
      if (this.ended) return undefined;
      const carried = this.pending.length;
      const buf = Buffer.from(slot.input);
      this.pending.copy(buf, 0);
      const { bytesRead } = await this.handle.read(buf, carried, this.taskBytes, this.position);
      this.position += bytesRead;
      const data = buf.subarray(0, carried + bytesRead);
      const dataOffset = this.pendingOffset;
      if (bytesRead === 0) {
        this.ended = true;
        return data.length > 0 ? this.lastLine(buf, data, dataOffset) : undefined;
      }
      const task = this.format === "csv" ? this.csvLines(data, dataOffset) : this.ndjsonLines(data, dataOffset);
      if (task) return task;
    }
  }

  private task(length: number, firstRow: number, firstLine: number, offset: number): PlanTask {
    return { seq: this.seq++, firstRow, firstLine, offset, slot: this.slot, length };
  }

  /** Keeps the unfinished line for the next read (a copy: the slot goes to a worker). */
  private carry(data: Buffer, from: number, dataOffset: number): void {
    this.pending = Buffer.from(data.subarray(from));
    this.pendingOffset = dataOffset + from;
  }

  private stopAt(offset: number): undefined {
    this.resumeAt = offset;
    this.ended = true;
    return undefined;
  }

  private csvLines(data: Buffer, dataOffset: number): PlanTask | undefined {
    const scan = scanRecords(data, this.shape);
    const firstRow = this.rows + 1;
    const firstLine = this.lines + 1;
    this.rows += scan.records;
    this.lines += scan.lines;
    if (scan.handOver) this.stopAt(dataOffset + scan.end);
    else {
      this.carry(data, scan.end, dataOffset);
      if (this.pending.length > this.shape.maxRecordBytes + 2) this.stopAt(this.pendingOffset);
    }
    return scan.end > 0 ? this.task(scan.end, firstRow, firstLine, dataOffset) : undefined;
  }

  private ndjsonLines(data: Buffer, dataOffset: number): PlanTask | undefined {
    const max = this.pass.maxRecordBytes;
    const firstRow = this.rows + 1;
    let lineStart = 0;
    let tooLarge: number | undefined;
    for (;;) {
      const newline = data.indexOf(NEWLINE, lineStart);
      if (newline === -1) break;
      if (newline - lineStart > max) {
        tooLarge = this.rows + 1;
        break;
      }
      this.rows++;
      lineStart = newline + 1;
    }
    if (tooLarge === undefined) {
      this.carry(data, lineStart, dataOffset);
      if (this.pending.length > max) tooLarge = this.rows + 1;
    }
    if (tooLarge !== undefined) {
      // Given after the lines before it, as the one-thread reader does.
      this.ended = true;
      this.failure = recordTooLarge({ file: this.pass.audienceFile, maxRecordBytes: max }, tooLarge, tooLarge);
    }
    this.lines = this.rows;
    return lineStart > 0 ? this.task(lineStart, firstRow, firstRow, dataOffset) : undefined;
  }

  /** The last record of the file, without a line break: it is given one. */
  private lastLine(buf: Buffer, data: Buffer, dataOffset: number): PlanTask | undefined {
    const ending = this.format === "csv" && this.shape.crlf ? "\r\n" : "\n";
    const length = data.length + buf.write(ending, data.length, "latin1");
    if (this.format === "csv") {
      const scan = scanRecords(buf.subarray(0, length), this.shape);
      if (scan.handOver || scan.end !== length) return this.stopAt(dataOffset);
    }
    const firstRow = this.rows + 1;
    this.rows += 1;
    return this.task(length, firstRow, this.lines + 1, dataOffset);
  }
}

/** A worker that failed (out of memory, say) ends the build with one line, not a stack trace. */
function workerFailed(reason: string): InputError {
  return new InputError(
    `A worker thread compiling the audience failed (${reason.split("\n")[0]}); MSGC_THREADS=0 compiles on one thread`,
  );
}

interface Waiting {
  resolve: (result: PlanTaskResult) => void;
  reject: (e: Error) => void;
}

/** Worker threads, each answering its tasks in the order it got them. */
class WorkerPool {
  private readonly workers: Array<{ worker: Worker; waiting: Waiting[] }> = [];
  private closing = false;

  constructor(threads: number, setup: PlanWorkerSetup) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(WORKER_URL, {
        workerData: { msgcPlanWorker: setup },
        // Not the process's own flags (`--input-type`, `--import` hooks...): a worker needs none.
        execArgv: [],
        // A smaller young generation than the default 48 MB: a worker's garbage is short-lived, and
        // each worker's heap counts against the peak memory of the whole process.
        // The old generation is bounded too: a worker that runs away fails alone, with a message.
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: WORKER_OLD_MB },
      });
      const slot = { worker, waiting: [] as Waiting[] };
      worker.on("message", (reply: PlanWorkerReply) => {
        const waiting = slot.waiting.shift();
        if (slot.waiting.length === 0) worker.unref();
        if (!waiting) return;
        if (reply.ok) waiting.resolve(reply.result);
        else waiting.reject(workerFailed(reply.error));
      });
      const fail = (e: Error): void => {
        for (const waiting of slot.waiting.splice(0)) waiting.reject(workerFailed(e.message));
      };
      worker.on("error", fail);
      worker.on("exit", (code) => {
        if (!this.closing) fail(new Error(`it stopped with exit code ${code}`));
      });
      // Referenced only while it has tasks: a caller that drops the plan half-way does not keep
      // the process alive.
      worker.unref();
      this.workers.push(slot);
    }
  }

  /** Sends the task to the least busy worker (its bytes are in shared memory). */
  run(task: PlanTask): Promise<PlanTaskResult> {
    let slot = this.workers[0]!;
    for (const other of this.workers) if (other.waiting.length < slot.waiting.length) slot = other;
    return new Promise((resolve, reject) => {
      slot.waiting.push({ resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}
