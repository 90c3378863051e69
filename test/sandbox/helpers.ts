import { request } from "undici";
import { afterEach } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/index.js";

export const KEY = "test-key";
export const BUSINESS = "b1";
export const NUMBER = "+16045852331";
export const SESSION_PATH = `/v1/businesses/${BUSINESS}/send/messages`;
export const TEMPLATE_PATH = `/v1/businesses/${BUSINESS}/send/whatsapp_templated_messages`;
export const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const started: Sandbox[] = [];

/** Starts a sandbox that is closed after the current test; unlimited rate unless asked. */
export async function sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const instance = await startSandbox({ apiKey: KEY, rate: 0, ...options });
  started.push(instance);
  return instance;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

export async function call(
  box: Sandbox,
  path: string,
  options: { method?: "GET" | "POST" | "DELETE" | "PUT"; body?: unknown; headers?: Record<string, string>; raw?: string | Buffer } = {},
): Promise<Reply> {
  const method = options.method ?? "POST";
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await request(`${box.url}${path}`, {
    method,
    headers: { "content-type": "application/json", "x-api-key": KEY, ...options.headers },
    body,
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, json: text === "" ? undefined : JSON.parse(text) };
}

export function session(message: unknown = { text: "hi" }, recipient = NUMBER): Record<string, unknown> {
  return { recipient: { id: recipient, channelType: "whatsapp" }, message };
}

export function template(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { number: NUMBER, templateName: "order_shipped", language: "en", ...fields };
}

/** Sends the same valid session message n times one after another; returns the statuses. */
export async function sendSequentially(box: Sandbox, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await call(box, SESSION_PATH, { body: session() })).status);
  return statuses;
}
