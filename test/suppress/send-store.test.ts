import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { notesCampaign, notesProject, runCli } from "../send/cli-helpers.js";
import type { RunResult } from "../send/cli-helpers.js";
import { countByRecipient, NOTE_TEMPLATE, recipientOf, useSandbox } from "../send/helpers.js";
import { openSqliteStore } from "../../src/store/sqlite.js";

const KEY = "ck_live_5e4d3c2b1a09";
const sandboxWith = useSandbox(KEY, { templates: [NOTE_TEMPLATE] });

beforeAll(() => ensureBuilt());

/** `+1 604 555 NNNN` of the notes audience, as E.164. */
const n = (i: number): string => `+1604555${String(i).padStart(4, "0")}`;

function cli(args: string[], cwd: string): Promise<RunResult> {
  return runCli(args, { cwd, env: { CONNECTLY_API_KEY: KEY } });
}

/** A notes project whose store (`.msgc/msgc.db`) suppresses `suppressed` and saw `inbound` write. */
async function projectWithStore(count: number, opts: { suppressed?: number[]; inbound?: Array<[number, string]>; campaign?: string } = {}): Promise<string> {
  const dir = notesProject(count);
  if (opts.campaign !== undefined) writeFileSync(join(dir, "specs/campaigns/notes.yaml"), opts.campaign);
  const store = await openSqliteStore(join(dir, ".msgc", "msgc.db"), { create: true });
  try {
    await store.suppress((opts.suppressed ?? []).map((i) => ({ number: n(i), reason: "keyword", at: "2026-12-01T10:00:00.000Z", source: "STOP" })));
    for (const [i, at] of opts.inbound ?? []) {
      const event = { topic: "messages", deliveryId: `d${i}`, messageId: null, status: null, errorCode: null, errorMessage: null, customer: n(i), campaign: null, token: null, occurredAt: at, receivedAt: at, raw: "{}" };
      await store.commitEvent(event, { inbound: { number: n(i), at } });
    }
  } finally {
    await store.close();
  }
  return dir;
}

describe("msgc send with a store: suppressed numbers", () => {
  it("are never requested and are counted in the text summary, the JSON summary, the report and the journal", async () => {
    const box = await sandboxWith();
    const dir = await projectWithStore(5, { suppressed: [1, 3] });
    const result = await cli(["send", "notes", "--base-url", box.url, "--yes", "--report", "report.json", "--journal", "journal.ndjson"], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("\n  suppressed  2  opted out (the suppression list); not requested\n");
    expect([...countByRecipient(box).keys()].sort()).toEqual([n(0), n(2), n(4)]);
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as { recipients: Array<Record<string, unknown>>; summary: Record<string, unknown> };
    expect(report.recipients.filter((r) => r["status"] === "suppressed").map((r) => [r["key"], r["suppression"]])).toEqual([
      ["notes/+1604•••0001", "keyword"],
      ["notes/+1604•••0003", "keyword"],
    ]);
    expect(report.summary).toMatchObject({ sent: 3, suppressed: 2 });
    const journal = readFileSync(join(dir, "journal.ndjson"), "utf8");
    expect(journal.split("\n").filter((l) => l.includes('"suppressed"'))).toEqual([
      `{"type":"suppressed","key":"notes/${n(1)}","reason":"keyword"}`,
      `{"type":"suppressed","key":"notes/${n(3)}","reason":"keyword"}`,
    ]);
    // A resume counts them the same, as JSON.
    const resumed = await cli(["send", "notes", "--base-url", box.url, "--yes", "--resume", "--journal", "journal.ndjson", "--format", "json"], dir);
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as { summary: Record<string, unknown> }).summary).toMatchObject({ sent: 0, skipped: 3, suppressed: 2 });
    expect(box.messages()).toHaveLength(3);
  });

  it("--dry-run says how many would be skipped", async () => {
    const dir = await projectWithStore(4, { suppressed: [0] });
    const result = await cli(["send", "notes", "--dry-run", "--business-id", "b"], dir);
    expect(result).toMatchObject({
      code: 0,
      stdout: "Dry run: notes -> api.connectly.ai, nothing sent\n  would send  3  (0 session, 3 template)\n  suppressed  1  opted out (the suppression list); not requested\n",
    });
  });

  it("suppression: ignore sends to them", async () => {
    const box = await sandboxWith();
    const dir = await projectWithStore(3, { suppressed: [1], campaign: `${notesCampaign()}suppression: ignore\n` });
    const result = await cli(["send", "notes", "--base-url", box.url, "--yes", "--format", "json"], dir);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { summary: Record<string, unknown> }).summary).toMatchObject({ sent: 3, suppressed: 0 });
    expect(countByRecipient(box).get(n(1))).toBe(1);
  });

  it("--to a suppressed number sends nothing", async () => {
    const box = await sandboxWith();
    const dir = await projectWithStore(1, { suppressed: [7] });
    const result = await cli(["send", "note", "--to", n(7), "--var", "first_name=Ana", "--var", "order_id=10001", "--base-url", box.url, "--yes", "--quiet"], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(box.stats().requests).toBe(0);
  });

  it("an opted-out answer puts the number on the list (reason error), and the next send skips it", async () => {
    const box = await sandboxWith({ optedOut: [n(2)] });
    const dir = await projectWithStore(3);
    const first = await cli(["send", "notes", "--base-url", box.url, "--yes", "--quiet"], dir);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("\n    ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT  1\n");
    expect(first.stdout).toContain("\n  opted out   1  answered ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT; now on the suppression list\n");
    const list = await cli(["suppress", "list", "--format", "json", "--show-numbers"], dir);
    const listed = JSON.parse(list.stdout) as { count: number; suppressions: Array<Record<string, unknown>> };
    expect(listed).toMatchObject({ count: 1, suppressions: [{ number: n(2), reason: "error", source: "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT" }] });
    const dry = await cli(["send", "notes", "--dry-run", "--journal", "other.ndjson", "--base-url", box.url], dir);
    expect(dry.stdout).toContain("\n  suppressed  1  opted out (the suppression list); not requested\n");
  });

  it("without a store nothing is skipped, and none is created", async () => {
    const box = await sandboxWith();
    const dir = notesProject(2);
    const result = await cli(["send", "notes", "--base-url", box.url, "--yes", "--quiet"], dir);
    expect(result.code).toBe(0);
    expect(box.messages()).toHaveLength(2);
    expect(existsSync(join(dir, ".msgc", "msgc.db"))).toBe(false);
  });
});

