/**
 * What a person reads about a send: the progress line and the final summary. Pure functions of
 * snapshots and summaries; keys in them are already masked unless numbers are shown.
 */
import type { ProgressSnapshot, SendSummary } from "./index.js";
import { describeSmsTotals } from "../sms-totals.js";
import { OPTED_OUT_CODE } from "../../connectly/answer.js";

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${(ms / 1000).toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function perSecond(p: ProgressSnapshot): number {
  return p.elapsedMs > 0 ? ((p.sent + p.failed) * 1000) / p.elapsedMs : 0;
}

/** One line: `[#####-----]  120/400 sent 118 failed 2 fallbacks 3 · 49.8/s · ETA 5.6 s`. */
export function formatProgress(p: ProgressSnapshot, opts: { bar: boolean; width?: number }): string {
  const done = p.sent + p.failed + p.skipped + p.suppressed + p.unknown;
  // Started before its count: no total, no share, no ETA yet.
  const counting = p.counting === true;
  const share = counting ? 0 : p.total > 0 ? Math.min(1, done / p.total) : 1;
  const speed = perSecond(p);
  const remaining = Math.max(0, p.total - done);
  const eta = counting ? "? (counting)" : remaining === 0 ? "0 s" : speed > 0 ? duration((remaining / speed) * 1000) : "?";
  const parts = [
    counting ? `${done}/…` : `${done}/${p.total}`,
    `sent ${p.sent}`,
    `failed ${p.failed}`,
    `fallbacks ${p.fallbacks}`,
    ...(p.skipped > 0 ? [`skipped ${p.skipped}`] : []),
    ...(p.suppressed > 0 ? [`suppressed ${p.suppressed}`] : []),
    ...(p.rateLimited > 0 ? [`429s ${p.rateLimited}`] : []),
    ...(p.serverErrors > 0 ? [`5xx ${p.serverErrors}`] : []),
    ...(p.retries > 0 ? [`retries ${p.retries}`] : []),
    `${speed.toFixed(1)}/s`,
    `ETA ${eta}`,
  ];
  const text = parts.join("  ");
  if (!opts.bar) return `send: ${text}`;
  const width = opts.width ?? 24;
  const filled = Math.round(share * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${text}`;
}

const LISTED_KEYS = 20;

const SUPPRESSED = "opted out (the suppression list); not requested";

function listKeys(keys: readonly string[], total: number): string[] {
  const shown = keys.slice(0, LISTED_KEYS).map((k) => `    ${k}`);
  if (total > shown.length) shown.push(`    … and ${total - shown.length} more (see --report)`);
  return shown;
}

/** Most frequent first. */
function listCodes(byCode: Record<string, number>): string[] {
  return Object.entries(byCode)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, count]) => `    ${code}  ${count}`);
}

/** `(2 resolved as sent from webhooks)`, when some were. */
function resolvedPart(s: SendSummary): string {
  return s.resolvedSent > 0 ? ` (${s.resolvedSent} resolved as sent from webhooks)` : "";
}

/** `; from webhooks: 1 duplicated, 2 not duplicated`, when events said. */
function duplicatesPart(s: SendSummary): string {
  const parts = [...(s.duplicated > 0 ? [`${s.duplicated} duplicated`] : []), ...(s.notDuplicated > 0 ? [`${s.notDuplicated} not duplicated`] : [])];
  return parts.length > 0 ? ` (from webhooks: ${parts.join(", ")})` : "";
}

/** The end-of-run summary as text. */
export function formatSummary(s: SendSummary): string {
  const lines: string[] = [];
  const where = `${s.campaign} -> ${s.target}${s.shard ? ` (shard ${s.shard})` : ""}`;
  if (s.dryRun) {
    lines.push(`Dry run: ${where}, nothing sent`);
    const sms = s.smsItems ?? 0;
    const smsForm = sms > 0 ? `, ${sms} SMS` : "";
    lines.push(`  would send  ${s.forms.session + s.forms.template}  (${s.forms.session - sms} session, ${s.forms.template} template${smsForm})`);
    if (s.sms) lines.push(`  channels    ${describeSmsTotals(s.sms)}`);
    if (s.skipped > 0) lines.push(`  skipped     ${s.skipped}  already sent (journal)`);
    if (s.suppressed > 0) lines.push(`  suppressed  ${s.suppressed}  ${SUPPRESSED}`);
    if (s.unknown + s.resolvedSent > 0) {
      lines.push(`  unknown     ${s.unknown + s.resolvedSent}${resolvedPart(s)}${s.unknown > 0 ? "  outcome unknown from an earlier run; not resent without --retry-unknown" : ""}`);
    }
    if (s.failedEarlier > 0) lines.push(`  failed earlier (final)  ${s.failedEarlier}  not resent without --retry-failed`);
    return `${lines.join("\n")}\n`;
  }
  if (s.cancelled) return `Cancelled: ${where}, nothing sent\n`;
  lines.push(`Send summary: ${where}`);
  lines.push(`  sent        ${s.sent}${s.fallbacks > 0 ? `  (${s.fallbacks} as the template form after the 24-hour window refused the session form)` : ""}`);
  lines.push(`  failed      ${s.failed}`);
  lines.push(...listCodes(s.failedByCode));
  if (s.failedEarlier > 0) {
    lines.push(`  failed earlier (final)  ${s.failedEarlier}  refused for good in an earlier run; not resent, add --retry-failed to send them again`);
    lines.push(...listCodes(s.failedEarlierByCode));
  }
  lines.push(`  fallbacks   ${s.fallbacks}`);
  if (s.sms) lines.push(`  channels    ${describeSmsTotals(s.sms)}`);
  lines.push(
    `  unknown     ${s.unknown + s.resolvedSent}${resolvedPart(s)}${s.unknown > 0 ? "  outcome unknown (the run that sent them died); not resent, add --resume --retry-unknown to send them anyway" : ""}`,
  );
  lines.push(...listKeys(s.unknownKeys, s.unknown));
  lines.push(`  skipped     ${s.skipped}  already sent (journal)`);
  if (s.suppressed > 0) lines.push(`  suppressed  ${s.suppressed}  ${SUPPRESSED}`);
  if (s.optedOut > 0) lines.push(`  opted out   ${s.optedOut}  answered ${OPTED_OUT_CODE}; now on the suppression list`);
  if (s.suppressionError) lines.push(`  ${s.suppressionError}`);
  if (s.possiblyDuplicated > 0) {
    const earlier = s.possiblyDuplicatedEarlier > 0 ? ` (${s.possiblyDuplicatedEarlier === s.possiblyDuplicated ? "all" : s.possiblyDuplicatedEarlier} in an earlier run)` : "";
    lines.push(`  possibly duplicated  ${s.possiblyDuplicated}${earlier}${duplicatesPart(s)}  an attempt may have been accepted before the one that answered (5xx, timeout, unknown)`);
    lines.push(...listKeys(s.possiblyDuplicatedKeys, s.possiblyDuplicated));
  }
  if (s.interrupted + s.notAttempted > 0) lines.push(`  not sent    ${s.interrupted + s.notAttempted}  left for --resume`);
  if (s.stopped) lines.push(`  ${s.stopped}`);
  lines.push(
    `  ${s.total} recipient${s.total === 1 ? "" : "s"} in ${duration(s.durationMs)}, ${s.messagesPerSecond} msgs/s, ` +
      `${s.requests} request${s.requests === 1 ? "" : "s"} (${s.retries} retried, ${s.rateLimited} rate-limited)`,
  );
  if (s.journal) lines.push(`  journal     ${s.journal}`);
  if (s.store) lines.push(`  store       ${s.store.location}${s.store.missed > 0 ? `  missed ${s.store.missed} send${s.store.missed === 1 ? "" : "s"} (it failed; the journal has them)` : ""}`);
  if (s.reportError) lines.push(`  report      not written: ${s.reportError}`);
  return `${lines.join("\n")}\n`;
}
