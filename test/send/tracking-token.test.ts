/**
 * The msgc token at send time, against the real sandbox: every request's callbackData carries
 * the token of its key, form and attempt (hashed with the journal's first start, so a resume
 * computes the same ones), unless the callbackData cannot carry it or tracking is off.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { trackingToken } from "../../src/compiler/tracking-token.js";
import type { PlanItem } from "../../src/compiler/plan.js";
import { SESSION_PATH } from "../../src/compiler/plan.js";
import { API_KEY, makeItem, numberOf, recipientOf, sendToSandbox, tempDir, useSandbox } from "./helpers.js";

const sandboxWith = useSandbox(API_KEY);

function withCallbackData(index: number, callbackData: unknown): PlanItem {
  const item = makeItem(index, { session: false });
  if (callbackData !== undefined) item.template!.body.callbackData = callbackData;
  return item;
}

function headers(journal: string): Array<{ startedAt: string }> {
  return readFileSync(journal, "utf8")
    .split("\n")
    .filter((line) => line.includes('"type":"header"'))
    .map((line) => JSON.parse(line) as { startedAt: string });
}

function callbackDataOf(box: { messages(): readonly { body: unknown }[] }): Map<string, unknown> {
  return new Map(box.messages().map((m) => [recipientOf(m as never), (m.body as { callbackData?: unknown }).callbackData]));
}

describe("the msgc token in callbackData", () => {
  it("callbackData: absent becomes {msgc}, an object gains msgc, anything else goes as written", async () => {
    const box = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    const big = { note: "x".repeat(1000) };
    const items = [
      withCallbackData(0, undefined),
      withCallbackData(1, { order: "A-1", nested: { deep: [1, 2] } }),
      withCallbackData(2, "plain string"),
      withCallbackData(3, ["a", "list"]),
      withCallbackData(4, { msgc: "mine" }),
      withCallbackData(5, big),
      withCallbackData(6, {}),
    ];
    const summary = await sendToSandbox(box, items, { journal });
    expect(summary.sent).toBe(7);
    const [first] = headers(journal);
    const token = (i: number): string => trackingToken({ campaign: "spring", startedAt: first!.startedAt }, `spring/${numberOf(i)}`, "template", 1);
    const sent = callbackDataOf(box);
    expect(sent.get(numberOf(0))).toEqual({ msgc: token(0) });
    expect(sent.get(numberOf(1))).toEqual({ order: "A-1", nested: { deep: [1, 2] }, msgc: token(1) });
    expect(sent.get(numberOf(2))).toBe("plain string");
    expect(sent.get(numberOf(3))).toEqual(["a", "list"]);
    expect(sent.get(numberOf(4))).toEqual({ msgc: "mine" });
    expect(sent.get(numberOf(5))).toEqual(big);
    expect(sent.get(numberOf(6))).toEqual({ msgc: token(6) });
    expect(token(0)).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it("callbackData: 998 bytes takes the token (1024 exactly), 999 bytes goes without it", async () => {
    const box = await sandboxWith();
    // {"n":"…"} is 8 bytes around the string.
    const fits = { n: "y".repeat(990) };
    const over = { n: "y".repeat(991) };
    expect(JSON.stringify(fits).length).toBe(998);
    const summary = await sendToSandbox(box, [withCallbackData(0, fits), withCallbackData(1, over)]);
    expect(summary.sent).toBe(2);
    const sent = callbackDataOf(box);
    expect(JSON.stringify(sent.get(numberOf(0))).length).toBe(1024);
    expect(sent.get(numberOf(1))).toEqual(over);
  });

  it("track: false leaves callbackData exactly as written, absent included", async () => {
    const box = await sandboxWith();
    const summary = await sendToSandbox(box, [withCallbackData(0, undefined), withCallbackData(1, { order: "A-1" })], { track: false });
    expect(summary.sent).toBe(2);
    const bodies = new Map(box.messages().map((m) => [recipientOf(m), m.body as Record<string, unknown>]));
    expect("callbackData" in bodies.get(numberOf(0))!).toBe(false);
    expect(bodies.get(numberOf(1))!.callbackData).toEqual({ order: "A-1" });
  });

  it("SMS requests carry the token too", async () => {
    const box = await sandboxWith();
    const number = numberOf(7);
    const item: PlanItem = {
      key: `spring/${number}`,
      spec: "specs/campaigns/spring.yaml",
      window: "session",
      lastInboundAt: null,
      sms: {
        method: "POST",
        path: SESSION_PATH,
        body: { sender: { id: "+14155550100", channelType: "sms" }, recipient: { id: number, channelType: "sms" }, message: { text: "Hi" }, callbackData: { ref: 7 } },
      },
    } as PlanItem;
    const journal = join(tempDir(), "spring.ndjson");
    const summary = await sendToSandbox(box, [item], { journal });
    expect(summary.sent).toBe(1);
    const token = trackingToken({ campaign: "spring", startedAt: headers(journal)[0]!.startedAt }, item.key, "session", 1);
    expect(box.messages().map((m) => m.body)).toEqual([{ ...item.sms!.body, callbackData: { ref: 7, msgc: token } }]);
  });

  it("a resume hashes its tokens with the journal's first start, not its own", async () => {
    // Half the requests fail (5xx, not accepted) with one attempt each; the resume sends them again.
    const box = await sandboxWith({ failRate: 0.5, seed: 7 });
    const journal = join(tempDir(), "spring.ndjson");
    const items = Array.from({ length: 16 }, (_, i) => withCallbackData(i, { i }));
    let clock = Date.parse("2026-12-01T10:00:00.000Z");
    const now = (): number => clock;
    const first = await sendToSandbox(box, items, { journal, maxAttempts: 1, now, maxFailures: { kind: "count", count: 1000 } });
    expect(first.failed).toBeGreaterThan(0);
    const sentFirst = first.sent;
    clock = Date.parse("2026-12-01T11:00:00.000Z");
    await sendToSandbox(box, items, { journal, maxAttempts: 1, now, resume: true, maxFailures: { kind: "count", count: 1000 } });
    const [runOne, runTwo] = headers(journal);
    expect(runOne!.startedAt).toBe("2026-12-01T10:00:00.000Z");
    expect(runTwo!.startedAt).toBe("2026-12-01T11:00:00.000Z");
    const scope = { campaign: "spring", startedAt: runOne!.startedAt };
    let secondAttempts = 0;
    for (const message of box.messages()) {
      const key = `spring/${recipientOf(message)}`;
      const token = (message.body as { callbackData: { msgc: string } }).callbackData.msgc;
      const attempt = [1, 2].find((a) => trackingToken(scope, key, "template", a) === token);
      expect(attempt, key).toBeDefined();
      if (attempt === 2) secondAttempts++;
    }
    expect(secondAttempts).toBe(box.messages().length - sentFirst);
    expect(secondAttempts).toBeGreaterThan(0);
  });
});
