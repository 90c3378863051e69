#!/usr/bin/env node
// The sandbox's own throughput on loopback, next to a bare node:http server answering {}, both
// driven by the same keep-alive undici Pool. Figures are printed, never asserted.
import { createServer } from "node:http";
import { once } from "node:events";
import { Pool } from "undici";
import { startSandbox } from "../dist/sandbox/index.js";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const IN_FLIGHT = 64;
const NUMBER = "+16045852331";
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

/** Keeps IN_FLIGHT requests going for DURATION_MS; counts 200s and everything else. */
async function drive(url, path, body) {
  const pool = new Pool(url, { connections: IN_FLIGHT, pipelining: 1 });
  const headers = { "content-type": "application/json", "x-api-key": "bench" };
  let ok = 0;
  let other = 0;
  const deadline = performance.now() + DURATION_MS;
  const started = performance.now();
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

function report(label, { perSecond, other }) {
  console.log(`${label.padEnd(44)} ${String(perSecond).padStart(7)} req/s${other ? `  (${other} non-200)` : ""}`);
}

const bare = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
bare.listen(0, "127.0.0.1");
await once(bare, "listening");
const bareUrl = `http://127.0.0.1:${bare.address().port}`;
report("bare node:http answering {}", await drive(bareUrl, "/", SESSION_BODY));
bare.close();

const sandbox = await startSandbox({
  apiKey: "bench",
  rate: 0,
  inbound: [{ from: NUMBER }],
  templates: [{ name: "order_shipped", language: "en", body: 2 }],
});
report("sandbox send/messages (session, in window)", await drive(sandbox.url, "/v1/businesses/bench/send/messages", SESSION_BODY));
report("sandbox send/whatsapp_templated_messages", await drive(sandbox.url, "/v1/businesses/bench/send/whatsapp_templated_messages", TEMPLATE_BODY));
console.log(`accepted messages held in memory: ${sandbox.stats().accepted}, rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB`);
await sandbox.close();
console.log(`(${IN_FLIGHT} requests in flight, ${DURATION_MS / 1000} s each, client and server in one process)`);
