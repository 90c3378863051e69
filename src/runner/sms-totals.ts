/**
 * What a campaign's SMS will cost, summed over its planned rows: recipients by channel, segments
 * and UCS-2 rows, shown before anything is sent. The per-row look-alike warning is gathered into
 * one diagnostic here, so that a million rows give one line.
 */
import type { Diagnostic } from "../diagnostics.js";
import type { SmsInfo } from "../compiler/sms.js";

export interface SmsTotals {
  recipients: { whatsapp: number; sms: number };
  segments: number;
  /** SMS rows whose text is UCS-2. */
  ucs2: number;
}

export function newSmsTotals(): SmsTotals {
  return { recipients: { whatsapp: 0, sms: 0 }, segments: 0, ucs2: 0 };
}

/**
 * One item's cost as a number, cheap to hand from a plan worker: 0 for WhatsApp, else
 * segments * 2 + 1 when UCS-2 (segments * 2 + 0 when GSM-7 is never 0: an SMS has a segment).
 */
export function smsCode(info: SmsInfo | undefined): number {
  if (!info) return 0;
  return info.segments * 2 + (info.encoding === "UCS-2" ? 1 : 0);
}

export function addSmsCode(totals: SmsTotals, code: number): void {
  if (code === 0) {
    totals.recipients.whatsapp++;
    return;
  }
  totals.recipients.sms++;
  totals.segments += Math.floor(code / 2);
  if (code % 2 === 1) totals.ucs2++;
}

/** Sums `b` into `a`. */
export function addSmsTotals(a: SmsTotals, b: SmsTotals): void {
  a.recipients.whatsapp += b.recipients.whatsapp;
  a.recipients.sms += b.recipients.sms;
  a.segments += b.segments;
  a.ucs2 += b.ucs2;
}

/** `1,000 WhatsApp, 250 SMS (312 segments, 12 UCS-2)` */
export function describeSmsTotals(totals: SmsTotals): string {
  const n = (value: number): string => value.toLocaleString("en-US");
  const sms = totals.recipients.sms;
  const detail = sms > 0 ? ` (${n(totals.segments)} segment${totals.segments === 1 ? "" : "s"}, ${n(totals.ucs2)} UCS-2)` : "";
  return `${n(totals.recipients.whatsapp)} WhatsApp, ${n(sms)} SMS${detail}`;
}

const FIRST_ROWS = 3;

/** The rows hit by `sms-unicode-lookalike`, reported once when the pass ends. */
export class LookalikeRows {
  private first: Diagnostic | undefined;
  private rows: number[] = [];
  private count = 0;

  add(d: Diagnostic): void {
    this.first ??= d;
    this.count++;
    if (this.rows.length < FIRST_ROWS && d.row !== undefined) this.rows.push(d.row);
  }

  /** The one diagnostic for all of them: the first row's words, the count and the first rows. */
  take(): Diagnostic | undefined {
    const first = this.first;
    if (!first) return undefined;
    this.first = undefined;
    const n = (value: number): string => value.toLocaleString("en-US");
    const rest = this.count - this.rows.length;
    const shown = this.rows.map(n);
    const list = rest > 0 ? `${shown.join(", ")} and ${n(rest)} more` : shown.length > 1 ? `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}` : shown.join("");
    const rowWord = this.count === 1 ? "row" : "rows";
    const { row: _row, line: _line, ...rest0 } = first;
    return { ...rest0, message: `${first.message} (${n(this.count)} ${rowWord}: ${rowWord} ${list})` };
  }
}
