import { resolve } from "node:path";
import type { CommandHandler } from "../io.js";
import { EXIT_OK, EXIT_PROBLEMS } from "../io.js";
import { COMMON_OPTIONS, helpRequested, loadProjectFor, parseCommand, parseFormat, plural, smsPart, writeReport } from "../common.js";
import { build } from "../../runner/build.js";
import { isError } from "../../diagnostics.js";
import { formatDiagnosticsMarkdown } from "../format.js";

const HELP = `Usage: msgc build [paths…] [--out DIR|-] [options]

Compiles every spec and writes the plan, byte-for-byte deterministic:
  DIR/messages/<name>.json      each message's sample plan items
  DIR/campaigns/<name>.ndjson   one plan item per audience row
  DIR/manifest.json             specs, counts and the sha256 of each file
With --out -, every plan item goes to stdout as NDJSON, in spec-path order, and diagnostics go
to stderr. Nothing is written when a spec has errors; bad audience rows are reported and left
out, the good rows are written, and the exit code is 1.

Arguments:
  paths…             spec files or folders (default: the project's specs folder)

Options:
  --out DIR|-        output folder (default: the config's out, .msgc) or - for stdout
  --format FORMAT    text (default), json, markdown or github, for the diagnostics
  --config PATH      msgc.config.yaml to use (default: found by walking up from here)
  --quiet, -q        print errors only
  --help, -h         show this help

Exit codes: 0 written without errors, 1 errors found, 64 usage error.
`;

const OPTIONS = { ...COMMON_OPTIONS, out: { type: "string", short: "o" } } as const;

export const run: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("build", args, OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("build", values.format, ["text", "json", "markdown", "github"] as const);
  const project = await loadProjectFor(io, values.config, positionals);
  const toStdout = values.out === "-";
  const outDir = toStdout ? undefined : values.out !== undefined ? resolve(io.cwd, values.out) : project.config.outDir;
  const result = await build(project, toStdout ? { stream: io.stdout } : { outDir: outDir! });
  const { summary } = result;
  const written = result.written ? (toStdout ? "written to stdout" : `written to ${outDir}`) : "nothing written";
  const what = `${plural(summary.samples, "sample")}, ${plural(summary.recipients, "recipient")}${smsPart(summary.sms)} ${written}`;
  const quiet = values.quiet === true;
  const target = toStdout ? "stderr" : "stdout";
  if (format === "markdown") {
    io[target].write(formatDiagnosticsMarkdown(quiet ? result.diagnostics.filter(isError) : result.diagnostics, { what, ...summary }));
  } else {
    writeReport(io, { format, diagnostics: result.diagnostics, summary, sources: project.sources, quiet, target, what });
  }
  return result.ok ? EXIT_OK : EXIT_PROBLEMS;
};
