import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CliIo, CommandHandler } from "../io.js";
import { EXIT_OK, EXIT_PROBLEMS, InputError, UsageError } from "../io.js";
import { askYesNo, canAsk, EXIT_INTERRUPTED, PromptCancelled } from "../confirm.js";
import { resolveTarget, TARGET_OPTIONS } from "../target.js";
import type { Target } from "../target.js";
import { startSandboxLoop } from "../sandbox-loop.js";
import { COMMON_OPTIONS, helpRequested, parseCommand, parseFormat, smsPart, sourcesOf, writeReport } from "../common.js";
import { diagnosticToJson } from "../../diagnostics.js";
import type { Diagnostic } from "../../diagnostics.js";
import { hasErrors, isError } from "../../diagnostics.js";
import { loadConfig } from "../../project/config.js";
import { loadProject } from "../../project/project.js";
import type { Project } from "../../project/project.js";
import { newCampaignStats, planCampaign, planCampaignNdjson } from "../../runner/plan.js";
import { maskNumber } from "../../mask.js";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RATE,
  DEFAULT_TIMEOUT_MS,
  JournalExistsError,
  MAX_TIMEOUT_MS,
  parseMaxFailures,
  parseShard,
  scrubOutput,
  scrubValue,
  send,
  summaryExitCode,
} from "../../runner/send/index.js";
import { createConnectlyClient } from "../../connectly/client.js";
import type { PlanItem } from "../../compiler/plan.js";
import type { TemplateUse } from "../../compiler/template-uses.js";
import { campaignTemplateUses, describePreflight, preflightTemplates, sandboxTemplates } from "../../runner/templates/preflight.js";
import { gatherValues, planSingleMessage } from "../../runner/single-message.js";
import { campaignFingerprint } from "../../runner/fingerprint.js";
import { scopeDiagnosticsForSend } from "../../runner/send/scope.js";
import type { ConfirmInfo, SendOptions, SendSummary, Shard } from "../../runner/send/index.js";
import { formatSummary } from "../../runner/send/format.js";
import { shardOf } from "../../runner/send/policy.js";
import { refuseOutputOverInputs } from "../output-guard.js";
import { storeSecrets } from "../../store/open.js";
import { checkTrackingRoom } from "../../compiler/tracking-room.js";
import { createProgress } from "../../runner/send/progress.js";
import { openSendStore, recipientFacts } from "../../runner/suppressions.js";
import type { Store } from "../../store/store.js";

const MAX_RATE = 200;
/** How the in-process sandbox's temporary store is named in the summary and the funnel. */
const SANDBOX_STORE_SHOWN = "in-process (the sandbox's webhooks; forgotten when the send ends)";

