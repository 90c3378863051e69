import { describe, expect, it } from "vitest";
import { call, NUMBER, SESSION_PATH, TEMPLATE_PATH, sandbox, session, template, ULID } from "./helpers.js";

const inWindow = { inbound: [{ from: NUMBER }] };

/** Rows as [name, code, body, field]: the title shows the case and the code, never the body. */
function titled(cases: [string, unknown, string, string][]): [string, string, unknown, string][] {
  return cases.map(([name, body, code, field]) => [name, code, body, field]);
}

const image = (url: unknown) => ({ type: "image", url });

describe("accepted requests", () => {
  it.each([
    ["text", { text: "Your order shipped" }],
    ["attachment", { attachments: [{ type: "document", url: "https://cdn.example.com/invoice.pdf", filename: "invoice.pdf", caption: "Invoice" }] }],
    ["location", { location: { latitude: 37.48, longitude: -122.14, name: "HQ", address: "1 Main St" } }],
    ["list", { text: "Pick", listMessage: { button: { text: "Options" }, sections: [{ title: "Speed", rows: [{ id: "fast", text: "Express" }] }] } }],
    ["reply buttons with a media header", { text: "Pick", replyButtonMessage: { header: { attachment: image("https://cdn.example.com/a.png") }, buttons: [{ id: "y", text: "Yes" }] } }],
    ["product without text", { singleProductMessage: { catalogId: "c1", productItem: { productRetailerId: "sku-1" } } }],
  ])("session %s: 200 with a ULID", async (_kind, message) => {
    const box = await sandbox(inWindow);
    const reply = await call(box, SESSION_PATH, { body: { sender: { id: "+14151111234", channelType: "whatsapp" }, ...session(message) } });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.json)).toEqual(["id"]);
    expect(reply.json.id).toMatch(ULID);
    expect(reply.headers["content-type"]).toBe("application/json");
  });

  it("template without a templates file: any template, 200 with a ULID", async () => {
    const box = await sandbox();
    const reply = await call(box, TEMPLATE_PATH, { body: template({ templateName: "anything", parameters: [{ name: "body_1", value: "Ana" }], sender: "+14151111234", campaignName: "c", callbackData: { k: 1 } }) });
    expect(reply.status).toBe(200);
    expect(reply.json.id).toMatch(ULID);
  });

  it("ids increase monotonically", async () => {
    const box = await sandbox();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await call(box, TEMPLATE_PATH, { body: template() })).json.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(5);
  });
});

describe("the error body", () => {
  it("has Connectly's seven fields, in Connectly's order", async () => {
    const box = await sandbox(inWindow);
    const reply = await call(box, SESSION_PATH, { body: session({ attachments: [image("https://a.example/1.png"), image("https://a.example/2.png")] }) });
    expect(reply.status).toBe(400);
    expect(Object.keys(reply.json)).toEqual(["message", "type", "code", "userTitle", "userMessage", "cntTraceId", "details"]);
    expect(reply.json).toEqual({
      message: "message.attachments has 2 items; exactly one is allowed",
      type: "ERROR_TYPE_INVALID_REQUEST",
      code: "ERROR_CODE_MESSAGE_ATTACHMENTS_NUMBER_INVALID",
      userTitle: "message.attachments has 2 items; exactly one is allowed",
      userMessage: `Pass along the connectly trace id '${reply.json.cntTraceId}' to the team for more information.`,
      cntTraceId: expect.stringMatching(/^\d{16}$/),
      details: { field: "message.attachments" },
    });
  });
});

