import { once } from "node:events";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createConnectlyClient } from "../../src/connectly/client.js";
import type { ConnectlyClient, ConnectlyClientOptions, CreateTemplateRequest } from "../../src/connectly/client.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/index.js";

const KEY = "client-test-key-0123456789";
const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()));
});

async function box(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await startSandbox({ apiKey: KEY, rate: 0, ...options });
  open.push(sandbox);
  return sandbox;
}

function client(baseUrl: string, options: Partial<ConnectlyClientOptions> = {}): ConnectlyClient {
  const made = createConnectlyClient({ baseUrl, apiKey: KEY, businessId: "b1", timeoutMs: 5000, ...options });
  open.push(made);
  return made;
}

/** A server that is not the sandbox: it answers what a test says and records what it got. */
async function server(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; paths: string[]; keys: unknown[] }> {
  const paths: string[] = [];
  const keys: unknown[] = [];
  const http: Server = createServer((req, res) => {
    paths.push(req.url ?? "");
    keys.push(req.headers["x-api-key"]);
    req.resume();
    req.on("end", () => answer(req, res));
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  open.push({
    close: async () => {
      http.closeAllConnections();
      http.close();
      await once(http, "close");
    },
  });
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, paths, keys };
}

const REQUEST: CreateTemplateRequest = {
  name: "order_shipped_v2",
  language: { code: "en_US" },
  category: "MESSAGE_TEMPLATE_GROUP_CATEGORY_UTILITY",
  template_components: [{ body: { text: { text: "Hi {{1}}, your order is on its way.", example: ["Ana"] } } }],
};

describe("Connectly client: templates against the sandbox over HTTP", () => {
  it("getTemplates: the list as typed groups", async () => {
    const sandbox = await box({ templates: [{ name: "order_shipped", language: "en", body: 1 }, { name: "order_shipped", language: "es", body: 1 }], now: () => Date.UTC(2026, 0, 1) });
    const result = await client(sandbox.url).getTemplates();
    expect(result).toEqual({
      ok: true,
      value: [
        {
          id: expect.any(String),
          name: "order_shipped",
          category: "UTILITY",
          templates: ["en", "es"].map((language) => ({
            id: expect.any(String),
            language,
            status: "MESSAGE_TEMPLATE_STATUS_APPROVED",
            rejectionReason: null,
            templateComponents: [{ body: { text: { text: "Sandbox template: {{1}}." } } }],
            createdAt: "2026-01-01T00:00:00.000Z",
            updatedAt: "2026-01-01T00:00:00.000Z",
          })),
        },
      ],
    });
  });

  it("createTemplate: the created group, PENDING; the next list has it reviewed (rejected, with Meta's reason)", async () => {
    const sandbox = await box({ rejectRate: 1 });
    const connectly = client(sandbox.url);
    const created = await connectly.createTemplate(REQUEST);
    expect(created).toMatchObject({ ok: true, value: { name: "order_shipped_v2", category: "UTILITY", templates: [{ language: "en_US", status: "MESSAGE_TEMPLATE_STATUS_PENDING", rejectionReason: null, templateComponents: REQUEST.template_components }] } });
    const listed = await connectly.getTemplates();
    expect(listed).toMatchObject({ ok: true, value: [{ name: "order_shipped_v2", templates: [{ status: "MESSAGE_TEMPLATE_STATUS_REJECTED", rejectionReason: "INVALID_FORMAT" }] }] });
  });

  it("a refused create: Connectly's code, type and message", async () => {
    const sandbox = await box();
    const result = await client(sandbox.url).createTemplate({ ...REQUEST, name: "Order-Shipped" });
    expect(result).toEqual({
      ok: false,
      failure: { kind: "refused", status: 400, code: "ERROR_CODE_INVALID_ARGUMENT", type: "ERROR_TYPE_INVALID_REQUEST", message: "name must be lowercase letters, digits and underscores, starting with a letter, at most 512 characters" },
    });
  });

  it("a wrong key: refused 401 with the authentication type, and the key in no field", async () => {
    const sandbox = await box();
    const result = await client(sandbox.url, { apiKey: "not-the-key" }).getTemplates();
    expect(result).toMatchObject({ ok: false, failure: { kind: "refused", status: 401, type: "ERROR_TYPE_AUTHENTICATION", code: "ERROR_CODE_UNAUTHENTICATED" } });
  });

  it("a 429 is waited out for as long as Retry-After says, then the call goes through", async () => {
    const sandbox = await box({ rate: 1 });
    const waits: number[] = [];
    const connectly = client(sandbox.url, { sleep: (ms) => (waits.push(ms), sleep(ms)) });
    expect((await connectly.getTemplates()).ok).toBe(true);
    expect(await connectly.createTemplate(REQUEST)).toMatchObject({ ok: true });
    expect(waits).toEqual([1000]);
    expect(sandbox.stats().byStatus).toEqual({ "200": 2, "429": 1 });
  });

  it("a 429 past the retries is returned as refused, with nothing waited beyond them", async () => {
    const sandbox = await box({ rate: 1 });
    const waits: number[] = [];
    const connectly = client(sandbox.url, { rateLimitRetries: 0, sleep: async (ms) => void waits.push(ms) });
    await connectly.getTemplates();
    expect(await connectly.getTemplates()).toMatchObject({ ok: false, failure: { kind: "refused", status: 429, code: "ERROR_CODE_RATE_LIMIT_EXCEEDED" } });
    expect(waits).toEqual([]);
  });

  it("nothing listening: tried again three times, then a network failure that certainly did not arrive", async () => {
    const sandbox = await box();
    const url = sandbox.url;
    await sandbox.close();
    const waits: number[] = [];
    expect(await client(url, { sleep: async (ms) => void waits.push(ms) }).getTemplates()).toEqual({ ok: false, failure: { kind: "network", code: "connection-refused", ambiguous: false } });
    expect(waits).toEqual([250, 500, 750]);
  });

  it("a read that gets a 500 is tried again; the last answer counts", async () => {
    const sandbox = await box({ failRate: 0.5, seed: 3 });
    const connectly = client(sandbox.url, { sleep: async () => undefined });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await connectly.getTemplates());
    const stats = sandbox.stats();
    // More requests than calls: the 500s were tried again, and each call ended on its last answer.
    expect(stats.requests).toBeGreaterThan(5);
    expect(stats.requests).toBe((stats.byStatus["200"] ?? 0) + (stats.byStatus["500"] ?? 0));
    expect(results.filter((r) => r.ok).length).toBe(stats.byStatus["200"]);
  });

  it("a create that gets a 500 is not tried again: it may have happened", async () => {
    const sandbox = await box({ failRate: 1 });
    const result = await client(sandbox.url, { sleep: async () => undefined }).createTemplate(REQUEST);
    expect(result).toMatchObject({ ok: false, failure: { kind: "refused", status: 500, code: "ERROR_CODE_UNSPECIFIED" } });
    expect(sandbox.stats().requests).toBe(1);
  });

  it("no answer in time: a timeout that may have arrived (a create is not retried)", async () => {
    const sandbox = await box({ hangRate: 1 });
    expect(await client(sandbox.url, { timeoutMs: 200 }).createTemplate(REQUEST)).toEqual({ ok: false, failure: { kind: "network", code: "timeout", ambiguous: true } });
    expect(sandbox.stats().hangs).toBe(1);
  });
});

