#!/usr/bin/env node
// The send runner's throughput against the sandbox, which runs in its own process (started with
// `msgc sandbox`) so that the runner's CPU time is its own. Figures are printed, never asserted.
//   (a) 50 ms latency, sandbox unlimited, concurrency 64, journal on (bound: 64 / 0.05 = 1280/s)
//   (b) no latency, rate unlimited (library only), journal on; runner CPU time per message
//   (c) the sandbox's default 200/s limit and rate 200: sustained msgs/s and 429s
//   (d) what a user would write instead: a loop of `await fetch()`, one at a time
//   (e) with a SQLite store recording every attempt beside without one (target >= 90%): at 50 ms
//       latency as in (a), and CPU-bound as in (b), where the store's inserts (on the send's own
//       thread) are the most felt
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { send } from "../dist/runner/send/index.js";
import { SESSION_PATH, TEMPLATE_PATH } from "../dist/compiler/plan.js";
import { openStore } from "../dist/store/open.js";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "dist", "cli", "main.js");
const API_KEY = "bench-key";
const scale = Number(process.env.BENCH_SCALE ?? 1);
const work = mkdtempSync(join(tmpdir(), "msgc-send-bench-"));

/** Generated plan items, as the compiler makes them (template form: no window needed). */
function audience(count, campaign) {
  const items = [];
  for (let i = 0; i < count; i++) {
    const number = `+1604${String(5_000_000 + i).padStart(7, "0")}`;
    items.push({
      key: `${campaign}/${number}`,
      spec: "specs/campaigns/bench.yaml",
      window: "auto",
      lastInboundAt: null,
      template: {
        method: "POST",
        path: TEMPLATE_PATH,
        body: {
          number,
          templateName: "order_shipped",
          language: "en",
          parameters: [{ name: "body_1", value: `Customer ${i}` }, { name: "body_2", value: String(10_000 + i) }],
          campaignName: campaign,
        },
      },
      session: {
        method: "POST",
        path: SESSION_PATH,
        body: { recipient: { id: number, channelType: "whatsapp" }, message: { text: `Hi ${i}, your order shipped` } },
      },
    });
  }
  return items;
}

async function startSandbox(args) {
  const child = spawn(process.execPath, [cli, "sandbox", "--port", "0", "--api-key", API_KEY, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (chunk) => {
      text += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`sandbox exited ${code}`)));
  });
  child.stdout.resume();
  return {
    url,
    async stats() {
      return (await fetch(`${url}/__sandbox/stats`)).json();
    },
    async clear() {
      await fetch(`${url}/__sandbox/messages`, { method: "DELETE" });
    },
    stop() {
      child.kill("SIGTERM");
    },
  };
}

let journals = 0;
async function runSend(box, items, options) {
  const cpuBefore = process.cpuUsage();
  const summary = await send({
    plan: () => items,
    campaign: "bench",
    baseUrl: box.url,
    businessId: "bench-business",
    apiKey: API_KEY,
    journal: join(work, `bench-${journals++}.ndjson`),
    maxFailures: { kind: "count", count: 1 },
    ...options,
  });
  const cpu = process.cpuUsage(cpuBefore);
  return { summary, cpuMicrosPerMessage: (cpu.user + cpu.system) / Math.max(1, summary.sent) };
}

function line(label, value, note = "") {
  console.log(`${label.padEnd(58)} ${String(value).padStart(9)}${note ? `  ${note}` : ""}`);
}

// (a) latency-bound
{
  const box = await startSandbox(["--rate", "0", "--latency", "50"]);
  // Both processes warm up (JIT, the sandbox's validators) before the measured run.
  await runSend(box, audience(2000, "warmup"), { rate: Infinity, concurrency: 64 });
  await box.clear();
  const { summary } = await runSend(box, audience(Math.round(4000 * scale), "a"), { rate: Infinity, concurrency: 64 });
  line("(a) 50 ms latency, concurrency 64, journal on: msgs/s", summary.messagesPerSecond, `(target >= 1100; bound 1280) ${summary.sent} sent, ${summary.failed} failed`);
  await box.clear();
  const bare = await runSend(box, audience(Math.round(4000 * scale), "a2"), { rate: Infinity, concurrency: 64, journal: false });
  line("    same without the journal: msgs/s", bare.summary.messagesPerSecond);
  box.stop();
}

