/**
 * Sends recorded in a real SQLite store, and unknown outcomes resolved from the events in it:
 * the built CLI against the real sandbox (killed mid-send for unknowns), and the library's send
 * for duplicates and a store that fails mid-send.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { trackingToken } from "../../src/compiler/tracking-token.js";
import type { Form } from "../../src/compiler/plan.js";
import { openStore, storeTarget } from "../../src/store/open.js";
import type { EventRecord, SendOutcome, Store } from "../../src/store/store.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { ensureBuilt } from "../cli/helpers.js";
import { parseGrace } from "../../src/cli/commands/send.js";
import { notesProject, runCli, startCli } from "./cli-helpers.js";
import { API_KEY, canMount, makeItems, NOTE_TEMPLATE, recipientOf, sendToSandbox, tempDir, useSandbox, useTmpfs, whenRequests } from "./helpers.js";

const KEY = "ck_live_tracking_7e6d5c4b3a";
const env = { CONNECTLY_API_KEY: KEY };
const sandboxWith = useSandbox(KEY, { templates: [NOTE_TEMPLATE] });
const librarySandbox = useSandbox(API_KEY);

beforeAll(() => ensureBuilt());

async function createStore(dir: string): Promise<Store> {
  return openStore(storeTarget({ root: dir, outDir: join(dir, ".msgc") }, {}, { create: true })!);
}

async function outcomes(store: Store, campaign: string): Promise<SendOutcome[]> {
  const all: SendOutcome[] = [];
  for await (const outcome of store.campaignOutcomes(campaign)) all.push(outcome);
  return all;
}

interface JournalLine {
  type: string;
  key?: string;
  form?: Form;
  attempt?: number;
  result?: string;
  startedAt?: string;
}

function journalLines(path: string): JournalLine[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as JournalLine);
}

let deliveries = 0;
/** A `sent` delivery_status event carrying this token, as the receiver stores one. */
function eventFor(token: string, messageId: string | null, campaign: string): EventRecord {
  deliveries++;
  const raw = JSON.stringify({ n: deliveries, token });
  return {
    topic: "delivery_status",
    deliveryId: `d${deliveries}-${token}`,
    messageId,
    status: "sent",
    errorCode: null,
    errorMessage: null,
    customer: null,
    campaign,
    token,
    occurredAt: "2026-12-01T10:00:01.000Z",
    receivedAt: "2026-12-01T10:00:02.000Z",
    raw,
  };
}

