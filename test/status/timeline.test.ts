import { describe, expect, test } from "vitest";
import { TimelineCounter } from "../../src/runner/status/timeline.js";

const START = Date.parse("2026-12-01T00:00:00.000Z");
const MINUTE = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe("delivered and read over time", () => {
  test("bucket: the finest that shows the span in at most 60 (10 days: 6 hours)", () => {
    const counter = new TimelineCounter();
    counter.add("delivered", iso(START));
    counter.add("read", iso(START + 10 * 24 * 60 * MINUTE));
    const timeline = counter.finish()!;
    expect([timeline.bucket, timeline.bucketMs, timeline.points.length]).toEqual(["6 hours", 6 * 60 * MINUTE, 41]);
    expect(timeline.points[0]).toEqual({ at: "2026-12-01T00:00:00.000Z", delivered: 1, read: 0 });
    expect(timeline.points[40]).toEqual({ at: "2026-12-11T00:00:00.000Z", delivered: 0, read: 1 });
  });

  test("memory: past 4096 distinct minutes the counts merge into coarser buckets, none lost", () => {
    const counter = new TimelineCounter();
    for (let i = 0; i < 10_000; i++) counter.add("delivered", iso(START + i * MINUTE));
    const timeline = counter.finish()!;
    // 10,000 minutes is about 7 days: in at most 60 buckets, 6 hours.
    expect(timeline.bucket).toBe("6 hours");
    expect(timeline.points.reduce((sum, p) => sum + p.delivered, 0)).toBe(10_000);
  });

  test("no times, or only unreadable ones: no timeline", () => {
    const counter = new TimelineCounter();
    counter.add("read", "not a time");
    counter.add("read", undefined);
    expect(counter.finish()).toBeNull();
  });
});
