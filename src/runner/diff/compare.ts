/**
 * Comparing two compiled projects (the base revision and the working tree): messages sample by
 * sample, campaigns by spec and by audience. Pure apart from streaming audiences.
 */
import { createHash } from "node:crypto";
import type { Diagnostic } from "../../diagnostics.js";
import { isError } from "../../diagnostics.js";
import type { PlanItem } from "../../compiler/plan.js";
import type { Project } from "../../project/project.js";
import { maskNumbersIn } from "../../mask.js";
import type { CompiledProject } from "../plan.js";
import { newCampaignStats, planCampaign } from "../plan.js";
import { renderPlanItem } from "../preview/model.js";
import { formatTranscript } from "../preview/text.js";
import type { FieldChange } from "./json-changes.js";
import { jsonChanges } from "./json-changes.js";
import type { SmsTotals } from "../sms-totals.js";

export type Side = "base" | "head";
export type ChangeStatus = "added" | "removed" | "changed" | "unchanged";
export type SpecStatus = ChangeStatus | "broken";

/** A diagnostic as it appears in a diff report: 1-based positions, no code frame. */
export interface ReportedProblem {
  file: string;
  line?: number;
  column?: number;
  row?: number;
  code: string;
  message: string;
}

export interface SpecProblems {
  side: Side;
  /** Why it does not compile when the spec itself has no error (its message does not compile). */
  note?: string;
  problems: ReportedProblem[];
}

export interface SampleDiff {
  sample: string;
  status: ChangeStatus;
  /** What the customer sees (the diff transcript), before and after. */
  before?: string[];
  after?: string[];
  /** Plan item fields that changed (changed samples only). */
  fields: FieldChange[];
}

export interface MessageDiff {
  name: string;
  file: string;
  status: SpecStatus;
  /** For `broken`: the sides on which it does not compile, with their errors. */
  broken: SpecProblems[];
  samples: SampleDiff[];
  /** Spec fields that changed (also when no sample renders differently). */
  specFields: FieldChange[];
}

export interface RowDiff {
  key: string;
  status: Exclude<ChangeStatus, "unchanged">;
  fields: FieldChange[];
}

export interface AudienceDiff {
  before: number;
  after: number;
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
  /** Rows left out because of errors, on each side. */
  invalidRows: { base: number; head: number };
  /** The first few added, removed or changed recipients, in audience order. */
  rows: RowDiff[];
  /** Recipients by channel and SMS segments on each side, when a side's message has an sms form. */
  sms?: { base: SmsTotals | null; head: SmsTotals | null };
}

export interface CampaignDiff {
  name: string;
  file: string;
  status: SpecStatus;
  broken: SpecProblems[];
  specFields: FieldChange[];
  audience?: AudienceDiff;
}

/** A Template spec on both sides: a changed one that Meta approved cannot be changed in place. */
export interface TemplateDiff {
  name: string;
  file: string;
  status: SpecStatus;
  broken: SpecProblems[];
  specFields: FieldChange[];
  /** For a changed template: what to do instead of editing it. */
  hint?: string;
}

export interface SideInput {
  project: Project;
  compiled: CompiledProject;
}

export interface CompareOptions {
  showNumbers: boolean;
  now: number;
  /** Changed recipients listed per campaign (default 5). */
  rowsShown: number;
  /** Only specs whose file this accepts (the [paths…] arguments). */
  inScope: (file: string) => boolean;
}

/** A diagnostic of one side of the diff (numbers masked in its message unless shown). */
export type SidedDiagnostic = Diagnostic & { side: Side };

export interface Comparison {
  messages: MessageDiff[];
  campaigns: CampaignDiff[];
  templates: TemplateDiff[];
  /** Errors in files that are not a (named) spec on that side: YAML that does not parse, say. */
  otherProblems: SpecProblems[];
  /**
   * Every problem reported above (broken specs and other files), once each, as Diagnostics: what
   * `--format json` prints in cli.md's one diagnostics shape, with the side added.
   */
  diagnostics: SidedDiagnostic[];
}

