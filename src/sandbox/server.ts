import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SendMessageBody, SendTemplateBody } from "../compiler/plan.js";
import { OPTED_OUT_CODE } from "../connectly/answer.js";
import { INTERNAL_ERROR, invalidRequest, toErrorBody } from "./errors.js";
import type { Rejection } from "./errors.js";
import type { FaultDraw, FaultPlan } from "./faults.js";
import { parseInboundEntry } from "./inbound.js";
import type { InboundBook } from "./inbound.js";
import type { RateLimiter } from "./rate-limit.js";
import type { TemplateStore } from "./template-api.js";
import { validateBody } from "./validate.js";
import { checkSmsBody, isSmsRequest, segmentsOf, type SandboxChannel } from "./sms.js";
import type { Endpoint } from "./validate.js";
import type { WebhookStats } from "./webhooks.js";

export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this a too-large body is no longer drained for keep-alive: the connection is dropped. */
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;
const WINDOW_MS = 24 * 60 * 60 * 1000;
const SEND_PATH = /^\/v1\/businesses\/([^/]+)\/(send\/messages|send\/whatsapp_templated_messages|get\/templates|create\/template)$/;
const JSON_CONTENT_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/** One message the sandbox accepted, as `GET /__sandbox/messages` lists it. */
export interface AcceptedMessage {
  id: string;
  businessId: string;
  endpoint: Endpoint;
  body: SendMessageBody | SendTemplateBody;
  receivedAt: string;
}

export interface SandboxStats {
  /** Requests to the Connectly API paths (the inspection API is not counted). */
  requests: number;
  /** Responses by HTTP status code. */
  byStatus: Record<string, number>;
  /** Messages recorded as accepted, including accept-then-fail ones. */
  accepted: number;
  /** Connections destroyed on purpose (`resetRate`). */
  resets: number;
  /** Requests left without an answer on purpose (`hangRate`). */
  hangs: number;
  /** SMS accepted, and the segments they are billed as. */
  sms: { accepted: number; segments: number };
  /** Only when the sandbox sends webhooks. */
  webhooks?: WebhookStats;
}

export interface SandboxState {
  apiKey: Buffer;
  templates: TemplateStore;
  inbound: InboundBook;
  limiter: RateLimiter;
  faults: FaultPlan;
  messages: AcceptedMessage[];
  stats: SandboxStats;
  /** The channels the business has a number on. */
  channels: ReadonlySet<SandboxChannel>;
  /** Customers who opted out of template messages. */
  optedOut: ReadonlySet<string>;
  now: () => number;
  nextId: () => string;
  onAccepted: ((message: AcceptedMessage) => void) | undefined;
  /** A customer wrote through `POST /__sandbox/inbound` (already recorded for the window). */
  onInbound: ((from: string, at: number, text: string, name: string) => void) | undefined;
}

let traceCounter = 0;

/** Numeric like Connectly's trace ids, and unique within the process so a log line finds one. */
export function nextTraceId(): string {
  traceCounter += 1;
  return String(1_000_000_000_000_000 + traceCounter);
}

const JSON_HEADERS = { "content-type": "application/json" } as const;

function writeJson(res: ServerResponse, status: number, json: string, headers?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS);
  res.end(json);
}

function writeRejection(res: ServerResponse, rejection: Rejection, headers?: Record<string, string>): void {
  writeJson(res, rejection.status, JSON.stringify(toErrorBody(rejection, nextTraceId())), headers);
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127."));
}

