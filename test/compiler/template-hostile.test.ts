/**
 * Hostile Template specs: texts built to make a regular expression backtrack, and template names
 * that are also Object.prototype's, through lint, the Message check and the per-row body check.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compileCampaign, compileRow } from "../../src/compiler/campaign.js";
import { compileMessage } from "../../src/compiler/message.js";
import { templateBodiesOf } from "../../src/compiler/template-check.js";
import { lintTemplate, templateVariables } from "../../src/compiler/template-lint.js";
import type { TemplateSpec } from "../../src/types/template.generated.js";

const template = (name: string, text: string, extra: Partial<TemplateSpec["languages"][string]> = {}): TemplateSpec => ({
  kind: "Template",
  name,
  category: "utility",
  languages: { en_US: { body: { text }, ...extra } },
});

describe("hostile Template specs", () => {
  test("half a million unclosed {{ in a body, a URL and a footer: linted in one pass, one problem each", () => {
    const braces = "{{".repeat(500_000);
    const spec = template("t", `Hi ${braces}`, { footer: braces, buttons: [{ type: "url", text: "Go", url: `https://t.example/${braces}` }] });
    expect(templateVariables(braces)).toEqual([]);
    expect(lintTemplate(spec, "specs/t.yaml").map((d) => d.code)).toEqual([
      "template-body-too-long",
      "template-footer-invalid",
      "template-button-invalid",
    ]);
  });

  test("the scan finds exactly what /\\{\\{([^{}\\n]*)\\}\\}/g matches, on any text of braces, digits and line ends", () => {
    const byRegex = (text: string) =>
      [...text.matchAll(/\{\{([^{}\n]*)\}\}/g)].map((m) => ({
        ...(/^[0-9]{1,3}$/.test(m[1]!) ? { n: Number(m[1]) } : {}),
        raw: m[0],
        offset: m.index,
        end: m.index + m[0].length,
      }));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("{", "}", "1", "23", "a", " ", "\n", "{{", "}}", "{{1}}"), maxLength: 40 }), (text) => {
        expect(templateVariables(text)).toEqual(byRegex(text));
      }),
      { numRuns: 5000 },
    );
    expect(templateVariables("{{{1}}} {{ 2 }}{{12}}")).toEqual([
      { n: 1, raw: "{{1}}", offset: 1, end: 6 },
      { raw: "{{ 2 }}", offset: 8, end: 15 },
      { n: 12, raw: "{{12}}", offset: 15, end: 21 },
    ]);
  });

  test("{{a{{b{{c… without a close: no variable, nothing quadratic", () => {
    const text = `Hi ${"{{a".repeat(300_000)} there`;
    expect(templateVariables(text)).toEqual([]);
  });

  test.each(["constructor", "__proto__", "to_string"])("a template named %s is checked like any other, and others are not mistaken for it", (name) => {
    const bodies = templateBodiesOf([{ data: template(name, "Hi {{1}}, welcome.") }, { data: template("other", "Hi {{1}}, hello.") }]);
    const message = compileMessage(
      { kind: "Message", name: "m", vars: { first_name: { type: "string" } }, template: { name, language: "en_US", body: ["{{first_name}}"] } },
      "specs/m.yaml",
    ).message!;
    const campaign = compileCampaign({ kind: "Campaign", name: "c", message: "m", audience: { file: "a.csv" } }, "specs/c.yaml", message, { templates: bodies }).campaign!;
    const row = (first_name: string) => compileRow(campaign, { phone: "+447400123456", first_name }, 1, { fromStrings: true });
    expect(row("Ana").item).toBeDefined();
    expect(row("A".repeat(1100)).diagnostics.map((d) => d.code)).toEqual(["template-rendered-too-long"]);
    expect(Object.getPrototypeOf(bodies)).toBeNull();
  });
});
