import { describe, expect, it } from "vitest";
import { call, NUMBER, SESSION_PATH, TEMPLATE_PATH, sandbox } from "./helpers.js";

const sms = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  sender: { id: "+14155550100", channelType: "sms" },
  recipient: { id: NUMBER, channelType: "sms" },
  message: { text: "Your code is 123456" },
  ...fields,
});

describe("SMS in the sandbox", () => {
  it("accepts an SMS with no inbound message (no 24-hour window) and counts its segments", async () => {
    const box = await sandbox();
    const reply = await call(box, SESSION_PATH, { body: sms({ campaignName: "otp", callbackData: { a: 1 } }) });
    expect(reply.status).toBe(200);
    expect((await call(box, SESSION_PATH, { body: sms({ message: { text: "a".repeat(161) } }) })).status).toBe(200);
    expect((await call(box, SESSION_PATH, { body: sms({ message: { text: "It’s " + "я".repeat(70) } }) })).status).toBe(200);
    expect(box.messages().map((m) => m.endpoint)).toEqual(["messages", "messages", "messages"]);
    expect(box.stats().sms).toEqual({ accepted: 3, segments: 1 + 2 + 2 });
    const stats = await call(box, "/__sandbox/stats", { method: "GET" });
    expect(stats.json.sms).toEqual({ accepted: 3, segments: 5 });
  });

  it("an SMS without a sender is accepted", async () => {
    const box = await sandbox();
    const { sender: _sender, ...body } = sms();
    expect((await call(box, SESSION_PATH, { body })).status).toBe(200);
  });

  it.each([
    ["an attachment", { message: { text: "hi", attachments: [{ type: "image", url: "https://x.test/a.png" }] } }, "ERROR_CODE_INVALID_ARGUMENT"],
    ["a location", { message: { location: { latitude: 1, longitude: 2 } } }, "ERROR_CODE_INVALID_ARGUMENT"],
    ["empty text", { message: { text: "  " } }, "ERROR_CODE_MESSAGE_TEXT_EMPTY"],
    ["no message", { message: undefined }, "ERROR_CODE_INVALID_ARGUMENT"],
    ["a WhatsApp sender", { sender: { id: "+14155550100", channelType: "whatsapp" } }, "ERROR_CODE_INVALID_ARGUMENT"],
    ["a WhatsApp recipient", { recipient: { id: NUMBER, channelType: "whatsapp" } }, "ERROR_CODE_INVALID_ARGUMENT"],
    ["a bad number", { recipient: { id: "604585", channelType: "sms" } }, "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT"],
    ["a bad sender", { sender: { id: "sender", channelType: "sms" } }, "ERROR_CODE_INVALID_SENDER_ID"],
    ["an unknown field", { priority: "high" }, "ERROR_CODE_INVALID_ARGUMENT"],
    ["too much callbackData", { callbackData: "x".repeat(2000) }, "ERROR_CODE_INVALID_ARGUMENT"],
  ])("refuses %s with 400 ERROR_TYPE_INVALID_REQUEST", async (_label, fields, code) => {
    const box = await sandbox();
    const reply = await call(box, SESSION_PATH, { body: sms(fields) });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code });
    expect(box.messages()).toEqual([]);
  });

  it("a business without SMS (channels: whatsapp) answers ERROR_CODE_BUSINESS_MISSES_MATCHING_CHANNEL", async () => {
    const box = await sandbox({ channels: ["whatsapp"] });
    const reply = await call(box, SESSION_PATH, { body: sms() });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ code: "ERROR_CODE_BUSINESS_MISSES_MATCHING_CHANNEL" });
    expect(box.stats().sms).toEqual({ accepted: 0, segments: 0 });
  });

  it("the template endpoint takes no SMS fields", async () => {
    const box = await sandbox();
    const reply = await call(box, TEMPLATE_PATH, { body: { number: NUMBER, templateName: "t", language: "en", channelType: "sms" } });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST" });
  });
});

describe("msgc sandbox --channels", () => {
  it("a value other than whatsapp and sms is a usage error (exit 64), one line", async () => {
    const { msgc } = await import("../cli/helpers.js");
    const r = msgc(["sandbox", "--channels", "whatsapp,email"]);
    expect(r.code).toBe(64);
    expect(r.stderr.split("\n")[0]).toBe('msgc sandbox: --channels must be whatsapp, sms or whatsapp,sms, got "whatsapp,email"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("an empty list, or an empty name in it, is refused too; a name twice counts once", async () => {
    const { parseSandboxArgs } = await import("../../src/cli/commands/sandbox.js");
    for (const raw of ["", "whatsapp,", " , "]) {
      expect(() => parseSandboxArgs(["--channels", raw], {}, "/")).toThrow(`msgc sandbox: --channels must be whatsapp, sms or whatsapp,sms, got "${raw}"`);
    }
    expect(parseSandboxArgs(["--channels", "sms, sms"], {}, "/").options.channels).toEqual(["sms"]);
  });
});
