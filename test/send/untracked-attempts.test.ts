/**
 * "Not duplicated" rests on silence: an accepted message's webhooks carry its attempt's token.
 * An attempt sent without a token (a rendered callbackData with no room for it, or a run with
 * track: false) is silent whether it was accepted or not, so it must never prove anything.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PlanItem } from "../../src/compiler/plan.js";
import { openStore, storeTarget } from "../../src/store/open.js";
import { API_KEY, makeItems, sendToSandbox, tempDir, useSandbox } from "./helpers.js";

const start = useSandbox(API_KEY);

/** Items whose rendered callbackData (1000 bytes) leaves no room for the token. */
function fullCallbackData(items: PlanItem[]): PlanItem[] {
  for (const item of items) {
    for (const form of [item.session, item.template]) if (form) (form.body as Record<string, unknown>)["callbackData"] = { note: "x".repeat(989) };
  }
  return items;
}

describe("send --resume: attempts that carried no token prove nothing", () => {
  it("a possibly duplicated recipient whose attempts went without the token stays uncertain after the grace", async () => {
    const box = await start({ failRate: 0.5, seed: 3 });
    const dir = tempDir();
    const store = await openStore(storeTarget({ root: dir, outDir: join(dir, ".msgc") }, {}, { create: true })!);
    try {
      const items = fullCallbackData(makeItems(12));
      const journal = join(dir, "spring.ndjson");
      // As `msgc send` says of a message whose callbackData has {{…}}: sized only once rendered.
      const first = await sendToSandbox(box, items, { journal, store, maxAttempts: 20, maxFailures: { kind: "count", count: 100 }, everyRequestTracked: true });
      expect(first.failed).toBe(0);
      expect(first.possiblyDuplicated).toBeGreaterThanOrEqual(2);
      const bodies = box.messages().map((m) => JSON.stringify(m.body));
      expect(bodies.some((b) => b.includes('"msgc"'))).toBe(false);

      const over = await sendToSandbox(box, items, { journal, store, resume: true, graceMs: 0, everyRequestTracked: true });
      expect(over).toMatchObject({ sent: 0, duplicated: 0, notDuplicated: 0 });
      // The journal says which attempts went without a token.
      const intents = readFileSync(journal, "utf8").split("\n").filter((l) => l.includes('"type":"intent"'));
      expect(intents.every((l) => l.endsWith(',"untracked":true}'))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
