#!/usr/bin/env node
// The sandbox's throughput on loopback, next to a bare node:http server answering {}, all driven
// by the same keep-alive undici Pool. Each server is measured twice: in the client's process
// (one core for both) and in a process of its own (closer to `msgc send` against `msgc sandbox`).
// Figures are printed, never asserted.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { Pool } from "undici";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const WARM_UP_MS = 500;
const IN_FLIGHT = 64;
const KEY = "bench";
const NUMBER = "+16045852331";
const SANDBOX_MODULE = new URL("../dist/sandbox/index.js", import.meta.url).href;
const SESSION_PATH = "/v1/businesses/bench/send/messages";
const TEMPLATE_PATH = "/v1/businesses/bench/send/whatsapp_templated_messages";
const SESSION_BODY = JSON.stringify({
  recipient: { id: NUMBER, channelType: "whatsapp" },
  message: { text: "Your order 12345 has shipped" },
});
const TEMPLATE_BODY = JSON.stringify({
  number: NUMBER,
  templateName: "order_shipped",
  language: "en",
  parameters: [{ name: "body_1", value: "Ana" }, { name: "body_2", value: "12345" }],
});

// Each server is started by the same source, run in this process or in a child; it prints its URL.
const BARE_SERVER = `
  const { createServer } = await import("node:http");
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end("{}"); });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  globalThis.benchClose = () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
  console.log("http://127.0.0.1:" + server.address().port);`;
const SANDBOX_SERVER = `
  const { startSandbox } = await import(${JSON.stringify(SANDBOX_MODULE)});
  const sandbox = await startSandbox({
    apiKey: ${JSON.stringify(KEY)}, rate: 0, inbound: [{ from: ${JSON.stringify(NUMBER)} }],
    templates: [{ name: "order_shipped", language: "en", body: 2 }],
  });
  globalThis.benchClose = () => sandbox.close();
  console.log(sandbox.url);`;

/** Keeps IN_FLIGHT requests going for `durationMs`; counts 200s and everything else. */
async function drive(url, path, body, durationMs = DURATION_MS) {
  const pool = new Pool(url, { connections: IN_FLIGHT, pipelining: 1 });
  const headers = { "content-type": "application/json", "x-api-key": KEY };
  let ok = 0;
  let other = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  async function worker() {
    while (performance.now() < deadline) {
      const response = await pool.request({ method: "POST", path, headers, body });
      await response.body.text();
      if (response.statusCode === 200) ok++;
      else other++;
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { perSecond: Math.round(ok / seconds), other };
}

async function inProcess(source) {
  const lines = [];
  const log = console.log;
  console.log = (line) => lines.push(line);
  try {
    await new Function(`return (async () => { ${source} })();`)();
  } finally {
    console.log = log;
  }
  return {
    url: lines[0],
    close: async () => {
      await globalThis.benchClose();
      // Drop the server (and the messages it holds) so that it does not weigh on the next line.
      delete globalThis.benchClose;
    },
  };
}

// A child also answers "cpu" on stdin with its CPU time, so that the server's own cost per
// request can be told apart from the client's, whatever else the machine is doing.
const CPU_PROBE = `
  const { createInterface } = await import("node:readline");
  createInterface({ input: process.stdin }).on("line", () => {
    const { user, system } = process.cpuUsage();
    console.log(user + system);
  });`;

async function inChild(source) {
  const child = spawn(process.execPath, ["--input-type=module", "-e", source + CPU_PROBE], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const url = (await lines.next()).value;
  return {
    url,
    cpuMicros: async () => {
      child.stdin.write("cpu\n");
      return Number((await lines.next()).value);
    },
    close: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

function report(label, { perSecond, other, cpuPerRequest }) {
  const cpu = cpuPerRequest === undefined ? "" : `  ${cpuPerRequest.toFixed(0).padStart(4)} µs server CPU/request (~${Math.round(1e6 / cpuPerRequest)} req/s per core)`;
  console.log(`${label.padEnd(56)} ${String(perSecond).padStart(7)} req/s${cpu}${other ? `  (${other} non-200!)` : ""}`);
}

/** Drives one server; for a child, also measures the server's CPU time per answered request. */
async function measure(server, path, body) {
  // Unmeasured warm-up: the JIT, the first connections and the heap's first growth.
  await drive(server.url, path, body, WARM_UP_MS);
  const cpuBefore = await server.cpuMicros?.();
  const started = performance.now();
  const result = await drive(server.url, path, body);
  if (cpuBefore === undefined) return result;
  const requests = (result.perSecond * (performance.now() - started)) / 1000 + result.other;
  return { ...result, cpuPerRequest: ((await server.cpuMicros()) - cpuBefore) / requests };
}

for (const [where, start] of [["own process", inChild], ["same process", inProcess]]) {
  const bare = await start(BARE_SERVER);
  report(`bare node:http answering {} (${where})`, await measure(bare, "/", SESSION_BODY));
  await bare.close();
  const sandbox = await start(SANDBOX_SERVER);
  report(`sandbox send/messages, session in window (${where})`, await measure(sandbox, SESSION_PATH, SESSION_BODY));
  report(`sandbox send/whatsapp_templated_messages (${where})`, await measure(sandbox, TEMPLATE_PATH, TEMPLATE_BODY));
  await sandbox.close();
}
console.log(`(${IN_FLIGHT} requests in flight over keep-alive, ${DURATION_MS / 1000} s per line, no rate limit, no latency)`);
