/**
 * `msgc send --sandbox` closes the tracking loop in-process: the in-process sandbox sends signed
 * webhooks for every message it accepts to an in-process receiver, which commits them to a
 * temporary SQLite store that the send also records its attempts in; when the send ends, the
 * webhooks are drained and the campaign's delivery funnel is printed from that store and the
 * run's journal (docs/tracking.md, "The sandbox's webhooks").
 *
 * The store is temporary like the sandbox's journal: a rehearsal never writes into the project's
 * store (whose opt-outs and inbound times the send still reads), so `msgc status` of the real
 * campaign never counts sandbox messages.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { optOutKeywords } from "../webhooks/parse-event.js";
import { startWebhookReceiver } from "../webhooks/receiver.js";
import type { WebhookReceiver } from "../webhooks/receiver.js";
import { collectStatus } from "../runner/status/collect.js";
import { campaignJournals } from "../runner/status/index.js";
import { formatStatusText } from "../runner/status/format.js";

export interface SandboxLoop {
  /** The temporary store the send records into. */
  readonly store: Store;
  /** What the in-process sandbox needs to send its webhooks here. */
  readonly sandboxOptions: { webhookUrl: string; webhookSecret: string };
  /** The funnel of the campaign once `drain` (the sandbox's) has delivered every webhook. */
  funnel(campaign: string, journal: string | undefined, drain: () => Promise<void>): Promise<string>;
  /** Stops the receiver, closes and removes the store. */
  close(): Promise<void>;
}

/** Starts the receiver on a free loopback port with a random secret, over a temporary store. */
export async function startSandboxLoop(optOut: { keywords?: readonly string[]; optInKeywords?: readonly string[] }): Promise<SandboxLoop> {
  const folder = mkdtempSync(join(tmpdir(), "msgc-sandbox-store-"));
  let store: Store | undefined;
  let receiver: WebhookReceiver | undefined;
  const close = async (): Promise<void> => {
    await receiver?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    store = await openStore({ kind: "sqlite", path: join(folder, "msgc.db"), create: true });
    const secret = randomBytes(24).toString("base64url");
    receiver = await startWebhookReceiver({ store, secret, keywords: optOutKeywords(optOut), host: "127.0.0.1", port: 0, log: () => undefined });
    const opened = store;
    return {
      store: opened,
      sandboxOptions: { webhookUrl: receiver.url, webhookSecret: secret },
      async funnel(campaign, journal, drain) {
        await drain();
        const model = await collectStatus({
          campaign,
          journals: journal === undefined ? [] : campaignJournals(journal),
          store: opened,
          sources: { journals: [], store: null },
          now: Date.now(),
        });
        // The send's summary has just said which campaign, journal and store: the funnel onwards.
        const text = formatStatusText(model);
        return text.slice(text.indexOf("Funnel ("));
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
