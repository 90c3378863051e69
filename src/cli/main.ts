#!/usr/bin/env node
/**
 * The msgc binary: dispatches to src/cli/commands/<name>.ts and maps what they throw to exit
 * codes in one place. Commands are imported lazily so that `msgc validate` does not pay for the
 * sandbox's or the sender's imports.
 */
import { readFileSync, realpathSync } from "node:fs";
import nodeModule from "node:module";
import { fileURLToPath } from "node:url";
import { editDistance } from "../compiler/words.js";
import { loadCachedCommand } from "./cached-command.js";
import type { CliIo, CommandHandler } from "./io.js";
import { EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, InputError, UsageError } from "./io.js";
import { visibleControls } from "../runner/preview/escape.js";

type CommandModule = Promise<{ run: CommandHandler }>;

/** Static imports, one per command, so that each loads only when it runs. */
const LOADERS: Record<CommandName, () => CommandModule> = {
  // From V8's code cache where the build made one (cached-command.ts); else the ES module.
  validate: async () => {
    const run = await loadCachedCommand("validate");
    return run ? { run } : import("./commands/validate.js");
  },
  build: () => import("./commands/build.js"),
  preview: () => import("./commands/preview.js"),
  diff: () => import("./commands/diff.js"),
  send: () => import("./commands/send.js"),
  status: () => import("./commands/status.js"),
  sandbox: () => import("./commands/sandbox.js"),
  templates: () => import("./commands/templates.js"),
  webhooks: () => import("./commands/webhooks.js"),
  init: () => import("./commands/init.js"),
  suppress: () => import("./commands/suppress.js"),
};

const COMMANDS = {
  validate: "load, schema-check and compile every spec and sample; print diagnostics",
  build: "write the compiled plan (messages, campaigns, manifest), or NDJSON to stdout with --out -",
  preview: "show what each message looks like for its samples, without sending",
  diff: "compare the compiled specs at a git revision with the working tree",
  send: "send a campaign, or one message with --to",
  status: "a campaign's delivery funnel from its journal and the store",
  sandbox: "run a local Connectly-compatible API for trying and testing",
  templates: "plan, apply, status, pull: Template specs against the business's templates",
  webhooks: "serve: receive Connectly's webhooks into the store (statuses, inbound, opt-outs)",
  init: "scaffold a new msgc project",
  suppress: "manage the suppression list (opted-out numbers): add, remove, list, import",
} as const;

type CommandName = keyof typeof COMMANDS;

const USAGE = `msgc: declarative WhatsApp message specs, compiled to exact Connectly API requests

Usage: msgc <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, what]) => `  ${name.padEnd(10)}${what}`)
  .join("\n")}

Options:
  --help, -h     show help (also "msgc <command> --help")
  --version      print the version

Exit codes: 0 success, 1 problems found, 2 changes (diff and templates plan --detailed-exitcode), 64 usage error,
70 internal error.
`;

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function loadCommand(name: CommandName): Promise<CommandHandler> {
  return (await LOADERS[name]()).run;
}

function unknownCommand(name: string): UsageError {
  const close = Object.keys(COMMANDS).find((c) => editDistance(c, name) <= 2);
  const shown = name.startsWith("-") ? `unknown option ${name}` : `unknown command "${name}"`;
  return new UsageError(
    `msgc: ${shown}`,
    close && !name.startsWith("-") ? `Did you mean "msgc ${close}"? Run "msgc --help" for the commands.` : `Run "msgc --help" for the commands.`,
  );
}

/** Runs msgc with `argv` (without node and script) and returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      io.stderr.write(USAGE);
      return EXIT_USAGE;
    }
    if (first === "--help" || first === "-h") {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (first === "--version") {
      io.stdout.write(`${version()}\n`);
      return EXIT_OK;
    }
    if (first === "help") {
      const topic = rest[0];
      if (topic === undefined) {
        io.stdout.write(USAGE);
        return EXIT_OK;
      }
      if (!isCommand(topic)) throw unknownCommand(topic);
      return await (await loadCommand(topic))(["--help"], io);
    }
    if (!isCommand(first)) throw unknownCommand(first);
    return await (await loadCommand(first))(rest, io);
  } catch (e) {
    return reportFailure(e, io);
  }
}

/** The one place where errors become exit codes. */
export function reportFailure(e: unknown, io: CliIo): number {
  if (e instanceof UsageError) {
    io.stderr.write(`${prefixed(e.message)}\n${e.hint ? `${visibleControls(e.hint)}\n` : ""}`);
    return EXIT_USAGE;
  }
  if (e instanceof InputError) {
    io.stderr.write(`${prefixed(e.message)}\n`);
    return EXIT_PROBLEMS;
  }
  const stack = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  io.stderr.write(`msgc: internal error (this is a bug)\n${stack}\n`);
  return EXIT_INTERNAL;
}

/** The first line, controls made visible: messages can quote spec values and file names. */
function prefixed(message: string): string {
  const line = visibleControls(message.split("\n")[0] ?? "");
  return line.startsWith("msgc") ? line : `msgc: ${line}`;
}

function isEpipe(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
}

/**
 * Node >= 22.1 keeps compiled code on disk between runs (a bundled command is a megabyte of
 * JavaScript to compile at every start); Node 20 has no such cache, so the call is guarded.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
function enableCompileCache(): void {
  try {
    (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  } catch {
    // A cache that cannot be set up (read-only temp folder) only costs speed.
  }
}

function runAsBinary(): void {
  enableCompileCache();
  // A reader that goes away (`msgc build --out - | head`) is not an error: stop quietly.
  process.stdout.on("error", (e) => {
    if (isEpipe(e)) process.exit(EXIT_OK);
    throw e;
  });
  process.stderr.on("error", (e) => {
    if (isEpipe(e)) process.exit(EXIT_OK);
    throw e;
  });
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportFailure(e, io);
    },
  );
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) runAsBinary();
