/**
 * The examples of the spec-language contract (design/spec-language.md), compiled: each gives the
 * payload (or the diagnostic) the contract shows.
 */
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { compileCampaign, compileRow } from "../../src/compiler/campaign.js";
import { compileMessage, compileSamples, renderMessage } from "../../src/compiler/message.js";
import { normalizePhone } from "../../src/compiler/phone.js";
import type { CampaignSpec } from "../../src/types/campaign.generated.js";
import type { MessageSpec } from "../../src/types/message.generated.js";
import { expectValidRequests } from "./connectly-schemas.js";

const MESSAGE_EXAMPLE = `# yaml-language-server: $schema=../../schema/message.schema.json
kind: Message
name: order-shipped
description: Shipping confirmation with tracking buttons    # optional
sender: "+14151111234"        # optional: which business number sends (E.164 syntax only)
vars:                         # the inputs; every var used in a template must be declared here
  first_name: { type: string, maxLength: 40 }
  order_id:   { type: string, pattern: "^[0-9]{5,}$" }
  tracking_url: { type: string, format: uri }
  coupon:     { type: string, required: false }      # optional var: may be absent
samples:                      # named example inputs: used by validate, build, preview and diff
  ana: { first_name: Ana, order_id: "12345", tracking_url: "https://t.example/12345" }
session:                      # free-form message, only inside the 24-hour window
  text: "Hi {{first_name}}! Order #{{order_id}} is on its way."
  buttons:
    - { id: track, text: Track }
    - { id: help, text: Help }
  footer: Lucky Shrub
template:                     # approved WhatsApp template, allowed at any time
  name: order_shipped_v2
  language: en_US
  body: ["{{first_name}}", "{{order_id}}"]
  buttons: ["{{order_id}}"]
window: auto                  # auto | session | template (see "The 24-hour window")
locales:                      # optional per-language overrides, chosen by the recipient's locale
  es:
    session: { text: "¡Hola {{first_name}}! Tu pedido #{{order_id}} va en camino." }
    template: { language: es }
`;

const CAMPAIGN_EXAMPLE = `# yaml-language-server: $schema=../../schema/campaign.schema.json
kind: Campaign
name: spring-sale-2026
message: order-shipped        # the Message spec's name
campaignName: spring_sale_2026  # Connectly's campaign tag; defaults to \`name\`
sender: "+14151111234"        # optional, overrides the message's
audience:
  file: ../audiences/spring.csv   # .csv (header row), .ndjson/.jsonl, or .json (array)
  phone: phone                # column with the recipient's number (default: phone)
  locale: locale              # optional column choosing a \`locales\` entry
  lastInboundAt: last_seen    # optional column (ISO 8601) for the 24-hour window
  columns: { first_name: fname }  # optional renames: var -> column; other vars match by name
vars: { coupon: SPRING10 }    # constants for every recipient; a column of the same name wins
window: auto                  # overrides the message's
rate: 50                      # messages per second, at most 200 (Connectly's documented limit)
`;

const messageSpec = YAML.parse(MESSAGE_EXAMPLE) as MessageSpec;
const compiled = compileMessage(messageSpec, "specs/messages/order-shipped.yaml");

