import { createHmac, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";

export const SECRET = "whsec_test_do_not_print_9876";

export interface Received {
  /** The raw body as received. */
  body: string;
  json: any;
  headers: IncomingHttpHeaders;
  /** The signature header is base64(HMAC-SHA256(body, SECRET)). */
  signed: boolean;
  /** performance.now() when it arrived. */
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves once `count` webhooks have arrived (any answer). */
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

function verify(body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== "string") return false;
  const expected = createHmac("sha256", SECRET).update(body).digest();
  const given = Buffer.from(header, "base64");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const open: Receiver[] = [];

/**
 * A real node:http receiver on loopback: it verifies each signature, records each body, and
 * answers what `answer` says for the n-th webhook (0-based); 200 by default.
 */
export async function receiver(answer: (index: number, body: string) => number = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString("utf8");
      const index = received.length;
      received.push({ body, json: JSON.parse(body), headers: req.headers, signed: verify(raw, req.headers["x-connectly-hmac-sha256"]), at: performance.now() });
      res.writeHead(answer(index, body)).end();
      waiters = waiters.filter((waiter) => {
        if (received.length < waiter.count) return true;
        waiter.resolve();
        return false;
      });
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const instance: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    waitFor: (count) => (received.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    close: async () => {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
  open.push(instance);
  return instance;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});
