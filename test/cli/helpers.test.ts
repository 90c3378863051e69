/** The staleness check behind ensureBuilt: a lone `vitest run test/cli` must not test an old dist. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isStale } from "./helpers.js";

describe("isStale", () => {
  const dir = mkdtempSync(join(tmpdir(), "msgc-stale-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, "src");
  const built = join(dir, "dist", "main.js");
  mkdirSync(join(src, "deep", "er"), { recursive: true });
  mkdirSync(join(dir, "dist"));
  const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

  it("missing build: stale", () => {
    expect(isStale(src, built)).toBe(true);
  });

  it("every source older than the build: fresh; one newer source, however deep: stale", () => {
    writeFileSync(join(src, "a.ts"), "");
    writeFileSync(join(src, "deep", "er", "b.ts"), "");
    writeFileSync(built, "");
    at(join(src, "a.ts"), 1_000);
    at(join(src, "deep", "er", "b.ts"), 1_000);
    at(built, 2_000);
    expect(isStale(src, built)).toBe(false);
    at(join(src, "deep", "er", "b.ts"), 3_000);
    expect(isStale(src, built)).toBe(true);
  });
});
