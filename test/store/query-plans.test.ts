/**
 * A campaign's outcomes are read a batch at a time; each batch must find its sends and their
 * events through indexes, or reading a large campaign takes time that grows with the square of
 * its size. The plans are checked, never the time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, test } from "vitest";
import { openPostgresStore } from "../../src/store/postgres.js";
import { CAMPAIGN_OUTCOMES_SQL } from "../../src/store/queries.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { SendRecord, Store } from "../../src/store/store.js";
import { postgresForTests } from "../setup/postgres.js";

const postgres = await postgresForTests();
const folder = mkdtempSync(join(tmpdir(), "msgc-plans-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const PARAMS = ["c", "+1000000500", 1, "template", 1000];

async function fill(store: Store, count: number): Promise<void> {
  const sends: SendRecord[] = Array.from({ length: count }, (_, i) => ({
    key: `+1${String(i).padStart(9, "0")}`,
    campaign: "c",
    channel: "whatsapp",
    form: "template",
    attempt: 1,
    messageId: `m-${i}`,
    token: `t-${i}`,
    at: "2026-12-01T00:00:00.000Z",
  }));
  await store.recordSends(sends);
}

describe("campaign outcome batches use indexes", () => {
  test("sqlite: a new file (no statistics) looks events up by token and message id", async () => {
    const path = join(folder, "plans.db");
    const store = openSqliteStore(path, { create: true });
    await fill(store, 2000);
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${CAMPAIGN_OUTCOMES_SQL}`).all(...PARAMS) as { detail: string }[]).map((r) => r.detail);
    db.close();
    expect(plan.filter((d) => /\bevents\b| e\b|\be USING/.test(d) && d.startsWith("SCAN"))).toEqual([]);
    expect(plan).toContain("SEARCH e USING INDEX events_token (token=?)");
    expect(plan).toContain("SEARCH e USING INDEX events_message_id (message_id=?)");
    expect(plan).toContain("SEARCH sends USING INDEX sqlite_autoindex_sends_1 (campaign=? AND (plan_key,attempt,form)>(?,?,?))");
  });

  test.runIf(postgres.available)("postgres: right after a large send, the batch walks the primary key in order", async () => {
    const server = postgres.available ? postgres.postgres : undefined!;
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    await fill(store, 30_000);
    // Reading outcomes brings the statistics up to date before its first batch.
    for await (const _ of store.campaignOutcomes("c")) break;
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    let n = 0;
    const { rows } = await client.query(`EXPLAIN ${CAMPAIGN_OUTCOMES_SQL.replace(/\?/g, () => `$${++n}`)}`, PARAMS);
    await client.end();
    const plan = rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n");
    expect(plan).toMatch(/Index Scan using sends_pkey on sends/);
    expect(plan).not.toMatch(/Bitmap Heap Scan on sends/);
  });
});
