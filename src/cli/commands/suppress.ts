import type { CliIo, CommandHandler } from "../io.js";
import { EXIT_OK, EXIT_PROBLEMS, InputError, UsageError } from "../io.js";
import { helpRequested, loadConfigOrReport, parseCommand, parseFormat, plural, writeReport } from "../common.js";
import { maskNumber, maskNumbersIn, maskWrittenNumber } from "../../mask.js";
import { normalizePhone } from "../../compiler/phone.js";
import { visibleControls } from "../../runner/preview/escape.js";
import { readSuppressionFile } from "../../runner/suppression-file.js";
import { addSuppressions, listSuppressions, removeSuppressions, withStore } from "../../runner/suppressions.js";
import type { SuppressionRecord } from "../../store/store.js";
import { storeSecrets } from "../../store/open.js";
import { scrubOutput } from "../../runner/send/scrub.js";

const HELP = `Usage: msgc suppress add NUMBER… [--reason TEXT]
       msgc suppress remove NUMBER…
       msgc suppress list [--format text|json] [--show-numbers]
       msgc suppress import FILE

Manages the suppression list: numbers that opted out, which no send requests (a campaign with
suppression: ignore excepted). Numbers are normalized like audience numbers (international
form, + and the country code). The list lives in the store (MSGC_STORE, the config's store:,
else <out>/msgc.db, created when missing).

Subcommands:
  add NUMBER…      suppress these numbers (reason manual); numbers already on the list keep
                   their reason
  remove NUMBER…   lift the suppression of these numbers
  list             every suppressed number with its reason, when, and from what
  import FILE      suppress every number of a file (reason import) inside the project: a CSV
                   with a header naming a number column (number, phone, phone_number, msisdn)
                   or one number per line; a bad line is reported with its line number and
                   nothing is imported

Options:
  --reason TEXT    with add: a note kept with each number (why, who asked)
  --format FORMAT  with list: text (default) or json
  --show-numbers   with list: do not mask phone numbers
  --config PATH    msgc.config.yaml to use (default: found by walking up from here)
  --help, -h       show this help

Exit codes: 0 done, 1 a bad import file or a store that cannot be used, 64 usage error (a bad
number or subcommand).
`;

