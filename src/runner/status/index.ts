/**
 * `msgc status CAMPAIGN`: finds the campaign's journals (every shard layout), joins them with the
 * store's sends and events into the status model, and writes the per-recipient report as it goes.
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { InputError, UsageError } from "../../errors.js";
import { maskNumbersIn } from "../../mask.js";
import type { Store } from "../../store/store.js";
import { journalFamily } from "../send/journal-family.js";
import type { Resolver } from "./collect.js";
import { collectStatus } from "./collect.js";
import type { StatusModel } from "./model.js";
import { RecipientReportWriter } from "./report.js";

export type { RecipientRow, RecipientState, Resolution, StatusModel } from "./model.js";
export { formatStatusJson, formatStatusMarkdown, formatStatusText } from "./format.js";
export { formatStatusHtml } from "./html.js";

export interface StatusOptions {
  campaign: string;
  /** Project root: paths are shown relative to it. */
  root: string;
  outDir: string;
  /** `--journal FILE`, absolute; default `<out>/journal/<campaign>.ndjson` and its shards. */
  journal?: string;
  /** The opened store, or undefined when none is configured. */
  store?: Store;
  /** `--report FILE`, absolute. */
  report?: string;
  showNumbers: boolean;
  now: number;
  resolve?: Resolver;
}

/** A campaign name is a spec's name: it names a file under the journal folder, so no path in it. */
export function checkCampaignName(name: string): void {
  if (name === "" || /[/\\\u0000-\u001f\u007f]/.test(name) || name.startsWith(".")) {
    throw new UsageError(`msgc status: "${maskNumbersIn(name)}" is not a campaign name`, `Give the campaign spec's name, as for "msgc send".`);
  }
}

/** The journals of a campaign that exist: its own and every shard layout's. */
export function campaignJournals(journalPath: string): string[] {
  const own = existsSync(journalPath) ? [journalPath] : [];
  return [...own, ...journalFamily(journalPath).map((j) => j.path).filter((p) => existsSync(p))];
}

export async function status(options: StatusOptions): Promise<StatusModel> {
  checkCampaignName(options.campaign);
  const journalPath = options.journal ?? join(options.outDir, "journal", `${options.campaign}.ndjson`);
  const journals = campaignJournals(journalPath);
  const shown = (path: string): string => {
    const rel = relative(options.root, path);
    return rel.startsWith("..") ? path : rel;
  };
  if (journals.length === 0 && options.store === undefined) {
    throw new InputError(
      `msgc status: no journal for campaign "${options.campaign}" at ${shown(journalPath)}, and no store is configured; set "store:" in msgc.config.yaml or MSGC_STORE (sends record into ${shown(join(options.outDir, "msgc.db"))} when it exists)`,
    );
  }
  const writer = options.report === undefined ? undefined : await RecipientReportWriter.open(options.report, options.showNumbers);
  let model: StatusModel;
  try {
    model = await collectStatus({
      campaign: options.campaign,
      journals,
      ...(options.store ? { store: options.store } : {}),
      sources: { journals: journals.map(shown), store: options.store ? options.store.location : null },
      now: options.now,
      ...(writer ? { onRecipient: (row) => writer.add(row) } : {}),
      ...(options.resolve ? { resolve: options.resolve } : {}),
    });
  } catch (e) {
    await writer?.abandon();
    throw e;
  }
  if (model.funnel.planned === 0) {
    await writer?.abandon();
    const where = journals.length === 0 ? `no journal at ${shown(journalPath)}` : `its journal${journals.length === 1 ? "" : "s"} list no recipient`;
    throw new InputError(`msgc status: no campaign "${options.campaign}" was sent: ${where}${options.store ? `, and the store ${options.store.location} has no sends of it` : ""}`);
  }
  await writer?.finish();
  return model;
}
