#!/usr/bin/env node
// Template specs: (1) `msgc validate` on a project of 200 Template specs and 200 Messages that
// send them (target: under 500 ms wall on 2 cores), wall and CPU time of each run; (2) compileRow on 1,000,000 rows
// without and with the campaign's Template bodies (the per-row rendered-length check), same run,
// user CPU time (target: the check costs under 10%). Prints figures; never asserts.
//   node bench/templates.bench.mjs [rows]      (needs `npm run build` first)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { cli, root, runMeasured } from "./harness.mjs";

// ---------------------------------------------------------------- validate, 200 + 200
const SPECS = 200;
const dir = mkdtempSync(join(tmpdir(), "msgc-bench-templates-"));
try {
  mkdirSync(join(dir, "specs", "templates"), { recursive: true });
  mkdirSync(join(dir, "specs", "messages"), { recursive: true });
  writeFileSync(join(dir, "msgc.config.yaml"), "specs: specs\ntemplates: { require: true }\n");
  for (let i = 0; i < SPECS; i++) {
    writeFileSync(join(dir, "specs", "templates", `t${i}.yaml`), `kind: Template
name: order_update_${i}
category: utility
languages:
  en_US:
    header: { text: "Order {{1}}", example: "12345" }
    body:
      text: "Hi {{1}}, your order #{{2}} is on its way and arrives on {{3}}."
      examples: ["Ana", "12345", "Monday"]
    footer: Lucky Shrub
    buttons:
      - { type: url, text: Track it, url: "https://t.example/track/{{1}}", example: "https://t.example/track/12345" }
      - { type: quick_reply, text: Talk to us }
  es:
    header: { text: "Pedido {{1}}", example: "12345" }
    body:
      text: "Hola {{1}}, tu pedido #{{2}} va en camino y llega el {{3}}."
      examples: ["Ana", "12345", "lunes"]
    buttons:
      - { type: url, text: Seguir, url: "https://t.example/track/{{1}}", example: "https://t.example/track/12345" }
`);
    writeFileSync(join(dir, "specs", "messages", `m${i}.yaml`), `kind: Message
name: order-update-${i}
vars:
  first_name: { type: string }
  order_id: { type: string }
  day: { type: string }
samples:
  ana: { first_name: Ana, order_id: "12345", day: Monday }
  ben: { first_name: Ben, order_id: "67890", day: Tuesday }
template:
  name: order_update_${i}
  language: en_US
  header: { text: "{{order_id}}" }
  body: ["{{first_name}}", "{{order_id}}", "{{day}}"]
  buttons: ["{{order_id}}"]
locales:
  es:
    template: { language: es }
`);
  }
  // Wall time hides a busy machine (2 cores shared by many): the child's own CPU time (user +
  // system, all its threads) is printed beside it, for every run.
  const runs = [];
  for (let run = 0; run < 7; run++) {
    const r = await runMeasured([cli, "validate"], { cwd: dir });
    runs.push(r);
    if (r.code !== 0) console.log(`validate exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  }
  const median = (list) => list.slice().sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const range = (list) => `median ${median(list).toFixed(0)} ms (min ${Math.min(...list).toFixed(0)}, max ${Math.max(...list).toFixed(0)})`;
  console.log(
    `validate, ${SPECS} Templates + ${SPECS} Messages, ${runs.length} runs, load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores:\n` +
      `  wall ${range(runs.map((r) => r.seconds * 1000))}\n` +
      `  CPU, all threads ${range(runs.map((r) => r.cpuSeconds * 1000))}\n` +
      `  CPU, main thread ${range(runs.map((r) => r.mainCpuSeconds * 1000))} (about the wall time on an idle machine)`,
  );
  // The same work in this process, in CPU time: what a busy machine's wall time hides.
  const { loadProject } = await import(pathToFileURL(join(root, "dist", "project", "project.js")).href);
  const { compileProject } = await import(pathToFileURL(join(root, "dist", "runner", "plan.js")).href);
  const cpu = [];
  for (let run = 0; run < 5; run++) {
    const start = process.cpuUsage();
    const project = await loadProject({ cwd: dir });
    compileProject(project);
    const used = process.cpuUsage(start);
    cpu.push((used.user + used.system) / 1000);
  }
  cpu.sort((a, b) => a - b);
  console.log(`load + compile in-process (after start-up), same project: median ${cpu[2].toFixed(0)} ms CPU (min ${cpu[0].toFixed(0)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- compileRow with and without the check
const dist = (p) => pathToFileURL(join(root, "dist", "compiler", p)).href;
const { compileMessage } = await import(dist("message.js"));
const { compileCampaign, compileRow } = await import(dist("campaign.js"));
const { templateBodiesOf } = await import(dist("template-check.js"));

const rows = Number(process.argv[2] ?? 1_000_000);
const message = compileMessage(
  {
    kind: "Message",
    name: "shipped",
    vars: { first_name: { type: "string", maxLength: 40 }, order_id: { type: "string", pattern: "^[0-9]{5,}$" } },
    session: { text: "Hi {{first_name}}! Order #{{order_id}} is on its way." },
    template: { name: "order_shipped_v2", language: "en_US", body: ["{{first_name}}", "{{order_id}}"], buttons: ["{{order_id}}"] },
    window: "auto",
  },
  "specs/messages/shipped.yaml",
).message;
const templates = templateBodiesOf([
  { data: { kind: "Template", name: "order_shipped_v2", category: "utility", languages: { en_US: { body: { text: "Hi {{1}}, your order #{{2}} is on its way." } } } } },
]);
const campaignSpec = { kind: "Campaign", name: "big", message: "shipped", audience: { file: "../audiences/big.csv", lastInboundAt: "last_seen" } };
const plain = compileCampaign(campaignSpec, "specs/campaigns/big.yaml", message).campaign;
const checked = compileCampaign(campaignSpec, "specs/campaigns/big.yaml", message, { templates }).campaign;
const audience = Array.from({ length: 200_000 }, (_, i) => ({
  phone: `+447400${String(i).padStart(6, "0")}`,
  first_name: `Name${i % 1000}`,
  order_id: String(100000 + i),
  last_seen: i % 2 ? "2026-11-20T10:00:00Z" : "",
}));

function rate(campaign) {
  let sink = 0;
  const start = process.cpuUsage().user;
  for (let i = 0; i < rows; i++) sink += compileRow(campaign, audience[i % audience.length], i + 1, { fromStrings: true }).item ? 1 : 0;
  const seconds = (process.cpuUsage().user - start) / 1e6;
  if (sink !== rows) throw new Error(`only ${sink} of ${rows} rows planned`);
  return rows / seconds;
}
rate(plain); // warm-up
rate(checked);
// Alternate to spread the machine's noise over both.
const plainRates = [];
const checkedRates = [];
for (let i = 0; i < 3; i++) {
  plainRates.push(rate(plain));
  checkedRates.push(rate(checked));
}
const best = (list) => Math.max(...list);
const a = best(plainRates);
const b = best(checkedRates);
console.log(`compileRow, ${rows.toLocaleString("en-US")} rows, no Template spec:          ${Math.round(a).toLocaleString("en-US").padStart(11)} rows/s`);
console.log(`compileRow, ${rows.toLocaleString("en-US")} rows, rendered-body check:       ${Math.round(b).toLocaleString("en-US").padStart(11)} rows/s`);
console.log(`cross-check cost: ${(((a - b) / a) * 100).toFixed(1)}% of compile throughput (target: under 10%)`);
