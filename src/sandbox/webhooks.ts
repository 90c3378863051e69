/**
 * The sandbox's webhooks: for each accepted message, signed `delivery_status` webhooks in
 * Connectly's shape (reference §7), and a `messages` webhook for each customer who writes.
 *
 * Each message's webhooks go out in order, one after another: the next waits until its time has
 * come and the one before was acknowledged (or given up), so the only reordering a receiver sees
 * is the seeded one. Different messages are delivered side by side.
 */
import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import type { SendMessageBody, SendTemplateBody } from "../compiler/plan.js";
import { toErrorBody } from "./errors.js";
import type { ConnectlyErrorBody } from "./errors.js";
import { createRandom } from "./prng.js";
import type { Random } from "./prng.js";
import type { AcceptedMessage } from "./server.js";
import { SIGNATURE_HEADER, signWebhook } from "../webhooks/signature.js";

export { SIGNATURE_HEADER, signWebhook };

export const WEBHOOK_CONTENT_TYPE = "text/plain; charset=utf-8";
/** Retries after the first attempt; then the webhook is given up. */
export const MAX_WEBHOOK_RETRIES = 5;
export const DEFAULT_DELIVER_MS = 200;
export const DEFAULT_READ_RATE = 0.6;
export const DEFAULT_RETRY_BASE_MS = 250;
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_PENDING_WEBHOOKS = 10_000;
/** A campaign name or an inbound text may be large: the bytes pending are bounded too. */
export const DEFAULT_MAX_PENDING_WEBHOOK_BYTES = 64 * 1024 * 1024;
/** The business's own number, where a request names no sender (fictional: 555-01xx). */
export const DEFAULT_BUSINESS_NUMBER = "+15550100000";

export type WebhookStatus = "sent" | "delivered" | "read" | "delivery_failed";

export interface WebhookSettings {
  url: string;
  secret: string;
  seed: number;
  deliverMs: number;
  readRate: number;
  undeliverableRate: number;
  duplicateRate: number;
  reorderRate: number;
  retryBaseMs: number;
  timeoutMs: number;
  maxPending: number;
  /** The bodies pending may take this many bytes at most, whatever their number. */
  maxPendingBytes: number;
  businessNumber: string;
  now: () => number;
  /** Told once when webhooks are first dropped, and once when one is first given up. */
  onWarning: ((message: string) => void) | undefined;
  nextTraceId: () => string;
}

export interface WebhookStats {
  /** Webhooks the receiver answered 200 (a duplicate counts twice). */
  delivered: number;
  /** Attempts after the first one, over all webhooks. */
  retried: number;
  /** Webhooks dropped after the first attempt and every retry failed. */
  givenUp: number;
  /** Webhooks never queued because the queue was full. */
  dropped: number;
  /** Webhooks still to go (scheduled, in flight or waiting to be retried). */
  pending: number;
  /** Webhooks abandoned by `close()` without a drain. */
  cancelled: number;
  /** Webhooks sent a second time on purpose (`duplicateRate`). */
  duplicated: number;
  /** Messages whose first two statuses went out swapped (`reorderRate`). */
  reordered: number;
}

export function emptyWebhookStats(): WebhookStats {
  return { delivered: 0, retried: 0, givenUp: 0, dropped: 0, pending: 0, cancelled: 0, duplicated: 0, reordered: 0 };
}

interface Party {
  id: string;
  channelType: string;
}

/** One webhook of a message (or of an inbound message), when it is due after acceptance. */
interface Step {
  body: string;
  bytes: number;
  afterMs: number;
  duplicate: boolean;
}

/** Who sent and who received an accepted message, in the webhook's `{ id, channelType }` form. */
function partiesOf(message: AcceptedMessage, businessNumber: string): { sender: Party; recipient: Party } {
  if (message.endpoint === "messages") {
    const body = message.body as SendMessageBody;
    const channelType = body.recipient.channelType ?? "whatsapp";
    return {
      sender: body.sender ? { id: body.sender.id, channelType: body.sender.channelType ?? channelType } : { id: businessNumber, channelType },
      recipient: { id: body.recipient.id, channelType },
    };
  }
  const body = message.body as SendTemplateBody;
  return { sender: { id: body.sender ?? businessNumber, channelType: "whatsapp" }, recipient: { id: body.number, channelType: "whatsapp" } };
}

function unixSeconds(ms: number): string {
  return String(Math.floor(ms / 1000));
}