function keyMatches(expected: Buffer, given: string | string[] | undefined): boolean {
  if (typeof given !== "string") return false;
  const actual = Buffer.from(given, "utf8");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function contentTypeRejection(req: IncomingMessage): Rejection | undefined {
  const contentType = req.headers["content-type"];
  // A missing content type is read as JSON (bare scripts often send none); a wrong one is not.
  if (contentType === undefined || JSON_CONTENT_TYPE.test(contentType)) return undefined;
  return {
    status: 415,
    type: "ERROR_TYPE_INVALID_REQUEST",
    code: "ERROR_CODE_UNSUPPORTED_CONTENT_TYPE",
    message: `Content-Type ${contentType} is not supported; send application/json`,
  };
}

const TOO_LARGE: Rejection = {
  status: 413,
  type: "ERROR_TYPE_INVALID_REQUEST",
  code: "ERROR_CODE_REQUEST_TOO_LARGE",
  message: `The request body is larger than ${MAX_BODY_BYTES} bytes`,
};

type Reject = (rejection: Rejection, headers?: Record<string, string>) => void;

/**
 * Reads the whole body. A body over the limit is drained (so the connection stays usable) and
 * answered 413; one so large that draining it would be abuse gets its connection closed.
 */
function readBody(req: IncomingMessage, reject: Reject, onBody: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  let dropped = false;
  // Answered at once and the connection closed after the answer; node discards the rest of the
  // body meanwhile, so the client reads the 413 rather than a reset.
  const drop = (): void => {
    dropped = true;
    reject(TOO_LARGE, { connection: "close" });
  };
  if (Number(req.headers["content-length"]) > MAX_DRAIN_BYTES) return drop();
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      tooLarge = true;
      chunks.length = 0;
      if (size > MAX_DRAIN_BYTES && !dropped) drop();
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (dropped) return;
    if (tooLarge) return reject(TOO_LARGE);
    onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  });
  // A client that goes away mid-body needs no answer.
  req.on("error", () => undefined);
}

function parseJson(body: Buffer): { value: unknown } | { rejection: Rejection } {
  try {
    return { value: JSON.parse(body.toString("utf8")) };
  } catch (error) {
    return { rejection: invalidRequest("ERROR_CODE_MALFORMED_JSON", `The request body is not valid JSON: ${(error as Error).message}`) };
  }
}

