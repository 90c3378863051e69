/**
 * The one place that turns a loaded project into plan items: every message, sample and campaign
 * compiled (`compileProject`), and a campaign's audience streamed row by row into plan items
 * (`planCampaign`). build, preview, diff and send all go through here.
 */
import { isAbsolute, relative, resolve, dirname, sep } from "node:path";
import type { Diagnostic } from "../diagnostics.js";
import { isError } from "../diagnostics.js";
import type { PlanItem } from "../compiler/plan.js";
import { checkTrackingRoom } from "../compiler/tracking-room.js";
import { compileMessage, compileSamples } from "../compiler/message.js";
import type { CompiledMessage } from "../compiler/message.js";
import { compileCampaign, compileRow } from "../compiler/campaign.js";
import type { CompiledCampaign } from "../compiler/campaign.js";
import { checkMessageTemplates, messageTemplateForms, renderedBodyChecker, renderedTooLongMessage, templateBodiesOf } from "../compiler/template-check.js";
import type { TemplateBodies } from "../compiler/template-check.js";
import { lintTemplate } from "../compiler/template-lint.js";
import { locateDiagnostics } from "../project/project.js";
import type { LoadedSpec, Project } from "../project/project.js";
import type { CampaignSpec } from "../types/campaign.generated.js";
import type { MessageSpec } from "../types/message.generated.js";
import { InputError } from "../errors.js";
import { atLine, AudienceError, MAX_RECORD_BYTES, readAudienceBatches } from "./audience.js";
import type { AudienceBatch, CsvResume, RequiredColumn } from "./audience.js";
import type { AudienceEncoding } from "./audience-encoding.js";
import { planInParallel } from "./parallel-plan.js";
import type { ParallelOptions, ParallelPass } from "./parallel-plan.js";
import { maskNumber } from "../mask.js";
import { NdjsonChunks } from "./ndjson-chunks.js";
import { RecipientSet } from "./recipients.js";
import { addSmsCode, LookalikeRows, newSmsTotals, smsCode, type SmsTotals } from "./sms-totals.js";

export { RecipientSet };

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
const NO_TEMPLATES: Project["templates"] = new Map();

/** A project's Template specs; none in one put together by hand before Templates existed. */
function templatesOf(project: Project): Project["templates"] {
  return project.templates ?? NO_TEMPLATES;
}

