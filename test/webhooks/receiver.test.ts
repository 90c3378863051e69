import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { connect } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, test } from "vitest";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { postgresForTests } from "../setup/postgres.js";
import { groupCommitter, MAX_WEBHOOK_BYTES, startWebhookReceiver } from "../../src/webhooks/receiver.js";
import { optOutKeywords, parseWebhook } from "../../src/webhooks/parse-event.js";
import type { ReceiverOptions, WebhookReceiver } from "../../src/webhooks/receiver.js";
import { signWebhook } from "../../src/webhooks/signature.js";
import { NUMBER, SECRET, inboundWebhook, openProjectStore, postWebhook, rawRequest, statusWebhook } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(options: Partial<ReceiverOptions> = {}): Promise<{ receiver: WebhookReceiver; store: Store; dir: string; log: string[] }> {
  const { store, dir } = await openProjectStore();
  const log: string[] = [];
  const receiver = await startWebhookReceiver({ store, secret: SECRET, keywords: optOutKeywords(), host: "127.0.0.1", port: 0, log: (line) => log.push(line), ...options });
  cleanups.push(async () => {
    await receiver.close();
    await store.close();
  });
  return { receiver, store, dir, log };
}

describe("webhook receiver: signatures", () => {
  test("signed: 200 after the event is in the store", async () => {
    const { receiver, store } = await serve();
    const answer = await postWebhook(receiver.url, statusWebhook("m-1"));
    expect(answer).toEqual({ status: 200, body: '{"status":"stored"}\n' });
    const events = await store.eventsByMessageIds(["m-1"]);
    expect(events.map((e) => [e.topic, e.status, e.customer, e.campaign])).toEqual([["delivery_status", "delivered", NUMBER, "spring"]]);
  });

  test.each([
    ["missing", null],
    ["wrong", signWebhook(statusWebhook("m-1"), "another secret")],
    ["of another body", signWebhook("{}", SECRET)],
  ])("signature %s: 401 and stored nowhere", async (_name, signature) => {
    const { receiver, store } = await serve();
    const answer = await postWebhook(receiver.url, statusWebhook("m-1"), signature);
    expect(answer).toEqual({ status: 401, body: '{"error":"missing or wrong signature"}\n' });
    expect(await store.eventsByMessageIds(["m-1"])).toEqual([]);
    expect(receiver.counts()).toMatchObject({ stored: 0, unauthorized: 1 });
  });
});

/** The suppression a keyword STOP written at `at` leaves. */
function stopAt(at: string): { number: string; reason: string; at: string; source: string } {
  return { number: NUMBER, reason: "keyword", at, source: "STOP" };
}

