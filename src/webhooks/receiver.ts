/**
 * The webhook receiver: checks the signature, commits the event, and only then answers 200.
 * Connectly retries whatever is not answered 200, so a store that cannot commit answers 503 and
 * loses nothing; the same delivery retried is stored once (the store keys it by body hash).
 *
 * It is meant to sit behind a TLS proxy on loopback: it reads at most 1 MiB of a body, gives a
 * slow client a bounded time, and logs counts once a minute rather than a line per event.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { maskNumber, maskNumbersIn } from "../mask.js";
import { InputError } from "../errors.js";
import { visibleControls } from "../runner/preview/escape.js";
import type { EventEffects, EventRecord, Store } from "../store/store.js";
import { parseWebhook } from "./parse-event.js";
import type { OptOutKeywords } from "./parse-event.js";
import { SIGNATURE_HEADER, signatureMatches } from "./signature.js";

export const MAX_WEBHOOK_BYTES = 1024 * 1024;
const MINUTE_MS = 60_000;

export interface ReceiverOptions {
  store: Store;
  secret: string;
  keywords: OptOutKeywords;
  host: string;
  /** 0: a free port. */
  port: number;
  /** Where the minute's counts (and, when verbose, one line per request) go. */
  log: (line: string) => void;
  verbose?: boolean;
  /** How often the counts are logged (default a minute). */
  logIntervalMs?: number;
  /** The whole request, headers and body, must arrive within this (default 10 s). */
  requestTimeoutMs?: number;
  /** Body bytes held at once across requests before new ones are answered 503 (default 64 MiB). */
  maxBufferedBytes?: number;
  /** A commit that takes longer is answered 503 (it may still land: the retry is then a duplicate). */
  commitTimeoutMs?: number;
  now?: () => Date;
}

export interface ReceiverCounts {
  /** Events committed for the first time. */
  stored: number;
  /** Deliveries already in the store (Connectly retried). */
  duplicates: number;
  /** Missing or wrong signature (401). */
  unauthorized: number;
  /** Bodies over the limit (413). */
  tooLarge: number;
  /** Commits that failed or timed out (503). */
  unavailable: number;
  /** Anything else: a method other than POST (any path takes a webhook), a malformed request, a client that went away. */
  other: number;
}

export interface WebhookReceiver {
  readonly url: string;
  /** Counts since the start. */
  counts(): ReceiverCounts;
  /** Stops accepting, finishes what is in flight (commits included), then resolves. Does not close the store. */
  close(): Promise<void>;
}

function zeroCounts(): ReceiverCounts {
  return { stored: 0, duplicates: 0, unauthorized: 0, tooLarge: 0, unavailable: 0, other: 0 };
}

/** `12 stored, 1 duplicate, …`: the words of the minute's line and of the stop line. */
export function describeCounts(c: ReceiverCounts): string {
  return [
    `${c.stored} stored`,
    `${c.duplicates} duplicate${c.duplicates === 1 ? "" : "s"}`,
    `${c.unauthorized} unauthorized (401)`,
    `${c.tooLarge} too large (413)`,
    `${c.unavailable} not committed (503)`,
    `${c.other} other`,
  ].join(", ");
}