/** A `delivery_status` body; `callbackData` is echoed as it was sent, and only when it was. */
export function statusWebhookBody(
  message: AcceptedMessage,
  status: WebhookStatus,
  at: number,
  businessNumber: string,
  error: ConnectlyErrorBody | null,
): string {
  const { sender, recipient } = partiesOf(message, businessNumber);
  const body = message.body as { campaignName?: unknown; callbackData?: unknown };
  const campaign = typeof body.campaignName === "string" ? body.campaignName : undefined;
  return JSON.stringify({
    topic: "delivery_status",
    timestamp: unixSeconds(at),
    sender,
    recipient,
    statusUpdate: { id: message.id, status, error },
    metadata: campaign === undefined ? null : { campaign_name: campaign },
    ...(body.callbackData === undefined ? {} : { callbackData: body.callbackData }),
  });
}

/** A `messages` body: a customer wrote to the business. */
export function inboundWebhookBody(from: string, at: number, text: string, name: string, businessNumber: string): string {
  return JSON.stringify({
    timestamp: unixSeconds(at),
    sender: { id: from, channelType: "whatsapp", name },
    recipient: { id: businessNumber, channelType: "whatsapp" },
    message: { text },
  });
}

/** Says what is wrong with a webhook URL, or undefined when it can be used. */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Quoted as describeWebhookUrl prints one: a query string may carry a token.
    const query = url.indexOf("?");
    return `must be an http:// or https:// URL, got "${query === -1 ? url : `${url.slice(0, query)}?…`}"`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `must be an http:// or https:// URL, got "${parsed.protocol}…"`;
  // It would be printed and kept in places a secret must not be.
  if (parsed.username !== "" || parsed.password !== "") return "must not carry a user name or password";
  return undefined;
}

