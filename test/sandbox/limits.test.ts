import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { DEFAULT_RATE } from "../../src/sandbox/index.js";
import { RateLimiter } from "../../src/sandbox/rate-limit.js";
import { call, KEY, NUMBER, SESSION_PATH, sandbox, session, template } from "./helpers.js";

const inWindow = { inbound: [{ from: NUMBER }] };

describe("the API key", () => {
  it.each([
    ["missing", {}],
    ["wrong", { "x-api-key": "not-the-key" }],
    ["a prefix of the key", { "x-api-key": KEY.slice(0, -1) }],
    ["empty", { "x-api-key": "" }],
  ])("%s: 401 ERROR_TYPE_AUTHENTICATION, checked before the body", async (_name, headers) => {
    const box = await sandbox(inWindow);
    const response = await fetch(`${box.url}${SESSION_PATH}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{not json" });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: "ERROR_TYPE_AUTHENTICATION", code: "ERROR_CODE_UNAUTHENTICATED" });
  });

  it("the header name is case-insensitive", async () => {
    const box = await sandbox(inWindow);
    const response = await fetch(`${box.url}${SESSION_PATH}`, { method: "POST", headers: { "content-type": "application/json", "X-API-KEY": KEY }, body: JSON.stringify(session()) });
    expect(response.status).toBe(200);
  });

  it("defaults to CONNECTLY_API_KEY, else \"sandbox\"", async () => {
    const saved = process.env["CONNECTLY_API_KEY"];
    try {
      process.env["CONNECTLY_API_KEY"] = "from-env";
      expect((await sandbox({ apiKey: undefined })).apiKey).toBe("from-env");
      delete process.env["CONNECTLY_API_KEY"];
      expect((await sandbox({ apiKey: undefined })).apiKey).toBe("sandbox");
    } finally {
      if (saved === undefined) delete process.env["CONNECTLY_API_KEY"];
      else process.env["CONNECTLY_API_KEY"] = saved;
    }
  });
});

describe("the rate limit", () => {
  it("a burst over the rate gets 429 with Retry-After; one second's worth passes", async () => {
    const box = await sandbox({ ...inWindow, rate: 0.5 });
    const replies = await Promise.all(Array.from({ length: 4 }, () => call(box, SESSION_PATH, { body: session() })));
    // The bucket holds at least one token, and the next one takes 2 s to come.
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 429, 429, 429]);
    const limited = replies.find((r) => r.status === 429)!;
    expect(limited.headers["retry-after"]).toBe("2");
    expect(limited.json).toMatchObject({
      type: "ERROR_TYPE_RATE_LIMIT_EXCEEDED",
      code: "ERROR_CODE_RATE_LIMIT_EXCEEDED",
      message: "Too many requests for business b1; retry after 2 s",
      details: { retryAfterSeconds: 2 },
    });
    expect(box.messages()).toHaveLength(1);
  });

  it("a burst of 10 at rate 5 passes the 5 the bucket holds, and what refills meanwhile", async () => {
    const box = await sandbox({ ...inWindow, rate: 5 });
    const started = performance.now();
    const replies = await Promise.all(Array.from({ length: 10 }, () => call(box, SESSION_PATH, { body: session() })));
    const seconds = (performance.now() - started) / 1000;
    const accepted = replies.filter((r) => r.status === 200).length;
    expect(accepted + replies.filter((r) => r.status === 429).length).toBe(10);
    expect(accepted).toBeGreaterThanOrEqual(5);
    expect(accepted).toBeLessThanOrEqual(5 + Math.floor(5 * seconds));
  });

  it("Retry-After covers a slow refill", async () => {
    const box = await sandbox({ ...inWindow, rate: 0.25 });
    expect((await call(box, SESSION_PATH, { body: session() })).status).toBe(200);
    const reply = await call(box, SESSION_PATH, { body: session() });
    expect(reply.headers["retry-after"]).toBe("4");
  });

  it("a client pacing itself under the rate never sees a 429", async () => {
    const box = await sandbox({ ...inWindow, rate: 10 });
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) {
      statuses.push((await call(box, SESSION_PATH, { body: session() })).status);
      await sleep(110);
    }
    expect(statuses).toEqual(Array(16).fill(200));
  });

  it("each business has its own bucket, shared by both endpoints", async () => {
    const box = await sandbox({ ...inWindow, rate: 0.5 });
    expect((await call(box, SESSION_PATH, { body: session() })).status).toBe(200);
    expect((await call(box, "/v1/businesses/b1/send/whatsapp_templated_messages", { body: template() })).status).toBe(429);
    expect((await call(box, "/v1/businesses/other/send/messages", { body: session() })).status).toBe(200);
  });

  it("rejected keys do not spend tokens", async () => {
    const box = await sandbox({ ...inWindow, rate: 1 });
    for (let i = 0; i < 3; i++) expect((await call(box, SESSION_PATH, { body: session(), headers: { "x-api-key": "wrong" } })).status).toBe(401);
    expect((await call(box, SESSION_PATH, { body: session() })).status).toBe(200);
  });

  it("is 200/s by default: a burst of 400 gets what the bucket holds plus what refills meanwhile", async () => {
    const box = await sandbox({ ...inWindow, rate: undefined });
    const started = performance.now();
    const replies = await Promise.all(Array.from({ length: 400 }, () => call(box, SESSION_PATH, { body: session() })));
    const seconds = (performance.now() - started) / 1000;
    const accepted = replies.filter((r) => r.status === 200).length;
    expect(accepted + replies.filter((r) => r.status === 429).length).toBe(400);
    expect(accepted).toBeGreaterThanOrEqual(200);
    expect(accepted).toBeLessThanOrEqual(Math.min(400, 200 + Math.ceil(200 * seconds) + 1));
  });
});

describe("RateLimiter, on a clock of its own", () => {
  it("holds DEFAULT_RATE tokens and refills DEFAULT_RATE a second", () => {
    let now = 0;
    const limiter = new RateLimiter(DEFAULT_RATE, () => now);
    const take = (n: number) => Array.from({ length: n }, () => limiter.take("b").ok).filter(Boolean).length;
    expect(take(250)).toBe(200);
    now += 100;
    expect(take(50)).toBe(20);
    now += 10_000;
    expect(take(250)).toBe(200);
    expect(limiter.take("b")).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it.each([0, Number.POSITIVE_INFINITY])("rate %s is unlimited", (rate) => {
    const limiter = new RateLimiter(rate, () => 0);
    expect(Array.from({ length: 10_000 }, () => limiter.take("b").ok).every(Boolean)).toBe(true);
  });
});
