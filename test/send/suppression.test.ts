import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSummary } from "../../src/runner/send/format.js";
import { parseJournalEntry } from "../../src/runner/send/journal.js";
import { API_KEY, countByRecipient, makeItem, makeItems, numberOf, sendToSandbox, tempDir, useSandbox } from "./helpers.js";

const start = useSandbox(API_KEY);

const NOW = Date.parse("2026-11-30T12:00:00Z");

function suppressed(...indexes: number[]): Map<string, { reason: string }> {
  return new Map(indexes.map((i) => [numberOf(i), { reason: i % 2 === 0 ? "keyword" : "manual" }]));
}

function reportOf(path: string): { recipients: Array<Record<string, unknown>>; summary: Record<string, unknown> } {
  return JSON.parse(readFileSync(path, "utf8")) as { recipients: Array<Record<string, unknown>>; summary: Record<string, unknown> };
}

describe("send: suppressed recipients", () => {
  it("are never requested, and are counted in the summary, the report and the text", async () => {
    const box = await start();
    const report = join(tempDir(), "report.json");
    const summary = await sendToSandbox(box, makeItems(5), { facts: { suppressed: suppressed(1, 2) }, report, showNumbers: false });
    expect(summary).toMatchObject({ sent: 3, failed: 0, suppressed: 2, total: 5, requests: 3 });
    expect([...countByRecipient(box).keys()].sort()).toEqual([numberOf(0), numberOf(3), numberOf(4)]);
    const rows = reportOf(report).recipients.filter((r) => r["status"] === "suppressed");
    expect(rows).toEqual([
      {
        key: "spring/+1604•••0001",
        form: null,
        status: "suppressed",
        fallback: false,
        messageId: null,
        errorCode: null,
        errorMessage: null,
        httpStatus: null,
        attempts: 0,
        ambiguousAttempts: 0,
        possiblyDuplicated: false,
        suppression: "manual",
      },
      expect.objectContaining({ key: "spring/+1604•••0002", status: "suppressed", suppression: "keyword" }),
    ]);
    expect(formatSummary(summary)).toContain("\n  suppressed  2  opted out (the suppression list); not requested\n");
  });

  it("suppression: ignore sends to them", async () => {
    const box = await start();
    const summary = await sendToSandbox(box, makeItems(3), { facts: { suppressed: suppressed(1), ignoreSuppression: true } });
    expect(summary).toMatchObject({ sent: 3, suppressed: 0 });
    expect(countByRecipient(box).get(numberOf(1))).toBe(1);
  });

  it("a dry run says how many would be skipped", async () => {
    const box = await start();
    const summary = await sendToSandbox(box, makeItems(4), { facts: { suppressed: suppressed(0, 3) }, dryRun: true, showNumbers: false });
    expect(summary).toMatchObject({ suppressed: 2, forms: { session: 0, template: 2 } });
    expect(box.stats().requests).toBe(0);
    expect(formatSummary(summary)).toBe(
      `Dry run: spring -> ${new URL(box.url).host}, nothing sent\n` +
        "  would send  2  (0 session, 2 template)\n" +
        "  suppressed  2  opted out (the suppression list); not requested\n",
    );
  });

  it("the confirmation counts only what will be requested", async () => {
    const box = await start();
    let count = -1;
    await sendToSandbox(box, makeItems(4), {
      facts: { suppressed: suppressed(2) },
      confirm: async (info) => {
        count = info.count;
        return false;
      },
    });
    expect(count).toBe(3);
  });

  it("the journal settles them: a resume counts them the same and does not send them, even once unsuppressed", async () => {
    const box = await start();
    const journal = join(tempDir(), "spring.ndjson");
    const items = makeItems(3);
    const first = await sendToSandbox(box, items, { journal, facts: { suppressed: suppressed(1) } });
    expect(first).toMatchObject({ sent: 2, suppressed: 1 });
    const lines = readFileSync(journal, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l["type"] === "suppressed")).toEqual([{ type: "suppressed", key: `spring/${numberOf(1)}`, reason: "manual" }]);
    // Unsuppressed meanwhile: the journal's word stands.
    const resumed = await sendToSandbox(box, items, { journal, resume: true, facts: { suppressed: new Map() } });
    expect(resumed).toMatchObject({ sent: 0, skipped: 2, suppressed: 1 });
    // Not written twice.
    expect(readFileSync(journal, "utf8").match(/"type":"suppressed"/g)).toHaveLength(1);
    // With suppression ignored, the journal's entry settles nothing.
    const ignored = await sendToSandbox(box, items, { journal, resume: true, facts: { ignoreSuppression: true } });
    expect(ignored).toMatchObject({ sent: 1, skipped: 2, suppressed: 0 });
    expect(countByRecipient(box).get(numberOf(1))).toBe(1);
  });

  it("a number suppressed between runs is skipped by the resume", async () => {
    const box = await start();
    const journal = join(tempDir(), "spring.ndjson");
    const items = makeItems(2);
    // Stopped before anything went out: the journal has its header only.
    const first = await sendToSandbox(box, items, { journal, signal: AbortSignal.abort() });
    expect(first).toMatchObject({ sent: 0, notAttempted: 2 });
    const resumed = await sendToSandbox(box, items, { journal, resume: true, facts: { suppressed: suppressed(0) } });
    expect(resumed).toMatchObject({ sent: 1, suppressed: 1 });
    expect([...countByRecipient(box).keys()]).toEqual([numberOf(1)]);
  });

  it("a recipient suppressed after attempts that may have been accepted is still listed as possibly duplicated", async () => {
    const box = await start({ acceptThenFail: true });
    const journal = join(tempDir(), "spring.ndjson");
    const items = makeItems(1);
    const first = await sendToSandbox(box, items, { journal, maxAttempts: 2 });
    expect(first).toMatchObject({ failed: 1, possiblyDuplicated: 1 });
    const resumed = await sendToSandbox(box, items, { journal, resume: true, facts: { suppressed: suppressed(0) } });
    expect(resumed).toMatchObject({ suppressed: 1, possiblyDuplicated: 1, possiblyDuplicatedEarlier: 1, requests: 0 });
  });

  it("an opted-out answer suppresses the number through onOptedOut", async () => {
    const box = await start({ optedOut: [numberOf(1)] });
    const added: string[] = [];
    const summary = await sendToSandbox(box, makeItems(3), { facts: { onOptedOut: async (n) => void added.push(n) } });
    expect(summary).toMatchObject({ sent: 2, failed: 1, optedOut: 1, failedByCode: { ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT: 1 } });
    expect(added).toEqual([numberOf(1)]);
    expect(formatSummary(summary)).toContain("\n  opted out   1  answered ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT; now on the suppression list\n");
  });

  it("a store that cannot take the opted-out number is said, and the run goes on", async () => {
    const box = await start({ optedOut: [numberOf(0)] });
    const summary = await sendToSandbox(box, makeItems(2), {
      facts: {
        onOptedOut: async () => {
          throw new Error("SQLITE_FULL");
        },
      },
    });
    expect(summary).toMatchObject({ sent: 1, failed: 1, optedOut: 0, suppressionError: "the suppression list could not take an opted-out number: SQLITE_FULL" });
  });
});

