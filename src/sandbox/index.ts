import { createWriteStream } from "node:fs";
import type { WriteStream } from "node:fs";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { monotonicFactory } from "ulid";
import { SandboxConfigError } from "./config-error.js";
import { FaultPlan } from "./faults.js";
import { InboundBook, loadInbound, parseInboundEntry } from "./inbound.js";
import type { InboundEntry } from "./inbound.js";
import { RateLimiter } from "./rate-limit.js";
import { createRequestHandler, nextTraceId, recordInbound } from "./server.js";
import { TemplateStore } from "./template-api.js";
import type { AcceptedMessage, SandboxState, SandboxStats } from "./server.js";
import { approvedTemplates, loadTemplates } from "./templates.js";
import { getValidators, isE164 } from "./validate.js";
import { SANDBOX_CHANNELS, type SandboxChannel } from "./sms.js";
import type { ApprovedTemplate, TemplateDefinition } from "./templates.js";
import type { TemplateSpec } from "../types/template.generated.js";
import {
  DEFAULT_BUSINESS_NUMBER,
  DEFAULT_DELIVER_MS,
  DEFAULT_MAX_PENDING_WEBHOOKS,
  DEFAULT_MAX_PENDING_WEBHOOK_BYTES,
  DEFAULT_READ_RATE,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  WebhookDispatcher,
  webhookUrlProblem,
} from "./webhooks.js";
import type { WebhookSettings } from "./webhooks.js";

export { SandboxConfigError } from "./config-error.js";
export { TemplateSpecsError } from "./templates.js";
export type { AcceptedMessage, SandboxStats } from "./server.js";
export type { InboundEntry } from "./inbound.js";
export type { TemplateDefinition, TemplateHeader } from "./templates.js";
export type { ConnectlyErrorBody, ErrorCode, ErrorType } from "./errors.js";
export type { WebhookStats } from "./webhooks.js";
export { DEFAULT_DELIVER_MS, DEFAULT_READ_RATE, MAX_WEBHOOK_RETRIES, SIGNATURE_HEADER, describeWebhookUrl, signWebhook, webhookUrlProblem } from "./webhooks.js";

export const DEFAULT_RATE = 200;
export const DEFAULT_API_KEY = "sandbox";

export interface SandboxOptions {
  /** Default 127.0.0.1: loopback only unless asked otherwise. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default `CONNECTLY_API_KEY` from the environment, else "sandbox". */
  apiKey?: string;
  /**
   * Known templates, approved: a folder of Template specs, a Template spec file, a YAML/JSON list
   * file, or the list itself (list entries or Template specs). Without it a template that was not
   * created through `create/template` is accepted as is.
   */
  templates?: string | Array<TemplateDefinition | TemplateSpec>;
  /** How long a created template stays PENDING before its review ends. Default 0. */
  reviewMs?: number;
  /** Probability that a created template's review rejects it (seeded by `seed`). Default 0. */
  rejectRate?: number;
  /** Customers who wrote: a CSV/NDJSON file or the entries themselves. */
  inbound?: string | InboundEntry[];
  /** Requests per second per business (token bucket); 0 or Infinity: unlimited. Default 200. */
  rate?: number;
  /** Seed of every random fault. Default 1. */
  seed?: number;
  latencyMs?: number;
  /** Latency varies uniformly within ±jitterMs. */
  jitterMs?: number;
  /** Probability of a 500 without recording the message. */
  failRate?: number;
  /** Probability of the connection being destroyed before any response. */
  resetRate?: number;
  /** Probability of never answering. */
  hangRate?: number;
  /** Probability (true: 1) that a message is recorded as accepted but answered 500. */
  acceptThenFail?: number | boolean;
  /** Appends every accepted message to this file as NDJSON. */
  logFile?: string;
  /**
   * Told once when the log cannot be written (a full disk, a file that went away): logging
   * stops there and the sandbox goes on answering.
   */
  onLogError?: (message: string) => void;
  /** Epoch ms; drives the 24-hour window and `receivedAt`. Default Date.now. */
  now?: () => number;
  /** The channels the business has a number on; default both. Without sms, SMS requests fail. */
  channels?: readonly SandboxChannel[];
  /** Where signed webhooks go (http or https); none are sent without it. */
  webhookUrl?: string;
  /** Signs the webhooks. Default `CONNECTLY_WEBHOOK_SECRET`; required with `webhookUrl`. */
  webhookSecret?: string;
  /** `delivered` (or `delivery_failed`) comes this long after `sent`, `read` as long again. Default 200. */
  deliverMs?: number;
  /** Fraction of WhatsApp messages that get a `read` (seeded). Default 0.6. */
  readRate?: number;
  /** Fraction of messages that get `delivery_failed` instead of `delivered` (seeded). Default 0. */
  undeliverableRate?: number;
  /** Fraction of webhooks delivered twice, the same body both times (seeded). Default 0. */
  webhookDuplicateRate?: number;
  /** Fraction of messages whose first two statuses go out swapped: delivered before sent (seeded). Default 0. */
  webhookReorderRate?: number;
  /** The first retry waits this long, each next one twice as long. Default 250. */
  webhookRetryBaseMs?: number;
  /** A receiver that has not answered after this long counts as failed (then retried). Default 10000. */
  webhookTimeoutMs?: number;
  /** Webhooks pending at most; past it new ones are dropped and counted. Default 10000. */
  maxPendingWebhooks?: number;
  /** Bytes of webhook bodies pending at most, likewise. Default 64 MiB. */
  maxPendingWebhookBytes?: number;
  /** The business's number: the sender of statuses when a request names none, the recipient of inbound. */
  businessNumber?: string;
  /** Told once when webhooks start being dropped and once when one is first given up. */
  onWebhookWarning?: (message: string) => void;
  /** Customers (E.164) who opted out: template sends to them get `400 ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT`. */
  optedOut?: readonly string[];
}

