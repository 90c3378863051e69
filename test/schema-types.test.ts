/**
 * The types in src/types/ and the standalone validators in src/project/ are generated from schema/
 * (`npm run gen`) and committed; this fails when someone edits a schema without regenerating them.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

const GENERATORS = ["gen-types.mjs", "gen-validators.mjs"] as const;

function check(projectRoot: string, generator: (typeof GENERATORS)[number]): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [join(projectRoot, "scripts", generator), "--check"], { encoding: "utf8", timeout: 60_000 });
  return { status: run.status, stderr: run.stderr };
}

/** A copy of what the generators read and write, with `edit` applied to one generated file. */
function staleCopy(file: string, edit: (text: string) => string): string {
  const copy = mkdtempSync(join(tmpdir(), "msgc-gen-"));
  for (const folder of ["scripts", "schema", "src/types"]) cpSync(join(root, folder), join(copy, folder), { recursive: true });
  cpSync(join(root, "src/project/schema-validators.generated.ts"), join(copy, "src/project/schema-validators.generated.ts"));
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"), "dir");
  const stale = join(copy, file);
  const text = readFileSync(stale, "utf8");
  const edited = edit(text);
  expect(edited).not.toBe(text);
  writeFileSync(stale, edited);
  return copy;
}

for (const generator of GENERATORS) {
  test(`${generator}: the committed generated files are up to date`, () => {
    const result = check(root, generator);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 60_000);
}

test("schema types: the check fails on a stale file", () => {
  const copy = staleCopy("src/types/config.generated.ts", (text) => text.replace("concurrency?: number;", "concurrency?: string;"));
  try {
    const result = check(copy, "gen-types.mjs");
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("stale: src/types/config.generated.ts (run npm run gen)\n");
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}, 60_000);

test("schema validators: the check fails when a schema changed after generating", () => {
  const copy = staleCopy("schema/config.schema.json", (text) => text.replace(/"minimum": 1/, '"minimum": 2'));
  try {
    const result = check(copy, "gen-validators.mjs");
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("stale: src/project/schema-validators.generated.ts (run npm run gen)\n");
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}, 60_000);
