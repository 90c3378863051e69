/**
 * `msgc diff` as a library function: the project as it is at a git revision against the working
 * tree, compiled on both sides and compared message by message, sample by sample, and campaign
 * by campaign (spec and audience).
 */
import { existsSync } from "node:fs";
import { mkdir, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Project } from "../../project/project.js";
import { loadProject } from "../../project/project.js";
import { compileProject } from "../plan.js";
import type { CampaignDiff, Comparison, MessageDiff, SpecStatus } from "./compare.js";
import { compareProjects } from "./compare.js";
import { checkoutRevision, repoRelative, resolveRevision } from "./git.js";

export type * from "./compare.js";
export type { FieldChange } from "./json-changes.js";

export interface DiffOptions {
  /** Where msgc runs (the project is found from here, in both trees). */
  cwd: string;
  /** The git revision to compare with (a branch, tag or commit). */
  base: string;
  configPath?: string;
  /** Only specs under these files or folders (relative to cwd); default all. */
  paths?: string[];
  showNumbers?: boolean;
  /** Changed recipients listed per campaign (default 5). */
  rowsShown?: number;
  /** The clock for the 24-hour rule in transcripts (default: now). */
  now?: number;
}

export type StatusCounts = Record<SpecStatus, number>;

export interface DiffSummary {
  messages: StatusCounts;
  campaigns: StatusCounts;
  templates: StatusCounts;
  samples: { added: number; removed: number; changed: number };
  recipients: { added: number; removed: number; changed: number };
  /** Files that do not load as a spec, on either side. */
  otherProblems: number;
}

export interface DiffReport extends Comparison {
  base: string;
  baseCommit: string;
  summary: DiffSummary;
  /** Anything differs (including a spec that broke or was fixed). */
  changed: boolean;
  /** The working tree compiles: no spec is broken on the head side. */
  ok: boolean;
  /** Phone numbers are masked in keys, values and messages (no --show-numbers). */
  numbersMasked: boolean;
}

export const DEFAULT_ROWS_SHOWN = 5;

function emptyCounts(): StatusCounts {
  return { added: 0, removed: 0, changed: 0, unchanged: 0, broken: 0 };
}

function summarize(c: Comparison): DiffSummary {
  const summary: DiffSummary = {
    messages: emptyCounts(),
    campaigns: emptyCounts(),
    templates: emptyCounts(),
    samples: { added: 0, removed: 0, changed: 0 },
    recipients: { added: 0, removed: 0, changed: 0 },
    otherProblems: c.otherProblems.length,
  };
  for (const m of c.messages) {
    summary.messages[m.status]++;
    for (const s of m.samples) if (s.status !== "unchanged") summary.samples[s.status]++;
  }
  for (const template of c.templates) summary.templates[template.status]++;
  for (const campaign of c.campaigns) {
    summary.campaigns[campaign.status]++;
    if (!campaign.audience) continue;
    summary.recipients.added += campaign.audience.added;
    summary.recipients.removed += campaign.audience.removed;
    summary.recipients.changed += campaign.audience.changed;
  }
  return summary;
}

function scopeOf(cwd: string, root: string, paths: string[] | undefined): (file: string) => boolean {
  if (!paths || paths.length === 0) return () => true;
  const prefixes = paths.map((p) => {
    const rel = relative(root, resolve(cwd, p));
    return rel.startsWith("..") || isAbsolute(rel) ? undefined : rel.split(sep).join("/");
  });
  return (file) => prefixes.some((p) => p !== undefined && (p === "" || file === p || file.startsWith(`${p}/`)));
}

function isBrokenOnHead(d: MessageDiff | CampaignDiff): boolean {
  return d.broken.some((b) => b.side === "head");
}

export async function diff(opts: DiffOptions): Promise<DiffReport> {
  const configArg = opts.configPath !== undefined ? { configPath: resolve(opts.cwd, opts.configPath) } : {};
  const head = await loadProject({ cwd: opts.cwd, ...configArg });
  const repo = await resolveRevision(opts.cwd, opts.base);
  const root = await realpath(head.config.root);
  const checkout = await checkoutRevision(repo, repoRelative(repo.top, root));
  try {
    const baseCwd = join(checkout.top, repoRelative(repo.top, await realpath(opts.cwd)));
    await mkdir(baseCwd, { recursive: true });
    // The same config file at the base, when it existed there; otherwise the defaults.
    const baseConfigFile = head.config.configFile === undefined
      ? undefined
      : join(checkout.top, repoRelative(repo.top, await realpath(head.config.configFile)));
    const baseConfig = baseConfigFile !== undefined && existsSync(baseConfigFile) ? { configPath: baseConfigFile } : {};
    const base: Project = await loadProject({ cwd: baseCwd, ...baseConfig });
    const comparison = await compareProjects(
      { project: base, compiled: compileProject(base) },
      { project: head, compiled: compileProject(head) },
      {
        showNumbers: opts.showNumbers ?? false,
        now: opts.now ?? Date.now(),
        rowsShown: opts.rowsShown ?? DEFAULT_ROWS_SHOWN,
        inScope: scopeOf(opts.cwd, root, opts.paths),
      },
    );
    const all = [...comparison.messages, ...comparison.campaigns, ...comparison.templates];
    return {
      base: opts.base,
      baseCommit: repo.commit,
      ...comparison,
      summary: summarize(comparison),
      changed: all.some((d) => d.status !== "unchanged") || comparison.otherProblems.length > 0,
      ok: !all.some(isBrokenOnHead) && !comparison.otherProblems.some((p) => p.side === "head"),
      numbersMasked: opts.showNumbers !== true,
    };
  } finally {
    await checkout.remove();
  }
}
