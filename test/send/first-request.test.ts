/**
 * A send with --yes starts without compiling the whole plan first (issue 14, item 5): the
 * campaign's identity for --resume is a hash of its inputs, what must hold before anything is
 * sent is checked on the first row, and the count runs beside the send.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadProject } from "../../src/project/project.js";
import { campaignFingerprint } from "../../src/runner/fingerprint.js";
import { formatProgress } from "../../src/runner/send/format.js";
import { ensureBuilt } from "../cli/helpers.js";
import { notesProject, runCli } from "./cli-helpers.js";
import { countByRecipient, NOTE_TEMPLATE, useSandbox } from "./helpers.js";

const KEY = "ck_live_first_request_0a1b2c3d";
const sandboxWith = useSandbox(KEY, { templates: [NOTE_TEMPLATE] });
const env = { CONNECTLY_API_KEY: KEY };

beforeAll(() => ensureBuilt());

function journalHeader(dir: string): { planHash: string } {
  return JSON.parse(readFileSync(join(dir, ".msgc/journal/notes.ndjson"), "utf8").split("\n")[0]!) as { planHash: string };
}

describe("the campaign's identity is a hash of its inputs", () => {
  it("the same inputs hash the same; the audience's bytes, the message and the campaign count, comments do not", async () => {
    const dir = notesProject(5);
    const hashOf = async (): Promise<string> => (await campaignFingerprint(await loadProject({ cwd: dir }), "notes"))!;
    const first = await hashOf();
    expect(first).toMatch(/^inputs:sha256:[0-9a-f]{64}$/);
    expect(await hashOf()).toBe(first);
    const campaign = join(dir, "specs/campaigns/notes.yaml");
    writeFileSync(campaign, `# a comment\n${readFileSync(campaign, "utf8")}`);
    expect(await hashOf()).toBe(first);
    const csv = join(dir, "specs/audiences/notes.csv");
    const audience = readFileSync(csv, "utf8");
    writeFileSync(csv, audience.replace("Name3", "Name4"));
    const changedRow = await hashOf();
    expect(changedRow).not.toBe(first);
    writeFileSync(csv, audience);
    expect(await hashOf()).toBe(first);
    const message = join(dir, "specs/messages/note.yaml");
    writeFileSync(message, readFileSync(message, "utf8").replace("shipped.", "has shipped."));
    expect(new Set([first, changedRow, await hashOf()]).size).toBe(3);
    expect(await campaignFingerprint(await loadProject({ cwd: dir }), "note")).toBeUndefined();
  });
});

describe("msgc send --yes starts without counting first", () => {
  it("the journal holds the inputs' hash; a resume of the same inputs goes on, of changed ones is refused", async () => {
    const box = await sandboxWith();
    const dir = notesProject(30);
    const sent = await runCli(["send", "notes", "--base-url", box.url, "--yes", "--format", "json"], { cwd: dir, env });
    expect(sent.code).toBe(0);
    const summary = (JSON.parse(sent.stdout) as { summary: { total: number; sent: number; planHash: string } }).summary;
    // Counted by the run itself: every recipient of the plan.
    expect(summary).toMatchObject({ total: 30, sent: 30 });
    const fingerprint = await campaignFingerprint(await loadProject({ cwd: dir }), "notes");
    expect([summary.planHash, journalHeader(dir).planHash]).toEqual([fingerprint, fingerprint]);

    const again = await runCli(["send", "notes", "--base-url", box.url, "--yes", "--resume", "--format", "json"], { cwd: dir, env });
    expect((JSON.parse(again.stdout) as { summary: unknown }).summary).toMatchObject({ skipped: 30, sent: 0 });

    const csv = join(dir, "specs/audiences/notes.csv");
    writeFileSync(csv, readFileSync(csv, "utf8").replace("Name7,", "Name7b,"));
    const changed = await runCli(["send", "notes", "--base-url", box.url, "--yes", "--resume"], { cwd: dir, env });
    expect(changed.code).toBe(64);
    expect(changed.stderr.split("\n")[0]).toBe(
      `msgc send: the campaign "notes" changed since the journal ${join(dir, ".msgc/journal/notes.ndjson")} was started (its specs or audience compile differently)`,
    );
    expect(box.messages()).toHaveLength(30);
  });

  it("what stops a send before anything goes out still does: a missing column sends nothing and starts no journal", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    const csv = join(dir, "specs/audiences/notes.csv");
    writeFileSync(csv, readFileSync(csv, "utf8").replace("phone,", "telephone,"));
    const result = await runCli(["send", "notes", "--base-url", box.url, "--yes"], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("error audience-missing-column");
    expect(box.stats().requests).toBe(0);
    expect(existsSync(join(dir, ".msgc/journal/notes.ndjson"))).toBe(false);
  });

  it("an audience that breaks past its first row: the rows before it are sent and journaled, the break is reported, exit 1", async () => {
    const box = await sandboxWith();
    const dir = notesProject(5);
    const csv = join(dir, "specs/audiences/notes.csv");
    // An unclosed quote: nothing after it can be read.
    writeFileSync(csv, `${readFileSync(csv, "utf8")}+1 604 555 0100,"Never closed,10100,\n+1 604 555 0101,Name,10101,\n`);
    const result = await runCli(["send", "notes", "--base-url", box.url, "--yes", "--format", "json"], { cwd: dir, env });
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as { summary: { sent: number; total: number }; diagnostics: Array<{ code: string; severity: string }> };
    expect(document.summary).toMatchObject({ sent: 5, total: 5 });
    expect(document.diagnostics.map((d) => [d.code, d.severity])).toEqual([["audience-unreadable", "error"]]);
    expect(countByRecipient(box).size).toBe(5);
  });

  it("the progress line says the total is being counted until it is", () => {
    const snapshot = { total: 40, counting: true, sent: 38, failed: 2, fallbacks: 0, skipped: 0, suppressed: 0, unknown: 0, inFlight: 4, requests: 40, rateLimited: 0, serverErrors: 0, retries: 0, rate: 50, elapsedMs: 2000 };
    expect(formatProgress(snapshot, { bar: false })).toBe("send: 40/…  sent 38  failed 2  fallbacks 0  20.0/s  ETA ? (counting)");
    expect(formatProgress({ ...snapshot, counting: false, total: 400 }, { bar: false })).toBe("send: 40/400  sent 38  failed 2  fallbacks 0  20.0/s  ETA 18 s");
  });
});
