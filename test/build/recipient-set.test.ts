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
    for (let i = 0; i < 50_000; i++) expect(seen.firstRowOf(`+4474${10_000_000 + i}`, i + 1)).toBeUndefined();
    seen.reserve(10); // never shrinks
    expect(seen.firstRowOf("+447410000000", 0)).toBe(1);
    expect(seen.firstRowOf("+447410049999", 0)).toBe(50_000);
    expect(seen.firstRowOfValue(16045550100, 2 ** 32 + 5)).toBeUndefined();
    expect(seen.firstRowOfValue(16045550100, 7)).toBe(0);
    expect(seen.size).toBe(50_001);
  });
});
