/**
 * The embedded store: one SQLite file through better-sqlite3. WAL lets a receiver write while a
 * report or a send reads (and a busy timeout lets two writers take turns instead of failing).
 *
 * A commit is in the WAL file before `commitEvent` resolves, so a killed process loses nothing
 * it acknowledged. `synchronous = NORMAL` does not fsync each commit (WAL checkpoints do): only a
 * power loss or kernel crash can lose the last commits. Syncing every commit (FULL) measured
 * 550 commits/s on the machine this was built on, against 14,500 with NORMAL, and the receiver
 * must take 2,000 webhooks a second, one transaction each.
 *
 * Write transactions start IMMEDIATE: a deferred one that reads first and then writes can fail
 * at once with SQLITE_BUSY (its snapshot is stale) instead of waiting its turn.
 */
import { closeSync, mkdirSync, openSync, statSync } from "node:fs";
import type { Stats } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { InputError } from "../errors.js";
import { migrationFailed, pendingMigrations, READ_VERSION_SQL, SQLITE_DIALECT, VERSION_TABLE_SQL, writeVersionSql } from "./migrations.js";
import type { Migration } from "./migrations.js";
import {
  DELETE_SUPPRESSION_SQL,
  canonicalTime,
  CAMPAIGN_OUTCOMES_SQL,
  CAMPAIGN_SENDS_SQL,
  effectStatements,
  eventFromRow,
  eventParams,
  eventsWhereInSql,
  inChunks,
  INSERT_EVENT_SQL,
  inKeysetBatches,
  outcomeFromRow,
  sendFromRow,
  RECENT_INBOUND_SQL,
  SELECT_SUPPRESSIONS_SQL,
  sendParams,
  sortEvents,
  suppressionFromRow,
  suppressionParams,
  UPSERT_SEND_SQL,
  UPSERT_SUPPRESSION_SQL,
  INSERT_NEW_SUPPRESSION_SQL,
} from "./queries.js";
import type { EventRow, OutcomeRow, SendRow } from "./queries.js";
import type { EventEffects, EventRecord, SendOutcome, SendRecord, Store, SuppressionRecord, SuppressOptions } from "./store.js";

const require = createRequire(import.meta.url);

/** How long a statement waits for another connection's write lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** SQLite result codes that are about the file or the machine, not about msgc's SQL. */
const FILE_PROBLEMS = /^SQLITE_(BUSY|LOCKED|READONLY|CORRUPT|NOTADB|FULL|IOERR|CANTOPEN|PERM|AUTH|PROTOCOL|NOLFS)/;

/** A problem with the file becomes one line naming it; anything else is a bug and stays as is. */
function fileProblem(error: unknown, path: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && FILE_PROBLEMS.test(code)) {
    return new InputError(`The store ${path} cannot be used: ${(error as Error).message} (${code})`);
  }
  return error;
}

export interface SqliteOptions {
  /** Create the file (and its folder) when missing; otherwise a missing file is an InputError. */
  create: boolean;
  /** For tests of the migration runner only. */
  migrations?: readonly Migration[];
  targetVersion?: number;
}

/** The file's kind, or undefined when there is none; a path the system refuses to look at (too long, no access) is one line. */
function lookAt(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    throw new InputError(`The store ${path} cannot be opened (${(error as NodeJS.ErrnoException).code ?? "stat failed"})`);
  }
}

