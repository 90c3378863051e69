import { afterAll, afterEach, describe, expect, test } from "vitest";
import { InputError } from "../../src/errors.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import type { EventRecord, SendOutcome, SendRecord, Store, SuppressionRecord } from "../../src/store/store.js";
import { STORE_SCHEMA_VERSION } from "../../src/store/store.js";
import { postgresForTests } from "../setup/postgres.js";
import { postgresBackend, sqliteBackend } from "./backends.js";
import type { Backend } from "./backends.js";

const postgres = await postgresForTests();
const backends: Backend[] = [sqliteBackend(), ...(postgres.available ? [postgresBackend(postgres.postgres)] : [])];

if (!postgres.available) test.skip(`store contract: postgres: ${postgres.reason}`, () => {});

function event(deliveryId: string, over: Partial<EventRecord> = {}): EventRecord {
  return {
    topic: "delivery_status",
    deliveryId,
    messageId: null,
    status: null,
    errorCode: null,
    errorMessage: null,
    customer: "+15550000001",
    campaign: "spring",
    token: null,
    occurredAt: null,
    receivedAt: "2026-12-01T10:00:00.000Z",
    raw: `{"id":"${deliveryId}"}`,
    ...over,
  };
}

function send(key: string, over: Partial<SendRecord> = {}): SendRecord {
  return { key, campaign: "spring", channel: "whatsapp", form: "session", attempt: 1, messageId: `m-${key}`, token: `t-${key}`, at: "2026-12-01T09:00:00.000Z", ...over };
}

async function collect(outcomes: AsyncIterable<SendOutcome>): Promise<SendOutcome[]> {
  const all: SendOutcome[] = [];
  for await (const o of outcomes) all.push(o);
  return all;
}