const OPTIONS = {
  reason: { type: "string" },
  format: { type: "string" },
  "show-numbers": { type: "boolean" },
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const SUBCOMMANDS = ["add", "remove", "list", "import"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** A note is for people: one line, bounded. */
const MAX_REASON = 500;

export const run: CommandHandler = async (args, io) => {
  try {
    return await suppress(args, io);
  } catch (e) {
    throw worded(e, storeSecrets(io.env));
  }
};

/** The library's errors, worded for this command, with no store password in them. */
function worded(e: unknown, secrets: readonly string[]): unknown {
  if (!(e instanceof InputError) && !(e instanceof UsageError)) return e;
  const message = scrubOutput(e.message.startsWith("msgc") ? e.message : `msgc suppress: ${e.message}`, secrets, true);
  return e instanceof UsageError ? new UsageError(message, e.hint) : new InputError(message);
}

async function suppress(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand("suppress", args, OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const [sub, ...rest] = positionals;
  if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(
      sub === undefined ? "msgc suppress: add, remove, list or import?" : `msgc suppress: unknown subcommand "${visibleControls(sub.slice(0, 40))}"`,
      'Run "msgc suppress --help" for its subcommands.',
    );
  }
  const subcommand = sub as Subcommand;
  checkOptions(subcommand, values, rest);
  const config = await loadConfigOrReport(io, values.config, { format: "text", quiet: false, target: "stdout", what: "nothing changed" });
  if (config === undefined) return EXIT_PROBLEMS;
  const now = new Date().toISOString();
  switch (subcommand) {
    case "add": {
      const numbers = normalizeArguments(rest);
      const note = values.reason === undefined ? null : values.reason;
      const added = await withStore(config, io.env, (store) => addSuppressions(store, numbers, { reason: "manual", at: now, source: note }));
      io.stdout.write(`suppressed ${plural(added, "number")}${alreadyNote(numbers.length - added)}\n`);
      return EXIT_OK;
    }
    case "remove": {
      const numbers = normalizeArguments(rest);
      const removed = await withStore(config, io.env, (store) => removeSuppressions(store, numbers));
      const absent = numbers.length - removed;
      io.stdout.write(`unsuppressed ${plural(removed, "number")}${absent > 0 ? ` (${absent} ${absent === 1 ? "was" : "were"} not on the list)` : ""}\n`);
      return EXIT_OK;
    }
    case "list": {
      const format = parseFormat("suppress", values.format, ["text", "json"] as const);
      const list = await withStore(config, io.env, (store) => listSuppressions(store));
      io.stdout.write(format === "json" ? listJson(list, values["show-numbers"] === true) : listText(list, values["show-numbers"] === true));
      return EXIT_OK;
    }
    case "import": {
      const file = await readSuppressionFile(config.root, io.cwd, rest[0]!);
      if (file.diagnostics.length > 0) {
        writeReport(io, { format: "text", diagnostics: file.diagnostics, summary: { specs: 0, errors: 0, warnings: 0 }, sources: new Map(), quiet: true, target: "stdout", what: "" });
        if (file.unlisted > 0) io.stdout.write(`… and ${plural(file.unlisted, "more bad line")}\n`);
        io.stdout.write(`${file.file}: ${plural(file.diagnostics.length + file.unlisted, "bad line")}, nothing imported\n`);
        return EXIT_PROBLEMS;
      }
      const added = await withStore(config, io.env, (store) => addSuppressions(store, file.numbers, { reason: "import", at: now, source: file.file }));
      io.stdout.write(`imported ${plural(added, "number")} from ${file.file}${alreadyNote(file.numbers.length - added)}\n`);
      return EXIT_OK;
    }
  }
}

function checkOptions(sub: Subcommand, values: { reason?: string | undefined; format?: string | undefined; "show-numbers"?: boolean | undefined }, rest: string[]): void {
  const only = (flag: string, given: unknown, allowed: Subcommand): void => {
    if (given !== undefined && sub !== allowed) throw new UsageError(`msgc suppress: --${flag} goes with ${allowed}, not ${sub}`);
  };
  only("reason", values.reason, "add");
  only("format", values.format, "list");
  only("show-numbers", values["show-numbers"], "list");
  if (values.reason !== undefined && (values.reason.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(values.reason))) {
    throw new UsageError(`msgc suppress: --reason is one line of at most ${MAX_REASON} characters`);
  }
  if ((sub === "add" || sub === "remove") && rest.length === 0) throw new UsageError(`msgc suppress ${sub}: which numbers?`, `For example: msgc suppress ${sub} +16045551234`);
  if (sub === "list" && rest.length > 0) throw new UsageError("msgc suppress list takes no arguments");
  if (sub === "import" && rest.length !== 1) throw new UsageError(`msgc suppress import: one file, got ${rest.length}`, "msgc suppress import FILE");
}

/** Every argument a number, or nothing happens: the first bad one is the answer. */
function normalizeArguments(args: readonly string[]): string[] {
  const numbers = new Set<string>();
  for (const arg of args) {
    const { number, problem } = arg.length > 64 ? { number: undefined, problem: "an argument over 64 characters is not a phone number" } : normalizePhone(arg);
    if (number === undefined) {
      throw new UsageError(`msgc suppress: ${problem ?? `${JSON.stringify(maskWrittenNumber(arg))} is not a phone number`}; nothing changed`, "Write numbers in international form: +16045551234.");
    }
    numbers.add(number);
  }
  return [...numbers];
}

function alreadyNote(already: number): string {
  return already > 0 ? ` (${already} already on the list, left as ${already === 1 ? "it was" : "they were"})` : "";
}

function shownRecord(record: SuppressionRecord, showNumbers: boolean): SuppressionRecord {
  const show = (text: string): string => (showNumbers ? text : maskNumbersIn(text));
  return { number: showNumbers ? record.number : maskNumber(record.number), reason: record.reason, at: record.at, source: record.source === null ? null : show(record.source) };
}

function listJson(list: readonly SuppressionRecord[], showNumbers: boolean): string {
  return `${JSON.stringify({ count: list.length, suppressions: list.map((r) => shownRecord(r, showNumbers)) })}\n`;
}

function listText(list: readonly SuppressionRecord[], showNumbers: boolean): string {
  if (list.length === 0) return "no suppressed numbers\n";
  const rows = list.map((r) => shownRecord(r, showNumbers));
  const width = Math.max(...rows.map((r) => r.number.length));
  const lines = rows.map((r) => `${r.number.padEnd(width)}  ${r.reason.padEnd(7)}  ${r.at}${r.source === null ? "" : `  ${visibleControls(r.source)}`}`);
  return `${lines.join("\n")}\n${plural(list.length, "suppressed number")}\n`;
}
