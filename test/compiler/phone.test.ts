import { getCountries, getExampleNumber, parsePhoneNumberFromString } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import { describe, expect, it } from "vitest";
import { normalizePhone } from "../../src/compiler/phone.js";

describe("normalizePhone", () => {
  const cases: Array<[string, string, { number?: string; problem?: string }]> = [
    ["phone: formatted North American number", "+1 (604) 585-2331", { number: "+16045852331" }],
    ["phone: already E.164", "+16045852331", { number: "+16045852331" }],
    ["phone: dots and spaces", "+44 7911.123.456", { number: "+447911123456" }],
    ["phone: surrounding spaces", "  +5511987654321 ", { number: "+5511987654321" }],
    ["phone: national prefix in brackets", "+44 (0) 7911 123456", { number: "+447911123456" }],
    ["phone: no plus sign", "16045852331", { problem: '"•••31" is not in international format: start it with + and the country code' }],
    ["phone: empty", "   ", { problem: "phone number is empty" }],
    ["phone: not a number", "+call me", { problem: '"•••" is not a phone number' }],
    ["phone: fictional 555 number", "+1 555 555 5555", { problem: '"+1555•••5555" is not a valid phone number for its country code' }],
    ["phone: unknown country code", "+999 1234 5678", { problem: '"+9991•••5678" is not a phone number' }],
    ["phone: too short", "+4479", { problem: '"•••79" is not a valid phone number for its country code' }],
  ];
  for (const [name, raw, expected] of cases) {
    it(name, () => {
      expect(normalizePhone(raw)).toEqual(expected);
    });
  }

  it("phone: agrees with libphonenumber-js (max metadata) on example numbers of every country and their mutations", () => {
    // Deterministic pseudo-random mutations (digit changes, insertions, deletions, a leading 0).
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const inputs: string[] = [];
    for (const country of getCountries()) {
      const example = getExampleNumber(country, examples);
      if (!example) continue;
      const digits = example.number.slice(1);
      inputs.push(example.number, `+${example.countryCallingCode} 0${example.nationalNumber}`);
      for (let i = 0; i < 12; i++) {
        const at = 1 + random(digits.length - 1);
        const digit = String(random(10));
        const mutated = [
          digits.slice(0, at) + digit + digits.slice(at + 1),
          digits.slice(0, at) + digit + digits.slice(at),
          digits.slice(0, at) + digits.slice(at + 1),
        ][i % 3] as string;
        inputs.push(`+${mutated}`);
      }
    }
    expect(inputs.length).toBeGreaterThan(2500);
    const disagreements = inputs.filter((input) => {
      const parsed = parsePhoneNumberFromString(input);
      const expected = parsed?.isValid() ? parsed.number : undefined;
      return normalizePhone(input).number !== expected;
    });
    expect(disagreements).toEqual([]);
  });
});