describe.each(backends.map((b) => [b.name, b] as const))("store contract: %s", (_name, backend) => {
  const open: Store[] = [];
  async function store(): Promise<Store> {
    const s = await (await backend.fresh()).open();
    open.push(s);
    return s;
  }
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  afterAll(() => backend.cleanup());

  test("commitEvent: stored once, the same delivery again is a duplicate", async () => {
    const s = await store();
    const e = event("d1", { token: "tok1", messageId: "m1", status: "sent" });
    expect(await s.commitEvent(e)).toBe("stored");
    expect(await s.commitEvent({ ...e, receivedAt: "2026-12-01T10:05:00.000Z" })).toBe("duplicate");
    expect(await s.eventsByTokens(["tok1"])).toEqual([e]);
  });

  test("commitEvent: the same delivery ten times at once is stored once", async () => {
    const s = await store();
    const e = event("d-race", { topic: "messages", token: "tok-race" });
    const results = await Promise.all(Array.from({ length: 10 }, () => s.commitEvent(e, { inbound: { number: "+1", at: "2026-12-01T10:00:00.000Z" } })));
    expect(results.filter((r) => r === "stored")).toEqual(["stored"]);
    expect(await s.eventsByTokens(["tok-race"])).toEqual([e]);
    expect(await s.recentInbound("2026-01-01T00:00:00.000Z")).toEqual(new Map([["+1", "2026-12-01T10:00:00.000Z"]]));
  });

  test("commitEvent: a duplicate's effects are not applied again", async () => {
    const s = await store();
    const e = event("d1", { topic: "messages" });
    await s.commitEvent(e, { inbound: { number: "+15550000001", at: "2026-12-01T10:00:00.000Z" } });
    expect(await s.commitEvent(e, { inbound: { number: "+15550000001", at: "2026-12-01T11:00:00.000Z" }, suppress: stop("+15550000001") })).toBe("duplicate");
    expect(await s.recentInbound("2026-01-01T00:00:00.000Z")).toEqual(new Map([["+15550000001", "2026-12-01T10:00:00.000Z"]]));
    expect(await s.suppressions()).toEqual(new Map());
  });

  test("commitEvents: many in one transaction, each outcome in order, a delivery twice stored once", async () => {
    const s = await store();
    await s.commitEvent(event("d0"));
    const inbound = { number: "+15550000002", at: "2026-12-01T10:00:00.000Z" };
    const outcomes = await s.commitEvents([
      { event: event("d1", { messageId: "m1" }) },
      { event: event("d0", { messageId: "m0" }) },
      { event: event("d2", { messageId: "m2", topic: "messages" }), effects: { inbound, suppress: stop("+15550000002") } },
      { event: event("d1", { messageId: "m1" }) },
    ]);
    expect(outcomes).toEqual(["stored", "duplicate", "stored", "duplicate"]);
    expect((await s.eventsByMessageIds(["m1", "m2"])).map((e) => e.deliveryId)).toEqual(["d1", "d2"]);
    expect(await s.recentInbound("2026-01-01T00:00:00.000Z")).toEqual(new Map([["+15550000002", "2026-12-01T10:00:00.000Z"]]));
    expect([...(await s.suppressions()).keys()]).toEqual(["+15550000002"]);
    expect(await s.commitEvents([])).toEqual([]);
  });

  test("events by tokens and by message ids, in the order received", async () => {
    const s = await store();
    const later = event("d-later", { token: "a", messageId: "m1", receivedAt: "2026-12-01T10:00:02.000Z" });
    const earlier = event("d-earlier", { token: "b", messageId: "m2", receivedAt: "2026-12-01T10:00:01.000Z" });
    const other = event("d-other", { token: "c", messageId: "m3" });
    for (const e of [later, earlier, other]) await s.commitEvent(e);
    expect(await s.eventsByTokens(["a", "b", "a", "zzz"])).toEqual([earlier, later]);
    expect(await s.eventsByMessageIds(["m3", "m1"])).toEqual([other, later]);
    expect(await s.eventsByTokens([])).toEqual([]);
  });

  test("events by 1,200 tokens (more than one IN list)", async () => {
    const s = await store();
    const tokens = Array.from({ length: 1200 }, (_, i) => `tok${String(i).padStart(4, "0")}`);
    for (const token of tokens) await s.commitEvent(event(`d-${token}`, { token }));
    const found = await s.eventsByTokens(tokens);
    expect(found.map((e) => e.token)).toEqual(tokens);
  });

  test("event: a raw body, odd text and times are kept exactly", async () => {
    const s = await store();
    const e = event("d1", { token: "t", raw: "base64:/w==", errorMessage: "ünïcødé 😀 \u0000 nul", occurredAt: "2026-12-01T12:00:00+02:00" });
    await s.commitEvent(e);
    expect(await s.eventsByTokens(["t"])).toEqual([{ ...e, occurredAt: "2026-12-01T10:00:00.000Z" }]);
  });

  test("event: times in other shapes are kept as written", async () => {
    const s = await store();
    for (const [i, occurredAt] of ["1", "1764000000", "yesterday", "2026-12-01", "2026-12-01T10:00:00.000Z"].entries()) {
      await s.commitEvent(event(`t${i}`, { token: `t${i}`, occurredAt }));
      expect((await s.eventsByTokens([`t${i}`]))[0]?.occurredAt).toBe(occurredAt);
    }
  });

  test("outcome: delivered then sent is delivered, with each status's first time", async () => {
    const s = await store();
    await s.recordSends([send("+15550000001")]);
    await s.commitEvent(event("d1", { token: "t-+15550000001", status: "delivered", occurredAt: "2026-12-01T09:00:05.000Z" }));
    await s.commitEvent(event("d2", { token: "t-+15550000001", status: "sent", occurredAt: "2026-12-01T09:00:01.000Z" }));
    expect(await collect(s.campaignOutcomes("spring"))).toEqual([
      {
        send: send("+15550000001"),
        furthest: "delivered",
        failed: null,
        firstAt: { sent: "2026-12-01T09:00:01.000Z", delivered: "2026-12-01T09:00:05.000Z" },
      },
    ]);
  });

  test("outcome: read is furthest whatever came after it", async () => {
    const s = await store();
    await s.recordSends([send("k")]);
    await s.commitEvent(event("d1", { token: "t-k", status: "read" }));
    await s.commitEvent(event("d2", { token: "t-k", status: "sent", receivedAt: "2026-12-01T10:00:09.000Z" }));
    const [outcome] = await collect(s.campaignOutcomes("spring"));
    expect(outcome?.furthest).toBe("read");
    expect(outcome?.firstAt).toEqual({ read: "2026-12-01T10:00:00.000Z", sent: "2026-12-01T10:00:09.000Z" });
  });

  test("outcome: a failure stands apart (the first one), the furthest status stays", async () => {
    const s = await store();
    await s.recordSends([send("k")]);
    await s.commitEvent(event("d1", { token: "t-k", status: "sent", receivedAt: "2026-12-01T10:00:00.000Z" }));
    await s.commitEvent(event("d3", { token: "t-k", status: "delivery_failed", errorCode: "B", errorMessage: "second", receivedAt: "2026-12-01T10:00:03.000Z" }));
    await s.commitEvent(event("d2", { token: "t-k", status: "delivery_failed", errorCode: "A", errorMessage: "first", receivedAt: "2026-12-01T10:00:02.000Z" }));
    const [outcome] = await collect(s.campaignOutcomes("spring"));
    expect(outcome?.furthest).toBe("sent");
    expect(outcome?.failed).toEqual({ errorCode: "A", errorMessage: "first", at: "2026-12-01T10:00:02.000Z" });
    expect(outcome?.firstAt).toEqual({ sent: "2026-12-01T10:00:00.000Z", delivery_failed: "2026-12-01T10:00:02.000Z" });
  });

  test("outcome: joined by token, else by message id; never both ways", async () => {
    const s = await store();
    await s.recordSends([
      send("a"), // token t-a, message m-a
      send("b", { token: null }), // tracked by message id only
      send("c", { messageId: null }), // the answer was lost
      send("d"),
    ]);
    await s.commitEvent(event("e1", { token: null, messageId: "m-a", status: "delivered" }));
    await s.commitEvent(event("e2", { token: null, messageId: "m-b", status: "read" }));
    await s.commitEvent(event("e3", { token: "t-c", messageId: "m-unknown", status: "sent" }));
    // Another send's token with d's message id: the token says whose it is.
    await s.commitEvent(event("e4", { token: "t-a", messageId: "m-d", status: "read" }));
    const outcomes = await collect(s.campaignOutcomes("spring"));
    expect(outcomes.map((o) => [o.send.key, o.furthest])).toEqual([
      ["a", "read"],
      ["b", "read"],
      ["c", "sent"],
      ["d", null],
    ]);
  });

  test("outcome: no events is no status; other campaigns stay out", async () => {
    const s = await store();
    await s.recordSends([send("k"), send("k", { campaign: "autumn", token: "t-other" })]);
    expect(await collect(s.campaignOutcomes("spring"))).toEqual([{ send: send("k"), furthest: null, failed: null, firstAt: {} }]);
    expect(await collect(s.campaignOutcomes("nothing"))).toEqual([]);
  });

  test("recordSends: an attempt is one row; a later record fills in its message id", async () => {
    const s = await store();
    await s.recordSends([send("k", { messageId: null }), send("k", { messageId: null, at: "2026-12-01T09:30:00.000Z" })]);
    await s.recordSends([send("k", { messageId: "m-late", at: "2026-12-01T09:45:00.000Z" }), send("k", { attempt: 2, messageId: "m-2", token: "t-2" })]);
    await s.recordSends([send("k", { messageId: "m-other" })]);
    const outcomes = await collect(s.campaignOutcomes("spring"));
    expect(outcomes.map((o) => o.send)).toEqual([send("k", { messageId: "m-late" }), send("k", { attempt: 2, messageId: "m-2", token: "t-2" })]);
    await s.recordSends([]);
  });

  test("recordSends: another run's record of an attempt (another msgc token) replaces the earlier run's whole", async () => {
    const s = await store();
    await s.recordSends([send("k", { messageId: "m-week-1", token: "t-week-1" }), send("j", { messageId: null, token: "t-j-1" })]);
    // The campaign is sent again a week later with a fresh journal: the same keys and attempts.
    const later = { at: "2026-12-08T09:00:00.000Z" };
    await s.recordSends([send("k", { messageId: "m-week-2", token: "t-week-2", channel: "sms", ...later }), send("k", { messageId: "m-dup", token: "t-week-2", ...later })]);
    await s.recordSends([send("j", { messageId: null, token: "t-j-2", ...later }), send("j", { messageId: "m-j-2", token: "t-j-2", ...later })]);
    const outcomes = await collect(s.campaignOutcomes("spring"));
    expect(outcomes.map((o) => o.send)).toEqual([
      send("j", { messageId: "m-j-2", token: "t-j-2", ...later }),
      send("k", { messageId: "m-week-2", token: "t-week-2", channel: "sms", ...later }),
    ]);
  });

  test("outcomes stream in key, attempt, form order", async () => {
    const s = await store();
    await s.recordSends([send("b"), send("a", { attempt: 2, token: "x2" }), send("a", { form: "template", token: "xt" }), send("a", { token: "x1" }), send("B")]);
    const order = (await collect(s.campaignOutcomes("spring"))).map((o) => `${o.send.key}/${o.send.attempt}/${o.send.form}`);
    expect(order).toEqual(["B/1/session", "a/1/session", "a/1/template", "a/2/session", "b/1/session"]);
  });

  test("inbound: kept only when later; recentInbound from a time on", async () => {
    const s = await store();
    const wrote = (n: string, number: string, at: string) => s.commitEvent(event(n, { topic: "messages" }), { inbound: { number, at } });
    await wrote("i1", "+1", "2026-12-01T10:00:00.000Z");
    await wrote("i2", "+1", "2026-12-01T09:00:00.000Z");
    await wrote("i3", "+2", "2026-11-30T10:00:00.000Z");
    await wrote("i4", "+2", "2026-12-01T12:00:00+01:00");
    expect(await s.recentInbound("2026-12-01T10:00:00.000Z")).toEqual(
      new Map([
        ["+1", "2026-12-01T10:00:00.000Z"],
        ["+2", "2026-12-01T11:00:00.000Z"],
      ]),
    );
    expect(await s.recentInbound("2026-12-01T10:30:00Z")).toEqual(new Map([["+2", "2026-12-01T11:00:00.000Z"]]));
  });

  test("suppress and unsuppress count what changed", async () => {
    const s = await store();
    expect(await s.suppress([stop("+1"), manual("+2"), stop("+1")])).toBe(2);
    expect(await s.suppress([manual("+1"), stop("+3")])).toBe(1);
    expect(await s.suppressions()).toEqual(
      new Map([
        ["+1", manual("+1")],
        ["+2", manual("+2")],
        ["+3", stop("+3")],
      ]),
    );
    expect(await s.unsuppress(["+1", "+1", "+9"])).toBe(1);
    expect(await s.unsuppress([])).toBe(0);
    expect([...(await s.suppressions()).keys()].sort()).toEqual(["+2", "+3"]);
    expect(await s.suppress([])).toBe(0);
  });

  test("suppress with keepExisting only adds: a number already on the list keeps its record", async () => {
    const s = await store();
    expect(await s.suppress([stop("+1")])).toBe(1);
    // A hand-made entry never replaces the customer's STOP; a number given twice: its first record.
    expect(await s.suppress([manual("+1"), manual("+2"), stop("+2")], { keepExisting: true })).toBe(1);
    expect(await s.suppressions()).toEqual(
      new Map([
        ["+1", stop("+1")],
        ["+2", manual("+2")],
      ]),
    );
    expect(await s.suppress([], { keepExisting: true })).toBe(0);
  });

  test("commitEvent effects: suppress and unsuppress with the event", async () => {
    const s = await store();
    await s.commitEvent(event("in1", { topic: "messages" }), { suppress: stop("+1") });
    expect(await s.suppressions()).toEqual(new Map([["+1", stop("+1")]]));
    // An opt-in from before the opt-out (a retried delivery) leaves it; one from after lifts it.
    await s.commitEvent(event("in2", { topic: "messages" }), { unsuppress: { number: "+1", at: "2026-12-01T09:59:59.000Z" } });
    expect(await s.suppressions()).toEqual(new Map([["+1", stop("+1")]]));
    await s.commitEvents([{ event: event("in3", { topic: "messages" }), effects: { unsuppress: { number: "+1", at: "2026-12-01T09:00:00Z" } } }]);
    expect(await s.suppressions()).toEqual(new Map([["+1", stop("+1")]]));
    await s.commitEvents([{ event: event("in4", { topic: "messages" }), effects: { unsuppress: { number: "+1", at: "2026-12-01T10:00:01Z" } } }]);
    expect(await s.suppressions()).toEqual(new Map());
  });

  test("commitEvent effects: an opt-out at or before the number's latest opt-in does not suppress; a later one does", async () => {
    const s = await store();
    const optIn = (id: string, at: string): Promise<unknown> =>
      s.commitEvent(event(id, { topic: "messages" }), {
        unsuppress: { number: "+1", at },
      });
    await optIn("in1", "2026-12-01T10:05:00Z");
    // An older opt-in (a retry) does not move the latest one back.
    await optIn("in2", "2026-12-01T09:00:00.000Z");
    expect(await s.commitEvent(event("out1", { topic: "messages", messageId: "m-out1" }), { suppress: stop("+1") })).toBe("stored");
    await s.commitEvents([
      {
        event: event("out2", { messageId: "m-out2" }),
        effects: {
          suppress: {
            ...stop("+1"),
            reason: "error",
            at: "2026-12-01T10:05:00.000Z",
          },
        },
      },
    ]);
    expect(await s.suppressions()).toEqual(new Map());
    // The events are stored all the same.
    expect((await s.eventsByMessageIds(["m-out1", "m-out2"])).map((e) => e.deliveryId)).toEqual(["out1", "out2"]);
    await s.commitEvents([
      {
        event: event("out3", { topic: "messages" }),
        effects: {
          suppress: { ...stop("+1"), at: "2026-12-01T10:05:00.001Z" },
        },
      },
    ]);
    expect(await s.suppressions()).toEqual(new Map([["+1", { ...stop("+1"), at: "2026-12-01T10:05:00.001Z" }]]));
    // Other numbers are not touched by +1's opt-in.
    await s.commitEvent(event("out4", { topic: "messages" }), {
      suppress: stop("+2"),
    });
    expect([...(await s.suppressions()).keys()].sort()).toEqual(["+1", "+2"]);
  });

  test("commitEvent effects: an older opt-out never moves a suppression's time back", async () => {
    const s = await store();
    await s.commitEvent(event("out-late", { topic: "messages" }), {
      suppress: { ...stop("+1"), at: "2026-12-01T10:10:00.000Z" },
    });
    await s.commitEvents([
      {
        event: event("out-early", { topic: "messages" }),
        effects: {
          suppress: {
            ...stop("+1"),
            at: "2026-12-01T10:00:00.000Z",
            source: "END",
          },
        },
      },
    ]);
    expect(await s.suppressions()).toEqual(new Map([["+1", { ...stop("+1"), at: "2026-12-01T10:10:00.000Z" }]]));
    // So an opt-in between the two leaves the later opt-out in force.
    await s.commitEvent(event("in", { topic: "messages" }), {
      unsuppress: { number: "+1", at: "2026-12-01T10:05:00.000Z" },
    });
    expect([...(await s.suppressions()).keys()]).toEqual(["+1"]);
  });

  test("suppress (a person's act) suppresses whatever the number's latest opt-in", async () => {
    const s = await store();
    await s.commitEvent(event("in", { topic: "messages" }), {
      unsuppress: { number: "+1", at: "2026-12-01T12:00:00.000Z" },
    });
    expect(await s.suppress([manual("+1")])).toBe(1);
    expect(await s.suppress([{ ...manual("+2") }, { ...stop("+1"), reason: "import" }], { keepExisting: true })).toBe(1);
    expect(await s.suppressions()).toEqual(
      new Map([
        ["+1", manual("+1")],
        ["+2", manual("+2")],
      ]),
    );
  });

  test("migration: a database made by schema version 1, with data, is upgraded and keeps it", async () => {
    const db = await backend.fresh();
    const v1 = await db.open({
      migrations: MIGRATIONS.filter((m) => m.version === 1),
      targetVersion: 1,
    });
    expect(await v1.schemaVersion()).toBe(1);
    await v1.close();
    // Rows as msgc at schema version 1 wrote them.
    await db.exec(`INSERT INTO events (delivery_id, topic, customer, token, received_at, raw) VALUES ('old', 'messages', '+1', 'tok-old', '2026-12-01T10:00:00.000Z', '{}');
      INSERT INTO suppressions (number, reason, suppressed_at, source) VALUES ('+1', 'keyword', '2026-12-01T10:00:00.000Z', 'STOP')`);
    const s = await db.open();
    open.push(s);
    expect(await s.schemaVersion()).toBe(STORE_SCHEMA_VERSION);
    expect(await s.suppressions()).toEqual(new Map([["+1", stop("+1")]]));
    expect((await s.eventsByTokens(["tok-old"])).map((e) => e.deliveryId)).toEqual(["old"]);
    // The upgraded database keeps opt-in times: a START, then an older STOP delivered late.
    await s.commitEvent(event("in", { topic: "messages" }), {
      unsuppress: { number: "+1", at: "2026-12-01T10:30:00.000Z" },
    });
    await s.commitEvent(event("late", { topic: "messages" }), {
      suppress: { ...stop("+1"), at: "2026-12-01T10:20:00.000Z" },
    });
    expect(await s.suppressions()).toEqual(new Map());
  });

  test("migration: an empty database is created at this build's version", async () => {
    const db = await backend.fresh();
    const s = await db.open();
    open.push(s);
    expect(await s.schemaVersion()).toBe(STORE_SCHEMA_VERSION);
    // Opening again changes nothing and keeps what is there.
    await s.suppress([stop("+1")]);
    const again = await db.open();
    open.push(again);
    expect(await again.schemaVersion()).toBe(STORE_SCHEMA_VERSION);
    expect((await again.suppressions()).size).toBe(1);
  });

  test("migration: later migrations run in order, on top of what is there", async () => {
    const db = await backend.fresh();
    const first = await db.open();
    await first.suppress([stop("+1")]);
    await first.close();
    const [second, third] = [STORE_SCHEMA_VERSION + 1, STORE_SCHEMA_VERSION + 2];
    const next = [...MIGRATIONS, { version: third, statements: () => ["ALTER TABLE extra ADD COLUMN c TEXT"] }, { version: second, statements: () => ["CREATE TABLE extra (a TEXT)"] }];
    const s = await db.open({ migrations: next, targetVersion: third });
    open.push(s);
    expect(await s.schemaVersion()).toBe(third);
    expect((await s.suppressions()).size).toBe(1);
    await db.exec("INSERT INTO extra (a, c) VALUES ('x', 'y')");
  });

  test("migration: a database newer than this build is refused", async () => {
    const db = await backend.fresh();
    await (await db.open()).close();
    await db.exec(`UPDATE msgc_schema SET version = ${STORE_SCHEMA_VERSION + 1}`);
    const refused = await db.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as Error).message).toMatch(new RegExp(`has schema version ${STORE_SCHEMA_VERSION + 1}; this msgc knows versions up to ${STORE_SCHEMA_VERSION}: upgrade msgc to use it$`));
  });

  test("migration: a version that cannot be right is one line", async () => {
    const db = await backend.fresh();
    await (await db.open()).close();
    await db.exec("UPDATE msgc_schema SET version = -1");
    const refused = await db.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as Error).message).toMatch(/ has a schema version msgc cannot read \(-1\)$/);
  });

  test("migration: a table made by hand in the way is one line, and nothing half-done stays", async () => {
    const db = await backend.fresh();
    await db.exec("CREATE TABLE sends (x TEXT)");
    const refused = await db.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as Error).message).toMatch(/ could not be migrated to schema version 1: [^\n]*sends[^\n]* already exists/);
    // The events table made before the failure was rolled back with it: dropping the stray table lets the next open migrate.
    await db.exec("DROP TABLE sends");
    const s = await db.open();
    open.push(s);
    expect(await s.schemaVersion()).toBe(STORE_SCHEMA_VERSION);
  });

  test("campaignSends: each attempt as recorded (merged), in key order across batches, this campaign only, events ignored", async () => {
    const s = await store();
    const keys = Array.from({ length: 2500 }, (_, i) => `+1555${String(2499 - i).padStart(7, "0")}`);
    await s.recordSends(keys.map((k) => send(k)));
    await s.recordSends([send("+15550000007", { attempt: 2, form: "template", channel: "sms", messageId: null }), send("+15550000007", { attempt: 2, form: "template", messageId: "m-late" }), send("k", { campaign: "autumn" })]);
    await s.commitEvent(event("d1", { token: "t-+15550000001", status: "read" }));
    const sends: SendRecord[] = [];
    for await (const r of s.campaignSends("spring")) sends.push(r);
    expect(sends).toHaveLength(2501);
    expect(sends.map((r) => `${r.key}/${r.attempt}`)).toEqual([...keys.slice().sort().flatMap((k) => (k === "+15550000007" ? [`${k}/1`, `${k}/2`] : [`${k}/1`]))]);
    expect(sends[0]).toEqual(send("+15550000000"));
    // The first record of an attempt stands; a later one filled in its message id.
    expect(sends[8]).toEqual(send("+15550000007", { attempt: 2, form: "template", channel: "sms", messageId: "m-late" }));
    const none: SendRecord[] = [];
    for await (const r of s.campaignSends("nothing")) none.push(r);
    expect(none).toEqual([]);
  });

  test("outcomes stream 20,000 sends in batches while the store stays usable", async () => {
    const s = await store();
    const keys = Array.from({ length: 20_000 }, (_, i) => `+1555${String(i).padStart(7, "0")}`);
    for (let i = 0; i < keys.length; i += 5000) await s.recordSends(keys.slice(i, i + 5000).map((k) => send(k)));
    for (const k of keys.filter((_, i) => i % 1000 === 0)) await s.commitEvent(event(`d${k}`, { token: `t-${k}`, status: "read" }));
    let seen = 0;
    let read = 0;
    let previous = "";
    for await (const o of s.campaignOutcomes("spring")) {
      expect(o.send.key > previous).toBe(true);
      previous = o.send.key;
      if (o.furthest === "read") read++;
      // Between two batches the same store takes writes (an open cursor would block them).
      if (seen++ === 1500) expect(await s.commitEvent(event("mid-stream", { token: "t-x" }))).toBe("stored");
    }
    expect(seen).toBe(20_000);
    expect(read).toBe(20);
  });
});

function stop(number: string): SuppressionRecord {
  return { number, reason: "keyword", at: "2026-12-01T10:00:00.000Z", source: "STOP" };
}
function manual(number: string): SuppressionRecord {
  return { number, reason: "manual", at: "2026-12-01T11:00:00.000Z", source: null };
}
