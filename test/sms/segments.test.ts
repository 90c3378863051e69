import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countFast, countSegments, countWithLibrary, lookalikesOnly } from "../../src/compiler/segments.js";

const basic = "abcXYZ019 @£$_ΔΩ!?\n\r.,'\"";
const extended = "[]{}|^~€\\\f";
const ucs2 = "’“”–—…\u00a0éÇçñ中文Яж🙂👍🏽é\u0301\u200d가각\u1100\u11a8🌷🫠🇫🇷👩‍💻\ufe0f🀄𝄞";

function textFrom(alphabet: string, maxLength: number): fc.Arbitrary<string> {
  const chars = [...alphabet];
  return fc.array(fc.constantFrom(...chars), { maxLength }).map((parts) => parts.join(""));
}

describe("countSegments", () => {
  it.each([
    ["160 GSM-7 characters", "a".repeat(160), { segments: 1, encoding: "GSM-7", characters: 160 }],
    ["161 GSM-7 characters", "a".repeat(161), { segments: 2, encoding: "GSM-7", characters: 161 }],
    ["306 GSM-7 characters", "a".repeat(306), { segments: 2, encoding: "GSM-7", characters: 306 }],
    ["307 GSM-7 characters", "a".repeat(307), { segments: 3, encoding: "GSM-7", characters: 307 }],
    ["70 UCS-2 characters", "я".repeat(70), { segments: 1, encoding: "UCS-2", characters: 70 }],
    ["71 UCS-2 characters", "я".repeat(71), { segments: 2, encoding: "UCS-2", characters: 71 }],
    ["an extended character at the 160th septet", "a".repeat(159) + "€", { segments: 2, encoding: "GSM-7", characters: 161 }],
    ["an extended character straddling 153", "a".repeat(152) + "{" + "a".repeat(10), { segments: 2, encoding: "GSM-7", characters: 164 }],
    ["one emoji", "Hi 🙂", { segments: 1, encoding: "UCS-2", characters: 4 }],
    ["an emoji at the UCS-2 boundary", "я".repeat(66) + "🙂" + "я".repeat(10), { segments: 2, encoding: "UCS-2", characters: 77 }],
    ["CRLF", "Line one\r\nLine two", { segments: 1, encoding: "GSM-7", characters: 18 }],
    ["one curly quote", "It’s " + "a".repeat(100), { segments: 2, encoding: "UCS-2", characters: 105 }],
  ])("%s", (_label, text, expected) => {
    expect(countSegments(text)).toEqual(expected);
    expect(countWithLibrary(text)).toEqual(expected);
  });

  it("the fast path answers as the library does, over generated text", () => {
    const texts = fc.oneof(
      textFrom(basic, 400),
      textFrom(basic + extended, 400),
      textFrom(basic + extended + ucs2, 250),
      textFrom("я🙂🌷a", 200),
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({ unit: "grapheme", maxLength: 150 }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const fast = countFast(text);
        if (fast) expect(fast).toEqual(countWithLibrary(text));
      }),
      { numRuns: 3000 },
    );
  });

  it("a huge text that needs the grapheme rules is counted without the library (no quadratic time)", () => {
    const text = "👍🏽".repeat(50_000);
    expect(countFast(text)).toBeUndefined();
    expect(countSegments(text)).toEqual({ segments: Math.ceil(200_000 / 66), encoding: "UCS-2", characters: 100_000 });
  });

  it("common texts take the fast path", () => {
    expect(countFast("Hi Ana! Your order is ready at Main St. Reply STOP to opt out.")).toBeDefined();
    expect(countFast("Привет, Анна! Ваш заказ готов.")).toBeDefined();
    expect(countFast("{code} is your code €")).toBeDefined();
    expect(countFast("Zoë 🌷 " + "я".repeat(80) + " 🙂")).toBeDefined();
  });
});

describe("lookalikesOnly", () => {
  it("names the look-alikes and the GSM-7 segments", () => {
    expect(lookalikesOnly("It’s “ready” – " + "a".repeat(150))).toEqual({
      chars: [
        { char: "’", index: 2 },
        { char: "“", index: 5 },
        { char: "”", index: 11 },
        { char: "–", index: 13 },
      ],
      gsmSegments: 2,
    });
    expect(lookalikesOnly("It’s 🙂")).toBeUndefined();
    expect(lookalikesOnly("plain")).toBeUndefined();
  });
});
