/**
 * `msgc preview` as a library function: every message sample and each campaign's first rows,
 * rendered into the model the formatters draw. Sends nothing and needs no API key.
 */
import type { Diagnostic } from "../../diagnostics.js";
import { hasErrors } from "../../diagnostics.js";
import type { Project } from "../../project/project.js";
import { compileProject, newCampaignStats, planCampaign, planCampaignNdjson } from "../plan.js";
import { describeSmsTotals } from "../sms-totals.js";
import type { SmsTotals } from "../sms-totals.js";
import type { RenderedMessage } from "./model.js";
import { renderPlanItem } from "./model.js";
import { withLastInbound } from "../../compiler/plan.js";
import { inboundOf } from "../send/recipient-facts.js";

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
  /**
   * When recipients last wrote, from the store (docs/tracking.md): a campaign row's form is
   * chosen from the later of this and its audience column, as the send chooses it.
   */
  inbound?: ReadonlyMap<string, string>;
}

/** A campaign that sends SMS: what its whole audience costs, beside the first rows shown. */
export interface CampaignTotals {
  campaign: string;
  spec: string;
  sms: SmsTotals;
  /** `14 WhatsApp, 6 SMS (6 segments, 0 UCS-2)` */
  summary: string;
}

export interface PreviewResult {
  /** No error diagnostics. */
  ok: boolean;
  /** Messages' samples and campaigns' rows, in spec-path order. */
  messages: RenderedMessage[];
  /** Campaigns whose message has an SMS form, with their totals over the whole audience. */
  campaigns: CampaignTotals[];
  diagnostics: Diagnostic[];
}

export const DEFAULT_PREVIEW_ROWS = 3;

export async function preview(project: Project, opts: PreviewOptions = {}): Promise<PreviewResult> {
  const compiled = compileProject(project);
  const diagnostics = [...project.diagnostics, ...compiled.diagnostics];
  const render = { showNumbers: opts.showNumbers ?? false, now: opts.now ?? Date.now(), ...(project.templates ? { templates: project.templates } : {}) };
  const rows = opts.rows ?? DEFAULT_PREVIEW_ROWS;
  const facts = opts.inbound ? { inbound: opts.inbound } : undefined;
  const messages: RenderedMessage[] = [];
  const campaigns: CampaignTotals[] = [];
  for (const spec of project.specs) {
    if (spec.kind === "Message") {
      for (const item of compiled.samples.get(spec.name) ?? []) messages.push(renderPlanItem(item, render));
      continue;
    }
    const campaign = compiled.campaigns.get(spec.name);
    if (!campaign) continue;
    if (rows > 0) {
      const items = planCampaign(project, spec.name, { limit: rows, onDiagnostic: (d) => diagnostics.push(d) });
      for await (const item of items) messages.push(renderPlanItem(withLastInbound(item, inboundOf(facts, item.key)), render));
    }
    // An SMS bill is the whole audience's: counted over every row (on worker threads), though only
    // the first rows are shown. Its row problems are validate's to list.
    if (campaign.message.hasSms) {
      const stats = newCampaignStats();
      for await (const chunk of planCampaignNdjson(project, spec.name, { stats, onDiagnostic: () => undefined })) void chunk;
      if (stats.sms && !stats.aborted) {
        campaigns.push({ campaign: spec.name, spec: spec.file, sms: stats.sms, summary: describeSmsTotals(stats.sms) });
      }
    }
  }
  return { ok: !hasErrors(diagnostics), messages, campaigns, diagnostics };
}
