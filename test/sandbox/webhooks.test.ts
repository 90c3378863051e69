import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/index.js";
import { call, NUMBER, SESSION_PATH, TEMPLATE_PATH, sandbox, session, template } from "./helpers.js";
import { receiver, SECRET } from "./webhook-receiver.js";
import type { Receiver } from "./webhook-receiver.js";

const NOW = Date.parse("2026-03-10T12:00:00.000Z");
const SECONDS = String(NOW / 1000);
const BUSINESS_NUMBER = "+15550100000";

/** A sandbox that sends webhooks to `hooks` on a fixed clock, fast unless told otherwise. */
async function hooked(hooks: Receiver, options: SandboxOptions = {}): Promise<Sandbox> {
  return sandbox({ webhookUrl: hooks.url, webhookSecret: SECRET, now: () => NOW, deliverMs: 0, webhookRetryBaseMs: 1, inbound: [{ from: NUMBER }], ...options });
}

/** The statuses each accepted message received, in arrival order, one string per message in accept order. */
function statusesByMessage(box: Sandbox, hooks: Receiver): string[] {
  const letters: Record<string, string> = { sent: "s", delivered: "d", read: "r", delivery_failed: "f" };
  const byId = new Map<string, string>(box.messages().map((m) => [m.id, ""]));
  for (const { json } of hooks.received) byId.set(json.statusUpdate.id, byId.get(json.statusUpdate.id)! + letters[json.statusUpdate.status]);
  return [...byId.values()];
}

describe("delivery_status webhooks", () => {
  it("a session message: sent, delivered, read, signed, in Connectly's shape with callbackData echoed", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { readRate: 1 });
    const callbackData = { msgc: "t0k3n", order: 7 };
    const reply = await call(box, SESSION_PATH, { body: { ...session(), campaignName: "spring", callbackData } });
    expect(reply.status).toBe(200);
    await box.drainWebhooks();
    const id = reply.json.id as string;
    const expected = (status: string): string =>
      JSON.stringify({
        topic: "delivery_status",
        timestamp: SECONDS,
        sender: { id: BUSINESS_NUMBER, channelType: "whatsapp" },
        recipient: { id: NUMBER, channelType: "whatsapp" },
        statusUpdate: { id, status, error: null },
        metadata: { campaign_name: "spring" },
        callbackData,
      });
    expect(hooks.received.map((r) => r.body)).toEqual([expected("sent"), expected("delivered"), expected("read")]);
    for (const r of hooks.received) {
      expect(r.signed).toBe(true);
      expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
    }
    expect(box.stats().webhooks).toEqual({ delivered: 3, retried: 0, givenUp: 0, dropped: 0, pending: 0, cancelled: 0, duplicated: 0, reordered: 0 });
  });

  it("a template message: its sender and number; a string callbackData is echoed as the same string", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { readRate: 0 });
    const reply = await call(box, TEMPLATE_PATH, { body: template({ sender: "+14151111234", callbackData: '{"msgc":"abc"}' }) });
    await box.drainWebhooks();
    expect(hooks.received.map((r) => r.json)).toEqual(
      ["sent", "delivered"].map((status) => ({
        topic: "delivery_status",
        timestamp: SECONDS,
        sender: { id: "+14151111234", channelType: "whatsapp" },
        recipient: { id: NUMBER, channelType: "whatsapp" },
        statusUpdate: { id: reply.json.id, status, error: null },
        metadata: null,
        callbackData: '{"msgc":"abc"}',
      })),
    );
  });

  it("--undeliverable-rate 1: sent, then delivery_failed with an error body in Connectly's shape", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { undeliverableRate: 1, readRate: 1 });
    await call(box, SESSION_PATH, { body: session() });
    await box.drainWebhooks();
    expect(hooks.received.map((r) => r.json.statusUpdate.status)).toEqual(["sent", "delivery_failed"]);
    expect(hooks.received[0]!.json).not.toHaveProperty("callbackData");
    expect(hooks.received[1]!.json.statusUpdate.error).toEqual({
      message: "Message undeliverable: the customer's phone could not be reached",
      type: "ERROR_TYPE_UNSPECIFIED",
      code: "ERROR_CODE_MESSAGE_UNDELIVERABLE",
      userTitle: "Message undeliverable: the customer's phone could not be reached",
      userMessage: expect.stringMatching(/^Pass along the connectly trace id '\d+' to the team for more information\.$/),
      cntTraceId: expect.stringMatching(/^\d+$/),
      details: {},
    });
  });

  it("an SMS: sent and delivered with channelType sms, never read", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { readRate: 1 });
    const sms = { sender: { id: "+14155550100", channelType: "sms" }, recipient: { id: NUMBER, channelType: "sms" }, message: { text: "code 1234" } };
    await call(box, SESSION_PATH, { body: sms });
    await box.drainWebhooks();
    expect(hooks.received.map((r) => [r.json.statusUpdate.status, r.json.sender, r.json.recipient])).toEqual([
      ["sent", { id: "+14155550100", channelType: "sms" }, { id: NUMBER, channelType: "sms" }],
      ["delivered", { id: "+14155550100", channelType: "sms" }, { id: NUMBER, channelType: "sms" }],
    ]);
  });

  it("accept-then-fail messages get webhooks too: the message went out even though the answer was 500", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { acceptThenFail: true, readRate: 0 });
    expect((await call(box, SESSION_PATH, { body: session() })).status).toBe(500);
    await box.drainWebhooks();
    expect(statusesByMessage(box, hooks)).toEqual(["sd"]);
  });
});

