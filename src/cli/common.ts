/**
 * What every command shares: strict option parsing that turns mistakes into UsageErrors (exit
 * 64), the common flags and colour detection.
 */
import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";
import type { Diagnostic } from "../diagnostics.js";
import { hasErrors, isError } from "../diagnostics.js";
import { formatDiagnosticsGithub, formatDiagnosticsJson, formatDiagnosticsText, formatSummaryLine } from "./format.js";
import { loadConfig } from "../project/config.js";
import type { ResolvedConfig } from "../project/config.js";
import { loadProject } from "../project/project.js";
import type { Project } from "../project/project.js";
import type { CliIo } from "./io.js";
import { describeSmsTotals, type SmsTotals } from "../runner/sms-totals.js";
import { UsageError } from "./io.js";

export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** `--format`, `--config`, `--quiet`, `--help`: accepted by every command that reports. */
export const COMMON_OPTIONS = {
  format: { type: "string" },
  config: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionsConfig;

export type OutputFormat = "text" | "json" | "markdown" | "github" | "html";

/**
 * node:util parseArgs in strict mode, with its errors turned into one-line UsageErrors that name
 * the command and point at its --help.
 */
export function parseCommand<const O extends OptionsConfig>(
  command: string,
  args: string[],
  options: O,
): { values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>["values"]; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw toUsageError(command, e, args);
  }
  refuseEmptyPaths(command, parsed.values as Record<string, unknown>);
  return { values: parsed.values, positionals: parsed.positionals };
}

/** Options that name a file or folder, whichever command takes them. */
const PATH_OPTIONS = ["out", "config", "report", "journal", "api-key-file", "secret-file", "webhook-secret-file", "templates", "inbound", "log", "vars"];

/**
 * An empty path resolves to the working directory: `build --out ''` would write the plan (full
 * phone numbers) into the project root. It is a mistake (an unset shell variable), not a path.
 */
function refuseEmptyPaths(command: string, values: Record<string, unknown>): void {
  for (const name of PATH_OPTIONS) {
    if (values[name] === "") {
      throw new UsageError(`msgc ${command}: option --${name} needs a path, not an empty string`, `Run "msgc ${command} --help" for its options.`);
    }
  }
}

function toUsageError(command: string, e: unknown, args: readonly string[]): unknown {
  const err = e as { code?: string; message?: string };
  if (typeof err?.code !== "string" || !err.code.startsWith("ERR_PARSE_ARGS")) return e;
  const hint = `Run "msgc ${command} --help" for its options.`;
  // Node names the option as '--out', or '-o, --out <value>' when it has a short alias.
  const option = /'(?:-\w, )?(--?[\w-]+)/.exec(err.message ?? "")?.[1];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`msgc ${command}: unknown option ${option ?? ""}`.trimEnd(), hint);
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      if (/argument is ambiguous/.test(err.message ?? "")) return dashValueError(command, option, err.message ?? "", args, hint);
      const needsValue = /argument missing/.test(err.message ?? "");
      return new UsageError(
        needsValue
          ? `msgc ${command}: option ${option ?? ""} needs a value`
          : `msgc ${command}: option ${option ?? ""} does not take a value`,
        hint,
      );
    }
    default:
      return new UsageError(`msgc ${command}: ${err.message?.split("\n")[0] ?? "invalid arguments"}`, hint);
  }
}

/**
 * parseArgs reads `--timeout -5` as the option without a value followed by the option `-5`.
 * A negative number there is almost always meant as the value: say how to pass it.
 */
function dashValueError(command: string, option: string | undefined, message: string, args: readonly string[], hint: string): UsageError {
  const name = option ?? "";
  const at = args.findIndex((arg, i) => arg === name && args[i + 1]?.startsWith("-"));
  const next = at === -1 ? undefined : args[at + 1];
  // Node's message names the long form (`--timeout=-XYZ`) also when the short one was used.
  const long = /use '(--[\w-]+)=/.exec(message)?.[1] ?? name;
  if (next !== undefined && /^-\.?\d/.test(next)) {
    return new UsageError(`msgc ${command}: option ${name} needs a value, and ${next} reads as an option (write ${long}=${next} to pass it as the value)`, hint);
  }
  return new UsageError(`msgc ${command}: option ${name} needs a value`, hint);
}

/** Checks `--format` against what the command supports; the first entry is the default. */
export function parseFormat<F extends OutputFormat>(command: string, value: string | undefined, allowed: readonly F[]): F {
  if (value === undefined) return allowed[0]!;
  if ((allowed as readonly string[]).includes(value)) return value as F;
  throw new UsageError(
    `msgc ${command}: unknown format "${value}"`,
    `Use one of: ${allowed.join(", ")}.`,
  );
}

