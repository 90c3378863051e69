/**
 * The store beside a send: batched, and never able to hold the send or its end. A store that
 * does not answer is given up on at the end (FLUSH_TIMEOUT_MS) and what it held is counted missed.
 */
import { describe, expect, it } from "vitest";
import { SendRecorder } from "../../src/runner/tracking/send-recorder.js";
import type { SendRecord, Store } from "../../src/store/store.js";

const record = (n: number): SendRecord => ({
  key: `+1604555${String(n).padStart(4, "0")}`,
  campaign: "spring",
  channel: "whatsapp",
  form: "template",
  attempt: 1,
  messageId: `m${n}`,
  token: null,
  at: "2026-11-24T08:00:00.000Z",
});

/** A store whose writes are kept, or never answered. */
function fakeStore(answer: boolean): { store: Store; batches: SendRecord[][] } {
  const batches: SendRecord[][] = [];
  const store = {
    recordSends: (sends: readonly SendRecord[]) => {
      batches.push([...sends]);
      return answer ? Promise.resolve() : new Promise<void>(() => undefined);
    },
  } as unknown as Store;
  return { store, batches };
}

describe("SendRecorder", () => {
  it("writes what was added in one batch, and flush waits for it", async () => {
    const { store, batches } = fakeStore(true);
    const warnings: string[] = [];
    const recorder = new SendRecorder(store, (m) => warnings.push(m));
    for (let n = 0; n < 3; n++) recorder.add(record(n));
    await recorder.flush();
    expect(batches.map((b) => b.map((r) => r.messageId))).toEqual([["m0", "m1", "m2"]]);
    expect([recorder.missed, recorder.failed, warnings]).toEqual([0, undefined, []]);
  });

  it("a store that never answers cannot hold the end: flush gives up, counts the sends missed and says so once", async () => {
    const { store, batches } = fakeStore(false);
    const warnings: string[] = [];
    const recorder = new SendRecorder(store, (m) => warnings.push(m));
    for (let n = 0; n < 3; n++) recorder.add(record(n));
    await recorder.flush(1000);
    expect(batches).toHaveLength(1);
    expect(recorder.missed).toBe(3);
    expect(warnings).toEqual(["the store could not record sends (no answer in 1 s); the send goes on, the journal has them"]);
    recorder.add(record(3));
    expect([recorder.missed, warnings.length]).toEqual([4, 1]);
  });

  it("a batch given up on at the end is counted missed once, even when the store answers later", async () => {
    let answer: () => void = () => undefined;
    const store = { recordSends: () => new Promise<void>((resolve) => (answer = resolve)) } as unknown as Store;
    const recorder = new SendRecorder(store, () => undefined);
    recorder.add(record(0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    recorder.add(record(1));
    await recorder.flush(50);
    expect(recorder.missed).toBe(2);
    answer();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(recorder.missed).toBe(2);
  });
});