// (b) CPU-bound
{
  const box = await startSandbox(["--rate", "0"]);
  await runSend(box, audience(5000, "warmup"), { rate: Infinity, concurrency: 64 });
  await box.clear();
  const { summary, cpuMicrosPerMessage } = await runSend(box, audience(Math.round(10000 * scale), "b"), { rate: Infinity, concurrency: 64 });
  line("(b) no latency, rate unlimited, journal on: msgs/s", summary.messagesPerSecond, `(target >= 4000) ${summary.sent} sent, ${summary.failed} failed`);
  line("    runner CPU time per message (µs)", cpuMicrosPerMessage.toFixed(1));
  await box.clear();
  const noJournal = await runSend(box, audience(Math.round(10000 * scale), "b2"), { rate: Infinity, concurrency: 64, journal: false });
  line("    same without the journal: msgs/s", noJournal.summary.messagesPerSecond, `CPU ${noJournal.cpuMicrosPerMessage.toFixed(1)} µs/msg`);

  // (d) the naive loop, against the same sandbox
  await box.clear();
  const items = audience(Math.round(1000 * scale), "d");
  const started = performance.now();
  let ok = 0;
  for (const item of items) {
    const response = await fetch(`${box.url}${item.template.path.replace("{businessId}", "bench-business")}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": API_KEY },
      body: JSON.stringify(item.template.body),
    });
    await response.text();
    if (response.ok) ok++;
  }
  const naive = (ok * 1000) / (performance.now() - started);
  line("(d) naive `await fetch()` loop, one at a time: msgs/s", naive.toFixed(1), `${ok} sent, no journal, no retries`);
  line("    msgc send (b) / naive loop", `${(summary.messagesPerSecond / naive).toFixed(1)}x`);
  box.stop();
}

// (c) paced at the documented limit
{
  const box = await startSandbox([]);
  const { summary } = await runSend(box, audience(Math.round(2000 * scale), "c"), { rate: 200, concurrency: 16 });
  const stats = await box.stats();
  line("(c) sandbox limit 200/s, rate 200: sustained msgs/s", summary.messagesPerSecond, `(target >= 190) ${summary.sent} sent`);
  line("    429 answers", stats.byStatus["429"] ?? 0, "(target 0)");
  box.stop();
}

// (e) the store's cost: the same send alternating without and with a SQLite store (median of
// three each: the machine may be shared).
for (const [label, sandboxArgs, count] of [
  ["(e) 50 ms latency, concurrency 64", ["--rate", "0", "--latency", "50"], 4000],
  ["    no latency, rate unlimited", ["--rate", "0"], 10000],
]) {
  const box = await startSandbox(sandboxArgs);
  const store = await openStore({ kind: "sqlite", path: join(work, `msgc-${journals}.db`), create: true });
  await runSend(box, audience(2000, "warmup-e"), { rate: Infinity, concurrency: 64, store });
  const without = [];
  const withStore = [];
  for (let round = 0; round < 3; round++) {
    await box.clear();
    without.push((await runSend(box, audience(Math.round(count * scale), `e${round}`), { rate: Infinity, concurrency: 64 })).summary.messagesPerSecond);
    await box.clear();
    const { summary } = await runSend(box, audience(Math.round(count * scale), `es${round}`), { rate: Infinity, concurrency: 64, store });
    if (summary.store.missed > 0) throw new Error(`the store missed ${summary.store.missed} sends`);
    withStore.push(summary.messagesPerSecond);
  }
  const median = (values) => [...values].sort((a, b) => a - b)[1];
  line(`${label}, journal on, no store: msgs/s`, median(without), `runs ${without.join(", ")}`);
  line("      with a SQLite store recording every attempt: msgs/s", median(withStore), `runs ${withStore.join(", ")}`);
  line("      with / without", `${Math.round((median(withStore) / median(without)) * 100)}%`, "(target >= 90%)");
  await store.close();
  box.stop();
}

rmSync(work, { recursive: true, force: true });
