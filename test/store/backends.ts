/**
 * The backends the store's contract runs against, each a real database: a SQLite file in a
 * temporary folder, and a database on the PostgreSQL server the test setup starts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Migration } from "../../src/store/migrations.js";
import pg from "pg";
import { openPostgresStore } from "../../src/store/postgres.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { Store } from "../../src/store/store.js";
import type { TestPostgres } from "../setup/postgres.js";

export interface Backend {
  name: "sqlite" | "postgres";
  /** A fresh, empty database for one test (removed by `cleanup`). */
  fresh(): Promise<Database>;
  cleanup(): Promise<void>;
}

export interface Database {
  open(options?: { migrations?: readonly Migration[]; targetVersion?: number }): Promise<Store>;
  /** Runs SQL on the database directly, past the store (to age or damage it). */
  exec(sql: string): Promise<void>;
}

export function sqliteBackend(): Backend {
  const folders: string[] = [];
  return {
    name: "sqlite",
    async fresh() {
      const folder = mkdtempSync(join(tmpdir(), "msgc-store-"));
      folders.push(folder);
      const path = join(folder, "msgc.db");
      return {
        open: async (options = {}) => openSqliteStore(path, { create: true, ...options }),
        exec: async (sql) => {
          const db = new Database(path);
          try {
            db.exec(sql);
          } finally {
            db.close();
          }
        },
      };
    },
    async cleanup() {
      for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(server: TestPostgres): Backend {
  return {
    name: "postgres",
    async fresh() {
      const url = await server.createDatabase();
      return {
        open: (options = {}) => openPostgresStore(url, options),
        exec: async (sql) => {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            await client.query(sql);
          } finally {
            await client.end();
          }
        },
      };
    },
    // The databases go with the server when the run ends.
    async cleanup() {},
  };
}
