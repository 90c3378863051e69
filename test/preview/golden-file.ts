import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** Golden fixtures live under test/fixtures. */
export const FIXTURES_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/**
 * Compares `actual` with the golden file `FIXTURES_ROOT/<path>` exactly. `UPDATE_GOLDEN=1`
 * rewrites the file first (review the git diff before committing).
 */
export function expectGolden(path: string, actual: string): void {
  const file = join(FIXTURES_ROOT, path);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  if (!existsSync(file)) throw new Error(`missing golden file ${file}; run with UPDATE_GOLDEN=1`);
  expect(actual).toBe(readFileSync(file, "utf8"));
}
