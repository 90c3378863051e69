/**
 * Golden fixtures: test/fixtures/compile/<case>/spec.yaml in, expected.json out, compared
 * exactly. expected.json holds every diagnostic of compileMessage and compileSamples, the sample
 * plan items, and (when the case has renders.json) the items of renderMessage for those inputs.
 * Set MSGC_UPDATE_GOLDEN=1 to rewrite the expected files, then review the diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { compileMessage, compileSamples, renderMessage, type RenderInput } from "../../src/compiler/message.js";
import type { PlanItem } from "../../src/compiler/plan.js";
import type { MessageSpec } from "../../src/types/message.generated.js";
import { expectValidRequests } from "./connectly-schemas.js";

const fixturesDir = new URL("../fixtures/compile/", import.meta.url);
const cases = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

type RenderCase = Omit<RenderInput, "spec" | "recipient"> & { recipient?: string };

function run(name: string): unknown {
  const dir = new URL(`${name}/`, fixturesDir);
  const file = `test/fixtures/compile/${name}/spec.yaml`;
  const spec = YAML.parse(readFileSync(new URL("spec.yaml", dir), "utf8")) as MessageSpec;
  const compiled = compileMessage(spec, file);
  const result: { diagnostics: unknown[]; items?: PlanItem[]; renders?: unknown[] } = { diagnostics: [...compiled.diagnostics] };
  if (!compiled.message) return result;
  const samples = compileSamples(compiled.message);
  result.diagnostics.push(...samples.diagnostics);
  result.items = samples.items;
  if (existsSync(new URL("renders.json", dir))) {
    const inputs = JSON.parse(readFileSync(new URL("renders.json", dir), "utf8")) as RenderCase[];
    result.renders = inputs.map((input) => renderMessage(compiled.message!, { recipient: "+16045852331", spec: file, ...input }));
  }
  return result;
}

/** Every code the message compiler can report has a fixture that shows it. */
const COMPILER_CODES = [
  "template-syntax", "unknown-variable", "unknown-helper", "optional-var-unguarded",
  "var-invalid", "var-missing", "var-unknown", "var-definition-invalid",
  "missing-content", "multiple-content-kinds", "header-not-allowed", "footer-not-allowed", "filename-not-allowed",
  "section-title-required", "template-header-conflict", "window-needs-session", "window-needs-template",
  "no-template-fallback", "locale-adds-form", "too-few-items",
  "text-empty", "text-too-long", "body-too-long", "caption-too-long", "header-too-long", "footer-too-long",
  "url-not-https", "list-too-many-sections", "list-too-many-rows", "list-button-too-long", "section-title-too-long",
  "row-title-too-long", "row-description-too-long", "row-id-too-long", "duplicate-row-id", "too-many-buttons",
  "button-title-too-long", "button-id-too-long", "duplicate-button-title", "duplicate-button-id",
  "too-many-body-params", "template-param-invalid", "callback-data-too-large",
  "channel-needs-form", "sms-text-empty", "sms-too-many-segments", "sms-unicode-lookalike",
];

describe("golden fixtures", () => {
  it("has a fixture for every compiler diagnostic code", () => {
    const seen = new Set<string>();
    for (const name of cases) {
      const expected = JSON.parse(readFileSync(new URL(`${name}/expected.json`, fixturesDir), "utf8")) as { diagnostics: { code: string }[] };
      for (const d of expected.diagnostics) seen.add(d.code);
    }
    expect(COMPILER_CODES.filter((code) => !seen.has(code))).toEqual([]);
  });
  for (const name of cases) {
    it(name, () => {
      const text = `${JSON.stringify(run(name), null, 2)}\n`;
      const expectedFile = new URL(`${name}/expected.json`, fixturesDir);
      if (process.env.MSGC_UPDATE_GOLDEN === "1") writeFileSync(expectedFile, text);
      // Compared as text: key order is part of the contract (deterministic bytes).
      expect(text).toBe(readFileSync(expectedFile, "utf8"));
      const actual = JSON.parse(text) as { items?: PlanItem[]; renders?: { item?: PlanItem }[] };
      const items = [...(actual.items ?? []), ...(actual.renders ?? []).flatMap((r) => (r.item ? [r.item] : []))];
      expectValidRequests(items);
    });
  }
});
