/**
 * The campaign's identity for --resume hashes the audience file's bytes: an audience that is
 * not a regular file inside the project (a FIFO, a missing file, a link out of the project)
 * hashes as such at once, never waits for a writer or reads outside the project.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProject } from "../../src/project/project.js";
import { campaignFingerprint } from "../../src/runner/fingerprint.js";
import { notesProject } from "../send/cli-helpers.js";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("campaignFingerprint on an audience that is not a regular file", () => {
  it("a FIFO, a missing file and a link out of the project each hash at once, all differently", async () => {
    const dir = notesProject(3);
    made.push(dir);
    const csv = join(dir, "specs/audiences/notes.csv");
    const hashOf = async (): Promise<string | undefined> => campaignFingerprint(await loadProject({ cwd: dir }), "notes");
    const regular = await hashOf();
    rmSync(csv);
    const missing = await hashOf();
    execFileSync("mkfifo", [csv]);
    // Opened without O_NONBLOCK, a FIFO with no writer never opens: the test would time out.
    const fifo = await hashOf();
    rmSync(csv);
    const elsewhere = mkdtempSync(join(tmpdir(), "msgc-fingerprint-"));
    made.push(elsewhere);
    writeFileSync(join(elsewhere, "notes.csv"), "phone,first_name\n");
    symlinkSync(join(elsewhere, "notes.csv"), csv);
    const outside = await hashOf();
    for (const hash of [regular, missing, fifo, outside]) expect(hash).toMatch(/^inputs:sha256:[0-9a-f]{64}$/);
    expect(new Set([regular, missing, fifo, outside]).size).toBe(4);
  }, 10_000);
});
