import { request } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/project/config.js";
import { openStore, storeTarget } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { signWebhook } from "../../src/webhooks/signature.js";

export const SECRET = "whsec_test_do_not_print_8d1f";
export const NUMBER = "+16045852331";

/** A delivery_status body as Connectly sends it, for message `id`. */
export function statusWebhook(id: string, status = "delivered", extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    topic: "delivery_status",
    timestamp: "1764633600",
    sender: { id: "+14155550100", channelType: "whatsapp" },
    recipient: { id: NUMBER, channelType: "whatsapp" },
    statusUpdate: { id, status, error: null },
    metadata: { campaign_name: "spring" },
    ...extra,
  });
}

export function inboundWebhook(text: string, from = NUMBER, timestamp = "1764633600"): string {
  return JSON.stringify({ timestamp, sender: { id: from, channelType: "whatsapp" }, recipient: { id: "+14155550100" }, message: { text } });
}

export interface Answer {
  status: number;
  body: string;
}

/** POSTs `body` signed with `secret` (or with the given header, or none when null). */
export async function postWebhook(url: string, body: string | Buffer, signature: string | null = signWebhook(body, SECRET)): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
  if (signature !== null) headers["x-connectly-hmac-sha256"] = signature;
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, body: await response.text() };
}

/** As Connectly does: retries until 200 (the receiver may be down or refusing meanwhile). */
export async function postUntilAcknowledged(url: () => string, body: string, deadline = Date.now() + 20_000): Promise<void> {
  for (;;) {
    try {
      const answer = await postWebhook(url(), body);
      if (answer.status === 200) return;
    } catch {
      // Refused or reset: the receiver is restarting.
    }
    if (Date.now() > deadline) throw new Error("not acknowledged in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A raw request with node:http (fetch cannot send a lying content-length). */
export function rawRequest(url: string, options: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(options.path ?? "/", url);
    const req = request(target, { method: options.method ?? "POST", headers: options.headers ?? {} }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A fresh project folder and the SQLite store msgc would open in it (`<out>/msgc.db`). */
export async function openProjectStore(dir = mkdtempSync(join(tmpdir(), "msgc-webhooks-"))): Promise<{ dir: string; store: Store }> {
  const { config } = await loadConfig({ cwd: dir });
  const target = storeTarget(config, {}, { create: true });
  if (target === undefined) throw new Error("no store target");
  return { dir, store: await openStore(target) };
}
