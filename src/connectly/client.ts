/**
 * The one client for Connectly's business API (reference §3, §4, §6): the target, the key
 * header, the keep-alive pool and its timeouts (transport.ts), error bodies read the way a send
 * reads them (answer.ts), and 429s waited out. `msgc send` posts through `transport`; the
 * template commands and the send preflight call `getTemplates` and `createTemplate`.
 */
import { setTimeout as sleepFor } from "node:timers/promises";
import { MAX_STORED_MESSAGE, readAnswerBody, sanitizeAnswerText } from "./answer.js";
import { createTransport } from "./transport.js";
import type { HttpOutcome, Transport } from "./transport.js";

export const GET_TEMPLATES_PATH = "/v1/businesses/{businessId}/get/templates";
export const CREATE_TEMPLATE_PATH = "/v1/businesses/{businessId}/create/template";

/** A template list is one answer with every template of the business in it; past this it is refused. */
export const MAX_TEMPLATE_LIST_BYTES = 32 * 1024 * 1024;
/** A create answer holds the one template group it created. */
export const MAX_CREATE_ANSWER_BYTES = 1024 * 1024;
/** Without a Retry-After header a 429 is waited out this long. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 1000;
/** A read that failed (no answer, a 5xx) is tried again after this, then twice this, … */
export const FAILED_READ_WAIT_MS = 250;

export type TemplateStatus =
  | "MESSAGE_TEMPLATE_STATUS_PENDING"
  | "MESSAGE_TEMPLATE_STATUS_APPROVED"
  | "MESSAGE_TEMPLATE_STATUS_REJECTED"
  // Any status Connectly adds (paused, disabled) is kept as it came.
  | (string & {});

/** One language of a template as the list (or a create) answers it. */
export interface RemoteTemplate {
  id: string | null;
  language: string;
  status: TemplateStatus;
  /** Meta's reason when rejected: Connectly's `rejectionReason`, else Meta's own `rejectedReason`. */
  rejectionReason: string | null;
  /** In Connectly's form, as answered (see docs/templates.md: the least certain shape). */
  templateComponents: unknown[];
  createdAt: string | null;
  updatedAt: string | null;
}

/** One template name with all its languages. */
export interface RemoteTemplateGroup {
  id: string | null;
  name: string;
  /** As answered: `MARKETING`, `UTILITY`, `AUTHENTICATION`, or a legacy one (`ACCOUNT_UPDATE`). */
  category: string | null;
  templates: RemoteTemplate[];
}

/** The create request (reference §6.1); the body is built in src/compiler, this client only sends it. */
export interface CreateTemplateRequest {
  name: string;
  language: { code: string };
  category: string;
  template_components: unknown[];
}

export type ConnectlyFailure =
  | {
      /** Connectly answered with an error: its code, type and message, read like a send's. */
      kind: "refused";
      status: number;
      code: string | null;
      type: string | null;
      message: string | null;
    }
  | {
      /** No answer: `timeout`, `connection-refused`, … (transport.ts); `ambiguous`: it may have arrived. */
      kind: "network";
      code: string;
      ambiguous: boolean;
    }
  | {
      /** A 2xx answer that is not the documented shape, or one too large to read. */
      kind: "unreadable";
      status: number;
      reason: string;
    };

export type ConnectlyResult<T> = { ok: true; value: T } | { ok: false; failure: ConnectlyFailure };

export interface ConnectlyClientOptions {
  baseUrl: string;
  apiKey: string;
  businessId: string;
  /** Default 1: template calls are few and one after another. */
  connections?: number;
  /** Per request, as `send --timeout`. Default 30 s. */
  timeoutMs?: number;
  /** How many times a 429 (or, for a read, a failure) is tried again before it is returned. Default 3. */
  rateLimitRetries?: number;
  /** A Retry-After longer than this is waited only this long. Default 60 s. */
  maxRateLimitWaitMs?: number;
  /** For tests that must not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ConnectlyClient {
  /** The pool every call goes through; `msgc send` posts its messages on it. */
  readonly transport: Transport;
  /** `POST …/get/templates` (no body; the reference documents no paging); failures tried again. */
  getTemplates(): Promise<ConnectlyResult<RemoteTemplateGroup[]>>;
  /** `POST …/create/template`; a 429 is retried (it was not processed), a lost answer is not. */
  createTemplate(request: CreateTemplateRequest): Promise<ConnectlyResult<RemoteTemplateGroup>>;
  close(): Promise<void>;
}

/** `/v1/businesses/{businessId}/…` with the id made safe for a path. */
export function businessPath(template: string, businessId: string): string {
  return template.replace("{businessId}", encodeURIComponent(businessId));
}

