import type { CommandHandler } from "../io.js";
import { EXIT_CHANGES, EXIT_OK, EXIT_PROBLEMS, UsageError } from "../io.js";
import { colorEnabled, COMMON_OPTIONS, helpRequested, parseCommand, parseFormat } from "../common.js";
import { DEFAULT_ROWS_SHOWN, diff } from "../../runner/diff/index.js";
import { formatDiffJson, formatDiffMarkdown, formatDiffText } from "../../runner/diff/format.js";

const HELP = `Usage: msgc diff --base REF [paths…] [options]

Compiles the specs as they are at git revision REF and as they are in the working tree, and
shows what changed: message by message and sample by sample (the rendered text before and
after, and the payload fields that changed), and for campaigns the recipients added, removed
and changed. REF is read with git itself; in a shallow clone, fetch it first.

Arguments:
  paths…               only specs under these files or folders (default: all)

Options:
  --base REF           the git revision to compare with (branch, tag or commit); required
  --format FORMAT      text (default), markdown (a pull-request comment, under 65,536
                       characters) or json
  --detailed-exitcode  exit 2 when there are changes (0 means none)
  --rows N             changed recipients listed per campaign (default ${DEFAULT_ROWS_SHOWN})
  --show-numbers       show phone numbers in full (default: masked)
  --config PATH        msgc.config.yaml to use (default: found by walking up from here)
  --help, -h           show this help

Exit codes: 0 no changes (or changes, without --detailed-exitcode), 1 a spec does not compile
in the working tree or REF cannot be read, 2 changes (with --detailed-exitcode), 64 usage error.
`;

// No --quiet: the report is the output, and there is nothing in it to leave out.
const OPTIONS = {
  format: COMMON_OPTIONS.format,
  config: COMMON_OPTIONS.config,
  help: COMMON_OPTIONS.help,
  base: { type: "string" },
  "detailed-exitcode": { type: "boolean" },
  rows: { type: "string" },
  "show-numbers": { type: "boolean" },
} as const;

export const run: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("diff", args, OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("diff", values.format, ["text", "markdown", "json"] as const);
  if (values.base === undefined || values.base === "") {
    throw new UsageError("msgc diff: --base REF is required", `For example: msgc diff --base origin/main.`);
  }
  let rowsShown = DEFAULT_ROWS_SHOWN;
  if (values.rows !== undefined) {
    if (!/^\d{1,6}$/.test(values.rows)) throw new UsageError(`msgc diff: --rows must be a whole number, not "${values.rows}"`, "For example: --rows 10.");
    rowsShown = Number(values.rows);
  }
  const report = await diff({
    cwd: io.cwd,
    base: values.base,
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    ...(positionals.length > 0 ? { paths: positionals } : {}),
    showNumbers: values["show-numbers"] === true,
    rowsShown,
  });
  switch (format) {
    case "text":
      io.stdout.write(formatDiffText(report, { color: colorEnabled(io.stdout, io.env) }));
      break;
    case "markdown":
      io.stdout.write(formatDiffMarkdown(report));
      break;
    case "json":
      io.stdout.write(formatDiffJson(report));
      break;
  }
  if (!report.ok) return EXIT_PROBLEMS;
  return report.changed && values["detailed-exitcode"] === true ? EXIT_CHANGES : EXIT_OK;
};
