/**
 * `msgc templates plan | apply | status | pull`: the project's Template specs against the
 * business's templates on Connectly (docs/templates.md, "Commands"). Parses flags, resolves the
 * target as `send` does (src/cli/target.ts), calls src/runner/templates/ and prints.
 */
import { COMMON_OPTIONS, helpRequested, loadProjectFor, parseCommand, parseFormat, sourcesOf, writeReport } from "../common.js";
import type { CliIo, CommandHandler } from "../io.js";
import { EXIT_CHANGES, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, InputError, UsageError } from "../io.js";
import { askYesNo, canAsk, EXIT_INTERRUPTED, PromptCancelled } from "../confirm.js";
import { resolveTarget, TARGET_OPTIONS } from "../target.js";
import type { Target } from "../target.js";
import { createConnectlyClient } from "../../connectly/client.js";
import type { ConnectlyClient, RemoteTemplateGroup } from "../../connectly/client.js";
import type { Diagnostic } from "../../diagnostics.js";
import { hasErrors, isError } from "../../diagnostics.js";
import { loadConfig } from "../../project/config.js";
import type { Project } from "../../project/project.js";
import { MAX_TIMEOUT_MS, scrubOutput, scrubValue } from "../../runner/send/index.js";
import { createCreationPacer, createPlanned, recentCreations, waitForReview } from "../../runner/templates/apply.js";
import type { Clock, CreateOutcome, Watched } from "../../runner/templates/apply.js";
import {
  formatApplyJson,
  formatCreateOutcome,
  formatPlanJson,
  formatPlanMarkdown,
  formatPlanText,
  formatPullJson,
  formatPullText,
  formatReviewChange,
  formatReviewEnd,
  formatStatusJson,
  formatStatusText,
} from "../../runner/templates/format.js";
import { checkNames, planTemplates, templateDiagnostics } from "../../runner/templates/plan.js";
import { pullDirectory, pullTemplates } from "../../runner/templates/pull.js";
import { readTemplateList } from "../../runner/templates/remote.js";
import { templateStatuses, NOT_CREATED } from "../../runner/templates/status.js";

const TARGET_HELP = `Target (as msgc send):
  --base-url URL         API base URL (default: the config's baseUrl, https://api.connectly.ai)
  --business-id ID       Connectly business id (default: the config's businessId)
  --api-key-file PATH    read the API key from a file (default: $CONNECTLY_API_KEY)
  --sandbox              start a local sandbox in-process (it starts with no templates)
  --insecure-http        allow a plain http:// base URL on another machine (the key goes in clear text)
  --timeout MS           per-request timeout, whole milliseconds (default 30000)
  --config PATH          msgc.config.yaml to use (default: found by walking up from here)
  --format FORMAT        see each command above (default text)
  --quiet, -q            diagnostics: errors only
  --help, -h             show this help`;

const HELP = `Usage: msgc templates plan [NAME…] [--format text|json|markdown] [--detailed-exitcode]
       msgc templates apply [NAME…] --yes [--wait [DURATION]] [--format text|json]
       msgc templates status [NAME…] [--format text|json]
       msgc templates pull [NAME…] [--out DIR] [--force] [--format text|json]

The project's Template specs against the business's templates on Connectly: what to create,
what is in sync, what differs (Connectly has no update endpoint: content that differs needs a
new name) and what is only on Connectly. Nothing is ever updated or deleted.

  plan     compare each (name, language); --detailed-exitcode: 0 nothing to create, 2 something
           to create, 1 error. --format markdown is a sticky pull-request comment.
  apply    create what the plan says to create (at most 100 an hour, Meta's limit per account),
           and print their statuses. --wait [DURATION] (default 1h; 30s, 10m, 2h) follows Meta's
           review until none is pending, printing each change. --format json: one document
           on stdout at the end (the plan, each creation, the review), the progress on stderr.
  status   the review status of each template and language: approved, pending, rejected (with
           Meta's reason), paused, disabled.
  pull     write Template specs (default folder <specs>/templates) for the business's templates
           the project does not have; never over a file without --force.

${TARGET_HELP}

Exit codes: 0 done, 1 problems (invalid Template specs, a template refused, rejected or still
pending when --wait ends, a file not written, the list unreadable), 2 plan --detailed-exitcode:
something to create, 64 usage error (missing key, business id or flag; apply without --yes and no terminal to ask
on), 130 Ctrl-C at apply's question.
`;

