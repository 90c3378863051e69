/**
 * The 24-hour window from the store's inbound table at its clock edges (docs/tracking.md): the
 * times go through a real SQLite store and recipientFacts, as `msgc send` loads them.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recipientFacts } from "../../src/runner/suppressions.js";
import { openStore, storeTarget } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { API_KEY, makeItem, numberOf, sendToSandbox, tempDir, useSandbox } from "./helpers.js";

const start = useSandbox(API_KEY);

const NOW = Date.parse("2026-11-30T12:00:00Z");
const HOUR = 3600_000;

async function storeWithInbound(times: Array<[number, number]>): Promise<Store> {
  const dir = tempDir();
  const store = await openStore(storeTarget({ root: dir, outDir: join(dir, ".msgc") }, {}, { create: true })!);
  for (const [index, at] of times) {
    const iso = new Date(at).toISOString();
    await store.commitEvent(
      {
        topic: "messages",
        deliveryId: `d-${index}-${at}`,
        messageId: null,
        status: null,
        errorCode: null,
        errorMessage: null,
        customer: numberOf(index),
        campaign: null,
        token: null,
        occurredAt: iso,
        receivedAt: iso,
        raw: "{}",
      },
      { inbound: { number: numberOf(index), at: iso } },
    );
  }
  return store;
}

describe("send: window auto from the store's inbound at the clock's edges", () => {
  it("a store time in the future does not hide a recent audience column", async () => {
    const box = await start({ now: () => NOW });
    // The column says 1 h ago (session); the store holds a time an hour ahead (a skewed clock).
    const store = await storeWithInbound([[0, NOW + HOUR]]);
    try {
      const facts = await recipientFacts(store, { ignoreSuppression: false, now: NOW });
      const items = [makeItem(0, { lastInboundAt: new Date(NOW - HOUR).toISOString() })];
      const summary = await sendToSandbox(box, items, { now: () => NOW, dryRun: true, facts });
      expect(summary.forms).toEqual({ session: 1, template: 0 });
    } finally {
      await store.close();
    }
  });

  it("exactly 24 hours ago is outside the window; a millisecond less is inside", async () => {
    const box = await start({ now: () => NOW });
    const store = await storeWithInbound([
      [0, NOW - 24 * HOUR],
      [1, NOW - 24 * HOUR + 1],
    ]);
    try {
      const facts = await recipientFacts(store, { ignoreSuppression: false, now: NOW });
      const summary = await sendToSandbox(box, [makeItem(0), makeItem(1)], { now: () => NOW, dryRun: true, facts });
      expect(summary.forms).toEqual({ session: 1, template: 1 });
    } finally {
      await store.close();
    }
  });
});
