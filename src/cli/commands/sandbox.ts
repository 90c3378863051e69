import { isAbsolute, resolve } from "node:path";
import type { CliIo, CommandHandler } from "../io.js";
import { EXIT_OK, EXIT_PROBLEMS, InputError, UsageError } from "../io.js";
import { helpRequested, parseCommand, untilTerminated, writeReport } from "../common.js";
import { readWebhookSecret } from "../webhook-secret.js";
import {
  DEFAULT_API_KEY,
  DEFAULT_DELIVER_MS,
  DEFAULT_RATE,
  DEFAULT_READ_RATE,
  SandboxConfigError,
  describeWebhookUrl,
  startSandbox,
  TemplateSpecsError,
  webhookUrlProblem,
} from "../../sandbox/index.js";
import type { Sandbox, SandboxOptions } from "../../sandbox/index.js";
import { SANDBOX_CHANNELS, type SandboxChannel } from "../../sandbox/sms.js";
import { isE164 } from "../../sandbox/validate.js";
import { projectRelative } from "../../project/confine.js";

const HELP = `Usage: msgc sandbox [options]

Runs a local Connectly-compatible API until Ctrl-C. Send to it with --base-url, inspect what it
accepted at /__sandbox/messages.

Options:
  --port N               port to listen on (default 0: a free port)
  --host H               address to bind (default 127.0.0.1, loopback only)
  --api-key K            the X-API-Key it expects (default $CONNECTLY_API_KEY, else "sandbox")
  --templates PATH       approved templates: a folder of Template specs, one Template spec, or a
                         YAML/JSON list; without it any template not created through
                         create/template is accepted
  --review-ms MS         a created template stays pending this long (default 0)
  --reject-rate P        reject a fraction P of created templates, seeded by --seed (0 to 1)
  --inbound FILE         CSV or NDJSON of (number, time): customers who wrote, for the 24-hour window
  --rate N               requests per second per business, token bucket (default 200; 0: unlimited)
  --seed N               seed of every random fault (default 1)
  --latency MS           delay every answer by MS milliseconds
  --jitter MS            vary the latency uniformly by up to ±MS
  --fail-rate P          answer 500 to a fraction P of requests (0 to 1)
  --reset-rate P         destroy the connection of a fraction P of requests, without an answer
  --hang-rate P          never answer a fraction P of requests
  --accept-then-fail[=P] record a fraction P (default 1) of accepted messages but answer 500
  --log FILE             append every accepted message to FILE as NDJSON
  --channels LIST        the channels the business has a number on: whatsapp, sms or
                         whatsapp,sms (default); without sms, SMS requests fail
  --webhook-url URL      send signed delivery_status and messages webhooks to URL
  --webhook-secret-file PATH
                         read the secret that signs them from a file (default
                         $CONNECTLY_WEBHOOK_SECRET; never a flag value, never printed)
  --deliver-ms MS        delivered (or delivery_failed) this long after sent, read as long
                         again (default 200)
  --read-rate P          a fraction P of WhatsApp messages is read (default 0.6)
  --undeliverable-rate P a fraction P gets delivery_failed instead of delivered (default 0)
  --webhook-duplicate-rate P
                         a fraction P of webhooks is delivered twice (default 0)
  --webhook-reorder-rate P
                         a fraction P of messages gets delivered before sent (default 0)
  --opted-out LIST       E.164 numbers, comma-separated, that opted out: template sends to them
                         get 400 ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT
  --help, -h             show this help
`;

const OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  "api-key": { type: "string" },
  templates: { type: "string" },
  "review-ms": { type: "string" },
  "reject-rate": { type: "string" },
  inbound: { type: "string" },
  rate: { type: "string" },
  seed: { type: "string" },
  latency: { type: "string" },
  jitter: { type: "string" },
  "fail-rate": { type: "string" },
  "reset-rate": { type: "string" },
  "hang-rate": { type: "string" },
  "accept-then-fail": { type: "string" },
  log: { type: "string" },
  channels: { type: "string" },
  "webhook-url": { type: "string" },
  "webhook-secret-file": { type: "string" },
  "deliver-ms": { type: "string" },
  "read-rate": { type: "string" },
  "undeliverable-rate": { type: "string" },
  "webhook-duplicate-rate": { type: "string" },
  "webhook-reorder-rate": { type: "string" },
  "opted-out": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const USAGE_HINT = `Run "msgc sandbox --help" for its options.`;

