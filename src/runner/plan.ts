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
    if (file === undefined) {
      stats.aborted = true;
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
    this.report(e.diagnostic);
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
 * The campaign's plan as NDJSON text, a chunk of lines per read chunk of the audience: exactly
 * `JSON.stringify(item) + "\n"` for every item planCampaign yields, in the same order, with the
 * same diagnostics, without a generator step per row.
 */
export async function* planCampaignNdjson(
  project: Project,
  name: string,
  opts: Omit<PlanCampaignOptions, "limit"> = {},
): AsyncGenerator<string> {
  const pass = CampaignPass.start(project, name, opts);
  if (!pass) return;
  try {
    for await (const batch of pass.batches()) {
      let text = "";
      pass.compileBatch(batch, (item) => {
        text += `${JSON.stringify(item)}\n`;
        return true;
      });
      if (text !== "") yield text;
    }
  } catch (e) {
    pass.fail(e);
  } finally {
    pass.finish();
  }
}

/**
 * The numbers already planned, with the row each was first seen at. E.164 numbers have at most
 * 15 digits, so each is stored exactly as a double in an open-addressing table: about 24 bytes
 * per number (a Set of strings costs several times that; a million rows must stay well under
 * the 200 MB budget).
 */
export class RecipientSet {
  private keys = new Float64Array(1024);
  private rows = new Uint32Array(1024);
  private count = 0;
  /** Anything that is not `+` and 1..15 digits (never expected from the compiler). */
  private readonly others = new Map<string, number>();

  get size(): number {
    return this.count + this.others.size;
  }

  /** The row where `number` was first added, or undefined after adding it at `row`. */
  firstRowOf(number: string, row: number): number | undefined {
    const key = /^\+[1-9]\d{0,14}$/.test(number) ? Number(number.slice(1)) : undefined;
    if (key === undefined) {
      const first = this.others.get(number);
      if (first === undefined) this.others.set(number, row);
      return first;
    }
    const mask = this.keys.length - 1;
    let slot = hashNumber(key) & mask;
    for (;;) {
      const existing = this.keys[slot]!;
      if (existing === 0) break;
      if (existing === key) return this.rows[slot];
      slot = (slot + 1) & mask;
    }
    this.keys[slot] = key;
    this.rows[slot] = row;
    if (++this.count * 2 > this.keys.length) this.grow();
    return undefined;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldRows = this.rows;
    this.keys = new Float64Array(oldKeys.length * 2);
    this.rows = new Uint32Array(oldKeys.length * 2);
    const mask = this.keys.length - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i]!;
      if (key === 0) continue;
      let slot = hashNumber(key) & mask;
      while (this.keys[slot] !== 0) slot = (slot + 1) & mask;
      this.keys[slot] = key;
      this.rows[slot] = oldRows[i]!;
    }
  }
}

function hashNumber(key: number): number {
  const low = key % 0x100000000;
  const high = Math.floor(key / 0x100000000);
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
