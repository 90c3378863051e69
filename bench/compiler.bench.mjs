#!/usr/bin/env node
// Compiler micro-benchmark: the per-recipient work alone (no CSV, no I/O). compileRow on the
// demo-style message, JSON.stringify of its item versus the shape writer that build --out - uses,
// and phone validation through msgc's fast path versus libphonenumber-js (max metadata) directly. Rates use the process's user CPU time, so a
// busy machine skews them less than wall time would. Prints figures; never asserts.
//   node bench/compiler.bench.mjs [rows]      (needs `npm run build` first)
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => pathToFileURL(join(root, "dist", "compiler", p)).href;
if (!existsSync(join(root, "dist", "compiler", "campaign.js"))) {
  console.log("dist/compiler is missing: run `npm run build` first");
  process.exit(1);
}
const { compileMessage } = await import(dist("message.js"));
const { compileCampaign, compileRow } = await import(dist("campaign.js"));
const { normalizePhone } = await import(dist("phone.js"));
const { createShapeWriter } = await import(pathToFileURL(join(root, "dist", "runner", "shape-serializer.js")).href);

const rows = Number(process.argv[2] ?? 500_000);
const message = compileMessage(
  {
    kind: "Message",
    name: "shipped",
    vars: { first_name: { type: "string", maxLength: 40 }, order_id: { type: "string", pattern: "^[0-9]{5,}$" } },
    session: {
      text: "Hi {{first_name}}! Order #{{order_id}} is on its way.",
      buttons: [
        { id: "track", text: "Track" },
        { id: "help", text: "Help" },
      ],
    },
    template: { name: "order_shipped_v2", language: "en_US", body: ["{{first_name}}", "{{order_id}}"] },
    window: "auto",
  },
  "specs/messages/shipped.yaml",
).message;
const campaign = compileCampaign(
  { kind: "Campaign", name: "big", message: "shipped", audience: { file: "../audiences/big.csv", lastInboundAt: "last_seen" } },
  "specs/campaigns/big.yaml",
  message,
).campaign;

/** Distinct valid numbers in three countries and three spellings. */
function phoneFor(i) {
  const n = Math.floor(i / 3);
  if (i % 3 === 0) {
    const d = String(2_000_000 + (n % 8_000_000)).padStart(7, "0");
    return `+1 604 ${d.slice(0, 3)} ${d.slice(3)}`;
  }
  if (i % 3 === 1) return `+447400${String(n % 1_000_000).padStart(6, "0")}`;
  return `+49 1512 ${String(n % 10_000_000).padStart(7, "0")}`;
}
const audience = Array.from({ length: Math.min(rows, 200_000) }, (_, i) => ({
  phone: phoneFor(i),
  first_name: `Name${i % 1000}`,
  order_id: String(100000 + i),
  last_seen: i % 2 ? "2026-11-20T10:00:00Z" : "",
}));

function measure(label, fn) {
  fn(Math.min(rows, 50_000)); // warm-up
  const start = process.cpuUsage().user;
  fn(rows);
  const seconds = (process.cpuUsage().user - start) / 1e6;
  console.log(`${label.padEnd(44)} ${Math.round(rows / seconds).toLocaleString("en-US").padStart(11)} /s   ${((seconds * 1e6) / rows).toFixed(2)} µs each`);
}

let sink = 0;
measure("compileRow", (n) => {
  for (let i = 0; i < n; i++) sink += compileRow(campaign, audience[i % audience.length], i + 1, { fromStrings: true }).item ? 1 : 0;
});
measure("compileRow + JSON.stringify", (n) => {
  for (let i = 0; i < n; i++) sink += JSON.stringify(compileRow(campaign, audience[i % audience.length], i + 1, { fromStrings: true }).item).length;
});
const items = audience.map((row, i) => compileRow(campaign, row, i + 1, { fromStrings: true }).item);
const out = Buffer.allocUnsafe(1 << 20);
measure("JSON.stringify + UTF-8 encode (one item)", (n) => {
  let pos = 0;
  for (let i = 0; i < n; i++) {
    pos += out.write(JSON.stringify(items[i % items.length]), pos);
    if (pos > out.length - 4096) pos = 0;
  }
  sink += pos;
});
const writeJson = createShapeWriter();
measure("shape writer (the same bytes, build --out -)", (n) => {
  let pos = 0;
  for (let i = 0; i < n; i++) {
    pos = writeJson(items[i % items.length], out, pos, out.length);
    if (pos > out.length - 4096) pos = 0;
  }
  sink += pos;
});
measure("normalizePhone (msgc fast path)", (n) => {
  for (let i = 0; i < n; i++) sink += normalizePhone(audience[i % audience.length].phone).number ? 1 : 0;
});
const libraryRows = Math.min(rows, 100_000);
const start = process.cpuUsage().user;
for (let i = 0; i < libraryRows; i++) sink += parsePhoneNumberFromString(audience[i % audience.length].phone)?.isValid() ? 1 : 0;
const seconds = (process.cpuUsage().user - start) / 1e6;
console.log(`${"libphonenumber-js max parse + isValid".padEnd(44)} ${Math.round(libraryRows / seconds).toLocaleString("en-US").padStart(11)} /s   ${((seconds * 1e6) / libraryRows).toFixed(2)} µs each`);
if (sink === 0) console.log("(nothing compiled)");