const HELP = `Usage: msgc send CAMPAIGN [options]
       msgc send MESSAGE --to NUMBER [--var k=v]… [--vars FILE] [options]

Sends a campaign to its audience, or one message to one number, through Connectly's API:
paced (token bucket), retried (429 Retry-After, 5xx/timeouts with backoff), journaled and
resumable. Nothing is sent without --yes or a confirmation on a terminal.

Target:
  --base-url URL         API base URL (default: the config's baseUrl, https://api.connectly.ai)
  --business-id ID       Connectly business id (default: the config's businessId)
  --api-key-file PATH    read the API key from a file (default: $CONNECTLY_API_KEY)
  --sandbox              start a local sandbox in-process and send there
  --insecure-http        allow a plain http:// base URL on another machine (the key goes in clear text)

What to send:
  --to NUMBER            send MESSAGE to this number
  --var k=v              a value for one of the message's vars (repeatable)
  --vars FILE            values from a JSON or YAML file (--var wins)

Sending:
  --yes, -y              send without asking
  --dry-run              do everything but the HTTP requests (no key needed, no journal)
  --no-preflight         do not check the templates against Connectly's list before sending
  --rate N               requests per second, at most ${MAX_RATE} (default: the campaign's, else the config's, else ${DEFAULT_RATE};
                         divided by N with --shard unless given)
  --concurrency N        requests in flight (default: the config's, else ${DEFAULT_CONCURRENCY})
  --timeout MS           per-request timeout, whole milliseconds (default ${DEFAULT_TIMEOUT_MS})
  --max-attempts N       attempts for 5xx, timeouts and connection errors (default ${DEFAULT_MAX_ATTEMPTS})
  --max-failures N|P%    stop early after N failed recipients, or more than P% (default: 20 of the first 100)
  --shard I/N            send only the recipients whose key hashes to shard I of N

Journal and resume:
  --journal FILE         the journal (default: <out>/journal/<campaign>[.shard-I-of-N].ndjson)
  --resume               send only what is not known to be sent
  --retry-unknown        with --resume, also resend requests whose outcome is unknown
  --retry-failed         with --resume, also resend recipients refused for good earlier (a 4xx other
                         than 401, 403, 408 and 429), e.g. after fixing the spec (with --force)
  --force                with --resume, accept a campaign that changed since the journal began
  --grace DURATION       with a store, how long webhooks may take: a possibly duplicated recipient
                         whose other attempts are older and silent is not duplicated (default 30m;
                         e.g. 90s, 10m, 2h, 0)

Output:
  --report FILE          write a JSON report: per recipient key, form, status, message id, error code, attempts
  --show-numbers         do not mask phone numbers
  --format FORMAT        text (default) or json (the summary as one JSON document on stdout)
  --config PATH          msgc.config.yaml to use (default: found by walking up from here)
  --quiet, -q            no progress, errors only
  --help, -h             show this help

With a store (MSGC_STORE, the config's store:, or <out>/msgc.db when it exists), numbers on the
suppression list are skipped and counted as suppressed (unless the campaign says
suppression: ignore), and window: auto also uses when each customer last wrote (msgc suppress,
docs/tracking.md).

Exit codes: 0 every recipient sent (or already sent, or suppressed), 1 some failed, are
unknown or were not sent (or the specs have errors, or the --report could not be written), 64
usage error (missing key, business id or flag), 130 Ctrl-C at the confirmation (nothing sent).
`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  to: { type: "string" },
  var: { type: "string", multiple: true },
  vars: { type: "string" },
  "dry-run": { type: "boolean" },
  "no-preflight": { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  rate: { type: "string" },
  concurrency: { type: "string" },
  resume: { type: "boolean" },
  "retry-unknown": { type: "boolean" },
  "retry-failed": { type: "boolean" },
  force: { type: "boolean" },
  "max-failures": { type: "string" },
  shard: { type: "string" },
  report: { type: "string" },
  journal: { type: "string" },
  ...TARGET_OPTIONS,
  "show-numbers": { type: "boolean" },
  timeout: { type: "string" },
  "max-attempts": { type: "string" },
  grace: { type: "string" },
} as const;

function positiveNumber(flag: string, text: string | undefined, opts: { integer?: boolean; max?: number } = {}): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  const ok = text.trim() !== "" && Number.isFinite(value) && value > 0 && (!opts.integer || Number.isInteger(value));
  if (!ok) throw new UsageError(`msgc send: ${flag} must be a ${opts.integer ? "whole " : ""}number above 0, got "${text}"`);
  if (opts.max !== undefined && value > opts.max) {
    throw new UsageError(`msgc send: ${flag} is at most ${opts.max}, got ${text}`, flag === "--rate" ? "Connectly allows 200 messages a second per business." : undefined);
  }
  return value;
}

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** A week: webhooks that late are not coming. */
const MAX_GRACE_MS = 7 * 24 * 3_600_000;