function reportProblem(d: Diagnostic, showNumbers: boolean): ReportedProblem {
  const p: ReportedProblem = { file: d.file, code: d.code, message: showNumbers ? d.message : maskNumbersIn(d.message) };
  if (d.range) {
    p.line = d.range.start.line + 1;
    p.column = d.range.start.column + 1;
  }
  if (d.row !== undefined) p.row = d.row;
  return p;
}

function errorsByFile(side: SideInput): Map<string, Diagnostic[]> {
  const map = new Map<string, Diagnostic[]>();
  for (const d of [...side.project.diagnostics, ...side.compiled.diagnostics]) {
    // An empty side (a project that starts in this change) is not a problem of any file.
    if (!isError(d) || d.row !== undefined || d.code === "no-specs") continue;
    const list = map.get(d.file) ?? [];
    list.push(d);
    map.set(d.file, list);
  }
  return map;
}

function maskValue(value: unknown, showNumbers: boolean): unknown {
  if (showNumbers || value === undefined) return value;
  return JSON.parse(maskNumbersIn(JSON.stringify(value))) as unknown;
}

function maskFields(fields: FieldChange[], showNumbers: boolean): FieldChange[] {
  if (showNumbers) return fields;
  return fields.map((f) => {
    const masked: FieldChange = { path: f.path };
    if (f.before !== undefined) masked.before = maskValue(f.before, false);
    if (f.after !== undefined) masked.after = maskValue(f.after, false);
    return masked;
  });
}

/** The plan item without its key (the key is what pairs the two sides). */
function payloadOf(item: PlanItem): Omit<PlanItem, "key"> {
  const { key: _key, ...rest } = item;
  return rest;
}

/** What the customer sees, with the Template specs of the side the item comes from. */
function transcript(item: PlanItem, opts: CompareOptions, side: SideInput): string[] {
  const templates = side.project.templates;
  return formatTranscript(renderPlanItem(item, { showNumbers: opts.showNumbers, now: opts.now, ...(templates ? { templates } : {}) })).flatMap((l) => l.split("\n"));
}

function sampleName(item: PlanItem): string {
  const at = item.key.lastIndexOf("/sample:");
  return at === -1 ? item.key : item.key.slice(at + "/sample:".length);
}

function diffSamples(before: PlanItem[], after: PlanItem[], opts: CompareOptions, sides: Record<Side, SideInput>): SampleDiff[] {
  const beforeByName = new Map(before.map((i) => [sampleName(i), i]));
  const afterByName = new Map(after.map((i) => [sampleName(i), i]));
  const names = [...afterByName.keys(), ...[...beforeByName.keys()].filter((n) => !afterByName.has(n))];
  return names.map((sample) => {
    const b = beforeByName.get(sample);
    const a = afterByName.get(sample);
    if (!b) return { sample, status: "added", after: transcript(a!, opts, sides.head), fields: [] };
    if (!a) return { sample, status: "removed", before: transcript(b, opts, sides.base), fields: [] };
    const fields = jsonChanges(payloadOf(b), payloadOf(a));
    const beforeText = transcript(b, opts, sides.base);
    const afterText = transcript(a, opts, sides.head);
    // The same payload reads differently when its Template spec changed.
    if (fields.length === 0 && beforeText.join("\n") === afterText.join("\n")) return { sample, status: "unchanged", fields: [] };
    return { sample, status: "changed", before: beforeText, after: afterText, fields: maskFields(fields, opts.showNumbers) };
  });
}

interface SpecState<T> {
  file?: string;
  /** Present when it compiled. */
  value?: T;
  broken?: SpecProblems;
}

