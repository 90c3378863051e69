import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SandboxConfigError, startSandbox } from "../../src/sandbox/index.js";
import { BUSINESS, call, KEY, NUMBER, SESSION_PATH, TEMPLATE_PATH, sandbox, session, template, ULID } from "./helpers.js";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const clock = () => NOW;
const dir = mkdtempSync(join(tmpdir(), "msgc-sandbox-inspection-"));
const noKey = { "x-api-key": "" };
const hasIpv6Loopback = Object.values(networkInterfaces()).flat().some((entry) => entry?.address === "::1");

describe("GET/DELETE /__sandbox/messages", () => {
  it("lists accepted messages in order, needs no key, and DELETE empties it", async () => {
    const box = await sandbox({ now: clock, inbound: [{ from: NUMBER }] });
    const first = await call(box, SESSION_PATH, { body: session() });
    await call(box, SESSION_PATH, { body: session({ text: "" }) });
    const second = await call(box, TEMPLATE_PATH, { body: template() });
    const listed = await call(box, "/__sandbox/messages", { method: "GET", headers: noKey });
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([
      { id: first.json.id, businessId: BUSINESS, endpoint: "messages", body: session(), receivedAt: "2026-03-10T12:00:00.000Z" },
      { id: second.json.id, businessId: BUSINESS, endpoint: "whatsapp_templated_messages", body: template(), receivedAt: "2026-03-10T12:00:00.000Z" },
    ]);
    expect(listed.json[0].id).toMatch(ULID);
    expect(box.messages()).toEqual(listed.json);

    expect((await call(box, "/__sandbox/messages", { method: "DELETE", headers: noKey })).json).toEqual({ deleted: 2 });
    expect((await call(box, "/__sandbox/messages", { method: "GET" })).json).toEqual([]);
  });

  it("clearMessages() does the same in-process", async () => {
    const box = await sandbox();
    await call(box, TEMPLATE_PATH, { body: template() });
    box.clearMessages();
    expect(box.messages()).toEqual([]);
  });
});

describe("POST /__sandbox/inbound", () => {
  it.each([
    ["a number that is not E.164", { from: "6045852331" }, `"from" must be an E.164 number such as +16045852331`],
    ["no number", { at: "2026-03-10T11:00:00Z" }, `"from" must be an E.164 number such as +16045852331`],
    ["a time that is not ISO 8601", { from: NUMBER, at: "noon" }, `"at" must be an ISO 8601 date-time such as 2026-01-31T09:30:00Z`],
    ["a list", [{ from: NUMBER }], "expected an object with from and at"],
  ])("rejects %s: 400 ERROR_CODE_INVALID_ARGUMENT", async (_name, body, message) => {
    const box = await sandbox({ now: clock });
    const reply = await call(box, "/__sandbox/inbound", { body, headers: noKey });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_INVALID_ARGUMENT", message });
  });

  it("rejects bad JSON and a wrong content type", async () => {
    const box = await sandbox();
    expect((await call(box, "/__sandbox/inbound", { raw: "{" })).json.code).toBe("ERROR_CODE_MALFORMED_JSON");
    expect((await call(box, "/__sandbox/inbound", { raw: "from=+1", headers: { "content-type": "text/plain" } })).status).toBe(415);
  });

  it.each([
    ["GET", "/__sandbox/inbound"],
    ["POST", "/__sandbox/messages"],
    ["POST", "/__sandbox/stats"],
    ["PUT", "/__sandbox/messages"],
  ] as const)("%s %s: 405", async (method, path) => {
    const box = await sandbox();
    const reply = await call(box, path, { method, body: {} });
    expect(reply.status).toBe(405);
    expect(reply.json.code).toBe("ERROR_CODE_METHOD_NOT_ALLOWED");
  });
});

describe("GET /__sandbox/stats", () => {
  it("counts API requests by status, and what was accepted, reset or left hanging", async () => {
    // At 0.5/s a business has one token, and the next one takes 2 s to come.
    const box = await sandbox({ inbound: [{ from: NUMBER }], rate: 0.5 });
    await call(box, SESSION_PATH, { body: session() });
    await call(box, "/v1/businesses/b2/send/messages", { body: session({ text: "" }) });
    await call(box, SESSION_PATH, { body: session(), headers: { "x-api-key": "wrong" } });
    await call(box, "/nowhere", { body: {} });
    await call(box, TEMPLATE_PATH, { body: template() });
    await call(box, "/__sandbox/messages", { method: "GET" });
    const stats = await call(box, "/__sandbox/stats", { method: "GET", headers: noKey });
    expect(stats.json).toEqual({ requests: 5, byStatus: { "200": 1, "400": 1, "401": 1, "404": 1, "429": 1 }, accepted: 1, resets: 0, hangs: 0, sms: { accepted: 0, segments: 0 } });
    expect(box.stats()).toEqual(stats.json);
  });
});

