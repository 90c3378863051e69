#!/usr/bin/env node
// `msgc webhooks serve` as a user runs it (the built CLI, its own process), fed distinct signed
// delivery_status webhooks over keep-alive connections: the sustained rate with SQLite (target
// at least 2,000/s on 2 cores), the latency at 600/s (p99 under 50 ms: what a 200 msg/s
// campaign makes), and the sustained rate with PostgreSQL (at least 1,000/s) when the test
// helper can start a server from the machine's binaries. Figures are printed, never asserted.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Pool } from "undici";
import { cli } from "./harness.mjs";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const IN_FLIGHT = 32;
const SECRET = "bench-webhook-secret";
let sequence = 0;

/** A distinct signed delivery_status body, as Connectly sends them. */
function nextWebhook() {
  const n = sequence++;
  const body = JSON.stringify({
    topic: "delivery_status",
    timestamp: String(1764633600 + (n % 86400)),
    sender: { id: "+14155550100", channelType: "whatsapp" },
    recipient: { id: `+1604${String(5_000_000 + (n % 4_000_000)).padStart(7, "0")}`, channelType: "whatsapp" },
    statusUpdate: { id: `bench-msg-${n}`, status: ["sent", "delivered", "read"][n % 3], error: null },
    metadata: { campaign_name: "bench" },
    callbackData: { msgc: `tok${String(n).padStart(13, "0")}` },
  });
  const signature = createHmac("sha256", SECRET).update(body).digest("base64");
  return { body, headers: { "content-type": "text/plain; charset=utf-8", "x-connectly-hmac-sha256": signature } };
}

// Signed ahead of time: on 2 shared cores the client's own HMACs would weigh on the receiver's
// figure, and Connectly signs on its own machines.
const PREPARED = Number(process.env.BENCH_WEBHOOKS_PREPARED ?? 40_000);
let prepared = [];
function prepare() {
  prepared = Array.from({ length: PREPARED }, nextWebhook).reverse();
}
function takeWebhook() {
  return prepared.pop() ?? nextWebhook();
}

async function startReceiver(env) {
  const dir = mkdtempSync(join(tmpdir(), "msgc-bench-webhooks-"));
  const child = spawn(process.execPath, [cli, "webhooks", "serve", "--port", "0"], {
    cwd: dir,
    env: { PATH: process.env.PATH, CONNECTLY_WEBHOOK_SECRET: SECRET, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let url;
  for (;;) {
    const { value, done } = await lines.next();
    if (done) throw new Error("the receiver exited before it listened");
    const found = /listening on (http:\/\/\S+)/.exec(value);
    if (found) {
      url = found[1];
      break;
    }
  }
  return {
    url,
    cpuSeconds: () => {
      // /proc/<pid>/stat fields 14 and 15: user and system time in clock ticks (100 a second).
      return import("node:fs").then(({ readFileSync }) => {
        const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
        return (Number(fields[11]) + Number(fields[12])) / 100;
      });
    },
    close: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** As many requests as IN_FLIGHT connections carry, for `durationMs` (or `count` requests). */
async function sustained(url, durationMs, count = Infinity) {
  const pool = new Pool(url, { connections: IN_FLIGHT, pipelining: 1 });
  let ok = 0;
  let other = 0;
  let started = 0;
  const begun = performance.now();
  const deadline = begun + durationMs;
  async function worker() {
    while (performance.now() < deadline && started++ < count) {
      const { body, headers } = takeWebhook();
      const response = await pool.request({ method: "POST", path: "/", headers, body });
      await response.body.text();
      if (response.statusCode === 200) ok++;
      else other++;
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - begun) / 1000;
  await pool.close();
  return { perSecond: Math.round(ok / seconds), other };
}

/** `rate` requests a second, each started on schedule whatever the earlier ones do: latencies. */
async function paced(url, rate, durationMs) {
  const pool = new Pool(url, { connections: 64, pipelining: 1 });
  const latencies = [];
  let other = 0;
  const total = Math.round((rate * durationMs) / 1000);
  const started = performance.now();
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const { body, headers } = takeWebhook();
    const sentAt = performance.now();
    pending.push(
      pool.request({ method: "POST", path: "/", headers, body }).then(async (response) => {
        await response.body.text();
        if (response.statusCode === 200) latencies.push(performance.now() - sentAt);
        else other++;
      }),
    );
  }
  await Promise.all(pending);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1], count: latencies.length, other };
}

async function measureStore(label, env, target) {
  const receiver = await startReceiver(env);
  try {
    // Warm-up by count, not time: on a loaded machine half a second leaves the JIT cold.
    await sustained(receiver.url, 60_000, 3000);
    prepare();
    const cpuBefore = await receiver.cpuSeconds();
    const started = performance.now();
    const rate = await sustained(receiver.url, DURATION_MS);
    const cpu = (await receiver.cpuSeconds()) - cpuBefore;
    const requests = (rate.perSecond * (performance.now() - started)) / 1000;
    console.log(
      `${label}: sustained ${rate.perSecond} webhooks/s (${IN_FLIGHT} in flight)` +
        `, receiver ${((cpu * 1e6) / requests).toFixed(0)} µs CPU each (~${Math.round(requests / cpu)}/s per core)` +
        `${rate.other ? `, ${rate.other} non-200!` : ""}, load average ${loadavg()[0].toFixed(1)}  [target ≥ ${target}/s]`,
    );
    prepare();
    const latency = await paced(receiver.url, 600, DURATION_MS);
    console.log(
      `${label}: at 600/s, p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms over ${latency.count}` +
        `${latency.other ? `, ${latency.other} non-200!` : ""}  [target p99 < 50 ms]`,
    );
  } finally {
    await receiver.close();
  }
}

/**
 * The same latency run against a bare node:http server answering {}: on a shared machine the
 * scheduler alone makes a tail, and this line says how much of the receiver's is the machine's.
 */
async function measureBare() {
  const source = `const { createServer } = await import("node:http");
    const server = createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200); res.end("{}"); }); });
    server.listen(0, "127.0.0.1", () => console.log("listening on http://127.0.0.1:" + server.address().port));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await once(createInterface({ input: child.stdout }), "line");
  const url = /listening on (\S+)/.exec(line)[1];
  try {
    await sustained(url, 60_000, 3000);
    prepare();
    const latency = await paced(url, 600, DURATION_MS);
    console.log(`bare node:http (for comparison): at 600/s, p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms`);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
}

await measureStore("SQLite", {}, 2000);
await measureBare();

// The tests' helper starts a server from the machine's binaries; durable (fsync on) as in use.
const { findPostgresBin, startPostgres, stopPostgres } = await import("../test/setup/postgres-server.mjs");
if (findPostgresBin() === undefined) {
  console.log("PostgreSQL: not measured (no PostgreSQL binaries on this machine)");
} else {
  const server = await startPostgres({ durable: true });
  try {
    await measureStore("PostgreSQL", { MSGC_STORE: server.url }, 1000);
  } finally {
    stopPostgres(server);
  }
}
