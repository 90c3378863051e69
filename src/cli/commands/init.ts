import { existsSync } from "node:fs";
import { mkdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { CommandHandler } from "../io.js";
import { EXIT_OK, InputError, UsageError } from "../io.js";
import { helpRequested, parseCommand } from "../common.js";

const HELP = `Usage: msgc init [dir] [options]

Scaffolds a msgc project in dir (default: the current folder): msgc.config.yaml, one Message
(specs/messages/welcome.yaml), one Campaign with a five-row audience
(specs/campaigns/welcome-campaign.yaml, specs/audiences/welcome.csv), editor schema modelines,
.vscode/settings.json mapping every spec under specs/ to msgc's schemas (merged into an
existing one), .msgc/ in .gitignore, and a GitHub Actions workflow that validates specs and
comments each pull request's message changes (.github/workflows/msgc.yml).

Options:
  --force, -f    overwrite files that already exist (default: refuse and change nothing)
  --help, -h     show this help
`;

const OPTIONS = {
  force: { type: "boolean", short: "f" },
  help: { type: "boolean", short: "h" },
} as const;

/** Where the schemas are once msgc is installed in the new project. */
const SCHEMA_DIR = "node_modules/msgc/schema";

const WORKFLOW_EXAMPLE = fileURLToPath(new URL("../../../examples/github/msgc-pr.yml", import.meta.url));

function modeline(file: string, schema: string): string {
  const path = relative(dirname(file), join(SCHEMA_DIR, schema)).split(sep).join("/");
  return `# yaml-language-server: $schema=${path}\n`;
}

const CONFIG = `specs: specs
out: .msgc
# businessId: your Connectly business id (a UUID); the API key comes from CONNECTLY_API_KEY.
window: auto
rate: 50
`;

const MESSAGE = `kind: Message
name: welcome
description: Greets a new customer, with two reply buttons
vars:
  first_name: { type: string, maxLength: 40 }
samples:
  ana: { first_name: Ana }
  ben: { first_name: Ben }
session:
  text: "Hi {{first_name}}! Welcome to *Lucky Shrub*. What can we help you with?"
  buttons:
    - { id: browse, text: Browse plants }
    - { id: help, text: Talk to us }
  footer: Reply STOP to opt out
template:
  name: welcome_v1
  language: en_US
  body: ["{{first_name}}"]
window: auto
`;

const TEMPLATE = `kind: Template
name: welcome_v1
category: utility
description: The template form of the welcome message, as Meta reviews it (msgc templates plan / apply)
languages:
  en_US:
    body:
      text: "Hi {{1}}! Welcome to *Lucky Shrub*. What can we help you with?"
      examples: ["Ana"]
    footer: Reply STOP to opt out
    buttons:
      - { type: quick_reply, text: Browse plants }
      - { type: quick_reply, text: Talk to us }
`;

const CAMPAIGN = `kind: Campaign
name: welcome-campaign
message: welcome
campaignName: welcome_campaign
audience:
  file: ../audiences/welcome.csv
  phone: phone
`;

const AUDIENCE = `phone,first_name
+16045550101,Ana
+1 (604) 555-2331,Ben
+14155550132,Chloé
+16475550199,Dev
+12025550143,Emma
`;

interface ScaffoldFile {
  path: string;
  content: () => Promise<string>;
}

function scaffold(): ScaffoldFile[] {
  const yaml = (path: string, schema: string, body: string): ScaffoldFile => ({
    path,
    content: async () => `${modeline(path, schema)}${body}`,
  });
  return [
    yaml("msgc.config.yaml", "config.schema.json", CONFIG),
    yaml("specs/messages/welcome.yaml", "message.schema.json", MESSAGE),
    yaml("specs/templates/welcome.yaml", "template.schema.json", TEMPLATE),
    yaml("specs/campaigns/welcome-campaign.yaml", "campaign.schema.json", CAMPAIGN),
    { path: "specs/audiences/welcome.csv", content: async () => AUDIENCE },
    { path: ".github/workflows/msgc.yml", content: () => readFile(WORKFLOW_EXAMPLE, "utf8") },
  ];
}

/**
 * The YAML extension's schema mapping, by glob, so that a spec in any nested folder gets
 * completion and checks without a modeline. The paths go into node_modules/msgc whatever msgc
 * ran from: the file is committed and shared, so it must not name this machine's install.
 * spec.schema.json picks the Message, Campaign or Template schema by `kind`.
 */
export const EDITOR_SCHEMAS: Readonly<Record<string, string[]>> = {
  [`./${SCHEMA_DIR}/spec.schema.json`]: ["specs/**/*.yaml", "specs/**/*.yml"],
  [`./${SCHEMA_DIR}/config.schema.json`]: ["msgc.config.yaml"],
};

type SettingsOutcome = "created" | "updated" | "unchanged" | "not plain JSON, left as is" | "over 1 MiB, left as is";

/** A settings file is a few kilobytes; a bigger one is not read into memory. */
const MAX_SETTINGS_BYTES = 1024 * 1024;

/**
 * Writes `yaml.schemas` into .vscode/settings.json, keeping every other setting and mapping. A
 * settings file with comments (JSONC) or of another shape is left alone rather than rewritten
 * without its comments.
 */
async function mapEditorSchemas(dir: string): Promise<SettingsOutcome> {
  const link = join(dir, ".vscode", "settings.json");
  const info = await stat(link).catch(() => undefined);
  // Reading a FIFO would wait forever; a directory is EISDIR like any write error.
  if (info !== undefined && !info.isFile() && !info.isDirectory()) throw new InputError("msgc init: cannot write .vscode/settings.json (not a file)");
  if (info !== undefined && info.size > MAX_SETTINGS_BYTES) return "over 1 MiB, left as is";
  // A settings file linked from elsewhere (dotfiles) is updated where it lives, the link kept.
  const path = info === undefined ? link : await realpath(link);
  const existing = info === undefined ? undefined : await readFile(path, "utf8");
  let settings: Record<string, unknown> = {};
  if (existing !== undefined) {
    const parsed = parsePlainObject(existing.replace(/^\uFEFF/, ""));
    const schemas = parsed?.["yaml.schemas"];
    if (parsed === undefined || (schemas !== undefined && !isPlainObject(schemas))) return "not plain JSON, left as is";
    settings = parsed;
  }
  const schemas = { ...(settings["yaml.schemas"] as Record<string, unknown> | undefined), ...EDITOR_SCHEMAS };
  const text = `${JSON.stringify({ ...settings, "yaml.schemas": schemas }, null, 2)}\n`;
  if (text === existing) return "unchanged";
  await mkdir(dirname(path), { recursive: true });
  // The user's own settings are in there: a run killed mid-write must leave them whole.
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  return existing === undefined ? "created" : "updated";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parsePlainObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Adds `.msgc/` to .gitignore, creating it or appending to it (never losing what is there). */
async function ignoreBuildOutput(dir: string): Promise<"created" | "updated" | "unchanged"> {
  const path = join(dir, ".gitignore");
  const existing = existsSync(path) ? await readFile(path, "utf8") : undefined;
  if (existing !== undefined && existing.split(/\r?\n/).some((line) => /^\/?\.msgc\/?$/.test(line.trim()))) return "unchanged";
  const prefix = existing === undefined || existing === "" || existing.endsWith("\n") ? (existing ?? "") : `${existing}\n`;
  await writeFile(path, `${prefix}# msgc build output (campaign plans hold phone numbers)\n.msgc/\n`);
  return existing === undefined ? "created" : "updated";
}

/**
 * What works from here, word for word. msgc is not on the npm registry: it is installed from a
 * clone's tarball or a git URL (README, Install), unless the folder has it already.
 */
function nextSteps(dir: string, shown: string): string {
  const steps: Array<[string, string]> = [];
  if (shown !== ".") steps.push([`cd ${/^[\w./-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`}`, ""]);
  if (!existsSync(join(dir, "node_modules", "msgc", "package.json"))) {
    steps.push(["npm install --save-dev <msgc .tgz or git URL>", "not on the npm registry yet: see msgc's README, Install"]);
  }
  steps.push(
    ["npx msgc validate", "check every spec, sample and audience row"],
    ["npx msgc preview", "see each message as the customer will"],
    ["npx msgc send welcome-campaign --dry-run", "what would be sent; needs no account"],
    ["npx msgc send welcome-campaign --sandbox --yes", "send to a local test API, no account"],
  );
  const width = Math.max(...steps.map(([command]) => command.length)) + 3;
  return `Next:\n${steps.map(([command, why]) => `  ${why ? command.padEnd(width) + why : command}`).join("\n")}\n`;
}

export const run: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("init", args, OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  if (positionals.length > 1) throw new UsageError("msgc init: give at most one folder", `Run "msgc init --help" for its options.`);
  const dir = resolve(io.cwd, positionals[0] ?? ".");
  const files = scaffold();
  const existing = files.filter((f) => existsSync(join(dir, f.path)));
  if (existing.length > 0 && values.force !== true) {
    throw new InputError(`msgc init: ${existing.map((f) => f.path).join(", ")} already exist${existing.length === 1 ? "s" : ""}; nothing was written (use --force to overwrite)`);
  }
  const written: string[] = [];
  for (const file of files) {
    const target = join(dir, file.path);
    const content = await file.content();
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    } catch (e) {
      throw new InputError(`msgc init: cannot write ${file.path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
    written.push(file.path);
  }
  const settings = await mapEditorSchemas(dir).catch((e: unknown) => {
    if (e instanceof InputError) throw e;
    throw new InputError(`msgc init: cannot write .vscode/settings.json (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  });
  if (settings !== "unchanged") written.push(`.vscode/settings.json (${settings})`);
  const gitignore = await ignoreBuildOutput(dir);
  if (gitignore !== "unchanged") written.push(`.gitignore (${gitignore})`);
  const shown = relative(io.cwd, dir) || ".";
  io.stdout.write(`Created a msgc project in ${shown}:\n${written.map((f) => `  ${f}`).join("\n")}\n\n${nextSteps(dir, shown)}`);
  return EXIT_OK;
};
