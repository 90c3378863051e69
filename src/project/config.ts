/**
 * msgc.config.yaml: found by walking up from the working directory, checked against
 * schema/config.schema.json, defaults filled in. No config file is needed: without one the
 * project root is the working directory and every setting has its default.
 */
import { isUtf8 } from "node:buffer";
import { stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, parse, resolve } from "node:path";
import type { Diagnostic, Range } from "../diagnostics.js";
import type { WindowMode } from "../compiler/plan.js";
import type { MsgcConfig } from "../types/config.generated.js";
import { confinement, readBoundedFile, realPathOf } from "./confine.js";
import type { Confinement } from "./confine.js";
import { locateProblems, sortByPosition } from "./load.js";
import { checkSchema } from "./schema-check.js";
import { MAX_SPEC_BYTES, parseYamlSource } from "./yaml-source.js";
import { notUtf8Diagnostic } from "../text-encoding.js";
import { hasDatabaseUrlPassword, isPostgresUrl } from "../store/database-url.js";

export const CONFIG_FILE_NAME = "msgc.config.yaml";

export interface ResolvedConfig {
  /** Absolute project root (folder of msgc.config.yaml, or cwd). */
  root: string;
  /** Absolute path, when one was found. */
  configFile?: string;
  /** Absolute. */
  specsDir: string;
  /** Absolute. */
  outDir: string;
  businessId?: string;
  baseUrl: string;
  rate: number;
  concurrency: number;
  window: WindowMode;
  /** true: every Message's template must have a Template spec (template-not-defined). */
  requireTemplates: boolean;
  /** Opt-out and opt-in keywords added to the defaults (`optOut:`), as written. */
  optOut: { keywords: string[]; optInKeywords: string[] };
  /** `store:` as written (checked: no password in a URL, a .db path inside the project); MSGC_STORE overrides it (src/store/open.ts). */
  store?: string;
}

export const CONFIG_DEFAULTS = {
  specs: "specs",
  out: ".msgc",
  baseUrl: "https://api.connectly.ai",
  rate: 50,
  concurrency: 16,
  window: "auto",
} as const satisfies MsgcConfig;