const TARGET = { ...TARGET_OPTIONS, timeout: { type: "string" } } as const;
const PLAN_OPTIONS = { ...COMMON_OPTIONS, ...TARGET, "detailed-exitcode": { type: "boolean" } } as const;
const APPLY_OPTIONS = { ...COMMON_OPTIONS, ...TARGET, yes: { type: "boolean", short: "y" }, wait: { type: "string" } } as const;
const STATUS_OPTIONS = { ...COMMON_OPTIONS, ...TARGET } as const;
const PULL_OPTIONS = { ...COMMON_OPTIONS, ...TARGET, out: { type: "string" }, force: { type: "boolean" } } as const;

const SUBCOMMANDS = ["plan", "apply", "status", "pull"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** `--wait` alone waits this long. Meta reviews in minutes, at most a day. */
export const DEFAULT_WAIT = "1h";
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MAX_WAIT_MS = 7 * 24 * 3_600_000;

/** `30s`, `10m`, `2h`, `500ms`, or seconds. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] ?? "s"]! : Number.NaN;
  if (!(ms > 0) || ms > MAX_WAIT_MS) {
    throw new UsageError(`msgc templates apply: --wait takes a duration such as 30s, 10m or 2h (at most 7 days), got "${text}"`);
  }
  return ms;
}

/**
 * `--wait` takes an optional value, which parseArgs cannot say: a duration right after it is its
 * value (a template name never starts with a digit), and `--wait` alone is the default.
 */
function expandWait(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (arg !== "--wait") {
      out.push(arg);
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && /^[0-9]/.test(next)) {
      out.push(`--wait=${next}`);
      i++;
    } else {
      out.push(`--wait=${DEFAULT_WAIT}`);
    }
  }
  return out;
}

function timeoutOf(text: string | undefined, command: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new UsageError(`msgc ${command}: --timeout must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got "${text}"`);
  }
  return value;
}