export interface CloseOptions {
  /** Wait until every pending webhook was delivered or given up before stopping them. */
  drainWebhooks?: boolean;
}

export interface Sandbox {
  url: string;
  apiKey: string;
  host: string;
  port: number;
  /** How many templates (name and language) `templates` made approved at the start. */
  approvedAtStart: number;
  /** Accepted messages in order (the same list as `GET /__sandbox/messages`). */
  messages(): readonly AcceptedMessage[];
  clearMessages(): void;
  stats(): SandboxStats;
  /** A customer writes (`at` defaults to now), as `POST /__sandbox/inbound`, `messages` webhook included. */
  addInbound(from: string, at?: string | number, text?: string): void;
  /**
   * Resolves once no webhook is pending (each delivered or given up after its retries): the
   * statuses still to come after `deliverMs` included. At once when no webhooks are sent.
   */
  drainWebhooks(): Promise<void>;
  /** Stops listening and cancels the webhooks still pending, unless told to drain them first. */
  close(options?: CloseOptions): Promise<void>;
}

function checkProbability(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new SandboxConfigError(`${name} must be a probability from 0 to 1, got ${String(value)}`);
  }
  return value;
}

function checkNonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new SandboxConfigError(`${name} must be a number of at least 0, got ${String(value)}`);
  }
  return value;
}

function formatUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