function parseNumber(flag: string, raw: string | undefined, check: { integer?: boolean; max?: number }): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === "" ? Number.NaN : Number(raw);
  const valid = Number.isFinite(value) && value >= 0 && (!check.integer || Number.isInteger(value)) && (check.max === undefined || value <= check.max);
  if (!valid) {
    const expected = check.max === 1 ? "a probability from 0 to 1" : check.integer ? `a whole number from 0${check.max === undefined ? "" : ` to ${check.max}`}` : "a number of at least 0";
    throw new UsageError(`msgc sandbox: --${flag} must be ${expected}, got "${raw}"`, USAGE_HINT);
  }
  return value;
}

function probability(flag: string, raw: string | undefined): number | undefined {
  return parseNumber(flag, raw, { max: 1 });
}

/** `--accept-then-fail` alone means every accepted message; parseArgs needs it spelled `=1`. */
function expandBareFlags(args: string[]): string[] {
  return args.map((arg) => (arg === "--accept-then-fail" ? "--accept-then-fail=1" : arg));
}

function describeFaults(options: SandboxOptions): string {
  const parts: string[] = [];
  if (options.latencyMs || options.jitterMs) parts.push(`latency ${options.latencyMs ?? 0}±${options.jitterMs ?? 0} ms`);
  if (options.failRate) parts.push(`fail-rate ${options.failRate}`);
  if (options.resetRate) parts.push(`reset-rate ${options.resetRate}`);
  if (options.hangRate) parts.push(`hang-rate ${options.hangRate}`);
  if (options.acceptThenFail) parts.push(`accept-then-fail ${String(options.acceptThenFail)}`);
  return parts.length === 0 ? "none" : `${parts.join(", ")} (seed ${options.seed ?? 1})`;
}

function describeReview(options: SandboxOptions): string {
  const reject = options.rejectRate ? `, ${options.rejectRate} of them rejected (seed ${options.seed ?? 1})` : "";
  return `created templates approved after ${options.reviewMs ?? 0} ms${reject}`;
}

function describeWebhooks(options: SandboxOptions, secretFromEnv: boolean): string[] {
  if (options.webhookUrl === undefined) return [];
  const faults = [
    options.undeliverableRate ? `undeliverable ${options.undeliverableRate}` : "",
    options.webhookDuplicateRate ? `duplicates ${options.webhookDuplicateRate}` : "",
    options.webhookReorderRate ? `reordered ${options.webhookReorderRate}` : "",
  ].filter((part) => part !== "");
  return [
    `  webhooks:  POST ${describeWebhookUrl(options.webhookUrl)}, signed with the secret ${secretFromEnv ? "from CONNECTLY_WEBHOOK_SECRET" : "from --webhook-secret-file"}`,
    `             delivered after ${options.deliverMs ?? DEFAULT_DELIVER_MS} ms, read ${options.readRate ?? DEFAULT_READ_RATE}` +
      (faults.length === 0 ? "" : `, ${faults.join(", ")} (seed ${options.seed ?? 1})`),
  ];
}

function describeStart(sandbox: Sandbox, options: SandboxOptions, keyFromEnv: boolean, secretFromEnv: boolean): string {
  const rate = options.rate === 0 ? "unlimited" : `${options.rate ?? DEFAULT_RATE} requests/s per business`;
  return [
    `msgc sandbox listening on ${sandbox.url}`,
    `  API key:   ${keyFromEnv ? "(from CONNECTLY_API_KEY)" : sandbox.apiKey}`,
    `  send:      POST ${sandbox.url}/v1/businesses/<businessId>/send/messages`,
    `             POST ${sandbox.url}/v1/businesses/<businessId>/send/whatsapp_templated_messages`,
    `  templates: POST ${sandbox.url}/v1/businesses/<businessId>/get/templates, …/create/template`,
    `  inspect:   GET ${sandbox.url}/__sandbox/messages, GET /__sandbox/stats, POST /__sandbox/inbound`,
    `  known:     ${options.templates === undefined ? "any (no --templates file)" : `${String(options.templates)} (${sandbox.approvedAtStart} approved, by name and language)`}`,
    `  review:    ${describeReview(options)}`,
    `  rate:      ${rate}`,
    `  faults:    ${describeFaults(options)}`,
    ...(options.channels ? [`  channels:  ${options.channels.join(", ")}`] : []),
    ...describeWebhooks(options, secretFromEnv),
    "Press Ctrl-C to stop.",
    "",
  ].join("\n");
}