export function openSqliteStore(path: string, options: SqliteOptions): Store {
  const Database = require("better-sqlite3") as typeof BetterSqlite3;
  let db: BetterSqlite3.Database;
  const found = lookAt(path);
  if (found === undefined && !options.create) throw new InputError(`The store ${path} does not exist`);
  // A FIFO or a device would hang SQLite's first read or feed it garbage: only files are opened.
  if (found !== undefined && !found.isFile()) throw new InputError(`The store ${path} is not a regular file`);
  try {
    if (found === undefined) {
      mkdirSync(dirname(path), { recursive: true });
      // Numbers and what customers wrote: readable by its owner only (SQLite gives its -wal and
      // -shm files the same mode).
      closeSync(openSync(path, "a", 0o600));
    }
    db = new Database(path, { fileMustExist: !options.create });
  } catch (error) {
    const problem = fileProblem(error, path);
    throw problem instanceof InputError ? problem : new InputError(`The store ${path} cannot be opened: ${(error as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    migrate(db, path, options);
    return new SqliteStore(db, path);
  } catch (error) {
    db.close();
    throw fileProblem(error, path);
  }
}

function migrate(db: BetterSqlite3.Database, path: string, options: SqliteOptions): void {
  const readRow = (): { version: number } | undefined => db.prepare(READ_VERSION_SQL).get() as { version: number } | undefined;
  const pending = (row: { version: number } | undefined): Migration[] => pendingMigrations(row?.version ?? 0, path, options.migrations, options.targetVersion);
  // Most opens find the schema current: a read answers that without taking the write lock.
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'msgc_schema'").get() !== undefined;
  if (hasTable && pending(readRow()).length === 0) return;
  db.transaction(() => {
    // Read again under the lock: another process may have migrated in between.
    db.exec(VERSION_TABLE_SQL);
    const row = readRow();
    const steps = pending(row);
    for (const step of steps) {
      try {
        for (const sql of step.statements(SQLITE_DIALECT)) db.exec(sql);
      } catch (error) {
        throw migrationFailed(fileProblem(error, path), path, step.version);
      }
    }
    const last = steps.at(-1);
    if (last !== undefined) db.prepare(writeVersionSql(row !== undefined)).run(last.version);
  }).immediate();
}

class SqliteStore implements Store {
  readonly kind = "sqlite";
  private readonly insertEvent: BetterSqlite3.Statement;
  private readonly upsertSend: BetterSqlite3.Statement;
  private readonly upsertSuppression: BetterSqlite3.Statement;
  private readonly deleteSuppression: BetterSqlite3.Statement;
  private readonly isSuppressed: BetterSqlite3.Statement;
  private readonly outcomes: BetterSqlite3.Statement;
  private readonly sends: BetterSqlite3.Statement;
  private readonly commit: (event: EventRecord, effects: EventEffects | undefined) => "stored" | "duplicate";
  private readonly commitMany: (items: readonly { event: EventRecord; effects?: EventEffects | undefined }[]) => ("stored" | "duplicate")[];
  private readonly record: (sends: readonly SendRecord[]) => void;
  private readonly suppressAll: (records: readonly SuppressionRecord[], keepExisting: boolean) => number;
  private readonly unsuppressAll: (numbers: readonly string[]) => number;

  constructor(
    private readonly db: BetterSqlite3.Database,
    readonly location: string,
  ) {
    this.insertEvent = db.prepare(INSERT_EVENT_SQL);
    this.upsertSend = db.prepare(UPSERT_SEND_SQL);
    this.upsertSuppression = db.prepare(UPSERT_SUPPRESSION_SQL);
    this.deleteSuppression = db.prepare(DELETE_SUPPRESSION_SQL);
    this.isSuppressed = db.prepare("SELECT 1 FROM suppressions WHERE number = ?").pluck();
    this.outcomes = db.prepare(CAMPAIGN_OUTCOMES_SQL);
    this.sends = db.prepare(CAMPAIGN_SENDS_SQL);

    // The effects' few statements, each prepared once.
    const prepared = new Map<string, BetterSqlite3.Statement>();
    const statement = (sql: string): BetterSqlite3.Statement => {
      let found = prepared.get(sql);
      if (found === undefined) prepared.set(sql, (found = db.prepare(sql)));
      return found;
    };
    const insertNewSuppression = db.prepare(INSERT_NEW_SUPPRESSION_SQL);
    const suppressOne = (record: SuppressionRecord, keepExisting = false): number => {
      if (keepExisting) return insertNewSuppression.run(...suppressionParams(record)).changes;
      const isNew = this.isSuppressed.get(record.number) === undefined;
      this.upsertSuppression.run(...suppressionParams(record));
      return isNew ? 1 : 0;
    };
    const unsuppressOne = (number: string): number => this.deleteSuppression.run(number).changes;

    const commitOne = (event: EventRecord, effects: EventEffects | undefined): "stored" | "duplicate" => {
      if (this.insertEvent.run(...eventParams(event)).changes === 0) return "duplicate";
      for (const [sql, params] of effectStatements(effects)) statement(sql).run(...params);
      return "stored";
    };
    const commit = db.transaction(commitOne);
    this.commit = (event, effects) => commit.immediate(event, effects);
    const commitMany = db.transaction((items: readonly { event: EventRecord; effects?: EventEffects | undefined }[]) => items.map((item) => commitOne(item.event, item.effects)));
    this.commitMany = (items) => commitMany.immediate(items);
    const record = db.transaction((sends: readonly SendRecord[]) => {
      for (const send of sends) this.upsertSend.run(...sendParams(send));
    });
    this.record = (sends) => record.immediate(sends);
    const suppressAll = db.transaction((records: readonly SuppressionRecord[], keepExisting: boolean) => records.reduce((n, r) => n + suppressOne(r, keepExisting), 0));
    this.suppressAll = (records, keepExisting) => suppressAll.immediate(records, keepExisting);
    const unsuppressAll = db.transaction((numbers: readonly string[]) => [...new Set(numbers)].reduce((n, number) => n + unsuppressOne(number), 0));
    this.unsuppressAll = (numbers) => unsuppressAll.immediate(numbers);
  }

  private guard<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(fileProblem(error, this.location));
    }
  }

  commitEvent(event: EventRecord, effects?: EventEffects): Promise<"stored" | "duplicate"> {
    return this.guard(() => this.commit(event, effects));
  }

  commitEvents(items: readonly { event: EventRecord; effects?: EventEffects | undefined }[]): Promise<("stored" | "duplicate")[]> {
    return this.guard(() => (items.length === 0 ? [] : this.commitMany(items)));
  }

  recordSends(sends: readonly SendRecord[]): Promise<void> {
    return this.guard(() => this.record(sends));
  }

  eventsByTokens(tokens: readonly string[]): Promise<EventRecord[]> {
    return this.guard(() => this.eventsWhereIn("token", tokens));
  }

  eventsByMessageIds(messageIds: readonly string[]): Promise<EventRecord[]> {
    return this.guard(() => this.eventsWhereIn("message_id", messageIds));
  }

  private eventsWhereIn(column: "token" | "message_id", values: readonly string[]): EventRecord[] {
    const events: EventRecord[] = [];
    for (const chunk of inChunks(values)) {
      for (const row of this.db.prepare(eventsWhereInSql(column, chunk.length)).all(...chunk) as EventRow[]) events.push(eventFromRow(row));
    }
    return sortEvents(events);
  }

  async *campaignOutcomes(campaign: string): AsyncIterable<SendOutcome> {
    // A batch at a time, not one iterator: the connection stays free for other calls between them.
    const rows = inKeysetBatches(campaign, (params) => this.guard(() => this.outcomes.all(...params) as OutcomeRow[]));
    for await (const row of rows) yield outcomeFromRow(row);
  }

  async *campaignSends(campaign: string): AsyncIterable<SendRecord> {
    const rows = inKeysetBatches(campaign, (params) => this.guard(() => this.sends.all(...params) as SendRow[]));
    for await (const row of rows) yield sendFromRow(row);
  }

  recentInbound(since: string): Promise<Map<string, string>> {
    return this.guard(() => {
      const rows = this.db.prepare(RECENT_INBOUND_SQL).all(canonicalTime(since)) as { number: string; last_at: string }[];
      return new Map(rows.map((r) => [r.number, r.last_at]));
    });
  }

  suppressions(): Promise<Map<string, SuppressionRecord>> {
    return this.guard(() => {
      const rows = this.db.prepare(SELECT_SUPPRESSIONS_SQL).all() as Parameters<typeof suppressionFromRow>[0][];
      return new Map(rows.map((r) => [r.number, suppressionFromRow(r)]));
    });
  }

  suppress(records: readonly SuppressionRecord[], options: SuppressOptions = {}): Promise<number> {
    return this.guard(() => this.suppressAll(records, options.keepExisting === true));
  }

  unsuppress(numbers: readonly string[]): Promise<number> {
    return this.guard(() => this.unsuppressAll(numbers));
  }

  schemaVersion(): Promise<number> {
    return this.guard(() => (this.db.prepare(READ_VERSION_SQL).get() as { version: number }).version);
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
