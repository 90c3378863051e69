#!/usr/bin/env node
// The store's write and read rates on both backends: commitEvent one event per transaction (as
// the receiver commits each webhook before it answers), in turn and 16 at once; recordSends in
// batches of 1,000 (a journal flush); campaignOutcomes streamed back. SQLite is a file in the
// temp dir; PostgreSQL a durable server (fsync on) started from the machine's binaries, skipped
// with a reason when there are none. Figures are printed, never asserted.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPostgresBin, startPostgres, stopPostgres } from "../test/setup/postgres-server.mjs";

const SQLITE_MODULE = new URL("../dist/store/sqlite.js", import.meta.url);
const POSTGRES_MODULE = new URL("../dist/store/postgres.js", import.meta.url);
if (!existsSync(SQLITE_MODULE)) {
  console.log("dist/store is missing: run `npm run build` first");
  process.exit(1);
}
const { openSqliteStore } = await import(SQLITE_MODULE.href);
const { openPostgresStore } = await import(POSTGRES_MODULE.href);

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const SENDS = Number(process.env.BENCH_STORE_SENDS ?? 200_000);
const BATCH = 1000;
const IN_FLIGHT = 16;
const RAW = JSON.stringify({ topic: "delivery_status", data: { status: "delivered", callbackData: { msgc: "0123456789abcdef" } } }).padEnd(600, " ");

let serial = 0;
function event() {
  const n = serial++;
  return {
    topic: "delivery_status",
    deliveryId: `bench-${process.pid}-${n}`,
    messageId: `m-${n % SENDS}`,
    status: n % 3 === 0 ? "sent" : n % 3 === 1 ? "delivered" : "read",
    errorCode: null,
    errorMessage: null,
    customer: `+1555${String(n % SENDS).padStart(7, "0")}`,
    campaign: "bench",
    token: `t-${n % SENDS}`,
    occurredAt: new Date(1_764_000_000_000 + n).toISOString(),
    receivedAt: new Date().toISOString(),
    raw: RAW,
  };
}

/** Events committed per second for DURATION_MS, `inFlight` at a time. */
async function commitRate(store, inFlight) {
  const deadline = performance.now() + DURATION_MS;
  let done = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await store.commitEvent(event());
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / ((performance.now() - started) / 1000);
}

async function measure(name, store) {
  const fmt = (n) => Math.round(n).toLocaleString("en-US");
  console.log(`${name}: commitEvent, one event per transaction, in turn: ${fmt(await commitRate(store, 1))} events/s`);
  console.log(`${name}: commitEvent, one event per transaction, ${IN_FLIGHT} at once: ${fmt(await commitRate(store, IN_FLIGHT))} events/s`);
  let started = performance.now();
  for (let i = 0; i < SENDS; i += BATCH) {
    const batch = [];
    for (let k = i; k < Math.min(i + BATCH, SENDS); k++) {
      batch.push({ key: `+1555${String(k).padStart(7, "0")}`, campaign: "bench", channel: "whatsapp", form: "template", attempt: 1, messageId: `m-${k}`, token: `t-${k}`, at: new Date().toISOString() });
    }
    await store.recordSends(batch);
  }
  console.log(`${name}: recordSends, ${fmt(SENDS)} sends in batches of ${BATCH}: ${fmt(SENDS / ((performance.now() - started) / 1000))} sends/s`);
  started = performance.now();
  let outcomes = 0;
  for await (const _ of store.campaignOutcomes("bench")) outcomes++;
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(`${name}: campaignOutcomes streamed ${fmt(outcomes)} sends with their events: ${fmt(outcomes / ((performance.now() - started) / 1000))} sends/s (RSS ${Math.round(rss)} MB)`);
}

const folder = mkdtempSync(join(tmpdir(), "msgc-store-bench-"));
try {
  const sqlite = openSqliteStore(join(folder, "msgc.db"), { create: true });
  await measure("sqlite", sqlite);
  await sqlite.close();
} finally {
  rmSync(folder, { recursive: true, force: true });
}

if (findPostgresBin() === undefined) {
  console.log("postgres: skipped (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin)");
} else {
  const server = await startPostgres({ durable: true });
  try {
    const store = await openPostgresStore(server.url, { max: IN_FLIGHT });
    await measure("postgres", store);
    await store.close();
  } finally {
    stopPostgres(server);
  }
}
