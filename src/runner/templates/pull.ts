/**
 * `msgc templates pull`: Template specs written for the business's templates that the project
 * does not have, so that what the dashboard holds can move into git. Each file is checked the
 * way `validate` would before it is written, written whole or not at all, and never over an
 * existing file without `force`. Remote names choose file names only once they are Meta names,
 * and even then through `pullFileName`: a list is text from the network.
 */
import { createHash, randomBytes } from "node:crypto";
import { link, mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { stringify } from "yaml";
import type { RemoteTemplateGroup } from "../../connectly/client.js";
import { languageFromComponents } from "../../connectly/components.js";
import { lintTemplate, parameterCount } from "../../compiler/template-lint.js";
import { diagnosticLocation } from "../../diagnostics.js";
import { InputError, UsageError } from "../../errors.js";
import { confinement, projectRelative, realPathOf } from "../../project/confine.js";
import { loadSpecSource } from "../../project/load.js";
import { locateDiagnostics } from "../../project/project.js";
import type { Project } from "../../project/project.js";
import type { TemplateLanguage, TemplateSpec } from "../../types/template.generated.js";
import { scrubValue } from "../send/scrub.js";
import { categoryOf } from "./plan.js";
import { remoteText } from "./remote.js";

/** Meta's template names; anything else on a list is not written. */
const META_NAME = /^[a-z][a-z0-9_]{0,511}$/;
/** A language code's shape (`en`, `fil`, `pt_BR`): anything else is left out, never made a YAML key. */
const LANGUAGE_CODE = /^[a-z]{2,3}(_[A-Z]{2})?$/;
/** File names stay well under every file system's 255 bytes. */
const MAX_STEM = 100;
/** Names Windows keeps for devices, with any extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;
/** Where msgc's schemas are once it is installed in a project (as `msgc init` writes them). */
const SCHEMA = "node_modules/msgc/schema/template.schema.json";

export type PullAction = "written" | "overwritten" | "exists" | "in-project" | "unreadable" | "invalid-name" | "holds-secret";

export interface PullOutcome {
  /** The remote name, fit for a line. */
  name: string;
  action: PullAction;
  /** Project-relative: the file written (or in the way, or the spec in the project). */
  file?: string;
  languages: string[];
  /** Languages left out: their components are in a shape msgc does not read. */
  skipped: string[];
  /** Examples Connectly's answer did not have, written as placeholders. */
  placeholders: boolean;
  /** What `validate` says about the written file (none for a template Meta accepted, usually). */
  problems: string[];
}

/** A kebab-case file stem from a Meta name, bounded, never a device name, never a path. */
export function pullFileName(name: string): string {
  let stem = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "template";
  if (stem.length > MAX_STEM) stem = `${stem.slice(0, MAX_STEM - 9)}-${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
  if (RESERVED.test(stem)) stem = `${stem}-template`;
  return `${stem}.yaml`;
}

/** `--out` (default `<specs>/templates`), inside the project as written and through links. */
export async function pullDirectory(project: Project, out: string | undefined, cwd: string): Promise<string> {
  const dir = out === undefined ? join(project.config.specsDir, "templates") : resolve(cwd, out);
  const root = project.config.root;
  const where = await confinement(root, await realPathOf(root), dir);
  if (where !== undefined) {
    throw new UsageError(
      `msgc templates pull: --out ${out ?? dir} is outside the project${where === "links-outside" ? " once its links are followed" : ""}`,
      `Pulled specs go inside the project (${root}).`,
    );
  }
  return dir;
}

/** A placeholder where the answer had no example: lint-clean, and plainly not real. */
function withExamples(language: TemplateLanguage): { language: TemplateLanguage; placeholders: boolean } {
  let placeholders = false;
  const filled: TemplateLanguage = structuredClone(language);
  const body = filled.body;
  if (body) {
    const count = parameterCount(body.text);
    if (count > 0 && body.examples?.length !== count) {
      body.examples = Array.from({ length: count }, (_v, i) => body.examples?.[i] ?? `example ${i + 1}`);
      placeholders = true;
    }
  }
  const header = filled.header;
  if (header?.text !== undefined && parameterCount(header.text) > 0 && header.example === undefined) {
    header.example = "example";
    placeholders = true;
  }
  for (const [kind, extension] of [["image", "jpg"], ["video", "mp4"], ["document", "pdf"]] as const) {
    if (header?.[kind] === "") {
      header[kind] = `https://example.com/example.${extension}`;
      placeholders = true;
    }
  }
  for (const button of filled.buttons ?? []) {
    if (button.type === "url" && button.url !== undefined && parameterCount(button.url) > 0 && button.example === undefined) {
      button.example = button.url.replace(/\{\{\s*1\s*\}\}/, "example");
      placeholders = true;
    }
    if (button.type === "copy_code" && button.example === undefined) {
      button.example = "EXAMPLE";
      placeholders = true;
    }
  }
  return { language: filled, placeholders };
}

