/** The example specs in specs/ are schema-valid, compile without diagnostics, and give valid requests. */
import { readdirSync, readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { parse as parseCsv } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { compileCampaign, compileRow } from "../../src/compiler/campaign.js";
import { compileMessage, compileSamples } from "../../src/compiler/message.js";
import type { CampaignSpec } from "../../src/types/campaign.generated.js";
import type { MessageSpec } from "../../src/types/message.generated.js";
import { expectValidRequests } from "./connectly-schemas.js";

const root = new URL("../../", import.meta.url);
const messagesDir = new URL("specs/messages/", root);
const ajv = new Ajv({ allErrors: true, strict: false });
const validateMessageSchema = ajv.compile(JSON.parse(readFileSync(new URL("schema/message.schema.json", root), "utf8")));
const files = readdirSync(messagesDir).filter((f) => f.endsWith(".yaml")).sort();

function load(file: string): { spec: MessageSpec; source: string } {
  const source = readFileSync(new URL(file, messagesDir), "utf8");
  return { spec: YAML.parse(source) as MessageSpec, source };
}

describe("specs/messages", () => {
  it("covers every content kind, a template-only message and a Spanish locale", () => {
    const specs = files.map((f) => load(f).spec);
    const kinds = new Set(
      specs.flatMap((s) => {
        const session = s.session;
        if (!session) return ["template-only"];
        if (session.attachment) return [`attachment:${session.attachment.type}`];
        if (session.list) return ["list"];
        if (session.buttons) return [typeof session.header === "object" ? "buttons:media-header" : session.header ? "buttons:text-header" : "buttons"];
        if (session.product) return ["product"];
        if (session.location) return ["location"];
        return ["text"];
      }),
    );
    for (const kind of ["text", "attachment:image", "attachment:video", "attachment:audio", "attachment:document", "location", "list", "buttons:text-header", "buttons:media-header", "product", "template-only"]) {
      expect(kinds, kind).toContain(kind);
    }
    expect(specs.some((s) => s.locales?.es)).toBe(true);
  });

  for (const file of files) {
    it(`${file}: schema-valid, compiles, samples give valid requests`, () => {
      const { spec, source } = load(file);
      expect(source.startsWith("# yaml-language-server: $schema=../../schema/message.schema.json\n")).toBe(true);
      expect(validateMessageSchema(spec) ? [] : validateMessageSchema.errors).toEqual([]);
      expect(`${spec.name}.yaml`).toBe(file);
      const compiled = compileMessage(spec, `specs/messages/${file}`);
      expect(compiled.diagnostics).toEqual([]);
      const samples = compileSamples(compiled.message!);
      expect(samples.diagnostics).toEqual([]);
      expect(samples.items.length).toBe(Object.keys(spec.samples ?? {}).length);
      expectValidRequests(samples.items);
    });
  }

  it("demo-message compiles every row of the demo audience", () => {
    const { spec } = load("demo-message.yaml");
    const message = compileMessage(spec, "specs/messages/demo-message.yaml").message!;
    const campaignSpec = YAML.parse(readFileSync(new URL("specs/campaigns/demo-campaign.yaml", root), "utf8")) as CampaignSpec;
    const { campaign, diagnostics } = compileCampaign(campaignSpec, "specs/campaigns/demo-campaign.yaml", message);
    expect(diagnostics).toEqual([]);
    const rows = parseCsv(readFileSync(new URL("specs/audiences/demo.csv", root)), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThanOrEqual(20);
    const items = rows.map((row, i) => {
      const result = compileRow(campaign!, row, i + 1, { fromStrings: true });
      expect(result.diagnostics, `row ${i + 1}`).toEqual([]);
      return result.item!;
    });
    expect(new Set(items.map((item) => item.key)).size).toBe(rows.length);
    expectValidRequests(items);
  });
});
