import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { foldKeyword, optOutKeywords, parseWebhook, timestampOf } from "../../src/webhooks/parse-event.js";
import { signWebhook, signatureMatches } from "../../src/webhooks/signature.js";

const AT = "2026-12-02T00:00:00.000Z";
const KEYWORDS = optOutKeywords({ keywords: ["baja", "  Darse de baja "], optInKeywords: ["alta"] });

function parse(body: unknown): ReturnType<typeof parseWebhook> {
  const raw = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  return parseWebhook(raw, AT, KEYWORDS);
}

function statusBody(extra: Record<string, unknown> = {}, update: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    topic: "delivery_status",
    timestamp: "1639083206",
    sender: { id: "+14155550100", channelType: "whatsapp" },
    recipient: { id: "+16045852331", channelType: "whatsapp" },
    statusUpdate: { id: "msg-1", status: "delivered", error: null, ...update },
    ...extra,
  };
}

function inbound(text: string | undefined, sender: Record<string, unknown> = { id: "16045852331", channelType: "whatsapp" }): Record<string, unknown> {
  return { timestamp: "1639083206", sender, recipient: { id: "+14155550100" }, message: text === undefined ? { attachments: [{ type: "image", url: "https://x/y.jpg" }] } : { text } };
}

describe("parseWebhook: delivery_status", () => {
  test("status: every field read, metadata at the top in snake case", () => {
    const raw = JSON.stringify(statusBody({ metadata: { campaign_name: "spring" }, callbackData: { msgc: "tok-1", order: 7 } }));
    const { event, effects } = parseWebhook(Buffer.from(raw), AT, KEYWORDS);
    expect(event).toEqual({
      topic: "delivery_status",
      deliveryId: createHash("sha256").update(raw).digest("hex"),
      messageId: "msg-1",
      status: "delivered",
      errorCode: null,
      errorMessage: null,
      customer: "+16045852331",
      campaign: "spring",
      token: "tok-1",
      occurredAt: "2021-12-09T20:53:26.000Z",
      receivedAt: AT,
      raw,
    });
    expect(effects).toEqual({});
  });

  test("campaign: nested statusUpdate.metadata.campaignName (the other documented variant)", () => {
    expect(parse(statusBody({ metadata: null }, { metadata: { campaignName: "autumn" } })).event.campaign).toBe("autumn");
  });

  test("callbackData: a JSON string carries the token too", () => {
    expect(parse(statusBody({ callbackData: JSON.stringify({ msgc: "tok-2" }) })).event.token).toBe("tok-2");
  });

  test.each([
    ["a string that is not JSON", "order-7"],
    ["a JSON array", "[1,2]"],
    ["an object without msgc", { order: 7 }],
    ["msgc not a string", { msgc: 12 }],
  ])("callbackData: %s has no token", (_name, callbackData) => {
    expect(parse(statusBody({ callbackData })).event.token).toBeNull();
  });

  test("delivery_failed: error code and message kept; opted-out error suppresses with reason error", () => {
    const error = { code: "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT", message: "opted out", type: "ERROR_TYPE_INVALID_REQUEST" };
    const { event, effects } = parse(statusBody({}, { status: "delivery_failed", error }));
    expect([event.status, event.errorCode, event.errorMessage]).toEqual(["delivery_failed", "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT", "opted out"]);
    expect(effects).toEqual({ suppress: { number: "+16045852331", reason: "error", at: "2021-12-09T20:53:26.000Z", source: "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT" } });
  });

  test("delivery_failed: any other error suppresses nobody", () => {
    const error = { code: "ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW", message: "window" };
    expect(parse(statusBody({}, { status: "delivery_failed", error })).effects).toEqual({});
  });

  test("status: one msgc does not know is kept as null, the event still stored", () => {
    const { event } = parse(statusBody({}, { status: "queued" }));
    expect([event.topic, event.status, event.messageId]).toEqual(["delivery_status", null, "msg-1"]);
  });

  test("topic: a body without a topic but with statusUpdate is a delivery status", () => {
    const body = statusBody();
    delete body["topic"];
    expect(parse(body).event.topic).toBe("delivery_status");
  });
});

