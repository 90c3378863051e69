import type { CommandHandler } from "../io.js";
import { EXIT_OK, EXIT_PROBLEMS } from "../io.js";
import { COMMON_OPTIONS, helpRequested, loadProjectFor, parseCommand, parseFormat, plural, smsPart, writeReport } from "../common.js";
import { validateProject } from "../../runner/build.js";
import { isError } from "../../diagnostics.js";
import { formatDiagnosticsMarkdown } from "../format.js";

const HELP = `Usage: msgc validate [paths…] [options]

Loads, schema-checks and compiles every spec and every sample, and reads every campaign's
audience to the end (streamed). Prints diagnostics; writes nothing.

Arguments:
  paths…             spec files or folders (default: the project's specs folder)

Options:
  --format FORMAT    text (default), json (one document on stdout), markdown (a table, for a
                     pull-request comment) or github (annotations)
  --config PATH      msgc.config.yaml to use (default: found by walking up from here)
  --quiet, -q        print errors only, no warnings or summary
  --help, -h         show this help

Exit codes: 0 no errors (warnings allowed), 1 errors found, 64 usage error.
`;

export const run: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("validate", args, COMMON_OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("validate", values.format, ["text", "json", "markdown", "github"] as const);
  const project = await loadProjectFor(io, values.config, positionals);
  const result = await validateProject(project);
  const { summary } = result;
  const what = `${plural(summary.specs, "spec")}, ${plural(summary.samples, "sample")}, ${plural(summary.recipients, "recipient")}${smsPart(summary.sms)}`;
  const quiet = values.quiet === true;
  if (format === "markdown") {
    io.stdout.write(formatDiagnosticsMarkdown(quiet ? result.diagnostics.filter(isError) : result.diagnostics, { what, ...summary }));
  } else {
    writeReport(io, { format, diagnostics: result.diagnostics, summary, sources: project.sources, quiet, target: "stdout", what });
  }
  return result.ok ? EXIT_OK : EXIT_PROBLEMS;
};