describe("webhook receiver: what it stores", () => {
  test("the same delivery twice is stored once, answered 200 both times", async () => {
    const { receiver, store } = await serve();
    expect((await postWebhook(receiver.url, statusWebhook("m-1"))).body).toBe('{"status":"stored"}\n');
    expect(await postWebhook(receiver.url, statusWebhook("m-1"))).toEqual({ status: 200, body: '{"status":"duplicate"}\n' });
    expect(await store.eventsByMessageIds(["m-1"])).toHaveLength(1);
    expect(receiver.counts()).toMatchObject({ stored: 1, duplicates: 1 });
  });

  test("out of order: delivered before sent, both kept, the furthest is delivered", async () => {
    const { receiver, store } = await serve();
    await store.recordSends([{ key: NUMBER, campaign: "spring", channel: "whatsapp", form: "template", attempt: 1, messageId: "m-1", token: "tok-1", at: "2026-12-02T00:00:00.000Z" }]);
    for (const status of ["delivered", "sent"]) {
      expect((await postWebhook(receiver.url, statusWebhook("m-1", status, { callbackData: { msgc: "tok-1" } }))).status).toBe(200);
    }
    expect((await store.eventsByTokens(["tok-1"])).map((e) => e.status)).toEqual(["delivered", "sent"]);
    const outcomes = [];
    for await (const outcome of store.campaignOutcomes("spring")) outcomes.push(outcome.furthest);
    expect(outcomes).toEqual(["delivered"]);
  });

  test("STOP suppresses the sender, START lifts it; both open the window", async () => {
    const { receiver, store } = await serve({ keywords: optOutKeywords({ keywords: ["baja"] }) });
    expect((await postWebhook(receiver.url, inboundWebhook(" Baja "))).status).toBe(200);
    expect([...(await store.suppressions()).values()]).toEqual([{ number: NUMBER, reason: "keyword", at: "2025-12-02T00:00:00.000Z", source: "BAJA" }]);
    expect((await store.recentInbound("2025-12-01T00:00:00.000Z")).get(NUMBER)).toBe("2025-12-02T00:00:00.000Z");
    expect((await postWebhook(receiver.url, inboundWebhook("start"))).status).toBe(200);
    expect((await store.suppressions()).size).toBe(0);
  });

  test("a START older than the STOP, delivered after it (a retry), does not lift the STOP", async () => {
    const { receiver, store } = await serve();
    // The customer wrote START at 10:00 and STOP at 10:05; the START's first delivery got a 503.
    expect((await postWebhook(receiver.url, inboundWebhook("STOP", NUMBER, "1764669900"))).status).toBe(200);
    expect((await postWebhook(receiver.url, inboundWebhook("START", NUMBER, "1764669600"))).status).toBe(200);
    expect([...(await store.suppressions()).values()]).toEqual([stopAt("2025-12-02T10:05:00.000Z")]);
    // A START written after the STOP still lifts it.
    expect((await postWebhook(receiver.url, inboundWebhook("START", NUMBER, "1764670200"))).status).toBe(200);
    expect((await store.suppressions()).size).toBe(0);
  });

  test("a STOP older than the latest START, delivered after it (a retry), does not suppress; a later STOP does", async () => {
    const { receiver, store } = await serve();
    // The customer wrote STOP at 10:00 (t1) and START at 10:05 (t2); the STOP's first delivery got a 503.
    expect((await postWebhook(receiver.url, inboundWebhook("START", NUMBER, "1764669900"))).status).toBe(200);
    expect(await postWebhook(receiver.url, inboundWebhook("STOP", NUMBER, "1764669600"))).toEqual({
      status: 200,
      body: '{"status":"stored"}\n',
    });
    expect(await store.suppressions()).toEqual(new Map());
    // The opted-out error of a message refused before the START is as old: it does not suppress either.
    const refusedBefore = JSON.stringify({
      ...JSON.parse(statusWebhook("m-old", "delivery_failed")),
      timestamp: "1764669700",
      statusUpdate: {
        id: "m-old",
        status: "delivery_failed",
        error: {
          code: "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT",
          message: "opted out",
        },
      },
    });
    expect((await postWebhook(receiver.url, refusedBefore)).status).toBe(200);
    expect(await store.suppressions()).toEqual(new Map());
    // Both events are kept as evidence.
    expect(receiver.counts()).toMatchObject({ stored: 3, duplicates: 0 });
    // A STOP at 10:10 (t3 > t2) suppresses.
    expect((await postWebhook(receiver.url, inboundWebhook("STOP", NUMBER, "1764670200"))).status).toBe(200);
    expect([...(await store.suppressions()).values()]).toEqual([stopAt("2025-12-02T10:10:00.000Z")]);
  });

  test("a retried older STOP does not replace a later one's time: a START between them leaves the number suppressed", async () => {
    const { receiver, store } = await serve();
    // STOP 10:00, START 10:05, STOP 10:10, delivered: STOP 10:10, STOP 10:00 (a retry), START 10:05 (a retry).
    for (const [text, timestamp] of [
      ["STOP", "1764670200"],
      ["STOP", "1764669600"],
      ["START", "1764669900"],
    ] as const) {
      expect((await postWebhook(receiver.url, inboundWebhook(text, NUMBER, timestamp))).status).toBe(200);
    }
    expect([...(await store.suppressions()).values()]).toEqual([stopAt("2025-12-02T10:10:00.000Z")]);
  });

  test("delivery_failed with the opted-out error suppresses the recipient", async () => {
    const { receiver, store } = await serve();
    const error = { code: "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT", message: "opted out" };
    const body = statusWebhook("m-1", "delivery_failed");
    const failed = JSON.stringify({ ...JSON.parse(body), statusUpdate: { id: "m-1", status: "delivery_failed", error } });
    expect((await postWebhook(receiver.url, failed)).status).toBe(200);
    expect((await store.suppressions()).get(NUMBER)).toMatchObject({ reason: "error", source: "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT" });
  });

  test("a signed body that is not JSON is stored raw and acknowledged", async () => {
    const { receiver, store } = await serve();
    expect((await postWebhook(receiver.url, "not json at all")).status).toBe(200);
    expect(receiver.counts().stored).toBe(1);
    // Stored under no message id; the raw text is the only trace.
    expect(await store.eventsByMessageIds(["m-1"])).toEqual([]);
  });
});

