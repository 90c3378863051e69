/**
 * The one place that turns a loaded project into plan items: every message, sample and campaign
 * compiled (`compileProject`), and a campaign's audience streamed row by row into plan items
 * (`planCampaign`). build, preview, diff and send all go through here.
 */
import { isAbsolute, relative, resolve, dirname, sep } from "node:path";
import type { Diagnostic } from "../diagnostics.js";
import { isError } from "../diagnostics.js";
import type { PlanItem } from "../compiler/plan.js";
import { compileMessage, compileSamples } from "../compiler/message.js";
import type { CompiledMessage } from "../compiler/message.js";
import { compileCampaign, compileRow } from "../compiler/campaign.js";
import type { CompiledCampaign } from "../compiler/campaign.js";
import { locateDiagnostics } from "../spec/project.js";
import type { LoadedSpec, Project } from "../spec/project.js";
import type { CampaignSpec } from "../types/campaign.generated.js";
import { InputError } from "../cli/io.js";
import { AudienceError, readAudienceBatches } from "./audience.js";
import type { AudienceBatch } from "./audience.js";
import { maskNumber } from "./mask.js";
import { createShapeWriter, NO_ROOM } from "./shape-serializer.js";

export interface CompiledProject {
  messages: Map<string, CompiledMessage>;
  campaigns: Map<string, CompiledCampaign>;
  /** Message name -> one plan item per sample, in sample order. */
  samples: Map<string, PlanItem[]>;
  /** Compile diagnostics only (the project's own load diagnostics are in `project.diagnostics`). */
  diagnostics: Diagnostic[];
}

const compiledProjects = new WeakMap<Project, CompiledProject>();

/** Compiles every message (with its samples) and every campaign; diagnostics are located. */
export function compileProject(project: Project): CompiledProject {
  const messages = new Map<string, CompiledMessage>();
  const campaigns = new Map<string, CompiledCampaign>();
  const samples = new Map<string, PlanItem[]>();
  const diagnostics: Diagnostic[] = [];
  for (const [name, spec] of project.messages) {
    const compiled = compileMessage(spec.data, spec.file);
    diagnostics.push(...compiled.diagnostics);
    if (!compiled.message) continue;
    messages.set(name, compiled.message);
    const sampled = compileSamples(compiled.message);
    diagnostics.push(...sampled.diagnostics);
    samples.set(name, sampled.items);
  }
  for (const [name, spec] of project.campaigns) {
    // A missing message is the loader's unknown-message; a message that failed to compile has
    // its own diagnostics. Neither needs a second report here.
    const message = messages.get(spec.data.message);
    if (!message) continue;
    const compiled = compileCampaign(spec.data, spec.file, message, audienceOptions(project, spec));
    diagnostics.push(...compiled.diagnostics);
    if (compiled.campaign) campaigns.set(name, compiled.campaign);
  }
  const result = { messages, campaigns, samples, diagnostics: locateDiagnostics(project, diagnostics) };
  compiledProjects.set(project, result);
  return result;
}

/** Compiles one campaign and its message, reusing compileProject's work when there is some. */
function compileOneCampaign(project: Project, spec: LoadedSpec<CampaignSpec>): {
  campaign?: CompiledCampaign;
  diagnostics: Diagnostic[];
} {
  const cached = compiledProjects.get(project)?.campaigns.get(spec.name);
  if (cached) return { campaign: cached, diagnostics: [] };
  const messageSpec = project.messages.get(spec.data.message);
  if (!messageSpec) {
    return {
      diagnostics: locateDiagnostics(project, [
        {
          code: "unknown-message",
          severity: "error",
          message: `Campaign "${spec.name}" sends message "${spec.data.message}", which does not exist`,
          file: spec.file,
          path: ["message"],
        },
      ]),
    };
  }
  const compiledMessage = compileMessage(messageSpec.data, messageSpec.file);
  if (!compiledMessage.message) return { diagnostics: locateDiagnostics(project, compiledMessage.diagnostics) };
  const compiled = compileCampaign(spec.data, spec.file, compiledMessage.message, audienceOptions(project, spec));
  return { ...compiled, diagnostics: locateDiagnostics(project, compiled.diagnostics) };
}

/** Filled in by planCampaign as it goes; read it when the generator is done. */
export interface CampaignStats {
  /** Audience rows read (good and bad). */
  rows: number;
  /** Plan items produced. */
  items: number;
  /** Rows left out because of an error. */
  invalidRows: number;
  /** Rows left out because their number was already planned. */
  duplicates: number;
  /** Reading stopped early (the file could not be read further, or the campaign did not compile). */
  aborted: boolean;
}

