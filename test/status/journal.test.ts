import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { status } from "../../src/runner/status/index.js";
import type { RecipientRow } from "../../src/runner/status/index.js";
import { collectStatus } from "../../src/runner/status/collect.js";
import { API_KEY, makeItem, numberOf, sendToSandbox, tempDir, useSandbox } from "../send/helpers.js";

const HOUR = 60 * 60 * 1000;
const sandboxWith = useSandbox(API_KEY);

describe("status from the journal of a real send to the sandbox", () => {
  test("funnel: sent, fallback, failed at send with its meaning, an unknown left by a kill", async () => {
    const now = Date.now();
    const box = await sandboxWith({ inbound: [{ from: numberOf(1), at: now - 1 * HOUR }] });
    const items = [
      makeItem(0, { lastInboundAt: null }),
      makeItem(1, { lastInboundAt: new Date(now - 1 * HOUR).toISOString() }),
      // The audience thinks 3 wrote an hour ago: session refused, template sent.
      makeItem(3, { lastInboundAt: new Date(now - 1 * HOUR).toISOString() }),
      // Session only: refused, nothing to fall back to.
      makeItem(4, { window: "session", template: false }),
    ];
    const folder = tempDir();
    const journal = join(folder, "journal", "spring.ndjson");
    const summary = await sendToSandbox(box, items, { journal, now: () => now, maxFailures: { kind: "count", count: 100 } });
    expect(summary).toMatchObject({ sent: 3, failed: 1, fallbacks: 1 });
    // A later run was killed with its request in flight: an intent and no outcome.
    appendFileSync(journal, `${JSON.stringify({ type: "intent", key: `spring/${numberOf(5)}`, form: "template", attempt: 1 })}\n`);

    const rows: RecipientRow[] = [];
    const model = await collectStatus({ campaign: "spring", journals: [journal], sources: { journals: ["journal/spring.ndjson"], store: null }, now, onRecipient: (r) => void rows.push(r) });
    expect(model.funnel).toEqual({ planned: 5, sent: 3, delivered: 0, read: 0, failed: 1, noStatus: 3, unknown: 1, notFinished: 0, suppressed: 0 });
    expect(model.failures).toEqual([
      { code: "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION", meaning: "the customer never wrote: send a template first", stage: "send", count: 1 },
    ]);
    expect(model.fallbacks).toBe(1);
    expect(model.resolution).toEqual({ source: "journal", unknown: { sent: 0, uncertain: 1 }, possiblyDuplicated: { duplicated: 0, notDuplicated: 0, uncertain: 0 } });
    expect(model.timeline).toBeNull();
    // The report detail (message ids) read back from the journal; in journal order, which
    // concurrent requests make any order: sorted here.
    rows.sort((a, b) => a.key.localeCompare(b.key));
    expect(rows.map((r) => [r.key, r.state, r.form, r.fallback, r.errorCode, r.messageId !== null, r.resolution])).toEqual([
      [`spring/${numberOf(0)}`, "no-status", "template", false, null, true, null],
      [`spring/${numberOf(1)}`, "no-status", "session", false, null, true, null],
      [`spring/${numberOf(3)}`, "no-status", "template", true, null, true, null],
      [`spring/${numberOf(4)}`, "failed", "session", false, "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION", false, null],
      [`spring/${numberOf(5)}`, "unknown", "template", false, null, false, "uncertain"],
    ]);
  });

  test("every shard layout's journal is read, each recipient counted once", async () => {
    const box = await sandboxWith();
    const folder = join(tempDir(), "journal");
    const items = [0, 1, 2, 3].map((i) => makeItem(i));
    await sendToSandbox(box, items, { journal: join(folder, "spring.shard-1-of-2.ndjson"), shard: { index: 1, count: 2 } });
    await sendToSandbox(box, items, { journal: join(folder, "spring.shard-2-of-2.ndjson"), shard: { index: 2, count: 2 } });
    // An unsharded resume of the same campaign later: every key is already sent, none twice.
    await sendToSandbox(box, items, { journal: join(folder, "spring.ndjson"), resume: true });
    const model = await status({ campaign: "spring", root: tempDir(), outDir: join(folder, ".."), showNumbers: false, now: Date.now() });
    expect(model.funnel).toMatchObject({ planned: 4, sent: 4, noStatus: 4 });
    expect(model.sources.journals.map((p) => p.split("/").pop())).toEqual(["spring.ndjson", "spring.shard-1-of-2.ndjson", "spring.shard-2-of-2.ndjson"]);
    expect(box.messages()).toHaveLength(4);
  });

  test("a recipient a run skipped for the suppression list is counted suppressed, not unknown", async () => {
    const box = await sandboxWith();
    const journal = join(tempDir(), "journal", "spring.ndjson");
    const items = [0, 1, 2].map((i) => makeItem(i));
    const summary = await sendToSandbox(box, items, { journal, facts: { suppressed: new Map([[numberOf(1), { reason: "keyword" }]]) } });
    expect(summary).toMatchObject({ sent: 2, suppressed: 1 });
    const rows: RecipientRow[] = [];
    const model = await collectStatus({ campaign: "spring", journals: [journal], sources: { journals: ["journal/spring.ndjson"], store: null }, now: Date.now(), onRecipient: (r) => void rows.push(r) });
    expect(model.funnel).toEqual({ planned: 3, sent: 2, delivered: 0, read: 0, failed: 0, noStatus: 2, unknown: 0, notFinished: 0, suppressed: 1 });
    expect(rows.filter((r) => r.state === "suppressed").map((r) => r.key)).toEqual([`spring/${numberOf(1)}`]);
  });

  test("a damaged journal: one line saying where, nothing counted", async () => {
    const folder = tempDir();
    const journal = join(folder, "journal", "spring.ndjson");
    const box = await sandboxWith();
    await sendToSandbox(box, [makeItem(0), makeItem(1)], { journal });
    const lines = readFileSync(journal, "utf8").split("\n");
    lines[2] = "{not json";
    writeFileSync(journal, lines.join("\n"));
    await expect(status({ campaign: "spring", root: folder, outDir: folder, showNumbers: false, now: Date.now() })).rejects.toThrow(
      /^the journal .*spring\.ndjson is damaged at line 3 \(/,
    );
  });
});
