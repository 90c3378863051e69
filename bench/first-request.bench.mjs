#!/usr/bin/env node
// Time to the first request: `msgc send` of a 1,000,000-recipient campaign (realistic data from
// bench/data.mjs) with --yes, from the process's start to the first request the sandbox receives.
// With --yes the plan is not compiled first: the campaign's inputs are hashed (its identity for
// --resume), its first row is planned, the templates are checked (one list read), and the count
// runs beside the send.
// Figures are printed, never asserted.
//   node bench/first-request.bench.mjs [rows]      (needs `npm run build` first)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";
import { startSandbox } from "../dist/sandbox/index.js";
import { writeAudience, writeProject } from "./data.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli", "main.js");
const rows = Number(process.argv[2] ?? 1_000_000);
const work = mkdtempSync(join(tmpdir(), "msgc-first-request-"));
const KEY = "bench-first-request-key";

async function writeBenchProject() {
  writeProject(work, "realistic");
  writeFileSync(join(work, "msgc.config.yaml"), "businessId: biz-bench\n");
  await writeAudience(join(work, "specs", "audiences", "big.csv"), rows, { kind: "realistic" });
}

try {
  await writeBenchProject();
  // The templates the campaign may send, for the send's template preflight (one list read).
  const templates = ["en_US", "es", "pt_BR", "fr", "de"].map((language) => ({ name: "order_shipped_v2", language, body: 2 }));
  const box = await startSandbox({ apiKey: KEY, rate: 0, templates });
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
