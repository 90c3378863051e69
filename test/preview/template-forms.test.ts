/**
 * Template forms shown as the customer sees them when the Template spec is known: header, body
 * and footer with the values put in, and the buttons with what tapping them does, in every
 * preview format (golden files under test/fixtures/preview/template-forms/). Without the
 * Template spec the form is still the list of parameters sent (the other golden files).
 * `UPDATE_GOLDEN=1` rewrites the goldens; review the diff before committing.
 */
import { describe, expect, test } from "vitest";
import { formatPreviewHtml } from "../../src/runner/preview/html.js";
import { formatPreviewMarkdown } from "../../src/runner/preview/markdown.js";
import { renderPlanItem } from "../../src/runner/preview/model.js";
import { formatPreviewText, formatTranscript } from "../../src/runner/preview/text.js";
import { CONTENT_KINDS, NOW } from "./items.js";
import { templateFormModels, templates } from "./template-fixtures.js";
import { expectGolden } from "./golden-file.js";

describe("template forms with their Template spec", () => {
  const known = templates();
  const models = templateFormModels(known);
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