function stateOf<T>(
  side: Side,
  errors: Map<string, Diagnostic[]>,
  file: string | undefined,
  otherFile: string | undefined,
  compiled: T | undefined,
  opts: CompareOptions,
  whyNotCompiled: () => string,
): SpecState<T> {
  if (file === undefined) {
    // The file is still there but no longer loads as a named spec (YAML error, say).
    const fileErrors = otherFile === undefined ? undefined : errors.get(otherFile);
    if (!fileErrors) return {};
    return { file: otherFile, broken: { side, problems: fileErrors.map((d) => reportProblem(d, opts.showNumbers)) } };
  }
  const fileErrors = errors.get(file) ?? [];
  if (compiled !== undefined && fileErrors.length === 0) return { file, value: compiled };
  const broken: SpecProblems = { side, problems: fileErrors.map((d) => reportProblem(d, opts.showNumbers)) };
  if (fileErrors.length === 0) broken.note = whyNotCompiled();
  return { file, broken };
}

type SpecKind = "messages" | "campaigns" | "templates";

function specData(project: Project, kind: SpecKind, name: string): unknown {
  return project[kind]?.get(name)?.data;
}

/** Names of a kind on a side, with their files; files with errors but no name are kept apart. */
function namedFiles(project: Project, kind: SpecKind): Map<string, string> {
  return new Map([...(project[kind] ?? [])].map(([name, spec]) => [name, spec.file]));
}

function statusOf(base: SpecState<unknown>, head: SpecState<unknown>, same: boolean): SpecStatus {
  if (base.broken || head.broken) return "broken";
  if (base.file === undefined) return "added";
  if (head.file === undefined) return "removed";
  return same ? "unchanged" : "changed";
}

function brokenSides(...states: SpecState<unknown>[]): SpecProblems[] {
  return states.flatMap((s) => (s.broken ? [s.broken] : []));
}

interface SpecPair<T> {
  name: string;
  file: string;
  base: SpecState<T>;
  head: SpecState<T>;
  /** Spec fields that changed, when the spec is on both sides. */
  specFields: FieldChange[];
}

/** Every spec of a kind on either side (in scope), with its state on each side. */
function pairSpecs<T>(
  kind: SpecKind,
  sides: Record<Side, SideInput>,
  errs: Record<Side, Map<string, Diagnostic[]>>,
  opts: CompareOptions,
  compiledOf: (side: SideInput, name: string) => T | undefined,
  whyNotCompiled: (side: SideInput, name: string) => string,
): SpecPair<T>[] {
  const files = { base: namedFiles(sides.base.project, kind), head: namedFiles(sides.head.project, kind) };
  const pairs: SpecPair<T>[] = [];
  for (const name of new Set([...files.head.keys(), ...files.base.keys()])) {
    const baseFile = files.base.get(name);
    const headFile = files.head.get(name);
    const file = (headFile ?? baseFile) as string;
    if (!opts.inScope(file) && !(baseFile !== undefined && opts.inScope(baseFile))) continue;
    const state = (side: Side, own: string | undefined, other: string | undefined): SpecState<T> =>
      stateOf(side, errs[side], own, other, compiledOf(sides[side], name), opts, () => whyNotCompiled(sides[side], name));
    const specFields = baseFile !== undefined && headFile !== undefined
      ? maskFields(jsonChanges(specData(sides.base.project, kind, name), specData(sides.head.project, kind, name)), opts.showNumbers)
      : [];
    pairs.push({ name, file, base: state("base", baseFile, headFile), head: state("head", headFile, baseFile), specFields });
  }
  return pairs.sort((x, y) => x.file.localeCompare(y.file) || x.name.localeCompare(y.name));
}

function compareMessages(sides: Record<Side, SideInput>, errs: Record<Side, Map<string, Diagnostic[]>>, opts: CompareOptions): MessageDiff[] {
  const samplesOf = (side: SideInput, name: string): PlanItem[] | undefined =>
    side.compiled.messages.has(name) ? (side.compiled.samples.get(name) ?? []) : undefined;
  const pairs = pairSpecs("messages", sides, errs, opts, samplesOf, (_side, name) => `message "${name}" does not compile`);
  return pairs.map(({ name, file, base: b, head: h, specFields }) => {
    const samples = diffSamples(b.value ?? [], h.value ?? [], opts, sides);
    const same = specFields.length === 0 && samples.every((s) => s.status === "unchanged") && b.file === h.file;
    return { name, file, status: statusOf(b, h, same), broken: brokenSides(b, h), samples, specFields };
  });
}

