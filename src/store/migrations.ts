/**
 * The store's schema, as an ordered list of migrations both backends apply. A database records
 * the version it is at in `msgc_schema`; opening it applies, in one transaction, every migration
 * past that version, and refuses a database that a newer msgc has migrated further than this
 * build knows (its tables may mean something this build would get wrong).
 *
 * The SQL is written once: the two dialects differ only in what a text column compares by.
 * PostgreSQL's default collation follows the server's locale, so keys are declared `COLLATE "C"`
 * there to sort byte by byte, as SQLite does, and a campaign streams in the same order on both.
 */
import { InputError } from "../errors.js";
import { STORE_SCHEMA_VERSION } from "./store.js";

export interface Dialect {
  /** The type of a text column that is sorted or compared. */
  readonly key: string;
}

export const SQLITE_DIALECT: Dialect = { key: "TEXT" };
export const POSTGRES_DIALECT: Dialect = { key: 'TEXT COLLATE "C"' };

export interface Migration {
  /** The version the database is at once this has run. */
  readonly version: number;
  readonly statements: (d: Dialect) => readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: (d) => [
      `CREATE TABLE events (
        delivery_id ${d.key} PRIMARY KEY,
        topic TEXT NOT NULL,
        message_id ${d.key},
        status TEXT,
        error_code TEXT,
        error_message TEXT,
        customer ${d.key},
        campaign ${d.key},
        token ${d.key},
        occurred_at TEXT,
        received_at ${d.key} NOT NULL,
        raw TEXT NOT NULL
      )`,
      "CREATE INDEX events_token ON events (token)",
      "CREATE INDEX events_message_id ON events (message_id)",
      "CREATE INDEX events_campaign ON events (campaign)",
      `CREATE TABLE sends (
        campaign ${d.key} NOT NULL,
        plan_key ${d.key} NOT NULL,
        attempt INTEGER NOT NULL,
        form ${d.key} NOT NULL,
        channel TEXT NOT NULL,
        message_id ${d.key},
        token ${d.key},
        sent_at TEXT NOT NULL,
        PRIMARY KEY (campaign, plan_key, attempt, form)
      )`,
      "CREATE INDEX sends_token ON sends (token)",
      "CREATE INDEX sends_message_id ON sends (message_id)",
      `CREATE TABLE inbound (
        number ${d.key} PRIMARY KEY,
        last_at ${d.key} NOT NULL
      )`,
      "CREATE INDEX inbound_last_at ON inbound (last_at)",
      `CREATE TABLE suppressions (
        number ${d.key} PRIMARY KEY,
        reason TEXT NOT NULL,
        suppressed_at TEXT NOT NULL,
        source TEXT
      )`,
    ],
  },
  {
    // An opt-in's time outlives the suppression it lifts: an older opt-out delivered after it
    // (Connectly retries) must not suppress the number again.
    version: 2,
    statements: (d) => [
      `CREATE TABLE opt_ins (
        number ${d.key} PRIMARY KEY,
        opted_in_at ${d.key} NOT NULL
      )`,
    ],
  },
];

/** The table that holds the version: created before anything else, one row. */
export const VERSION_TABLE_SQL = "CREATE TABLE IF NOT EXISTS msgc_schema (version INTEGER NOT NULL)";
export const READ_VERSION_SQL = "SELECT version FROM msgc_schema";

/**
 * The migrations to run on a database at `current`, in order; throws when the database is newer
 * than `target` (this build). `location` is for people (a masked URL or a path).
 */
export function pendingMigrations(current: number, location: string, migrations: readonly Migration[] = MIGRATIONS, target = STORE_SCHEMA_VERSION): Migration[] {
  if (!Number.isSafeInteger(current) || current < 0) throw new InputError(`The store ${location} has a schema version msgc cannot read (${String(current).slice(0, 40)})`);
  if (current > target) {
    throw new InputError(`The store ${location} has schema version ${current}; this msgc knows versions up to ${target}: upgrade msgc to use it`);
  }
  return migrations.filter((m) => m.version > current && m.version <= target).sort((a, b) => a.version - b.version);
}

/** What sets the version once migrations ran: an UPDATE when there was a row, else an INSERT. */
export function writeVersionSql(hadRow: boolean): string {
  return hadRow ? "UPDATE msgc_schema SET version = ?" : "INSERT INTO msgc_schema (version) VALUES (?)";
}

/**
 * A migration that fails on a database this msgc did not leave that way (a table dropped or made
 * by hand) is a problem with that database: one line naming it, and the transaction rolled back.
 */
export function migrationFailed(error: unknown, location: string, to: number): InputError {
  if (error instanceof InputError) return error;
  const why = String((error as Error)?.message ?? error).split("\n")[0];
  return new InputError(`The store ${location} could not be migrated to schema version ${to}: ${why}`);
}
