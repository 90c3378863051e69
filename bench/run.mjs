#!/usr/bin/env node
// Runs every bench/*.bench.mjs in turn, each in its own process so that peak memory figures
// are its own. Figures are printed, never asserted. `npm run bench -- sandbox` runs only the
// files whose name contains "sandbox".
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = readdirSync(here).filter((f) => f.endsWith(".bench.mjs") && (!filter || f.includes(filter))).sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  const r = spawnSync(process.execPath, ["--expose-gc", join(here, f)], { stdio: "inherit" });
  if (r.status !== 0) { console.log(`!!! ${f} exited ${r.status}`); failed++; }
}
process.exit(failed ? 1 : 0);
