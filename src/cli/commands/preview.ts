import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { isError } from "../../diagnostics.js";
import type { CliIo, CommandHandler } from "../io.js";
import { EXIT_OK, EXIT_PROBLEMS, InputError, UsageError } from "../io.js";
import { diagnosticToJson } from "../../diagnostics.js";
import { colorEnabled, COMMON_OPTIONS, outputColumns, helpRequested, loadProjectFor, parseCommand, parseFormat, plural, sourcesOf, writeReport } from "../common.js";
import type { PreviewResult } from "../../runner/preview/index.js";
import { DEFAULT_PREVIEW_ROWS, formatPreviewHtml, formatPreviewMarkdown, formatPreviewText, preview } from "../../runner/preview/index.js";
import { storeInbound } from "../../runner/suppressions.js";
import { scrubOutput } from "../../runner/send/scrub.js";
import { storeSecrets } from "../../store/open.js";

const HELP = `Usage: msgc preview [paths…] [options]

Shows what each message looks like to the customer, for each of its samples, and each
campaign's first rows. A dry run: needs no API key and sends nothing. The text view fits the
terminal's width (COLUMNS, else the terminal's; 60 when piped or written to a file).

Arguments:
  paths…             spec files or folders (default: the project's specs folder)

Options:
  --format FORMAT    text (default), markdown (for a pull request), html (one self-contained
                     page) or json (the render model)
  --out FILE         write the preview to FILE instead of stdout
  --rows N           audience rows shown per campaign (default ${DEFAULT_PREVIEW_ROWS}; 0 for none)
  --show-numbers     show recipients' phone numbers in full (default: masked)
  --config PATH      msgc.config.yaml to use (default: found by walking up from here)
  --quiet, -q        print errors only on stderr, no warnings
  --help, -h         show this help

Exit codes: 0 previewed, 1 a spec or audience has errors (what compiled is still shown),
64 usage error.
`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  out: { type: "string" },
  rows: { type: "string" },
  "show-numbers": { type: "boolean" },
} as const;

function parseRows(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PREVIEW_ROWS;
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`msgc preview: --rows must be a whole number, not "${value}"`, `For example: --rows 5.`);
  return Number(value);
}

/** How text output looks where it goes: colour and width for a terminal, neither for a file. */
interface Terminal {
  color: boolean;
  width: number | undefined;
}

function render(result: PreviewResult, format: "text" | "markdown" | "html" | "json", terminal: Terminal): string {
  switch (format) {
    case "text":
      return formatPreviewText(result.messages, terminal, result.campaigns);
    case "markdown":
      return formatPreviewMarkdown(result.messages, result.diagnostics, result.campaigns);
    case "html":
      return formatPreviewHtml(result.messages, result.diagnostics, result.campaigns);
    case "json":
      return `${JSON.stringify({ ok: result.ok, messages: result.messages, campaigns: result.campaigns.map(({ campaign, spec, sms }) => ({ campaign, spec, sms })), diagnostics: result.diagnostics.map(diagnosticToJson) })}\n`;
  }
}

async function writeOutput(io: CliIo, out: string | undefined, text: string): Promise<void> {
  if (out === undefined || out === "-") {
    io.stdout.write(text);
    return;
  }
  const target = resolve(io.cwd, out);
  try {
    await writeFile(target, text);
  } catch (e) {
    throw new InputError(`msgc preview: cannot write ${out} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/**
 * When recipients last wrote, from the store when there is one, so that a row's form is the one
 * the send would choose. A preview needs no store: one that cannot be read is a warning.
 */
async function previewInbound(project: { config: Parameters<typeof storeInbound>[0] }, io: CliIo): Promise<Map<string, string> | undefined> {
  try {
    return await storeInbound(project.config, io.env, Date.now());
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    io.stderr.write(`msgc preview: ${scrubOutput(e.message, storeSecrets(io.env), true)}; forms are chosen from the audience's lastInboundAt column only\n`);
    return undefined;
  }
}

export const run: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("preview", args, OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("preview", values.format, ["text", "markdown", "html", "json"] as const);
  const rows = parseRows(values.rows);
  const project = await loadProjectFor(io, values.config, positionals);
  const inbound = await previewInbound(project, io);
  const result = await preview(project, { rows, showNumbers: values["show-numbers"] === true, ...(inbound ? { inbound } : {}) });
  const toStdout = values.out === undefined || values.out === "-";
  const terminal: Terminal = toStdout ? { color: colorEnabled(io.stdout, io.env), width: outputColumns(io.stdout, io.env) } : { color: false, width: undefined };
  await writeOutput(io, values.out, render(result, format, terminal));
  // In JSON the diagnostics are in the document; otherwise they go to stderr, apart from the preview.
  if (format !== "json" || !toStdout) {
    const errors = result.diagnostics.filter(isError).length;
    const shown = values.quiet === true ? result.diagnostics.filter(isError) : result.diagnostics;
    if (shown.length > 0) {
      writeReport(io, {
        format: "text",
        diagnostics: shown,
        summary: { specs: project.specs.length, errors, warnings: result.diagnostics.length - errors },
        sources: sourcesOf(project),
        quiet: true,
        target: "stderr",
        what: plural(result.messages.length, "message"),
      });
    }
  }
  if (!toStdout && values.quiet !== true) io.stderr.write(`msgc preview: wrote ${plural(result.messages.length, "message")} to ${values.out}\n`);
  return result.ok ? EXIT_OK : EXIT_PROBLEMS;
};