/** `--grace`: a whole number with a unit (ms, s, m, h), or 0. */
export function parseGrace(text: string): number {
  const match = /^(\d{1,9})(ms|s|m|h)?$/.exec(text.trim());
  const unit = match?.[2] as keyof typeof DURATION_UNITS | undefined;
  if (!match || (unit === undefined && match[1] !== "0")) {
    throw new UsageError(`msgc send: --grace must be a duration such as 90s, 30m or 2h, got "${text}"`);
  }
  const ms = Number(match[1]) * (unit ? DURATION_UNITS[unit] : 0);
  if (ms > MAX_GRACE_MS) throw new UsageError(`msgc send: --grace is at most 168h (a week), got ${text}`);
  return ms;
}

function singleTemplateUse(item: PlanItem, file: string): TemplateUse[] {
  const body = item.template?.body;
  if (!body || item.window === "session") return [];
  return [{ templateName: body.templateName, language: body.language, parameters: (body.parameters ?? []).map((p) => p.name), file, path: ["template"] }];
}

async function checkTemplatesBeforeSend(project: Project, target: Target, uses: TemplateUse[], timeoutMs: number | undefined): Promise<Diagnostic[]> {
  if (uses.length === 0) return [];
  const client = createConnectlyClient({
    baseUrl: target.baseUrl,
    apiKey: target.apiKey ?? "",
    businessId: target.businessId,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  try {
    return await preflightTemplates(project, client, uses);
  } finally {
    await client.close();
  }
}

type ParsedValues = ReturnType<typeof parseCommand<typeof OPTIONS>>["values"];

/**
 * Asks on the terminal; without one, refuses (a CI job must say --yes). On a terminal readline
 * reads Ctrl-C as a key (raw mode), not as a signal: it is caught here, and so is a real signal
 * (`signal`), else the question would wait for ever (or the process end with the lock behind).
 * The end of input (Ctrl-D) is a no.
 */
function confirmer(
  io: CliIo,
  yes: boolean,
  preflight: () => void,
  checkTemplates: () => Promise<void>,
  signal: AbortSignal,
): (info: ConfirmInfo) => Promise<boolean> {
  const ask = askToSend(io, yes, signal);
  return async (info) => {
    preflight();
    const go = await ask(info);
    // Last, right before the first request: a run that is not going ahead reads nothing.
    if (go && !info.dryRun && info.count > 0) await checkTemplates();
    return go;
  };
}

function askToSend(io: CliIo, yes: boolean, signal: AbortSignal): (info: ConfirmInfo) => Promise<boolean> {
  return async (info) => {
    if (info.dryRun || yes || info.count === 0) return true;
    if (!canAsk(io)) {
      throw new UsageError(
        `msgc send: about to send ${info.count} message${info.count === 1 ? "" : "s"} of ${info.campaign} to ${info.host}, but there is no terminal to confirm on`,
        "Add --yes to send without asking.",
      );
    }
    return askYesNo(io, `Send ${info.count} message${info.count === 1 ? "" : "s"}${smsPart(info.sms)} of ${info.campaign} to ${info.host}? [y/N] `, signal);
  };
}

/**
 * `<out>/journal/<name>[.shard-I-of-N].ndjson`. An in-process sandbox forgets everything when the
 * run ends, so its journal would only block the next demo run: it goes to a fresh temporary
 * folder instead (`tempDir`), which the run removes when it ends (it holds full numbers).
 */
function journalFile(outDir: string, name: string, opts: { shard?: Shard | undefined; suffix?: string; tempDir: string | undefined }): string {
  const sharded = opts.shard ? `.shard-${opts.shard.index}-of-${opts.shard.count}` : "";
  return join(opts.tempDir ?? join(outDir, "journal"), `${name}${opts.suffix ?? ""}${sharded}.ndjson`);
}

export const run: CommandHandler = async (args, io) => {
  const { values, positionals } = parseCommand("send", args, OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  const format = parseFormat("send", values.format, ["text", "json"] as const);
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? "msgc send: which campaign (or message) to send?" : `msgc send: one campaign or message at a time, got ${positionals.length}`,
      'Run "msgc send --help" for its options.',
    );
  }
  const name = positionals[0]!;
  const dryRun = values["dry-run"] === true;
  const rate = positiveNumber("--rate", values.rate, { max: MAX_RATE });
  const concurrency = positiveNumber("--concurrency", values.concurrency, { integer: true, max: 1024 });
  const timeoutMs = positiveNumber("--timeout", values.timeout, { integer: true, max: MAX_TIMEOUT_MS });
  const maxAttempts = positiveNumber("--max-attempts", values["max-attempts"], { integer: true, max: 100 });
  const maxFailures = values["max-failures"] !== undefined ? fromLibraryCall(() => parseMaxFailures(values["max-failures"]!)) : undefined;
  const shard = values.shard !== undefined ? fromLibraryCall(() => parseShard(values.shard!)) : undefined;
  const graceMs = values.grace !== undefined ? parseGrace(values.grace) : undefined;
  if (values["retry-unknown"] && !values.resume) throw new UsageError("msgc send: --retry-unknown only makes sense with --resume");
  if (values["retry-failed"] && !values.resume) throw new UsageError("msgc send: --retry-failed only makes sense with --resume");
  if (values.force && !values.resume) throw new UsageError("msgc send: --force only makes sense with --resume");
  const single = values.to !== undefined;
  if (!single && (values.var !== undefined || values.vars !== undefined)) {
    throw new UsageError("msgc send: --var and --vars go with --to (one message to one number); a campaign's values come from its audience");
  }
  if (single && shard) throw new UsageError("msgc send: --shard is for campaigns, not for one message --to one number");
  const showNumbers = values["show-numbers"] === true;
  const quiet = values.quiet === true;

  // The in-process sandbox's key is a random one of its own; the real key may still be in the
  // environment (or a file) and must not show up either. Everything printed goes through `scrub`.
  const secrets = [io.env["CONNECTLY_API_KEY"], io.env["CONNECTLY_API_KEY"]?.trim(), ...storeSecrets(io.env)];
  const scrub = (text: string): string => scrubOutput(text, secrets, showNumbers);
  // Everything about the target is checked before any spec is loaded or compiled.
  const configPath = values.config !== undefined ? { configPath: values.config } : {};
  const { config, diagnostics: configDiagnostics } = await loadConfig({ cwd: io.cwd, ...configPath });
  if (hasErrors(configDiagnostics)) {
    writeReport(io, {
      format,
      diagnostics: configDiagnostics,
      summary: { specs: 0, errors: configDiagnostics.filter(isError).length, warnings: configDiagnostics.filter((d) => !isError(d)).length },
      sources: new Map(),
      quiet,
      target: "stdout",
      what: "nothing sent",
      scrub,
    });
    return EXIT_PROBLEMS;
  }
  // Parsing the specs compiles nothing: a name that is not there (or the wrong kind of thing) is
  // said before the key or the business id are asked for.
  const project = await loadProject({ cwd: io.cwd, ...configPath });
  checkName(project, name, single);
  // An in-process sandbox holds the project's Template specs approved, so the preflight runs
  // against them as against Connectly; and it closes the tracking loop: its webhooks go to an
  // in-process receiver and a temporary store, and the run ends with the funnel
  // (src/cli/sandbox-loop.ts).
  const loop = values.sandbox === true && !dryRun ? await fromLibraryAsync(() => startSandboxLoop(config.optOut)) : undefined;
  let target: Target;
  try {
    target = await resolveTarget(io, values, config, {
      command: "send",
      keyOptional: dryRun,
      sandboxTemplates: sandboxTemplates(project),
      ...(loop ? { sandboxWebhooks: loop.sandboxOptions } : {}),
    });
  } catch (e) {
    await loop?.close();
    throw e;
  }
  secrets.push(target.apiKey);
  let tempJournalDir: string | undefined;
  let store: Store | undefined;
  // Ctrl-C from here on stops the run gracefully (or cancels the question), and the clean-up
  // below (the sandbox, its temporary journal) runs whenever it comes.
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (target.sandboxUrl && !quiet) io.stderr.write(`sandbox: listening on ${target.sandboxUrl} (in-process, stops when the send ends)\nsandbox: ${describeSandboxTemplates(target)}\n`);
    // Only this campaign's and its message's specs must be valid; other specs' errors are warnings.
    const loadDiagnostics = scopeDiagnosticsForSend(project, name);
    if (loadDiagnostics.some(isError)) return reportDiagnostics(io, project, loadDiagnostics, format, quiet, scrub);
    if (loadDiagnostics.length > 0 && format === "text") {
      writeReport(io, {
        format: "text",
        diagnostics: loadDiagnostics,
        summary: { specs: project.specs.length, errors: 0, warnings: loadDiagnostics.length },
        sources: sourcesOf(project),
        quiet,
        target: "stderr",
        what: `not needed to send ${name}`,
        scrub,
      });
    }

    // Tracking by token is whole only when every form of the message can carry one.
    const messageSpec = project.messages.get(project.campaigns.get(name)?.data.message ?? name);
    const everyRequestTracked = messageSpec !== undefined && checkTrackingRoom(messageSpec.data, messageSpec.file).length === 0;
    const diagnostics: Diagnostic[] = [];
    let plan: SendOptions["plan"];
    let planNdjson: SendOptions["planNdjson"];
    let planHash: string | undefined;
    // A campaign sent with --yes (not a dry run) starts without counting first.
    const streaming = values.yes === true && !dryRun;
    let preflight = (): void => undefined;
    let campaignRate: number | undefined;
    let track = project.config.track;
    let smsTotals: SendOptions["smsTotals"];
    let journal: string;
    let singleSend: { recipient: string } | undefined;
    let templateForms: () => TemplateUse[] = () => campaignTemplateUses(project, name);
    if (values.sandbox && values.journal === undefined) tempJournalDir = mkdtempSync(join(tmpdir(), "msgc-sandbox-journal-"));
    const campaignSpec = project.campaigns.get(name);
    if (campaignSpec) {
      campaignRate = typeof campaignSpec.data.rate === "number" ? campaignSpec.data.rate : undefined;
      if (typeof campaignSpec.data.track === "boolean") track = campaignSpec.data.track;
      const stats = newCampaignStats();
      // A shard's summary and confirmation count its own recipients' SMS.
      const countsSms = shard ? { countsSms: (key: string) => shardOf(key, shard.count) === shard.index } : {};
      planHash = await campaignFingerprint(project, name);
      // Whichever pass collects the stats: the first when it is waited for, else the send itself.
      smsTotals = () => stats.sms;
      if (streaming) {
        // With --yes nobody waits on a count: the send starts at once, once the specs compile,
        // the audience opens and its header has the columns (its first row is planned). Its rows'
        // problems come with the send; the count runs in the background for the progress line.
        const first: Diagnostic[] = [];
        const firstStats = newCampaignStats();
        for await (const item of planCampaign(project, name, { limit: 1, stats: firstStats, onDiagnostic: (d) => first.push(d) })) void item;
        if (firstStats.aborted || first.some((d) => isError(d) && d.row === undefined)) {
          return reportDiagnostics(io, project, format === "json" ? [...loadDiagnostics, ...first] : first, format, quiet, scrub);
        }
        plan = () => planCampaign(project, name, { stats, ...countsSms, onDiagnostic: (d) => diagnostics.push(d) });
        planNdjson = () => planCampaignNdjson(project, name, { onDiagnostic: () => undefined });
      } else {
        // The first pass (hash, count, diagnostics) compiles on worker threads; the second, which
        // sends, reads the same plan again and has nothing new to say.
        planNdjson = () => planCampaignNdjson(project, name, { stats, ...countsSms, onDiagnostic: (d) => diagnostics.push(d) });
        plan = () => planCampaign(project, name, { onDiagnostic: () => undefined });
        preflight = () => {
          if (stats.aborted || diagnostics.some((d) => isError(d) && d.row === undefined)) {
            throw new SpecProblems();
          }
        };
      }
      journal = values.journal !== undefined ? resolve(io.cwd, values.journal) : journalFile(project.config.outDir, name, { shard, tempDir: tempJournalDir });
    } else {
      const varsFile = values.vars;
      const pairs = values.var ?? [];
      const given = fromLibraryCall(() => gatherValues(varsFile !== undefined ? { path: resolve(io.cwd, varsFile), shownAs: varsFile } : undefined, pairs));
      // Each problem is put where its value came from: a --var flag, or the --vars file.
      const fromFlags = new Set(pairs.map((pair) => pair.slice(0, pair.indexOf("="))));
      const planned = fromLibraryCall(() =>
        planSingleMessage(project, name, { to: values.to!, ...given, sourceOf: (v) => (fromFlags.has(v) || varsFile === undefined ? "--var" : varsFile) }),
      );
      diagnostics.push(...planned.diagnostics);
      if (!planned.plan) return reportDiagnostics(io, project, diagnostics, format, quiet, scrub);
      const { item, recipient, sendId } = planned.plan;
      plan = () => [item];
      singleSend = { recipient };
      templateForms = () => singleTemplateUse(item, project.messages.get(name)!.file);
      journal =
        values.journal !== undefined
          ? resolve(io.cwd, values.journal)
          : journalFile(project.config.outDir, name, { suffix: `.to-${sendId}`, tempDir: tempJournalDir });
    }

    // Before the first request: every template form the run may send is on Connectly's list (or
    // the in-process sandbox's, which holds the project's Template specs), approved, and takes
    // what the plan fills. A dry run may have no key, and a sandbox without Template specs
    // accepts any template: both go without it.
    const checkTemplates = async (): Promise<void> => {
      if (values["no-preflight"] === true || dryRun || takesAnyTemplate(target)) return;
      const uses = templateForms();
      const problems = await checkTemplatesBeforeSend(project, target, uses, timeoutMs);
      if (problems.length > 0) throw new TemplateProblems(problems);
      // Beside the sandbox's own lines, what it proved; a real run's stderr stays for problems.
      if (uses.length > 0 && !quiet && target.sandboxUrl) io.stderr.write(`${describePreflight(uses)}\n`);
    };

    // The report is renamed over its target at the end: never over the journal or the store.
    if (values.report !== undefined) await refuseOutputOverInputs("send", project.config, io.env, journal, [{ option: "report", given: values.report, path: resolve(io.cwd, values.report) }]);

    // The store (docs/tracking.md): opt-outs and inbound times read once, attempts recorded. One
    // that is configured but cannot be opened stops the send: its opt-outs cannot be honoured.
    store = await fromLibraryAsync(() => openSendStore(project.config, io.env));
    const facts = store ? await recipientFacts(store, { ignoreSuppression: campaignSpec?.data.suppression === "ignore", now: Date.now() }) : undefined;

    // A configured rate is the whole campaign's: shards share it. --rate is this process's own.
    const baseRate = rate ?? campaignRate ?? project.config.rate;
    const effectiveRate = rate ?? (shard ? baseRate / shard.count : baseRate);
    let summary: SendSummary;
    // Nobody to ask and no count to wait for: the templates are checked before send() starts.
    const startsAtOnce = streaming && planHash !== undefined;
    try {
      if (startsAtOnce) await checkTemplates();
      summary = await send({
        plan,
        ...(planNdjson ? { planNdjson } : {}),
        ...(smsTotals ? { smsTotals } : {}),
        campaign: name,
        baseUrl: target.baseUrl,
        businessId: target.businessId,
        ...(target.apiKey !== undefined ? { apiKey: target.apiKey } : {}),
        insecureHttp: values["insecure-http"] === true,
        rate: effectiveRate,
        concurrency: concurrency ?? project.config.concurrency,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(maxAttempts !== undefined ? { maxAttempts } : {}),
        ...(maxFailures !== undefined ? { maxFailures } : {}),
        ...(shard !== undefined ? { shard } : {}),
        journal,
        resume: values.resume === true,
        retryUnknown: values["retry-unknown"] === true,
        retryFailed: values["retry-failed"] === true,
        force: values.force === true,
        dryRun,
        ...(planHash !== undefined ? { planHash } : {}),
        ...(startsAtOnce ? {} : { confirm: confirmer(io, values.yes === true, preflight, checkTemplates, controller.signal) }),
        ...(values.report !== undefined ? { report: resolve(io.cwd, values.report) } : {}),
        showNumbers,
        ...(facts ? { facts } : {}),
        ...(quiet ? {} : { progress: createProgress({ stream: io.stderr }) }),
        signal: controller.signal,
        track,
        everyRequestTracked,
        ...(graceMs !== undefined ? { graceMs } : {}),
        ...(loop ? { store: loop.store } : store ? { store } : {}),
        onWarning: (line) => io.stderr.write(`msgc send: warning: ${scrub(line)}\n`),
      });
    } catch (e) {
      // In text, the load warnings were printed before the send already.
      if (e instanceof SpecProblems) return reportDiagnostics(io, project, format === "json" ? [...loadDiagnostics, ...diagnostics] : diagnostics, format, quiet, scrub);
      if (e instanceof TemplateProblems) return reportDiagnostics(io, project, e.diagnostics, format, quiet, scrub);
      if (e instanceof PromptCancelled) {
        io.stderr.write("\nCancelled, nothing sent\n");
        return EXIT_INTERRUPTED;
      }
      if (e instanceof JournalExistsError && singleSend) {
        const to = showNumbers ? singleSend.recipient : maskNumber(singleSend.recipient);
        throw new UsageError(
          `msgc send: this message with these values was already sent to ${to} at ${e.startedAt}; --resume to finish it or --journal FILE to start over`,
          `Its journal: ${scrub(e.journal)}`,
        );
      }
      throw fromLibrary(e, scrub);
    }

    // The temporary journal is removed below: the summary does not point at it.
    if (tempJournalDir !== undefined) summary = { ...summary, journal: null };
    // Nor at the temporary store of the in-process sandbox's loop.
    if (loop && summary.store) summary = { ...summary, store: { ...summary.store, location: SANDBOX_STORE_SHOWN } };
    const rowProblems = diagnostics.filter(isError).length;
    if (diagnostics.length > 0 && format === "text") {
      writeReport(io, {
        format: "text",
        diagnostics,
        summary: { specs: project.specs.length, errors: rowProblems, warnings: diagnostics.length - rowProblems },
        sources: sourcesOf(project),
        quiet,
        target: "stderr",
        scrub,
        what: `${name}: ${rowProblems} audience row${rowProblems === 1 ? "" : "s"} not sent`,
      });
    }
    const ok = summaryExitCode(summary) === 0 && rowProblems === 0;
    if (format === "json") {
      // Scrubbed value by value: in the serialized text, escaping (a key with " or \) would hide it.
      const document = { ok, summary, diagnostics: [...loadDiagnostics, ...diagnostics].map(diagnosticToJson) };
      io.stdout.write(`${JSON.stringify(scrubValue(document, secrets, showNumbers))}\n`);
    } else if (!quiet || !ok) {
      // --quiet: a run that went well says nothing; one that did not still shows its summary.
      io.stdout.write(scrub(formatSummary(summary)));
      // What the webhooks said after the send is the store's: one line to find it, or, from the
      // in-process sandbox, the funnel itself once its webhooks are in.
      if (loop && !summary.dryRun && !summary.cancelled) {
        io.stdout.write(`\nDelivery (the sandbox's webhooks)\n${scrub(await loop.funnel(name, journal, () => target.drainWebhooks?.() ?? Promise.resolve()))}`);
      } else if (summary.store && !summary.dryRun && !summary.cancelled) io.stdout.write(`Delivery: msgc status ${name}\n`);
    }
    if (summary.reportError) io.stderr.write(`msgc send: ${scrub(summary.reportError)}\n`);
    return ok ? EXIT_OK : EXIT_PROBLEMS;
  } finally {
    await store?.close().catch(() => undefined);
    await target.close?.();
    await loop?.close();
    if (tempJournalDir !== undefined) rmSync(tempJournalDir, { recursive: true, force: true });
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
};

/** An in-process sandbox of a project without Template specs: it takes any template (target.ts). */
function takesAnyTemplate(target: Target): boolean {
  const held = target.sandboxTemplates;
  return held !== undefined && held.specs + held.leftOut === 0;
}

/** What the in-process sandbox holds: the project's Template specs, approved. */
function describeSandboxTemplates(target: Target): string {
  const held = target.sandboxTemplates;
  if (!held || takesAnyTemplate(target)) return "no Template specs, so it takes any template and the preflight is skipped";
  const specs = `${held.specs} Template spec${held.specs === 1 ? "" : "s"}`;
  const leftOut = held.leftOut > 0 ? `; ${held.leftOut} left out for lint errors (msgc validate)` : "";
  return `holds the project's ${specs} as approved templates (${held.approved} by name and language)${leftOut}`;
}

/**
 * The name must be a campaign (without --to) or a message (with --to). When it is neither and
 * some spec failed to load, it may be in that spec: the load errors are the answer, later.
 */
function checkName(project: Project, name: string, single: boolean): void {
  const campaign = project.campaigns.get(name);
  if (campaign) {
    if (!single) return;
    const message = typeof campaign.data.message === "string" ? campaign.data.message : undefined;
    throw new UsageError(
      `msgc send: "${name}" is a campaign; --to sends a message`,
      message ? `To send its message to one number: msgc send ${message} --to NUMBER` : "Send the campaign without --to.",
    );
  }
  if (project.messages.has(name)) {
    if (single) return;
    throw new UsageError(`msgc send: "${name}" is a message; send it to one number with --to NUMBER`, "A campaign sends a message to an audience.");
  }
  if (project.diagnostics.some(isError)) return;
  const known = [...project.campaigns.keys(), ...project.messages.keys()];
  throw new InputError(`msgc send: there is no campaign or message named "${name}"${known.length ? ` (known: ${known.sort().join(", ")})` : ""}`);
}

/** The library's usage and input errors, worded for this command, with nothing secret in them. */
function fromLibrary(e: unknown, scrub: (text: string) => string = (t) => t): unknown {
  const say = (message: string): string => scrub(message.startsWith("msgc") ? message : `msgc send: ${message}`);
  if (e instanceof UsageError) return new UsageError(say(e.message), e.hint);
  if (e instanceof InputError) return new InputError(say(e.message));
  return e;
}

async function fromLibraryAsync<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw fromLibrary(e);
  }
}

function fromLibraryCall<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw fromLibrary(e);
  }
}

/** The campaign could not be read or compiled: its diagnostics are the answer, nothing is sent. */
class SpecProblems extends Error {}

/** The preflight found templates that Connectly would refuse: nothing is sent. */
class TemplateProblems extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super("template problems");
  }
}

function reportDiagnostics(io: CliIo, project: Project, diagnostics: Diagnostic[], format: "text" | "json", quiet: boolean, scrub: (text: string) => string): number {
  const errors = diagnostics.filter(isError).length;
  writeReport(io, {
    format,
    diagnostics,
    summary: { specs: project.specs.length, errors, warnings: diagnostics.length - errors },
    sources: sourcesOf(project),
    quiet,
    target: "stdout",
    what: "nothing sent",
    scrub,
  });
  return EXIT_PROBLEMS;
}
