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
});
