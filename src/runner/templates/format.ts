/**
 * The template commands' output: pure `(result) => string`. Remote text in it (names, languages,
 * Meta's reasons) was made fit for a line when it was read (remote.ts); markdown escapes it again.
 */
import { GITHUB_COMMENT_LIMIT } from "../diff/format.js";
import { markdownCode, markdownText, visibleControls } from "../preview/escape.js";
import type { CreateOutcome, ReviewChange, Watched } from "./apply.js";
import type { TemplateAction, TemplatePlan, TemplatePlanEntry } from "./plan.js";
import type { PullOutcome } from "./pull.js";
import type { TemplateStatusEntry } from "./status.js";

/** The sticky PR comment's first line: the workflow finds its own comment by it. */
export const PLAN_MARKER = "<!-- msgc-templates-plan -->";
/** Names wider than this push the columns no further. */
const MAX_COLUMN = 40;

const SIGNS: Record<TemplateAction, string> = { create: "+", "in-sync": "=", differs: "~", "remote-only": "?" };
const WORDS: Record<TemplateAction, string> = { create: "create", "in-sync": "in sync", differs: "differs", "remote-only": "remote only" };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function planSummary(plan: TemplatePlan): string {
  const { counts } = plan;
  return `${counts.create} to create, ${counts["in-sync"]} in sync, ${counts.differs} differ${counts.differs === 1 ? "s" : ""}, ${counts["remote-only"]} remote only`;
}

/** `approved`, `rejected: INVALID_FORMAT`. */
function statusText(entry: { status?: string; reason?: string }): string {
  return entry.status === undefined ? "" : `${entry.status}${entry.reason ? `: ${entry.reason}` : ""}`;
}

function what(entry: TemplatePlanEntry): string {
  const status = statusText(entry);
  switch (entry.action) {
    case "create":
      return "create";
    case "differs":
      return `differs (${entry.differences?.join(", ")})${status ? `, ${status}` : ""}`;
    default:
      return `${WORDS[entry.action]}, ${status}${entry.unread ? " (content not compared: msgc does not read its components)" : ""}`;
  }
}

export function newNameHint(entry: TemplatePlanEntry): string {
  return `Connectly has no update endpoint and Meta limits edits of an approved template: give this content a new name, such as ${entry.newName}.`;
}

function columns(rows: readonly { name: string; language: string }[]): { name: number; language: number } {
  return {
    name: Math.min(MAX_COLUMN, Math.max(0, ...rows.map((r) => r.name.length))),
    language: Math.min(MAX_COLUMN, Math.max(0, ...rows.map((r) => r.language.length))),
  };
}

export function formatPlanText(plan: TemplatePlan): string {
  const lines = [`msgc templates plan: business ${visibleControls(plan.businessId)}`, ""];
  if (plan.entries.length === 0) {
    lines.push("  No Template specs, and no templates on the business's list.");
  }
  const width = columns(plan.entries);
  for (const entry of plan.entries) {
    lines.push(`  ${SIGNS[entry.action]} ${entry.name.padEnd(width.name)}  ${entry.language.padEnd(width.language)}  ${what(entry)}`);
    if (entry.action === "differs") lines.push(`      ${newNameHint(entry)}`);
  }
  lines.push("", `Plan: ${planSummary(plan)}.`);
  return `${lines.join("\n")}\n`;
}

function planObject(plan: TemplatePlan): { businessId: string; templates: unknown[]; summary: TemplatePlan["counts"] } {
  const templates = plan.entries.map(({ request: _request, ...entry }) => entry);
  return { businessId: plan.businessId, templates, summary: plan.counts };
}

export function formatPlanJson(plan: TemplatePlan): string {
  return `${JSON.stringify(planObject(plan))}\n`;
}

const ICONS: Record<TemplateAction, string> = { create: "➕", "in-sync": "✅", differs: "⚠️", "remote-only": "☁️" };

/**
 * A sticky pull-request comment: the marker, a machine-readable count line (the workflow posts a
 * new comment when something is to be created or differs), the summary, then a table of the
 * project's templates and, folded, the remote-only ones. Cut to stay under GitHub's limit.
 */