describe("Connectly client: answers that are not what the reference documents", () => {
  it("the key and the business id: header on every call, the id escaped in the path", async () => {
    const target = await server((_req, res) => res.end('{"entity":{}}'));
    const result = await client(target.url, { businessId: "a/b?c" }).getTemplates();
    expect(result).toEqual({ ok: true, value: [] });
    expect(target.paths).toEqual(["/v1/businesses/a%2Fb%3Fc/get/templates"]);
    expect(target.keys).toEqual([KEY]);
  });

  it("an error body that quotes the key: the key is cut out, control characters replaced", async () => {
    const target = await server((_req, res) => {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "ERROR_CODE_X", type: "ERROR_TYPE_AUTHENTICATION", message: `key ${KEY} refused\n\u001b[31m` }));
    });
    const result = await client(target.url).getTemplates();
    expect(result).toEqual({ ok: false, failure: { kind: "refused", status: 403, code: "ERROR_CODE_X", type: "ERROR_TYPE_AUTHENTICATION", message: "key [redacted] refused??[31m" } });
  });

  it.each([
    ["not JSON", "<html>", "the answer is not JSON"],
    ["a list that is not a list", '{"entity":{"templateGroups":{}}}', "entity.templateGroups is not a list"],
    ["a group without a name", '{"entity":{"templateGroups":[{"templates":[]}]}}', "entity.templateGroups[0].name is not a string"],
    ["a template without a language", '{"entity":{"templateGroups":[{"name":"a","templates":[{"status":"X"}]}]}}', "entity.templateGroups[0].templates[0].language.code is not a string"],
    ["a template without a status", '{"entity":{"templateGroups":[{"name":"a","templates":[{"language":{"code":"en"}}]}]}}', "entity.templateGroups[0].templates[0].status is not a string"],
  ])("a 200 with %s is unreadable, with where", async (_name, body, reason) => {
    const target = await server((_req, res) => res.end(body));
    expect(await client(target.url).getTemplates()).toEqual({ ok: false, failure: { kind: "unreadable", status: 200, reason } });
  });

  it("Meta's rejectedReason is read when Connectly's rejectionReason is absent, fit for a terminal", async () => {
    const group = { name: "a", category: "MARKETING", templates: [{ language: { code: "en" }, status: "MESSAGE_TEMPLATE_STATUS_REJECTED", externalTemplate: { whatsapp: { rejectedReason: "TAG_CONTENT_MISMATCH\u001b[2J" } } }] };
    const target = await server((_req, res) => res.end(JSON.stringify({ entity: { templateGroups: [group] } })));
    expect(await client(target.url).getTemplates()).toMatchObject({ ok: true, value: [{ name: "a", templates: [{ rejectionReason: "TAG_CONTENT_MISMATCH?[2J", templateComponents: [] }] }] });
  });

  it("a rejection reason that quotes a key shorter than output scrubbing reaches: cut out when read", async () => {
    const short = "k-short";
    const group = { name: "a", templates: [{ language: { code: "en" }, status: "MESSAGE_TEMPLATE_STATUS_REJECTED", rejectionReason: `bad key ${short}`, externalTemplate: { whatsapp: { rejectedReason: short } } }] };
    const target = await server((_req, res) => res.end(JSON.stringify({ entity: { templateGroups: [group] } })));
    expect(await client(target.url, { apiKey: short }).getTemplates()).toMatchObject({ ok: true, value: [{ name: "a", templates: [{ rejectionReason: "bad key [redacted]" }] }] });
  });
});
