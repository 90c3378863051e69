/**
 * `msgc preview` as a library function: every message sample and each campaign's first rows,
 * rendered into the model the formatters draw. Sends nothing and needs no API key.
 */
import type { Diagnostic } from "../../diagnostics.js";
import { hasErrors } from "../../diagnostics.js";
import type { Project } from "../../project/project.js";
import { compileProject, planCampaign } from "../plan.js";
import type { RenderedMessage } from "./model.js";
import { renderPlanItem } from "./model.js";

export type { RenderedMessage } from "./model.js";
export { renderPlanItem } from "./model.js";
export { formatPreviewText, formatTranscript } from "./text.js";
export { formatPreviewMarkdown } from "./markdown.js";
export { formatPreviewHtml } from "./html.js";

export interface PreviewOptions {
  /** Audience rows shown per campaign (default 3). */
  rows?: number;
  /** Show recipients' numbers in full (default: masked). */
  showNumbers?: boolean;
  /** The clock for the 24-hour rule (default: now). */
  now?: number;
}

export interface PreviewResult {
  /** No error diagnostics. */
  ok: boolean;
  /** Messages' samples and campaigns' rows, in spec-path order. */
  messages: RenderedMessage[];
  diagnostics: Diagnostic[];
}

export const DEFAULT_PREVIEW_ROWS = 3;

export async function preview(project: Project, opts: PreviewOptions = {}): Promise<PreviewResult> {
  const compiled = compileProject(project);
  const diagnostics = [...project.diagnostics, ...compiled.diagnostics];
  const render = { showNumbers: opts.showNumbers ?? false, now: opts.now ?? Date.now(), ...(project.templates ? { templates: project.templates } : {}) };
  const rows = opts.rows ?? DEFAULT_PREVIEW_ROWS;
  const messages: RenderedMessage[] = [];
  for (const spec of project.specs) {
    if (spec.kind === "Message") {
      for (const item of compiled.samples.get(spec.name) ?? []) messages.push(renderPlanItem(item, render));
      continue;
    }
    if (!compiled.campaigns.has(spec.name) || rows <= 0) continue;
    const items = planCampaign(project, spec.name, { limit: rows, onDiagnostic: (d) => diagnostics.push(d) });
    for await (const item of items) messages.push(renderPlanItem(item, render));
  }
  return { ok: !hasErrors(diagnostics), messages, diagnostics };
}