function reply(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

type Outcome = "stored" | "duplicate";

interface Queued {
  event: EventRecord;
  effects: EventEffects;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

/** At most this many events share a transaction. */
const MAX_BATCH = 256;

/**
 * Group commit: the events whose bodies arrived in the same turn of the event loop, or while
 * the previous transaction was committing, go in one transaction. Each commit costs a disk sync
 * (PostgreSQL) or a WAL write (SQLite), whatever its size; under load this is most of the
 * receiver's cost. Every request is still answered only after its own event is committed.
 */
export function groupCommitter(store: Store): { commit(event: EventRecord, effects: EventEffects): Promise<Outcome> } {
  const queue: Queued[] = [];
  let busy = false;

  const settleOneByOne = async (batch: Queued[]): Promise<void> => {
    for (const item of batch) await store.commitEvent(item.event, item.effects).then(item.resolve, item.reject);
  };

  const flush = async (): Promise<void> => {
    const batch = queue.splice(0, MAX_BATCH);
    try {
      const outcomes = await store.commitEvents(batch.map(({ event, effects }) => ({ event, effects })));
      batch.forEach((item, i) => item.resolve(outcomes[i] ?? "stored"));
    } catch (e) {
      // A store that cannot be used refuses them all (503: Connectly retries). Anything else may
      // be one event's fault: each is tried alone so that the others are not refused with it.
      if (e instanceof InputError || batch.length === 1) for (const item of batch) item.reject(e);
      else await settleOneByOne(batch);
    }
    busy = false;
    schedule();
  };

  function schedule(): void {
    if (busy || queue.length === 0) return;
    busy = true;
    // After the I/O callbacks of this turn: the bodies that ended together commit together.
    setImmediate(() => void flush());
  }

  return {
    commit(event, effects) {
      return new Promise<Outcome>((resolve, reject) => {
        queue.push({ event, effects, resolve, reject });
        schedule();
      });
    },
  };
}

export async function startWebhookReceiver(options: ReceiverOptions): Promise<WebhookReceiver> {
  const { store, secret, keywords, log } = options;
  const now = options.now ?? (() => new Date());
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const commitTimeoutMs = options.commitTimeoutMs ?? 10_000;
  const total = zeroCounts();
  let minute = zeroCounts();
  let closing = false;
  let lastFailureLog = -Infinity;
  const commits = new Set<Promise<unknown>>();

  // Whatever reaches the log passes here: the secret never, numbers masked, and one line each
  // (a signed body's line breaks or terminal escapes would otherwise forge or hide lines).
  const scrub = (text: string): string =>
    visibleControls(maskNumbersIn(secret === "" ? text : text.split(secret).join("•••"))).replace(/[\t\n]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)));
  const say = (line: string): void => log(scrub(line));
  const count = (key: keyof ReceiverCounts): void => {
    total[key]++;
    minute[key]++;
  };

  const describeEvent = (event: EventRecord): string =>
    [
      event.topic,
      event.status ?? undefined,
      event.customer === null ? undefined : maskNumber(event.customer),
      event.messageId === null ? undefined : `message ${event.messageId}`,
      event.campaign === null ? undefined : `campaign ${JSON.stringify(event.campaign)}`,
      event.errorCode ?? undefined,
    ]
      .filter((part) => part !== undefined)
      .join(" ");

  const committer = groupCommitter(store);
  const commit = (body: Buffer, res: ServerResponse): void => {
    const { event, effects } = parseWebhook(body, now().toISOString(), keywords);
    const committing = committer.commit(event, effects);
    commits.add(committing);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), commitTimeoutMs)));
    Promise.race([committing, timedOut])
      .then((outcome) => {
        if (outcome === "timeout") throw new Error(`the store did not commit within ${commitTimeoutMs} ms`);
        count(outcome === "stored" ? "stored" : "duplicates");
        if (options.verbose) say(`${outcome} ${describeEvent(event)}`);
        reply(res, 200, { status: outcome });
      })
      .catch((e: unknown) => {
        count("unavailable");
        // One line a minute at most: a store that is down would otherwise log every retry.
        const at = Date.now();
        if (options.verbose || at - lastFailureLog >= MINUTE_MS) {
          lastFailureLog = at;
          say(`store could not commit (answered 503, Connectly retries): ${errorText(e)}`);
        }
        reply(res, 503, { error: "store unavailable" }, { "retry-after": "5" });
      })
      .finally(() => {
        clearTimeout(timer);
        // A commit that outlived its timeout is still waited for before the store is closed.
        committing.then(
          () => commits.delete(committing),
          () => commits.delete(committing),
        );
      });
  };

  const refuseTooLarge = (res: ServerResponse): void => {
    count("tooLarge");
    if (options.verbose) say(`413 a body over ${MAX_WEBHOOK_BYTES} bytes`);
    // The rest of the body is not read: node discards it and the connection closes after the answer.
    reply(res, 413, { error: `body over ${MAX_WEBHOOK_BYTES} bytes` }, { connection: "close" });
  };

  // Bytes of bodies held at once, across requests: many slow clients cannot add up to more.
  const maxBufferedBytes = options.maxBufferedBytes ?? 64 * MAX_WEBHOOK_BYTES;
  let buffered = 0;

  const handleWebhook = (req: IncomingMessage, res: ServerResponse): void => {
    if (Number(req.headers["content-length"]) > MAX_WEBHOOK_BYTES) return refuseTooLarge(res);
    if (req.headers[SIGNATURE_HEADER] === undefined) {
      // Nothing unsigned is read: answered at once, the connection closed after the answer.
      count("unauthorized");
      if (options.verbose) say("401 no signature");
      return reply(res, 401, { error: "missing or wrong signature" }, { connection: "close" });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      buffered -= size;
      chunks.length = 0;
    };
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      if (size + chunk.length > MAX_WEBHOOK_BYTES) {
        release();
        return refuseTooLarge(res);
      }
      if (buffered + chunk.length > maxBufferedBytes) {
        release();
        count("unavailable");
        if (options.verbose) say(`503 over ${maxBufferedBytes} bytes of bodies held at once`);
        return reply(res, 503, { error: "too many bodies at once" }, { connection: "close", "retry-after": "1" });
      }
      size += chunk.length;
      buffered += chunk.length;
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      const body = Buffer.concat(chunks, size);
      release();
      if (!signatureMatches(body, secret, req.headers[SIGNATURE_HEADER])) {
        count("unauthorized");
        if (options.verbose) say("401 a wrong signature");
        return reply(res, 401, { error: "missing or wrong signature" });
      }
      commit(body, res);
    });
    // A client that goes away mid-body needs no answer; what it sent is let go.
    req.on("error", () => undefined);
    req.on("close", () => {
      if (!done) count("other");
      release();
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (closing) res.setHeader("connection", "close");
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      req.resume();
      return reply(res, 200, { status: "ok" });
    }
    if (req.method !== "POST") {
      count("other");
      req.resume();
      return reply(res, 405, { error: "webhooks are POSTed" }, { allow: "POST" });
    }
    handleWebhook(req, res);
  };

  const server: Server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(requestTimeoutMs, 10_000),
      keepAliveTimeout: 5_000,
      // Node checks the request timeout on this interval (30 s by default).
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(requestTimeoutMs / 4))),
      maxHeaderSize: 16 * 1024,
    },
    handle,
  );
  // A body in flight holds up to 1 MiB: the connections at once bound the memory.
  server.maxConnections = 512;
  // A connection that sends nothing at all is closed too.
  server.setTimeout(requestTimeoutMs * 3, (socket: Socket) => socket.destroy());
  // A request that is malformed, or too slow to arrive, gets a bare answer and its connection closed.
  server.on("clientError", (e: NodeJS.ErrnoException, socket: Socket) => {
    count("other");
    const status = e.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : e.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    if (socket.writable && !socket.destroyed) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  const ticker = setInterval(() => {
    say(`${now().toISOString()} last ${Math.round((options.logIntervalMs ?? MINUTE_MS) / 1000)} s: ${describeCounts(minute)}`);
    minute = zeroCounts();
  }, options.logIntervalMs ?? MINUTE_MS);
  ticker.unref();

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    counts: () => ({ ...total }),
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(ticker);
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // In-flight requests get the request timeout to finish; then their connections go.
        const deadline = setTimeout(() => server.closeAllConnections(), requestTimeoutMs + 1_000);
        await drained;
        clearTimeout(deadline);
        await Promise.allSettled([...commits]);
      })();
      return closed;
    },
  };
}
