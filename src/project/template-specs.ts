/**
 * Template specs from a file or a folder anywhere (the sandbox's `--templates`), read by the same
 * loader as a project's and linted with the same rules: every problem is a located diagnostic.
 * No project root here: the path is the user's own choice on their own machine.
 */
import { stat } from "node:fs/promises";
import type { Diagnostic } from "../diagnostics.js";
import { lintTemplate } from "../compiler/template-lint.js";
import type { TemplateSpec } from "../types/template.generated.js";
import { loadSpecSourceWithDeclaration } from "./load.js";
import type { LoadedSpec } from "./load.js";
import { realPathOf } from "./confine.js";
import { collectSpecFiles, locateInSpecs, readSpecFile, readSpecText } from "./project.js";
import type { Bounds } from "./project.js";

export interface LoadedTemplateSpecs {
  /** By file, then as found; names unique. */
  templates: LoadedSpec<TemplateSpec>[];
  /** Load, schema, duplicate-name and lint diagnostics, located. */
  diagnostics: Diagnostic[];
  /** The text of every file read, by its shown name, for code frames. */
  sources: Map<string, string>;
}

/**
 * Loads the Template specs at `absPath` (a spec file, or a folder searched like the specs
 * folder). In a folder, specs of another kind are passed over, valid or not: `--templates specs/`
 * works in a project whose messages are still drafts. `shown` names a file in diagnostics.
 * Throws only when `absPath` cannot be read at all (the caller words that).
 */
export async function loadTemplateSpecs(absPath: string, shown: (absPath: string) => string): Promise<LoadedTemplateSpecs> {
  const folder = (await stat(absPath)).isDirectory();
  const files: string[] = [];
  // A folder bounds what is read as a project's root does: a link in it that leads out (a pull
  // request's link to a credentials file) is refused, never read into a code frame.
  const bounds: Bounds | undefined = folder ? { root: absPath, realRoot: await realPathOf(absPath), inside: new Set() } : undefined;
  if (bounds) await collectSpecFiles(absPath, files, bounds.inside);
  else files.push(absPath);
  const entries = files.map((file) => ({ absPath: file, file: shown(file) })).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));

  const templates: LoadedSpec<TemplateSpec>[] = [];
  const byName = new Map<string, LoadedSpec<TemplateSpec>>();
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  const located: LoadedSpec[] = [];
  for (const { absPath: path, file } of entries) {
    const read = bounds ? await readSpecFile(path, file, bounds, "the --templates folder") : readSpecText(path, file);
    if (read.source === undefined) {
      if (read.diagnostic) diagnostics.push(read.diagnostic);
      continue;
    }
    const loaded = loadSpecSourceWithDeclaration(read.source, file, path);
    const kind = loaded.spec?.kind ?? loaded.declared?.kind;
    if (folder && kind !== undefined && kind !== "Template") continue;
    sources.set(file, read.source);
    diagnostics.push(...loaded.diagnostics);
    const spec = loaded.spec;
    if (!spec) continue;
    located.push(spec);
    if (spec.kind !== "Template") {
      diagnostics.push({ code: "unknown-kind", severity: "error", message: `This is a ${spec.kind} spec; --templates takes Template specs (kind: Template)`, file, path: ["kind"] });
      continue;
    }
    const template = spec as LoadedSpec<TemplateSpec>;
    const first = byName.get(template.name);
    if (first) {
      diagnostics.push({ code: "duplicate-name", severity: "error", message: `Template name "${template.name}" is already used by ${first.file}`, file, path: ["name"] });
      continue;
    }
    byName.set(template.name, template);
    templates.push(template);
    diagnostics.push(...lintTemplate(template.data, file));
  }
  return { templates, diagnostics: locateInSpecs(located, diagnostics), sources };
}
