/**
 * The SQL both backends run, written once with `?` placeholders (the PostgreSQL backend numbers
 * them), and the mapping between rows and records. Anything a backend does differently (batch
 * inserts, transactions, streaming) is in its own file; what a query means is here.
 */
import type { DeliveryStatus, EventEffects, EventRecord, SendOutcome, SendRecord, SuppressionRecord, SuppressionReason } from "./store.js";
import { STATUS_RANK } from "./store.js";

/** Rows a campaign's outcomes are read in per query: memory stays flat however large it is. */
export const OUTCOME_BATCH = 1000;
/** Values per `IN (…)` list. */
export const IN_LIST_CHUNK = 500;

/**
 * Times are compared as text (an index on them stays usable, and both backends agree), so they
 * are stored in one shape: `Date#toISOString`. Text that is not a time is kept as written: it
 * came from a webhook and is evidence, not ours to drop.
 */
export function canonicalTime(text: string): string {
  // Only ISO 8601 date-times: Date.parse also takes "1" (as the year 2001) and other loose text.
  if (!ISO_DATE_TIME.test(text)) return text;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString();
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export const EVENT_COLUMNS = "delivery_id, topic, message_id, status, error_code, error_message, customer, campaign, token, occurred_at, received_at, raw";

export const INSERT_EVENT_SQL = `INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING`;

export function eventParams(e: EventRecord): unknown[] {
  return [
    e.deliveryId,
    e.topic,
    e.messageId,
    e.status,
    e.errorCode,
    e.errorMessage,
    e.customer,
    e.campaign,
    e.token,
    e.occurredAt === null ? null : canonicalTime(e.occurredAt),
    canonicalTime(e.receivedAt),
    e.raw,
  ];
}

export interface EventRow {
  delivery_id: string;
  topic: string;
  message_id: string | null;
  status: string | null;
  error_code: string | null;
  error_message: string | null;
  customer: string | null;
  campaign: string | null;
  token: string | null;
  occurred_at: string | null;
  received_at: string;
  raw: string;
}

export function eventFromRow(r: EventRow): EventRecord {
  return {
    topic: r.topic,
    deliveryId: r.delivery_id,
    messageId: r.message_id,
    status: r.status as DeliveryStatus | null,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    customer: r.customer,
    campaign: r.campaign,
    token: r.token,
    occurredAt: r.occurred_at,
    receivedAt: r.received_at,
    raw: r.raw,
  };
}

/** `SELECT … FROM events WHERE <column> IN (?, …)` for `count` values. */
export function eventsWhereInSql(column: "token" | "message_id", count: number): string {
  return `SELECT ${EVENT_COLUMNS} FROM events WHERE ${column} IN (${placeholders(count)})`;
}

/** Events in the order they were received (the delivery id breaks ties, so the order is total). */
export function sortEvents(events: EventRecord[]): EventRecord[] {
  return events.sort((a, b) => compareText(a.receivedAt, b.receivedAt) || compareText(a.deliveryId, b.deliveryId));
}

/** Distinct values, in chunks small enough for one `IN (…)` list. */
export function inChunks(values: readonly string[]): string[][] {
  const distinct = [...new Set(values)];
  const chunks: string[][] = [];
  for (let i = 0; i < distinct.length; i += IN_LIST_CHUNK) chunks.push(distinct.slice(i, i + IN_LIST_CHUNK));
  return chunks;
}

export function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

/**
 * Another run's record of the same attempt: both carry a msgc token and they differ (the token
 * hashes the run's start), as when a campaign is sent again later with a fresh journal. That
 * record replaces the earlier run's whole, so the campaign's sends are its latest run's.
 */
const OTHER_RUN = "(sends.token IS NOT NULL AND excluded.token IS NOT NULL AND sends.token <> excluded.token)";

/**
 * What a conflicting record does to the row. Within a run, the first record of an attempt stands
 * and a later one only fills in what was not known (the message id of an attempt whose answer
 * came after it was first recorded); another run's record replaces it (OTHER_RUN).
 */
export const SEND_CONFLICT_SET = `channel = CASE WHEN ${OTHER_RUN} THEN excluded.channel ELSE sends.channel END,
    message_id = CASE WHEN ${OTHER_RUN} THEN excluded.message_id ELSE COALESCE(sends.message_id, excluded.message_id) END,
    sent_at = CASE WHEN ${OTHER_RUN} THEN excluded.sent_at ELSE sends.sent_at END,
    token = CASE WHEN ${OTHER_RUN} THEN excluded.token ELSE COALESCE(sends.token, excluded.token) END`;

/** One row per attempt (SEND_CONFLICT_SET says how a second record of it merges). */
export const UPSERT_SEND_SQL = `INSERT INTO sends (campaign, plan_key, attempt, form, channel, message_id, token, sent_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (campaign, plan_key, attempt, form) DO UPDATE SET
    ${SEND_CONFLICT_SET}`;

export function sendParams(s: SendRecord): [string, string, number, string, string, string | null, string | null, string] {
  return [s.campaign, s.key, s.attempt, s.form, s.channel, s.messageId, s.token, canonicalTime(s.at)];
}

/**
 * A batch with each attempt once, merged as UPSERT_SEND_SQL merges it (PostgreSQL refuses to
 * update one row twice in a statement).
 */
export function mergeSends(sends: readonly SendRecord[]): SendRecord[] {
  const byAttempt = new Map<string, SendRecord>();
  for (const s of sends) {
    const id = JSON.stringify([s.campaign, s.key, s.attempt, s.form]);
    const first = byAttempt.get(id);
    const otherRun = first?.token != null && s.token !== null && first.token !== s.token;
    byAttempt.set(id, first === undefined || otherRun ? s : { ...first, messageId: first.messageId ?? s.messageId, token: first.token ?? s.token });
  }
  return [...byAttempt.values()];
}

/** One time per number where a later time replaces an earlier one and an earlier or equal one changes nothing. */
function upsertLatestSql(table: string, column: string): string {
  return `INSERT INTO ${table} (number, ${column}) VALUES (?, ?)
  ON CONFLICT (number) DO UPDATE SET ${column} = excluded.${column} WHERE excluded.${column} > ${table}.${column}`;
}

export const UPSERT_INBOUND_SQL = upsertLatestSql("inbound", "last_at");

/** The number's latest opt-in. */
export const UPSERT_OPT_IN_SQL = upsertLatestSql("opt_ins", "opted_in_at");

export const RECENT_INBOUND_SQL = "SELECT number, last_at FROM inbound WHERE last_at >= ?";

export const UPSERT_SUPPRESSION_SQL = `INSERT INTO suppressions (number, reason, suppressed_at, source) VALUES (?, ?, ?, ?)
  ON CONFLICT (number) DO UPDATE SET reason = excluded.reason, suppressed_at = excluded.suppressed_at, source = excluded.source`;

/**
 * An event's opt-out: not when the number opted in at or after it (an older STOP retried after a
 * START), and an existing record is replaced only by one at least as late, so that the
 * suppression's time stays the latest opt-out's and an opt-in between them does not lift it.
 * Parameters: eventSuppressionParams.
 */
export const SUPPRESS_FROM_EVENT_SQL = `INSERT INTO suppressions (number, reason, suppressed_at, source)
  SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM opt_ins WHERE number = ? AND opted_in_at >= ?)
  ON CONFLICT (number) DO UPDATE SET reason = excluded.reason, suppressed_at = excluded.suppressed_at, source = excluded.source
  WHERE excluded.suppressed_at >= suppressions.suppressed_at`;

export function eventSuppressionParams(s: SuppressionRecord): unknown[] {
  const params = suppressionParams(s);
  return [...params, params[0], params[2]];
}

/** What committing an event also changes, as statements and their parameters, in order. */
export function effectStatements(effects: EventEffects | undefined): [string, unknown[]][] {
  const statements: [string, unknown[]][] = [];
  if (effects?.inbound) statements.push([UPSERT_INBOUND_SQL, [effects.inbound.number, canonicalTime(effects.inbound.at)]]);
  if (effects?.suppress) statements.push([SUPPRESS_FROM_EVENT_SQL, eventSuppressionParams(effects.suppress)]);
  if (effects?.unsuppress !== undefined) {
    const params = [effects.unsuppress.number, canonicalTime(effects.unsuppress.at)];
    statements.push([UPSERT_OPT_IN_SQL, params], [DELETE_SUPPRESSION_BEFORE_SQL, params]);
  }
  return statements;
}

/** A number already on the list keeps its record. */
export const INSERT_NEW_SUPPRESSION_SQL = `INSERT INTO suppressions (number, reason, suppressed_at, source) VALUES (?, ?, ?, ?)
  ON CONFLICT (number) DO NOTHING`;

export const DELETE_SUPPRESSION_SQL = "DELETE FROM suppressions WHERE number = ?";

/** An opt-in lifts only what was suppressed at or before it (times are canonical ISO text, so they compare as text). */
export const DELETE_SUPPRESSION_BEFORE_SQL = "DELETE FROM suppressions WHERE number = ? AND suppressed_at <= ?";

export const SELECT_SUPPRESSIONS_SQL = "SELECT number, reason, suppressed_at, source FROM suppressions";

export function suppressionParams(s: SuppressionRecord): [string, string, string, string | null] {
  return [s.number, s.reason, canonicalTime(s.at), s.source];
}

export function suppressionFromRow(r: { number: string; reason: string; suppressed_at: string; source: string | null }): SuppressionRecord {
  return { number: r.number, reason: r.reason as SuppressionReason, at: r.suppressed_at, source: r.source };
}

/** The last record of each number wins, as it would applied one by one. */
export function lastPerNumber(records: readonly SuppressionRecord[]): SuppressionRecord[] {
  return [...new Map(records.map((r) => [r.number, r])).values()];
}

/**
 * One batch of a campaign's sends alone (no events): the next OUTCOME_BATCH after a (key,
 * attempt, form) position, by the sends' primary key. Parameters as CAMPAIGN_OUTCOMES_SQL's.
 */
export const CAMPAIGN_SENDS_SQL = `SELECT campaign, plan_key, attempt, form, channel, message_id, token, sent_at FROM sends
  WHERE campaign = ? AND (plan_key, attempt, form) > (?, ?, ?)
  ORDER BY plan_key, attempt, form
  LIMIT ?`;

function rankSql(column: string): string {
  return `CASE ${column} ${Object.entries(STATUS_RANK)
    .map(([status, rank]) => `WHEN '${status}' THEN ${rank}`)
    .join(" ")} END`;
}

/**
 * One batch of a campaign's outcomes: the next OUTCOME_BATCH sends after a (key, attempt, form)
 * position, each with what its events say. An event belongs to a send by its token; one without
 * a token (or about a send that has none) by its message id. The two ways are disjoint, so no
 * event counts twice. The furthest status is the highest rank (the order events came in does not
 * matter); a failure stands apart, as the first failure event's code and message.
 *
 * Parameters: campaign, key, attempt, form (the position after which to start), limit.
 *
 * `CROSS JOIN` makes SQLite take the batch first and look its events up by index: with no
 * statistics (a new file) it would otherwise scan all events once per batch. PostgreSQL reads it
 * as a plain join and plans it from its own statistics.
 */
export const CAMPAIGN_OUTCOMES_SQL = `
WITH s AS (${CAMPAIGN_SENDS_SQL}),
m AS (
  SELECT s.plan_key, s.attempt, s.form, e.delivery_id, e.status, e.error_code, e.error_message,
    COALESCE(e.occurred_at, e.received_at) AS seen_at
  FROM s CROSS JOIN events e WHERE e.token = s.token
  UNION ALL
  SELECT s.plan_key, s.attempt, s.form, e.delivery_id, e.status, e.error_code, e.error_message,
    COALESCE(e.occurred_at, e.received_at) AS seen_at
  FROM s CROSS JOIN events e WHERE e.message_id = s.message_id AND (e.token IS NULL OR s.token IS NULL)
),
a AS (
  SELECT plan_key, attempt, form,
    MAX(${rankSql("status")}) AS furthest,
    MIN(CASE WHEN status = 'sent' THEN seen_at END) AS sent_seen,
    MIN(CASE WHEN status = 'delivered' THEN seen_at END) AS delivered_seen,
    MIN(CASE WHEN status = 'read' THEN seen_at END) AS read_seen
  FROM m GROUP BY plan_key, attempt, form
),
f AS (
  SELECT plan_key, attempt, form, error_code, error_message, seen_at FROM (
    SELECT plan_key, attempt, form, error_code, error_message, seen_at,
      ROW_NUMBER() OVER (PARTITION BY plan_key, attempt, form ORDER BY seen_at, delivery_id) AS n
    FROM m WHERE status = 'delivery_failed'
  ) x WHERE n = 1
)
SELECT s.campaign, s.plan_key, s.attempt, s.form, s.channel, s.message_id, s.token, s.sent_at,
  a.furthest, a.sent_seen, a.delivered_seen, a.read_seen,
  f.error_code, f.error_message, f.seen_at AS failed_seen
FROM s
LEFT JOIN a ON a.plan_key = s.plan_key AND a.attempt = s.attempt AND a.form = s.form
LEFT JOIN f ON f.plan_key = s.plan_key AND f.attempt = s.attempt AND f.form = s.form
ORDER BY s.plan_key, s.attempt, s.form`;

export interface SendRow {
  campaign: string;
  plan_key: string;
  attempt: number;
  form: string;
  channel: string;
  message_id: string | null;
  token: string | null;
  sent_at: string;
}

export interface OutcomeRow extends SendRow {
  furthest: number | null;
  sent_seen: string | null;
  delivered_seen: string | null;
  read_seen: string | null;
  error_code: string | null;
  error_message: string | null;
  failed_seen: string | null;
}

const STATUS_BY_RANK = new Map(Object.entries(STATUS_RANK).map(([status, rank]) => [rank, status as keyof typeof STATUS_RANK]));

export function outcomeFromRow(r: OutcomeRow): SendOutcome {
  const firstAt: SendOutcome["firstAt"] = {};
  if (r.sent_seen !== null) firstAt.sent = r.sent_seen;
  if (r.delivered_seen !== null) firstAt.delivered = r.delivered_seen;
  if (r.read_seen !== null) firstAt.read = r.read_seen;
  if (r.failed_seen !== null) firstAt.delivery_failed = r.failed_seen;
  return {
    send: sendFromRow(r),
    furthest: r.furthest === null ? null : (STATUS_BY_RANK.get(Number(r.furthest)) ?? null),
    failed: r.failed_seen === null ? null : { errorCode: r.error_code, errorMessage: r.error_message, at: r.failed_seen },
    firstAt,
  };
}

export function sendFromRow(r: SendRow): SendRecord {
  return {
    key: r.plan_key,
    campaign: r.campaign,
    channel: r.channel as SendRecord["channel"],
    form: r.form as SendRecord["form"],
    attempt: Number(r.attempt),
    messageId: r.message_id,
    token: r.token,
    at: r.sent_at,
  };
}

/** The parameters of the batch after `last` (the first batch starts before every key). */
export function outcomeBatchParams(campaign: string, last: SendRow | undefined): unknown[] {
  return last === undefined ? [campaign, "", -1, "", OUTCOME_BATCH] : [campaign, last.plan_key, last.attempt, last.form, OUTCOME_BATCH];
}

/**
 * A campaign's rows a batch (OUTCOME_BATCH) at a time, each query starting after the last row of
 * the one before: no cursor holds the connection while the caller works.
 */
export async function* inKeysetBatches<R extends SendRow>(campaign: string, query: (params: unknown[]) => Promise<R[]>): AsyncGenerator<R> {
  let last: R | undefined;
  for (;;) {
    const rows = await query(outcomeBatchParams(campaign, last));
    yield* rows;
    if (rows.length < OUTCOME_BATCH) return;
    last = rows.at(-1);
  }
}

/** Code-unit order: the same for the ASCII times and hex ids it sorts as the databases' byte order. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