export interface PlanCampaignOptions {
  /** Stop after this many plan items. */
  limit?: number;
  /**
   * Receives every diagnostic (row problems, duplicates, unreadable audience). Without it, the
   * first error is thrown as an InputError and warnings are dropped.
   */
  onDiagnostic?: (d: Diagnostic) => void;
  stats?: CampaignStats;
  /**
   * Row diagnostics listed one by one before the rest are summed up in one (default 1000), so
   * that a file of a million bad rows does not flood the output or the memory of a JSON report.
   */
  maxRowDiagnostics?: number;
}

export function newCampaignStats(): CampaignStats {
  return { rows: 0, items: 0, invalidRows: 0, duplicates: 0, aborted: false };
}

function throwOnError(d: Diagnostic): void {
  if (!isError(d)) return;
  const where = d.row !== undefined ? `${d.file}:${d.row}` : d.file;
  throw new InputError(`${where}: ${d.message}`);
}

/** The audience file of a campaign: absolute, and project-relative unless it is outside the project. */
function audienceOf(project: Project, spec: LoadedSpec<CampaignSpec>): { absPath: string; file: string | undefined } {
  const absPath = resolve(dirname(spec.absPath), spec.data.audience.file);
  return { absPath, file: insideProject(project.config.root, absPath) };
}

function audienceOptions(project: Project, spec: LoadedSpec<CampaignSpec>): { audienceFile?: string } {
  const { file } = audienceOf(project, spec);
  return file === undefined ? {} : { audienceFile: file };
}

