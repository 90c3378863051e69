import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { compileCampaign, compileRow, type CompiledCampaign } from "../../src/compiler/campaign.js";
import { compileMessage, type CompiledMessage } from "../../src/compiler/message.js";
import type { CampaignSpec } from "../../src/types/campaign.generated.js";
import type { MessageSpec } from "../../src/types/message.generated.js";
import { expectValidRequests } from "./connectly-schemas.js";

function message(yaml: string): CompiledMessage {
  const compiled = compileMessage(YAML.parse(yaml) as MessageSpec, "specs/messages/m.yaml");
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return compiled.message!;
}

const orderShipped = message(`
kind: Message
name: order-shipped
sender: "+14151111234"
vars:
  first_name: { type: string, maxLength: 40 }
  order_id: { type: string, pattern: "^[0-9]{5,}$" }
  qty: { type: integer, required: false }
  coupon: { type: string, required: false }
session:
  text: "Hi {{first_name}}! Order #{{order_id}}{{#if coupon}} ({{coupon}}){{/if}}"
  buttons: [{ id: track, text: "Track {{order_id}}" }]
template:
  name: order_shipped_v2
  language: en_US
  body: ["{{first_name}}", "{{order_id}}"]
locales:
  es:
    session: { text: "¡Hola {{first_name}}! Pedido #{{order_id}}" }
    template: { language: es }
`);

function campaign(spec: Partial<CampaignSpec> & { audience?: CampaignSpec["audience"] }, msg = orderShipped): { campaign?: CompiledCampaign; diagnostics: unknown[] } {
  return compileCampaign(
    { kind: "Campaign", name: "spring-sale-2026", message: msg.name, audience: { file: "../audiences/spring.csv" }, ...spec } as CampaignSpec,
    "specs/campaigns/spring.yaml",
    msg,
  );
}

const spring = campaign({
  campaignName: "spring_sale_2026",
  audience: { file: "../audiences/spring.csv", phone: "mobile", locale: "lang", lastInboundAt: "last_seen", columns: { first_name: "fname" } },
  vars: { coupon: "SPRING10" },
}).campaign!;

describe("compileCampaign", () => {
  it("mapping: resolved once", () => {
    expect(spring.audienceFile).toBe("specs/audiences/spring.csv");
    expect(spring.phoneColumn).toBe("mobile");
    expect(spring.localeColumn).toBe("lang");
    expect(spring.lastInboundAtColumn).toBe("last_seen");
    expect(spring.columns).toEqual([
      ["first_name", "fname"],
      ["order_id", "order_id"],
      ["qty", "qty"],
      ["coupon", "coupon"],
    ]);
    expect(spring.campaignName).toBe("spring_sale_2026");
    expect(spring.sender).toBe("+14151111234");
    expect(spring.window).toBe("auto");
  });

  const cases: Array<[string, Partial<CampaignSpec>, MessageSpec | undefined, Array<[string, string, string, string]>]> = [
    ["vars: undeclared constant", { vars: { colour: "red" } }, undefined, [["var-unknown", "error", "vars.colour", "colour is not a declared var of the message"]]],
    ["vars: constant of the wrong type", { vars: { qty: "many" } }, undefined, [["var-invalid", "error", "vars.qty", 'qty "many" is not an integer']]],
    ["vars: constant breaking the pattern", { vars: { order_id: "x" } }, undefined, [["var-invalid", "error", "vars.order_id", 'order_id "x" does not match ^[0-9]{5,}$']]],
    ["columns: rename of an undeclared var", { audience: { file: "a.csv", columns: { colour: "c" } } }, undefined, [["var-unknown", "error", "audience.columns.colour", "audience.columns renames colour, which is not a declared var of message order-shipped"]]],
    ["window: session without a session form", { window: "session" }, { kind: "Message", name: "t", template: { name: "t", language: "en" } }, [["window-needs-session", "error", "window", "window is session but message t has no session form"]]],
    ["window: template without a template form", { window: "template" }, { kind: "Message", name: "s", session: { text: "x" } }, [["window-needs-template", "error", "window", "window is template but message s has no template form"]]],
    ["window: auto without a template form", { window: "auto" }, { kind: "Message", name: "s", session: { text: "x" } }, [["no-template-fallback", "warning", "window", "window is auto but message s has no template form: recipients outside the 24-hour window will fail"]]],
  ];
  for (const [name, spec, msgSpec, expected] of cases) {
    it(name, () => {
      const msg = msgSpec ? compileMessage(msgSpec, "m.yaml").message! : orderShipped;
      const result = campaign(spec, msg);
      expect((result.diagnostics as Array<{ code: string; severity: string; path: string[]; message: string }>).map((d) => [d.code, d.severity, d.path.join("."), d.message])).toEqual(expected);
    });
  }

  it("campaignName: defaults to the campaign name; sender overrides the message's", () => {
    const c = campaign({ sender: "+14152222222" }).campaign!;
    expect(c.campaignName).toBe("spring-sale-2026");
    expect(c.sender).toBe("+14152222222");
    expect(c.phoneColumn).toBe("phone");
  });
});

