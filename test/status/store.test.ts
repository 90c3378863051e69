import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { collectStatus } from "../../src/runner/status/collect.js";
import { status } from "../../src/runner/status/index.js";
import type { RecipientRow } from "../../src/runner/status/index.js";
import type { EventRecord, SendRecord, Store } from "../../src/store/store.js";
import { postgresForTests } from "../setup/postgres.js";
import { trackingToken } from "../../src/compiler/tracking-token.js";
import { postgresBackend, sqliteBackend } from "../store/backends.js";
import type { Backend } from "../store/backends.js";
import { API_KEY, makeItem, numberOf, sendToSandbox, tempDir, useSandbox } from "../send/helpers.js";

const postgres = await postgresForTests();
const backends: Backend[] = [sqliteBackend(), ...(postgres.available ? [postgresBackend(postgres.postgres)] : [])];
if (!postgres.available) test.skip(`status from the store: postgres: ${postgres.reason}`, () => {});
const startSandbox = useSandbox(API_KEY);
const NOW = Date.parse("2026-12-01T12:00:00.000Z");
const key = (i: number): string => `spring/${numberOf(i)}`;

let deliveries = 0;
function event(over: Partial<EventRecord>): EventRecord {
  deliveries++;
  return {
    topic: "delivery_status",
    deliveryId: `d${deliveries}`,
    messageId: null,
    status: null,
    errorCode: null,
    errorMessage: null,
    customer: null,
    campaign: "spring",
    token: null,
    occurredAt: null,
    receivedAt: "2026-12-01T10:00:00.000Z",
    raw: `{"n":${deliveries}}`,
    ...over,
  };
}

function sendOf(i: number, over: Partial<SendRecord> = {}): SendRecord {
  return { key: key(i), campaign: "spring", channel: "whatsapp", form: "template", attempt: 1, messageId: `m${i}`, token: `t${i}`, at: "2026-12-01T09:00:00.000Z", ...over };
}

/** Eight recipients, one of each situation, in a real SQLite store. */
async function fillCampaign(store: Store): Promise<void> {
  await store.recordSends([
    sendOf(0),
    sendOf(1),
    sendOf(2),
    sendOf(3),
    sendOf(4),
    // Two attempts both accepted: a duplicate for sure.
    sendOf(5, { messageId: "m5a", token: "t5a" }),
    sendOf(5, { attempt: 2, messageId: "m5b", token: "t5b" }),
    sendOf(6, { channel: "sms", form: "session" }),
    // The answer was lost; nothing heard since.
    sendOf(7, { messageId: null }),
    // The answer was lost; a webhook under its token says it went out.
    sendOf(8, { messageId: null }),
    // Another campaign's send is not counted.
    { ...sendOf(9), campaign: "autumn" },
  ]);
  const at = (minute: number): string => new Date(Date.parse("2026-12-01T09:00:00.000Z") + minute * 60_000).toISOString();
  for (const e of [
    event({ messageId: "m0", status: "sent", occurredAt: at(0) }),
    event({ messageId: "m0", status: "delivered", occurredAt: at(1) }),
    event({ messageId: "m0", status: "read", occurredAt: at(20) }),
    // Out of order: delivered before sent.
    event({ messageId: "m1", status: "delivered", occurredAt: at(2) }),
    event({ messageId: "m1", status: "sent", occurredAt: at(0) }),
    event({ messageId: "m2", status: "sent", occurredAt: at(0) }),
    event({ messageId: "m3", status: "delivery_failed", errorCode: "ERROR_CODE_MESSAGE_PHONE_NUMBER_INVALID", errorMessage: "invalid", occurredAt: at(1) }),
    event({ messageId: "m5b", status: "delivered", occurredAt: at(3) }),
    event({ token: "t6", status: "delivered", occurredAt: at(3) }),
    event({ token: "t8", status: "read", occurredAt: at(40) }),
  ]) {
    expect(await store.commitEvent(e)).toBe("stored");
  }
}

