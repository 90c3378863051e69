/**
 * A SIGKILL drops the send recorder's last batch of store records (it writes every ~20 ms): the
 * journal has those recipients as sent, with their message ids. `msgc status` must count them by
 * what their webhooks say whether or not anyone resumes, and `send --resume` must record them.
 * The real CLI, the real sandbox posting signed webhooks to `msgc webhooks serve`, a real SQLite store.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { trackingToken } from "../../src/compiler/tracking-token.js";
import { openStore, storeTarget } from "../../src/store/open.js";
import type { SendRecord, Store } from "../../src/store/store.js";
import { ensureBuilt } from "../cli/helpers.js";
import { notesProject, runCli, startCli, useReceiver } from "./cli-helpers.js";
import { NOTE_TEMPLATE, useSandbox, whenRequests } from "./helpers.js";

const KEY = "ck_live_kill_record_3e2d1c0b";
const SECRET = "whsec-kill-record-9a8b7c";
const env = { CONNECTLY_API_KEY: KEY };
const sandboxWith = useSandbox(KEY, { templates: [NOTE_TEMPLATE] });
const serve = useReceiver(SECRET);
const RECIPIENTS = 300;

beforeAll(() => ensureBuilt());

async function openProjectStore(dir: string): Promise<Store> {
  return openStore(storeTarget({ root: dir, outDir: join(dir, ".msgc") }, {}, { create: true })!);
}

interface Success {
  form: "session" | "template";
  attempt: number;
  messageId: string;
}

/** The journal's successes by key, and the run (first header) whose tokens they carried. */
function journaledSuccesses(dir: string): { startedAt: string; successes: Map<string, Success> } {
  const lines = readFileSync(join(dir, ".msgc", "journal", "notes.ndjson"), "utf8").split("\n");
  // A line cut short by the kill is not an entry.
  const entries = lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as { type: string; key: string; result?: string; form: Success["form"]; attempt: number; messageId: string; startedAt: string }];
    } catch {
      return [];
    }
  });
  const successes = new Map<string, Success>();
  for (const e of entries) if (e.type === "outcome" && e.result === "sent") successes.set(e.key, { form: e.form, attempt: e.attempt, messageId: e.messageId });
  return { startedAt: entries[0]!.startedAt, successes };
}

async function recordedSends(store: Store): Promise<SendRecord[]> {
  const all: SendRecord[] = [];
  for await (const send of store.campaignSends("notes")) all.push(send);
  return all;
}

describe("kill -9 mid-send with a store", () => {
  it("status counts every journaled success by its webhooks without a resume; the resume records what the store lacks, once", async () => {
    // The recorder writes every ~20 ms: a kill that lands just after a write drops nothing, so
    // the kill is tried again (on a new project) until it dropped some.
    let killed: { dir: string; args: string[] } | undefined;
    let successes = new Map<string, Success>();
    let startedAt = "";
    let dropped: string[] = [];
    let accepted = new Map<string, string>();
    let store: Store | undefined;
    for (let trial = 0; trial < 8 && dropped.length === 0; trial++) {
      await store?.close();
      const dir = notesProject(RECIPIENTS);
      await (await openProjectStore(dir)).close();
      const url = await serve(dir);
      const box = await sandboxWith({ webhookUrl: url, webhookSecret: SECRET, deliverMs: 5, readRate: 0.5, seed: 11 + trial });
      const args = ["send", "notes", "--base-url", box.url, "--yes", "--rate", "200", "--concurrency", "8"];
      const run = startCli(args, { cwd: dir, env });
      const watch = whenRequests(box, RECIPIENTS / 2 + trial * 10, () => run.kill("SIGKILL"));
      expect((await run.result).signal).toBe("SIGKILL");
      await watch;
      // Every accepted message's webhooks are in the store.
      await box.drainWebhooks();
      ({ startedAt, successes } = journaledSuccesses(dir));
      store = await openProjectStore(dir);
      const recorded = await recordedSends(store);
      const before = new Set(recorded.map((s) => s.key));
      dropped = [...successes.keys()].filter((key) => !before.has(key));
      // Every message known accepted: the journal's successes, and the store's (its record may
      // be written before the journal's outcome, which the kill can then cut).
      accepted = new Map([...recorded.flatMap((r) => (r.messageId === null ? [] : [[r.key, r.messageId] as const])), ...[...successes].map(([key, s]) => [key, s.messageId] as const)]);
      killed = { dir, args };
    }
    // What this test is about: the kill kept some successes from the store.
    expect(dropped.length).toBeGreaterThan(0);
    const { dir, args } = killed!;
    // Each success's real state, from the events about its message.
    const expected = new Map<string, string>();
    for (const [key, messageId] of accepted) {
      const statuses = new Set((await store!.eventsByMessageIds([messageId])).map((e) => e.status));
      expected.set(key, statuses.has("read") ? "read" : statuses.has("delivered") ? "delivered" : statuses.has("sent") ? "sent" : "no-status");
    }
    await store!.close();
    expect([...expected.values()].filter((state) => state === "no-status")).toEqual([]);

    const status = await runCli(["status", "notes", "--format", "json", "--report", "status.ndjson", "--show-numbers"], { cwd: dir });
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(/^msgc status: wrote \d+ recipients to status\.ndjson\n$/);
    const funnel = (JSON.parse(status.stdout) as { funnel: Record<string, number> }).funnel;
    const read = [...expected.values()].filter((state) => state === "read").length;
    expect([funnel.delivered, funnel.read, funnel.noStatus]).toEqual([accepted.size, read, 0]);
    const rows = readFileSync(join(dir, "status.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { key: string; state: string; messageId: string | null; channel: string | null });
    const states = new Map(rows.filter((r) => accepted.has(r.key)).map((r) => [r.key, r.state]));
    expect(states).toEqual(expected);
    for (const key of dropped) expect(rows.find((r) => r.key === key)).toMatchObject({ messageId: successes.get(key)!.messageId, channel: null });

    const resumed = await runCli([...args, "--resume", "--format", "json"], { cwd: dir, env });
    expect(resumed.stderr).toBe("");
    const after = journaledSuccesses(dir).successes;
    expect(after.size).toBeGreaterThanOrEqual(successes.size);
    store = await openProjectStore(dir);
    try {
      const rowsAfter = await recordedSends(store);
      const byKey = new Map(rowsAfter.filter((r) => r.messageId !== null).map((r) => [r.key, r]));
      for (const [key, s] of after) {
        expect([key, byKey.get(key)]).toEqual([key, expect.objectContaining({ ...s, token: trackingToken({ campaign: "notes", startedAt }, key, s.form, s.attempt) })]);
      }
      // Once: a second resume finds nothing lacking and changes no row.
      const again = await runCli([...args, "--resume", "--format", "json"], { cwd: dir, env });
      expect(again.stderr).toBe("");
      expect(await recordedSends(store)).toEqual(rowsAfter);
    } finally {
      await store.close();
    }
  });
});