describe("compileRow", () => {
  const good = { mobile: "+1 (604) 585-2331", fname: "Ana", order_id: "12345", qty: "2", lang: "", last_seen: "" };

  it("row: compiles to the exact plan item", () => {
    const result = compileRow(spring, good, 1, { fromStrings: true });
    expect(result.diagnostics).toEqual([]);
    expect(result.number).toBe("+16045852331");
    expect(JSON.stringify(result.item)).toBe(
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
            ],
            sender: "+14151111234",
            campaignName: "spring_sale_2026",
          },
        },
        session: {
          method: "POST",
          path: "/v1/businesses/{businessId}/send/messages",
          body: {
            sender: { id: "+14151111234", channelType: "whatsapp" },
            recipient: { id: "+16045852331", channelType: "whatsapp" },
            message: { text: "Hi Ana! Order #12345 (SPRING10)", replyButtonMessage: { buttons: [{ id: "track", text: "Track 12345" }] } },
            campaignName: "spring_sale_2026",
          },
        },
      }),
    );
    expectValidRequests([result.item!]);
  });

  it("row: a column wins over the campaign constant; locale and lastInboundAt are read", () => {
    const result = compileRow(spring, { ...good, coupon: "VIP", lang: "es-MX", last_seen: "2026-11-23T18:00:00+01:00" }, 2, { fromStrings: true });
    expect(result.item?.lastInboundAt).toBe("2026-11-23T18:00:00+01:00");
    expect(result.item?.session?.body.message.text).toBe("¡Hola Ana! Pedido #12345");
    expect(result.item?.template?.body.language).toBe("es");
    const vip = compileRow(spring, { ...good, coupon: "VIP" }, 2, { fromStrings: true });
    expect(vip.item?.session?.body.message.text).toBe("Hi Ana! Order #12345 (VIP)");
    expectValidRequests([result.item!, vip.item!]);
  });

  it("row: JSON values (NDJSON) are not converted", () => {
    const result = compileRow(spring, { mobile: "+16045852331", fname: "Ana", order_id: "12345", qty: 2 }, 3, { fromStrings: false });
    expect(result.diagnostics).toEqual([]);
    const wrong = compileRow(spring, { mobile: "+16045852331", fname: "Ana", order_id: "12345", qty: "2" }, 3, { fromStrings: false });
    expect(wrong.diagnostics.map((d) => d.message)).toEqual(['qty "2" is not an integer']);
  });

  it("row: window override keeps only the template form", () => {
    const c = campaign({ window: "template" }).campaign!;
    const result = compileRow(c, { phone: "+16045852331", first_name: "Ana", order_id: "12345" }, 1, { fromStrings: true });
    expect(result.item?.window).toBe("template");
    expect(result.item?.session).toBeUndefined();
    expect(result.item?.template?.body.campaignName).toBe("spring-sale-2026");
  });

  const bad: Array<[string, Record<string, unknown>, Array<[string, string | undefined, string]>]> = [
    ["phone: invalid number", { ...good, mobile: "+1 555 555 5555" }, [["phone-invalid", "mobile", '"+1555•••5555" is not a valid phone number for its country code']]],
    ["phone: missing", { ...good, mobile: "" }, [["phone-invalid", "mobile", "mobile is empty"]]],
    ["phone: national format", { ...good, mobile: "(604) 585-2331" }, [["phone-invalid", "mobile", '"•••31" is not in international format: start it with + and the country code']]],
    ["order_id: pattern", { ...good, order_id: "12a" }, [["var-invalid", "order_id", 'order_id "12a" does not match ^[0-9]{5,}$']]],
    ["fname: renamed column missing", { ...good, fname: undefined }, [["var-missing", "fname", "first_name is required but has no value"]]],
    ["qty: not an integer", { ...good, qty: "two" }, [["var-invalid", "qty", 'qty "two" is not an integer']]],
    ["last_seen: not ISO 8601", { ...good, last_seen: "yesterday" }, [["audience-row-invalid", "last_seen", 'last_seen "yesterday" is not an ISO 8601 date-time with a time zone (e.g. 2026-05-01T10:00:00Z)']]],
    ["last_seen: no time zone", { ...good, last_seen: "2026-11-23T18:00:00" }, [["audience-row-invalid", "last_seen", 'last_seen "2026-11-23T18:00:00" is not an ISO 8601 date-time with a time zone (e.g. 2026-05-01T10:00:00Z)']]],
    ["last_seen: impossible date", { ...good, last_seen: "2026-13-40T18:00:00Z" }, [["audience-row-invalid", "last_seen", 'last_seen "2026-13-40T18:00:00Z" is not an ISO 8601 date-time with a time zone (e.g. 2026-05-01T10:00:00Z)']]],
    ["fname: rendered limit", { ...good, fname: "Bartholomew", coupon: "C".repeat(10) }, []],
    ["order_id: button title too long once rendered", { ...good, order_id: "123456789012345" }, [["button-title-too-long", undefined, 'Button title "Track 123456789012345" is 21 characters; WhatsApp allows 20 (session.buttons[0].text)']]],
  ];
  for (const [name, row, expected] of bad) {
    it(name, () => {
      const result = compileRow(spring, row, 118, { fromStrings: true });
      expect(result.diagnostics.map((d) => [d.code, d.field, d.message])).toEqual(expected);
      for (const d of result.diagnostics) {
        expect(d.file).toBe("specs/audiences/spring.csv");
        expect(d.row).toBe(118);
      }
      expect(result.item === undefined).toBe(expected.length > 0);
    });
  }

  it("phone: a number is returned even when the row has other problems (for duplicate detection)", () => {
    const result = compileRow(spring, { ...good, order_id: "x" }, 5, { fromStrings: true });
    expect(result.number).toBe("+16045852331");
    expect(result.item).toBeUndefined();
  });
});
