/**
 * The spec tree: every spec file under the specs folder (or the given paths) loaded, names
 * unique per kind, campaigns' references resolved, paths confined to the project root.
 */
import { isUtf8 } from "node:buffer";
import { readdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Diagnostic, Range } from "../diagnostics.js";
import type { CampaignSpec } from "../types/campaign.generated.js";
import type { MessageSpec } from "../types/message.generated.js";
import type { TemplateSpec } from "../types/template.generated.js";
import { closest } from "../compiler/words.js";
import { messageTemplateForms } from "../compiler/template-check.js";
import { describeConfinement, loadConfig } from "./config.js";
import type { ResolvedConfig } from "./config.js";
import { loadSpecSourceWithDeclaration, sortByPosition } from "./load.js";
import type { DeclaredSpec, LoadedSpec } from "./load.js";
import { confinement, projectRelative, readBoundedFile, realPathOf } from "./confine.js";
import { MAX_SPEC_BYTES } from "./yaml-source.js";
import { notUtf8Diagnostic } from "../text-encoding.js";

export type { LoadedSpec } from "./load.js";
export { projectRelative } from "./confine.js";

export interface Project {
  config: ResolvedConfig;
  /** Loaded (schema-valid) Message and Campaign specs, sorted by file. */
  specs: LoadedSpec[];
  messages: Map<string, LoadedSpec<MessageSpec>>;
  campaigns: Map<string, LoadedSpec<CampaignSpec>>;
  /**
   * Loaded Template specs by Meta's name. Kept out of `specs`: they are never built, previewed
   * or sent, only linted and held against the Messages that send them.
   */
  templates: Map<string, LoadedSpec<TemplateSpec>>;
  /** Config, load, schema, duplicate-name and reference diagnostics, in file order. */
  diagnostics: Diagnostic[];
  /**
   * The text of every spec file read, valid or not, by project-relative file: code frames need
   * the source of the files that failed to load too.
   */
  sources: Map<string, string>;
}

const SPEC_EXTENSIONS = /\.ya?ml$/i;
/** Folders never searched for specs: VCS data, dependencies, msgc's own output. */
const SKIPPED_FOLDERS = new Set(["node_modules"]);

const START: Range = { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } };

function problem(code: Diagnostic["code"], message: string, file: string, range: Range | undefined, path: Diagnostic["path"] = []): Diagnostic {
  return { code, severity: "error", message, file, path, ...(range ? { range } : {}) };
}

/**
 * Every spec file (*.yaml, *.yml) under `folder`, hidden folders and node_modules left out.
 * `plain` receives the files that are no links: inside a folder that stays in the project, such a
 * file does too, with no need to resolve its path (which costs more than parsing a small spec).
 */
export async function collectSpecFiles(folder: string, into: string[], plain?: Set<string>): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = resolve(folder, entry.name);
    // Symlinked folders are not followed: a link loop must not hang the loader.
    if (entry.isDirectory()) {
      if (!entry.name.startsWith(".") && !SKIPPED_FOLDERS.has(entry.name)) await collectSpecFiles(path, into, plain);
    } else if (SPEC_EXTENSIONS.test(entry.name)) {
      // Links and special files too: reading them says what is wrong with them.
      into.push(path);
      if (entry.isFile()) plain?.add(path);
    }
  }
}

/** Where the project is, as written and with its symlinks followed: what every path is held to. */
export interface Bounds {
  root: string;
  realRoot: string;
  /** Plain files found walking folders already known to stay inside: not resolved again. */
  inside: Set<string>;
}

/**
 * The spec files to load: the given paths (files or folders inside the root) or the specs folder.
 * Undefined when the specs folder itself is outside the project (loadConfig reported it).
 */
