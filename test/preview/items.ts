import type { PlanItem, SendMessageBody, SendTemplateBody } from "../../src/compiler/plan.js";
import { SESSION_PATH, TEMPLATE_PATH } from "../../src/compiler/plan.js";

/** Hand-made plan items, one per content kind, as the compiler emits them. */

const recipient = { id: "{recipient}", channelType: "whatsapp" as const };

function session(message: SendMessageBody["message"], extra: Partial<SendMessageBody> = {}): PlanItem["session"] {
  return { method: "POST", path: SESSION_PATH, body: { ...(extra.sender ? { sender: extra.sender } : {}), recipient: extra.recipient ?? recipient, message, ...(extra.campaignName ? { campaignName: extra.campaignName } : {}), ...(extra.callbackData !== undefined ? { callbackData: extra.callbackData } : {}) } };
}

function template(body: Omit<SendTemplateBody, "number"> & { number?: string }): PlanItem["template"] {
  return { method: "POST", path: TEMPLATE_PATH, body: { number: body.number ?? "{recipient}", ...body } as SendTemplateBody };
}

function sample(message: string, name: string, fields: Partial<PlanItem>): PlanItem {
  return { key: `${message}/sample:${name}`, spec: `specs/messages/${message}.yaml`, window: "auto", lastInboundAt: null, ...fields };
}

export const CONTENT_KINDS: Record<string, PlanItem> = {
  text: sample("greeting", "ana", {
    window: "session",
    session: session({ text: "Hi *Ana*! Your _order_ is ~late~ on time.\nCode: ```AB 12```" }),
  }),
  buttons: sample("order-shipped", "ana", {
    session: session(
      {
        text: "Hi Ana! Order #12345 is on its way.",
        replyButtonMessage: {
          buttons: [{ id: "track", text: "Track" }, { id: "help", text: "Help" }],
          header: { text: "Shipped" },
          footer: { text: "Lucky Shrub" },
        },
      },
      { sender: { id: "+14151111234", channelType: "whatsapp" } },
    ),
    template: template({
      templateName: "order_shipped_v2",
      language: "en_US",
      parameters: [
        { name: "header_text", value: "Shipped" },
        { name: "body_1", value: "Ana" },
        { name: "body_2", value: "12345" },
        { name: "button_1_url", value: "12345" },
      ],
      sender: "+14151111234",
    }),
  }),
  list: sample("shipping-options", "default", {
    window: "session",
    session: session({
      text: "Choose a shipping option",
      listMessage: {
        button: { text: "Options" },
        header: { text: "Shipping" },
        footer: { text: "Lucky Shrub" },
        sections: [
          { title: "Speed", rows: [{ id: "fast", text: "Express", description: "1–2 days" }, { id: "slow", text: "Standard" }] },
          { title: "Pickup", rows: [{ id: "store", text: "In store", description: "Ready tomorrow" }] },
        ],
      },
    }),
  }),
  attachment: sample("invoice", "march", {
    window: "session",
    session: session({
      attachments: [{ type: "document", url: "https://cdn.example.com/inv/42.pdf", filename: "invoice-42.pdf", caption: "Your *March* invoice" }],
    }),
  }),
  "media-header": sample("new-arrivals", "spring", {
    window: "session",
    session: session({
      text: "New plants are in!",
      replyButtonMessage: {
        buttons: [{ id: "shop", text: "Shop now" }],
        header: { attachment: { type: "image", url: "https://cdn.example.com/spring.jpg" } },
      },
    }),
  }),
  location: sample("store-location", "main", {
    window: "session",
    session: session({ location: { latitude: 37.48, longitude: -122.14, name: "Lucky Shrub HQ", address: "1 Main St" } }),
  }),
  product: sample("featured-product", "fern", {
    window: "session",
    session: session({
      text: "Our plant of the week",
      singleProductMessage: { catalogId: "cat-1", productItem: { productRetailerId: "fern-42" }, footer: { text: "While stocks last" } },
    }),
  }),
  template: sample("reminder", "ana", {
    window: "template",
    template: template({
      templateName: "appointment_reminder",
      language: "es",
      parameters: [
        { name: "header_document", value: "https://cdn.example.com/a.pdf", filename: "cita.pdf" },
        { name: "body_1", value: "Ana" },
        { name: "body_2", value: "martes 10:00" },
        { name: "button_1_url", value: "abc" },
        { name: "button_2_url", value: "def" },
      ],
      campaignName: "reminders",
      callbackData: { source: "msgc" },
    }),
  }),
  campaign: {
    key: "spring-sale/+16045852331",
    spec: "specs/campaigns/spring-sale.yaml",
    window: "auto",
    lastInboundAt: "2026-11-24T06:00:00Z",
    session: session({ text: "Hi Bo, 20% off this week" }, { recipient: { id: "+16045852331", channelType: "whatsapp" }, campaignName: "spring_sale" }),
    template: template({ number: "+16045852331", templateName: "spring_sale", language: "en", parameters: [{ name: "body_1", value: "Bo" }], campaignName: "spring_sale" }),
  },
  sms: {
    key: "pickup-day/+16045852331",
    spec: "specs/campaigns/pickup-day.yaml",
    channel: "sms",
    sms: {
      method: "POST",
      path: "/v1/businesses/{businessId}/send/messages",
      body: {
        sender: { id: "+14155550100", channelType: "sms" },
        recipient: { id: "+16045852331", channelType: "sms" },
        message: { text: "Hi *Bo*, it’s ready at “Main St” — _today_ only. Reply STOP to opt out of these messages from our store, thanks!" },
        campaignName: "pickup_day",
        callbackData: { kind: "pickup" },
      },
    },
  },
  "sms-gsm": {
    key: "otp/sample:one",
    spec: "specs/messages/otp.yaml",
    channel: "sms",
    sms: {
      method: "POST",
      path: "/v1/businesses/{businessId}/send/messages",
      body: { recipient: { id: "{recipient}", channelType: "sms" }, message: { text: "123456 is your *code* [valid 10 min] ~ msgc" } },
    },
  },
  hostile: sample("hostile", "attack", {
    session: session({
      text: "<script>alert(1)</script> \"><img src=x onerror=alert(2)> \u001b[31mred\u001b[0m @everyone [link](javascript:alert(3))",
      replyButtonMessage: { buttons: [{ id: "<b>", text: "</div><script>alert(4)</script>" }], footer: { text: "<!-- -->" } },
    }),
    template: template({ templateName: "t", language: "en", parameters: [{ name: "body_1", value: "<img src=x onerror=alert(5)>" }] }),
  }),
};

/** A fixed clock: 2026-11-24T08:00:00Z, two hours after the campaign item's last inbound. */
export const NOW = Date.parse("2026-11-24T08:00:00Z");
