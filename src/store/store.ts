/**
 * What msgc learns after a send, kept in one database: webhook events, the message ids and
 * tokens of sends, when each customer last wrote, and who opted out. One interface, two
 * backends (SQLite embedded, PostgreSQL shared) with the same tables and the same behaviour;
 * every layer above talks to this interface only.
 *
 * Everything is async because PostgreSQL is; SQLite answers at once. Numbers are E.164
 * (`+15551234567`), times ISO 8601 UTC strings. Nothing here formats for people: numbers are
 * stored whole and masked by whoever shows them.
 */

/** The schema version this build creates or migrates to. */
export const STORE_SCHEMA_VERSION = 2;

export type DeliveryStatus = "sent" | "delivered" | "read" | "delivery_failed";

/** How far a message got: read > delivered > sent; a failure stands apart. */
export const STATUS_RANK: Readonly<Record<Exclude<DeliveryStatus, "delivery_failed">, number>> = { sent: 1, delivered: 2, read: 3 };

/** One webhook delivery as received (Connectly retries: the same raw body is one event). */
export interface EventRecord {
  /** `delivery_status`, `messages`, or whatever other topic a signed body named ("unknown" when none). */
  topic: string;
  /** sha256 (hex) of the raw body: the same delivery twice is stored once. */
  deliveryId: string;
  messageId: string | null;
  status: DeliveryStatus | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** The customer's number (recipient of a status, sender of an inbound message). */
  customer: string | null;
  campaign: string | null;
  /** The msgc token echoed in `callbackData`, when there was one. */
  token: string | null;
  /** The webhook's own timestamp (when it happened), when it carried one. */
  occurredAt: string | null;
  receivedAt: string;
  /** The raw body as received (UTF-8 text; a body that is not UTF-8 is kept as base64 prefixed `base64:`). */
  raw: string;
}

export type SuppressionReason = "keyword" | "error" | "manual" | "import";

export interface SuppressionRecord {
  number: string;
  reason: SuppressionReason;
  at: string;
  /** What caused it: the keyword text, the error code, the imported file's name, or a note. */
  source: string | null;
}

/** What committing an event also changes, in the same transaction. */
export interface EventEffects {
  /** A customer wrote at this time: the 24-hour window opens (kept only when later than what is stored). */
  inbound?: { number: string; at: string };
  /**
   * The customer opted out (keyword, or the opted-out error code) at `at`. Events arrive out of
   * order (Connectly retries), so it suppresses only when later than the number's latest opt-in,
   * and it never moves an existing suppression's time back.
   */
  suppress?: SuppressionRecord;
  /**
   * The customer opted back in (START, UNSTOP, SUBSCRIBE…) at this time: it lifts a suppression
   * recorded at or before it only, so that a retried older START cannot undo a later STOP; its
   * time is kept (the latest per number) for the opt-outs that arrive after it.
   */
  unsuppress?: { number: string; at: string };
}

/** One message a send got an id for (or, with `messageId` null, an attempt whose answer was lost). */
export interface SendRecord {
  /** The plan key (the recipient's number for campaigns). */
  key: string;
  campaign: string;
  channel: "whatsapp" | "sms";
  form: "session" | "template";
  attempt: number;
  messageId: string | null;
  /** The msgc token put in callbackData; null when the message could not carry one (`track: false`, a non-object callbackData). */
  token: string | null;
  at: string;
}

/** A send with the furthest status its events reached (joined by token, else by message id). */
export interface SendOutcome {
  send: SendRecord;
  /** read > delivered > sent, whatever order the events came in; null when no status event yet. */
  furthest: Exclude<DeliveryStatus, "delivery_failed"> | null;
  failed: { errorCode: string | null; errorMessage: string | null; at: string } | null;
  /** The first time each status was seen (the event's occurredAt, else its receivedAt). */
  firstAt: Partial<Record<DeliveryStatus, string>>;
}

export interface SuppressOptions {
  /**
   * A number already on the list keeps its record (the customer's own STOP is the better
   * evidence than a hand-made entry); decided inside the write, so a STOP that lands between a
   * read and this write is never overwritten.
   */
  keepExisting?: boolean;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Where it is, for people: a file path, or a PostgreSQL URL with its password masked. */
  readonly location: string;

  /** Stores the event and its effects in one transaction; resolves only once committed. */
  commitEvent(event: EventRecord, effects?: EventEffects): Promise<"stored" | "duplicate">;

  /**
   * Several events and their effects in one transaction (a receiver's group commit: one disk
   * sync for many webhooks); each one's outcome, in order. A delivery twice in `items` is stored
   * once, the second "duplicate". All or none are committed.
   */
  commitEvents(items: readonly { event: EventRecord; effects?: EventEffects | undefined }[]): Promise<("stored" | "duplicate")[]>;

  /** Records sends in one transaction (a batch per journal flush; the same key+campaign+attempt+form once). */
  recordSends(sends: readonly SendRecord[]): Promise<void>;

  /** Events that carry any of these tokens. */
  eventsByTokens(tokens: readonly string[]): Promise<EventRecord[]>;
  /** Events about any of these message ids. */
  eventsByMessageIds(messageIds: readonly string[]): Promise<EventRecord[]>;

  /** Every recorded send of a campaign with its furthest status, streamed in key order. */
  campaignOutcomes(campaign: string): AsyncIterable<SendOutcome>;
  /**
   * Every recorded send of a campaign as recorded (no events joined: cheap), streamed in key
   * order; what `send --resume` compares its journal with.
   */
  campaignSends(campaign: string): AsyncIterable<SendRecord>;

  /** Numbers that wrote at or after `since`, with their last inbound time. */
  recentInbound(since: string): Promise<Map<string, string>>;

  /** The whole suppression list (opt-outs are few compared to audiences), keyed by number. */
  suppressions(): Promise<Map<string, SuppressionRecord>>;
  /** Adds or replaces (or, with `keepExisting`, only adds); returns how many numbers were not suppressed before. */
  suppress(records: readonly SuppressionRecord[], options?: SuppressOptions): Promise<number>;
  /** Returns how many of these numbers were suppressed. */
  unsuppress(numbers: readonly string[]): Promise<number>;

  /** The schema version of the database as opened (after migrating). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
