/**
 * readBoundedFile: the one reader of small files (specs, the config, a key file, --vars).
 * Regular files only, never past the bound whatever size the file claims.
 */
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readBoundedFile } from "../../src/project/confine.js";

describe("readBoundedFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "msgc-bounded-"));

  it("a regular file at the bound is read whole; one byte more is too large", () => {
    writeFileSync(join(dir, "ten"), "0123456789");
    expect(readBoundedFile(join(dir, "ten"), 10)).toEqual({ content: Buffer.from("0123456789") });
    expect(readBoundedFile(join(dir, "ten"), 9)).toEqual({ problem: "too-large", bytes: 10 });
  });

  it("a file that claims 0 bytes but has more (/proc) is read to its end, and never past the bound", () => {
    const read = readBoundedFile("/proc/self/status", 1024 * 1024);
    expect("content" in read && read.content.toString("utf8").startsWith("Name:")).toBe(true);
    expect(readBoundedFile("/proc/self/status", 16)).toEqual({ problem: "too-large", bytes: 17 });
  });

  it("a FIFO, a device and a folder are not read; a missing file says why", () => {
    execFileSync("mkfifo", [join(dir, "fifo")]);
    expect(readBoundedFile(join(dir, "fifo"), 100)).toEqual({ problem: "not-a-file" });
    expect(readBoundedFile("/dev/zero", 100)).toEqual({ problem: "not-a-file" });
    expect(readBoundedFile(dir, 100)).toEqual({ problem: "not-a-file" });
    expect(readBoundedFile(join(dir, "missing"), 100)).toEqual({ problem: "error", code: "ENOENT" });
  });
});