export function compileProject(project: Project): CompiledProject {
  const messages = new Map<string, CompiledMessage>();
  const campaigns = new Map<string, CompiledCampaign>();
  const samples = new Map<string, PlanItem[]>();
  const diagnostics: Diagnostic[] = [];
  const renderedBodyTooLong = renderedBodyChecker(templateBodiesOf(templatesOf(project).values()));
  for (const [name, spec] of project.messages) {
    const compiled = compileMessage(spec.data, spec.file);
    diagnostics.push(...compiled.diagnostics);
    diagnostics.push(...checkMessageTemplates(spec.data, spec.file, templatesOf(project), { require: project.config.requireTemplates === true }));
    if (project.config.track !== false) diagnostics.push(...checkTrackingRoom(spec.data, spec.file));
    if (!compiled.message) continue;
    messages.set(name, compiled.message);
    const sampled = compileSamples(compiled.message);
    diagnostics.push(...sampled.diagnostics);
    for (const item of sampled.items) {
      const tooLong = renderedBodyTooLong(item);
      if (tooLong === undefined) continue;
      const sample = item.key.slice(item.key.indexOf("/sample:") + "/sample:".length);
      diagnostics.push({ code: "template-rendered-too-long", severity: "error", message: `Sample "${sample}": ${renderedTooLongMessage(tooLong)}`, file: spec.file, path: ["template", "body"] });
    }
    samples.set(name, sampled.items);
  }
  for (const spec of templatesOf(project).values()) diagnostics.push(...lintTemplate(spec.data, spec.file));
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
export function compileOneCampaign(project: Project, spec: LoadedSpec<CampaignSpec>): {
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
  /** The planned items by channel, with SMS segments: only when the message has an sms form. */
  sms?: SmsTotals;
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
  /**
   * Which plan keys the SMS totals count (a shard's own: the summary of `send --shard` is the
   * shard's); default every item. The other stats count the whole plan either way.
   */
  countsSms?: (key: string) => boolean;
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

function audienceOptions(project: Project, spec: LoadedSpec<CampaignSpec>): { audienceFile?: string; templates?: TemplateBodies } {
  const { file } = audienceOf(project, spec);
  const templates = templatesOf(project).size > 0 ? { templates: templateBodiesOf(templatesOf(project).values()) } : {};
  return file === undefined ? templates : { audienceFile: file, ...templates };
}

/** Project-relative POSIX path, or undefined when `absPath` is outside the root. */
function insideProject(root: string, absPath: string): string | undefined {
  const rel = relative(root, absPath);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

/** CSV header columns that every row needs (without them no row can compile), and the settings that name them. */
function requiredColumnsOf(campaign: CompiledCampaign): RequiredColumn[] {
  const columns: RequiredColumn[] = [{ column: campaign.phoneColumn, setting: "phone" }];
  if (campaign.localeColumn !== undefined) columns.push({ column: campaign.localeColumn, setting: "locale" });
  if (campaign.lastInboundAtColumn !== undefined) columns.push({ column: campaign.lastInboundAtColumn, setting: "lastInboundAt" });
  const defs = campaign.message.spec.vars ?? {};
  for (const [variable, column] of campaign.columns) {
    const def = defs[variable];
    // A default or a campaign constant fills in for a missing column; an optional var may be absent.
    if (!def || def.required === false || def.default !== undefined || Object.hasOwn(campaign.constants, variable)) continue;
    columns.push({ column, setting: { variable } });
  }
  const seen = new Set<string>();
  return columns.filter(({ column }) => !seen.has(column) && seen.add(column));
}

/**
 * One pass over a campaign's audience: the checks before reading, the row diagnostics (capped),
 * duplicate detection and the stats. Shared by the item and the NDJSON planners so that both
 * report exactly the same things.
 */
class CampaignPass implements ParallelPass {
  readonly report: (d: Diagnostic) => void;
  readonly stats: CampaignStats;
  readonly maxRecordBytes = MAX_RECORD_BYTES;
  readonly requiredColumns: readonly RequiredColumn[];
  readonly encoding: AudienceEncoding;
  readonly delimiter: string;
  private readonly maxRowDiagnostics: number;
  private rowDiagnostics = 0;
  private suppressed = 0;
  private suppressedErrors = false;
  private readonly seen = new RecipientSet();
  private readonly lookalikes = new LookalikeRows();
  /** The marketing Template the campaign sends, when its Template spec says so; +1 recipients counted. */
  private readonly marketingTemplate: string | undefined;
  private usRecipients = 0;
  private readonly countsSms: ((key: string) => boolean) | undefined;

  private constructor(
    readonly spec: LoadedSpec<CampaignSpec>,
    readonly campaign: CompiledCampaign,
    private readonly messageSpec: LoadedSpec<MessageSpec>,
    readonly audiencePath: string,
    readonly audienceFile: string,
    opts: PlanCampaignOptions & { marketingTemplate?: string },
  ) {
    this.report = opts.onDiagnostic ?? throwOnError;
    this.stats = opts.stats ?? newCampaignStats();
    this.maxRowDiagnostics = opts.maxRowDiagnostics ?? 1000;
    this.requiredColumns = requiredColumnsOf(campaign);
    this.encoding = spec.data.audience.encoding ?? "utf-8";
    this.delimiter = spec.data.audience.delimiter ?? ",";
    if (campaign.message.hasSms) this.stats.sms ??= newSmsTotals();
    this.marketingTemplate = opts.marketingTemplate;
    this.countsSms = opts.countsSms;
  }

  /** What a plan worker compiles the campaign from: the same spec data as this thread. */
  get setup(): ParallelPass["setup"] {
    return {
      message: { spec: this.messageSpec.data, file: this.messageSpec.file },
      campaign: { spec: this.spec.data, file: this.spec.file, audienceFile: this.audienceFile, ...(this.campaign.templates ? { templates: this.campaign.templates } : {}) },
    };
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
    const messageSpec = project.messages.get(spec.data.message)!;
    const marketing = messageTemplateForms(messageSpec.data).find((form) => templatesOf(project).get(form.name)?.data.category === "marketing");
    return new CampaignPass(spec, campaign, messageSpec, absPath, file, { ...opts, stats, ...(marketing ? { marketingTemplate: marketing.name } : {}) });
  }

  /** The audience in batches, from the start or from where a parallel run handed over. */
  batches(resume?: CsvResume): AsyncGenerator<AudienceBatch> {
    return readAudienceBatches(this.audiencePath, this.audienceFile, {
      requiredColumns: this.requiredColumns,
      encoding: this.encoding,
      delimiter: this.delimiter,
      ...(resume ? { resume } : {}),
    });
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
    for (const { row, line, values, fromStrings } of rows) {
      while (p < problems.length && (problems[p]!.row ?? 0) < row) this.readerProblem(problems[p++]!);
      this.stats.rows++;
      const compiled = compileRow(this.campaign, values, row, { fromStrings });
      for (const d of compiled.diagnostics) this.reportRow(atLine(d, line));
      if (!compiled.item) {
        this.stats.invalidRows++;
        continue;
      }
      if (!this.admit(compiled.number, row, line)) continue;
      this.countSms(smsCode(compiled.sms), compiled.item.key);
      if (!emit(compiled.item)) return false;
    }
    while (p < problems.length) this.readerProblem(problems[p++]!);
    return true;
  }

  get smsByKey(): boolean {
    return this.stats.sms !== undefined && this.countsSms !== undefined;
  }

  /** An admitted item's channel and segments (`smsCode`), when its key is one the totals count. */
  countSms(code: number, key?: string): void {
    if (this.stats.sms && (this.countsSms === undefined || (key !== undefined && this.countsSms(key)))) addSmsCode(this.stats.sms, code);
  }

  /** The plan key of a campaign's recipient (as compileRow makes it). */
  keyOf(number: string): string {
    return `${this.campaign.name}/${number}`;
  }

  reportRow(d: Diagnostic): void {
    if (d.code === "sms-unicode-lookalike") {
      this.lookalikes.add(d);
      return;
    }
    if (this.rowDiagnostics < this.maxRowDiagnostics) {
      this.rowDiagnostics++;
      this.report(d);
    } else {
      this.suppressed++;
      this.suppressedErrors ||= isError(d);
    }
  }

  /** True when the item for `number` at `row` goes into the plan; false for a duplicate (reported). */
  admit(number: string | undefined, row: number, line: number): boolean {
    const firstRow = number === undefined ? undefined : this.seen.firstRowOf(number, row);
    if (firstRow === undefined && this.marketingTemplate !== undefined && number?.startsWith("+1")) this.usRecipients++;
    return firstRow === undefined ? this.admitted() : this.duplicate(number!, row, line, firstRow);
  }

  /** Room for about `n` recipients at once, so that the duplicate table does not grow step by step as they come. */
  expectRecipients(n: number): void {
    this.seen.reserve(n);
  }

  /** `admit` for a number given as its `e164Value` (a plan worker's key). */
  admitValue(key: number, row: number, line: number): boolean {
    const firstRow = this.seen.firstRowOfValue(key, row);
    // +1 and ten digits: the only E.164 numbers of 11 digits that start with 1.
    if (firstRow === undefined && this.marketingTemplate !== undefined && key >= 1e10 && key < 2e10) this.usRecipients++;
    return firstRow === undefined ? this.admitted() : this.duplicate(`+${key}`, row, line, firstRow);
  }

  private admitted(): true {
    this.stats.items++;
    return true;
  }

  private duplicate(number: string, row: number, line: number, firstRow: number): false {
    this.stats.duplicates++;
    this.reportRow({
      code: "duplicate-recipient",
      severity: "warning",
      message: `${maskNumber(number)} is already ${firstRow > 0 ? `at row ${firstRow}` : "in an earlier row"}; it is sent once`,
      file: this.audienceFile,
      path: [],
      row,
      line,
      field: this.campaign.phoneColumn,
    });
    return false;
  }

  private warnMarketingToUs(): void {
    if (this.marketingTemplate === undefined || this.usRecipients === 0) return;
    const count = this.usRecipients;
    this.usRecipients = 0;
    this.report(marketingWarning(this, this.marketingTemplate, count));
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
    const lookalikes = this.lookalikes.take();
    if (lookalikes) this.report(lookalikes);
    this.warnMarketingToUs();
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
 * Meta has not delivered marketing templates to US numbers since 2025-04-01: one warning per
 * campaign, with the count, rather than one failed send per recipient.
 */
function marketingWarning(pass: { spec: LoadedSpec<CampaignSpec> }, template: string, count: number): Diagnostic {
  const range = pass.spec.locate(["message"]);
  return {
    code: "marketing-to-us-numbers",
    severity: "warning",
    message: `${count} recipient${count === 1 ? "" : "s"} with a +1 number would get marketing template "${template}"; Meta has not delivered marketing templates to US numbers since 2025-04-01`,
    file: pass.spec.file,
    path: ["message"],
    ...(range ? { range } : {}),
  };
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
 * planCampaign yields, in the same order, with the same diagnostics, in chunks (not always cut at a line break):
 * about 64 KB each, or with `parallel.lendChunks` up to a worker task's output (a few MB at most),
 * lent only until the next chunk is asked for. Large CSV and NDJSON audiences are compiled on
 * worker threads (`parallel-plan.ts`), with the same bytes.
 */
export async function* planCampaignNdjson(
  project: Project,
  name: string,
  opts: Omit<PlanCampaignOptions, "limit"> & { parallel?: ParallelOptions } = {},
): AsyncGenerator<Uint8Array> {
  const pass = CampaignPass.start(project, name, opts);
  if (!pass) return;
  const out = new NdjsonChunks();
  let failure: unknown;
  try {
    try {
      // Large CSV and NDJSON audiences go to worker threads; the rest, and a CSV from its
      // first line that is not plain, is read here.
      const parallel = yield* planInParallel(pass, opts.parallel);
      if (!parallel.done) {
        for await (const batch of pass.batches(parallel.resume)) {
          pass.compileBatch(batch, (item) => {
            out.addJson(item);
            return true;
          });
          yield* out.full();
        }
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