describe("msgc preview with a store", () => {
  it("a store that cannot be read is a warning: the preview goes on from the column", async () => {
    const dir = notesProject(1);
    mkdirSync(join(dir, ".msgc"), { recursive: true });
    writeFileSync(join(dir, ".msgc", "msgc.db"), "not a database\n".repeat(20));
    const result = await cli(["preview", "specs/campaigns/notes.yaml", "--format", "json"], dir);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^msgc preview: The store .*msgc\.db cannot be (used|opened)[^\n]*; forms are chosen from the audience's lastInboundAt column only\n$/);
  });
});

describe("msgc send with a store: the 24-hour window", () => {
  const NO_COLUMN = `kind: Campaign
name: notes
message: note
campaignName: notes_2026
audience:
  file: ../audiences/notes.csv
rate: 200
`;

  it("window auto with no lastInboundAt column: a customer who wrote an hour ago gets the session form; preview and --dry-run agree", async () => {
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    const box = await sandboxWith({ inbound: [{ from: n(0), at: Date.now() - 3600_000 }] });
    const dir = await projectWithStore(2, { inbound: [[0, hourAgo]], campaign: NO_COLUMN });
    const dry = await cli(["send", "notes", "--dry-run", "--base-url", box.url], dir);
    expect(dry.stdout).toContain("\n  would send  2  (1 session, 1 template)\n");
    const preview = await cli(["preview", "specs/campaigns/notes.yaml", "--format", "json", "--show-numbers"], dir);
    const rendered = (JSON.parse(preview.stdout) as { messages: Array<{ key: string; form: string; lastInboundAt: string | null }> }).messages;
    expect(rendered.filter((m) => m.key.startsWith("notes/")).map((m) => [m.key, m.form, m.lastInboundAt])).toEqual([
      [`notes/${n(0)}`, "session", hourAgo],
      [`notes/${n(1)}`, "template", null],
    ]);
    const sent = await cli(["send", "notes", "--base-url", box.url, "--yes", "--quiet"], dir);
    expect(sent.code).toBe(0);
    expect(box.messages().map((m) => [recipientOf(m), m.endpoint]).sort()).toEqual([
      [n(0), "messages"],
      [n(1), "whatsapp_templated_messages"],
    ]);
  });
});