/** Prints the command's help when asked; returns true if it did. */
export function helpRequested(values: { help?: boolean | undefined }, help: string, io: CliIo): boolean {
  if (!values.help) return false;
  io.stdout.write(help.endsWith("\n") ? help : `${help}\n`);
  return true;
}

/**
 * Colour on a stream: NO_COLOR (any non-empty value) turns it off, FORCE_COLOR (anything but
 * "0"/"false") turns it on, otherwise only on a TTY.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  return stream.isTTY === true && env.TERM !== "dumb";
}

/**
 * The width to fit terminal output to: COLUMNS when set (as `ls` and Python do, so that a pipe
 * can ask for one), else the terminal's own width, else undefined (the formatter's default,
 * the same on every machine).
 */
export function outputColumns(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): number | undefined {
  const fromEnv = env.COLUMNS?.trim() ?? "";
  if (/^[1-9][0-9]{0,5}$/.test(fromEnv)) return Number(fromEnv);
  if (stream.isTTY === true && typeof stream.columns === "number" && stream.columns > 0) return stream.columns;
  return undefined;
}

export type ReportFormat = "text" | "json" | "github";

export interface ReportInput {
  format: ReportFormat;
  diagnostics: readonly Diagnostic[];
  summary: { specs: number; errors: number; warnings: number };
  /** Spec sources by project-relative file, for code frames. */
  sources: ReadonlyMap<string, string>;
  quiet: boolean;
  /** Where the JSON document (or text) goes; stderr when stdout carries plan items. */
  target: "stdout" | "stderr";
  /** One-line summary for text output, e.g. "3 specs, 20 recipients". */
  what: string;
  /**
   * Applied to everything written, code frames included: `send` removes its key with it (a spec
   * linked to a file holding the key must not print it).
   */
  scrub?: (text: string) => string;
}

/**
 * Prints a command's diagnostics in the chosen format. Text: diagnostics with code frames, then
 * one summary line (warnings and the summary left out with --quiet). JSON: one document. GitHub:
 * workflow-command annotations.
 */
export function writeReport(io: CliIo, input: ReportInput): void {
  const stream = input.target === "stdout" ? io.stdout : io.stderr;
  const scrub = input.scrub;
  const out = scrub ? { isTTY: stream.isTTY, write: (text: string) => stream.write(scrub(text)) } : stream;
  switch (input.format) {
    case "json":
      out.write(`${formatDiagnosticsJson(input.diagnostics, input.summary)}\n`);
      return;
    case "github": {
      const shown = input.quiet ? input.diagnostics.filter(isError) : input.diagnostics;
      if (shown.length > 0) out.write(`${formatDiagnosticsGithub(shown)}\n`);
      return;
    }
    case "text": {
      const color = colorEnabled(out, io.env);
      const shown = input.quiet ? input.diagnostics.filter(isError) : input.diagnostics;
      if (shown.length > 0) out.write(`${formatDiagnosticsText(shown, input.sources, { color })}\n`);
      if (!input.quiet) out.write(`${formatSummaryLine(input.what, input.summary)}\n`);
      return;
    }
  }
}

/**
 * The config `--config` names (or the one found walking up from the cwd), or undefined once its
 * errors are reported as `report` says (the command then exits EXIT_PROBLEMS).
 */
export async function loadConfigOrReport(io: CliIo, configPath: string | undefined, report: Omit<ReportInput, "diagnostics" | "summary" | "sources">): Promise<ResolvedConfig | undefined> {
  const { config, diagnostics } = await loadConfig({ cwd: io.cwd, ...(configPath !== undefined ? { configPath } : {}) });
  if (!hasErrors(diagnostics)) return config;
  const errors = diagnostics.filter(isError).length;
  writeReport(io, { ...report, diagnostics, summary: { specs: 0, errors, warnings: diagnostics.length - errors }, sources: new Map() });
  return undefined;
}

/** ` (2 WhatsApp, 3 SMS (4 segments, 1 UCS-2))` after the recipients, when there are SMS totals. */
export function smsPart(totals: SmsTotals | undefined): string {
  return totals ? ` (${describeSmsTotals(totals)})` : "";
}

/** Resolves on the first SIGINT or SIGTERM, and stops listening for them (servers run until then). */
export function untilTerminated(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}


/** Spec sources by project-relative file, for code frames (also of files that failed to load). */
export function sourcesOf(project: Project): ReadonlyMap<string, string> {
  return project.sources;
}

/** The project the command's `--config` and paths name. */
export function loadProjectFor(io: CliIo, config: string | undefined, paths: string[]): Promise<Project> {
  return loadProject({
    cwd: io.cwd,
    ...(config !== undefined ? { configPath: config } : {}),
    ...(paths.length > 0 ? { paths } : {}),
  });
}
