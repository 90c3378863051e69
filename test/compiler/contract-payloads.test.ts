/**
 * The payload tables of /work/shared/design/spec-language.md, case by case. Every expected body
 * below is typed in by hand from those tables (field names, nesting and key order, "Key order in
 * emitted JSON is fixed (the order of the tables above)"), never produced by the compiler: a
 * change in what msgc sends must show up here as a failure.
 */
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { compileCampaign, compileRow } from "../../src/compiler/campaign.js";
import { compileMessage, compileSamples } from "../../src/compiler/message.js";
import type { CompiledMessage } from "../../src/compiler/message.js";
import type { PlanItem } from "../../src/compiler/plan.js";
import type { CampaignSpec } from "../../src/types/campaign.generated.js";
import type { MessageSpec } from "../../src/types/message.generated.js";

const SAMPLE_RECIPIENT = { id: "{recipient}", channelType: "whatsapp" };

function compiled(yaml: string): CompiledMessage {
  const result = compileMessage(YAML.parse(yaml) as MessageSpec, "specs/messages/m.yaml");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.message!;
}

/** The one sample's plan item of a message spec (compiled without errors). */
function sampleItem(yaml: string): PlanItem {
  const { items, diagnostics } = compileSamples(compiled(yaml));
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(items).toHaveLength(1);
  return items[0]!;
}