describe("seeded webhook faults", () => {
  const rates: SandboxOptions = { readRate: 0.5, undeliverableRate: 0.2, webhookDuplicateRate: 0.2, webhookReorderRate: 0.2 };

  async function run(seed: number, n: number): Promise<{ sequences: string[]; box: Sandbox; hooks: Receiver }> {
    const hooks = await receiver();
    const box = await hooked(hooks, { ...rates, seed });
    // Sent side by side: the fates follow the order of acceptance, not of the answers.
    await Promise.all(Array.from({ length: n }, () => call(box, SESSION_PATH, { body: session() })));
    await box.drainWebhooks();
    return { sequences: statusesByMessage(box, hooks), box, hooks };
  }

  it("the same seed gives the same statuses, duplicates and reorderings; another seed others", async () => {
    const first = await run(7, 30);
    const again = await run(7, 30);
    const other = await run(8, 30);
    expect(again.sequences).toEqual(first.sequences);
    expect(other.sequences).not.toEqual(first.sequences);
    expect(first.sequences.join(" ")).toBe(
      "sd sdd dsr fs sd sdr ssdr ssd sdrr ssdr sdr sdd sdr sd sddr sd sd sddrr ssd sf sff fs ssdd ds sf sd sddr sd sdr sdd",
    );
  });

  it("a reordered sent arrives after delivered, still stamped with when it happened", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { readRate: 0, webhookReorderRate: 1, deliverMs: 1000 });
    await call(box, SESSION_PATH, { body: session() });
    await box.drainWebhooks();
    expect(hooks.received.map((r) => [r.json.statusUpdate.status, r.json.timestamp])).toEqual([
      ["delivered", String(NOW / 1000 + 1)],
      ["sent", SECONDS],
    ]);
    expect(box.stats().webhooks!.reordered).toBe(1);
  });

  it("duplicates are the same bytes, reorderings are delivered before sent, both at the seeded rate", async () => {
    const { sequences, box, hooks } = await run(11, 200);
    const bodies = hooks.received.map((r) => r.body);
    const repeated = bodies.length - new Set(bodies).size;
    const reordered = sequences.filter((s) => /^[df]/.test(s)).length;
    const failed = sequences.filter((s) => s.includes("f")).length;
    const read = sequences.filter((s) => s.includes("r")).length;
    const stats = box.stats().webhooks!;
    expect(stats.duplicated).toBe(repeated);
    expect(stats.reordered).toBe(reordered);
    expect(stats.delivered).toBe(bodies.length);
    expect(hooks.received.every((r) => r.signed)).toBe(true);
    // Duplicates arrive one right after the other.
    for (let i = 1; i < bodies.length; i++) if (bodies[i] === bodies[i - 1]) expect(bodies.indexOf(bodies[i]!)).toBe(i - 1);
    // The exact counts of this seed, and each near its rate (a duplicate draw per status: about 2.5 per message).
    expect({ repeated, reordered, failed, read }).toEqual({ repeated: 105, reordered: 46, failed: 45, read: 81 });
    expect(reordered / 200).toBeCloseTo(0.2, 1);
    expect(failed / 200).toBeCloseTo(0.2, 1);
    expect(read / (200 - failed)).toBeCloseTo(0.5, 1);
    expect(repeated / (bodies.length - repeated)).toBeCloseTo(0.2, 1);
  });
});