describe("--log FILE", () => {
  it("appends every accepted message as NDJSON, after what the file already held", async () => {
    const file = join(dir, "accepted.ndjson");
    writeFileSync(file, '{"earlier":true}\n');
    const box = await startSandbox({ apiKey: KEY, now: clock, logFile: file, acceptThenFail: 0 });
    await call(box, TEMPLATE_PATH, { body: template() });
    await call(box, TEMPLATE_PATH, { body: template({ number: "bad" }) });
    await call(box, TEMPLATE_PATH, { body: template({ templateName: "second" }) });
    const messages = [...box.messages()];
    await box.close();
    const lines = readFileSync(file, "utf8").split("\n");
    expect(lines).toEqual(['{"earlier":true}', JSON.stringify(messages[0]), JSON.stringify(messages[1]), ""]);
    expect(JSON.parse(lines[2]!)).toMatchObject({ businessId: BUSINESS, endpoint: "whatsapp_templated_messages", body: { templateName: "second" } });
  });

  it("an unwritable log file is a SandboxConfigError", async () => {
    await expect(startSandbox({ apiKey: KEY, logFile: join(dir, "missing-dir", "log.ndjson") })).rejects.toThrow(/^cannot open log file .*log\.ndjson: ENOENT$/);
  });
});

describe("startSandbox", () => {
  it("binds loopback on a free port by default and reports it", async () => {
    const box = await sandbox();
    expect(box.host).toBe("127.0.0.1");
    expect(box.port).toBeGreaterThan(0);
    expect(box.url).toBe(`http://127.0.0.1:${box.port}`);
    expect(box.apiKey).toBe(KEY);
  });

  it.skipIf(!hasIpv6Loopback)("brackets an IPv6 host in the URL", async () => {
    const box = await sandbox({ host: "::1" });
    expect(box.url).toBe(`http://[::1]:${box.port}`);
    expect((await call(box, TEMPLATE_PATH, { body: template() })).status).toBe(200);
  });

  it.each([
    [{ failRate: 1.5 }, "failRate must be a probability from 0 to 1, got 1.5"],
    [{ resetRate: -0.1 }, "resetRate must be a probability from 0 to 1, got -0.1"],
    [{ hangRate: Number.NaN }, "hangRate must be a probability from 0 to 1, got NaN"],
    [{ acceptThenFail: 2 }, "acceptThenFail must be a probability from 0 to 1, got 2"],
    [{ latencyMs: -1 }, "latencyMs must be a number of at least 0, got -1"],
    [{ rate: -5 }, "rate must be a number of at least 0, got -5"],
    [{ port: 70000 }, "port must be 0 to 65535, got 70000"],
    [{ apiKey: "" }, "the API key must not be empty"],
    [{ inbound: [{ from: "+1" }] }, `inbound option: entry 1: "from" must be an E.164 number such as +16045852331`],
  ])("rejects %j", async (options, message) => {
    const failure = startSandbox({ apiKey: KEY, ...options });
    await expect(failure).rejects.toThrow(SandboxConfigError);
    await expect(failure).rejects.toThrow(message);
  });

  it("a port in use is a SandboxConfigError", async () => {
    const box = await sandbox();
    await expect(startSandbox({ apiKey: KEY, port: box.port })).rejects.toThrow(`cannot listen on http://127.0.0.1:${box.port}: EADDRINUSE`);
  });

  it("close() is idempotent and ends hanging requests", async () => {
    const box = await startSandbox({ apiKey: KEY, hangRate: 1 });
    const pending = call(box, TEMPLATE_PATH, { body: template() }).catch((error: Error) => error);
    while (box.stats().hangs === 0) await new Promise((r) => setTimeout(r, 5));
    await Promise.all([box.close(), box.close()]);
    expect(await pending).toBeInstanceOf(Error);
  });
});

const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === "IPv4" && !entry.internal)?.address;

describe.skipIf(externalAddress === undefined)("the inspection API on a non-loopback address", () => {
  it("answers 403 to a non-loopback client, while the API itself works", async () => {
    const box = await sandbox({ host: "0.0.0.0" });
    const base = `http://${externalAddress}:${box.port}`;
    const inspection = await fetch(`${base}/__sandbox/messages`);
    expect(inspection.status).toBe(403);
    expect(await inspection.json()).toMatchObject({ code: "ERROR_CODE_FORBIDDEN" });
    const send = await fetch(`${base}${TEMPLATE_PATH}`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": KEY }, body: JSON.stringify(template()) });
    expect(send.status).toBe(200);
  });
});
