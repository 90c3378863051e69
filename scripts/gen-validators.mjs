#!/usr/bin/env node
// Generates src/project/schema-validators.generated.ts: Ajv's standalone code for the spec and
// config schemas, so that `msgc validate` neither imports Ajv nor compiles a schema at start-up
// (together about 200 ms of a 650 ms run).
// `node scripts/gen-validators.mjs --check` exits 1 when the committed file is stale.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { Ajv, _ } from "ajv";
import standaloneModule from "ajv/dist/standalone/index.js";
import addFormatsModule from "ajv-formats";
import { withoutEditorHints } from "./editor-hints.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const outPath = "src/project/schema-validators.generated.ts";
/** Export name -> schema file; the names are schema-check.ts's SchemaName. */
const SCHEMAS = { message: "schema/message.schema.json", campaign: "schema/campaign.schema.json", config: "schema/config.schema.json", template: "schema/template.schema.json" };

// Both packages are CommonJS: their default import is the module object.
const standaloneCode = standaloneModule.default ?? standaloneModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

export async function generate() {
  // The options the translation in schema-check.ts relies on: every error (allErrors) with its
  // data and parent schema (verbose).
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: false,
    code: { source: true, esm: true, formats: _`require("ajv-formats/dist/formats").fullFormats` },
  });
  addFormats(ajv);
  for (const [name, file] of Object.entries(SCHEMAS)) ajv.addSchema(withoutEditorHints(JSON.parse(await readFile(join(root, file), "utf8"))), name);
  const code = standaloneCode(ajv, Object.fromEntries(Object.keys(SCHEMAS).map((name) => [name, name])));
  return [
    `/* Generated from ${Object.values(SCHEMAS).join(", ")} by \`npm run gen\` (scripts/gen-validators.mjs). Do not edit by hand. */`,
    "// @ts-nocheck",
    // Ajv's standalone code loads its runtime helper and the formats with require(). Kept as
    // require: a default import of these CommonJS files means module.exports to Node but
    // exports.default to Vite (the tests), and require resolves the same from a bundle in dist/.
    `import { createRequire } from "node:module";`,
    "const require = createRequire(import.meta.url);",
    code.replace(/^"use strict";/, ""),
    "",
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generate();
  const current = await readFile(join(root, outPath), "utf8").catch(() => "");
  if (process.argv.includes("--check")) {
    if (current !== text) {
      console.error(`stale: ${outPath} (run npm run gen)`);
      process.exit(1);
    }
  } else if (current !== text) {
    // Unchanged files are left alone: `npm run build` runs this too.
    await writeFile(join(root, outPath), text);
    console.log(`wrote ${outPath}`);
  }
}