describe("spec-language examples", () => {
  it("kind: Message example compiles without errors; the two vars its forms never use are unused-variable warnings", () => {
    // The contract's example declares tracking_url and coupon but no form of it uses them.
    expect(compiled.diagnostics.map((d) => [d.code, d.severity, d.path, d.message])).toEqual([
      ["unused-variable", "warning", ["vars", "tracking_url"], 'Var "tracking_url" is declared but no form uses it'],
      ["unused-variable", "warning", ["vars", "coupon"], 'Var "coupon" is declared but no form uses it'],
    ]);
    expect(compiled.message).toBeDefined();
  });

  it("kind: Message example's sample gives both forms, keyed <message>/sample:<sample>, to {recipient}", () => {
    const { items, diagnostics } = compileSamples(compiled.message!);
    expect(diagnostics).toEqual([]);
    expect(JSON.stringify(items)).toBe(
      JSON.stringify([
        {
          key: "order-shipped/sample:ana",
          spec: "specs/messages/order-shipped.yaml",
          window: "auto",
          lastInboundAt: null,
          template: {
            method: "POST",
            path: "/v1/businesses/{businessId}/send/whatsapp_templated_messages",
            body: {
              number: "{recipient}",
              templateName: "order_shipped_v2",
              language: "en_US",
              parameters: [
                { name: "body_1", value: "Ana" },
                { name: "body_2", value: "12345" },
                { name: "button_1_url", value: "12345" },
              ],
              sender: "+14151111234",
            },
          },
          session: {
            method: "POST",
            path: "/v1/businesses/{businessId}/send/messages",
            body: {
              sender: { id: "+14151111234", channelType: "whatsapp" },
              recipient: { id: "{recipient}", channelType: "whatsapp" },
              message: {
                text: "Hi Ana! Order #12345 is on its way.",
                replyButtonMessage: {
                  buttons: [
                    { id: "track", text: "Track" },
                    { id: "help", text: "Help" },
                  ],
                  footer: { text: "Lucky Shrub" },
                },
              },
            },
          },
        },
      ]),
    );
    expectValidRequests(items);
  });

  it("locales: the es entry replaces the session text and the template language", () => {
    const { item } = renderMessage(compiled.message!, {
      key: "k",
      spec: "s",
      recipient: "+16045852331",
      values: { first_name: "Ana", order_id: "12345", tracking_url: "https://t.example/12345" },
      locale: "es",
    });
    expect(item?.session?.body.message.text).toBe("¡Hola Ana! Tu pedido #12345 va en camino.");
    expect(item?.template?.body.language).toBe("es");
    expectValidRequests([item!]);
  });

  it("the compiled plan: a campaign row gives the plan item shown (plus the sender and URL button the example's message also has)", () => {
    const campaign = compileCampaign(YAML.parse(CAMPAIGN_EXAMPLE) as CampaignSpec, "specs/campaigns/spring.yaml", compiled.message!);
    expect(campaign.diagnostics).toEqual([]);
    const row = { phone: "+1 (604) 585-2331", fname: "Ana", order_id: "12345", tracking_url: "https://t.example/12345", locale: "", last_seen: "" };
    const { item, diagnostics } = compileRow(campaign.campaign!, row, 1, { fromStrings: true });
    expect(diagnostics).toEqual([]);
    const { session, ...rest } = item!;
    expect(JSON.stringify(rest)).toBe(
      JSON.stringify({
        key: "spring-sale-2026/+16045852331",
        spec: "specs/campaigns/spring.yaml",
        window: "auto",
        lastInboundAt: null,
        template: {
          method: "POST",
          path: "/v1/businesses/{businessId}/send/whatsapp_templated_messages",
          body: {
            number: "+16045852331",
            templateName: "order_shipped_v2",
            language: "en_US",
            parameters: [
              { name: "body_1", value: "Ana" },
              { name: "body_2", value: "12345" },
              { name: "button_1_url", value: "12345" },
            ],
            sender: "+14151111234",
            campaignName: "spring_sale_2026",
          },
        },
      }),
    );
    expect(session?.method).toBe("POST");
    expect(session?.path).toBe("/v1/businesses/{businessId}/send/messages");
    expectValidRequests([item!]);
  });

  it("campaign: a bad row is reported as <var> \"<value>\" does not match <pattern>", () => {
    const campaign = compileCampaign(YAML.parse(CAMPAIGN_EXAMPLE) as CampaignSpec, "specs/campaigns/spring.yaml", compiled.message!);
    const row = { phone: "+16045852331", fname: "Ana", order_id: "12a", tracking_url: "https://t.example/1" };
    const { diagnostics } = compileRow(campaign.campaign!, row, 118, { fromStrings: true });
    expect(diagnostics).toEqual([
      { code: "var-invalid", severity: "error", message: 'order_id "12a" does not match ^[0-9]{5,}$', file: "specs/audiences/spring.csv", path: [], row: 118, field: "order_id" },
    ]);
  });

  it("campaign: +1 (604) 585-2331 is normalized to +16045852331", () => {
    expect(normalizePhone("+1 (604) 585-2331")).toEqual({ number: "+16045852331" });
  });

  it("diagnostics: the button title example", () => {
    const spec = YAML.parse(MESSAGE_EXAMPLE) as MessageSpec;
    spec.session!.buttons![0]!.text = "Track your order today";
    const result = compileMessage(spec, "specs/messages/order-shipped.yaml");
    expect(result.diagnostics).toEqual([
      {
        code: "button-title-too-long",
        severity: "error",
        message: 'Button title "Track your order today" is 22 characters; WhatsApp allows 20',
        file: "specs/messages/order-shipped.yaml",
        path: ["session", "buttons", 0, "text"],
      },
    ]);
  });
});