describe("retries, give-up, drain and the cap", () => {
  it("a receiver that answers 503 twice then 200 gets the same body three times, with a growing backoff", async () => {
    const hooks = await receiver((index) => (index < 2 ? 503 : 200));
    const box = await hooked(hooks, { readRate: 0, deliverMs: 0, webhookRetryBaseMs: 30 });
    // A template send: only its `sent` is expected first, then `delivered`.
    await call(box, TEMPLATE_PATH, { body: template() });
    await box.drainWebhooks();
    const bodies = hooks.received.map((r) => r.body);
    expect(bodies.length).toBe(4);
    expect(new Set(bodies.slice(0, 3)).size).toBe(1);
    expect(JSON.parse(bodies[0]!).statusUpdate.status).toBe("sent");
    expect(JSON.parse(bodies[3]!).statusUpdate.status).toBe("delivered");
    expect(hooks.received.every((r) => r.signed)).toBe(true);
    // Lower bounds only (a timer never fires early by more than a millisecond): 30 ms, then 60 ms.
    const [a, b, c] = hooks.received.map((r) => r.at);
    expect(b! - a!).toBeGreaterThanOrEqual(29);
    expect(c! - b!).toBeGreaterThanOrEqual(59);
    expect(box.stats().webhooks).toMatchObject({ delivered: 2, retried: 2, givenUp: 0, pending: 0 });
  });

  it("a receiver that never answers 200 is tried 6 times (5 retries), then given up with one warning", async () => {
    const hooks = await receiver(() => 500);
    const warnings: string[] = [];
    const box = await hooked(hooks, { readRate: 0, onWebhookWarning: (w) => warnings.push(w) });
    await call(box, SESSION_PATH, { body: session() });
    await box.drainWebhooks();
    // sent given up, then delivered given up: each tried 6 times.
    expect(hooks.received.map((r) => r.json.statusUpdate.status)).toEqual([...Array(6).fill("sent"), ...Array(6).fill("delivered")]);
    expect(box.stats().webhooks).toMatchObject({ delivered: 0, retried: 10, givenUp: 2, pending: 0 });
    expect(warnings).toEqual(["a webhook was given up after 5 retries: the receiver answered 500 (later ones are only counted in the stats)"]);
  });

  it("an unreachable receiver is retried and given up too", async () => {
    const hooks = await receiver();
    const url = hooks.url;
    await hooks.close();
    const warnings: string[] = [];
    const box = await sandbox({ webhookUrl: url, webhookSecret: SECRET, deliverMs: 0, webhookRetryBaseMs: 1, readRate: 0, onWebhookWarning: (w) => warnings.push(w) });
    await call(box, TEMPLATE_PATH, { body: template() });
    await box.drainWebhooks();
    expect(box.stats().webhooks).toMatchObject({ delivered: 0, retried: 10, givenUp: 2, pending: 0 });
    expect(warnings).toEqual(["a webhook was given up after 5 retries: the receiver failed (ECONNREFUSED) (later ones are only counted in the stats)"]);
  });

  it("a receiver that does not answer in time counts as failed and is retried", async () => {
    // Holds its first request without an answer, answers the others 200.
    let calls = 0;
    const held = createServer((req, res) => {
      calls += 1;
      req.resume();
      if (calls > 1) res.writeHead(200).end();
    });
    held.listen(0, "127.0.0.1");
    await once(held, "listening");
    try {
      const url = `http://127.0.0.1:${(held.address() as AddressInfo).port}/`;
      const box = await sandbox({ webhookUrl: url, webhookSecret: SECRET, deliverMs: 0, readRate: 0, webhookRetryBaseMs: 1, webhookTimeoutMs: 50 });
      await call(box, TEMPLATE_PATH, { body: template() });
      await box.drainWebhooks();
      expect(box.stats().webhooks).toMatchObject({ delivered: 2, retried: 1, givenUp: 0 });
      expect(calls).toBe(3);
    } finally {
      held.closeAllConnections();
      held.close();
    }
  });

  it("a 200 whose body breaks off is an acknowledgement: not sent again", async () => {
    const bodies: string[] = [];
    const broken = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        bodies.push(body);
        res.writeHead(200, { "content-length": "100" });
        res.write("x", () => res.socket?.destroy());
      });
    });
    broken.listen(0, "127.0.0.1");
    await once(broken, "listening");
    try {
      const url = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/`;
      const box = await sandbox({ webhookUrl: url, webhookSecret: SECRET, deliverMs: 0, readRate: 0, webhookRetryBaseMs: 1 });
      await call(box, TEMPLATE_PATH, { body: template() });
      await box.drainWebhooks();
      expect(bodies.map((b) => JSON.parse(b).statusUpdate.status)).toEqual(["sent", "delivered"]);
      expect(box.stats().webhooks).toMatchObject({ delivered: 2, retried: 0 });
    } finally {
      broken.closeAllConnections();
      broken.close();
    }
  });

  it("drainWebhooks waits for the statuses still to come; close() without it cancels them", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { readRate: 1, deliverMs: 40 });
    await call(box, SESSION_PATH, { body: session() });
    expect(hooks.received.length).toBeLessThan(3);
    await box.drainWebhooks();
    expect(hooks.received.map((r) => r.json.statusUpdate.status)).toEqual(["sent", "delivered", "read"]);

    const cut = await hooked(hooks, { readRate: 1, deliverMs: 60_000 });
    await call(cut, SESSION_PATH, { body: session() });
    while (cut.stats().webhooks!.delivered === 0) await new Promise((r) => setTimeout(r, 5));
    await cut.close();
    expect(cut.stats().webhooks).toMatchObject({ delivered: 1, pending: 0, cancelled: 2 });
    await cut.drainWebhooks();
  });

  it("close({ drainWebhooks: true }) delivers everything pending before it resolves", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { readRate: 1, deliverMs: 30 });
    await call(box, SESSION_PATH, { body: session() });
    await box.close({ drainWebhooks: true });
    expect(hooks.received.length).toBe(3);
    expect(box.stats().webhooks).toMatchObject({ delivered: 3, pending: 0, cancelled: 0 });
  });

  it("past maxPendingWebhooks new webhooks are dropped and counted, with one warning", async () => {
    // Nobody listens and the first retry is far off: what was queued stays pending.
    const hooks = await receiver();
    await hooks.close();
    const warnings: string[] = [];
    const box = await hooked(hooks, { readRate: 0, webhookRetryBaseMs: 60_000, maxPendingWebhooks: 3, onWebhookWarning: (w) => warnings.push(w) });
    for (let i = 0; i < 3; i++) expect((await call(box, SESSION_PATH, { body: session() })).status).toBe(200);
    expect(box.stats().webhooks).toMatchObject({ pending: 2, dropped: 4 });
    expect(warnings).toEqual([
      "more than 3 webhooks (or 67108864 bytes of them) pending: new ones are dropped (counted in the stats) until the receiver catches up",
    ]);
    expect((await call(box, "/__sandbox/stats", { method: "GET" })).json.webhooks).toMatchObject({ pending: 2, dropped: 4 });
  });

  it("many pending webhooks raise no listener-leak warning (the CLI would print it)", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const hooks = await receiver();
      const box = await hooked(hooks, { readRate: 0, deliverMs: 60_000 });
      await Promise.all(Array.from({ length: 20 }, () => call(box, TEMPLATE_PATH, { body: template() })));
      // Every `sent` answered: 20 `delivered` wait, each with its own listener on the stop signal.
      while (box.stats().webhooks!.pending > 20) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it("the bytes pending are capped too: a huge campaign name cannot fill the memory", async () => {
    const hooks = await receiver();
    await hooks.close();
    const box = await hooked(hooks, { readRate: 0, webhookRetryBaseMs: 60_000, maxPendingWebhookBytes: 100_000 });
    await call(box, SESSION_PATH, { body: { ...session(), campaignName: "c".repeat(40_000) } });
    await call(box, SESSION_PATH, { body: { ...session(), campaignName: "c".repeat(40_000) } });
    // The first message's two bodies take ~80 kB; the second's would pass 100 kB.
    expect(box.stats().webhooks).toMatchObject({ pending: 2, dropped: 2 });
  });
});

describe("inbound messages webhooks", () => {
  it("POST /__sandbox/inbound sends a signed messages webhook and still opens the window", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { inbound: [] });
    const other = "+16045550003";
    expect((await call(box, SESSION_PATH, { body: session(undefined, other) })).json.code).toBe("ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION");
    const reply = await call(box, "/__sandbox/inbound", { body: { from: other, text: "STOP", name: "Ana", at: "2026-03-10T11:00:00Z" } });
    expect(reply.json).toEqual({ from: other, at: "2026-03-10T11:00:00.000Z" });
    await box.drainWebhooks();
    expect(hooks.received.map((r) => r.body)).toEqual([
      JSON.stringify({
        timestamp: String(Date.parse("2026-03-10T11:00:00Z") / 1000),
        sender: { id: other, channelType: "whatsapp", name: "Ana" },
        recipient: { id: BUSINESS_NUMBER, channelType: "whatsapp" },
        message: { text: "STOP" },
      }),
    ]);
    expect(hooks.received[0]!.signed).toBe(true);
    expect((await call(box, SESSION_PATH, { body: session(undefined, other) })).status).toBe(200);
  });

  it("addInbound in-process sends one too; no text is an empty text; the business number is an option", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks, { businessNumber: "+14155550100" });
    box.addInbound("+16045550003");
    box.addInbound("+16045550004", NOW - 1000, "hola");
    await box.drainWebhooks();
    expect(hooks.received.map((r) => [r.json.sender, r.json.recipient, r.json.message, r.json.timestamp])).toEqual([
      [{ id: "+16045550003", channelType: "whatsapp", name: "" }, { id: "+14155550100", channelType: "whatsapp" }, { text: "" }, SECONDS],
      [{ id: "+16045550004", channelType: "whatsapp", name: "" }, { id: "+14155550100", channelType: "whatsapp" }, { text: "hola" }, String(NOW / 1000 - 1)],
    ]);
  });

  it("a text in any script is signed over its UTF-8 bytes and arrives as written", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks);
    const text = "Parar 🙏 é ñ 停止 \u2028 \"quoted\"";
    await call(box, "/__sandbox/inbound", { body: { from: NUMBER, text, name: "Zoë" } });
    await box.drainWebhooks();
    expect([hooks.received[0]!.signed, hooks.received[0]!.json.message.text, hooks.received[0]!.json.sender.name]).toEqual([true, text, "Zoë"]);
  });

  it("an at that is no date is a 400 and sends nothing", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks);
    const reply = await call(box, "/__sandbox/inbound", { body: { from: NUMBER, at: 1e20 } });
    expect([reply.status, reply.json.message]).toEqual([400, '"at" must be an ISO 8601 date-time such as 2026-01-31T09:30:00Z']);
    await box.drainWebhooks();
    expect(hooks.received).toEqual([]);
  });

  it("a text or name that is not a string is a 400 and sends nothing", async () => {
    const hooks = await receiver();
    const box = await hooked(hooks);
    const reply = await call(box, "/__sandbox/inbound", { body: { from: NUMBER, text: 5 } });
    expect([reply.status, reply.json.code, reply.json.message]).toEqual([400, "ERROR_CODE_INVALID_ARGUMENT", '"text" must be a string']);
    expect((await call(box, "/__sandbox/inbound", { body: { from: NUMBER, name: ["x"] } })).json.message).toBe('"name" must be a string');
    await box.drainWebhooks();
    expect(hooks.received).toEqual([]);
  });
});

describe("webhook options", () => {
  it.each([
    [{ webhookUrl: "http://127.0.0.1:9/" }, "webhookUrl needs a webhook secret (webhookSecret or CONNECTLY_WEBHOOK_SECRET)"],
    [{ webhookUrl: "ftp://127.0.0.1/", webhookSecret: "s" }, 'webhookUrl must be an http:// or https:// URL, got "ftp:…"'],
    [{ webhookUrl: "not a url", webhookSecret: "s" }, 'webhookUrl must be an http:// or https:// URL, got "not a url"'],
    [{ webhookUrl: "https://u:pw@127.0.0.1/", webhookSecret: "s" }, "webhookUrl must not carry a user name or password"],
    [{ deliverMs: 5 }, "deliverMs needs webhookUrl"],
    [{ webhookUrl: "http://127.0.0.1:9/", webhookSecret: "s", readRate: 2 }, "readRate must be a probability from 0 to 1, got 2"],
    [{ webhookUrl: "http://127.0.0.1:9/", webhookSecret: "s", businessNumber: "555" }, 'businessNumber must be an E.164 number, got "555"'],
  ] as [SandboxOptions, string][])("%j is refused", async (options, message) => {
    const saved = process.env["CONNECTLY_WEBHOOK_SECRET"];
    delete process.env["CONNECTLY_WEBHOOK_SECRET"];
    try {
      await expect(startSandbox({ rate: 0, ...options })).rejects.toThrow(message);
    } finally {
      if (saved !== undefined) process.env["CONNECTLY_WEBHOOK_SECRET"] = saved;
    }
  });

  it("without webhookUrl the stats have no webhooks and drainWebhooks resolves at once", async () => {
    const box = await sandbox();
    await box.drainWebhooks();
    expect(box.stats()).not.toHaveProperty("webhooks");
  });
});
