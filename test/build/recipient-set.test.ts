import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecipientSet } from "../../src/runner/plan.js";

describe("RecipientSet", () => {
  it("firstRowOf: a new number is added, a repeat gives the row it was first seen at", () => {
    const seen = new RecipientSet();
    expect(seen.firstRowOf("+16045852331", 1)).toBeUndefined();
    expect(seen.firstRowOf("+447400123456", 2)).toBeUndefined();
    expect(seen.firstRowOf("+16045852331", 7)).toBe(1);
    expect(seen.firstRowOf("+16045852331", 9)).toBe(1);
    expect(seen.size).toBe(2);
  });

  it("firstRowOf: the longest E.164 numbers (15 digits) stay distinct", () => {
    const seen = new RecipientSet();
    expect(seen.firstRowOf("+999999999999999", 1)).toBeUndefined();
    expect(seen.firstRowOf("+999999999999998", 2)).toBeUndefined();
    expect(seen.firstRowOf("+999999999999999", 3)).toBe(1);
  });

  it("rowOf: finds what was added and adds nothing itself", () => {
    const set = new RecipientSet();
    expect(set.rowOf("+16045852331")).toBeUndefined();
    expect(set.rowOf("not a number")).toBeUndefined();
    expect(set.size).toBe(0);
    set.firstRowOf("+16045852331", 7);
    set.firstRowOf("not a number", 9);
    expect([set.rowOf("+16045852331"), set.rowOf("not a number"), set.rowOf("+16045852332"), set.size]).toEqual([7, 9, undefined, 2]);
    // A lookup that misses leaves the set as it was: the number is still new afterwards.
    expect(set.firstRowOf("+16045852332", 11)).toBeUndefined();
  });

  it("firstRowOf: anything that is not E.164 is still tracked exactly", () => {
    const seen = new RecipientSet();
    expect(seen.firstRowOf("+0123", 1)).toBeUndefined();
    expect(seen.firstRowOf("+1234567890123456", 2)).toBeUndefined();
    expect(seen.firstRowOf("+0123", 3)).toBe(1);
    expect(seen.firstRowOf("+1234567890123456", 4)).toBe(2);
  });

  it("firstRowOf: 200,000 numbers through several table growths, each repeat found", () => {
    const seen = new RecipientSet();
    let added = 0;
    for (let i = 0; i < 200_000; i++) if (seen.firstRowOf(`+1604${2_000_000 + i * 37}`, i + 1) === undefined) added++;
    expect(added).toBe(200_000);
    expect(seen.size).toBe(200_000);
    const wrong: number[] = [];
    for (let i = 0; i < 200_000; i += 7) if (seen.firstRowOf(`+1604${2_000_000 + i * 37}`, 0) !== i + 1) wrong.push(i);
    expect(wrong).toEqual([]);
  });

  it("reserve: room made at once keeps every number and row; rows past 2^32 - 1 come back as 0", () => {
    const seen = new RecipientSet();
    seen.reserve(50_000);
    const repeats: number[] = [];
    for (let i = 0; i < 50_000; i++) if (seen.firstRowOf(`+4474${10_000_000 + i}`, i + 1) !== undefined) repeats.push(i);
    expect(repeats).toEqual([]);
    seen.reserve(10); // never shrinks
    expect(seen.firstRowOf("+447410000000", 0)).toBe(1);
    expect(seen.firstRowOf("+447410049999", 0)).toBe(50_000);
    expect(seen.firstRowOfValue(16045550100, 2 ** 32 + 5)).toBeUndefined();
    expect(seen.firstRowOfValue(16045550100, 7)).toBe(0);
    expect(seen.size).toBe(50_001);
  });
});

describe("RecipientSet against a plain Map", () => {
  /** What RecipientSet promises, done the obvious way. */
  const firstRowIn = (map: Map<number, number>, key: number, row: number): number | undefined => {
    const first = map.get(key);
    if (first === undefined) map.set(key, row >= 1 && row < 2 ** 28 - 1 ? row : 0);
    return first;
  };

  it("property: any mix of new and repeated numbers, through the tables' growth, gives the Map's answers", () => {
    // Keys from a narrow range repeat often; keys from the whole 15-digit range test the bits kept.
    const key = fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 999_999_999_999_999 }), fc.constantFrom(1, 999_999_999_999_999, 2 ** 49, 2 ** 49 + 1));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.oneof(fc.integer({ min: 1, max: 5_000_000 }), fc.integer({ min: 0, max: 2 ** 32 + 10 }))), { maxLength: 6000 }), (steps) => {
        const seen = new RecipientSet();
        const map = new Map<number, number>();
        for (const [k, row] of steps) {
          const expected = firstRowIn(map, k, row);
          if (seen.firstRowOfValue(k, row) !== expected) return false;
        }
        return seen.size === map.size;
      }),
      { numRuns: 60 },
    );
  });

  it("200,000 numbers that share all but their first digits or all but their last stay distinct, each with its row", () => {
    // Keys that differ only in a few high or low bits are where a scrambled key could collide.
    const seen = new RecipientSet();
    const keys: number[] = [];
    for (let i = 0; i < 100_000; i++) keys.push(447_400_000_000 + i, (i + 1) * 2 ** 30 + 7);
    const repeats = keys.filter((key, i) => seen.firstRowOfValue(key, i + 1) !== undefined);
    expect(repeats).toEqual([]);
    expect(seen.size).toBe(200_000);
    const wrong = keys.filter((key, i) => seen.firstRowOfValue(key, 1) !== i + 1);
    expect(wrong).toEqual([]);
  });

  it("600,000 numbers: at most 12.5 bytes each at any point past 300,000, and 11.5 or fewer at the end", () => {
    const seen = new RecipientSet();
    let most = 0;
    for (let i = 1; i <= 600_000; i++) {
      seen.firstRowOfValue(4_915_120_000_000 + i * 13, i);
      // Just after the tables have grown, they are least full: that is the most per number.
      if (i >= 300_000 && i % 4096 === 0) most = Math.max(most, seen.tableBytes / i);
    }
    expect(seen.size).toBe(600_000);
    expect(most).toBeLessThan(12.5);
    expect(seen.tableBytes / 600_000).toBeLessThan(11.5);
  });

  it("rows up to 2^28 - 2 are kept exactly; a later row, or row 0, comes back as 0 (not kept)", () => {
    const seen = new RecipientSet();
    const rows = [1, 2 ** 26, 2 ** 28 - 2, 2 ** 28 - 1, 2 ** 32, 0];
    rows.forEach((row, i) => expect(seen.firstRowOfValue(16_045_550_100 + i, row)).toBeUndefined());
    expect(rows.map((_, i) => seen.firstRowOfValue(16_045_550_100 + i, 5))).toEqual([1, 2 ** 26, 2 ** 28 - 2, 0, 0, 0]);
  });

  it("a key that is no e164Value (too big, not whole, negative) is kept apart, exactly", () => {
    const seen = new RecipientSet();
    const odd = [2 ** 50, 2 ** 53 + 2, 1.5, -3, Number.NaN];
    odd.forEach((key, i) => expect(seen.firstRowOfValue(key, i + 1)).toBeUndefined());
    expect(seen.firstRowOfValue(0, 9)).toBeUndefined();
    expect(odd.map((key) => seen.firstRowOfValue(key, 99))).toEqual([1, 2, 3, 4, 5]);
    expect(seen.firstRowOfValue(2 ** 50 - 1, 10)).toBeUndefined();
    expect(seen.size).toBe(7);
  });
});