function resolveConfig(root: string, values: MsgcConfig, configFile?: string): ResolvedConfig {
  return {
    root,
    ...(configFile ? { configFile } : {}),
    specsDir: resolve(root, values.specs ?? CONFIG_DEFAULTS.specs),
    outDir: resolve(root, values.out ?? CONFIG_DEFAULTS.out),
    ...(values.businessId !== undefined ? { businessId: values.businessId } : {}),
    baseUrl: values.baseUrl ?? CONFIG_DEFAULTS.baseUrl,
    rate: values.rate ?? CONFIG_DEFAULTS.rate,
    concurrency: values.concurrency ?? CONFIG_DEFAULTS.concurrency,
    window: values.window ?? CONFIG_DEFAULTS.window,
    requireTemplates: values.templates?.require ?? false,
    optOut: { keywords: values.optOut?.keywords ?? [], optInKeywords: values.optOut?.optInKeywords ?? [] },
    ...(values.store !== undefined ? { store: values.store } : {}),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The nearest msgc.config.yaml at or above `cwd`. */
export async function findConfigFile(cwd: string): Promise<string | undefined> {
  let dir = resolve(cwd);
  const { root } = parse(dir);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (await isFile(candidate)) return candidate;
    if (dir === root) return undefined;
    dir = dirname(dir);
  }
}

/**
 * Finds, reads and checks the config. With `configPath` (relative to cwd) that file is used and
 * must exist. Problems come back as `config-invalid` (or the YAML codes) and the defaults are
 * used for whatever could not be read.
 */
export async function loadConfig(opts: { cwd: string; configPath?: string }): Promise<{ config: ResolvedConfig; diagnostics: Diagnostic[] }> {
  const cwd = resolve(opts.cwd);
  const configFile = opts.configPath !== undefined ? (isAbsolute(opts.configPath) ? opts.configPath : resolve(cwd, opts.configPath)) : await findConfigFile(cwd);
  if (configFile === undefined) {
    const config = resolveConfig(cwd, {});
    return { config, diagnostics: await checkFolders(config, await realPathOf(cwd), {}, undefined, () => undefined) };
  }

  const root = dirname(configFile);
  // The config's folder is the root, so its project-relative name is its base name.
  const file = basename(configFile);
  const fallback = { config: resolveConfig(root, {}, configFile) };
  // The config is part of the project: a link from it to a file elsewhere is not read.
  const realRoot = await realPathOf(root);
  if ((await confinement(root, realRoot, configFile)) !== undefined) {
    return { ...fallback, diagnostics: [wholeFile("path-outside-project", `The config file ${file} links to a file outside the project (${root})`, file)] };
  }
  const read = readBoundedFile(configFile, MAX_SPEC_BYTES);
  if ("problem" in read) {
    if (read.problem === "too-large") {
      return { ...fallback, diagnostics: [wholeFile("file-too-large", `The config file is ${read.bytes} bytes; at most ${MAX_SPEC_BYTES} bytes (1 MiB) are read`, file)] };
    }
    const why = read.problem === "not-a-file" ? "it is not a regular file" : read.code === "ENOENT" ? "it does not exist" : read.code;
    return { ...fallback, diagnostics: [wholeFile("file-unreadable", `Cannot read the config file ${configFile} (${why})`, file)] };
  }
  if (!isUtf8(read.content)) return { ...fallback, diagnostics: [notUtf8Diagnostic(read.content, file)] };
  const source = read.content.toString("utf8");

  // An empty config file (or one with only comments) is a config with every default.
  const { parsed, diagnostics } = parseYamlSource(source, file, { allowEmpty: true });
  if (!parsed) return { ...fallback, diagnostics };
  const data = parsed.data ?? {};
  const problems = checkSchema("config", data);
  if (problems.length > 0) {
    const located = locateProblems(problems, file, parsed.locator).map((d) => ({
      ...d,
      code: "config-invalid" as const,
      message: `${file}: ${d.message}`,
    }));
    return { ...fallback, diagnostics: sortByPosition(located) };
  }
  const config = resolveConfig(root, data as MsgcConfig, configFile);
  const locate = (key: string): Range | undefined => parsed.locator.locate([key]);
  const folders = await checkFolders(config, realRoot, data as MsgcConfig, file, locate);
  const store = await checkStore(config, realRoot, file, locate);
  if (store.length > 0) delete config.store;
  return { config, diagnostics: [...folders, ...store] };
}

/**
 * `store:` names a database msgc writes to. Its value is never quoted back: a URL in it may
 * carry a password, which belongs in MSGC_STORE or PGPASSWORD, never in a committed file.
 */
async function checkStore(config: ResolvedConfig, realRoot: string, file: string, locate: (key: string) => Range | undefined): Promise<Diagnostic[]> {
  const value = config.store;
  if (value === undefined || value === "sqlite" || value === "off") return [];
  const problem = (message: string, hint?: string): Diagnostic[] => [
    { code: "config-invalid", severity: "error", message: `${file}: store: ${message}`, file, path: ["store"], range: locate("store") ?? START, ...(hint ? { hint } : {}) },
  ];
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) {
    if (!isPostgresUrl(value)) return problem("only postgres:// and postgresql:// URLs name a store");
    if (hasDatabaseUrlPassword(value)) {
      return problem("the PostgreSQL URL carries a password, which does not belong in a committed file", "remove it and set PGPASSWORD, or put the whole URL in MSGC_STORE");
    }
    return [];
  }
  const where = await confinement(config.root, realRoot, resolve(config.root, value));
  return where === undefined ? [] : problem(`${JSON.stringify(value)} is outside the project (${config.root})${describeConfinement(where)}`);
}

/**
 * `specs:` and `out:` must name folders inside the project, also once symlinks are followed:
 * `specs: /` would walk the whole disk, `out: ../x` would write elsewhere. The folders the
 * defaults name are checked too, since a link committed as `specs` is just as far away.
 */
async function checkFolders(
  config: ResolvedConfig,
  realRoot: string,
  written: MsgcConfig,
  file: string | undefined,
  locate: (key: string) => Range | undefined,
): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  for (const [key, folder] of [["specs", config.specsDir], ["out", config.outDir]] as const) {
    const where = await confinement(config.root, realRoot, folder);
    if (where === undefined) continue;
    const value = written[key];
    const range = value === undefined ? undefined : locate(key);
    const outside = `is outside the project (${config.root})${describeConfinement(where)}`;
    if (file !== undefined && value !== undefined) {
      diagnostics.push({ code: "config-invalid", severity: "error", message: `${file}: ${key}: ${JSON.stringify(value)} ${outside}`, file, path: [key], range: range ?? START });
    } else {
      // The default folder: nothing written in a config is at fault, the folder itself is.
      const name = key === "specs" ? CONFIG_DEFAULTS.specs : CONFIG_DEFAULTS.out;
      diagnostics.push({ code: "path-outside-project", severity: "error", message: `The ${key} folder ${name} ${outside}`, file: name, path: [] });
    }
  }
  return diagnostics;
}

/** The words after "is outside the project" for a path refused by `confinement`. */
export function describeConfinement(where: Confinement): string {
  return where === "links-outside" ? " (a symlink leads out of it)" : "";
}

const START: Range = { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } };

function wholeFile(code: Diagnostic["code"], message: string, file: string): Diagnostic {
  return { code, severity: "error", message, file, path: [], range: START };
}
