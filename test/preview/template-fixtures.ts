/**
 * Template specs and plan items whose template forms they describe: the golden files of
 * template-forms.test.ts and the real-browser check of html-browser.test.ts use the same ones.
 */
import { expect } from "vitest";
import type { PlanItem } from "../../src/compiler/plan.js";
import { renderPlanItem } from "../../src/runner/preview/model.js";
import type { RenderedMessage } from "../../src/runner/preview/index.js";
import { loadSpecSource } from "../../src/project/load.js";
import type { TemplateSpec } from "../../src/types/template.generated.js";
import { CONTENT_KINDS, NOW } from "./items.js";

export const SPECS = {
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

export function templates(): Map<string, { data: TemplateSpec }> {
  const map = new Map<string, { data: TemplateSpec }>();
  for (const [name, source] of Object.entries(SPECS)) {
    const { spec, diagnostics } = loadSpecSource(source, `specs/templates/${name}.yaml`, `/p/specs/templates/${name}.yaml`);
    expect(diagnostics).toEqual([]);
    map.set(name, spec as unknown as { data: TemplateSpec });
  }
  return map;
}

export const ITEMS: [string, PlanItem][] = [
  ["buttons", CONTENT_KINDS.buttons!],
  ["template", CONTENT_KINDS.template!],
  ["campaign", CONTENT_KINDS.campaign!],
];

/** ITEMS as previewed with the Template specs known (the campaign's at its row 2). */
export function templateFormModels(known = templates()): RenderedMessage[] {
  return ITEMS.map(([kind, item]) => renderPlanItem(item, { showNumbers: false, now: NOW, templates: known, ...(kind === "campaign" ? { row: 2 } : {}) }));
}
