import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SandboxConfigError, startSandbox } from "../../src/sandbox/index.js";
import { call, KEY, SESSION_PATH, TEMPLATE_PATH, sandbox, session, template } from "./helpers.js";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const HOUR = 60 * 60 * 1000;
const clock = () => NOW;
const NEVER = "+16045550001";
const HOUR_AGO = "+16045550002";
const DAY_AND_HOUR_AGO = "+16045550003";
const JUST_OVER = "+16045550004";
const JUST_UNDER = "+16045550005";

const iso = (ms: number) => new Date(ms).toISOString();
const dir = mkdtempSync(join(tmpdir(), "msgc-sandbox-window-"));

describe("the 24-hour window", () => {
  const inbound = [
    { from: HOUR_AGO, at: iso(NOW - HOUR) },
    { from: DAY_AND_HOUR_AGO, at: iso(NOW - 25 * HOUR) },
    { from: JUST_OVER, at: NOW - 24 * HOUR },
    { from: JUST_UNDER, at: NOW - 24 * HOUR + 1 },
  ];

  it("never wrote: 400 ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION", async () => {
    const box = await sandbox({ now: clock, inbound });
    const reply = await call(box, SESSION_PATH, { body: session({ text: "hi" }, NEVER) });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION" });
  });

  it("wrote 1 h ago: accepted", async () => {
    const box = await sandbox({ now: clock, inbound });
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, HOUR_AGO) })).status).toBe(200);
    expect(box.messages()[0]?.receivedAt).toBe("2026-03-10T12:00:00.000Z");
  });

  it("wrote 25 h ago: 400 ERROR_TYPE_DEADLINE_EXCEEDED / OUTSIDE_OF_ELIGIBILITY_WINDOW", async () => {
    const box = await sandbox({ now: clock, inbound });
    const reply = await call(box, SESSION_PATH, { body: session({ text: "hi" }, DAY_AND_HOUR_AGO) });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      type: "ERROR_TYPE_DEADLINE_EXCEEDED",
      code: "ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW",
      message: "Failed to send a message because more than 24 hours have passed since the customer last replied",
      details: { lastInboundAt: "2026-03-09T11:00:00.000Z" },
    });
  });

  it("the edge: exactly 24 h is outside, 1 ms less is inside", async () => {
    const box = await sandbox({ now: clock, inbound });
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, JUST_OVER) })).json.code).toBe("ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW");
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, JUST_UNDER) })).status).toBe(200);
  });

  it("template messages ignore the window", async () => {
    const box = await sandbox({ now: clock, inbound });
    for (const number of [NEVER, DAY_AND_HOUR_AGO]) expect((await call(box, TEMPLATE_PATH, { body: template({ number }) })).status).toBe(200);
  });

  it("the window moves with the clock", async () => {
    let now = NOW;
    const box = await sandbox({ now: () => now, inbound });
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, HOUR_AGO) })).status).toBe(200);
    now += 23 * HOUR;
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, HOUR_AGO) })).json.code).toBe("ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW");
  });

  it("POST /__sandbox/inbound opens the window (at defaults to now), and an older message does not close it", async () => {
    const box = await sandbox({ now: clock });
    expect((await call(box, "/__sandbox/inbound", { body: { from: NEVER } })).json).toEqual({ from: NEVER, at: iso(NOW) });
    expect((await call(box, "/__sandbox/inbound", { body: { from: NEVER, at: iso(NOW - 30 * HOUR) } })).status).toBe(200);
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, NEVER) })).status).toBe(200);
  });

  it("addInbound() does the same in-process", async () => {
    const box = await sandbox({ now: clock });
    box.addInbound(NEVER, iso(NOW - 2 * HOUR));
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, NEVER) })).status).toBe(200);
    expect(() => box.addInbound("0604")).toThrow(SandboxConfigError);
  });
});

describe("--inbound files", () => {
  it.each([
    ["CSV with a header", "inbound.csv", `number,time\n${HOUR_AGO},${iso(NOW - HOUR)}\n${DAY_AND_HOUR_AGO},${iso(NOW - 25 * HOUR)}\n`],
    ["CSV without a header (number, time)", "plain.csv", `${HOUR_AGO},${iso(NOW - HOUR)}\r\n${DAY_AND_HOUR_AGO},${iso(NOW - 25 * HOUR)}\r\n`],
    ["CSV with named columns in another order", "named.csv", `at,from\n${iso(NOW - HOUR)},${HOUR_AGO}\n${iso(NOW - 25 * HOUR)},${DAY_AND_HOUR_AGO}\n`],
    ["NDJSON", "inbound.ndjson", `{"number":"${HOUR_AGO}","time":"${iso(NOW - HOUR)}"}\n\n{"from":"${DAY_AND_HOUR_AGO}","at":"${iso(NOW - 25 * HOUR)}"}\n`],
  ])("%s", async (_name, file, content) => {
    const path = join(dir, file);
    writeFileSync(path, content);
    const box = await sandbox({ now: clock, inbound: path });
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, HOUR_AGO) })).status).toBe(200);
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, DAY_AND_HOUR_AGO) })).json.code).toBe("ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW");
    expect((await call(box, SESSION_PATH, { body: session({ text: "hi" }, NEVER) })).json.code).toBe("ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION");
  });

  it.each([
    ["a missing file", "missing.csv", undefined, /^cannot read inbound file .*missing\.csv: ENOENT$/],
    ["a bad number", "bad-number.csv", "number,time\n6045550001,2026-03-10T11:00:00Z\n", /: entry 1: "from" must be an E\.164 number/],
    ["a bad time", "bad-time.ndjson", `{"from":"${NEVER}","at":"yesterday"}\n`, /: entry 1: "at" must be an ISO 8601 date-time/],
    ["bad JSON", "bad.ndjson", `{"from":"${NEVER}"}\n{oops\n`, /: line 2 is not valid JSON$/],
    ["a header without a number column", "no-number.csv", "name,time\nAna,2026-03-10T11:00:00Z\n", /the header has no number column/],
  ])("%s is a SandboxConfigError", async (_name, file, content, message) => {
    const path = join(dir, file);
    if (content !== undefined) writeFileSync(path, content);
    const failure = startSandbox({ apiKey: KEY, now: clock, inbound: path });
    await expect(failure).rejects.toThrow(SandboxConfigError);
    await expect(failure).rejects.toThrow(message);
  });

  it("a FIFO or a device is refused at once, never read (a FIFO nobody writes would hang the start, /dev/zero fill the memory)", async () => {
    const fifo = join(dir, "inbound.fifo");
    execFileSync("mkfifo", [fifo]);
    for (const path of [fifo, "/dev/zero"]) {
      const failure = startSandbox({ apiKey: KEY, now: clock, inbound: path });
      await expect(failure).rejects.toThrow(new SandboxConfigError(`inbound file ${path} is not a regular file`));
    }
  });
});
