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
import { createRequestHandler } from "./server.js";
import { TemplateStore } from "./template-api.js";
import type { AcceptedMessage, SandboxState, SandboxStats } from "./server.js";
import { approvedTemplates, loadTemplates } from "./templates.js";
import { getValidators } from "./validate.js";
import { SANDBOX_CHANNELS, type SandboxChannel } from "./sms.js";
import type { ApprovedTemplate, TemplateDefinition } from "./templates.js";
import type { TemplateSpec } from "../types/template.generated.js";

export { SandboxConfigError } from "./config-error.js";
export { TemplateSpecsError } from "./templates.js";
export type { AcceptedMessage, SandboxStats } from "./server.js";
export type { InboundEntry } from "./inbound.js";
export type { TemplateDefinition, TemplateHeader } from "./templates.js";
export type { ConnectlyErrorBody, ErrorCode, ErrorType } from "./errors.js";

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
  /** A customer writes (`at` defaults to now), as `POST /__sandbox/inbound`. */
  addInbound(from: string, at?: string | number): void;
  close(): Promise<void>;
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
  return typeof templates === "string" ? loadTemplates(templates) : approvedTemplates(templates, "templates option");
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
    stats: { requests: 0, byStatus: {}, accepted: 0, resets: 0, hangs: 0, sms: { accepted: 0, segments: 0 } },
    channels: new Set(options.channels ?? SANDBOX_CHANNELS),
    now,
    nextId,
    onAccepted: log
      ? (message) => {
          if (!logFailed) log.write(`${JSON.stringify(message)}\n`);
        }
      : undefined,
  };
  const server = createServer(createRequestHandler(state));
  try {
    server.listen(port, host);
    await once(server, "listening");
  } catch (error) {
    log?.end();
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
    addInbound: (from, at) => {
      const parsed = parseInboundEntry({ from, at }, now());
      if ("problem" in parsed) throw new SandboxConfigError(parsed.problem);
      state.inbound.record(parsed.from, parsed.at);
    },
    close: () => {
      closing ??= (async () => {
        const closed = once(server, "close");
        server.close();
        // Hanging requests and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
        await closed;
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
