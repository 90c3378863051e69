import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, msgc, repoRoot } from "../cli/helpers.js";
import { YamlLanguageServer } from "./yaml-language-server.js";

/**
 * What a spec author sees in VS Code: the project `msgc init` writes, msgc's schemas where
 * `npm install --save-dev msgc` puts them, and the real yaml-language-server reading the
 * project's .vscode/settings.json. Offline: the schema store is off.
 */

/** A spec in a nested folder, with no modeline: only the settings' glob maps it. */
const NESTED_MESSAGE = `kind: Message
name: summer-sale
session:
  text: Our summer sale starts today!
  buttons:
    - { id: shop, text: Shop the summer sale now }
  fotter: Reply STOP to opt out
`;

const NESTED_CAMPAIGN = `kind: Campaign
name: summer
message: summer-sale
audience: { file: ../../audiences/summer.csv, colums: {} }
`;

describe("editors: msgc init's settings + yaml-language-server", () => {
  let dir = "";
  let server: YamlLanguageServer;
  const uri = (path: string): string => pathToFileURL(join(dir, path)).href;

  beforeAll(async () => {
    ensureBuilt();
    const parent = mkdtempSync(join(tmpdir(), "msgc-editors-"));
    expect(msgc(["init", "shop"], { cwd: parent }).code).toBe(0);
    dir = join(parent, "shop");
    mkdirSync(join(dir, "node_modules", "msgc"), { recursive: true });
    cpSync(join(repoRoot, "schema"), join(dir, "node_modules", "msgc", "schema"), { recursive: true });
    // The YAML extension reads "yaml.*" keys; the server is given the "yaml" section.
    const workspace = JSON.parse(readFileSync(join(dir, ".vscode", "settings.json"), "utf8")) as Record<string, unknown>;
    const yaml: Record<string, unknown> = { schemaStore: { enable: false }, validate: true, completion: true, hover: true };
    for (const [key, value] of Object.entries(workspace)) if (key.startsWith("yaml.")) yaml[key.slice("yaml.".length)] = value;
    server = new YamlLanguageServer(dir, yaml);
    await server.start();
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  test("a nested message spec without a modeline: limit and unknown field, with their ranges", async () => {
    const diagnostics = await server.open(uri("specs/messages/promos/2026/summer-sale.yaml"), NESTED_MESSAGE);
    const shown = diagnostics
      .map((d) => ({ line: d.range.start.line, from: d.range.start.character, to: d.range.end.character, message: d.message }))
      .sort((a, b) => a.line - b.line);
    expect(shown).toEqual([
      { line: 5, from: 24, to: 48, message: "String is longer than the maximum length of 20." },
      { line: 6, from: 2, to: 8, message: "Property fotter is not allowed." },
    ]);
  });

  test("completion offers a property with its description", async () => {
    const file = uri("specs/messages/promos/2026/footer.yaml");
    const text = "kind: Message\nname: footer\nsession:\n  text: Hi\n  \n";
    await server.open(file, text);
    const items = await server.complete(file, 4, 2);
    const footer = items.find((item) => item.label === "footer");
    expect(footer?.documentation).toBe("Small grey text under buttons, lists and products, at most 60 characters.");
  });

  test("a nested campaign spec gets the campaign schema, chosen by kind", async () => {
    const diagnostics = await server.open(uri("specs/campaigns/2026/summer.yaml"), NESTED_CAMPAIGN);
    expect(diagnostics.map((d) => [d.range.start.line, d.range.start.character, d.message])).toEqual([
      [3, 46, "Property colums is not allowed."],
    ]);
  });

  test("the scaffolded specs and config are clean in the editor too", async () => {
    for (const file of ["specs/messages/welcome.yaml", "specs/campaigns/welcome-campaign.yaml", "msgc.config.yaml"]) {
      expect(await server.open(uri(file), readFileSync(join(dir, file), "utf8")), file).toEqual([]);
    }
  });
});
