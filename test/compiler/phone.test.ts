import fc from "fast-check";
import { getCountries, getCountryCallingCode, getExampleNumber, Metadata, parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import { describe, expect, it } from "vitest";
import { fastPathNumber, normalizePhone } from "../../src/compiler/phone.js";

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

describe("normalizePhone: the national prefix written after the country code", () => {
  /** libphonenumber's answer: the E.164 number when it is valid. */
  const libraryNumber = (input: string): string | undefined => {
    const parsed = parsePhoneNumberFromString(input);
    return parsed?.isValid() ? parsed.number : undefined;
  };
  const nationalPrefixOf = (country: CountryCode): string | undefined => {
    const metadata = new Metadata();
    metadata.selectNumberingPlan(country);
    return metadata.numberingPlan?.nationalPrefix();
  };
  const countries = getCountries().filter((country) => getExampleNumber(country, examples));

  it("phone: \"+44 (0)7400 000016\" and \"+33 (0)6 …\" are decided by the fast path, as libphonenumber decides them", () => {
    const inputs = ["+44 (0)7400 000016", "+44 (0) 7911 123456", "+440 7911 123456", "+33 (0)6 12 34 56 78", "+49 (0)1512 3456789", "+39 (0)312 345 6789", "+61 (0)4 1234 5678"];
    expect(inputs.map((input) => [input, fastPathNumber(input)])).toEqual(inputs.map((input) => [input, libraryNumber(input)]));
    expect(inputs.map(libraryNumber).every((number) => number !== undefined)).toBe(true);
  });

  it("phone: a trunk prefix the library keeps is left to the library (+39 keeps its 0, +7 strips its 8)", () => {
    // Italy has no national prefix for parsing: its 0 is part of the number; Russia's prefix is 8.
    for (const input of ["+39 06 6988 1234", "+7 8 912 345 67 89", "+7 (8) 912 345 67 89"]) {
      expect([input, normalizePhone(input).number]).toEqual([input, libraryNumber(input)]);
    }
  });

  it("property: any country's number, mutated, in any spelling with or without its prefix, gets libphonenumber's answer", () => {
    const spellings = [
      (cc: string, prefix: string, national: string) => `+${cc} (${prefix})${national}`,
      (cc: string, prefix: string, national: string) => `+${cc} (${prefix}) ${national.slice(0, 3)} ${national.slice(3)}`,
      (cc: string, prefix: string, national: string) => `+${cc}${prefix}${national}`,
      (cc: string, prefix: string, national: string) => `+${cc}-${prefix}-${national.slice(0, 2)}-${national.slice(2)}`,
      (cc: string, _prefix: string, national: string) => `+${cc} ${national}`,
    ];
    const number = fc
      .record({
        country: fc.constantFrom(...countries),
        prefix: fc.constantFrom("own", "0", "1", "8", "06", "00", ""),
        edit: fc.constantFrom("none", "change", "insert", "delete"),
        at: fc.nat(),
        digit: fc.integer({ min: 0, max: 9 }),
        spelling: fc.nat(spellings.length - 1),
      })
      .map(({ country, prefix, edit, at, digit, spelling }) => {
        const national = getExampleNumber(country, examples)!.nationalNumber as string;
        const i = at % (national.length + 1);
        const mutated = edit === "change" ? national.slice(0, i) + digit + national.slice(i + 1) : edit === "insert" ? national.slice(0, i) + digit + national.slice(i) : edit === "delete" ? national.slice(0, i) + national.slice(i + 1) : national;
        const written = prefix === "own" ? (nationalPrefixOf(country) ?? "0") : prefix;
        return spellings[spelling]!(getCountryCallingCode(country), written, mutated);
      });
    fc.assert(
      fc.property(number, (input) => normalizePhone(input).number === libraryNumber(input)),
      { numRuns: 5_000 },
    );
  });
});