/** Same fields and values, and the same key order once serialized (what goes on the wire). */
function expectExactly(actual: unknown, expected: unknown): void {
  expect(actual).toEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

function session(content: string): string {
  return `kind: Message\nname: m\nwindow: session\nsession:\n${content}`;
}

describe("session: attachment", () => {
  for (const type of ["image", "video", "audio"] as const) {
    it(`${type} with a caption`, () => {
      const item = sampleItem(session(`  attachment: { type: ${type}, url: "https://cdn.example/f", caption: "Look at this" }\n`));
      expectExactly(item.session!.body, {
        recipient: SAMPLE_RECIPIENT,
        message: { attachments: [{ type, url: "https://cdn.example/f", caption: "Look at this" }] },
      });
    });
  }

  it("document with a caption and a filename (filename only exists for documents)", () => {
    const item = sampleItem(session('  attachment: { filename: invoice.pdf, caption: "Your invoice", url: "https://cdn.example/i.pdf", type: document }\n'));
    expectExactly(item.session!.body, {
      recipient: SAMPLE_RECIPIENT,
      message: { attachments: [{ type: "document", url: "https://cdn.example/i.pdf", caption: "Your invoice", filename: "invoice.pdf" }] },
    });
  });
});

describe("session: the other content kinds", () => {
  it("location with name and address", () => {
    const item = sampleItem(session('  location: { address: "1 Main St", name: HQ, longitude: -122.14, latitude: 37.48 }\n'));
    expectExactly(item.session!.body, {
      recipient: SAMPLE_RECIPIENT,
      message: { location: { latitude: 37.48, longitude: -122.14, name: "HQ", address: "1 Main St" } },
    });
  });

  it("single product with text and footer", () => {
    const item = sampleItem(session('  footer: Lucky Shrub\n  product: { productRetailerId: sku-9, catalogId: cat-1 }\n  text: "Our pick for you"\n'));
    expectExactly(item.session!.body, {
      recipient: SAMPLE_RECIPIENT,
      message: {
        text: "Our pick for you",
        singleProductMessage: { catalogId: "cat-1", productItem: { productRetailerId: "sku-9" }, footer: { text: "Lucky Shrub" } },
      },
    });
  });

  it("reply buttons with a media header: { type: image, url } becomes header.attachment", () => {
    const item = sampleItem(
      session(
        '  footer: Thanks\n  header: { url: "https://cdn.example/h.jpg", type: image }\n  buttons:\n    - { text: "Yes please", id: yes }\n    - { id: no, text: "No" }\n  text: "Keep the box?"\n',
      ),
    );
    expectExactly(item.session!.body, {
      recipient: SAMPLE_RECIPIENT,
      message: {
        text: "Keep the box?",
        replyButtonMessage: {
          buttons: [
            { id: "yes", text: "Yes please" },
            { id: "no", text: "No" },
          ],
          header: { attachment: { type: "image", url: "https://cdn.example/h.jpg" } },
          footer: { text: "Thanks" },
        },
      },
    });
  });

  it("list with header, footer and two sections", () => {
    const item = sampleItem(
      session(`  text: "Pick a delivery slot"
  footer: Lucky Shrub
  header: Delivery
  list:
    sections:
      - title: Morning
        rows:
          - { description: "Before noon", text: "9:00", id: am-9 }
          - { id: am-11, text: "11:00" }
      - rows:
          - { id: pm-6, text: "18:00" }
        title: Evening
    button: Choose
`),
    );
    expectExactly(item.session!.body, {
      recipient: SAMPLE_RECIPIENT,
      message: {
        text: "Pick a delivery slot",
        listMessage: {
          button: { text: "Choose" },
          header: { text: "Delivery" },
          footer: { text: "Lucky Shrub" },
          sections: [
            {
              title: "Morning",
              rows: [
                { id: "am-9", text: "9:00", description: "Before noon" },
                { id: "am-11", text: "11:00" },
              ],
            },
            { title: "Evening", rows: [{ id: "pm-6", text: "18:00" }] },
          ],
        },
      },
    });
  });
});

function template(header: string): string {
  return `kind: Message
name: m
vars:
  order_id: { type: string }
samples:
  ana: { order_id: "12345" }
template:
  buttons: ["track/{{order_id}}"]
  body: ["Ana", "{{order_id}}", "Friday"]
  header: ${header}
  language: en_US
  name: order_shipped_v2
`;
}

const BODY_AND_BUTTON = [
  { name: "body_1", value: "Ana" },
  { name: "body_2", value: "12345" },
  { name: "body_3", value: "Friday" },
  { name: "button_1_url", value: "track/12345" },
];

describe("template: parameters", () => {
  const headers: [string, string, Record<string, string>][] = [
    ["header_text", '{ text: "Order {{order_id}}" }', { name: "header_text", value: "Order 12345" }],
    ["header_image", '{ image: "https://cdn.example/h.jpg" }', { name: "header_image", value: "https://cdn.example/h.jpg" }],
    ["header_video", '{ video: "https://cdn.example/h.mp4" }', { name: "header_video", value: "https://cdn.example/h.mp4" }],
    [
      "header_document with a filename",
      '{ filename: x.pdf, document: "https://cdn.example/x.pdf" }',
      { name: "header_document", value: "https://cdn.example/x.pdf", filename: "x.pdf" },
    ],
  ];
  for (const [name, header, parameter] of headers) {
    it(`${name}, then body_1..body_3 and button_1_url`, () => {
      const item = sampleItem(template(header));
      expectExactly(item.template!.body, {
        number: "{recipient}",
        templateName: "order_shipped_v2",
        language: "en_US",
        parameters: [parameter, ...BODY_AND_BUTTON],
      });
    });
  }
});

describe("the envelope: sender, campaignName and callbackData", () => {
  const MESSAGE = `kind: Message
name: m
sender: "+14151111234"
window: auto
session:
  callbackData: { ref: s-1, tags: [a, b] }
  text: "Hello"
template:
  callbackData: { ref: t-1 }
  body: ["Ana"]
  language: en
  name: hello_v1
`;

  it("a sample: the session sender is an object, the template sender a string", () => {
    const item = sampleItem(MESSAGE);
    expectExactly(item.session!.body, {
      sender: { id: "+14151111234", channelType: "whatsapp" },
      recipient: SAMPLE_RECIPIENT,
      message: { text: "Hello" },
      callbackData: { ref: "s-1", tags: ["a", "b"] },
    });
    expectExactly(item.template!.body, {
      number: "{recipient}",
      templateName: "hello_v1",
      language: "en",
      parameters: [{ name: "body_1", value: "Ana" }],
      sender: "+14151111234",
      callbackData: { ref: "t-1" },
    });
  });

  it("a campaign row: campaignName and callbackData at the top level of both forms, after the sender", () => {
    const spec: CampaignSpec = {
      kind: "Campaign",
      name: "spring-sale",
      message: "m",
      campaignName: "spring_sale_2026",
      audience: { file: "../audiences/spring.csv" },
    };
    const { campaign, diagnostics } = compileCampaign(spec, "specs/campaigns/spring.yaml", compiled(MESSAGE));
    expect(diagnostics).toEqual([]);
    const row = compileRow(campaign!, { phone: "+1 (604) 585-2331" }, 1, { fromStrings: true });
    expect(row.diagnostics).toEqual([]);
    expectExactly(row.item!.session!.body, {
      sender: { id: "+14151111234", channelType: "whatsapp" },
      recipient: { id: "+16045852331", channelType: "whatsapp" },
      message: { text: "Hello" },
      campaignName: "spring_sale_2026",
      callbackData: { ref: "s-1", tags: ["a", "b"] },
    });
    expectExactly(row.item!.template!.body, {
      number: "+16045852331",
      templateName: "hello_v1",
      language: "en",
      parameters: [{ name: "body_1", value: "Ana" }],
      sender: "+14151111234",
      campaignName: "spring_sale_2026",
      callbackData: { ref: "t-1" },
    });
  });
});
