/**
 * A real PostgreSQL for tests: `postgresForTests()` gives a fresh database on the run's one
 * server, started by the first test file that asks (under a lock, since files run in parallel
 * processes) and stopped by test/setup/postgres-global.ts when the run ends.
 *
 * Without PostgreSQL binaries, tests that need it skip and say why; under `CI=true` they fail
 * instead (`.ci/run` installs Debian's postgresql), so a missing server is never silent in CI.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";
// @ts-expect-error: plain JavaScript, shared with the bench
import { findPostgresBin, startPostgres } from "./postgres-server.mjs";

export interface TestPostgres {
  /** The server's superuser URL (database `postgres`), password included. */
  adminUrl: string;
  password: string;
  /** A new, empty database; its URL. */
  createDatabase(): Promise<string>;
}

export type PostgresForTests = { available: true; postgres: TestPostgres } | { available: false; reason: string };

const LOCK_STALE_MS = 120_000;

async function sharedServer(): Promise<{ url: string; password: string }> {
  const state = inject("msgcPostgresState");
  const described = join(state, "server.json");
  const failed = join(state, "failed.txt");
  const lock = join(state, "lock");
  for (;;) {
    if (existsSync(described)) return JSON.parse(readFileSync(described, "utf8")) as { url: string; password: string };
    if (existsSync(failed)) throw new Error(readFileSync(failed, "utf8"));
    try {
      mkdirSync(lock);
    } catch {
      // Another file is starting it; a lock left by a killed worker is taken over.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    try {
      if (existsSync(described) || existsSync(failed)) continue;
      try {
        // Started by this test file's worker, which ends before the run: the run owns it.
        const server = (await startPostgres({ ownerPid: inject("msgcPostgresOwner") })) as { url: string; password: string };
        writeFileSync(described, JSON.stringify(server));
      } catch (error) {
        writeFileSync(failed, `starting PostgreSQL for the tests failed: ${(error as Error).message}`);
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** `bin` and `env` are for the test of this helper itself. */
export async function postgresForTests(options: { bin?: string | undefined; env?: NodeJS.ProcessEnv } = {}): Promise<PostgresForTests> {
  const bin = "bin" in options ? options.bin : (findPostgresBin() as string | undefined);
  if (bin === undefined) {
    const reason = "no PostgreSQL binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin; install Debian's postgresql";
    if ((options.env ?? process.env)["CI"] === "true") throw new Error(`CI=true: ${reason}`);
    return { available: false, reason };
  }
  const server = await sharedServer();
  return {
    available: true,
    postgres: {
      adminUrl: server.url,
      password: server.password,
      async createDatabase() {
        const name = `msgc_test_${randomBytes(6).toString("hex")}`;
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        const url = new URL(server.url);
        url.pathname = `/${name}`;
        return url.toString();
      },
    },
  };
}