describe("send: the 24-hour window from the store's inbound", () => {
  it("window auto with no column: a recent inbound sends the session form", async () => {
    const box = await start({ now: () => NOW, inbound: [{ from: numberOf(0), at: NOW - 3600_000 }] });
    const inbound = new Map([[numberOf(0), new Date(NOW - 3600_000).toISOString()]]);
    const summary = await sendToSandbox(box, [makeItem(0), makeItem(1)], { now: () => NOW, facts: { inbound } });
    expect(summary).toMatchObject({ sent: 2, fallbacks: 0 });
    const endpoints = new Map(box.messages().map((m) => [(m.body as { number?: string; recipient?: { id: string } }).number ?? (m.body as { recipient: { id: string } }).recipient.id, m.endpoint]));
    expect(endpoints.get(numberOf(0))).toBe("messages");
    expect(endpoints.get(numberOf(1))).toBe("whatsapp_templated_messages");
  });

  it("the later of the column and the store wins", async () => {
    const box = await start({ now: () => NOW });
    const recent = new Date(NOW - 3600_000).toISOString();
    const old = new Date(NOW - 48 * 3600_000).toISOString();
    // A stale column, a recent store time: session. A recent column, a stale store time: session.
    const items = [makeItem(0, { lastInboundAt: old }), makeItem(1, { lastInboundAt: recent })];
    const inbound = new Map([
      [numberOf(0), recent],
      [numberOf(1), old],
    ]);
    const summary = await sendToSandbox(box, items, { now: () => NOW, dryRun: true, facts: { inbound } });
    expect(summary.forms).toEqual({ session: 2, template: 0 });
  });
});

describe("send: sharded and journal details", () => {
  it("shards together skip each suppressed recipient exactly once", async () => {
    const box = await start();
    const items = makeItems(20);
    const facts = { suppressed: suppressed(1, 5, 9, 13) };
    const summaries = [];
    for (const index of [1, 2, 3]) summaries.push(await sendToSandbox(box, items, { shard: { index, count: 3 }, facts }));
    expect(summaries.reduce((n, s) => n + s.suppressed, 0)).toBe(4);
    expect(summaries.reduce((n, s) => n + s.sent, 0)).toBe(16);
    expect(box.messages()).toHaveLength(16);
  });

  it("a suppressed entry is read exactly, and a malformed one is damage", () => {
    expect(parseJournalEntry('{"type":"suppressed","key":"spring/+16045550001","reason":"keyword"}')).toEqual({ type: "suppressed", key: "spring/+16045550001", reason: "keyword" });
    for (const line of ['{"type":"suppressed","key":"","reason":"keyword"}', '{"type":"suppressed","key":"k"}', '{"type":"suppressed","key":"k","reason":1}', '{"type":"suppressed","key":"k","reason":"x","extra":1}']) {
      expect(parseJournalEntry(line)).toBe("a malformed suppressed entry");
    }
  });
});