/** The question, with Ctrl-C and SIGINT/SIGTERM while it waits answered as a cancel (130), as in send. */
async function askOnce(io: CliIo, question: string): Promise<"yes" | "no" | "cancelled"> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return (await askYesNo(io, question, controller.signal)) ? "yes" : "no";
  } catch (e) {
    if (e instanceof PromptCancelled) return "cancelled";
    throw e;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Session {
  project: Project;
  target: Target;
  client: ConnectlyClient;
  groups: RemoteTemplateGroup[];
  scrub: (text: string) => string;
  /** The key, however it was given (environment, file, the in-process sandbox's own). */
  secrets: ReadonlyArray<string | undefined>;
}

/**
 * Config, project, target and the list, in send's order: the config's problems first, then the
 * target (a missing key is a usage error before anything is read), then `check` on the project,
 * and last the one read of the list. `run` gets them all; the client and an in-process sandbox
 * are closed whatever happens.
 */
async function withSession(
  command: string,
  io: CliIo,
  values: { config?: string | undefined; timeout?: string | undefined; quiet?: boolean | undefined } & Parameters<typeof resolveTarget>[1],
  names: string[],
  check: (project: Project) => Diagnostic[],
  run: (session: Session) => Promise<number>,
): Promise<number> {
  const secrets = [io.env["CONNECTLY_API_KEY"], io.env["CONNECTLY_API_KEY"]?.trim()];
  const scrub = (text: string): string => scrubOutput(text, secrets, true);
  const timeoutMs = timeoutOf(values.timeout, command);
  const quiet = values.quiet === true;
  const configPath = values.config !== undefined ? { configPath: values.config } : {};
  const { config, diagnostics: configDiagnostics } = await loadConfig({ cwd: io.cwd, ...configPath });
  if (hasErrors(configDiagnostics)) return report(io, configDiagnostics, new Map(), quiet, scrub);
  const project = await loadProjectFor(io, values.config, []);
  const target = await resolveTarget(io, values, config, { command });
  secrets.push(target.apiKey);
  let client: ConnectlyClient | undefined;
  try {
    const problems = check(project);
    if (problems.some(isError)) return report(io, problems, sourcesOf(project), quiet, scrub);
    client = createConnectlyClient({
      baseUrl: target.baseUrl,
      apiKey: target.apiKey ?? "",
      businessId: target.businessId,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    if (target.sandboxUrl && !quiet) io.stderr.write(`sandbox: listening on ${target.sandboxUrl} (in-process, with no templates; it stops when this command ends)\n`);
    const groups = await readTemplateList(client, `msgc ${command}:`, "");
    checkNames(command, names, project, groups);
    return await run({ project, target, client, groups, scrub, secrets });
  } catch (e) {
    throw scrubbed(e, scrub);
  } finally {
    await client?.close();
    await target.close?.();
  }
}

/** A usage or input error's text scrubbed of the key, as everything printed is. */
function scrubbed(e: unknown, scrub: (text: string) => string): unknown {
  if (e instanceof UsageError) return new UsageError(scrub(e.message), e.hint);
  if (e instanceof InputError) return new InputError(scrub(e.message));
  return e;
}

function report(io: CliIo, diagnostics: Diagnostic[], sources: ReadonlyMap<string, string>, quiet: boolean, scrub: (text: string) => string): number {
  const errors = diagnostics.filter(isError).length;
  writeReport(io, {
    format: "text",
    diagnostics,
    summary: { specs: 0, errors, warnings: diagnostics.length - errors },
    sources,
    quiet,
    target: "stderr",
    what: "nothing planned",
    scrub,
  });
  return EXIT_PROBLEMS;
}

const plan: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("templates plan", args, PLAN_OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("templates plan", values.format, ["text", "json", "markdown"] as const);
  return withSession("templates plan", io, values, positionals, (project) => templateDiagnostics(project, positionals), async ({ project, target, groups, scrub, secrets }) => {
    // Scrubbed value by value before it is formatted, as send's JSON is: escaping (JSON, markdown) cannot hide the key.
    const result = scrubValue(planTemplates(project, groups, { businessId: target.businessId, names: positionals }), secrets, true);
    const text = format === "json" ? formatPlanJson(result) : format === "markdown" ? formatPlanMarkdown(result) : formatPlanText(result);
    io.stdout.write(scrub(text));
    return values["detailed-exitcode"] && result.counts.create > 0 ? EXIT_CHANGES : EXIT_OK;
  });
};

const apply: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("templates apply", expandWait(args), APPLY_OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("templates apply", values.format, ["text", "json"] as const);
  const waitMs = values.wait !== undefined ? parseDuration(values.wait) : undefined;
  return withSession("templates apply", io, values, positionals, (project) => templateDiagnostics(project, positionals), async ({ project, target, client, groups, scrub, secrets }) => {
    const result = planTemplates(project, groups, { businessId: target.businessId, names: positionals });
    // With --format json, stdout is one document at the end; what happens on the way goes to stderr.
    const out = (text: string): void => void (format === "json" ? io.stderr : io.stdout).write(scrub(text));
    const finish = (code: number, outcomes: readonly CreateOutcome[], review?: { statuses: readonly Watched[]; timedOut: boolean }): number => {
      if (format === "json") {
        // Scrubbed value by value before it is escaped, as plan's JSON is.
        const shown = scrubValue({ result, outcomes, review }, secrets, true);
        io.stdout.write(scrub(formatApplyJson(shown.result, shown.outcomes, shown.review)));
      }
      return code;
    };
    out(formatPlanText(result));
    if (result.counts.create > 0 && values.yes !== true) {
      const what = `${result.counts.create} template${result.counts.create === 1 ? "" : "s"} at business ${target.businessId}`;
      if (!canAsk(io)) {
        throw new UsageError(
          `msgc templates apply: about to create ${what}, but there is no terminal to confirm on`,
          "Add --yes to create them without asking: Meta reviews each one, and msgc cannot change or delete a created template.",
        );
      }
      const answer = await askOnce(io, `Create ${what}? [y/N] `);
      if (answer !== "yes") {
        io.stderr.write(answer === "cancelled" ? "\nCancelled, nothing created\n" : "Cancelled, nothing created\n");
        return answer === "cancelled" ? EXIT_INTERRUPTED : EXIT_PROBLEMS;
      }
    }
    const pace = createCreationPacer({
      clock: realClock,
      earlier: recentCreations(groups, realClock.now()),
      onWait: (ms) => out(`waiting ${Math.ceil(ms / 60_000)} min: Meta allows 100 template creations an hour per account\n`),
    });
    const outcomes = await createPlanned(result, client, { pace, onOutcome: (o) => out(formatCreateOutcome(o)) });
    const refused = outcomes.filter((o) => !o.created).length;
    if (result.counts.create === 0) out("Nothing to create.\n");
    else out(`Created ${outcomes.length - refused} of ${result.counts.create}.\n`);
    if (waitMs === undefined) return finish(refused > 0 ? EXIT_PROBLEMS : EXIT_OK, outcomes);
    // Followed: what this run created, and what was already waiting for Meta's review.
    const watched: Watched[] = [
      ...outcomes.flatMap((o) => (o.created ? [{ name: o.entry.name, language: o.entry.language, status: o.status, ...(o.reason ? { reason: o.reason } : {}) }] : [])),
      ...result.entries.filter((e) => e.action === "in-sync" && e.status === "pending").map((e) => ({ name: e.name, language: e.language, status: "pending" })),
    ];
    if (watched.some((w) => w.status === "pending")) out(`Waiting for Meta's review (at most ${values.wait}) …\n`);
    const review = await waitForReview(client, watched, { timeoutMs: waitMs, clock: realClock, command: "templates apply", onChange: (change) => out(formatReviewChange(change)) });
    if (watched.length > 0) out(formatReviewEnd(review.statuses, review.timedOut, values.wait!));
    const rejected = review.statuses.some((s) => s.status === "rejected");
    return finish(refused > 0 || rejected || review.timedOut ? EXIT_PROBLEMS : EXIT_OK, outcomes, review);
  });
};

const status: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("templates status", args, STATUS_OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("templates status", values.format, ["text", "json"] as const);
  return withSession("templates status", io, values, positionals, () => [], async ({ project, groups, scrub, secrets }) => {
    const entries = scrubValue(templateStatuses(project, groups, positionals), secrets, true);
    io.stdout.write(scrub(format === "json" ? formatStatusJson(entries) : formatStatusText(entries)));
    return entries.some((e) => e.status === NOT_CREATED) ? EXIT_PROBLEMS : EXIT_OK;
  });
};

const pull: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("templates pull", args, PULL_OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("templates pull", values.format, ["text", "json"] as const);
  return withSession("templates pull", io, values, positionals, () => [], async ({ project, groups, scrub, secrets }) => {
    const dir = await pullDirectory(project, values.out, io.cwd);
    const outcomes = scrubValue(await pullTemplates(project, groups, { names: positionals, dir, force: values.force === true, secrets }), secrets, true);
    io.stdout.write(scrub(format === "json" ? formatPullJson(outcomes) : formatPullText(outcomes, positionals.length > 0)));
    const clean = outcomes.every((o) => (o.action === "written" || o.action === "overwritten" || o.action === "in-project") && o.problems.length === 0);
    return clean ? EXIT_OK : EXIT_PROBLEMS;
  });
};

const HANDLERS: Record<Subcommand, CommandHandler> = { plan, apply, status, pull };

export const run: CommandHandler = async (args, io) => {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    io[sub === undefined ? "stderr" : "stdout"].write(HELP);
    return sub === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(`msgc templates: unknown subcommand "${sub}"`, `Use one of: ${SUBCOMMANDS.join(", ")}. Run "msgc templates --help" for their options.`);
  }
  return HANDLERS[sub as Subcommand](rest, io);
};