/** Project-relative POSIX path, or undefined when `absPath` is outside the root. */
function insideProject(root: string, absPath: string): string | undefined {
  const rel = relative(root, absPath);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

/** CSV header columns that every row needs: without them no row can compile. */
function requiredColumnsOf(campaign: CompiledCampaign): string[] {
  const columns = [campaign.phoneColumn];
  if (campaign.localeColumn !== undefined) columns.push(campaign.localeColumn);
  if (campaign.lastInboundAtColumn !== undefined) columns.push(campaign.lastInboundAtColumn);
  const defs = campaign.message.spec.vars ?? {};
  for (const [variable, column] of campaign.columns) {
    const def = defs[variable];
    // A default or a campaign constant fills in for a missing column; an optional var may be absent.
    if (!def || def.required === false || def.default !== undefined || Object.hasOwn(campaign.constants, variable)) continue;
    columns.push(column);
  }
  return [...new Set(columns)];
}

/**
 * One pass over a campaign's audience: the checks before reading, the row diagnostics (capped),
 * duplicate detection and the stats. Shared by the item and the NDJSON planners so that both
 * report exactly the same things.
 */
class CampaignPass {
  readonly report: (d: Diagnostic) => void;
  readonly stats: CampaignStats;
  private readonly maxRowDiagnostics: number;
  private rowDiagnostics = 0;
  private suppressed = 0;
  private suppressedErrors = false;
  private readonly seen = new RecipientSet();

  private constructor(
    readonly spec: LoadedSpec<CampaignSpec>,
    readonly campaign: CompiledCampaign,
    readonly audiencePath: string,
    readonly audienceFile: string,
    opts: PlanCampaignOptions,
  ) {
    this.report = opts.onDiagnostic ?? throwOnError;
    this.stats = opts.stats ?? newCampaignStats();
    this.maxRowDiagnostics = opts.maxRowDiagnostics ?? 1000;
  }

  /** Undefined (with the reasons reported) when the campaign cannot be planned at all. */
  static start(project: Project, name: string, opts: PlanCampaignOptions): CampaignPass | undefined {
    const spec = project.campaigns.get(name);
    if (!spec) {
      const known = [...project.campaigns.keys()];
      throw new InputError(`There is no campaign named "${name}"${known.length ? ` (campaigns: ${known.join(", ")})` : ""}`);
    }
    const report = opts.onDiagnostic ?? throwOnError;
    const stats = opts.stats ?? newCampaignStats();
    const { campaign, diagnostics } = compileOneCampaign(project, spec);
    if (!campaign) {
      stats.aborted = true;
      for (const d of diagnostics) report(d);
      return undefined;
    }
    const { absPath, file } = audienceOf(project, spec);
    // loadProject refuses an audience outside the project (symlinks followed); its diagnostic is
    // in project.diagnostics already and is not reported twice.
    const refused = project.diagnostics.some((d) => d.code === "path-outside-project" && d.file === spec.file);
    if (refused || file === undefined) {
      stats.aborted = true;
      // A project that loadProject did not check (one put together by hand) is refused here.
      if (!refused) {
        const [located] = locateDiagnostics(project, [
          {
            code: "path-outside-project",
            severity: "error",
            message: `Audience file "${spec.data.audience.file}" is outside the project`,
            file: spec.file,
            path: ["audience", "file"],
          },
        ]);
        report(located!);
      }
      return undefined;
    }
    return new CampaignPass(spec, campaign, absPath, file, { ...opts, stats });
  }

  batches(): AsyncGenerator<AudienceBatch> {
    return readAudienceBatches(this.audiencePath, this.audienceFile, { requiredColumns: requiredColumnsOf(this.campaign) });
  }

  /** A row the reader could not make sense of. */
  readerProblem(d: Diagnostic): void {
    this.stats.rows++;
    this.stats.invalidRows++;
    this.reportRow(d);
  }

  /**
   * Compiles a batch on this thread, reporting in row order; `emit` receives each planned item
   * and returns false to stop. Returns false when stopped.
   */
  compileBatch({ rows, problems }: AudienceBatch, emit: (item: PlanItem) => boolean): boolean {
    let p = 0;
    for (const { row, values, fromStrings } of rows) {
      while (p < problems.length && (problems[p]!.row ?? 0) < row) this.readerProblem(problems[p++]!);
      this.stats.rows++;
      const compiled = compileRow(this.campaign, values, row, { fromStrings });
      for (const d of compiled.diagnostics) this.reportRow(d);
      if (!compiled.item) {
        this.stats.invalidRows++;
        continue;
      }
      if (!this.admit(compiled.number, row)) continue;
      if (!emit(compiled.item)) return false;
    }
    while (p < problems.length) this.readerProblem(problems[p++]!);
    return true;
  }

  reportRow(d: Diagnostic): void {
    if (this.rowDiagnostics < this.maxRowDiagnostics) {
      this.rowDiagnostics++;
      this.report(d);
    } else {
      this.suppressed++;
      this.suppressedErrors ||= isError(d);
    }
  }

  /** True when the item for `number` at `row` goes into the plan; false for a duplicate (reported). */
  admit(number: string | undefined, row: number): boolean {
    if (number !== undefined) {
      const firstRow = this.seen.firstRowOf(number, row);
      if (firstRow !== undefined) {
        this.stats.duplicates++;
        this.reportRow({
          code: "duplicate-recipient",
          severity: "warning",
          message: `${maskNumber(number)} is already at row ${firstRow}; it is sent once`,
          file: this.audienceFile,
          path: [],
          row,
          field: this.campaign.phoneColumn,
        });
        return false;
      }
    }
    this.stats.items++;
    return true;
  }

  /** An unreadable audience ends the pass with its diagnostic; anything else is rethrown. */
  fail(e: unknown): void {
    if (!(e instanceof AudienceError)) throw e;
    this.stats.aborted = true;
    this.report(e.diagnostic.code === "audience-not-found" ? this.notFoundAtSpec() : e.diagnostic);
  }

  /** A missing file has no row to point at: the campaign's `audience.file` is what to fix. */
  private notFoundAtSpec(): Diagnostic {
    const range = this.spec.locate(["audience", "file"]);
    return {
      code: "audience-not-found",
      severity: "error",
      message: `Audience file "${this.spec.data.audience.file}" does not exist (${this.audienceFile})`,
      file: this.spec.file,
      path: ["audience", "file"],
      ...(range ? { range } : {}),
    };
  }

  finish(): void {
    if (this.suppressed === 0) return;
    const n = this.suppressed;
    this.suppressed = 0;
    this.report({
      code: "audience-row-invalid",
      severity: this.suppressedErrors ? "error" : "warning",
      message: `${n} more row problem${n === 1 ? "" : "s"} not listed (only the first ${this.maxRowDiagnostics} are)`,
      file: this.audienceFile,
      path: [],
    });
  }
}

/**
 * Streams a campaign's audience into plan items, in file order. Bad rows are reported (with
 * row and field) and left out; a number seen again is reported as duplicate-recipient and
 * planned once.
 */
export async function* planCampaign(
  project: Project,
  name: string,
  opts: PlanCampaignOptions = {},
): AsyncGenerator<PlanItem> {
  const pass = CampaignPass.start(project, name, opts);
  if (pass) yield* passItems(pass, opts.limit ?? Infinity);
}

async function* passItems(pass: CampaignPass, limit: number): AsyncGenerator<PlanItem> {
  try {
    if (limit <= 0) return;
    for await (const batch of pass.batches()) {
      const items: PlanItem[] = [];
      const going = pass.compileBatch(batch, (item) => {
        items.push(item);
        return pass.stats.items < limit;
      });
      yield* items;
      if (!going || pass.stats.items >= limit) return;
    }
  } catch (e) {
    pass.fail(e);
  } finally {
    pass.finish();
  }
}

/**
 * The campaign's plan as NDJSON: exactly `JSON.stringify(item) + "\n"` in UTF-8 (written by a
 * shape writer, which gives the same bytes faster) for every item
 * planCampaign yields, in the same order, with the same diagnostics, in chunks of about 64 KB.
 */
export async function* planCampaignNdjson(
  project: Project,
  name: string,
  opts: Omit<PlanCampaignOptions, "limit"> = {},
): AsyncGenerator<Uint8Array> {
  const pass = CampaignPass.start(project, name, opts);
  if (!pass) return;
  const out = new NdjsonChunks();
  let failure: unknown;
  try {
    try {
      for await (const batch of pass.batches()) {
        pass.compileBatch(batch, (item) => {
          out.addJson(item);
          return true;
        });
        yield* out.full();
      }
    } catch (e) {
      failure = e;
    }
    // The items planned before a failure are written, then the failure is reported.
    yield* out.rest();
    if (failure !== undefined) pass.fail(failure);
  } finally {
    pass.finish();
  }
}

const CHUNK_BYTES = 64 * 1024;

/**
 * Encodes lines straight into fixed-size buffers. Building one long string and converting it
 * at the end costs ten times more: concatenation makes a rope that must be flattened first.
 */
export class NdjsonChunks {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private done: Buffer[] = [];
  private readonly writeJson = createShapeWriter();

  /** `JSON.stringify(value)` and a line break, encoded straight into the chunk. */
  addJson(value: unknown): void {
    const end = this.chunk.length - 1; // room for the line break
    let next = this.writeJson(value, this.chunk, this.used, end);
    if (next === NO_ROOM && this.used > 0) {
      this.cut();
      next = this.writeJson(value, this.chunk, 0, end);
    }
    if (next === NO_ROOM) {
      this.add(JSON.stringify(value));
      return;
    }
    this.chunk[next] = 0x0a;
    this.used = next + 1;
  }

  add(line: string): void {
    const most = line.length * 3 + 1; // UTF-8 needs at most 3 bytes per UTF-16 unit
    if (this.used + most > this.chunk.length) {
      this.cut();
      if (most > this.chunk.length) {
        this.done.push(Buffer.from(`${line}\n`));
        return;
      }
    }
    this.used += this.chunk.write(line, this.used);
    this.chunk[this.used++] = 0x0a;
  }

  /** The chunks filled so far. */
  full(): Buffer[] {
    const done = this.done;
    this.done = [];
    return done;
  }

  /** Everything, including the chunk being filled. */
  rest(): Buffer[] {
    this.cut();
    return this.full();
  }

  private cut(): void {
    if (this.used === 0) return;
    this.done.push(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }
}

/**
 * The numbers already planned, with the row each was first seen at. E.164 numbers have at most
 * 15 digits, so each is stored exactly as a double, next to its row, in one open-addressing
 * table: 32 bytes per number at most and one cache line per lookup (a Map costs several times
 * that in memory and time; a million rows must stay well under the 200 MB budget).
 */
export class RecipientSet {
  /** [number, first row] pairs; 0 marks a free slot (no E.164 number is 0). */
  private table = new Float64Array(2048);
  private count = 0;
  /** Anything that is not `+` and 1..15 digits (never expected from the compiler). */
  private readonly others = new Map<string, number>();

  get size(): number {
    return this.count + this.others.size;
  }

  /** The row where `number` was first added, or undefined after adding it at `row`. */
  firstRowOf(number: string, row: number): number | undefined {
    const key = e164Value(number);
    if (key === undefined) {
      const first = this.others.get(number);
      if (first === undefined) this.others.set(number, row);
      return first;
    }
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    let slot = hashNumber(key) & mask;
    for (;;) {
      const existing = table[slot * 2]!;
      if (existing === 0) break;
      if (existing === key) return table[slot * 2 + 1];
      slot = (slot + 1) & mask;
    }
    table[slot * 2] = key;
    table[slot * 2 + 1] = row;
    // Grow at half full: probe sequences stay short.
    if (++this.count * 4 > table.length) this.grow();
    return undefined;
  }

  private grow(): void {
    const old = this.table;
    const table = new Float64Array(old.length * 2);
    const mask = (table.length >>> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      const key = old[i]!;
      if (key === 0) continue;
      let slot = hashNumber(key) & mask;
      while (table[slot * 2] !== 0) slot = (slot + 1) & mask;
      table[slot * 2] = key;
      table[slot * 2 + 1] = old[i + 1]!;
    }
    this.table = table;
  }
}

/** The digits of `+` and 1..15 digits (no leading 0) as a number, exact below 2^53; else undefined. */
function e164Value(number: string): number | undefined {
  const length = number.length;
  if (length < 2 || length > 16 || number.charCodeAt(0) !== 0x2b || number.charCodeAt(1) === 0x30) return undefined;
  let value = 0;
  for (let i = 1; i < length; i++) {
    const digit = number.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

/** MurmurHash3's finalizer, applied to both 32-bit halves of an integer below 2^53. */
function hashNumber(key: number): number {
  const high = Math.floor(key / 4294967296);
  const low = (key - high * 4294967296) >>> 0;
  return mix32(mix32(low) ^ Math.imul(high, 0x9e3779b1));
}

function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