export function createConnectlyClient(options: ConnectlyClientOptions): ConnectlyClient {
  const transport = createTransport({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    connections: options.connections ?? 1,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  const retries = options.rateLimitRetries ?? 3;
  const maxWait = options.maxRateLimitWaitMs ?? 60_000;
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms).then(() => undefined));
  const secrets = [options.apiKey];

  /**
   * A 429 was not processed: it is waited out and tried again, for any call. A lost answer or a
   * 5xx is tried again only for a read (`idempotent`): a create may have happened.
   */
  const call = async (template: string, body: string, maxAnswerBytes: number, idempotent: boolean): Promise<HttpOutcome> => {
    const path = businessPath(template, options.businessId);
    for (let attempt = 0; ; attempt++) {
      const outcome = await transport.post(path, body, { maxAnswerBytes });
      if (attempt >= retries) return outcome;
      if (outcome.kind === "answer" && outcome.status === 429) {
        await sleep(Math.min(outcome.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS, maxWait));
      } else if (idempotent && ((outcome.kind === "error" && !outcome.final) || (outcome.kind === "answer" && outcome.status >= 500))) {
        await sleep(FAILED_READ_WAIT_MS * (attempt + 1));
      } else {
        return outcome;
      }
    }
  };

  /** The outcome as a failure, or the parsed JSON of a 2xx answer. */
  const read = (outcome: HttpOutcome): { json: unknown; status: number } | ConnectlyFailure => {
    if (outcome.kind === "error") return { kind: "network", code: outcome.code, ambiguous: outcome.ambiguous };
    if (outcome.status < 200 || outcome.status >= 300) {
      const { code, type, message } = readAnswerBody(outcome.body, secrets);
      return { kind: "refused", status: outcome.status, code, type, message };
    }
    if (outcome.truncated) return { kind: "unreadable", status: outcome.status, reason: "the answer is larger than msgc reads" };
    try {
      return { json: JSON.parse(outcome.body) as unknown, status: outcome.status };
    } catch {
      return { kind: "unreadable", status: outcome.status, reason: "the answer is not JSON" };
    }
  };

  const unreadable = (status: number, reason: string): ConnectlyResult<never> => ({
    ok: false,
    failure: { kind: "unreadable", status, reason: sanitizeAnswerText(reason, secrets, MAX_STORED_MESSAGE) },
  });

  return {
    transport,
    async getTemplates() {
      const answer = read(await call(GET_TEMPLATES_PATH, "{}", MAX_TEMPLATE_LIST_BYTES, true));
      if ("kind" in answer) return { ok: false, failure: answer };
      const groups = field(field(answer.json, "entity"), "templateGroups");
      // An account with no templates may answer without the list at all.
      if (groups === undefined || groups === null) return { ok: true, value: [] };
      if (!Array.isArray(groups)) return unreadable(answer.status, "entity.templateGroups is not a list");
      const value: RemoteTemplateGroup[] = [];
      for (const [index, group] of groups.entries()) {
        const parsed = parseGroup(group, `entity.templateGroups[${index}]`, secrets);
        if (typeof parsed === "string") return unreadable(answer.status, parsed);
        value.push(parsed);
      }
      return { ok: true, value };
    },
    async createTemplate(request) {
      const answer = read(await call(CREATE_TEMPLATE_PATH, JSON.stringify(request), MAX_CREATE_ANSWER_BYTES, false));
      if ("kind" in answer) return { ok: false, failure: answer };
      const parsed = parseGroup(field(answer.json, "entity"), "entity", secrets);
      if (typeof parsed === "string") return unreadable(answer.status, parsed);
      return { ok: true, value: parsed };
    },
    close: () => transport.close(),
  };
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

function optionalString(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** Meta's free text, bound for a terminal: the key cut out, bounded, control characters replaced. */
function reasonOf(template: unknown, secrets: ReadonlyArray<string>): string | null {
  const reason =
    optionalString(field(template, "rejectionReason")) ??
    optionalString(field(field(field(template, "externalTemplate"), "whatsapp"), "rejectedReason"));
  return reason === null ? null : sanitizeAnswerText(reason, secrets, MAX_STORED_MESSAGE);
}

/** A group in the typed form, or what is wrong with it (with its place in the answer). */
function parseGroup(group: unknown, where: string, secrets: ReadonlyArray<string>): RemoteTemplateGroup | string {
  const name = field(group, "name");
  if (typeof name !== "string" || name === "") return `${where}.name is not a string`;
  const templates = field(group, "templates") ?? [];
  if (!Array.isArray(templates)) return `${where}.templates is not a list`;
  const parsed: RemoteTemplate[] = [];
  for (const [index, template] of templates.entries()) {
    const at = `${where}.templates[${index}]`;
    const language = field(field(template, "language"), "code");
    if (typeof language !== "string" || language === "") return `${at}.language.code is not a string`;
    const status = field(template, "status");
    if (typeof status !== "string") return `${at}.status is not a string`;
    const components = field(template, "templateComponents") ?? field(template, "template_components") ?? [];
    if (!Array.isArray(components)) return `${at}.templateComponents is not a list`;
    parsed.push({
      id: optionalString(field(template, "id")),
      language,
      status,
      rejectionReason: reasonOf(template, secrets),
      templateComponents: components,
      createdAt: optionalString(field(template, "createdAt")),
      updatedAt: optionalString(field(template, "updatedAt")),
    });
  }
  return { id: optionalString(field(group, "id")), name, category: optionalString(field(group, "category")), templates: parsed };
}
