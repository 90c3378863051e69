/**
 * The HTTP side of talking to Connectly: one keep-alive undici Pool for the target origin, and
 * answers turned into plain values. Nothing here retries or decides; the sender and the template
 * client (client.ts) do.
 */
import { Pool } from "undici";
import type { Dispatcher } from "undici";
import { MAX_ANSWER_BYTES } from "./answer.js";

export type HttpOutcome =
  | {
      kind: "answer";
      status: number;
      /** At most MAX_ANSWER_BYTES of it (see `truncated`). */
      body: string;
      retryAfterMs: number | undefined;
      /** The body was longer: the rest was not read, and the connection was dropped. */
      truncated: boolean;
    }
  | {
      kind: "error";
      /** A stable code for reports: `timeout`, `connection-refused`, `connection-reset`, … */
      code: string;
      /** The request may have reached the server (it was written before things broke). */
      ambiguous: boolean;
      /** Trying again cannot help: the request itself is one the client refuses to send. */
      final: boolean;
    };

export interface PostOptions {
  /** Default MAX_ANSWER_BYTES: a send's answer is small; a template list is not. */
  maxAnswerBytes?: number;
}

export interface Transport {
  post(path: string, body: string, options?: PostOptions): Promise<HttpOutcome>;
  close(): Promise<void>;
}

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  connections: number;
  timeoutMs: number;
}

/** 127.0.0.0/8, ::1 and localhost: plain HTTP there never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1") return true;
  const v4 = /^(?:::ffff:)?(\d+)\.\d+\.\d+\.\d+$/.exec(host);
  return v4 !== null && v4[1] === "127";
}

/**
 * Plain HTTP to another machine carries the key in clear text: true when `baseUrl` would.
 * An unparsable URL is not this function's to judge (the sender refuses it).
 */
export function sendsKeyInClear(baseUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return false;
  }
  return url.protocol === "http:" && !isLoopbackHost(url.hostname);
}

/** Errors where the request certainly never left: nothing can have been accepted. */
const NOT_SENT_CODES = new Map<string, string>([
  ["ECONNREFUSED", "connection-refused"],
  ["UND_ERR_CONNECT_TIMEOUT", "connect-timeout"],
  ["ENOTFOUND", "host-not-found"],
  ["EAI_AGAIN", "host-not-found"],
  ["EHOSTUNREACH", "host-unreachable"],
  ["ENETUNREACH", "host-unreachable"],
]);

const SENT_MAYBE_CODES = new Map<string, string>([
  ["UND_ERR_HEADERS_TIMEOUT", "timeout"],
  ["UND_ERR_BODY_TIMEOUT", "timeout"],
  ["UND_ERR_SOCKET", "connection-reset"],
  ["ECONNRESET", "connection-reset"],
  ["EPIPE", "connection-reset"],
  ["UND_ERR_CLOSED", "connection-closed"],
]);

/** The client refused the request itself (a header value it cannot send, say): it never left. */
const INVALID_REQUEST_CODES = new Map<string, string>([["UND_ERR_INVALID_ARG", "invalid-request"]]);

function errorCodeOf(e: unknown): string {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof err?.code === "string") return err.code;
  if (typeof err?.cause?.code === "string") return err.cause.code;
  return "";
}

/**
 * Classifies a transport error without ever keeping its message: undici messages can quote
 * request details, and the API key must never reach any output. An error before the whole
 * request was handed to the socket cannot have been accepted: the server would still be
 * waiting for the rest of it.
 */
export function classifyError(e: unknown, requestWritten = true): { code: string; ambiguous: boolean; final: boolean } {
  const raw = errorCodeOf(e);
  const invalid = INVALID_REQUEST_CODES.get(raw);
  if (invalid) return { code: invalid, ambiguous: false, final: true };
  const notSent = NOT_SENT_CODES.get(raw);
  if (notSent) return { code: notSent, ambiguous: false, final: false };
  return { code: SENT_MAYBE_CODES.get(raw) ?? "network-error", ambiguous: requestWritten, final: false };
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Raw headers come as [name, value, name, value, …] buffers. */
function retryAfterOf(rawHeaders: Buffer[]): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === 11 && rawHeaders[i]!.toString("latin1").toLowerCase() === "retry-after") return rawHeaders[i + 1]!.toString("latin1");
  }
  return undefined;
}

export function createTransport(options: TransportOptions): Transport {
  const url = new URL(options.baseUrl);
  // A base URL may carry a path prefix (a proxy): the Pool takes the origin only.
  const prefix = url.pathname.replace(/\/+$/, "");
  const pool = new Pool(url.origin, {
    connections: options.connections,
    pipelining: 1,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: Math.min(options.timeoutMs, 10_000),
    keepAliveTimeout: 30_000,
  });
  const headers = {
    "x-api-key": options.apiKey,
    "content-type": "application/json",
    accept: "application/json",
  };
  return {
    post(path, body, postOptions) {
      const maxAnswerBytes = postOptions?.maxAnswerBytes ?? MAX_ANSWER_BYTES;
      // dispatch with a plain handler rather than pool.request: no body stream per response,
      // which is most of the client's CPU time per message at thousands of messages a second.
      return new Promise<HttpOutcome>((resolve) => {
        let status = 0;
        let requestWritten = false;
        let retryAfter: string | undefined;
        let abort: ((reason?: Error) => void) | undefined;
        let settled = false;
        const chunks: Buffer[] = [];
        let received = 0;
        const answer = (truncated: boolean): void => {
          settled = true;
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          resolve({
            kind: "answer",
            status,
            body: body.toString("utf8"),
            retryAfterMs: retryAfter === undefined ? undefined : parseRetryAfter(retryAfter),
            truncated,
          });
        };
        pool.dispatch(
          { method: "POST", path: `${prefix}${path}`, headers, body },
          {
            onConnect(abortRequest: (reason?: Error) => void) {
              abort = abortRequest;
            },
            onRequestSent() {
              requestWritten = true;
            },
            onHeaders(statusCode: number, rawHeaders: Buffer[]) {
              status = statusCode;
              retryAfter = retryAfterOf(rawHeaders);
              return true;
            },
            onData(chunk: Buffer) {
              if (settled) return false;
              // An answer is a few hundred bytes; one without end (a hostile or broken server)
              // must cost neither memory nor time: the status is known, the rest is dropped.
              const room = maxAnswerBytes - received;
              if (chunk.length > room) {
                if (room > 0) chunks.push(chunk.subarray(0, room));
                answer(true);
                abort?.(new Error("answer too large"));
                return false;
              }
              chunks.push(chunk);
              received += chunk.length;
              return true;
            },
            onComplete() {
              if (!settled) answer(false);
            },
            onError(error: Error) {
              if (settled) return;
              settled = true;
              resolve({ kind: "error", ...classifyError(error, requestWritten) });
            },
          } as unknown as Dispatcher.DispatchHandler,
        );
      });
    },
    async close() {
      await pool.close();
    },
  };
}