async function findSpecFiles(config: ResolvedConfig, bounds: Bounds, cwd: string, paths: readonly string[] | undefined, diagnostics: Diagnostic[]): Promise<string[] | undefined> {
  const files: string[] = [];
  if (paths === undefined || paths.length === 0) {
    if ((await confinement(bounds.root, bounds.realRoot, config.specsDir)) !== undefined) return undefined;
    await collectSpecFiles(config.specsDir, files, bounds.inside);
    return files;
  }
  for (const given of paths) {
    const absPath = resolve(cwd, given);
    const where = await confinement(bounds.root, bounds.realRoot, absPath);
    if (where !== undefined) {
      diagnostics.push(problem("path-outside-project", `${given} is outside the project (${config.root})${describeConfinement(where)}`, given, undefined));
      continue;
    }
    let info;
    try {
      info = await stat(absPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "it does not exist" : (code ?? "error");
      diagnostics.push(problem("file-unreadable", `Cannot read ${given} (${why})`, given, undefined));
      continue;
    }
    if (info.isDirectory()) await collectSpecFiles(absPath, files, bounds.inside);
    else files.push(absPath);
  }
  return [...new Set(files)];
}

/**
 * A spec file's text: inside the project (links followed), a regular file, at most 1 MiB, UTF-8.
 * `root` names what bounds it in the message (the sandbox's --templates folder is its own).
 */
export async function readSpecFile(absPath: string, file: string, bounds: Bounds, root = "the project"): Promise<{ source?: string; diagnostic?: Diagnostic }> {
  // A plain file of a folder that stays inside is read without following a link: one that
  // appeared since the walk is refused, not followed.
  if (bounds.inside.has(absPath)) return readSpecText(absPath, file, { noFollow: true });
  const where = await confinement(bounds.root, bounds.realRoot, absPath);
  if (where !== undefined) {
    return { diagnostic: problem("path-outside-project", `The file is outside ${root}${describeConfinement(where)}`, file, START) };
  }
  return readSpecText(absPath, file);
}

/** A spec file's text, wherever it is: a regular file, at most 1 MiB, UTF-8. */
export function readSpecText(absPath: string, file: string, opts: { noFollow?: boolean } = {}): { source?: string; diagnostic?: Diagnostic } {
  const read = readBoundedFile(absPath, MAX_SPEC_BYTES, opts);
  if ("content" in read) return isUtf8(read.content) ? { source: read.content.toString("utf8") } : { diagnostic: notUtf8Diagnostic(read.content, file) };
  if (read.problem === "too-large") {
    return {
      diagnostic: problem("file-too-large", `The file is ${read.bytes} bytes; msgc reads YAML files of at most ${MAX_SPEC_BYTES} bytes (1 MiB)`, file, START),
    };
  }
  const why = read.problem === "not-a-file" ? "it is not a regular file" : read.code;
  return { diagnostic: problem("file-unreadable", `Cannot read the file (${why})`, file, START) };
}


function lineOf(spec: LoadedSpec): number {
  return (spec.locate(["name"])?.start.line ?? 0) + 1;
}

/**
 * Loads the whole project. Never throws for bad input: every problem is a diagnostic, and
 * what could be loaded is in `specs`, `messages` and `campaigns`.
 */
export async function loadProject(opts: { cwd: string; configPath?: string; paths?: string[] }): Promise<Project> {
  const cwd = resolve(opts.cwd);
  const { config, diagnostics } = await loadConfig({ cwd, ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}) });
  // The root through its own symlinks too (a temporary folder often is one), to compare like with like.
  const bounds: Bounds = { root: config.root, realRoot: await realPathOf(config.root), inside: new Set() };
  const found = await findSpecFiles(config, bounds, cwd, opts.paths, diagnostics);
  // With `specs: .` the config sits among the specs; it is not one.
  const absPaths = (found ?? []).filter((absPath) => absPath !== config.configFile);
  const entries = absPaths
    .map((absPath) => ({ absPath, file: projectRelative(config.root, absPath) ?? absPath }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));

  const specs: LoadedSpec[] = [];
  const sources = new Map<string, string>();
  const declared: Array<DeclaredSpec & { file: string; absPath: string }> = [];
  const messages = new Map<string, LoadedSpec<MessageSpec>>();
  const campaigns = new Map<string, LoadedSpec<CampaignSpec>>();
  const templates = new Map<string, LoadedSpec<TemplateSpec>>();
  // Files that could not say what they are (not YAML, no kind, no name): any of them may be the
  // message a campaign names. Those met while looking for a campaign's message wait in `maybe`.
  const unidentified: Unidentified[] = [];
  const maybe: Unidentified[] = [];
  const addEntry = async ({ absPath, file }: { absPath: string; file: string }, only?: { kind: "Message" | "Template"; names: ReadonlySet<string> }): Promise<void> => {
    const read = await readSpecFile(absPath, file, bounds);
    if (read.source === undefined) {
      if (read.diagnostic && !only) diagnostics.push(read.diagnostic);
      return;
    }
    const loaded = loadSpecSourceWithDeclaration(read.source, file, absPath);
    // A file pulled in for a campaign's reference counts only when it is the message wanted.
    const identity = loaded.spec ?? loaded.declared;
    if (!identity) {
      (only ? maybe : unidentified).push({ file, source: read.source, diagnostics: loaded.diagnostics });
      if (only) return;
    }
    if (only && !(identity?.kind === only.kind && only.names.has(identity.name))) return;
    sources.set(file, read.source);
    diagnostics.push(...loaded.diagnostics);
    if (loaded.declared) declared.push({ ...loaded.declared, file, absPath });
    const spec = loaded.spec;
    if (!spec) return;
    const byName = (spec.kind === "Message" ? messages : spec.kind === "Template" ? templates : campaigns) as Map<string, LoadedSpec>;
    const first = byName.get(spec.name);
    if (first) {
      diagnostics.push(
        problem(
          "duplicate-name",
          `${spec.kind} name "${spec.name}" is already used by ${first.file}:${lineOf(first)}`,
          file,
          spec.locate(["name"]),
          ["name"],
        ),
      );
      return;
    }
    byName.set(spec.name, spec);
    if (spec.kind !== "Template") specs.push(spec);
  };
  for (const entry of entries) await addEntry(entry);

  // `msgc preview specs/campaigns/x.yaml`: the campaign's message lives elsewhere in the spec
  // tree; load it too, so that naming a campaign is enough.
  let others: { absPath: string; file: string }[] | undefined;
  const otherEntries = async (): Promise<{ absPath: string; file: string }[]> => {
    const loadedPaths = new Set(absPaths);
    others ??= ((await findSpecFiles(config, bounds, cwd, undefined, [])) ?? [])
      .filter((absPath) => absPath !== config.configFile && !loadedPaths.has(absPath))
      .map((absPath) => ({ absPath, file: projectRelative(config.root, absPath) ?? absPath }))
      .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    return others;
  };
  if (opts.paths?.length) {
    const wanted = new Set([...campaigns.values()].map((c) => c.data.message).filter((name) => !messages.has(name)));
    if (wanted.size > 0) {
      for (const entry of await otherEntries()) await addEntry(entry, { kind: "Message", names: wanted });
      specs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      // A wanted message still not found may be in a file that failed to load: show its errors.
      const missing = [...wanted].filter((name) => !messages.has(name) && !declared.some((d) => d.kind === "Message" && d.name === name));
      const shown = maybe.filter((u) => missing.some((name) => declaresName(u.source, name)));
      for (const u of missing.length > 0 ? (shown.length > 0 ? shown : maybe) : []) {
        sources.set(u.file, u.source);
        diagnostics.push(...u.diagnostics);
        unidentified.push(u);
      }
    }
  }

  // `msgc validate specs/messages/x.yaml`: the Template specs its messages send live elsewhere in
  // the spec tree; load them too, so that the message is held against them as in a full run.
  if (opts.paths?.length) {
    const wanted = new Set([...messages.values()].flatMap((m) => messageTemplateForms(m.data).map((form) => form.name)).filter((name) => !templates.has(name)));
    if (wanted.size > 0) {
      const loadedPaths = new Set(specs.map((spec) => spec.absPath));
      for (const entry of await otherEntries()) if (!loadedPaths.has(entry.absPath)) await addEntry(entry, { kind: "Template", names: wanted });
    }
  }

  const invalidCampaigns = declared.filter((d) => d.audienceFile !== undefined);
  // Said after the errors of the files that hold them, which explain them.
  const unchecked: Diagnostic[] = [];
  for (const campaign of campaigns.values()) {
    checkCampaignReferences(campaign, messages, declared, unidentified, diagnostics, unchecked);
    const audienceProblem = await checkAudiencePath(campaign.data.audience.file, campaign, bounds, () => campaign.locate(["audience", "file"]));
    if (audienceProblem) diagnostics.push(audienceProblem);
  }
  // A path that leaves the project is said as such also in a campaign that breaks its schema
  // (`../../etc/passwd` is first of all outside, not a file of the wrong type).
  for (const invalid of invalidCampaigns) {
    const { given, range } = invalid.audienceFile!;
    const audienceProblem = await checkAudiencePath(given, invalid, bounds, () => range);
    if (!audienceProblem) continue;
    const atPath = (d: Diagnostic) => d.file === invalid.file && d.path.length === 2 && d.path[0] === "audience" && d.path[1] === "file";
    diagnostics.splice(0, diagnostics.length, ...diagnostics.filter((d) => !atPath(d)), audienceProblem);
  }

  if (found !== undefined && entries.length === 0 && !diagnostics.some((d) => d.code === "file-unreadable" || d.code === "path-outside-project")) {
    const where = projectRelative(config.root, config.specsDir) || ".";
    const searched = opts.paths?.length ? opts.paths.join(", ") : `${where}/`;
    diagnostics.push(problem("no-specs", `No spec files (*.yaml, *.yml) found in ${searched}`, opts.paths?.length ? (opts.paths[0] as string) : where, undefined));
  }

  return { config, specs, messages, campaigns, templates, diagnostics: [...sortByPlace(diagnostics), ...sortByPlace(unchecked)], sources };
}

