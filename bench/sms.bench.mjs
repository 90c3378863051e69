#!/usr/bin/env node
// SMS compile benchmark (issue 12): the same 1,000,000-row audience compiled by `msgc build
// --out -` (stdout to /dev/null) once with channel whatsapp and once with channel sms, runs
// alternated, in the same process run. Prints rows/s, CPU time and peak RSS of both and the SMS
// figure as a share of the WhatsApp one. Never asserts. Target: SMS >= 80% of WhatsApp, memory flat.
//   node bench/sms.bench.mjs [rows]      (needs `npm run build` first)
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { cli, runMeasured } from "./harness.mjs";

const rows = Number(process.argv[2] ?? 1_000_000);
const work = mkdtempSync(join(tmpdir(), "msgc-bench-sms-"));

const MESSAGE = `kind: Message
name: pickup
vars:
  first_name: { type: string, maxLength: 40 }
  store: { type: string }
samples:
  ana: { first_name: Ana, store: Main St }
session: { text: "Hi {{first_name}}! Your order is ready at {{store}}." }
template: { name: pickup_ready_v1, language: en_US, body: ["{{first_name}}", "{{store}}"] }
sms:
  text: "Hi {{first_name}}! Your order is ready for pickup at {{store}}. Reply STOP to opt out."
`;

/** One project per channel, each with its own copy of the audience. */
async function writeProject(channel) {
  const dir = join(work, channel);
  for (const sub of ["messages", "campaigns", "audiences"]) mkdirSync(join(dir, "specs", sub), { recursive: true });
  writeFileSync(join(dir, "specs", "messages", "pickup.yaml"), MESSAGE);
  writeFileSync(join(dir, "specs", "campaigns", "big.yaml"), `kind: Campaign\nname: big\nmessage: pickup\nchannel: ${channel}\naudience:\n  file: ../audiences/big.csv\n`);
  const out = createWriteStream(join(dir, "specs", "audiences", "big.csv"));
  out.write("phone,first_name,store\n");
  let chunk = "";
  for (let i = 0; i < rows; i++) {
    const digits = String(2_000_000 + (i % 8_000_000)).padStart(7, "0");
    // Mostly GSM-7; some UCS-2 names (fast path) and a few emoji (the reference library).
    const name = i % 100 === 0 ? "Zoë 🌷" : i % 10 === 0 ? "Łucja" : `Name${i % 1000}`;
    chunk += `+1 604 ${digits.slice(0, 3)} ${digits.slice(3)},${name},Store ${i % 50}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
  return dir;
}

function runBuild(cwd) {
  return runMeasured([cli, "build", "--out", "-", "--quiet"], { cwd });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  const started = Date.now();
  const dirs = { whatsapp: await writeProject("whatsapp"), sms: await writeProject("sms") };
  console.log(`generated ${rows.toLocaleString("en")} rows twice in ${((Date.now() - started) / 1000).toFixed(1)} s (${availableParallelism()} cores)`);
  const runs = { whatsapp: [], sms: [] };
  // Alternated, so that other work on the machine weighs on both alike.
  for (let i = 0; i < 3; i++) {
    for (const channel of ["whatsapp", "sms"]) {
      const r = await runBuild(dirs[channel]);
      if (r.code !== 0) console.log(`!!! ${channel} build exited ${r.code}:\n${r.stderr.slice(0, 2000)}`);
      runs[channel].push(r);
    }
  }
  const figures = {};
  for (const channel of ["whatsapp", "sms"]) {
    const seconds = median(runs[channel].map((r) => r.seconds));
    const cpu = median(runs[channel].map((r) => r.cpuSeconds));
    const rss = Math.max(...runs[channel].map((r) => r.maxRssMb));
    figures[channel] = { rowsPerSecond: rows / seconds, rowsPerCpuSecond: rows / cpu, rss };
    console.log(
      `${channel.padEnd(8)} ${Math.round(rows / seconds).toLocaleString("en")} rows/s (median of 3, ${seconds.toFixed(2)} s), ` +
        `${Math.round(rows / cpu).toLocaleString("en")} rows per CPU-second, peak RSS ${rss.toFixed(0)} MB`,
    );
  }
  const share = (a, b) => `${((a / b) * 100).toFixed(0)}%`;
  console.log(
    `SMS / WhatsApp: ${share(figures.sms.rowsPerSecond, figures.whatsapp.rowsPerSecond)} by wall time, ` +
      `${share(figures.sms.rowsPerCpuSecond, figures.whatsapp.rowsPerCpuSecond)} by CPU time (target >= 80%); ` +
      `peak RSS ${figures.sms.rss.toFixed(0)} MB vs ${figures.whatsapp.rss.toFixed(0)} MB`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
