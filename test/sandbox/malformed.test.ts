import { connect } from "node:net";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/index.js";
import { call, NUMBER, SESSION_PATH, sandbox, session } from "./helpers.js";

const inWindow = { inbound: [{ from: NUMBER }] };
const MIB = 1024 * 1024;

/** Writes raw bytes on a fresh connection and returns what came back before it closed. */
async function rawExchange(box: Sandbox, bytes: string | Buffer): Promise<string> {
  const socket = connect(box.port, "127.0.0.1");
  await once(socket, "connect");
  const received: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  socket.on("error", () => undefined);
  socket.write(bytes);
  await once(socket, "close");
  return Buffer.concat(received).toString("latin1");
}

describe("malformed requests get a clean 4xx", () => {
  // The case's name and code make the title; the payload (one is 1 MiB) comes last, unprinted.
  it.each([
    ["bad JSON", "ERROR_CODE_MALFORMED_JSON", "{\"recipient\":"],
    ["an empty body", "ERROR_CODE_MALFORMED_JSON", ""],
    ["bytes that are not UTF-8", "ERROR_CODE_MALFORMED_JSON", Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
    ["JSON nested a million deep", "ERROR_CODE_MALFORMED_JSON", "[".repeat(MIB - 1)],
    ["a JSON string", "ERROR_CODE_INVALID_ARGUMENT", "\"hello\""],
  ])("%s: 400 %s", async (_name, code, raw) => {
    const box = await sandbox(inWindow);
    const reply = await call(box, SESSION_PATH, { raw });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code });
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp"])(
    "content type %s: 415",
    async (contentType) => {
      const box = await sandbox(inWindow);
      const reply = await call(box, SESSION_PATH, { body: session(), headers: { "content-type": contentType } });
      expect(reply.status).toBe(415);
      expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_UNSUPPORTED_CONTENT_TYPE" });
    },
  );

  it.each(["application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json"])("content type %s is JSON", async (contentType) => {
    const box = await sandbox(inWindow);
    expect((await call(box, SESSION_PATH, { body: session(), headers: { "content-type": contentType } })).status).toBe(200);
  });

  it("no content type is read as JSON", async () => {
    const box = await sandbox(inWindow);
    const response = await fetch(`${box.url}${SESSION_PATH}`, { method: "POST", headers: { "x-api-key": "test-key" }, body: new Uint8Array(Buffer.from(JSON.stringify(session()))) });
    expect(response.status).toBe(200);
  });

  it("a body of exactly 1 MiB is read; one byte more is 413, and the connection stays usable", async () => {
    const box = await sandbox(inWindow);
    const json = JSON.stringify(session());
    const exact = json + " ".repeat(MIB - json.length);
    expect((await call(box, SESSION_PATH, { raw: exact })).status).toBe(200);
    const over = await call(box, SESSION_PATH, { raw: `${exact} ` });
    expect(over.status).toBe(413);
    expect(over.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_REQUEST_TOO_LARGE" });
    expect((await call(box, SESSION_PATH, { body: session() })).status).toBe(200);
  });

  it("a body announced as 100 MiB is refused at once and the connection closed", async () => {
    const box = await sandbox(inWindow);
    const answer = await rawExchange(box, `POST ${SESSION_PATH} HTTP/1.1\r\nHost: x\r\nX-API-Key: test-key\r\nContent-Type: application/json\r\nContent-Length: ${100 * MIB}\r\n\r\n{`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
  });

  it("a chunked body that runs past 16 MiB is cut off with 413", async () => {
    const box = await sandbox(inWindow);
    const chunk = Buffer.alloc(MIB, 0x20);
    const chunked = Buffer.concat([
      Buffer.from(`POST ${SESSION_PATH} HTTP/1.1\r\nHost: x\r\nX-API-Key: test-key\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`),
      ...Array.from({ length: 17 }, () => Buffer.concat([Buffer.from(`${MIB.toString(16)}\r\n`), chunk, Buffer.from("\r\n")])),
    ]);
    expect(await rawExchange(box, chunked)).toMatch(/^HTTP\/1\.1 413 [^]*\r\nconnection: close\r\n/i);
    expect(box.stats().byStatus).toEqual({ "413": 1 });
  });

  it.each([
    ["/", 404, "ERROR_CODE_PATH_NOT_FOUND"],
    ["/v1/businesses/b1/send/campaigns", 404, "ERROR_CODE_PATH_NOT_FOUND"],
    ["/v1/businesses//send/messages", 404, "ERROR_CODE_PATH_NOT_FOUND"],
    ["/v1/businesses/b1/send/messages/extra", 404, "ERROR_CODE_PATH_NOT_FOUND"],
    ["/__sandbox/nothing", 404, "ERROR_CODE_PATH_NOT_FOUND"],
  ])("unknown path %s: %d", async (path, status, code) => {
    const box = await sandbox(inWindow);
    const reply = await call(box, path, { body: session() });
    expect(reply.status).toBe(status);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code });
  });

  it.each(["GET", "PUT", "DELETE"] as const)("%s on a send path: 405 with Allow: POST", async (method) => {
    const box = await sandbox(inWindow);
    const reply = await call(box, SESSION_PATH, { method });
    expect(reply.status).toBe(405);
    expect(reply.headers["allow"]).toBe("POST");
    expect(reply.json.code).toBe("ERROR_CODE_METHOD_NOT_ALLOWED");
  });

  it("a query string does not change the route", async () => {
    const box = await sandbox(inWindow);
    expect((await call(box, `${SESSION_PATH}?debug=1`, { body: session() })).status).toBe(200);
  });

  it("garbage that is not HTTP gets 400 from the parser and the server keeps serving", async () => {
    const box = await sandbox(inWindow);
    expect(await rawExchange(box, "HELLO THERE\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    expect(await rawExchange(box, Buffer.from([0, 1, 2, 3, 13, 10, 13, 10]))).toMatch(/^HTTP\/1\.1 400 /);
    expect((await call(box, SESSION_PATH, { body: session() })).status).toBe(200);
  });

  it("a client that disconnects mid-body does not disturb the server", async () => {
    const box = await sandbox(inWindow);
    const socket = connect(box.port, "127.0.0.1");
    await once(socket, "connect");
    socket.write(`POST ${SESSION_PATH} HTTP/1.1\r\nHost: x\r\nX-API-Key: test-key\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"recipient"`);
    socket.destroy();
    expect((await call(box, SESSION_PATH, { body: session() })).status).toBe(200);
    expect(box.messages()).toHaveLength(1);
  });
});