describe("parseWebhook: messages", () => {
  test("inbound: sender number in E.164, its timestamp opens the window", () => {
    const { event, effects } = parse(inbound("hello"));
    expect([event.topic, event.customer, event.occurredAt]).toEqual(["messages", "+16045852331", "2021-12-09T20:53:26.000Z"]);
    expect(effects).toEqual({ inbound: { number: "+16045852331", at: "2021-12-09T20:53:26.000Z" } });
  });

  test.each([["STOP"], ["stop"], [" Stop \n"], ["opt out"], ["O P T O U T"], ["unsubscribe"], ["S\u200bTOP"], ["ＳＴＯＰ"], ["Baja"], ["darse de BAJA"]])(
    "opt-out keyword: %j suppresses with reason keyword",
    (text) => {
      const { effects } = parse(inbound(text));
      expect(effects.suppress).toEqual({ number: "+16045852331", reason: "keyword", at: "2021-12-09T20:53:26.000Z", source: foldKeyword(text) });
      expect(effects.inbound).toEqual({ number: "+16045852331", at: "2021-12-09T20:53:26.000Z" });
    },
  );

  test.each([["please stop"], ["STOP!"], ["stopp"], [""], ["STOP sending"]])("not a keyword: %j suppresses nobody", (text) => {
    expect(parse(inbound(text)).effects).toEqual({ inbound: { number: "+16045852331", at: "2021-12-09T20:53:26.000Z" } });
  });

  test.each([["START"], ["unstop"], [" subscribe"], ["Alta"]])("opt-in keyword: %j unsuppresses", (text) => {
    expect(parse(inbound(text)).effects.unsuppress).toEqual({ number: "+16045852331", at: "2021-12-09T20:53:26.000Z" });
  });

  test("a timestamp after it was received (a sender's clock) counts as the time received: it cannot hold the window open, nor outlast every START", () => {
    const future = { ...inbound("STOP"), timestamp: "32503680000" };
    const { event, effects } = parse(future);
    expect(event.occurredAt).toBe("3000-01-01T00:00:00.000Z");
    expect(effects).toEqual({ inbound: { number: "+16045852331", at: AT }, suppress: { number: "+16045852331", reason: "keyword", at: AT, source: "STOP" } });
    expect(parse({ ...inbound("START"), timestamp: "32503680000" }).effects.unsuppress).toEqual({ number: "+16045852331", at: AT });
    const failed = statusBody({ timestamp: "32503680000" }, { status: "delivery_failed", error: { code: "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT" } });
    expect(parse(failed).effects.suppress?.at).toBe(AT);
  });

  test("ids longer than 512 characters are left out (the raw body keeps them); 512 is kept", () => {
    const long = "x".repeat(513);
    const { event } = parse(statusBody({ callbackData: { msgc: long }, metadata: { campaign_name: long } }, { id: long, status: "delivery_failed", error: { code: long } }));
    expect([event.messageId, event.token, event.campaign, event.errorCode, event.customer]).toEqual([null, null, null, null, "+16045852331"]);
    expect(parse(inbound("STOP", { id: long })).effects).toEqual({});
    expect(parse(statusBody({}, { id: "y".repeat(512) })).event.messageId).toBe("y".repeat(512));
  });

  test("attachments only: inbound, no keyword", () => {
    expect(parse(inbound(undefined)).effects).toEqual({ inbound: { number: "+16045852331", at: "2021-12-09T20:53:26.000Z" } });
  });

  test("BSUID: phoneNumber is the number; a phone-less customer keeps its id as sent", () => {
    expect(parse(inbound("STOP", { id: "bsuid-abc", phoneNumber: "+1 604 585 2331" })).effects.suppress?.number).toBe("+16045852331");
    expect(parse(inbound("hi", { id: "bsuid-abc", phoneNumber: "" })).event.customer).toBe("bsuid-abc");
  });

  test("no timestamp: the received time opens the window", () => {
    const body = inbound("hi");
    delete body["timestamp"];
    expect(parse(body).effects.inbound).toEqual({ number: "+16045852331", at: AT });
  });
});

describe("parseWebhook: anything else is kept raw", () => {
  test.each([
    ["not JSON", "not json {"],
    ["JSON but not an object", "[1,2,3]"],
    ["an object of no known shape", "{\"hello\":1}"],
  ])("%s: topic unknown, raw kept, no effects", (_name, text) => {
    const { event, effects } = parse(text);
    expect([event.topic, event.raw, event.messageId, event.customer]).toEqual(["unknown", text, null, null]);
    expect(effects).toEqual({});
  });

  test("a topic msgc does not know: stored under its own name", () => {
    expect(parse({ topic: "conversation_closed", sender: { id: "+16045852331" } }).event.topic).toBe("conversation_closed");
  });

  test("not UTF-8: kept as base64 with its prefix", () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    expect(parseWebhook(body, AT, KEYWORDS).event.raw).toBe(`base64:${body.toString("base64")}`);
  });
});

describe("optOutKeywords and timestampOf", () => {
  test("keywords: a word in both lists stays an opt-out", () => {
    const keywords = optOutKeywords({ optInKeywords: ["stop"] });
    expect(keywords.optOut.has("STOP")).toBe(true);
    expect(keywords.optIn.has("STOP")).toBe(false);
  });

  test.each([
    ["1639083206", "2021-12-09T20:53:26.000Z"],
    [1639083206, "2021-12-09T20:53:26.000Z"],
    ["1639083206123", "2021-12-09T20:53:26.123Z"],
    ["2021-12-09T20:53:26Z", "2021-12-09T20:53:26.000Z"],
    ["yesterday", null],
    ["1e400", null],
    [null, null],
    ["99999999999999999999999", null],
  ])("timestamp: %j -> %j", (value, expected) => {
    expect(timestampOf(value)).toBe(expected);
  });

  test("an ISO time without a zone is UTC, whatever the receiver's time zone", () => {
    const zone = process.env["TZ"];
    process.env["TZ"] = "America/Vancouver";
    try {
      expect(timestampOf("2021-12-09T20:53:26")).toBe("2021-12-09T20:53:26.000Z");
      expect(timestampOf("2021-12-09T20:53:26.5")).toBe("2021-12-09T20:53:26.500Z");
      expect(timestampOf("2021-12-09T20:53:26-08:00")).toBe("2021-12-10T04:53:26.000Z");
      expect(timestampOf("2021-12-09T20:53:26+0530")).toBe("2021-12-09T15:23:26.000Z");
    } finally {
      if (zone === undefined) delete process.env["TZ"];
      else process.env["TZ"] = zone;
    }
  });
});

describe("signature", () => {
  const body = Buffer.from('{"topic":"delivery_status"}');
  test("signature: the base64 HMAC-SHA256 of the raw body matches", () => {
    expect(signatureMatches(body, "s3cret", signWebhook(body, "s3cret"))).toBe(true);
  });

  test.each([
    ["missing", undefined],
    ["empty", ""],
    ["another secret's", signWebhook(body, "other")],
    ["of another body", signWebhook("{}", "s3cret")],
    ["hex instead of base64", "x".repeat(64)],
    ["repeated header", ["a", "b"]],
  ])("signature: %s does not match", (_name, given) => {
    expect(signatureMatches(body, "s3cret", given)).toBe(false);
  });
});
