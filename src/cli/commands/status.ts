import { resolve } from "node:path";
import { describeConfinement } from "../../project/config.js";
import type { ResolvedConfig } from "../../project/config.js";
import { confinement, realPathOf } from "../../project/confine.js";
import { AtomicFile, checkWritableTarget, describeWriteError } from "../../runner/atomic-file.js";
import type { StatusModel } from "../../runner/status/index.js";
import { formatStatusHtml, formatStatusJson, formatStatusMarkdown, formatStatusText, status } from "../../runner/status/index.js";
import { openSendStore } from "../../runner/suppressions.js";
import type { CliIo, CommandHandler } from "../io.js";
import { EXIT_OK, EXIT_PROBLEMS, InputError, UsageError } from "../io.js";
import { COMMON_OPTIONS, helpRequested, loadConfigOrReport, parseCommand, parseFormat } from "../common.js";
import { refuseOutputOverInputs } from "../output-guard.js";

const HELP = `Usage: msgc status CAMPAIGN [options]

Shows a campaign's delivery funnel: planned, sent, delivered, read, failed by error code (with
what the code means), no status yet, unknown outcomes and possible duplicates, fallbacks and
SMS, and delivered/read over time. It reads the campaign's journals (every shard layout) and the
store that webhooks are received into (MSGC_STORE, "store:" in the config, or <out>/msgc.db).
Sends nothing and needs no API key.

Options:
  --format FORMAT    text (default), json (the model, see docs/tracking.md), markdown, or html
                     (one self-contained page with the funnel and a chart)
  --out FILE         write it to FILE (inside the project) instead of stdout
  --report FILE      write one NDJSON line per recipient to FILE (inside the project): state,
                     form, attempts, message id, error code, times, resolution
  --journal FILE     the journal to read (default: <out>/journal/CAMPAIGN.ndjson, and its shards)
  --show-numbers     recipients' numbers in full in the report (default: masked)
  --config PATH      msgc.config.yaml to use (default: found by walking up from here)
  --quiet, -q        no confirmation on stderr when writing files
  --help, -h         show this help

Exit codes: 0 shown, 1 unknown campaign, no journal and no store, or a damaged journal,
64 usage error.
`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  out: { type: "string" },
  report: { type: "string" },
  journal: { type: "string" },
  "show-numbers": { type: "boolean" },
} as const;

type Format = "text" | "json" | "markdown" | "html";

function render(model: StatusModel, format: Format): string {
  switch (format) {
    case "text":
      return formatStatusText(model);
    case "json":
      return formatStatusJson(model);
    case "markdown":
      return formatStatusMarkdown(model);
    case "html":
      return formatStatusHtml(model);
  }
}

/** Outputs stay inside the project, like the build's: a report holds numbers. */
async function confinedOutput(config: ResolvedConfig, cwd: string, option: string, given: string): Promise<string> {
  const absolute = resolve(cwd, given);
  const where = await confinement(config.root, await realPathOf(config.root), absolute);
  if (where !== undefined) {
    throw new UsageError(
      `msgc status: --${option} ${given} is outside the project (${config.root})${describeConfinement(where)}`,
      "Write it inside the project (its out folder is git-ignored), or copy it from there.",
    );
  }
  return absolute;
}

export const run: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("status", args, OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("status", values.format, ["text", "json", "markdown", "html"] as const);
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? "msgc status: which campaign?" : `msgc status: one campaign at a time, got ${positionals.length}`,
      'Run "msgc status --help" for its options.',
    );
  }
  const campaign = positionals[0]!;
  const config = await loadConfigOrReport(io, values.config, { format: "text", quiet: true, target: "stderr", what: "no status" });
  if (config === undefined) return EXIT_PROBLEMS;
  const out = values.out === undefined || values.out === "-" ? undefined : await confinedOutput(config, io.cwd, "out", values.out);
  const report = values.report === undefined ? undefined : await confinedOutput(config, io.cwd, "report", values.report);
  const journal = values.journal === undefined ? undefined : resolve(io.cwd, values.journal);
  await refuseOutputOverInputs("status", config, io.env, journal, [
    ...(out !== undefined ? [{ option: "out", given: values.out!, path: out }] : []),
    ...(report !== undefined ? [{ option: "report", given: values.report!, path: report }] : []),
  ]);
  const cannotWriteOut = (e: unknown): InputError => new InputError(`msgc status: cannot write ${values.out} (${describeWriteError(e)})`);
  // A FIFO or a device as --out is refused before the work, not after it.
  if (out !== undefined) {
    try {
      checkWritableTarget(out);
    } catch (e) {
      throw cannotWriteOut(e);
    }
  }
  const store = await openSendStore(config, io.env);
  let model: StatusModel;
  try {
    model = await status({
      campaign,
      root: config.root,
      outDir: config.outDir,
      ...(journal !== undefined ? { journal } : {}),
      ...(store ? { store } : {}),
      ...(report ? { report } : {}),
      showNumbers: values["show-numbers"] === true,
      now: Date.now(),
    });
  } finally {
    await store?.close();
  }
  const text = render(model, format);
  if (out === undefined) io.stdout.write(text);
  else {
    try {
      // Whole or not at all: a kill or a full disk leaves the file as it was.
      await AtomicFile.write(out, text, 0o666);
    } catch (e) {
      throw cannotWriteOut(e);
    }
  }
  if (values.quiet !== true) {
    if (out !== undefined) io.stderr.write(`msgc status: wrote the ${format} status to ${values.out}\n`);
    if (report !== undefined) io.stderr.write(`msgc status: wrote ${model.funnel.planned.toLocaleString("en-US")} recipient${model.funnel.planned === 1 ? "" : "s"} to ${values.report}\n`);
  }
  return EXIT_OK;
};
