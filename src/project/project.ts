/**
 * The spec tree: every spec file under the specs folder (or the given paths) loaded, names
 * unique per kind, campaigns' references resolved, paths confined to the project root.
 */
import { isUtf8 } from "node:buffer";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { Diagnostic, Range } from "../diagnostics.js";
import type { CampaignSpec } from "../types/campaign.generated.js";
import type { MessageSpec } from "../types/message.generated.js";
import { closest } from "../compiler/words.js";
import { loadConfig } from "./config.js";
import type { ResolvedConfig } from "./config.js";
import { loadSpecSourceWithDeclaration, sortByPosition } from "./load.js";
import type { DeclaredSpec, LoadedSpec } from "./load.js";
import { MAX_SPEC_BYTES } from "./yaml-source.js";
import { likelyEncoding, notUtf8Position } from "../text-encoding.js";

export type { LoadedSpec } from "./load.js";

export interface Project {
  config: ResolvedConfig;
  /** Loaded (schema-valid) specs, sorted by file. */
  specs: LoadedSpec[];
  messages: Map<string, LoadedSpec<MessageSpec>>;
  campaigns: Map<string, LoadedSpec<CampaignSpec>>;
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

/** Project-relative POSIX path, or undefined when `absPath` is outside `root`. */
export function projectRelative(root: string, absPath: string): string | undefined {
  const rel = relative(root, absPath);
  if (rel === "..") return undefined;
  if (rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

function problem(code: Diagnostic["code"], message: string, file: string, range: Range | undefined, path: Diagnostic["path"] = []): Diagnostic {
  return { code, severity: "error", message, file, path, ...(range ? { range } : {}) };
}

async function collectSpecFiles(folder: string, into: string[]): Promise<void> {
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
      if (!entry.name.startsWith(".") && !SKIPPED_FOLDERS.has(entry.name)) await collectSpecFiles(path, into);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && SPEC_EXTENSIONS.test(entry.name)) {
      into.push(path);
    }
  }
}

/** The spec files to load: the given paths (files or folders inside the root) or the specs folder. */
async function findSpecFiles(config: ResolvedConfig, cwd: string, paths: readonly string[] | undefined, diagnostics: Diagnostic[]): Promise<string[]> {
  const files: string[] = [];
  if (paths === undefined || paths.length === 0) {
    await collectSpecFiles(config.specsDir, files);
    return files;
  }
  for (const given of paths) {
    const absPath = resolve(cwd, given);
    if (projectRelative(config.root, absPath) === undefined) {
      diagnostics.push(problem("path-outside-project", `${given} is outside the project (${config.root})`, given, undefined));
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
    if (info.isDirectory()) await collectSpecFiles(absPath, files);
    else files.push(absPath);
  }
  return [...new Set(files)];
}

async function readSpecFile(absPath: string, file: string): Promise<{ source?: string; diagnostic?: Diagnostic }> {
  try {
    const info = await stat(absPath);
    if (info.size > MAX_SPEC_BYTES) {
      return {
        diagnostic: problem(
          "file-too-large",
          `The file is ${info.size} bytes; msgc reads YAML files of at most ${MAX_SPEC_BYTES} bytes (1 MiB)`,
          file,
          START,
        ),
      };
    }
    const bytes = await readFile(absPath);
    if (!isUtf8(bytes)) return { diagnostic: notUtf8Problem(bytes, file) };
    return { source: bytes.toString("utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    return { diagnostic: problem("file-unreadable", `Cannot read the file (${code})`, file, START) };
  }
}

/** A spec file that is not UTF-8 (saved by an editor in windows-1252, say), at its first bad byte. */
function notUtf8Problem(bytes: Buffer, file: string): Diagnostic {
  const at = notUtf8Position(bytes)!;
  const position = { line: at.line, column: at.column };
  const byte = `0x${at.byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return {
    ...problem("encoding-invalid", `The file is not UTF-8 (byte ${byte}); it looks like ${likelyEncoding(bytes)}`, file, { start: position, end: position }),
    hint: "Save it as UTF-8",
  };
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
  const found = await findSpecFiles(config, cwd, opts.paths, diagnostics);
  // With `specs: .` the config sits among the specs; it is not one.
  const absPaths = found.filter((absPath) => absPath !== config.configFile);
  const entries = absPaths
    .map((absPath) => ({ absPath, file: projectRelative(config.root, absPath) ?? absPath }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));

  const specs: LoadedSpec[] = [];
  const sources = new Map<string, string>();
  const declared: DeclaredSpec[] = [];
  const messages = new Map<string, LoadedSpec<MessageSpec>>();
  const campaigns = new Map<string, LoadedSpec<CampaignSpec>>();
  const addEntry = async ({ absPath, file }: { absPath: string; file: string }, only?: ReadonlySet<string>): Promise<void> => {
    const read = await readSpecFile(absPath, file);
    if (read.source === undefined) {
      if (read.diagnostic && !only) diagnostics.push(read.diagnostic);
      return;
    }
    const loaded = loadSpecSourceWithDeclaration(read.source, file, absPath);
    // A file pulled in for a campaign's reference counts only when it is the message wanted.
    const identity = loaded.spec ?? loaded.declared;
    if (only && !(identity?.kind === "Message" && only.has(identity.name))) return;
    sources.set(file, read.source);
    diagnostics.push(...loaded.diagnostics);
    if (loaded.declared) declared.push(loaded.declared);
    const spec = loaded.spec;
    if (!spec) return;
    const byName = (spec.kind === "Message" ? messages : campaigns) as Map<string, LoadedSpec>;
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
    specs.push(spec);
  };
  for (const entry of entries) await addEntry(entry);

  // `msgc preview specs/campaigns/x.yaml`: the campaign's message lives elsewhere in the spec
  // tree; load it too, so that naming a campaign is enough.
  if (opts.paths?.length) {
    const wanted = new Set([...campaigns.values()].map((c) => c.data.message).filter((name) => !messages.has(name)));
    if (wanted.size > 0) {
      const loadedPaths = new Set(absPaths);
      const others = (await findSpecFiles(config, cwd, undefined, []))
        .filter((absPath) => absPath !== config.configFile && !loadedPaths.has(absPath))
        .map((absPath) => ({ absPath, file: projectRelative(config.root, absPath) ?? absPath }))
        .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      for (const entry of others) await addEntry(entry, wanted);
      specs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    }
  }

  // The root through its own symlinks too (a temporary folder often is one), to compare like with like.
  const realRoot = campaigns.size > 0 ? ((await realPathOf(config.root)) ?? config.root) : config.root;
  for (const campaign of campaigns.values()) {
    checkCampaignReferences(campaign, config, messages, declared, diagnostics);
    const audienceProblem = await checkAudiencePath(campaign, config, realRoot);
    if (audienceProblem) diagnostics.push(audienceProblem);
  }

  if (entries.length === 0 && !diagnostics.some((d) => d.code === "file-unreadable" || d.code === "path-outside-project")) {
    const where = projectRelative(config.root, config.specsDir) || ".";
    const searched = opts.paths?.length ? opts.paths.join(", ") : `${where}/`;
    diagnostics.push(problem("no-specs", `No spec files (*.yaml, *.yml) found in ${searched}`, opts.paths?.length ? (opts.paths[0] as string) : where, undefined));
  }

  return { config, specs, messages, campaigns, diagnostics: sortByPlace(diagnostics), sources };
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

function checkCampaignReferences(
  campaign: LoadedSpec<CampaignSpec>,
  config: ResolvedConfig,
  messages: ReadonlyMap<string, LoadedSpec<MessageSpec>>,
  declared: readonly DeclaredSpec[],
  diagnostics: Diagnostic[],
): void {
  const wanted = campaign.data.message;
  const failedToLoad = declared.some((d) => d.kind === "Message" && d.name === wanted);
  if (!messages.has(wanted) && !failedToLoad) {
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
}

/** The path with every symlink followed; undefined when nothing is there. */
async function realPathOf(absPath: string): Promise<string | undefined> {
  try {
    return await realpath(absPath);
  } catch {
    // Missing or unreadable: the runner says which when it opens the file.
    return undefined;
  }
}

/**
 * A campaign's audience must stay inside the project, also once symlinks are followed: a link
 * under specs/ must not read a file elsewhere. The one place that checks it (the runner does not
 * report it again); a missing file is left to the runner, which reads it.
 */
async function checkAudiencePath(campaign: LoadedSpec<CampaignSpec>, config: ResolvedConfig, realRoot: string): Promise<Diagnostic | undefined> {
  const given = campaign.data.audience.file;
  const audience = resolve(dirname(campaign.absPath), given);
  const outside = (why: string): Diagnostic =>
    problem("path-outside-project", `Audience file "${given}" is outside the project${why}`, campaign.file, campaign.locate(["audience", "file"]), ["audience", "file"]);
  if (projectRelative(config.root, audience) === undefined) return outside("");
  const real = await realPathOf(audience);
  if (real !== undefined && projectRelative(realRoot, real) === undefined) return outside(" (it links to a file outside)");
  return undefined;
}

/** Fills `range` of diagnostics that point into a spec (by path, and offset inside a string). */
export function locateDiagnostics(project: Project, diagnostics: Diagnostic[]): Diagnostic[] {
  const byFile = new Map<string, LoadedSpec>(project.specs.map((spec) => [spec.file, spec]));
  return diagnostics.map((d) => {
    if (d.range !== undefined || d.row !== undefined) return d;
    const range = byFile.get(d.file)?.locate(d.path, d.offset);
    return range ? { ...d, range } : d;
  });
}
