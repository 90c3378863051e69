import { describe, expect, test } from "vitest";
import { formatPreviewHtml } from "../../src/runner/preview/html.js";
import { formatPreviewMarkdown } from "../../src/runner/preview/markdown.js";
import { renderPlanItem } from "../../src/runner/preview/model.js";
import { formatPreviewText } from "../../src/runner/preview/text.js";
import { CONTENT_KINDS, NOW } from "./items.js";
import { expectGolden } from "./golden-file.js";

/**
 * Golden files: test/fixtures/preview/<content kind>/expected.{txt,ansi.txt,md,html,json}.
 * `UPDATE_GOLDEN=1 npx vitest run test/preview` rewrites them; review the diff before committing.
 */
function messagesOf(page: string): string {
  return `${page.slice(page.indexOf("<main>\n") + "<main>\n".length, page.indexOf("\n</main>"))}\n`;
}

test("preview golden: html page", () => {
  expectGolden("preview/page.html", formatPreviewHtml([renderPlanItem(CONTENT_KINDS.text!, { showNumbers: false, now: NOW })]));
});

describe.each(Object.entries(CONTENT_KINDS))("preview golden: %s", (kind, item) => {
  const model = renderPlanItem(item, { showNumbers: false, now: NOW, ...(kind === "campaign" ? { row: 2 } : {}) });
  test("text", () => expectGolden(`preview/${kind}/expected.txt`, formatPreviewText([model], { color: false })));
  test("text with colour", () => expectGolden(`preview/${kind}/expected.ansi.txt`, formatPreviewText([model], { color: true })));
  test("markdown", () => expectGolden(`preview/${kind}/expected.md`, formatPreviewMarkdown([model])));
  // The page around the messages (style sheet and all) is one golden file of its own, below.
  test("html", () => expectGolden(`preview/${kind}/expected.html`, messagesOf(formatPreviewHtml([model]))));
  test("json", () => expectGolden(`preview/${kind}/expected.json`, `${JSON.stringify(model, null, 2)}\n`));
});

test("hostile: escape sequences in user text are shown, never sent to the terminal", () => {
  const model = renderPlanItem(CONTENT_KINDS.hostile!, { showNumbers: false, now: NOW });
  for (const color of [false, true]) {
    const text = formatPreviewText([model], { color });
    expect(text).toContain("␛[31mred␛[0m");
    expect(text).not.toContain("\u001b[31mred");
  }
});