function notFound(path: string): Rejection {
  return { status: 404, type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_PATH_NOT_FOUND", message: `No endpoint at ${path}` };
}

function methodNotAllowed(method: string | undefined, path: string): Rejection {
  return { status: 405, type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_METHOD_NOT_ALLOWED", message: `${method ?? "?"} is not allowed on ${path}` };
}

function windowRejection(state: SandboxState, number: string): Rejection | undefined {
  const last = state.inbound.lastInboundAt(number);
  if (last === undefined) {
    return invalidRequest(
      "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION",
      "Failed to send a session message because the customer has not started a conversation; send a template message first",
      { field: "recipient.id" },
    );
  }
  if (state.now() - last >= WINDOW_MS) {
    return {
      status: 400,
      type: "ERROR_TYPE_DEADLINE_EXCEEDED",
      code: "ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW",
      message: "Failed to send a message because more than 24 hours have passed since the customer last replied",
      details: { lastInboundAt: new Date(last).toISOString() },
    };
  }
  return undefined;
}

function optedOutRejection(state: SandboxState, number: string): Rejection | undefined {
  if (!state.optedOut.has(number)) return undefined;
  return invalidRequest(OPTED_OUT_CODE, "Failed to send a template message because the customer opted out of template messages", { field: "number" });
}

/** Everything after the fault draw: parse, validate, check the window or template, record. */
function processSend(state: SandboxState, res: ServerResponse, businessId: string, endpoint: Endpoint, raw: Buffer, draw: FaultDraw): void {
  const parsed = parseJson(raw);
  if ("rejection" in parsed) return writeCounted(state, res, parsed.rejection);
  const body = parsed.value;
  if (endpoint === "messages" && isSmsRequest(body)) {
    // No window for an SMS: checked, recorded and counted in segments.
    const checked = checkSmsBody(body as Record<string, unknown>, state.channels);
    if ("status" in checked) return writeCounted(state, res, checked);
    state.stats.sms.accepted += 1;
    state.stats.sms.segments += segmentsOf(checked.text);
    return accept(state, res, businessId, endpoint, body as SendMessageBody, draw);
  }
  const problem =
    validateBody(endpoint, body) ??
    (endpoint === "messages"
      ? windowRejection(state, (body as SendMessageBody).recipient.id)
      : (optedOutRejection(state, (body as SendTemplateBody).number) ?? state.templates.checkSend(body as SendTemplateBody)));
  if (problem) return writeCounted(state, res, problem);
  accept(state, res, businessId, endpoint, body as SendMessageBody | SendTemplateBody, draw);
}

function accept(state: SandboxState, res: ServerResponse, businessId: string, endpoint: Endpoint, body: SendMessageBody | SendTemplateBody, draw: FaultDraw): void {
  const message: AcceptedMessage = {
    id: state.nextId(),
    businessId,
    endpoint,
    body,
    receivedAt: new Date(state.now()).toISOString(),
  };
  state.messages.push(message);
  state.stats.accepted += 1;
  state.onAccepted?.(message);
  if (draw.acceptThenFail) return writeCounted(state, res, INTERNAL_ERROR);
  countStatus(state, 200);
  writeJson(res, 200, `{"id":"${message.id}"}`);
}

/** `get/templates` (its body, if any, is not read) and `create/template`. */
function processTemplateCall(state: SandboxState, res: ServerResponse, route: string, raw: Buffer): void {
  if (route === "get/templates") {
    countStatus(state, 200);
    return writeJson(res, 200, JSON.stringify(state.templates.list()));
  }
  const parsed = parseJson(raw);
  if ("rejection" in parsed) return writeCounted(state, res, parsed.rejection);
  const created = state.templates.create(parsed.value);
  if ("rejection" in created) return writeCounted(state, res, created.rejection);
  countStatus(state, 200);
  writeJson(res, 200, JSON.stringify(created.json));
}

function countStatus(state: SandboxState, status: number): void {
  const key = String(status);
  state.stats.byStatus[key] = (state.stats.byStatus[key] ?? 0) + 1;
}

function writeCounted(state: SandboxState, res: ServerResponse, rejection: Rejection, headers?: Record<string, string>): void {
  countStatus(state, rejection.status);
  writeRejection(res, rejection, headers);
}

function applyFault(state: SandboxState, res: ServerResponse, draw: FaultDraw, proceed: () => void): void {
  if (draw.reset) {
    state.stats.resets += 1;
    res.socket?.resetAndDestroy();
    return;
  }
  if (draw.hang) {
    // Left open on purpose; closing the sandbox closes the connection.
    state.stats.hangs += 1;
    return;
  }
  if (draw.fail) return writeCounted(state, res, INTERNAL_ERROR);
  proceed();
}

function handleSend(state: SandboxState, req: IncomingMessage, res: ServerResponse, path: string): void {
  state.stats.requests += 1;
  const match = SEND_PATH.exec(path);
  if (!match) {
    req.resume();
    return writeCounted(state, res, notFound(path));
  }
  if (req.method !== "POST") {
    req.resume();
    return writeCounted(state, res, methodNotAllowed(req.method, path), { allow: "POST" });
  }
  if (!keyMatches(state.apiKey, req.headers["x-api-key"])) {
    req.resume();
    return writeCounted(state, res, {
      status: 401,
      type: "ERROR_TYPE_AUTHENTICATION",
      code: "ERROR_CODE_UNAUTHENTICATED",
      message: "The X-API-Key header is missing or does not match the sandbox's API key",
    });
  }
  const businessId = match[1]!;
  const route = match[2]!;
  const allowed = state.limiter.take(businessId);
  if (!allowed.ok) {
    req.resume();
    return writeCounted(
      state,
      res,
      {
        status: 429,
        type: "ERROR_TYPE_RATE_LIMIT_EXCEEDED",
        code: "ERROR_CODE_RATE_LIMIT_EXCEEDED",
        message: `Too many requests for business ${businessId}; retry after ${allowed.retryAfterSeconds} s`,
        details: { retryAfterSeconds: allowed.retryAfterSeconds },
      },
      { "retry-after": String(allowed.retryAfterSeconds) },
    );
  }
  const wrongType = contentTypeRejection(req);
  if (wrongType) {
    req.resume();
    return writeCounted(state, res, wrongType);
  }
  readBody(req, (rejection, headers) => writeCounted(state, res, rejection, headers), (raw) => {
    const draw = state.faults.draw();
    const process = (): void =>
      route.startsWith("send/")
        ? processSend(state, res, businessId, route.slice("send/".length) as Endpoint, raw, draw)
        : processTemplateCall(state, res, route, raw);
    const respond = (): void => guard(state, res, () => applyFault(state, res, draw, process));
    if (draw.delayMs > 0) setTimeout(respond, draw.delayMs);
    else respond();
  });
}

function handleInspection(state: SandboxState, req: IncomingMessage, res: ServerResponse, path: string): void {
  if (!isLoopback(req.socket.remoteAddress)) {
    req.resume();
    return writeRejection(res, {
      status: 403,
      type: "ERROR_TYPE_INVALID_REQUEST",
      code: "ERROR_CODE_FORBIDDEN",
      message: "The inspection API only answers on loopback",
    });
  }
  const method = req.method;
  if (path === "/__sandbox/messages" && method === "GET") return writeJson(res, 200, JSON.stringify(state.messages));
  if (path === "/__sandbox/messages" && method === "DELETE") {
    const deleted = state.messages.length;
    state.messages.length = 0;
    return writeJson(res, 200, JSON.stringify({ deleted }));
  }
  if (path === "/__sandbox/stats" && method === "GET") return writeJson(res, 200, JSON.stringify(state.stats));
  if (path === "/__sandbox/inbound" && method === "POST") {
    const wrongType = contentTypeRejection(req);
    if (wrongType) {
      req.resume();
      return writeRejection(res, wrongType);
    }
    return readBody(req, (rejection, headers) => writeRejection(res, rejection, headers), (raw) =>
      guard(state, res, () => {
        const parsed = parseJson(raw);
        if ("rejection" in parsed) return writeRejection(res, parsed.rejection);
        const entry = recordInbound(state, parsed.value);
        if ("problem" in entry) return writeRejection(res, invalidRequest("ERROR_CODE_INVALID_ARGUMENT", entry.problem));
        writeJson(res, 200, JSON.stringify({ from: entry.from, at: new Date(entry.at).toISOString() }));
      }),
    );
  }
  req.resume();
  const known = ["/__sandbox/messages", "/__sandbox/stats", "/__sandbox/inbound"].includes(path);
  return writeRejection(res, known ? methodNotAllowed(method, path) : notFound(path));
}

/**
 * A customer wrote (`{ from, text?, name?, at? }`): the window opens, and a `messages` webhook
 * goes out when the sandbox sends webhooks. Says what is wrong with an entry instead.
 */
export function recordInbound(state: SandboxState, value: unknown): { from: string; at: number } | { problem: string } {
  const entry = parseInboundEntry(value, state.now());
  if ("problem" in entry) return entry;
  const { text = "", name = "" } = value as { text?: unknown; name?: unknown };
  if (typeof text !== "string") return { problem: `"text" must be a string` };
  if (typeof name !== "string") return { problem: `"name" must be a string` };
  state.inbound.record(entry.from, entry.at);
  state.onInbound?.(entry.from, entry.at, text, name);
  return entry;
}

/** The sandbox must never crash on a request: anything unexpected becomes a 500. */
function guard(state: SandboxState, res: ServerResponse, work: () => void): void {
  try {
    work();
  } catch {
    writeCounted(state, res, INTERNAL_ERROR);
  }
}

export function createRequestHandler(state: SandboxState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    guard(state, res, () => {
      const url = req.url ?? "/";
      const query = url.indexOf("?");
      const path = query < 0 ? url : url.slice(0, query);
      if (path.startsWith("/__sandbox/")) handleInspection(state, req, res, path);
      else handleSend(state, req, res, path);
    });
  };
}
