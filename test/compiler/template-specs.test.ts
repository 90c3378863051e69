/**
 * Template specs and the Messages that send them, as golden fixtures: one folder per case under
 * test/fixtures/templates/ (a small project: msgc.config.yaml, template.yaml, maybe message.yaml),
 * loaded and compiled as `msgc validate` does, the exact text output (`file:line:col severity
 * code message` and the code frame) in `expected.txt`. The folder name starts with the code the
 * case is about, and every diagnostic of the case has that code. MSGC_UPDATE_FIXTURES=1 rewrites
 * the expected files (review the diff before committing).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { DIAGNOSTIC_CODES } from "../../src/diagnostics.js";
import { loadProject } from "../../src/project/project.js";
import { compileProject } from "../../src/runner/plan.js";
import { formatDiagnosticsText } from "../../src/cli/format.js";

const fixtures = fileURLToPath(new URL("../fixtures/templates/", import.meta.url));
const update = process.env.MSGC_UPDATE_FIXTURES === "1";

async function validate(folder: string) {
  const project = await loadProject({ cwd: folder });
  const compiled = compileProject(project);
  return { project, diagnostics: [...project.diagnostics, ...compiled.diagnostics] };
}

describe("template fixtures", () => {
  for (const name of readdirSync(fixtures).sort()) {
    test(name, async () => {
      const { project, diagnostics } = await validate(join(fixtures, name));
      const code = DIAGNOSTIC_CODES.filter((c) => name.startsWith(c)).sort((a, b) => b.length - a.length)[0];
      expect(diagnostics.length).toBeGreaterThan(0);
      expect(diagnostics.map((d) => d.code)).toEqual(diagnostics.map(() => code));
      const text = `${formatDiagnosticsText(diagnostics, project.sources, { color: false })}\n`;
      const expectedPath = join(fixtures, name, "expected.txt");
      if (update) writeFileSync(expectedPath, text);
      expect(text).toBe(readFileSync(expectedPath, "utf8"));
    });
  }
});