async function openLog(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file, { flags: "a" });
  try {
    await once(stream, "open");
  } catch (error) {
    throw new SandboxConfigError(`cannot open log file ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  return stream;
}

async function resolveTemplates(templates: SandboxOptions["templates"]): Promise<ApprovedTemplate[] | undefined> {
  if (templates === undefined) return undefined;
  return typeof templates === "string" ? loadTemplates(templates) : await approvedTemplates(templates, "templates option");
}

async function resolveInbound(inbound: SandboxOptions["inbound"], now: number): Promise<InboundBook> {
  const book = new InboundBook();
  const entries =
    inbound === undefined
      ? []
      : typeof inbound === "string"
        ? await loadInbound(inbound, now)
        : inbound.map((entry, index) => {
            const parsed = parseInboundEntry(entry, now);
            if ("problem" in parsed) throw new SandboxConfigError(`inbound option: entry ${index + 1}: ${parsed.problem}`);
            return parsed;
          });
  for (const { from, at } of entries) book.record(from, at);
  return book;
}

function resolveWebhooks(options: SandboxOptions, seed: number, now: () => number): WebhookDispatcher | undefined {
  const check = (name: keyof SandboxOptions): void => {
    if (options.webhookUrl === undefined && options[name] !== undefined) throw new SandboxConfigError(`${name} needs webhookUrl`);
  };
  for (const name of ["deliverMs", "readRate", "undeliverableRate", "webhookDuplicateRate", "webhookReorderRate"] as const) check(name);
  if (options.webhookUrl === undefined) return undefined;
  const problem = webhookUrlProblem(options.webhookUrl);
  if (problem) throw new SandboxConfigError(`webhookUrl ${problem}`);
  const url = options.webhookUrl;
  const secret = options.webhookSecret ?? process.env["CONNECTLY_WEBHOOK_SECRET"] ?? "";
  if (secret === "") throw new SandboxConfigError("webhookUrl needs a webhook secret (webhookSecret or CONNECTLY_WEBHOOK_SECRET)");
  const settings: WebhookSettings = {
    url,
    secret,
    seed,
    deliverMs: checkNonNegative("deliverMs", options.deliverMs, DEFAULT_DELIVER_MS),
    readRate: options.readRate === undefined ? DEFAULT_READ_RATE : checkProbability("readRate", options.readRate),
    undeliverableRate: checkProbability("undeliverableRate", options.undeliverableRate),
    duplicateRate: checkProbability("webhookDuplicateRate", options.webhookDuplicateRate),
    reorderRate: checkProbability("webhookReorderRate", options.webhookReorderRate),
    retryBaseMs: checkNonNegative("webhookRetryBaseMs", options.webhookRetryBaseMs, DEFAULT_RETRY_BASE_MS),
    timeoutMs: checkNonNegative("webhookTimeoutMs", options.webhookTimeoutMs, DEFAULT_WEBHOOK_TIMEOUT_MS),
    maxPending: checkNonNegative("maxPendingWebhooks", options.maxPendingWebhooks, DEFAULT_MAX_PENDING_WEBHOOKS),
    maxPendingBytes: checkNonNegative("maxPendingWebhookBytes", options.maxPendingWebhookBytes, DEFAULT_MAX_PENDING_WEBHOOK_BYTES),
    businessNumber: options.businessNumber ?? DEFAULT_BUSINESS_NUMBER,
    now,
    onWarning: options.onWebhookWarning,
    nextTraceId,
  };
  if (!isE164(settings.businessNumber)) throw new SandboxConfigError(`businessNumber must be an E.164 number, got "${settings.businessNumber}"`);
  return new WebhookDispatcher(settings);
}

/** Starts the Connectly-compatible sandbox; resolves once it listens. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SandboxConfigError(`port must be 0 to 65535, got ${String(port)}`);
  const apiKey = options.apiKey ?? process.env["CONNECTLY_API_KEY"] ?? DEFAULT_API_KEY;
  if (apiKey === "") throw new SandboxConfigError("the API key must not be empty");
  const acceptThenFail = options.acceptThenFail === true ? 1 : options.acceptThenFail === false ? 0 : options.acceptThenFail;
  const now = options.now ?? Date.now;
  const seed = checkNonNegative("seed", options.seed, 1);
  const faults = new FaultPlan({
    seed,
    latencyMs: checkNonNegative("latencyMs", options.latencyMs, 0),
    jitterMs: checkNonNegative("jitterMs", options.jitterMs, 0),
    failRate: checkProbability("failRate", options.failRate),
    resetRate: checkProbability("resetRate", options.resetRate),
    hangRate: checkProbability("hangRate", options.hangRate),
    acceptThenFailRate: checkProbability("acceptThenFail", acceptThenFail),
  });
  const rate = checkNonNegative("rate", options.rate, DEFAULT_RATE);
  const reviewMs = checkNonNegative("reviewMs", options.reviewMs, 0);
  const rejectRate = checkProbability("rejectRate", options.rejectRate);
  const webhooks = resolveWebhooks(options, seed, now);
  // Ids of templates and of messages come from one generator: all are ULIDs, all distinct.
  // Math.random is enough for an id's random part and costs far less than crypto's per id.
  const nextId = monotonicFactory(Math.random);
  const approved = await resolveTemplates(options.templates);
  const templates = TemplateStore.fromApproved(approved, { reviewMs, rejectRate, seed, now, nextId });
  const inbound = await resolveInbound(options.inbound, now());
  const log = options.logFile === undefined ? undefined : await openLog(options.logFile);
  let logFailed = false;
  log?.on("error", (error: NodeJS.ErrnoException) => {
    if (logFailed) return;
    logFailed = true;
    options.onLogError?.(`cannot write the log file ${options.logFile} (${error.code ?? "error"}); accepted messages are no longer logged`);
  });
  // Compiled now rather than on the first request, whose latency a test may be measuring.
  getValidators();

  const state: SandboxState = {
    apiKey: Buffer.from(apiKey, "utf8"),
    templates,
    inbound,
    limiter: new RateLimiter(rate),
    faults,
    messages: [],
    stats: {
      requests: 0,
      byStatus: {},
      accepted: 0,
      resets: 0,
      hangs: 0,
      sms: { accepted: 0, segments: 0 },
      ...(webhooks ? { webhooks: webhooks.stats } : {}),
    },
    channels: new Set(options.channels ?? SANDBOX_CHANNELS),
    optedOut: new Set(options.optedOut ?? []),
    now,
    nextId,
    onAccepted:
      log || webhooks
        ? (message) => {
            if (log && !logFailed) log.write(`${JSON.stringify(message)}\n`);
            webhooks?.onAccepted(message);
          }
        : undefined,
    onInbound: webhooks ? (from, at, text, name) => webhooks.onInbound(from, at, text, name) : undefined,
  };
  const server = createServer(createRequestHandler(state));
  try {
    server.listen(port, host);
    await once(server, "listening");
  } catch (error) {
    log?.end();
    await webhooks?.stop();
    throw new SandboxConfigError(`cannot listen on ${formatUrl(host, port)}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const actualPort = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: formatUrl(host, actualPort),
    apiKey,
    host,
    port: actualPort,
    approvedAtStart: approved?.length ?? 0,
    messages: () => state.messages,
    clearMessages: () => {
      state.messages.length = 0;
    },
    stats: () => structuredClone(state.stats),
    addInbound: (from, at, text) => {
      const parsed = recordInbound(state, { from, at, text });
      if ("problem" in parsed) throw new SandboxConfigError(parsed.problem);
    },
    drainWebhooks: () => webhooks?.drain() ?? Promise.resolve(),
    close: (closeOptions) => {
      closing ??= (async () => {
        const closed = once(server, "close");
        server.close();
        // Hanging requests and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
        await closed;
        if (webhooks) {
          if (closeOptions?.drainWebhooks) await webhooks.drain();
          await webhooks.stop();
        }
        if (log && !log.destroyed) {
          log.end();
          // A log that fails while closing was reported by its error listener.
          await once(log, "close").catch(() => undefined);
        }
      })();
      return closing;
    },
  };
}
