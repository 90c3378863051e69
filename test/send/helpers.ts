import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PlanItem, WindowMode } from "../../src/compiler/plan.js";
import { SESSION_PATH, TEMPLATE_PATH } from "../../src/compiler/plan.js";
import { afterEach } from "vitest";
import { send } from "../../src/runner/send/index.js";
import type { SendOptions, SendSummary } from "../../src/runner/send/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { AcceptedMessage, Sandbox, SandboxOptions } from "../../src/sandbox/index.js";

export const API_KEY = "test-key-6f1d2c9a8b7e";

/** `+1604555` followed by four digits: valid E.164, distinct per index. */
export function numberOf(index: number): string {
  return `+1604555${String(index).padStart(4, "0")}`;
}

export interface ItemOptions {
  campaign?: string;
  window?: WindowMode;
  lastInboundAt?: string | null;
  session?: boolean;
  template?: boolean;
}

/** A plan item as the compiler makes them, for the number at `index`. */
export function makeItem(index: number, opts: ItemOptions = {}): PlanItem {
  const number = numberOf(index);
  const campaign = opts.campaign ?? "spring";
  const item: PlanItem = {
    key: `${campaign}/${number}`,
    spec: "specs/campaigns/spring.yaml",
    window: opts.window ?? "auto",
    lastInboundAt: opts.lastInboundAt ?? null,
  };
  if (opts.template !== false) {
    item.template = {
      method: "POST",
      path: TEMPLATE_PATH,
      body: {
        number,
        templateName: "order_shipped",
        language: "en",
        parameters: [{ name: "body_1", value: `Customer ${index}` }],
        campaignName: campaign,
      },
    };
  }
  if (opts.session !== false) {
    item.session = {
      method: "POST",
      path: SESSION_PATH,
      body: { recipient: { id: number, channelType: "whatsapp" }, message: { text: `Hi ${index}, your order shipped` }, campaignName: campaign },
    };
  }
  return item;
}

export function makeItems(count: number, opts: ItemOptions = {}): PlanItem[] {
  return Array.from({ length: count }, (_, i) => makeItem(i, opts));
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "msgc-send-"));
}

/**
 * A request body as compiled, from one as sent: the msgc token a send adds to callbackData taken
 * out again (checked to be one), and a callbackData that held only the token removed.
 */
export function withoutToken(body: unknown): unknown {
  const { callbackData, ...rest } = body as { callbackData?: unknown };
  if (callbackData === null || typeof callbackData !== "object" || Array.isArray(callbackData)) return body;
  const { msgc, ...data } = callbackData as Record<string, unknown>;
  if (typeof msgc !== "string" || !/^[A-Za-z0-9_-]{16}$/.test(msgc)) throw new Error(`no msgc token in ${JSON.stringify(callbackData)}`);
  return Object.keys(data).length === 0 ? rest : { ...rest, callbackData: data };
}

/** The recipient of an accepted message, whichever endpoint took it. */
export function recipientOf(message: AcceptedMessage): string {
  const body = message.body as { number?: string; recipient?: { id: string } };
  return body.number ?? body.recipient!.id;
}

/** How many times each recipient was accepted by the sandbox. */
export function countByRecipient(sandbox: Sandbox): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of sandbox.messages()) counts.set(recipientOf(message), (counts.get(recipientOf(message)) ?? 0) + 1);
  return counts;
}

/**
 * One sandbox per test, closed after it: `const start = useSandbox(KEY)` in a test file, then
 * `await start({ latencyMs: 20 })` in a test. Unlimited rate unless a test asks for one.
 */
/**
 * The template the CLI tests' `note` message sends: a sandbox that lists it approved lets the
 * CLI's preflight pass (`useSandbox(KEY, { templates: [NOTE_TEMPLATE] })`).
 */
export const NOTE_TEMPLATE = { name: "order_shipped", language: "en", body: 2 };

export function useSandbox(apiKey: string, defaults: SandboxOptions = {}): (options?: SandboxOptions) => Promise<Sandbox> {
  let current: Sandbox | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (options = {}) => {
    await current?.close();
    current = await startSandbox({ apiKey, rate: 0, ...defaults, ...options });
    return current;
  };
}

/** Calls `then` once the sandbox has seen `requests` requests (polled every millisecond). */
export function whenRequests(box: Sandbox, requests: number, then: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (box.stats().requests >= requests) {
        clearInterval(poll);
        then();
        resolve();
      }
    }, 1);
  });
}

/** A real small file system (tmpfs) can be mounted: root on Linux. */
export const canMount = process.getuid?.() === 0 && process.platform === "linux";

/** Mounts a tmpfs of `size` (e.g. "16k") on a new folder (or on `at`, made if missing), unmounted after each test. */
export function useTmpfs(): (size: string, at?: string) => string {
  let mountPoint: string | undefined;
  afterEach(() => {
    if (mountPoint) {
      execFileSync("umount", [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
      mountPoint = undefined;
    }
  });
  return (size, at) => {
    mountPoint = at ?? tempDir();
    mkdirSync(mountPoint, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", mountPoint]);
    return mountPoint;
  };
}

/**
 * send() of `items` as campaign "spring" (business biz-1) to the sandbox, unpaced, with a fresh
 * journal and fast backoff; `extra` overrides any of it.
 */
export function sendToSandbox(box: Sandbox, items: PlanItem[], extra: Partial<SendOptions> = {}): Promise<SendSummary> {
  return send({
    plan: () => items,
    campaign: "spring",
    baseUrl: box.url,
    businessId: "biz-1",
    apiKey: API_KEY,
    rate: Infinity,
    concurrency: 16,
    journal: join(tempDir(), "spring.ndjson"),
    backoff: { baseMs: 2, capMs: 20 },
    showNumbers: true,
    ...extra,
  });
}

/**
 * Journal lines written by hand, as send() writes them for campaign "spring" (business biz-1,
 * started 2026-11-24T08:00Z) against `box`; `extra` overrides any field.
 */
export const journalHeader = (planHash: string, box: Sandbox, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    type: "header",
    version: 2,
    campaign: "spring",
    planHash,
    startedAt: "2026-11-24T08:00:00.000Z",
    shard: null,
    resumed: false,
    origin: new URL(box.url).origin,
    businessId: "biz-1",
    ...extra,
  });
export const journalIntent = (key: string, attempt = 1): string => JSON.stringify({ type: "intent", key, form: "template", attempt });
export const journalOutcome = (key: string, result: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ type: "outcome", key, form: "template", attempt: 1, result, status: 200, messageId: "m1", errorCode: null, ambiguous: false, ...extra });

/** The plan hash a journal of campaign "spring" of `items` must carry (a dry run: nothing is sent). */
export async function planHashOf(items: PlanItem[]): Promise<string> {
  return (await send({ plan: () => items, campaign: "spring", baseUrl: "http://127.0.0.1:9", businessId: "b", journal: false, dryRun: true })).planHash;
}