export function formatPlanMarkdown(plan: TemplatePlan, limit = GITHUB_COMMENT_LIMIT): string {
  const own = plan.entries.filter((e) => e.action !== "remote-only");
  const remoteOnly = plan.entries.filter((e) => e.action === "remote-only");
  const head = [
    PLAN_MARKER,
    `<!-- msgc-templates-plan: create=${plan.counts.create} differs=${plan.counts.differs} -->`,
    `**msgc templates plan**: ${planSummary(plan)}.`,
    "",
  ];
  let out = `${head.join("\n")}\n`;
  const reserve = 1000;
  let left = 0;
  const add = (line: string): void => {
    if (left > 0 || out.length + line.length + 1 + reserve > limit) {
      left++;
      return;
    }
    out += `${line}\n`;
  };
  if (own.length > 0) {
    out += "| | template | language | plan | status |\n|---|---|---|---|---|\n";
    for (const entry of own) {
      const plan = entry.action === "differs" ? `differs: ${entry.differences?.join(", ")}` : WORDS[entry.action];
      add(`| ${ICONS[entry.action]} | ${markdownCode(entry.name)} | ${markdownText(entry.language)} | ${plan} | ${markdownText(statusText(entry))} |`);
    }
    const differs = own.filter((e) => e.action === "differs");
    if (differs.length > 0) {
      add("");
      add("⚠️ Connectly has no update endpoint and Meta limits edits of an approved template: content that differs needs a new name.");
      add("");
      for (const entry of differs) add(`- ${markdownCode(entry.name)} (${markdownText(entry.language)}) → ${markdownCode(entry.newName ?? "")}`);
    }
  } else {
    out += "No Template specs in this project.\n";
  }
  if (remoteOnly.length > 0 && left === 0) {
    add("");
    add(`<details><summary>${plural(remoteOnly.length, "template language")} only on Connectly (never touched)</summary>`);
    add("");
    add("| template | language | status |");
    add("|---|---|---|");
    for (const entry of remoteOnly) add(`| ${markdownCode(entry.name)} | ${markdownText(entry.language)} | ${markdownText(statusText(entry))} |`);
    add("");
    add("</details>");
  }
  if (left > 0) {
    // Open <details> is closed so that the note shows.
    if (out.includes("<details>") && !out.includes("</details>")) out += "\n</details>\n";
    out += `\n> **Cut to stay under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")}-character comment limit** (${plural(left, "line")} not shown). Run ${markdownCode("msgc templates plan")} for the full plan.\n`;
  }
  return out;
}

export function formatStatusText(entries: readonly TemplateStatusEntry[]): string {
  if (entries.length === 0) return "No templates on the business's list.\n";
  const width = columns(entries);
  const lines = entries.map((e) => `${e.name.padEnd(width.name)}  ${e.language.padEnd(width.language)}  ${statusText(e)}`);
  const byStatus = new Map<string, number>();
  for (const e of entries) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
  const counts = [...byStatus.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([status, n]) => `${n} ${status}`);
  lines.push("", `${plural(entries.length, "template language")}: ${counts.join(", ")}.`);
  return `${lines.join("\n")}\n`;
}

export function formatStatusJson(entries: readonly TemplateStatusEntry[]): string {
  return `${JSON.stringify({ templates: entries })}\n`;
}

export function formatCreateOutcome(outcome: CreateOutcome): string {
  const { name, language } = outcome.entry;
  if (outcome.created) return `created ${name} (${language}): ${statusText(outcome)}\n`;
  const note = outcome.ambiguous ? " (it may have been created: msgc templates status shows whether it was)" : "";
  return `not created ${name} (${language}): ${visibleControls(outcome.problem)}${note}\n`;
}

/**
 * `apply --format json`: the plan, each creation's outcome, and (with --wait) the review's end:
 * one document, for a CI step to read.
 */