/** The spec's YAML, with the editor's schema line (as `msgc init` writes it). */
function specYaml(spec: TemplateSpec, absPath: string, root: string): string {
  const schema = relative(dirname(absPath), join(root, SCHEMA)).split(sep).join("/");
  return `# yaml-language-server: $schema=${schema}\n${stringify(spec, { lineWidth: 0 })}`;
}

/** Written whole or not at all: a temporary file beside it, then linked (never over a file) or renamed (`force`). */
async function writeWhole(absPath: string, text: string, force: boolean): Promise<"written" | "overwritten" | "exists"> {
  const temp = join(dirname(absPath), `.${randomBytes(6).toString("hex")}.msgc-pull.tmp`);
  await writeFile(temp, text, { flag: "wx", mode: 0o644 });
  try {
    if (force) {
      const existed = await link(temp, absPath).then(
        () => false,
        (e: NodeJS.ErrnoException) => {
          if (e.code !== "EEXIST") throw e;
          return true;
        },
      );
      if (existed) await rename(temp, absPath);
      return existed ? "overwritten" : "written";
    }
    try {
      await link(temp, absPath);
      return "written";
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return "exists";
      throw e;
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

export async function pullTemplates(
  project: Project,
  groups: readonly RemoteTemplateGroup[],
  opts: { names?: readonly string[]; dir: string; force: boolean; secrets?: ReadonlyArray<string | undefined> },
): Promise<PullOutcome[]> {
  const names = opts.names ?? [];
  const root = project.config.root;
  const outcomes: PullOutcome[] = [];
  const usedFiles = new Set<string>();
  const selected = groups.filter((g) => names.length === 0 || names.includes(g.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let madeDir = false;
  for (const group of selected) {
    const shown = remoteText(group.name, 80);
    const base = { name: shown, languages: [] as string[], skipped: [] as string[], placeholders: false, problems: [] as string[] };
    if (!META_NAME.test(group.name)) {
      outcomes.push({ ...base, action: "invalid-name" });
      continue;
    }
    const existing = project.templates.get(group.name);
    if (existing) {
      outcomes.push({ ...base, action: "in-project", file: existing.file });
      continue;
    }
    const languages: Record<string, TemplateLanguage> = {};
    let placeholders = false;
    for (const template of group.templates) {
      const read = languageFromComponents(template.templateComponents);
      if (!read || !LANGUAGE_CODE.test(template.language) || Object.hasOwn(languages, template.language)) {
        base.skipped.push(remoteText(template.language));
        continue;
      }
      const filled = withExamples(read);
      placeholders ||= filled.placeholders;
      languages[template.language] = filled.language;
    }
    base.languages = Object.keys(languages).map((l) => remoteText(l));
    if (base.languages.length === 0) {
      outcomes.push({ ...base, action: "unreadable" });
      continue;
    }
    const spec: TemplateSpec = { kind: "Template", name: group.name, category: categoryOf(group.category) ?? "utility", description: "Pulled from Connectly by msgc templates pull", languages };
    let fileName = pullFileName(group.name);
    for (let n = 2; usedFiles.has(fileName); n++) fileName = pullFileName(`${group.name}_${n}`);
    usedFiles.add(fileName);
    const absPath = join(opts.dir, fileName);
    const file = projectRelative(root, absPath) ?? absPath;
    const text = specYaml(spec, absPath, root);
    // A list that quotes the key back must not put it in a file that goes into git. Looked for in
    // the values, not the YAML: a quoted scalar escapes a key's `"`, `\` or `'`.
    if (JSON.stringify(scrubValue(spec, opts.secrets ?? [], true)) !== JSON.stringify(spec)) {
      outcomes.push({ ...base, action: "holds-secret" });
      continue;
    }
    // Checked as validate would: a file Meta accepted may still break a rule msgc knows.
    const loaded = loadSpecSource(text, file, absPath);
    const diagnostics = loaded.spec ? [...loaded.diagnostics, ...lintTemplate(spec, file)] : loaded.diagnostics;
    const located = loaded.spec ? locateDiagnostics({ specs: [loaded.spec] } as Pick<Project, "specs"> as Project, diagnostics) : diagnostics;
    const problems = located.map((d) => `${diagnosticLocation(d)} ${d.code} ${d.message}`);
    if (!madeDir) {
      await mkdir(opts.dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
        throw new InputError(`msgc templates pull: cannot make the folder ${projectRelative(root, opts.dir) ?? opts.dir} (${e.code ?? "error"})`);
      });
      madeDir = true;
    }
    let action: PullAction;
    try {
      action = await writeWhole(absPath, text, opts.force);
    } catch (e) {
      throw new InputError(`msgc templates pull: cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
    outcomes.push({ ...base, action, file, placeholders, problems: action === "exists" ? [] : problems });
  }
  return outcomes;
}
