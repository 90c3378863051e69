import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, makeProject, msgc, repoRoot } from "../cli/helpers.js";

/**
 * The schemas carry WhatsApp's limits and a description on every property for editors; msgc's
 * own validation ignores those limits (x-compiler-checks) and keeps the compiler's diagnostics,
 * which judge the RENDERED value.
 */

const SCHEMA_FILES = readdirSync(join(repoRoot, "schema")).filter((f) => f.endsWith(".schema.json"));

/** Every "properties" entry in a schema, as its path; an `if` is a condition, not a document's shape. */
function propertiesOf(node: unknown, path: string, out: { path: string; schema: Record<string, unknown> }[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => propertiesOf(item, `${path}/${i}`, out));
    return;
  }
  if (node === null || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "if") continue;
    if (key === "properties" && value !== null && typeof value === "object") {
      for (const [name, schema] of Object.entries(value)) {
        out.push({ path: `${path}/properties/${name}`, schema: schema as Record<string, unknown> });
        propertiesOf(schema, `${path}/properties/${name}`, out);
      }
    } else {
      propertiesOf(value, `${path}/${key}`, out);
    }
  }
}

describe("schemas for editors", () => {
  test("every property of every spec and config schema has its own description", () => {
    expect(SCHEMA_FILES).toEqual(["campaign.schema.json", "config.schema.json", "message.schema.json", "spec.schema.json", "template.schema.json"]);
    const undescribed: string[] = [];
    let count = 0;
    for (const file of SCHEMA_FILES) {
      const properties: { path: string; schema: Record<string, unknown> }[] = [];
      propertiesOf(JSON.parse(readFileSync(join(repoRoot, "schema", file), "utf8")), file, properties);
      count += properties.length;
      for (const p of properties) {
        if (typeof p.schema.description !== "string" || p.schema.description.trim() === "") undescribed.push(p.path);
      }
    }
    expect(undescribed).toEqual([]);
    expect(count).toBeGreaterThan(60);
  });

  test("x-compiler-checks names limits present on its node, never beside a $ref (draft-07 and editors ignore keywords there)", () => {
    const misplaced: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== "object") return;
      const record = node as Record<string, unknown>;
      const hints = record["x-compiler-checks"];
      if (hints !== undefined) {
        if ("$ref" in record) misplaced.push(`${path}: beside $ref`);
        for (const keyword of hints as string[]) if (!(keyword in record)) misplaced.push(`${path}: no ${keyword}`);
      }
      for (const [key, value] of Object.entries(record)) walk(value, `${path}/${key}`);
    };
    for (const file of SCHEMA_FILES) walk(JSON.parse(readFileSync(join(repoRoot, "schema", file), "utf8")), file);
    expect(misplaced).toEqual([]);
  });
});

describe("msgc validate keeps the compiler's limit diagnostics", () => {
  let dir = "";
  beforeAll(() => {
    ensureBuilt();
    dir = makeProject({
      "specs/literal.yaml": `kind: Message
name: literal
session:
  text: Pick one
  buttons:
    - { id: a, text: Shop the summer sale now }
    - { id: b, text: B }
    - { id: c, text: C }
    - { id: d, text: D }
  footer: Reply STOP to opt out of these messages, at any time you like.
`,
      // Long in YAML and short once rendered, and the other way round.
      "specs/rendered.yaml": `kind: Message
name: rendered
vars:
  city: { type: string }
samples:
  short: { city: Oslo }
  long: { city: Llanfairpwllgwyngyll }
session:
  text: Pick one
  buttons:
    - { id: a, text: "{{#if city}}{{city}}{{else}}Somewhere far far away{{/if}}" }
    - { id: b, text: "Go to {{city}}" }
`,
    });
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("one diagnostic per problem, with the compiler's code and wording, never a schema too-long", () => {
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(1);
    const diagnostics = (JSON.parse(r.stdout) as { diagnostics: { code: string; file: string; line: number; column: number; message: string }[] }).diagnostics;
    expect(diagnostics.map((d) => [d.file, d.line, d.column, d.code, d.message])).toEqual([
      ["specs/literal.yaml", 9, 7, "too-many-buttons", "4 reply buttons; WhatsApp allows 3"],
      ["specs/literal.yaml", 6, 22, "button-title-too-long", 'Button title "Shop the summer sale now" is 24 characters; WhatsApp allows 20'],
      ["specs/literal.yaml", 10, 11, "footer-too-long", 'Footer "Reply STOP to opt out of these messages…" is 62 characters; WhatsApp allows 60'],
      ["specs/rendered.yaml", 12, 22, "button-title-too-long", 'Button title "Go to Llanfairpwllgwyngyll" is 26 characters; WhatsApp allows 20 (sample long)'],
    ]);
  });
});