export function formatApplyJson(plan: TemplatePlan, outcomes: readonly CreateOutcome[], review?: { statuses: readonly Watched[]; timedOut: boolean }): string {
  const created = outcomes.map((o) =>
    o.created
      ? { name: o.entry.name, language: o.entry.language, created: true, status: o.status, ...(o.reason ? { reason: o.reason } : {}) }
      : { name: o.entry.name, language: o.entry.language, created: false, problem: o.problem, ambiguous: o.ambiguous },
  );
  return `${JSON.stringify({ ...planObject(plan), created, ...(review ? { review: { templates: review.statuses, timedOut: review.timedOut } } : {}) })}\n`;
}

export function formatReviewChange(change: ReviewChange): string {
  return `${change.name} (${change.language}): ${change.from} → ${change.to}${change.reason ? `: ${change.reason}` : ""}\n`;
}

export function formatReviewEnd(statuses: readonly Watched[], timedOut: boolean, waited: string): string {
  const pending = statuses.filter((s) => s.status === "pending");
  const rejected = statuses.filter((s) => s.status === "rejected");
  const approved = statuses.filter((s) => s.status === "approved").length;
  const others = statuses.length - pending.length - rejected.length - approved;
  const parts = [`${approved} approved`, `${rejected.length} rejected`, ...(pending.length > 0 ? [`${pending.length} pending`] : []), ...(others > 0 ? [`${others} other`] : [])];
  const lines = [`Review: ${parts.join(", ")}.`];
  for (const s of rejected) lines.push(`  rejected ${s.name} (${s.language})${s.reason ? `: ${s.reason}` : ""}`);
  if (timedOut) lines.push(`Still pending after ${waited}: ${pending.map((s) => `${s.name} (${s.language})`).join(", ")}; msgc templates status shows the review later.`);
  return `${lines.join("\n")}\n`;
}

const PULL_VERBS: Record<PullOutcome["action"], string> = {
  written: "wrote",
  overwritten: "overwrote",
  exists: "not written",
  "in-project": "in the project",
  unreadable: "not written",
  "invalid-name": "not written",
  "holds-secret": "not written",
};

export function formatPullText(outcomes: readonly PullOutcome[], named: boolean): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    const languages = o.languages.length > 0 ? ` (${o.languages.join(", ")})` : "";
    switch (o.action) {
      case "written":
      case "overwritten":
        lines.push(`${PULL_VERBS[o.action]} ${o.file}: ${o.name}${languages}`);
        if (o.placeholders) lines.push("  examples not in Connectly's answer were written as placeholders (example 1, …): put real ones in before a new version is created");
        break;
      case "exists":
        lines.push(`not written: ${o.file} exists (--force overwrites it): ${o.name}${languages}`);
        break;
      case "in-project":
        if (named) lines.push(`in the project: ${o.name} (${o.file})`);
        break;
      case "unreadable":
        lines.push(`not written: ${o.name}: no language msgc can read (not a language code, or components in a shape it does not read)`);
        break;
      case "invalid-name":
        lines.push(`not written: "${o.name}" is not a Meta template name`);
        break;
      case "holds-secret":
        lines.push(`not written: ${o.name}: it holds the API key`);
        break;
    }
    if (o.skipped.length > 0 && o.action !== "unreadable") lines.push(`  left out: ${o.skipped.join(", ")} (not a language code, listed twice, or components in a shape msgc does not read)`);
    for (const problem of o.problems) lines.push(`  ${visibleControls(problem)}`);
  }
  const count = (actions: PullOutcome["action"][]) => outcomes.filter((o) => actions.includes(o.action)).length;
  const written = count(["written", "overwritten"]);
  const refused = count(["exists", "unreadable", "invalid-name", "holds-secret"]);
  const present = count(["in-project"]);
  const problems = outcomes.filter((o) => o.problems.length > 0).length;
  const summary = [`${plural(written, "template")} written`, `${present} already in the project`, `${refused} not written`, ...(problems > 0 ? [`${problems} with problems`] : [])];
  lines.push(`${lines.length > 0 ? "\n" : ""}Pull: ${summary.join(", ")}.`);
  return `${lines.join("\n")}\n`;
}

export function formatPullJson(outcomes: readonly PullOutcome[]): string {
  return `${JSON.stringify({ templates: outcomes })}\n`;
}