/** Sends only a request's head (`headers` after the request line) and reads what comes back. */
function headersOnly(url: string, headers: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const { port } = new URL(url);
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(`POST / HTTP/1.1\r\nhost: x\r\n${headers}\r\n`));
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString()));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

describe("webhook receiver: refusals and limits", () => {
  test("a body over 1 MiB: 413 from its content-length, before it is read", async () => {
    const { receiver } = await serve();
    // Only the head is sent: a receiver that waited for the body would never answer.
    const answer = await headersOnly(receiver.url, `content-length: ${MAX_WEBHOOK_BYTES + 1}\r\nx-connectly-hmac-sha256: x\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(receiver.counts().tooLarge).toBe(1);
  });

  test("no signature header: 401 before the body is read", async () => {
    const { receiver } = await serve();
    const answer = await headersOnly(receiver.url, "content-length: 1000\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
  });

  test("bodies held at once past the bound: 503, and the retry lands once the others are done", async () => {
    const { receiver, store } = await serve({ maxBufferedBytes: 4096 });
    const body = statusWebhook("m-1");
    // A slow client holds most of the bound with the first 3,950 bytes of its body.
    const { port } = new URL(receiver.url);
    const slow = connect(Number(port), "127.0.0.1");
    await once(slow, "connect");
    slow.write(`POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-connectly-hmac-sha256: x\r\ncontent-length: 4000\r\n\r\n${"a".repeat(3950)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await postWebhook(receiver.url, body)).toMatchObject({ status: 503 });
    slow.resume();
    slow.end("b".repeat(50));
    await once(slow, "close");
    expect(await postWebhook(receiver.url, body)).toEqual({ status: 200, body: '{"status":"stored"}\n' });
    expect(await store.eventsByMessageIds(["m-1"])).toHaveLength(1);
  });

  test("a chunked body that grows past 1 MiB: 413, the connection closed", async () => {
    const { receiver, store } = await serve();
    const body = Buffer.alloc(MAX_WEBHOOK_BYTES + 10, "a");
    const answer = await rawRequest(receiver.url, { headers: { "transfer-encoding": "chunked", "x-connectly-hmac-sha256": signWebhook(body, SECRET) }, body }).catch((e: Error) => e);
    // Node may see the reset before it reads the answer; the receiver's count says which it was.
    if (!(answer instanceof Error)) expect(answer.status).toBe(413);
    expect(receiver.counts()).toMatchObject({ tooLarge: 1, stored: 0 });
    expect(await store.eventsByMessageIds(["m-1"])).toEqual([]);
  });

  test("exactly 1 MiB is accepted", async () => {
    const { receiver } = await serve();
    const body = `${statusWebhook("m-big").slice(0, -1)},"pad":"${"x".repeat(MAX_WEBHOOK_BYTES)}"}`.slice(0, MAX_WEBHOOK_BYTES - 2) + '"}';
    expect(Buffer.byteLength(body)).toBe(MAX_WEBHOOK_BYTES);
    expect((await postWebhook(receiver.url, body)).status).toBe(200);
  });

  test("GET /healthz is 200; other methods 405", async () => {
    const { receiver } = await serve();
    expect(await rawRequest(receiver.url, { method: "GET", path: "/healthz" })).toEqual({ status: 200, body: '{"status":"ok"}\n' });
    expect((await rawRequest(receiver.url, { method: "GET", path: "/" })).status).toBe(405);
  });

  test("a client that sends half its headers is cut off after the request timeout", async () => {
    const { receiver } = await serve({ requestTimeoutMs: 200 });
    const { port } = new URL(receiver.url);
    const closed = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => socket.write("POST / HTTP/1.1\r\nhost: x\r\n"));
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    expect(closed).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe("webhook receiver: a store that cannot commit", () => {
  test("locked SQLite file: 503, nothing lost: the retry lands once the lock is gone", async () => {
    const { receiver, store, dir } = await serve();
    // Another writer holds the database: the receiver's commit cannot get it.
    const other = new Database(join(dir, ".msgc", "msgc.db"));
    other.exec("BEGIN EXCLUSIVE");
    const refused = await postWebhook(receiver.url, statusWebhook("m-1"));
    expect(refused.status).toBe(503);
    other.exec("COMMIT");
    other.close();
    expect((await postWebhook(receiver.url, statusWebhook("m-1"))).body).toBe('{"status":"stored"}\n');
    expect(await store.eventsByMessageIds(["m-1"])).toHaveLength(1);
    expect(receiver.counts()).toMatchObject({ stored: 1, unavailable: 1 });
  });
});

describe("webhook receiver: logs", () => {
  test("the minute's counts; verbose lines mask the number and never hold the secret", async () => {
    const { receiver, log } = await serve({ verbose: true, logIntervalMs: 50 });
    await postWebhook(receiver.url, statusWebhook("m-1", "delivered", { callbackData: { note: SECRET } }));
    await postWebhook(receiver.url, inboundWebhook(`my number is ${NUMBER}`));
    await postWebhook(receiver.url, statusWebhook("m-2"), "bad");
    await new Promise((resolve) => setTimeout(resolve, 120));
    const text = log.join("\n");
    expect(log).toContain('stored delivery_status delivered +1604•••2331 message m-1 campaign "spring"');
    expect(log).toContain("stored messages +1604•••2331");
    expect(log).toContain("401 a wrong signature");
    // The requests may fall in two intervals: their lines add up.
    const counts = log.flatMap((line) => {
      const found = /^\d{4}-\d\d-\d\dT[\d:.]+Z last 0 s: (\d+) stored, 0 duplicates, (\d+) unauthorized \(401\), 0 too large \(413\), 0 not committed \(503\), 0 other$/.exec(line);
      return found ? [[Number(found[1]), Number(found[2])]] : [];
    });
    expect(counts.reduce(([s, u], [ds, du]) => [s + ds!, u + du!], [0, 0])).toEqual([2, 1]);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(NUMBER);
    expect(text).not.toContain("6045852331");
  });

  test("verbose: a body's control characters (a line break, a terminal escape) cannot forge or hide log lines", async () => {
    const { receiver, log } = await serve({ verbose: true });
    const error = { code: "E\u001b[2J\n2026-12-02T00:00:00.000Z forged", message: "m" };
    const body = JSON.stringify({ ...JSON.parse(statusWebhook("m-\r1")), statusUpdate: { id: "m-\r1", status: "delivery_failed", error } });
    expect((await postWebhook(receiver.url, body)).status).toBe(200);
    expect(log).toEqual(['stored delivery_status delivery_failed +1604•••2331 message m-\u240d1 campaign "spring" E\u241b[2J\u240a2026-12-02T00:00:00.000Z forged']);
  });
});

describe("webhook receiver: stopping", () => {
  test("close() with requests in flight: each acknowledged one is in the store", async () => {
    const { receiver, store } = await serve();
    const posts = Array.from({ length: 40 }, (_, i) => postWebhook(receiver.url, statusWebhook(`m-${i}`)).catch(() => ({ status: 0, body: "" })));
    // Closed once some are stored and others are still coming.
    while (receiver.counts().stored < 5) await new Promise((resolve) => setTimeout(resolve, 1));
    await receiver.close();
    const answers = await Promise.all(posts);
    const acknowledged = answers.flatMap((a, i) => (a.status === 200 ? [`m-${i}`] : []));
    expect(acknowledged.length).toBeGreaterThanOrEqual(5);
    expect((await store.eventsByMessageIds(acknowledged)).map((e) => e.messageId).sort()).toEqual([...acknowledged].sort());
  });
});

describe("group commit", () => {
  const parsed = (body: string): ReturnType<typeof parseWebhook> => parseWebhook(Buffer.from(body), "2026-12-02T00:00:00.000Z", optOutKeywords());

  test("commits asked for in one turn share a transaction; each gets its own outcome", async () => {
    const { store } = await openProjectStore();
    cleanups.push(() => store.close());
    const committer = groupCommitter(store);
    const bodies = [statusWebhook("g-1"), statusWebhook("g-2"), statusWebhook("g-1"), inboundWebhook("STOP")];
    const outcomes = await Promise.all(bodies.map((body) => committer.commit(parsed(body).event, parsed(body).effects)));
    expect(outcomes).toEqual(["stored", "stored", "duplicate", "stored"]);
    expect((await store.suppressions()).has(NUMBER)).toBe(true);
  });

  test("one event the store rejects fails alone; the others in its batch are stored", async () => {
    const { store } = await openProjectStore();
    cleanups.push(() => store.close());
    const committer = groupCommitter(store);
    const good = parsed(statusWebhook("g-1"));
    // A topic the database cannot hold (NOT NULL): a fault of this one event, not of the store.
    const bad = { ...parsed(statusWebhook("g-2")).event, topic: null as unknown as string };
    const results = await Promise.allSettled([committer.commit(good.event, good.effects), committer.commit(bad, {})]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    expect((await store.eventsByMessageIds(["g-1", "g-2"])).map((e) => e.messageId)).toEqual(["g-1"]);
  });
});

const postgres = await postgresForTests();
if (!postgres.available) test.skip(`webhook receiver on PostgreSQL: ${postgres.reason}`, () => {});

describe.runIf(postgres.available)("webhook receiver on PostgreSQL", () => {
  async function servePostgres(options: Partial<ReceiverOptions> = {}): Promise<{ receiver: WebhookReceiver; store: Store; url: string }> {
    const url = await (postgres.available ? postgres.postgres : undefined!).createDatabase();
    const store = await openStore({ kind: "postgres", url });
    const receiver = await startWebhookReceiver({ store, secret: SECRET, keywords: optOutKeywords(), host: "127.0.0.1", port: 0, log: () => undefined, ...options });
    cleanups.push(async () => {
      await receiver.close();
      await store.close();
    });
    return { receiver, store, url };
  }

  test("signed, concurrent, retried: each delivery stored once; unsigned stored nowhere", async () => {
    const { receiver, store } = await servePostgres();
    const bodies = Array.from({ length: 40 }, (_, i) => statusWebhook(`p-${i % 30}`, "sent", { callbackData: { msgc: `t-${i % 30}` } }));
    const answers = await Promise.all(bodies.map((body) => postWebhook(receiver.url, body)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await postWebhook(receiver.url, statusWebhook("p-x"), null)).toMatchObject({ status: 401 });
    const ids = Array.from({ length: 31 }, (_, i) => (i === 30 ? "p-x" : `p-${i}`));
    expect((await store.eventsByMessageIds(ids)).map((e) => e.messageId).sort()).toEqual(ids.slice(0, 30).sort());
    expect(receiver.counts()).toMatchObject({ stored: 30, duplicates: 10, unauthorized: 1 });
  });

  test("hostile sizes: a huge message id, token, campaign and sender id are stored (raw), not 503 for ever", async () => {
    const { receiver, store } = await servePostgres();
    // Random text does not compress: past PostgreSQL's index row limit (about 2.7 kB) an insert fails.
    const huge = (tag: string): string => `${tag}-${randomBytes(6000).toString("hex")}`;
    const status = statusWebhook(huge("m"), "delivered", { callbackData: { msgc: huge("t") }, metadata: { campaign_name: huge("c") } });
    expect(await postWebhook(receiver.url, status)).toEqual({ status: 200, body: '{"status":"stored"}\n' });
    expect(await postWebhook(receiver.url, inboundWebhook("STOP", huge("bsuid")))).toEqual({ status: 200, body: '{"status":"stored"}\n' });
    expect(receiver.counts()).toMatchObject({ stored: 2, unavailable: 0 });
    expect((await store.suppressions()).size).toBe(0);
  });

  test("a table locked by another session: 503 after the commit timeout, the retry lands once", async () => {
    const { receiver, store, url } = await servePostgres({ commitTimeoutMs: 300 });
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE");
      expect((await postWebhook(receiver.url, statusWebhook("p-1"))).status).toBe(503);
      await other.query("COMMIT");
    } finally {
      await other.end();
    }
    // The first commit may land once the lock is gone: then the retry is a duplicate. Either way, once.
    expect((await postWebhook(receiver.url, statusWebhook("p-1"))).status).toBe(200);
    expect(await store.eventsByMessageIds(["p-1"])).toHaveLength(1);
  });
});