/** Stable order for output: by file, then position; whole-file problems first in their file. */
function sortByPlace(diagnostics: Diagnostic[]): Diagnostic[] {
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    const list = byFile.get(d.file);
    if (list) list.push(d);
    else byFile.set(d.file, [d]);
  }
  return [...byFile.keys()].sort().flatMap((file) => sortByPosition(byFile.get(file)!));
}

interface Unidentified {
  file: string;
  source: string;
  diagnostics: Diagnostic[];
}

/** The file's text has a top-level `name: <name>` line: the likely spec of that name, even unparsed. */
function declaresName(source: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^name:[ \\t]*(["']?)${escaped}\\1[ \\t]*(#.*)?\\r?$`, "m").test(source);
}

function listFiles(files: readonly string[]): string {
  const shown = files.slice(0, 3).join(", ");
  return files.length > 3 ? `${shown} and ${files.length - 3} more` : shown;
}

function checkCampaignReferences(
  campaign: LoadedSpec<CampaignSpec>,
  messages: ReadonlyMap<string, LoadedSpec<MessageSpec>>,
  declared: readonly DeclaredSpec[],
  unidentified: readonly Unidentified[],
  diagnostics: Diagnostic[],
  unchecked: Diagnostic[],
): void {
  const wanted = campaign.data.message;
  const failedToLoad = declared.some((d) => d.kind === "Message" && d.name === wanted);
  if (messages.has(wanted) || failedToLoad) return;
  if (unidentified.length > 0) {
    // Not "does not exist": it may be in a file that could not be read as a spec.
    const likely = unidentified.filter((u) => declaresName(u.source, wanted));
    const files = (likely.length > 0 ? likely : unidentified).map((u) => u.file);
    unchecked.push({
      code: "message-unchecked",
      severity: "warning",
      message: `Campaign "${campaign.name}" sends message "${wanted}", which could not be checked: ${listFiles(files)} ${files.length === 1 ? "has" : "have"} errors`,
      file: campaign.file,
      path: ["message"],
      ...rangeOf(campaign.locate(["message"])),
    });
    return;
  }
  const suggestion = closest(wanted, [...messages.keys()]);
  diagnostics.push(
    problem(
      "unknown-message",
      `Campaign "${campaign.name}" sends message "${wanted}", which does not exist${suggestion ? `; did you mean "${suggestion}"?` : ""}`,
      campaign.file,
      campaign.locate(["message"]),
      ["message"],
    ),
  );
}

function rangeOf(range: Range | undefined): { range?: Range } {
  return range ? { range } : {};
}

/**
 * A campaign's audience must stay inside the project, also once symlinks are followed: a link
 * under specs/ must not read a file elsewhere. The one place that checks it (the runner does not
 * report it again); a missing file is left to the runner, which reads it.
 */
async function checkAudiencePath(given: string, campaign: { file: string; absPath: string }, bounds: Bounds, range: () => Range | undefined): Promise<Diagnostic | undefined> {
  const where = await confinement(bounds.root, bounds.realRoot, resolve(dirname(campaign.absPath), given));
  if (where === undefined) return undefined;
  const why = where === "links-outside" ? " (it links to a file outside)" : "";
  // Located only when there is a problem: locating a spec parses it again.
  return problem("path-outside-project", `Audience file "${given}" is outside the project${why}`, campaign.file, range(), ["audience", "file"]);
}

/** Codes about a mapping's key rather than its value. */
const AT_KEY: ReadonlySet<Diagnostic["code"]> = new Set(["unused-variable", "template-language-unknown"]);

/** Fills `range` of diagnostics that point into a spec (by path, and offset inside a string). */
export function locateDiagnostics(project: Project, diagnostics: Diagnostic[]): Diagnostic[] {
  return locateInSpecs([...project.specs, ...(project.templates?.values() ?? [])], diagnostics);
}

/** locateDiagnostics for specs loaded outside a project (the sandbox's --templates). */
export function locateInSpecs(specs: Iterable<LoadedSpec>, diagnostics: Diagnostic[]): Diagnostic[] {
  const byFile = new Map<string, LoadedSpec>([...specs].map((spec) => [spec.file, spec]));
  return diagnostics.map((d) => {
    if (d.range !== undefined || d.row !== undefined) return d;
    const spec = byFile.get(d.file);
    // An unused var is the name under vars:, not its definition; a language code is its key.
    const range = AT_KEY.has(d.code) ? spec?.locateKey(d.path) : spec?.locate(d.path, d.offset);
    return range ? { ...d, range } : d;
  });
}
