/**
 * The shared store on PostgreSQL through a pg Pool: the same tables and the same SQL as SQLite
 * (src/store/queries.ts), for a receiver on a server, several behind a load balancer, and sends
 * and reports in CI jobs. The schema is created or migrated on first use under an advisory lock,
 * so any number of processes may start at once.
 *
 * PostgreSQL text cannot hold a NUL character, which a webhook body may carry (and a JSON string
 * may spell as \u0000): such strings, and only those (plus the rare ones that begin with the
 * marker, so that reading back is exact), are stored JSON-escaped after a marker.
 *
 * The URL is a secret when it carries a password: every message shows it masked, and text from
 * the driver has the password cut out.
 */
import pg from "pg";
import type { PoolClient, QueryResultRow } from "pg";
import { InputError } from "../errors.js";
import { databaseUrlPasswords, hasDatabaseUrlPassword, maskDatabaseUrl, withoutSecrets } from "./database-url.js";
import { migrationFailed, pendingMigrations, POSTGRES_DIALECT, READ_VERSION_SQL, VERSION_TABLE_SQL, writeVersionSql } from "./migrations.js";
import type { Migration } from "./migrations.js";
import {
  canonicalTime,
  CAMPAIGN_OUTCOMES_SQL,
  CAMPAIGN_SENDS_SQL,
  effectStatements,
  DELETE_SUPPRESSION_SQL,
  EVENT_COLUMNS,
  eventFromRow,
  eventParams,
  eventsWhereInSql,
  inChunks,
  INSERT_EVENT_SQL,
  lastPerNumber,
  mergeSends,
  SEND_CONFLICT_SET,
  inKeysetBatches,
  outcomeFromRow,
  sendFromRow,
  RECENT_INBOUND_SQL,
  SELECT_SUPPRESSIONS_SQL,
  sendParams,
  sortEvents,
  suppressionFromRow,
  suppressionParams,
} from "./queries.js";
import type { EventRow, OutcomeRow, SendRow } from "./queries.js";
import type { EventEffects, EventRecord, SendOutcome, SendRecord, Store, SuppressionRecord, SuppressOptions } from "./store.js";

/** Any 64-bit number the same in every msgc: the advisory lock taken around migrations. */
const MIGRATION_LOCK = "7461830152948113";
/**
 * The first key of the per-number advisory locks that opt-outs and opt-ins take (the second is
 * the number's hash); two-key locks never collide with MIGRATION_LOCK's single key.
 */
const OPT_OUT_LOCK = 746_183;
/** Sends per INSERT (as arrays: one statement whatever the batch, well under the parameter limit). */
const SEND_CHUNK = 5000;

const NUL_MARKER = "\u0001msgc-json:";

function encodeText(value: unknown): unknown {
  if (typeof value !== "string" || (!value.includes("\u0000") && !value.startsWith(NUL_MARKER))) return value;
  return `${NUL_MARKER}${JSON.stringify(value)}`;
}

/** Rows as one array per column, encoded, for `SELECT * FROM unnest(?::text[], …)`: one statement whatever the batch. */
function asColumns<T>(items: readonly T[], params: (item: T) => readonly unknown[], width: number): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width }, () => []);
  for (const item of items) params(item).forEach((value, c) => columns[c]!.push(encodeText(value)));
  return columns;
}

function decodeRow<T>(row: QueryResultRow): T {
  for (const [column, value] of Object.entries(row)) {
    if (typeof value === "string" && value.startsWith(NUL_MARKER)) row[column] = JSON.parse(value.slice(NUL_MARKER.length)) as string;
  }
  return row as T;
}

/** `?` placeholders numbered, once per statement text. */
const numbered = new Map<string, string>();
function numberPlaceholders(sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, text);
  }
  return text;
}

/** SQLSTATE classes that are about reaching or using the server, not about msgc's SQL. */
const SERVER_PROBLEMS = /^(08|28|3D|53|57|58|XX|40P01|55P03|25P02)/;

/**
 * A problem reaching or using the server becomes one line with the URL masked; anything else
 * (msgc's SQL being wrong) stays as it is: a bug.
 */
