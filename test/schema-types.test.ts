/**
 * The types in src/types/ are generated from schema/ (`npm run gen`) and committed; this fails
 * when someone edits a schema without regenerating them.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

function check(projectRoot: string): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [join(projectRoot, "scripts", "gen-types.mjs"), "--check"], { encoding: "utf8", timeout: 60_000 });
  return { status: run.status, stderr: run.stderr };
}

test("schema types: the committed generated files are up to date", () => {
  const result = check(root);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
}, 60_000);

test("schema types: the check fails on a stale file", () => {
  const copy = mkdtempSync(join(tmpdir(), "msgc-gen-"));
  try {
    for (const folder of ["scripts", "schema", "src/types"]) cpSync(join(root, folder), join(copy, folder), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(copy, "node_modules"), "dir");
    const stale = join(copy, "src/types/config.generated.ts");
    writeFileSync(stale, readFileSync(stale, "utf8").replace("concurrency?: number;", "concurrency?: string;"));
    const result = check(copy);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("stale: src/types/config.generated.ts (run npm run gen)\n");
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}, 60_000);
