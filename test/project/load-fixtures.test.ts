/**
 * Golden fixtures: one folder per diagnostic case, `spec.yaml` in, the exact text output
 * (`file:line:col severity code message` and the code frame) in `expected.txt`. The folder
 * name starts with the code the case is about. MSGC_UPDATE_FIXTURES=1 rewrites the expected
 * files (review the diff before committing).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { DIAGNOSTIC_CODES } from "../../src/diagnostics.js";
import { loadSpecSource } from "../../src/project/load.js";
import { formatDiagnosticsText } from "../../src/cli/format.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const update = process.env.MSGC_UPDATE_FIXTURES === "1";

describe("load fixtures", () => {
  for (const name of readdirSync(fixtures).sort()) {
    test(name, () => {
      const source = readFileSync(join(fixtures, name, "spec.yaml"), "utf8");
      const file = `specs/${name}.yaml`;
      const { spec, diagnostics } = loadSpecSource(source, file, join(fixtures, name, "spec.yaml"));
      expect(spec).toBeUndefined();
      const code = DIAGNOSTIC_CODES.filter((c) => name.startsWith(c)).sort((a, b) => b.length - a.length)[0];
      expect(diagnostics[0]?.code).toBe(code);
      const text = `${formatDiagnosticsText(diagnostics, new Map([[file, source]]), { color: false })}\n`;
      const expectedPath = join(fixtures, name, "expected.txt");
      if (update) writeFileSync(expectedPath, text);
      expect(text).toBe(readFileSync(expectedPath, "utf8"));
    });
  }
});
