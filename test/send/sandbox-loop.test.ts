/**
 * `msgc send --sandbox` closes the tracking loop in-process: the sandbox's signed webhooks reach
 * an in-process receiver and a temporary store, and the run ends with the campaign's funnel.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt } from "../cli/helpers.js";
import { notesProject, runCli } from "./cli-helpers.js";
import { tempDir } from "./helpers.js";

beforeAll(() => ensureBuilt(), 120_000);

describe("send --sandbox: the delivery funnel from the sandbox's webhooks", () => {
  it("ends with the funnel (every message delivered), leaves nothing behind and writes no project store", async () => {
    const tmp = tempDir();
    const dir = notesProject(5);
    const r = await runCli(["send", "notes", "--sandbox", "--yes"], { cwd: dir, env: { TMPDIR: tmp } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      [
        "  store       in-process (the sandbox's webhooks; forgotten when the send ends)",
        "",
        "Delivery (the sandbox's webhooks)",
        "Funnel (5 recipients)",
        "  planned       5",
        "  sent          5  100.0%",
        "  delivered     5  100.0%",
        "",
      ].join("\n"),
    );
    expect(r.stdout).toMatch(/\n {2}failed {8}0 {4}0\.0%\n {2}no status yet 0 {4}0\.0%\n/);
    expect(r.stdout).toContain("\nResolved from webhook events\n");
    expect(r.stdout).not.toContain("Delivery: msgc status");
    expect(readdirSync(tmp)).toEqual([]);
    expect(existsSync(join(dir, ".msgc", "msgc.db"))).toBe(false);
  });

  it("a project store's opt-outs are honoured by the rehearsal, and the project store records none of its sends", async () => {
    const tmp = tempDir();
    const dir = notesProject(3);
    const added = await runCli(["suppress", "add", "+1 604 555 0001"], { cwd: dir, env: { TMPDIR: tmp } });
    expect(added.code).toBe(0);
    const r = await runCli(["send", "notes", "--sandbox", "--yes"], { cwd: dir, env: { TMPDIR: tmp } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("\n  suppressed  1  opted out (the suppression list); not requested\n");
    expect(r.stdout).toContain("Funnel (3 recipients)\n  planned       3\n  sent          2   66.7%\n  delivered     2   66.7%\n");
    expect(r.stdout).toMatch(/\n {2}suppressed {4}1 {3}33\.3%\n/);
    // The project's store was read, never written: `msgc status` of the real campaign finds no send.
    const status = await runCli(["status", "notes"], { cwd: dir, env: { TMPDIR: tmp } });
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('no campaign "notes" was sent');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("a dry run starts no loop and prints no funnel", async () => {
    const dir = notesProject(2);
    const r = await runCli(["send", "notes", "--sandbox", "--dry-run"], { cwd: dir, env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("Funnel (");
  });
});