function serverProblem(error: unknown, location: string, secrets: readonly string[]): unknown {
  if (error instanceof InputError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const isSqlState = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
  if (isSqlState && !SERVER_PROBLEMS.test(code)) return error;
  const text = withoutSecrets(String((error as Error)?.message ?? error), secrets).split("\n")[0]!.trim();
  const suffix = typeof code === "string" && !text.includes(code) ? ` (${code})` : "";
  return new InputError(`The store ${location} cannot be used: ${text || "the connection failed"}${suffix}`);
}

export interface PostgresOptions {
  /** The password when the URL has none (PGPASSWORD from the environment given). */
  password?: string;
  /** For tests of the migration runner only. */
  migrations?: readonly Migration[];
  targetVersion?: number;
  /** Connections at most (default 4: a command or a receiver needs few). */
  max?: number;
  /** How long connecting may take (default 10 s); a query may take 60 s. Neither hangs for ever. */
  connectTimeoutMs?: number;
}

/** The driver lets a URL's (absent) password win over a separate one: it goes into the URL. */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined || hasDatabaseUrlPassword(url)) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<Store> {
  const location = maskDatabaseUrl(url);
  const secrets = [...databaseUrlPasswords(url), ...(options.password ? [options.password] : [])];
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: withPassword(url, options.password),
      max: options.max ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      query_timeout: 60_000,
      keepAlive: true,
      // Idle connections do not keep a finished command's process alive for idleTimeout.
      allowExitOnIdle: true,
      idleTimeoutMillis: 10_000,
      application_name: "msgc",
    });
  } catch (error) {
    // An unparseable URL: the driver's words may quote it.
    throw new InputError(`The store ${location} cannot be used: its URL is not valid`);
  }
  // A connection that dies while idle in the pool is dropped; the next query gets a new one.
  pool.on("error", () => undefined);
  const store = new PostgresStore(pool, location, secrets);
  try {
    await store.migrate(options);
    return store;
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw serverProblem(error, location, secrets);
  }
}

/** The columns of one event (EVENT_COLUMNS, eventParams). */
const EVENT_PARAMS = 12;

/** A query inside a transaction. */
type TransactionQuery = <R>(sql: string, params?: readonly unknown[]) => Promise<{ rows: R[]; rowCount: number }>;

