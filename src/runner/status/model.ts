/**
 * The funnel of one campaign: what its journals say (planned, sent, failed at send, unknown,
 * possibly duplicated) joined per recipient with what the store learned after (delivered, read,
 * failed on delivery). Formats read this model only; it holds counts, never a list of recipients,
 * so a million-recipient campaign gives a model of the same size as a ten-recipient one. The
 * per-recipient rows stream past `onRecipient` (the `--report` file) as they are joined.
 */
import type { Form } from "../../compiler/plan.js";
import type { Timeline } from "./timeline.js";

/** Where a recipient ended up, furthest first; each recipient is in exactly one. */
export type RecipientState =
  | "read"
  | "delivered"
  /** Accepted, and a `sent` webhook (dispatched, not delivered yet). */
  | "sent"
  /** Accepted by the API, and no status webhook yet. */
  | "no-status"
  /** Accepted, then a `delivery_failed` webhook. */
  | "delivery-failed"
  /** Refused at send (the last run's final answer). */
  | "failed"
  /** The send never heard back (an intent without an outcome): it may or may not have gone out. */
  | "unknown"
  /** Retried or waiting for its template fallback when its run stopped. */
  | "not-finished"
  | "suppressed";

/**
 * What resolving uncertain recipients came to: an unknown outcome `sent`; a possible duplicate
 * `duplicated` or `not-duplicated`; `uncertain` while nothing settles it. From the journal alone
 * nothing is settled; events (webhooks carrying the msgc token) settle them.
 */
export type Resolution = "sent" | "duplicated" | "not-duplicated" | "uncertain";

/** One recipient, joined; what `--report` writes (its key masked unless numbers are shown). */
export interface RecipientRow {
  key: string;
  state: RecipientState;
  channel: "whatsapp" | "sms" | null;
  form: Form | null;
  /** Requests made for it, over every run. */
  attempts: number;
  /** The accepted message's id (the latest, when there were several). */
  messageId: string | null;
  errorCode: string | null;
  /** The template form went out after the session form was refused for the 24-hour window. */
  fallback: boolean;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
  unknown: boolean;
  possiblyDuplicated: boolean;
  /** Null when there was nothing uncertain to resolve. */
  resolution: Resolution | null;
}

export interface FailureCount {
  code: string;
  /** What the code means, or null for a code msgc does not know. */
  meaning: string | null;
  /** `send`: refused in the API's answer; `delivery`: a `delivery_failed` webhook after acceptance. */
  stage: "send" | "delivery";
  count: number;
}

export interface StatusModel {
  campaign: string;
  /** Where the numbers come from: journal paths as given, the store's location (password masked). */
  sources: { journals: string[]; store: string | null };
  funnel: {
    /** Recipients the campaign's runs reached (every key a journal or the store knows). */
    planned: number;
    /** Accepted by the API (read + delivered + dispatched + no status + failed on delivery). */
    sent: number;
    /** Delivered or read. */
    delivered: number;
    read: number;
    /** Refused at send, or failed on delivery. */
    failed: number;
    noStatus: number;
    unknown: number;
    notFinished: number;
    suppressed: number;
  };
  /** Most first, then by code. */
  failures: FailureCount[];
  /** Sent as the template after the session form was refused for the window. */
  fallbacks: number;
  /** Recipients reached by SMS, and their segments when known (the store and journal do not keep them). */
  sms: { recipients: number; segments: number | null };
  possiblyDuplicated: number;
  resolution: {
    /** `journal` until events resolve them (see tracking.md). */
    source: "journal" | "events";
    unknown: { sent: number; uncertain: number };
    possiblyDuplicated: { duplicated: number; notDuplicated: number; uncertain: number };
  };
  /** Delivered and read per bucket; null when no delivery or read was recorded. */
  timeline: Timeline | null;
}

export function emptyStatusModel(campaign: string, sources: StatusModel["sources"]): StatusModel {
  return {
    campaign,
    sources,
    funnel: { planned: 0, sent: 0, delivered: 0, read: 0, failed: 0, noStatus: 0, unknown: 0, notFinished: 0, suppressed: 0 },
    failures: [],
    fallbacks: 0,
    sms: { recipients: 0, segments: null },
    possiblyDuplicated: 0,
    resolution: { source: "journal", unknown: { sent: 0, uncertain: 0 }, possiblyDuplicated: { duplicated: 0, notDuplicated: 0, uncertain: 0 } },
    timeline: null,
  };
}
