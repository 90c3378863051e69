import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { formatPreviewHtml } from "../../src/runner/preview/html.js";
import { formatPreviewMarkdown } from "../../src/runner/preview/markdown.js";
import { renderPlanItem } from "../../src/runner/preview/model.js";
import { formatPreviewText } from "../../src/runner/preview/text.js";
import { CONTENT_KINDS, NOW } from "./items.js";

/**
 * Golden files: test/fixtures/preview/<content kind>/expected.{txt,ansi.txt,md,html,json}.
 * `UPDATE_GOLDEN=1 npx vitest run test/preview` rewrites them; review the diff before committing.
 */
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/preview");
const update = process.env.UPDATE_GOLDEN === "1";

function golden(kind: string, file: string, actual: string): void {
  const path = join(FIXTURES, kind, file);
  if (update || !existsSync(path)) {
    if (!update) throw new Error(`missing golden file ${path}; run with UPDATE_GOLDEN=1`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}

function messagesOf(page: string): string {
  return `${page.slice(page.indexOf("<main>\n") + "<main>\n".length, page.indexOf("\n</main>"))}\n`;
}

test("preview golden: html page", () => {
  golden(".", "page.html", formatPreviewHtml([renderPlanItem(CONTENT_KINDS.text!, { showNumbers: false, now: NOW })]));
});

describe.each(Object.entries(CONTENT_KINDS))("preview golden: %s", (kind, item) => {
  const model = renderPlanItem(item, { showNumbers: false, now: NOW, ...(kind === "campaign" ? { row: 2 } : {}) });
  test("text", () => golden(kind, "expected.txt", formatPreviewText([model], { color: false })));
  test("text with colour", () => golden(kind, "expected.ansi.txt", formatPreviewText([model], { color: true })));
  test("markdown", () => golden(kind, "expected.md", formatPreviewMarkdown([model])));
  // The page around the messages (style sheet and all) is one golden file of its own, below.
  test("html", () => golden(kind, "expected.html", messagesOf(formatPreviewHtml([model]))));
  test("json", () => golden(kind, "expected.json", `${JSON.stringify(model, null, 2)}\n`));
});