const SESSION_CASES: [string, unknown, string, string][] = [
  ["recipient without +", session({ text: "hi" }, "16045852331"), "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "recipient.id"],
  ["recipient with spaces", session({ text: "hi" }, "+1 604 585 2331"), "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "recipient.id"],
  ["empty recipient", session({ text: "hi" }, ""), "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "recipient.id"],
  ["no recipient", { message: { text: "hi" } }, "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "recipient"],
  ["recipient id a number", { recipient: { id: 16045852331, channelType: "whatsapp" }, message: { text: "hi" } }, "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "recipient.id"],
  ["bad sender", { sender: { id: "main-line", channelType: "whatsapp" }, ...session() }, "ERROR_CODE_INVALID_SENDER_ID", "sender.id"],
  ["a channel the business has no number on", { recipient: { id: NUMBER, channelType: "telegram" }, message: { text: "hi" } }, "ERROR_CODE_BUSINESS_MISSES_MATCHING_CHANNEL", "recipient.channelType"],
  ["empty text", session({ text: "" }), "ERROR_CODE_MESSAGE_TEXT_EMPTY", "message.text"],
  ["blank text", session({ text: "  \n " }), "ERROR_CODE_MESSAGE_TEXT_EMPTY", "message.text"],
  ["empty message", session({}), "ERROR_CODE_MESSAGE_TEXT_EMPTY", "message"],
  ["list without body text", session({ listMessage: { button: { text: "Go" }, sections: [{ rows: [{ id: "a", text: "A" }] }] } }), "ERROR_CODE_MESSAGE_TEXT_EMPTY", "message.text"],
  ["two attachments", session({ attachments: [image("https://a.example/1.png"), image("https://a.example/2.png")] }), "ERROR_CODE_MESSAGE_ATTACHMENTS_NUMBER_INVALID", "message.attachments"],
  ["no attachment", session({ attachments: [] }), "ERROR_CODE_MESSAGE_ATTACHMENTS_NUMBER_INVALID", "message.attachments"],
  ["empty attachment url", session({ attachments: [image("")] }), "ERROR_CODE_MESSAGE_ATTACHMENT_EMPTY", "message.attachments[0].url"],
  ["missing attachment url", session({ attachments: [{ type: "image" }] }), "ERROR_CODE_MESSAGE_ATTACHMENT_EMPTY", "message.attachments[0].url"],
  ["unparsable attachment url", session({ attachments: [image("not a url")] }), "ERROR_CODE_MESSAGE_ATTACHMENT_INVALID", "message.attachments[0].url"],
  ["ftp attachment url", session({ attachments: [image("ftp://files.example/a.png")] }), "ERROR_CODE_MESSAGE_ATTACHMENT_INVALID", "message.attachments[0].url"],
  ["attachment url a number", session({ attachments: [image(42)] }), "ERROR_CODE_MESSAGE_ATTACHMENT_INVALID", "message.attachments[0].url"],
  ["empty header attachment url", session({ text: "Pick", replyButtonMessage: { header: { attachment: image("") }, buttons: [{ id: "y", text: "Yes" }] } }), "ERROR_CODE_MESSAGE_ATTACHMENT_EMPTY", "message.replyButtonMessage.header.attachment.url"],
  ["attachment type sticker", session({ attachments: [{ type: "sticker", url: "https://a.example/s.webp" }] }), "ERROR_CODE_INVALID_ARGUMENT", "message.attachments[0].type"],
  ["text with an attachment", session({ text: "hi", attachments: [image("https://a.example/1.png")] }), "ERROR_CODE_INVALID_ARGUMENT", "message.text"],
  ["two content kinds", session({ location: { latitude: 1, longitude: 2 }, singleProductMessage: { catalogId: "c", productItem: { productRetailerId: "p" } } }), "ERROR_CODE_INVALID_ARGUMENT", "message"],
  ["latitude out of range", session({ location: { latitude: 91, longitude: 2 } }), "ERROR_CODE_INVALID_ARGUMENT", "message.location.latitude"],
  ["snake_case field", session({ text: "Pick", list_message: {} }), "ERROR_CODE_INVALID_ARGUMENT", "message.list_message"],
  ["unknown top-level field", { ...session(), priority: "high" }, "ERROR_CODE_INVALID_ARGUMENT", "priority"],
  ["no message", { recipient: { id: NUMBER, channelType: "whatsapp" } }, "ERROR_CODE_INVALID_ARGUMENT", "message"],
  ["callbackData over 1024 bytes", { ...session(), callbackData: "x".repeat(1100) }, "ERROR_CODE_INVALID_ARGUMENT", "callbackData"],
  ["body an array", [], "ERROR_CODE_INVALID_ARGUMENT", "body"],
  ["body null", null, "ERROR_CODE_INVALID_ARGUMENT", "body"],
];

describe("send/messages rejections: 400 ERROR_TYPE_INVALID_REQUEST", () => {
  it.each(titled(SESSION_CASES))("%s -> %s", async (_name, code, body, field) => {
    const box = await sandbox(inWindow);
    const reply = await call(box, SESSION_PATH, { body });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code, details: { field } });
    expect(box.messages()).toHaveLength(0);
  });
});

const TEMPLATE_CASES: [string, unknown, string, string][] = [
  ["number without +", template({ number: "6045852331" }), "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "number"],
  ["formatted number", template({ number: "+1(604) 585 2331" }), "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "number"],
  ["empty number", template({ number: "" }), "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "number"],
  ["no number", { templateName: "t", language: "en" }, "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", "number"],
  ["sender an object", template({ sender: { id: "+14151111234" } }), "ERROR_CODE_INVALID_SENDER_ID", "sender"],
  ["sender not E.164", template({ sender: "main" }), "ERROR_CODE_INVALID_SENDER_ID", "sender"],
  ["empty template name", template({ templateName: "" }), "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", "templateName"],
  ["no language", { number: NUMBER, templateName: "t" }, "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", "language"],
  ["parameter body_16", template({ parameters: [{ name: "body_16", value: "x" }] }), "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", "parameters[0].name"],
  ["parameter without value", template({ parameters: [{ name: "body_1" }] }), "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", "parameters[0].value"],
  ["parameter with an unknown field", template({ parameters: [{ name: "body_1", value: "x", type: "text" }] }), "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", "parameters[0].type"],
  ["unknown field", template({ components: [] }), "ERROR_CODE_INVALID_ARGUMENT", "components"],
];

describe("send/whatsapp_templated_messages rejections: 400 ERROR_TYPE_INVALID_REQUEST", () => {
  it.each(titled(TEMPLATE_CASES))("%s -> %s", async (_name, code, body, field) => {
    const box = await sandbox();
    const reply = await call(box, TEMPLATE_PATH, { body });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code, details: { field } });
  });
});
