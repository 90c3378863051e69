/**
 * The status model as text, JSON and markdown: pure `(model) => string`. Every piece of text that
 * came from outside (the campaign's name, paths, error codes from webhook bodies) has its control
 * characters made visible, or is escaped for markdown.
 */
import { markdownCode, markdownText, visibleControls } from "../preview/escape.js";
import type { StatusModel } from "./model.js";

const n = (value: number): string => value.toLocaleString("en-US");

/** `66.7%` of the planned, or "" when nothing was planned. */
export function percentOf(count: number, total: number): string {
  return total === 0 ? "" : `${((count / total) * 100).toFixed(1)}%`;
}

/** The funnel's rows in order, with the label people read. */
export function funnelRows(model: StatusModel): Array<{ id: keyof StatusModel["funnel"]; label: string; count: number }> {
  const f = model.funnel;
  return [
    { id: "planned", label: "planned", count: f.planned },
    { id: "sent", label: "sent", count: f.sent },
    { id: "delivered", label: "delivered", count: f.delivered },
    { id: "read", label: "read", count: f.read },
    { id: "failed", label: "failed", count: f.failed },
    { id: "noStatus", label: "no status yet", count: f.noStatus },
    { id: "unknown", label: "unknown", count: f.unknown },
    { id: "notFinished", label: "not finished", count: f.notFinished },
    { id: "suppressed", label: "suppressed", count: f.suppressed },
  ];
}

export function stageWords(stage: "send" | "delivery"): string {
  return stage === "send" ? "at send" : "on delivery";
}

/** The lines after the funnel and the failures: fallbacks, SMS, unknowns, duplicates. */
export function detailLines(model: StatusModel): string[] {
  const r = model.resolution;
  const segments = model.sms.segments === null ? "segments not recorded" : `${n(model.sms.segments)} segments`;
  return [
    `Fallbacks to the template form: ${n(model.fallbacks)}`,
    `SMS: ${n(model.sms.recipients)} recipient${model.sms.recipients === 1 ? "" : "s"} (${segments})`,
    `Unknown outcomes: ${n(model.funnel.unknown)} (${n(r.unknown.sent)} resolved as sent, ${n(r.unknown.uncertain)} still uncertain)`,
    `Possibly duplicated: ${n(model.possiblyDuplicated)} (${n(r.possiblyDuplicated.duplicated)} duplicated, ${n(r.possiblyDuplicated.notDuplicated)} not duplicated, ${n(r.possiblyDuplicated.uncertain)} still uncertain)`,
    r.source === "journal" ? "Resolved from the journal and the recorded sends (webhook events not consulted)" : "Resolved from webhook events",
  ];
}

/** `2026-11-30 10:15` (UTC). */
export function bucketTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

export function sourceLines(model: StatusModel): string[] {
  const journals = model.sources.journals;
  return [
    `journal${journals.length === 1 ? "" : "s"}: ${journals.length === 0 ? "none" : journals.map(visibleControls).join(", ")}`,
    `store: ${model.sources.store === null ? "none configured" : visibleControls(model.sources.store)}`,
  ];
}

export function formatStatusText(model: StatusModel): string {
  const planned = model.funnel.planned;
  const lines = [`Campaign ${visibleControls(model.campaign)}`, ...sourceLines(model).map((l) => `  ${l}`), "", `Funnel (${n(planned)} recipient${planned === 1 ? "" : "s"})`];
  const rows = funnelRows(model);
  const width = Math.max(...rows.map((r) => n(r.count).length));
  for (const row of rows) {
    const percent = row.id === "planned" ? "" : percentOf(row.count, planned);
    lines.push(`  ${row.label.padEnd(14)}${n(row.count).padStart(width)}${percent === "" ? "" : `  ${percent.padStart(6)}`}`);
  }
  if (model.failures.length > 0) {
    lines.push("", "Failed by code");
    const countWidth = Math.max(...model.failures.map((f) => n(f.count).length));
    for (const f of model.failures) {
      lines.push(`  ${n(f.count).padStart(countWidth)}  ${visibleControls(f.code)} (${stageWords(f.stage)})${f.meaning === null ? "" : `: ${f.meaning}`}`);
    }
  }
  lines.push("", ...detailLines(model));
  const timeline = model.timeline;
  if (timeline) {
    lines.push("", `Delivered and read per ${timeline.bucket} (UTC)`);
    const dw = Math.max(...timeline.points.map((p) => n(p.delivered).length));
    const rw = Math.max(...timeline.points.map((p) => n(p.read).length));
    for (const p of timeline.points) lines.push(`  ${bucketTime(p.at)}  delivered ${n(p.delivered).padStart(dw)}  read ${n(p.read).padStart(rw)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The model as it is (docs/tracking.md documents the shape). */
export function formatStatusJson(model: StatusModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

export function formatStatusMarkdown(model: StatusModel): string {
  const planned = model.funnel.planned;
  const out = [`## Campaign ${markdownCode(model.campaign)}`, "", ...sourceLines(model).map((l) => `- ${markdownText(l)}`), "", "| | recipients | of planned |", "|---|---:|---:|"];
  for (const row of funnelRows(model)) out.push(`| ${row.label} | ${n(row.count)} | ${row.id === "planned" ? "" : percentOf(row.count, planned)} |`);
  if (model.failures.length > 0) {
    out.push("", "### Failed by code", "", "| code | where | recipients | meaning |", "|---|---|---:|---|");
    for (const f of model.failures) out.push(`| ${markdownCode(f.code).replace(/\|/g, "\\|")} | ${stageWords(f.stage)} | ${n(f.count)} | ${f.meaning === null ? "" : markdownText(f.meaning)} |`);
  }
  out.push("", ...detailLines(model).map((l) => `- ${markdownText(l)}`));
  const timeline = model.timeline;
  if (timeline) {
    out.push("", `### Delivered and read per ${timeline.bucket} (UTC)`, "", "| from | delivered | read |", "|---|---:|---:|");
    for (const p of timeline.points) out.push(`| ${bucketTime(p.at)} | ${n(p.delivered)} | ${n(p.read)} |`);
  }
  return `${out.join("\n")}\n`;
}