/** The URL as printed: without the query string, which may carry a token. */
export function describeWebhookUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search === "" ? "" : "?…"}`;
}

function step(body: string, afterMs: number, duplicate: boolean): Step {
  return { body, bytes: Buffer.byteLength(body, "utf8"), afterMs, duplicate };
}

/** The webhooks a message's steps send (a duplicate twice) and the bytes they hold: admitted, then settled. */
function weigh(steps: readonly Step[]): { count: number; bytes: number } {
  return steps.reduce((sum, step) => ({ count: sum.count + (step.duplicate ? 2 : 1), bytes: sum.bytes + step.bytes }), { count: 0, bytes: 0 });
}

const UNDELIVERABLE = {
  status: 400,
  type: "ERROR_TYPE_UNSPECIFIED",
  code: "ERROR_CODE_MESSAGE_UNDELIVERABLE",
  message: "Message undeliverable: the customer's phone could not be reached",
} as const;

export class WebhookDispatcher {
  readonly stats = emptyWebhookStats();
  private readonly random: Random;
  private readonly agent: Agent;
  private readonly stopping = new AbortController();
  private readonly headers: Record<string, string>;
  private drainWaiters: (() => void)[] = [];
  private warnedDrop = false;
  private pendingBytes = 0;
  private warnedGiveUp = false;

  constructor(private readonly settings: WebhookSettings) {
    // Its own stream: the faults' and the reviews' draws stay what they were for a given seed.
    this.random = createRandom(settings.seed ^ 0x5eb40c4e);
    // Every pending wait and request listens to the one stop signal: thousands, on purpose.
    setMaxListeners(0, this.stopping.signal);
    this.agent = new Agent({ connections: 32, headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs, connectTimeout: settings.timeoutMs });
    this.headers = { "content-type": WEBHOOK_CONTENT_TYPE, "user-agent": "msgc-sandbox" };
  }

  /**
   * Schedules the statuses of an accepted message. Every message draws the same six numbers,
   * whatever the rates, so with one seed the n-th accepted message always meets the same fate.
   */
  onAccepted(message: AcceptedMessage): void {
    const { deliverMs, readRate, undeliverableRate, duplicateRate, reorderRate } = this.settings;
    const failed = this.random() < undeliverableRate;
    const read = this.random() < readRate;
    const reorder = this.random() < reorderRate;
    const duplicates = [this.random() < duplicateRate, this.random() < duplicateRate, this.random() < duplicateRate];
    // An SMS has no read receipts.
    const isSms = partiesOf(message, this.settings.businessNumber).recipient.channelType !== "whatsapp";
    const statuses: WebhookStatus[] = failed ? ["sent", "delivery_failed"] : read && !isSms ? ["sent", "delivered", "read"] : ["sent", "delivered"];
    // Built now, so that what they hold is counted; each is stamped with when it happens, and
    // a retry sends the same bytes.
    const acceptedAt = this.settings.now();
    const steps = statuses.map((status, index): Step => {
      const afterMs = index * deliverMs;
      const error = status === "delivery_failed" ? toErrorBody(UNDELIVERABLE, this.settings.nextTraceId()) : null;
      return step(statusWebhookBody(message, status, acceptedAt + afterMs, this.settings.businessNumber, error), afterMs, duplicates[index]!);
    });
    // Reordered: `sent` is held back and arrives just after the status that followed it, its
    // timestamp still the earlier one (as a webhook retried late would).
    if (reorder) steps.splice(0, 2, steps[1]!, { ...steps[0]!, afterMs: steps[1]!.afterMs });
    if (!this.admit(steps)) return;
    if (reorder) this.stats.reordered += 1;
    void this.run(steps);
  }

  /** A customer wrote: one `messages` webhook at once (duplicated at the seeded rate too). */
  onInbound(from: string, at: number, text: string, name: string): void {
    const duplicate = this.random() < this.settings.duplicateRate;
    const steps = [step(inboundWebhookBody(from, at, text, name, this.settings.businessNumber), 0, duplicate)];
    if (!this.admit(steps)) return;
    void this.run(steps);
  }

  /** Resolves once no webhook is pending: every one delivered, given up or cancelled. */
  drain(): Promise<void> {
    if (this.stats.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Cancels every timer and request in flight; what was pending is counted as cancelled. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.agent.destroy().catch(() => undefined);
  }

  /** Counts the webhooks in as pending, or drops them all when the queue has no room. */
  private admit(steps: Step[]): boolean {
    const { count, bytes } = weigh(steps);
    if (this.stopping.signal.aborted) return false;
    if (this.stats.pending + count > this.settings.maxPending || this.pendingBytes + bytes > this.settings.maxPendingBytes) {
      this.stats.dropped += count;
      if (!this.warnedDrop) {
        this.warnedDrop = true;
        const { maxPending, maxPendingBytes } = this.settings;
        this.settings.onWarning?.(
          `more than ${maxPending} webhooks (or ${maxPendingBytes} bytes of them) pending: new ones are dropped (counted in the stats) until the receiver catches up`,
        );
      }
      return false;
    }
    this.stats.pending += count;
    this.pendingBytes += bytes;
    return true;
  }

  private async run(steps: Step[]): Promise<void> {
    const started = Date.now();
    let { count: left, bytes: bytesLeft } = weigh(steps);
    try {
      for (const step of steps) {
        const wait = started + step.afterMs - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal: this.stopping.signal });
        const copies = step.duplicate ? 2 : 1;
        for (let copy = 0; copy < copies; copy++) {
          if (copy === 1) this.stats.duplicated += 1;
          await this.deliver(step.body);
          left -= 1;
          // The body's bytes are freed with its last copy.
          const freed = copy === copies - 1 ? step.bytes : 0;
          bytesLeft -= freed;
          this.settle(1, freed);
        }
      }
    } catch {
      // Only an abort gets here: close() without a drain.
      this.stats.cancelled += left;
      this.settle(left, bytesLeft);
    }
  }

  private settle(count: number, bytes: number): void {
    this.pendingBytes -= bytes;
    this.stats.pending -= count;
    if (this.stats.pending === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Posts one webhook until it is answered 200, or gives up after the last retry. */
  private async deliver(body: string): Promise<void> {
    const signal = this.stopping.signal;
    const headers = { ...this.headers, [SIGNATURE_HEADER]: signWebhook(body, this.settings.secret) };
    let outcome = "";
    for (let attempt = 0; attempt <= MAX_WEBHOOK_RETRIES; attempt++) {
      if (attempt > 0) {
        await sleep(this.settings.retryBaseMs * 2 ** (attempt - 1), undefined, { signal });
        this.stats.retried += 1;
      }
      try {
        const response = await request(this.settings.url, { method: "POST", headers, body, dispatcher: this.agent, signal });
        // Read and thrown away (undici stops reading a huge one), so the connection is reused. A
        // 200 whose body then breaks off was still an acknowledgement: not sent again.
        await response.body.dump().catch(() => undefined);
        if (signal.aborted) throw signal.reason;
        if (response.statusCode === 200) {
          this.stats.delivered += 1;
          return;
        }
        outcome = `answered ${response.statusCode}`;
      } catch (error) {
        if (signal.aborted) throw error;
        outcome = `failed (${(error as { code?: string }).code ?? "error"})`;
      }
    }
    this.stats.givenUp += 1;
    if (!this.warnedGiveUp) {
      this.warnedGiveUp = true;
      this.settings.onWarning?.(`a webhook was given up after ${MAX_WEBHOOK_RETRIES} retries: the receiver ${outcome} (later ones are only counted in the stats)`);
    }
  }
}
