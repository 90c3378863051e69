#!/usr/bin/env node
// Time to the first request: `msgc send` of a 1,000,000-recipient campaign with --yes, from the
// process's start to the first request the sandbox receives. Before anything is sent the whole
// plan is compiled once (its hash guards --resume against a changed campaign, its count and its
// diagnostics stop a broken audience before any message goes out), on worker threads.
// Figures are printed, never asserted.
//   node bench/first-request.bench.mjs [rows]      (needs `npm run build` first)
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";
import { startSandbox } from "../dist/sandbox/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli", "main.js");
const rows = Number(process.argv[2] ?? 1_000_000);
const work = mkdtempSync(join(tmpdir(), "msgc-first-request-"));
const KEY = "bench-first-request-key";

async function writeProject() {
  for (const dir of ["messages", "campaigns", "audiences"]) mkdirSync(join(work, "specs", dir), { recursive: true });
  writeFileSync(join(work, "msgc.config.yaml"), "businessId: biz-bench\n");
  writeFileSync(
    join(work, "specs", "messages", "shipped.yaml"),
    `kind: Message
name: shipped
vars:
  first_name: { type: string, maxLength: 40 }
  order_id: { type: string, pattern: "^[0-9]{5,}$" }
samples:
  ana: { first_name: Ana, order_id: "12345" }
template:
  name: order_shipped_v2
  language: en_US
  body: ["{{first_name}}", "{{order_id}}"]
`,
  );
  writeFileSync(join(work, "specs", "campaigns", "big.yaml"), "kind: Campaign\nname: big\nmessage: shipped\naudience:\n  file: ../audiences/big.csv\n");
  const out = createWriteStream(join(work, "specs", "audiences", "big.csv"));
  out.write("phone,first_name,order_id\n");
  let chunk = "";
  for (let i = 0; i < rows; i++) {
    const digits = String(2_000_000 + i);
    chunk += `+1 604 ${digits.slice(0, 3)} ${digits.slice(3)},Name${i % 1000},${100000 + i}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
}

try {
  await writeProject();
  const box = await startSandbox({ apiKey: KEY, rate: 0 });
  try {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, "send", "big", "--base-url", box.url, "--yes", "--rate", "200", "--quiet"], {
      cwd: work,
      env: { PATH: process.env.PATH, CONNECTLY_API_KEY: KEY },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const exited = once(child, "exit");
    const first = await new Promise((resolve) => {
      const poll = setInterval(() => {
        if (box.stats().requests > 0) {
          clearInterval(poll);
          resolve(performance.now() - started);
        }
      }, 5);
      exited.then(() => {
        clearInterval(poll);
        resolve(undefined);
      });
    });
    child.kill("SIGKILL");
    await exited;
    if (first === undefined) throw new Error("msgc send exited before its first request");
    console.log(`time to first request, msgc send of ${rows.toLocaleString("en-US")} recipients (--yes): ${(first / 1000).toFixed(2)} s (target < 3 s)`);
  } finally {
    await box.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
