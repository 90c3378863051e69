#!/usr/bin/env node
// Generates src/types/*.generated.ts from schema/ with json-schema-to-typescript.
// `node scripts/gen-types.mjs --check` exits 1 when the committed files are stale.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { compile } from "json-schema-to-typescript";
import { withoutEditorHints, withoutRefSiblings } from "./editor-hints.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const targets = [
  ["schema/message.schema.json", "src/types/message.generated.ts"],
  ["schema/campaign.schema.json", "src/types/campaign.generated.ts"],
  ["schema/config.schema.json", "src/types/config.generated.ts"],
  ["schema/template.schema.json", "src/types/template.generated.ts"],
  ["schema/connectly/send-message.schema.json", "src/types/send-message.generated.ts"],
  ["schema/connectly/send-template.schema.json", "src/types/send-template.generated.ts"],
];

export async function generate(schemaPath) {
  const schema = withoutRefSiblings(withoutEditorHints(JSON.parse(await readFile(join(root, schemaPath), "utf8"))));
  return compile(schema, schema.title, {
    bannerComment: `/* Generated from ${schemaPath} by \`npm run gen\`. Do not edit by hand. */`,
    additionalProperties: false,
    cwd: join(root, dirname(schemaPath)),
    style: { singleQuote: false, semi: true, printWidth: 100 },
    unknownAny: true,
  });
}

const check = process.argv.includes("--check");
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let stale = 0;
  for (const [schemaPath, outPath] of targets) {
    const text = await generate(schemaPath);
    if (check) {
      const current = await readFile(join(root, outPath), "utf8").catch(() => "");
      if (current !== text) { console.error(`stale: ${outPath} (run npm run gen)`); stale++; }
    } else {
      await writeFile(join(root, outPath), text);
      console.log(`wrote ${outPath}`);
    }
  }
  process.exit(stale ? 1 : 0);
}