describe("msgc send with a store", () => {
  it("records every attempt with its message id and token in batches; one hint line to msgc status", async () => {
    const box = await sandboxWith();
    const dir = notesProject(40);
    (await createStore(dir)).close();
    const r = await runCli(["send", "notes", "--base-url", box.url, "--yes", "--show-numbers", "--insecure-http"], { cwd: dir, env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`\n  store       ${join(dir, ".msgc", "msgc.db")}\n`);
    expect(r.stdout.endsWith("\nDelivery: msgc status notes\n")).toBe(true);
    const store = await createStore(dir);
    try {
      const recorded = await outcomes(store, "notes");
      expect(recorded).toHaveLength(40);
      const byNumber = new Map(box.messages().map((m) => [recipientOf(m), m]));
      const journal = journalLines(join(dir, ".msgc", "journal", "notes.ndjson"));
      const startedAt = journal[0]!.startedAt!;
      for (const { send } of recorded) {
        const message = byNumber.get(send.key.slice("notes/".length))!;
        expect(send).toMatchObject({ campaign: "notes", channel: "whatsapp", form: "template", attempt: 1, messageId: message.id });
        expect(send.token).toBe(trackingToken({ campaign: "notes", startedAt }, send.key, "template", 1));
        expect((message.body as { callbackData: unknown }).callbackData).toEqual({ msgc: send.token });
      }
    } finally {
      await store.close();
    }
  });

  it("without a store: no store line, no hint", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    const r = await runCli(["send", "notes", "--base-url", box.url, "--yes", "--insecure-http"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("store");
    expect(r.stdout).not.toContain("msgc status");
  });

  it("track: false on the campaign: callbackData as written, the store records no token", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    const campaign = join(dir, "specs", "campaigns", "notes.yaml");
    writeFileSync(campaign, `${readFileSync(campaign, "utf8")}track: false\n`);
    (await createStore(dir)).close();
    const r = await runCli(["send", "notes", "--base-url", box.url, "--yes", "--insecure-http"], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(box.messages().map((m) => "callbackData" in (m.body as object))).toEqual([false, false, false]);
    const store = await createStore(dir);
    expect((await outcomes(store, "notes")).map((o) => o.send.token)).toEqual([null, null, null]);
    await store.close();
  });

  it("Ctrl-C mid-send: what was sent before the stop is all in the store", async () => {
    const box = await sandboxWith({ latencyMs: 20 });
    const dir = notesProject(100);
    (await createStore(dir)).close();
    const run = startCli(["send", "notes", "--base-url", box.url, "--yes", "--insecure-http", "--rate", "100", "--concurrency", "4", "--format", "json"], { cwd: dir, env });
    await whenRequests(box, 20, () => run.kill("SIGINT"));
    const stopped = await run.result;
    const { summary } = JSON.parse(stopped.stdout) as { summary: { sent: number; stopped: string; store: { missed: number } } };
    expect(summary.stopped).toBe("interrupted: what was in flight finished, the rest is left for --resume");
    expect(summary.store.missed).toBe(0);
    const store = await createStore(dir);
    const recorded = await outcomes(store, "notes");
    await store.close();
    expect(recorded.filter((o) => o.send.messageId !== null)).toHaveLength(summary.sent);
    expect(summary.sent).toBe(box.messages().length);
  });

  it("sharded and single-message sends are recorded too", async () => {
    const box = await sandboxWith();
    const dir = notesProject(20);
    (await createStore(dir)).close();
    const half = await runCli(["send", "notes", "--base-url", box.url, "--yes", "--insecure-http", "--shard", "1/2", "--format", "json"], { cwd: dir, env });
    const sent = (JSON.parse(half.stdout) as { summary: { sent: number } }).summary.sent;
    const one = await runCli(["send", "note", "--to", "+16045550199", "--var", "first_name=Zoë", "--var", "order_id=55555", "--base-url", box.url, "--yes", "--insecure-http"], {
      cwd: dir,
      env,
    });
    expect(one.code).toBe(0);
    expect(one.stdout.endsWith("\nDelivery: msgc status note\n")).toBe(true);
    const store = await createStore(dir);
    expect((await outcomes(store, "notes")).map((o) => o.send.key).sort()).toEqual(
      box
        .messages()
        .map((m) => `notes/${recipientOf(m)}`)
        .filter((k) => !k.endsWith("0199"))
        .sort(),
    );
    expect((await outcomes(store, "notes")).length).toBe(sent);
    const single = await outcomes(store, "note");
    await store.close();
    expect(single.map((o) => [o.send.form, o.send.attempt, o.send.messageId !== null])).toEqual([["template", 1, true]]);
  });

  it("--grace: a duration with its unit, or 0; anything else is a usage error before anything is sent", async () => {
    const dir = notesProject(2);
    const bad = await runCli(["send", "notes", "--dry-run", "--grace", "5"], { cwd: dir, env });
    expect(bad).toMatchObject({ code: 64, stdout: "" });
    expect(bad.stderr.split("\n")[0]).toBe('msgc send: --grace must be a duration such as 90s, 30m or 2h, got "5"');
    expect((await runCli(["send", "notes", "--dry-run", "--grace", "90s"], { cwd: dir, env })).code).toBe(0);
    const table: Array<[string, number | string]> = [
      ["0", 0],
      ["1500ms", 1500],
      ["90s", 90_000],
      ["30m", 1_800_000],
      ["2h", 7_200_000],
      ["168h", 604_800_000],
      ["169h", "is at most 168h"],
      ["5", "must be a duration"],
      ["1.5h", "must be a duration"],
      ["1d", "must be a duration"],
      ["", "must be a duration"],
    ];
    for (const [text, expected] of table) {
      if (typeof expected === "number") expect(parseGrace(text), text).toBe(expected);
      else expect(() => parseGrace(text), text).toThrow(expected);
    }
  });

  it("a killed send's unknown attempts with events are counted sent on --resume and never resent, even with --retry-unknown", async () => {
    // Every request hangs: the first four are in flight when the send is killed.
    let box: Sandbox = await startSandbox({ apiKey: KEY, rate: 0, templates: [NOTE_TEMPLATE], hangRate: 1 });
    const port = Number(new URL(box.url).port);
    const dir = notesProject(6);
    (await createStore(dir)).close();
    const args = ["send", "notes", "--base-url", box.url, "--yes", "--show-numbers", "--insecure-http", "--no-preflight", "--concurrency", "4", "--format", "json"];
    const run = startCli(args, { cwd: dir, env });
    await whenRequests(box, 4, () => run.kill("SIGKILL"));
    expect((await run.result).signal).toBe("SIGKILL");
    await box.close();

    const journal = journalLines(join(dir, ".msgc", "journal", "notes.ndjson"));
    const unknown = journal.filter((l) => l.type === "intent");
    expect(unknown).toHaveLength(4);
    const scope = { campaign: "notes", startedAt: journal[0]!.startedAt! };
    const store = await createStore(dir);
    // Webhooks came for three of the four: Connectly had accepted them.
    const resolved = unknown.slice(0, 3);
    for (const [i, intent] of resolved.entries()) {
      await store.commitEvent(eventFor(trackingToken(scope, intent.key!, intent.form!, intent.attempt!), `msg-${i}`, "notes"));
    }
    await store.close();

    box = await startSandbox({ apiKey: KEY, rate: 0, templates: [NOTE_TEMPLATE], port });
    try {
      const r = await runCli([...args, "--resume", "--retry-unknown"], { cwd: dir, env });
      expect(r.stderr).toBe("");
      const { summary } = JSON.parse(r.stdout) as { summary: { sent: number; unknown: number; resolvedSent: number; store: unknown } };
      expect(summary).toMatchObject({ sent: 3, unknown: 0, resolvedSent: 3, store: { location: join(dir, ".msgc", "msgc.db"), missed: 0 } });
      const resent = box.messages().map((m) => `notes/${recipientOf(m)}`);
      expect(resent).toHaveLength(3);
      for (const intent of resolved) expect(resent).not.toContain(intent.key);
      expect(resent).toContain(unknown[3]!.key);
      const text = await runCli(["send", "notes", "--base-url", box.url, "--yes", "--insecure-http", "--no-preflight", "--resume"], { cwd: dir, env });
      expect(text.stdout).toContain("\n  unknown     3 (3 resolved as sent from webhooks)\n");
      expect(text.stdout).toContain("\n  skipped     3  already sent (journal)\n");
      expect(box.messages()).toHaveLength(3);
    } finally {
      await box.close();
    }
    // The resolved attempts are in the store now, with the message ids their events gave.
    const after = await createStore(dir);
    const recorded = await outcomes(after, "notes");
    await after.close();
    expect(recorded.filter((o) => o.send.messageId?.startsWith("msg-")).map((o) => o.send.messageId).sort()).toEqual(["msg-0", "msg-1", "msg-2"]);
  });
});

describe("send: duplicates resolved from events, and a store that fails", () => {
  it("events on two attempts: duplicated; on one attempt only: not duplicated once the grace is over, else still uncertain", async () => {
    const box = await librarySandbox({ failRate: 0.5, seed: 3 });
    const dir = tempDir();
    const store = await createStore(dir);
    try {
      const items = makeItems(12);
      const journal = join(dir, "spring.ndjson");
      const first = await sendToSandbox(box, items, { journal, store, maxAttempts: 20, maxFailures: { kind: "count", count: 100 } });
      expect(first.failed).toBe(0);
      expect(first.possiblyDuplicated).toBeGreaterThanOrEqual(2);
      const lines = journalLines(journal);
      const scope = { campaign: "spring", startedAt: lines[0]!.startedAt! };
      const successes = lines.filter((l) => l.type === "outcome" && l.result === "sent" && l.attempt! >= 2);
      const [twice, once] = successes;
      // `twice`: its first (5xx) attempt was accepted after all; `once`: only its success has events.
      await store.commitEvent(eventFor(trackingToken(scope, twice!.key!, twice!.form!, 1), null, "spring"));
      await store.commitEvent(eventFor(trackingToken(scope, twice!.key!, twice!.form!, twice!.attempt!), "m-twice", "spring"));
      await store.commitEvent(eventFor(trackingToken(scope, once!.key!, once!.form!, once!.attempt!), "m-once", "spring"));

      const report = join(dir, "report.json");
      const waiting = await sendToSandbox(box, items, { journal, store, resume: true, report });
      expect(waiting.sent).toBe(0);
      expect(waiting).toMatchObject({ duplicated: 1, notDuplicated: 0 });
      const entries = (JSON.parse(readFileSync(report, "utf8")) as { recipients: Array<{ key: string; duplicates?: string }> }).recipients;
      expect(entries.find((e) => e.key === twice!.key)?.duplicates).toBe("duplicated");
      expect(entries.find((e) => e.key === once!.key)?.duplicates).toBe("uncertain");

      const over = await sendToSandbox(box, items, { journal, store, resume: true, graceMs: 0, report });
      expect(over).toMatchObject({ sent: 0, duplicated: 1, notDuplicated: first.possiblyDuplicated - 1 });
      const later = (JSON.parse(readFileSync(report, "utf8")) as { recipients: Array<{ key: string; duplicates?: string }> }).recipients;
      expect(later.find((e) => e.key === once!.key)?.duplicates).toBe("not-duplicated");
      expect(later.find((e) => e.key === twice!.key)?.duplicates).toBe("duplicated");

      // A message whose requests could not all carry the token: silence proves nothing.
      const untracked = await sendToSandbox(box, items, { journal, store, resume: true, graceMs: 0, everyRequestTracked: false });
      expect(untracked).toMatchObject({ duplicated: 1, notDuplicated: 0 });
    } finally {
      await store.close();
    }
  });

  it("a store that fails mid-send: one warning, the send completes, the summary counts what it missed", async () => {
    const box = await librarySandbox({ latencyMs: 2 });
    const dir = tempDir();
    const store = await createStore(dir);
    const warnings: string[] = [];
    // Closed under the running send: every batch after that fails.
    const closing = whenRequests(box, 10, () => void store.close());
    const summary = await sendToSandbox(box, makeItems(60), { store, concurrency: 4, onWarning: (line) => warnings.push(line) });
    await closing;
    expect(summary.sent).toBe(60);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^the store could not record sends \(.+\); the send goes on, the journal has them$/);
    expect(summary.store!.missed).toBeGreaterThan(0);
    expect(summary.store!.missed).toBeLessThanOrEqual(60);
    const reopened = await createStore(dir);
    const recorded = (await outcomes(reopened, "spring")).length;
    await reopened.close();
    expect(recorded + summary.store!.missed).toBe(60);
  });
});

describe.skipIf(!canMount)("a store whose disk fills up mid-send (tmpfs; skipped unless root on Linux)", () => {
  const mountTmpfs = useTmpfs();

  it("one warning line, every recipient sent, the summary says how many sends the store missed", async () => {
    const box = await sandboxWith({ latencyMs: 5 });
    const dir = notesProject(200);
    const mountPoint = mountTmpfs("2m");
    const path = join(mountPoint, "msgc.db");
    (await openStore({ kind: "sqlite", path, create: true })).close();
    const run = startCli(["send", "notes", "--base-url", box.url, "--yes", "--insecure-http", "--concurrency", "4"], { cwd: dir, env: { ...env, MSGC_STORE: path } });
    await whenRequests(box, 20, () => {
      try {
        writeFileSync(join(mountPoint, "filler"), Buffer.alloc(2 * 1024 * 1024));
      } catch {
        // Full: as intended.
      }
    });
    const result = await run.result;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("\n  sent        200\n");
    const warnings = result.stderr.split("\n").filter((l) => l !== "");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^msgc send: warning: the store could not record sends \(.*SQLITE_FULL.*\); the send goes on, the journal has them$/);
    const missed = Number(/\n {2}store {7}\S+ {2}missed (\d+) sends \(it failed; the journal has them\)\n/.exec(result.stdout)?.[1]);
    expect(missed).toBeGreaterThan(0);
    expect(missed).toBeLessThanOrEqual(200);
  });
});