/** The name to give a changed template: its `_vN` suffix counted up, or `_v2`. */
export function nextTemplateName(name: string): string {
  const versioned = /^(.*_v)([0-9]+)$/.exec(name);
  return versioned ? `${versioned[1]}${Number(versioned[2]) + 1}` : `${name}_v2`;
}

function compareTemplates(sides: Record<Side, SideInput>, errs: Record<Side, Map<string, Diagnostic[]>>, opts: CompareOptions): TemplateDiff[] {
  const dataOf = (side: SideInput, name: string) => side.project.templates?.get(name)?.data;
  const pairs = pairSpecs("templates", sides, errs, opts, dataOf, (_side, name) => `template "${name}" does not lint`);
  return pairs.map(({ name, file, base: b, head: h, specFields }) => {
    const status = statusOf(b, h, specFields.length === 0 && b.file === h.file);
    const diff: TemplateDiff = { name, file, status, broken: brokenSides(b, h), specFields };
    if (status === "changed" && specFields.some((f) => f.path !== "description" && f.path !== "")) {
      diff.hint = `Connectly cannot update a template and Meta limits edits: if "${name}" is live, give the new content a new name (${nextTemplateName(name)})`;
    }
    return diff;
  });
}

function hashItem(item: PlanItem): string {
  return createHash("sha1").update(JSON.stringify(payloadOf(item))).digest("base64");
}

async function* noItems(): AsyncGenerator<PlanItem> {}

/**
 * Recipients added, removed and changed, by key. Three streaming passes keep memory at one hash
 * per base recipient: base (hashes), working tree (compare), base again (the few rows shown).
 */
async function diffAudience(name: string, base: SideInput | undefined, head: SideInput | undefined, opts: CompareOptions): Promise<AudienceDiff> {
  const invalid = { base: 0, head: 0 };
  const stats = { base: newCampaignStats(), head: newCampaignStats() };
  const stream = (side: Side): AsyncGenerator<PlanItem> => {
    const input = side === "base" ? base : head;
    if (!input) return noItems();
    const onDiagnostic = (d: Diagnostic): void => {
      if (isError(d)) invalid[side]++;
    };
    // The base's second pass counts nothing new: its totals are the first pass's.
    const sideStats = stats[side];
    stats[side] = newCampaignStats();
    return planCampaign(input.project, name, { stats: sideStats, onDiagnostic });
  };
  const baseHashes = new Map<string, string>();
  const baseStats = stats.base;
  for await (const item of stream("base")) baseHashes.set(item.key, hashItem(item));
  const baseInvalid = invalid.base;
  const diff: AudienceDiff = { before: baseHashes.size, after: 0, added: 0, removed: 0, changed: 0, unchanged: 0, invalidRows: invalid, rows: [] };
  const seen = new Set<string>();
  const shown = new Map<string, { after: PlanItem; status: "added" | "changed" }>();
  const headStats = stats.head;
  for await (const item of stream("head")) {
    diff.after++;
    seen.add(item.key);
    const before = baseHashes.get(item.key);
    if (before === undefined) diff.added++;
    else if (before !== hashItem(item)) diff.changed++;
    else {
      diff.unchanged++;
      continue;
    }
    if (shown.size < opts.rowsShown) shown.set(item.key, { after: item, status: before === undefined ? "added" : "changed" });
  }
  for (const key of baseHashes.keys()) if (!seen.has(key)) diff.removed++;
  const baseSms = baseStats.sms ?? null;
  const headSms = headStats.sms ?? null;
  if (baseSms || headSms) diff.sms = { base: baseSms, head: headSms };

  const beforeItems = new Map<string, PlanItem>();
  const removedShown: PlanItem[] = [];
  const wantChanged = [...shown.values()].some((s) => s.status === "changed");
  if (wantChanged || (diff.removed > 0 && shown.size < opts.rowsShown)) {
    for await (const item of stream("base")) {
      if (shown.get(item.key)?.status === "changed") beforeItems.set(item.key, item);
      else if (!seen.has(item.key) && removedShown.length + shown.size < opts.rowsShown) removedShown.push(item);
    }
    invalid.base = baseInvalid;
  }
  const mask = (key: string): string => (opts.showNumbers ? key : maskNumbersIn(key));
  for (const [key, s] of shown) {
    const before = beforeItems.get(key);
    const fields = s.status === "changed" && before ? maskFields(jsonChanges(payloadOf(before), payloadOf(s.after)), opts.showNumbers) : [];
    diff.rows.push({ key: mask(key), status: s.status, fields });
  }
  for (const item of removedShown) diff.rows.push({ key: mask(item.key), status: "removed", fields: [] });
  return diff;
}

