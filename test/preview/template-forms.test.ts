/**
 * Template forms shown as the customer sees them when the Template spec is known: header, body
 * and footer with the values put in, and the buttons with what tapping them does, in every
 * preview format (golden files under test/fixtures/preview/template-forms/). Without the
 * Template spec the form is still the list of parameters sent (the other golden files).
 * `UPDATE_GOLDEN=1` rewrites the goldens; review the diff before committing.
 */
import { describe, expect, test } from "vitest";
import type { PlanItem } from "../../src/compiler/plan.js";
import { loadSpecSource } from "../../src/project/load.js";
import { formatPreviewHtml } from "../../src/runner/preview/html.js";
import { formatPreviewMarkdown } from "../../src/runner/preview/markdown.js";
import { renderPlanItem } from "../../src/runner/preview/model.js";
import { formatPreviewText, formatTranscript } from "../../src/runner/preview/text.js";
import type { TemplateSpec } from "../../src/types/template.generated.js";
import { CONTENT_KINDS, NOW } from "./items.js";
import { expectGolden } from "./golden-file.js";

const SPECS = {
  "order_shipped_v2": `kind: Template
name: order_shipped_v2
category: utility
languages:
  en_US:
    header: { text: "Order {{1}}", example: "12345" }
    body:
      text: "Hi {{1}}, your order *#{{2}}* is on its way."
      examples: ["Ana", "12345"]
    footer: Lucky Shrub
    buttons:
      - { type: url, text: Track it, url: "https://t.example/track/{{1}}", example: "https://t.example/track/12345" }
      - { type: quick_reply, text: Talk to us }
      - { type: phone, text: Call us, phone: "+14155550100" }
`,
  appointment_reminder: `kind: Template
name: appointment_reminder
category: utility
languages:
  es:
    header: { document: "https://cdn.example.com/example.pdf" }
    body:
      text: "Hola {{1}}, tu cita es el {{2}}."
      examples: ["Ana", "martes 10:00"]
    buttons:
      - { type: url, text: Cambiar, url: "https://t.example/r/{{1}}", example: "https://t.example/r/abc" }
      - { type: url, text: Cancelar, url: "https://t.example/c/{{1}}", example: "https://t.example/c/def" }
`,
  spring_sale: `kind: Template
name: spring_sale
category: marketing
languages:
  en:
    header: { image: "https://cdn.example.com/spring.png" }
    body:
      text: "Hi {{1}}, 20% off everything this week."
      examples: ["Bo"]
    buttons:
      - { type: copy_code, example: SPRING20 }
`,
};

function templates(): Map<string, { data: TemplateSpec }> {
  const map = new Map<string, { data: TemplateSpec }>();
  for (const [name, source] of Object.entries(SPECS)) {
    const { spec, diagnostics } = loadSpecSource(source, `specs/templates/${name}.yaml`, `/p/specs/templates/${name}.yaml`);
    expect(diagnostics).toEqual([]);
    map.set(name, spec as unknown as { data: TemplateSpec });
  }
  return map;
}

const ITEMS: [string, PlanItem][] = [
  ["buttons", CONTENT_KINDS.buttons!],
  ["template", CONTENT_KINDS.template!],
  ["campaign", CONTENT_KINDS.campaign!],
];

describe("template forms with their Template spec", () => {
  const known = templates();
  const models = ITEMS.map(([kind, item]) => renderPlanItem(item, { showNumbers: false, now: NOW, templates: known, ...(kind === "campaign" ? { row: 2 } : {}) }));
  test("text", () => expectGolden("preview/template-forms/expected.txt", formatPreviewText(models, { color: false })));
  test("text with colour", () => expectGolden("preview/template-forms/expected.ansi.txt", formatPreviewText(models, { color: true })));
  test("markdown", () => expectGolden("preview/template-forms/expected.md", formatPreviewMarkdown(models)));
  test("html", () => {
    const page = formatPreviewHtml(models);
    expectGolden("preview/template-forms/expected.html", `${page.slice(page.indexOf("<main>\n") + "<main>\n".length, page.indexOf("\n</main>"))}\n`);
  });
  test("json", () => expectGolden("preview/template-forms/expected.json", `${JSON.stringify(models, null, 2)}\n`));

  test("the transcript diff compares says the body as the customer reads it", () => {
    expect(formatTranscript(models[0]!).slice(-7)).toEqual([
      "[template form · order_shipped_v2 (en_US utility) · to {recipient} · from +14151111234]",
      "header: Order Shipped",
      "text: Hi Ana, your order *#12345* is on its way.",
      "footer: Lucky Shrub",
      "button: [ ↗ Track it ] https://t.example/track/12345",
      "button: [ ↩ Talk to us ]",
      "button: [ ☎ Call us ] +14155550100",
    ]);
  });

  test("a template whose language has no Template spec entry keeps the list of parameters", () => {
    const other = renderPlanItem({ ...CONTENT_KINDS.buttons!, template: { ...CONTENT_KINDS.buttons!.template!, body: { ...CONTENT_KINDS.buttons!.template!.body, language: "fr" } } }, { showNumbers: false, now: NOW, templates: known });
    expect(other.template!.customer).toBeUndefined();
    expect(other.template!.body.map((p) => p.label)).toEqual(["{{1}}", "{{2}}"]);
  });
});