/** `whatsapp,sms` -> the channels; anything else is a usage error. */
function parseChannels(raw: string | undefined): SandboxChannel[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(",").map((name) => name.trim());
  const known = (name: string): name is SandboxChannel => (SANDBOX_CHANNELS as readonly string[]).includes(name);
  if (!names.every(known)) {
    throw new UsageError(`msgc sandbox: --channels must be whatsapp, sms or whatsapp,sms, got "${raw}"`, USAGE_HINT);
  }
  return [...new Set(names)] as SandboxChannel[];
}

/** `+1…,+44…` -> the numbers; anything but E.164 numbers is a usage error. */
function parseOptedOut(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const numbers = raw.split(",").map((n) => n.trim());
  const bad = numbers.find((n) => !isE164(n));
  if (bad !== undefined) throw new UsageError(`msgc sandbox: --opted-out takes E.164 numbers separated by commas, got "${bad}"`, USAGE_HINT);
  return numbers;
}

const WEBHOOK_FLAGS = ["webhook-secret-file", "deliver-ms", "read-rate", "undeliverable-rate", "webhook-duplicate-rate", "webhook-reorder-rate"] as const;

/** The webhook options; the secret comes from --webhook-secret-file, else the environment. */
function parseWebhookArgs(
  values: Partial<Record<"webhook-url" | (typeof WEBHOOK_FLAGS)[number], string>>,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { options: Partial<SandboxOptions>; secretFromEnv: boolean } {
  const url = values["webhook-url"];
  if (url === undefined) {
    const stray = WEBHOOK_FLAGS.find((flag) => values[flag] !== undefined);
    if (stray) throw new UsageError(`msgc sandbox: --${stray} needs --webhook-url`, USAGE_HINT);
    return { options: {}, secretFromEnv: false };
  }
  const problem = webhookUrlProblem(url);
  if (problem) throw new UsageError(`msgc sandbox: --webhook-url ${problem}`, USAGE_HINT);
  const secret = readWebhookSecret({ cwd, env }, values["webhook-secret-file"], "sandbox");
  if (secret === undefined) throw new UsageError("msgc sandbox: --webhook-url needs a secret: --webhook-secret-file PATH or CONNECTLY_WEBHOOK_SECRET", USAGE_HINT);
  return {
    secretFromEnv: values["webhook-secret-file"] === undefined,
    options: {
      webhookUrl: url,
      webhookSecret: secret,
      deliverMs: parseNumber("deliver-ms", values["deliver-ms"], {}),
      readRate: probability("read-rate", values["read-rate"]),
      undeliverableRate: probability("undeliverable-rate", values["undeliverable-rate"]),
      webhookDuplicateRate: probability("webhook-duplicate-rate", values["webhook-duplicate-rate"]),
      webhookReorderRate: probability("webhook-reorder-rate", values["webhook-reorder-rate"]),
    },
  };
}

/**
 * Parses the flags into sandbox options; `keyFromEnv` and `secretFromEnv` say where the key and
 * the webhook secret came from (neither is ever printed).
 */
export function parseSandboxArgs(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): { options: SandboxOptions; keyFromEnv: boolean; secretFromEnv: boolean; help: boolean } {
  const { values, positionals } = parseCommand("sandbox", expandBareFlags(args), OPTIONS);
  if (positionals.length > 0) throw new UsageError(`msgc sandbox: unexpected argument "${positionals[0]}"`, USAGE_HINT);
  const envKey = env["CONNECTLY_API_KEY"];
  const keyFromEnv = values["api-key"] === undefined && envKey !== undefined && envKey !== "";
  const apiKey = values["api-key"] ?? (keyFromEnv ? envKey : DEFAULT_API_KEY);
  if (apiKey === "") throw new UsageError("msgc sandbox: --api-key must not be empty", USAGE_HINT);
  const webhooks = parseWebhookArgs(values, env, cwd);
  const options: SandboxOptions = {
    host: values.host ?? "127.0.0.1",
    port: parseNumber("port", values.port, { integer: true, max: 65535 }) ?? 0,
    apiKey,
  };
  const optional: Partial<SandboxOptions> = {
    templates: values.templates === undefined ? undefined : resolve(cwd, values.templates),
    inbound: values.inbound === undefined ? undefined : resolve(cwd, values.inbound),
    reviewMs: parseNumber("review-ms", values["review-ms"], {}),
    rejectRate: probability("reject-rate", values["reject-rate"]),
    rate: parseNumber("rate", values.rate, {}),
    seed: parseNumber("seed", values.seed, { integer: true }),
    latencyMs: parseNumber("latency", values.latency, {}),
    jitterMs: parseNumber("jitter", values.jitter, {}),
    failRate: probability("fail-rate", values["fail-rate"]),
    resetRate: probability("reset-rate", values["reset-rate"]),
    hangRate: probability("hang-rate", values["hang-rate"]),
    acceptThenFail: probability("accept-then-fail", values["accept-then-fail"]),
    logFile: values.log === undefined ? undefined : resolve(cwd, values.log),
    channels: parseChannels(values.channels),
    ...webhooks.options,
    optedOut: parseOptedOut(values["opted-out"]),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  }
  return { options, keyFromEnv, secretFromEnv: webhooks.secretFromEnv, help: values.help === true };
}

/** A file under the working folder by its relative path, as validate names spec files. */
function shownPath(cwd: string, absPath: string): string {
  const rel = projectRelative(cwd, absPath);
  return rel === undefined || rel === "" ? absPath : rel;
}

/** Template specs that do not load or lint: every diagnostic, as validate prints them; exit 1. */
function reportTemplateSpecs(io: CliIo, error: TemplateSpecsError): number {
  const shown = (file: string): string => (isAbsolute(file) ? shownPath(io.cwd, file) : file);
  const diagnostics = error.diagnostics.map((d) => ({ ...d, file: shown(d.file) }));
  const sources = new Map([...error.sources].map(([file, source]) => [shown(file), source]));
  writeReport(io, {
    format: "text",
    diagnostics,
    summary: { specs: 0, errors: diagnostics.length, warnings: 0 },
    sources,
    quiet: false,
    target: "stderr",
    what: "msgc sandbox: not started, the --templates specs have problems",
  });
  return EXIT_PROBLEMS;
}

/**
 * `msgc sandbox` with an explicit stop: the binary stops on SIGINT/SIGTERM, tests when they
 * choose.
 */
export async function runSandbox(args: string[], io: CliIo, waitForStop: () => Promise<void>): Promise<number> {
  const { options, keyFromEnv, secretFromEnv, help } = parseSandboxArgs(args, io.env, io.cwd);
  if (helpRequested({ help }, HELP, io)) return EXIT_OK;
  let sandbox: Sandbox;
  try {
    const warn = (message: string): void => void io.stderr.write(`msgc sandbox: ${message}\n`);
    sandbox = await startSandbox({ ...options, onLogError: warn, onWebhookWarning: warn });
  } catch (e) {
    if (e instanceof TemplateSpecsError) return reportTemplateSpecs(io, e);
    if (e instanceof SandboxConfigError) throw new InputError(`msgc sandbox: ${e.message}`);
    throw e;
  }
  io.stdout.write(describeStart(sandbox, options, keyFromEnv, secretFromEnv));
  await waitForStop();
  await sandbox.close();
  const stats = sandbox.stats();
  const hooks = stats.webhooks;
  const webhooks = hooks
    ? `; webhooks: ${hooks.delivered} delivered, ${hooks.retried} retried, ${hooks.givenUp} given up, ${hooks.dropped} dropped, ${hooks.cancelled} cancelled`
    : "";
  io.stdout.write(`msgc sandbox stopped: ${stats.requests} requests, ${stats.accepted} messages accepted${webhooks}\n`);
  return EXIT_OK;
}

export const run: CommandHandler = (args, io) => runSandbox(args, io, untilTerminated);
