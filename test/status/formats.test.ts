import { describe, expect, test } from "vitest";
import { formatStatusHtml, formatStatusJson, formatStatusMarkdown, formatStatusText } from "../../src/runner/status/index.js";
import type { StatusModel } from "../../src/runner/status/index.js";
import { emptyStatusModel } from "../../src/runner/status/model.js";
import { expectGolden } from "../preview/golden-file.js";
import { FULL_MODEL } from "./model-fixture.js";

describe("status formats (golden files under test/fixtures/status)", () => {
  test.each([
    ["text", "full.txt", formatStatusText],
    ["json", "full.json", formatStatusJson],
    ["markdown", "full.md", formatStatusMarkdown],
    ["html", "full.html", formatStatusHtml],
  ] as const)("%s: every part of the model", (_format, file, format) => {
    expectGolden(`status/${file}`, format(FULL_MODEL));
  });

  test("json: the model exactly, parsed back", () => {
    expect(JSON.parse(formatStatusJson(FULL_MODEL))).toEqual(FULL_MODEL);
  });

  test("html: no script, one CSP, markup from a webhook's error code escaped", () => {
    const html = formatStatusHtml(FULL_MODEL);
    expect(html).not.toMatch(/<(script|img|link|iframe|a|object|embed)[\s>]/i);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html.match(/Content-Security-Policy/g)).toHaveLength(1);
    // One bar per funnel row, the lines of delivered and read.
    expect(html.match(/<rect /g)).toHaveLength(9);
    expect(html).toMatch(/<path class="line line-delivered" d="M[\d.,LMHVZ]+"/);
    expect(html).toMatch(/<path class="line line-read" d="M[\d.,LMHVZ]+"/);
  });

  test.each([
    ["text", formatStatusText],
    ["markdown", formatStatusMarkdown],
    ["html", formatStatusHtml],
  ] as const)("%s: a campaign with no delivery data and nothing failed says so", (_format, format) => {
    const model: StatusModel = emptyStatusModel("quiet", { journals: ["j.ndjson"], store: null });
    model.funnel = { ...model.funnel, planned: 1, unknown: 1 };
    const out = format(model);
    expect(out).not.toMatch(/Failed by code|over time|per .* \(UTC\)/);
    expect(out).toContain("store: none configured");
  });

  test("markdown: a pipe in a code does not split its table row", () => {
    const model: StatusModel = { ...FULL_MODEL, failures: [{ code: "A|B", meaning: null, stage: "send", count: 1 }] };
    expect(formatStatusMarkdown(model)).toContain("| `A\\|B` | at send | 1 |  |");
  });

  test("text: control characters from a code made visible, never written raw", () => {
    const model: StatusModel = { ...FULL_MODEL, failures: [{ code: "BAD\u001b[2J\rCODE", meaning: null, stage: "delivery", count: 1 }], timeline: null };
    expect(formatStatusText(model)).toContain("BAD\u241b[2J\u240dCODE (on delivery)");
  });
});