class PostgresStore implements Store {
  readonly kind = "postgres";

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly secrets: readonly string[],
  ) {}

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw serverProblem(error, this.location, this.secrets);
    }
  }

  private static async query<T>(on: pg.Pool | PoolClient, sql: string, params: readonly unknown[] = []): Promise<{ rows: T[]; rowCount: number }> {
    const result = await on.query(numberPlaceholders(sql), params.map(encodeText));
    return { rows: result.rows.map((r) => decodeRow<T>(r)), rowCount: result.rowCount ?? 0 };
  }

  private query<T>(sql: string, params: readonly unknown[] = []): Promise<{ rows: T[]; rowCount: number }> {
    return PostgresStore.query<T>(this.pool, sql, params);
  }

  /** Runs `work` in one transaction on one connection; resolves once COMMIT has. */
  private transaction<T>(work: (q: TransactionQuery) => Promise<T>): Promise<T> {
    return this.guard(async () => {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await work((sql, params) => PostgresStore.query(client, sql, params));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    });
  }

  async migrate(options: PostgresOptions): Promise<void> {
    const pending = (version: number): Migration[] => pendingMigrations(version, this.location, options.migrations, options.targetVersion);
    // Most opens find the schema current: one read answers that without the lock.
    const exists = await this.query<{ t: string | null }>("SELECT to_regclass('msgc_schema')::text AS t");
    if (exists.rows[0]?.t) {
      const { rows } = await this.query<{ version: number }>(READ_VERSION_SQL);
      if (pending(rows[0]?.version ?? 0).length === 0) return;
    }
    await this.transaction(async (q) => {
      // Held until this transaction ends: a second process waits here, then finds the work done.
      await q(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await q(VERSION_TABLE_SQL);
      const { rows } = await q<{ version: number }>(READ_VERSION_SQL);
      const steps = pending(rows[0]?.version ?? 0);
      for (const step of steps) {
        try {
          for (const sql of step.statements(POSTGRES_DIALECT)) await q(sql);
        } catch (error) {
          throw migrationFailed(serverProblem(error, this.location, this.secrets), this.location, step.version);
        }
      }
      const last = steps.at(-1);
      if (last !== undefined) await q(writeVersionSql(rows[0] !== undefined), [last.version]);
    });
  }

  commitEvent(event: EventRecord, effects?: EventEffects): Promise<"stored" | "duplicate"> {
    const hasEffects = effects !== undefined && (effects.inbound !== undefined || effects.suppress !== undefined || effects.unsuppress !== undefined);
    // One statement commits on its own: a round trip, not three.
    if (!hasEffects) return this.guard(async () => ((await this.query(INSERT_EVENT_SQL, eventParams(event))).rowCount === 0 ? "duplicate" : "stored"));
    return this.transaction(async (q) => {
      await PostgresStore.lockNumbers(q, [effects]);
      return PostgresStore.commitOne(q, event, effects);
    });
  }

  /**
   * Serializes, across connections and receivers, the transactions that opt a number out or in:
   * otherwise a STOP's check for a later opt-in and a START's delete each miss the other's
   * uncommitted row, and both commit (the number left suppressed). Taken before the events are
   * inserted and in one order (sorted), so two transactions never wait on each other in a cycle.
   */
  private static async lockNumbers(q: TransactionQuery, effects: readonly (EventEffects | undefined)[]): Promise<void> {
    const numbers = new Set<string>();
    for (const e of effects) {
      if (e?.suppress) numbers.add(e.suppress.number);
      if (e?.unsuppress) numbers.add(e.unsuppress.number);
    }
    if (numbers.size === 0) return;
    const sorted = [...numbers].sort().map(encodeText);
    // A function scan yields the array's elements in order: the locks are taken in that order.
    await q(`SELECT pg_advisory_xact_lock(${OPT_OUT_LOCK}, hashtext(n)) FROM unnest(?::text[]) AS n`, [sorted]);
  }

  /** The events in one statement (a round trip, not one per event), then the effects of the new ones in order. */
  commitEvents(items: readonly { event: EventRecord; effects?: EventEffects | undefined }[]): Promise<("stored" | "duplicate")[]> {
    if (items.length === 0) return Promise.resolve([]);
    return this.transaction(async (q) => {
      await PostgresStore.lockNumbers(q, items.map((item) => item.effects));
      const columns = asColumns(items, ({ event }) => eventParams(event), EVENT_PARAMS);
      const { rows } = await q<{ delivery_id: string }>(
        `INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM unnest(${Array(EVENT_PARAMS).fill("?::text[]").join(", ")})
         ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`,
        columns,
      );
      // A delivery twice in the batch is inserted once: the first is stored, the later a duplicate.
      const inserted = new Set(rows.map((r) => r.delivery_id));
      const outcomes: ("stored" | "duplicate")[] = [];
      for (const { event, effects } of items) {
        const stored = inserted.delete(event.deliveryId);
        outcomes.push(stored ? "stored" : "duplicate");
        if (stored) await PostgresStore.applyEffects(q, effects);
      }
      return outcomes;
    });
  }

  private static async commitOne(q: TransactionQuery, event: EventRecord, effects: EventEffects | undefined): Promise<"stored" | "duplicate"> {
    if ((await q(INSERT_EVENT_SQL, eventParams(event))).rowCount === 0) return "duplicate";
    await PostgresStore.applyEffects(q, effects);
    return "stored";
  }

  private static async applyEffects(q: TransactionQuery, effects: EventEffects | undefined): Promise<void> {
    for (const [sql, params] of effectStatements(effects)) await q(sql, params);
  }

  async recordSends(sends: readonly SendRecord[]): Promise<void> {
    if (sends.length === 0) return;
    const merged = mergeSends(sends);
    await this.transaction(async (q) => {
      for (let i = 0; i < merged.length; i += SEND_CHUNK) {
        const columns = asColumns(merged.slice(i, i + SEND_CHUNK), sendParams, 8);
        // The same rule as UPSERT_SEND_SQL, for a whole batch in one statement.
        await q(
          `INSERT INTO sends (campaign, plan_key, attempt, form, channel, message_id, token, sent_at)
           SELECT * FROM unnest(?::text[], ?::text[], ?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
           ON CONFLICT (campaign, plan_key, attempt, form) DO UPDATE SET ${SEND_CONFLICT_SET}`,
          columns,
        );
      }
    });
  }

  eventsByTokens(tokens: readonly string[]): Promise<EventRecord[]> {
    return this.eventsWhereIn("token", tokens);
  }

  eventsByMessageIds(messageIds: readonly string[]): Promise<EventRecord[]> {
    return this.eventsWhereIn("message_id", messageIds);
  }

  private eventsWhereIn(column: "token" | "message_id", values: readonly string[]): Promise<EventRecord[]> {
    return this.guard(async () => {
      const events: EventRecord[] = [];
      for (const chunk of inChunks(values)) {
        for (const row of (await this.query<EventRow>(eventsWhereInSql(column, chunk.length), chunk)).rows) events.push(eventFromRow(row));
      }
      return sortEvents(events);
    });
  }

  async *campaignOutcomes(campaign: string): AsyncIterable<SendOutcome> {
    // Statistics first: right after a large send (before autovacuum has analyzed it), the
    // planner takes the sends table for a few dozen rows and reads every row past the position
    // for each batch, so a million sends took quadratic time. ANALYZE samples a bounded number
    // of rows; a role that does not own the tables gets a notice, not an error, and a read-only
    // standby refuses it: then the batches run on the statistics there are.
    await this.query("ANALYZE sends, events").catch(() => undefined);
    // Keyset batches rather than a cursor: no connection is held while the caller works.
    const rows = inKeysetBatches(campaign, (params) => this.guard(async () => (await this.query<OutcomeRow>(CAMPAIGN_OUTCOMES_SQL, params)).rows));
    for await (const row of rows) yield outcomeFromRow(row);
  }

  async *campaignSends(campaign: string): AsyncIterable<SendRecord> {
    // Statistics first, as for campaignOutcomes: without them a batch may read every row past its position.
    await this.query("ANALYZE sends").catch(() => undefined);
    const rows = inKeysetBatches(campaign, (params) => this.guard(async () => (await this.query<SendRow>(CAMPAIGN_SENDS_SQL, params)).rows));
    for await (const row of rows) yield sendFromRow(row);
  }

  recentInbound(since: string): Promise<Map<string, string>> {
    return this.guard(async () => {
      const { rows } = await this.query<{ number: string; last_at: string }>(RECENT_INBOUND_SQL, [canonicalTime(since)]);
      return new Map(rows.map((r) => [r.number, r.last_at]));
    });
  }

  suppressions(): Promise<Map<string, SuppressionRecord>> {
    return this.guard(async () => {
      const { rows } = await this.query<Parameters<typeof suppressionFromRow>[0]>(SELECT_SUPPRESSIONS_SQL);
      return new Map(rows.map((r) => [r.number, suppressionFromRow(r)]));
    });
  }

  async suppress(records: readonly SuppressionRecord[], options: SuppressOptions = {}): Promise<number> {
    if (records.length === 0) return 0;
    const last = lastPerNumber(records);
    return this.transaction(async (q) => {
      if (options.keepExisting === true) {
        // The first record of a number stands (a number given twice: its first one here).
        const firsts = [...new Map(records.map((r) => [r.number, r] as const).reverse()).values()];
        const columns = asColumns(firsts, suppressionParams, 4);
        const inserted = await q(
          `INSERT INTO suppressions (number, reason, suppressed_at, source)
           SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])
           ON CONFLICT (number) DO NOTHING`,
          columns,
        );
        return inserted.rowCount;
      }
      // Counted and written under one lock, so two imports at once cannot both count a number as new.
      await q("LOCK TABLE suppressions IN SHARE ROW EXCLUSIVE MODE");
      const numbers = last.map((r) => encodeText(r.number));
      const { rows } = await q<{ n: string }>("SELECT count(*) AS n FROM suppressions WHERE number = ANY(?::text[])", [numbers]);
      const columns = asColumns(last, suppressionParams, 4);
      await q(
        `INSERT INTO suppressions (number, reason, suppressed_at, source)
         SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])
         ON CONFLICT (number) DO UPDATE SET reason = excluded.reason, suppressed_at = excluded.suppressed_at, source = excluded.source`,
        columns,
      );
      return last.length - Number(rows[0]?.n ?? 0);
    });
  }

  async unsuppress(numbers: readonly string[]): Promise<number> {
    if (numbers.length === 0) return 0;
    return this.guard(async () => (await this.query("DELETE FROM suppressions WHERE number = ANY(?::text[])", [[...new Set(numbers)].map(encodeText)])).rowCount);
  }

  schemaVersion(): Promise<number> {
    return this.guard(async () => (await this.query<{ version: number }>(READ_VERSION_SQL)).rows[0]?.version ?? 0);
  }

  async close(): Promise<void> {
    if (!this.pool.ended && !this.pool.ending) await this.pool.end();
  }
}