async function compareCampaigns(sides: Record<Side, SideInput>, errs: Record<Side, Map<string, Diagnostic[]>>, opts: CompareOptions): Promise<CampaignDiff[]> {
  const why = (side: SideInput, name: string): string => `its message "${side.project.campaigns.get(name)?.data.message ?? "?"}" does not compile`;
  const pairs = pairSpecs("campaigns", sides, errs, opts, (side, name) => side.compiled.campaigns.get(name), why);
  const diffs: CampaignDiff[] = [];
  for (const { name, file, base: b, head: h, specFields } of pairs) {
    const diff: CampaignDiff = { name, file, status: "unchanged", broken: brokenSides(b, h), specFields };
    if (!b.broken && !h.broken) {
      diff.audience = await diffAudience(name, b.value === undefined ? undefined : sides.base, h.value === undefined ? undefined : sides.head, opts);
    }
    const audienceSame = !diff.audience || diff.audience.added + diff.audience.removed + diff.audience.changed === 0;
    diff.status = statusOf(b, h, specFields.length === 0 && audienceSame && b.file === h.file);
    diffs.push(diff);
  }
  return diffs;
}

export async function compareProjects(base: SideInput, head: SideInput, opts: CompareOptions): Promise<Comparison> {
  const errs = { base: errorsByFile(base), head: errorsByFile(head) };
  const sides = { base, head };
  const messages = compareMessages(sides, errs, opts);
  const campaigns = await compareCampaigns(sides, errs, opts);
  const templates = compareTemplates(sides, errs, opts);
  const claimed = new Set([...messages, ...campaigns, ...templates].map((d) => d.file));
  for (const side of [base, head]) {
    for (const spec of [...side.project.specs, ...(side.project.templates?.values() ?? [])]) claimed.add(spec.file);
  }
  const otherProblems: SpecProblems[] = [];
  for (const side of ["base", "head"] as const) {
    for (const [file, list] of errs[side]) {
      if (claimed.has(file) || !opts.inScope(file)) continue;
      otherProblems.push({ side, problems: list.map((d) => reportProblem(d, opts.showNumbers)) });
    }
  }
  return { messages, campaigns, templates, otherProblems, diagnostics: reportedDiagnostics(errs, [...messages, ...campaigns, ...templates], otherProblems, opts.showNumbers) };
}

/** The diagnostics behind the problems the report shows, in report order, each file once per side. */
function reportedDiagnostics(
  errs: Record<Side, Map<string, Diagnostic[]>>,
  specs: readonly (MessageDiff | CampaignDiff | TemplateDiff)[],
  otherProblems: readonly SpecProblems[],
  showNumbers: boolean,
): SidedDiagnostic[] {
  const seen = new Set<string>();
  const out: SidedDiagnostic[] = [];
  for (const { side, problems } of [...specs.flatMap((d) => d.broken), ...otherProblems]) {
    for (const file of new Set(problems.map((p) => p.file))) {
      const key = `${side}\0${file}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const d of errs[side].get(file) ?? []) {
        out.push({ ...d, message: showNumbers ? d.message : maskNumbersIn(d.message), side });
      }
    }
  }
  return out;
}
