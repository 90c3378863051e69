import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import type { AddressInfo, Socket } from "node:net";
import { beforeAll, describe, expect, test } from "vitest";
import { InputError } from "../../src/errors.js";
import { openPostgresStore } from "../../src/store/postgres.js";
import { openStore } from "../../src/store/open.js";
import { STORE_SCHEMA_VERSION } from "../../src/store/store.js";
import { ensureBuilt, repoRoot } from "../cli/helpers.js";
import { postgresForTests } from "../setup/postgres.js";

const postgres = await postgresForTests();

if (!postgres.available) test.skip(`PostgreSQL store: ${postgres.reason}`, () => {});

async function refusal(open: Promise<unknown>): Promise<Error> {
  const outcome = await open.then(
    () => new Error("opened"),
    (e: unknown) => e as Error,
  );
  expect(outcome).toBeInstanceOf(InputError);
  return outcome;
}

/** A port nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

describe.runIf(postgres.available)("PostgreSQL store", () => {
  const server = postgres.available ? postgres.postgres : undefined!;
  // The exit test runs a child from dist/: built here, not inside a test's time.
  beforeAll(() => ensureBuilt(), 180_000);

  test("first use by several processes at once: one migrates, none fails", async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore(url)));
    expect(await Promise.all(stores.map((s) => s.schemaVersion()))).toEqual(Array(6).fill(STORE_SCHEMA_VERSION));
    await Promise.all(stores.map((s) => s.close()));
  });

  test("two receivers at once: a START and an older STOP of a number, committed concurrently, never leave it suppressed", async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([openPostgresStore(url, { max: 8 }), openPostgresStore(url, { max: 8 })]);
    try {
      const numbers = Array.from({ length: 150 }, (_, i) => `+1555${String(i).padStart(7, "0")}`);
      const base = {
        topic: "messages",
        messageId: null,
        status: null,
        errorCode: null,
        errorMessage: null,
        campaign: null,
        token: null,
        occurredAt: null,
        receivedAt: "2026-12-01T10:06:00.000Z",
      };
      await Promise.all(
        numbers.flatMap((number) => [
          a.commitEvent(
            {
              ...base,
              deliveryId: `start-${number}`,
              customer: number,
              raw: "START",
            },
            { unsuppress: { number, at: "2026-12-01T10:05:00.000Z" } },
          ),
          b.commitEvents([
            {
              event: {
                ...base,
                deliveryId: `stop-${number}`,
                customer: number,
                raw: "STOP",
              },
              effects: {
                suppress: {
                  number,
                  reason: "keyword",
                  at: "2026-12-01T10:00:00.000Z",
                  source: "STOP",
                },
              },
            },
          ]),
        ]),
      );
      expect(await a.suppressions()).toEqual(new Map());
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("location: the URL with its password masked", async () => {
    const url = await server.createDatabase();
    const store = await openStore({ kind: "postgres", url });
    expect(store.kind).toBe("postgres");
    expect(store.location).toBe(url.replace(server.password, "***"));
    expect(store.location).not.toContain(server.password);
    await store.close();
    await store.close();
  });

  test("the password may come apart from the URL (PGPASSWORD)", async () => {
    const url = new URL(await server.createDatabase());
    url.password = "";
    const store = await openStore({ kind: "postgres", url: url.toString(), password: server.password });
    expect(await store.schemaVersion()).toBe(STORE_SCHEMA_VERSION);
    await store.close();
  });

  test("a wrong password is one line, masked", async () => {
    const url = new URL(await server.createDatabase());
    url.password = "wrong-password-1234";
    const error = await refusal(openPostgresStore(url.toString()));
    expect(error.message).toBe(`The store ${url.toString().replace("wrong-password-1234", "***")} cannot be used: password authentication failed for user "msgc" (28P01)`);
  });

  test("a database that does not exist is one line", async () => {
    const url = new URL(server.adminUrl);
    url.pathname = "/no_such_database";
    const error = await refusal(openPostgresStore(url.toString()));
    expect(error.message).toMatch(/^The store postgres:\/\/msgc:\*\*\*@127\.0\.0\.1:\d+\/no_such_database cannot be used: database "no_such_database" does not exist \(3D000\)$/);
  });

  test("a server that does not answer is one line", async () => {
    const port = await closedPort();
    const error = await refusal(openPostgresStore(`postgres://msgc:secret-pw-42@127.0.0.1:${port}/x`));
    expect(error.message).toBe(`The store postgres://msgc:***@127.0.0.1:${port}/x cannot be used: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  test("a server that accepts but never answers is one line once the connect timeout passes", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    const { port } = silent.address() as AddressInfo;
    try {
      const error = await refusal(openPostgresStore(`postgres://msgc:secret-pw-42@127.0.0.1:${port}/x`, { connectTimeoutMs: 300 }));
      expect(error.message).toMatch(new RegExp(`^The store postgres://msgc:\\*\\*\\*@127\\.0\\.0\\.1:${port}/x cannot be used: [^\\n]*(timeout|terminated)[^\\n]*$`));
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => silent.close(done));
    }
  });

  test("a URL that does not parse is one line, without the URL", async () => {
    const error = await refusal(openPostgresStore("postgres://msgc:secret-pw-42@[::1"));
    expect(error.message).not.toContain("secret-pw-42");
    expect(error.message).toMatch(/^The store postgres:\/\/… cannot be used: [^\n]+$/);
  });

  test("a process that never closes its store still exits once its work is done", async () => {
    const url = await server.createDatabase();
    const script = `
      const { openPostgresStore } = await import(${JSON.stringify(join(repoRoot, "dist/store/postgres.js"))});
      const store = await openPostgresStore(process.argv[1]);
      console.log(await store.schemaVersion());`;
    // Well under the pool's 10 s idle timeout: only an idle pool that lets go ends it in time.
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, url], { encoding: "utf8", timeout: 8000 });
    expect([r.status, r.signal, r.stdout]).toEqual([0, null, `${STORE_SCHEMA_VERSION}\n`]);
  });

  test("text that begins with the escape marker reads back exactly", async () => {
    const store = await openPostgresStore(await server.createDatabase());
    const odd = ["\u0001msgc-json:\"x\"", "a\u0000b", "\u0000"];
    await store.suppress(odd.map((number) => ({ number, reason: "manual", at: "2026-12-01T00:00:00.000Z", source: number })));
    expect([...(await store.suppressions()).values()].map((r) => [r.number, r.source]).sort()).toEqual(odd.map((n) => [n, n]).sort());
    expect(await store.unsuppress(odd)).toBe(3);
    await store.close();
  });

  test("a server that goes away mid-use is one line from the next call", async () => {
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    const admin = await openPostgresStore(server.adminUrl);
    // Every connection of the store's database is ended by the server, as a restart would.
    const name = new URL(url).pathname.slice(1);
    await (admin as unknown as { pool: { query(sql: string): Promise<unknown> } }).pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
    );
    await admin.close();
    // The pool drops the dead connection and the next call gets a new one, or a one-line error.
    const outcome = await store.suppressions().then(
      (m) => m.size,
      (e: unknown) => e,
    );
    if (typeof outcome !== "number") {
      expect(outcome).toBeInstanceOf(InputError);
      expect((outcome as Error).message).toMatch(/^The store postgres:\/\/msgc:\*\*\*@[^\n]+ cannot be used: [^\n]+$/);
    }
    expect(await store.suppressions()).toEqual(new Map());
    await store.close();
  });
});
