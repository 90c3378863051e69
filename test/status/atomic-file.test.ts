/** src/runner/atomic-file.ts in this process: what a killed run left under this pid's temporary name. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { AtomicFile } from "../../src/runner/atomic-file.js";

describe("AtomicFile: the temporary beside the target", () => {
  test("a temporary a killed run with the same pid left (a container's every run) is replaced, not a refusal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "msgc-atomic-"));
    const target = join(dir, "s.html");
    writeFileSync(join(dir, `.s.html.${process.pid}.tmp`), "half a page");
    await AtomicFile.write(target, "whole page\n", 0o644);
    expect(readFileSync(target, "utf8")).toBe("whole page\n");
    expect(readdirSync(dir)).toEqual(["s.html"]);
  });

  test("a second write to the same target in this process is refused (EBUSY); the first is not disturbed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "msgc-atomic-"));
    const target = join(dir, "r.ndjson");
    const first = AtomicFile.open(target, 0o644);
    first.stream.write("first\n");
    expect(() => AtomicFile.open(target, 0o644)).toThrow(expect.objectContaining({ code: "EBUSY" }));
    await first.commit();
    expect(readFileSync(target, "utf8")).toBe("first\n");
    // Its name is free again once committed.
    await AtomicFile.write(target, "second\n", 0o644);
    expect(readFileSync(target, "utf8")).toBe("second\n");
    expect(readdirSync(dir)).toEqual(["r.ndjson"]);
  });
});