describe.each(backends.map((b) => [b.name, b] as const))("status from a real %s store filled through recordSends and commitEvent", (_name, backend) => {
  const opened: Store[] = [];
  async function freshStore(): Promise<Store> {
    const store = await (await backend.fresh()).open();
    opened.push(store);
    return store;
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  afterAll(() => backend.cleanup());

  test("the funnel, the failures with their meaning, duplicates and unknowns, over time", async () => {
    const store = await freshStore();
    await fillCampaign(store);
    const rows: RecipientRow[] = [];
    const model = await collectStatus({ campaign: "spring", journals: [], store, sources: { journals: [], store: store.location }, now: NOW, onRecipient: (r) => void rows.push(r) });
    expect(model.funnel).toEqual({ planned: 9, sent: 8, delivered: 5, read: 2, failed: 1, noStatus: 1, unknown: 1, notFinished: 0, suppressed: 0 });
    expect(model.failures).toEqual([{ code: "ERROR_CODE_MESSAGE_PHONE_NUMBER_INVALID", meaning: "the recipient number is invalid", stage: "delivery", count: 1 }]);
    expect(model.sms).toEqual({ recipients: 1, segments: null });
    expect(model.possiblyDuplicated).toBe(1);
    expect(model.resolution).toEqual({ source: "events", unknown: { sent: 1, uncertain: 1 }, possiblyDuplicated: { duplicated: 1, notDuplicated: 0, uncertain: 0 } });
    expect(rows.map((r) => [r.key, r.state, r.attempts, r.messageId, r.errorCode, r.resolution])).toEqual([
      [key(0), "read", 1, "m0", null, null],
      [key(1), "delivered", 1, "m1", null, null],
      [key(2), "sent", 1, "m2", null, null],
      [key(3), "delivery-failed", 1, "m3", "ERROR_CODE_MESSAGE_PHONE_NUMBER_INVALID", null],
      [key(4), "no-status", 1, "m4", null, null],
      [key(5), "delivered", 2, "m5b", null, "duplicated"],
      [key(6), "delivered", 1, "m6", null, null],
      [key(7), "unknown", 1, null, null, "uncertain"],
      [key(8), "read", 1, null, null, "sent"],
    ]);
    expect(rows[0]).toMatchObject({ sentAt: "2026-12-01T09:00:00.000Z", deliveredAt: "2026-12-01T09:01:00.000Z", readAt: "2026-12-01T09:20:00.000Z" });
    // A read whose delivered webhook never came was delivered when it was read.
    expect(rows[8]).toMatchObject({ deliveredAt: "2026-12-01T09:40:00.000Z", readAt: "2026-12-01T09:40:00.000Z" });
    // 40 minutes of events: 1-minute buckets would be 41, within the 60 shown.
    expect(model.timeline?.bucket).toBe("1 minute");
    const points = model.timeline!.points.filter((p) => p.delivered + p.read > 0);
    expect(points).toEqual([
      { at: "2026-12-01T09:01:00.000Z", delivered: 1, read: 0 },
      { at: "2026-12-01T09:02:00.000Z", delivered: 1, read: 0 },
      { at: "2026-12-01T09:03:00.000Z", delivered: 2, read: 0 },
      { at: "2026-12-01T09:20:00.000Z", delivered: 0, read: 1 },
      { at: "2026-12-01T09:40:00.000Z", delivered: 1, read: 1 },
    ]);
    expect(model.timeline!.points).toHaveLength(40);
  });

  test.each([
    ["a year ahead", "2027-12-01T09:05:00.000Z"],
    ["decades behind the send (the chart is not stretched to 1971)", "1971-01-01T00:00:00.000Z"],
  ])("a webhook's clock %s is counted, not plotted", async (_when, occurredAt) => {
    const store = await freshStore();
    await store.recordSends([sendOf(0), sendOf(1)]);
    await store.commitEvent(event({ messageId: "m0", status: "delivered", occurredAt: "2026-12-01T09:05:00.000Z" }));
    await store.commitEvent(event({ messageId: "m1", status: "delivered", occurredAt }));
    const model = await collectStatus({ campaign: "spring", journals: [], store, sources: { journals: [], store: null }, now: NOW });
    expect(model.funnel.delivered).toBe(2);
    expect(model.timeline).toEqual({ bucket: "1 minute", bucketMs: 60_000, points: [{ at: "2026-12-01T09:05:00.000Z", delivered: 1, read: 0 }] });
  });

  test("joined with the journal of a real send: the store's statuses, the journal's failures", async () => {
    const box = await startSandbox();
    const folder = tempDir();
    const journal = join(folder, "journal", "spring.ndjson");
    await sendToSandbox(box, [makeItem(0), makeItem(1), makeItem(4, { window: "session", template: false })], { journal, maxFailures: { kind: "count", count: 100 } });
    // What a send with a store records: the accepted messages (read back from the journal here).
    const accepted = readFileSync(journal, "utf8").split("\n").filter((l) => l.includes('"result":"sent"')).map((l) => JSON.parse(l) as { key: string; messageId: string; form: "template" | "session" });
    const store = await freshStore();
    await store.recordSends(accepted.map((o) => ({ key: o.key, campaign: "spring", channel: "whatsapp", form: o.form, attempt: 1, messageId: o.messageId, token: null, at: new Date(NOW - 60_000).toISOString() })));
    await store.commitEvent(event({ messageId: accepted.find((o) => o.key === `spring/${numberOf(0)}`)!.messageId, status: "read", occurredAt: new Date(NOW - 30_000).toISOString() }));
    const model = await status({ campaign: "spring", root: folder, outDir: folder, store, showNumbers: false, now: NOW });
    expect(model.funnel).toEqual({ planned: 3, sent: 2, delivered: 1, read: 1, failed: 1, noStatus: 1, unknown: 0, notFinished: 0, suppressed: 0 });
    expect(model.failures).toEqual([
      { code: "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION", meaning: "the customer never wrote: send a template first", stage: "send", count: 1 },
    ]);
    expect(model.sources).toEqual({ journals: ["journal/spring.ndjson"], store: store.location });
  });

  test("an unknown attempt is resolved as sent by a webhook under its msgc token, with no recorded send", async () => {
    const box = await startSandbox();
    const folder = tempDir();
    const journal = join(folder, "journal", "spring.ndjson");
    await sendToSandbox(box, [makeItem(0), makeItem(1)], { journal });
    // A later run was killed with its requests in flight: two intents, no outcomes, nothing recorded.
    appendFileSync(journal, `${JSON.stringify({ type: "intent", key: key(5), form: "template", attempt: 1 })}\n${JSON.stringify({ type: "intent", key: key(6), form: "template", attempt: 1 })}\n`);
    const header = JSON.parse(readFileSync(journal, "utf8").split("\n")[0]!) as { startedAt: string };
    const store = await freshStore();
    // Connectly's webhook for key 5's message echoes the token; key 6 has none.
    await store.commitEvent(event({ messageId: "late-5", status: "delivered", token: trackingToken({ campaign: "spring", startedAt: header.startedAt }, key(5), "template", 1) }));
    const rows: RecipientRow[] = [];
    const model = await collectStatus({ campaign: "spring", journals: [journal], store, sources: { journals: [], store: store.location }, now: NOW, onRecipient: (r) => void rows.push(r) });
    expect(model.resolution).toEqual({ source: "events", unknown: { sent: 1, uncertain: 1 }, possiblyDuplicated: { duplicated: 0, notDuplicated: 0, uncertain: 0 } });
    expect(rows.filter((r) => r.unknown).map((r) => [r.key, r.resolution]).sort()).toEqual([
      [key(5), "sent"],
      [key(6), "uncertain"],
    ]);
  });

  test("codes from webhook bodies: past 200 distinct ones the rest are one row", async () => {
    const store = await freshStore();
    const count = 205;
    await store.recordSends(Array.from({ length: count }, (_, i) => sendOf(i)));
    for (let i = 0; i < count; i++) {
      await store.commitEvent(event({ messageId: `m${i}`, status: "delivery_failed", errorCode: `CODE_${String(i).padStart(3, "0")}`, occurredAt: "2026-12-01T09:01:00.000Z" }));
    }
    const model = await collectStatus({ campaign: "spring", journals: [], store, sources: { journals: [], store: null }, now: NOW });
    expect(model.funnel.failed).toBe(count);
    expect(model.failures).toHaveLength(201);
    expect(model.failures[0]).toEqual({ code: "(other codes)", meaning: "codes past the first 200", stage: "delivery", count: 5 });
    expect(model.failures.reduce((sum, f) => sum + f.count, 0)).toBe(count);
  });

  test("an unknown campaign: no journal and no sends in the store is one line", async () => {
    const store = await freshStore();
    await fillCampaign(store);
    const folder = tempDir();
    await expect(status({ campaign: "winter", root: folder, outDir: folder, store, showNumbers: false, now: NOW })).rejects.toThrow(
      `msgc status: no campaign "winter" was sent: no journal at journal/winter.ndjson, and the store ${store.location} has no sends of it`,
    );
  });

  test("journaled successes the store has no send row for (a kill dropped the batch): counted by their events, found by token or message id", async () => {
    const store = await freshStore();
    const folder = tempDir();
    const journal = join(folder, "spring.ndjson");
    const startedAt = "2026-12-01T08:59:00.000Z";
    const header = { type: "header", version: 2, campaign: "spring", planHash: "sha256:x", startedAt, shard: null, resumed: false, origin: "http://127.0.0.1", businessId: "biz-1" };
    const intent = (i: number, attempt = 1): object => ({ type: "intent", key: key(i), form: "template", attempt });
    const outcome = (i: number, result: string, messageId: string | null, attempt = 1): object => ({ type: "outcome", key: key(i), form: "template", attempt, result, status: result === "sent" ? 200 : 503, messageId, errorCode: result === "sent" ? null : "HTTP_503", ambiguous: result !== "sent" });
    const lines = [
      header,
      // 0: recorded, read.
      intent(0), outcome(0, "sent", "m0"),
      // 1: dropped; its events carry its token.
      intent(1), outcome(1, "sent", "m1"),
      // 2: dropped; its event came without a token, by message id.
      intent(2), outcome(2, "sent", "m2"),
      // 3: a 503 recorded, then a success dropped: its events are by message id and token.
      intent(3), outcome(3, "retry", null), intent(3, 2), outcome(3, "sent", "m3", 2),
      // 4: dropped, no events yet.
      intent(4), outcome(4, "sent", "m4"),
    ];
    writeFileSync(journal, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    const token = (i: number, attempt = 1): string => trackingToken({ campaign: "spring", startedAt }, key(i), "template", attempt);
    await store.recordSends([sendOf(0, { token: token(0) }), sendOf(3, { messageId: null, token: token(3) })]);
    for (const e of [
      event({ messageId: "m0", token: token(0), status: "read", occurredAt: "2026-12-01T09:05:00.000Z" }),
      event({ messageId: "m1", token: token(1), status: "sent", occurredAt: "2026-12-01T09:01:00.000Z" }),
      event({ messageId: "m1", token: token(1), status: "delivered", occurredAt: "2026-12-01T09:02:00.000Z" }),
      // Another message's id under 1's token: the token says whose it is, as the store joins.
      event({ messageId: "m4", token: token(1), status: "read", occurredAt: "2026-12-01T09:03:00.000Z" }),
      event({ messageId: "m2", status: "delivery_failed", errorCode: "ERROR_CODE_MESSAGE_PHONE_NUMBER_INVALID", errorMessage: "invalid", occurredAt: "2026-12-01T09:04:00.000Z" }),
      event({ messageId: "m3", token: token(3, 2), status: "read", occurredAt: "2026-12-01T09:06:00.000Z" }),
    ]) {
      expect(await store.commitEvent(e)).toBe("stored");
    }
    const rows: RecipientRow[] = [];
    const model = await collectStatus({ campaign: "spring", journals: [journal], store, sources: { journals: [], store: store.location }, now: NOW, onRecipient: (r) => void rows.push(r) });
    expect(rows.map((r) => [r.key, r.state, r.attempts, r.messageId, r.errorCode, r.channel, r.sentAt])).toEqual([
      [key(0), "read", 1, "m0", null, "whatsapp", "2026-12-01T09:00:00.000Z"],
      [key(3), "read", 2, "m3", null, null, "2026-12-01T09:06:00.000Z"],
      [key(1), "read", 1, "m1", null, null, "2026-12-01T09:01:00.000Z"],
      [key(2), "delivery-failed", 1, "m2", "ERROR_CODE_MESSAGE_PHONE_NUMBER_INVALID", null, "2026-12-01T09:04:00.000Z"],
      [key(4), "no-status", 1, "m4", null, null, null],
    ]);
    expect(model.funnel).toEqual({ planned: 5, sent: 5, delivered: 3, read: 3, failed: 1, noStatus: 1, unknown: 0, notFinished: 0, suppressed: 0 });
  });
});
