import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileText, type VarInfo } from "../../src/compiler/interpolation.js";

// A zone other than UTC, so that any reading of dates in local time shows (forks isolate it).
process.env.TZ = "America/Los_Angeles";

const vars = new Map<string, VarInfo>([
  ["first_name", { optional: false }],
  ["order_id", { optional: false }],
  ["amount", { optional: false }],
  ["coupon", { optional: true }],
]);
const ctx = { file: "m.yaml", path: ["session", "text"], vars };

function problems(source: string): Array<[string, number | undefined, string]> {
  return compileText(source, ctx).diagnostics.map((d) => [d.code, d.offset, d.message]);
}

function rendered(source: string, values: Record<string, string | number | boolean>, locale?: string): string {
  const { text, diagnostics } = compileText(source, ctx);
  expect(diagnostics).toEqual([]);
  return text!.render(values, locale);
}

describe("compileText", () => {
  const cases: Array<[string, string, Array<[string, number | undefined, string]>]> = [
    ["text: literal", "Hello there", []],
    ["text: declared vars", "Hi {{first_name}}, order {{order_id}}", []],
    ["text: unknown var with suggestion", "Hi {{firstname}}", [["unknown-variable", 3, 'Unknown variable "firstname"; did you mean "first_name"?']]],
    ["text: unknown var far from any", "{{zzz}}", [["unknown-variable", 0, 'Unknown variable "zzz"']]],
    ["text: unknown var inside helper argument", "x {{upper frist_name}}", [["unknown-variable", 2, 'Unknown variable "frist_name"; did you mean "first_name"?']]],
    ["text: unknown var inside sub-expression", "{{upper (lower ordr_id)}}", [["unknown-variable", 0, 'Unknown variable "ordr_id"; did you mean "order_id"?']]],
    ["text: nested path is not a var", "{{first_name.length}}", [["unknown-variable", 0, 'Unknown variable "first_name.length"']]],
    ["text: data var is not a var", "{{@index}}", [["unknown-variable", 0, 'Unknown variable "@index"']]],
    ["text: this is not a var", "{{this}}", [["unknown-variable", 0, 'Unknown variable "this"']]],
    ["text: parent path is not a var", "{{../first_name}}", [["unknown-variable", 0, 'Unknown variable "../first_name"; did you mean "first_name"?']]],
    ["text: unknown helper", "{{shout first_name}}", [["unknown-helper", 0, 'Unknown helper "shout"']]],
    ["text: lookup is not exposed", "{{lookup first_name 0}}", [["unknown-helper", 0, 'Unknown helper "lookup"']]],
    ["text: each block is not exposed", "{{#each first_name}}x{{/each}}", [["unknown-helper", 0, 'Unknown block helper "each"']]],
    ["text: with block is not exposed", "{{#with first_name}}x{{/with}}", [["unknown-helper", 0, 'Unknown block helper "with"']]],
    ["text: helper used as a block", "{{#upper first_name}}x{{/upper}}", [["unknown-helper", 0, 'Unknown block helper "upper"']]],
    ["text: partial", "{{> footer}}", [["template-syntax", 0, "Partials ({{> name}}) are not supported in msgc templates"]]],
    ["text: inverse section", "{{^coupon}}none{{/coupon}}", [["template-syntax", 0, "Inverse sections ({{^coupon}}) are not supported; use {{#unless coupon}}"]]],
    ["text: if without value", "{{#if}}x{{/if}}", [["template-syntax", 0, "{{#if}} takes exactly one value"]]],
    ["text: if with two values", "{{#if coupon order_id}}x{{/if}}", [["template-syntax", 0, "{{#if}} takes exactly one value"]]],
    ["text: helper with too many arguments", "{{upper first_name order_id}}", [["template-syntax", 0, "upper takes 1 argument, got 2"]]],
    ["text: number with too many arguments", "{{number amount 1 2}}", [["template-syntax", 0, "number takes 1 or 2 arguments, got 3"]]],
    ["text: unclosed mustache", "ab {{first_name", [["template-syntax", 3, "Template syntax error: this {{ … }} is not a valid mustache (expected a var name, a helper call, or a closing }})"]]],
    ["text: unclosed block", "ab {{#if coupon}}x", [["template-syntax", 3, "Template syntax error: the template ends before a {{#block}} or {{ mustache }} is closed"]]],
    ["text: mismatched block close", "ab {{#if coupon}}x{{/unless}}", [["template-syntax", 3, "Template syntax error: if doesn't match unless"]]],
    ["text: optional var unguarded", "{{coupon}}", [["optional-var-unguarded", 0, 'Optional var "coupon" is used outside an {{#if coupon}} guard and may be absent']]],
    ["text: optional var in helper unguarded", "{{upper coupon}}", [["optional-var-unguarded", 0, 'Optional var "coupon" is used outside an {{#if coupon}} guard and may be absent']]],
    ["text: optional var guarded by if", "{{#if coupon}}{{coupon}}{{/if}}", []],
    ["text: optional var in the else of if", "{{#if coupon}}a{{else}}{{coupon}}{{/if}}", [["optional-var-unguarded", 23, 'Optional var "coupon" is used outside an {{#if coupon}} guard and may be absent']]],
    ["text: optional var in the else of unless", "{{#unless coupon}}none{{else}}{{coupon}}{{/unless}}", []],
    ["text: optional var inside unless body", "{{#unless coupon}}{{coupon}}{{/unless}}", [["optional-var-unguarded", 18, 'Optional var "coupon" is used outside an {{#if coupon}} guard and may be absent']]],
    ["text: optional var with default", '{{default coupon "none"}}', []],
    ["text: optional var with default in sub-expression", '{{upper (default coupon "none")}}', []],
    ["text: escaped mustache is text", "\\{{anything}}", []],
    ["text: comment", "{{! note }}Hi", []],
  ];
  for (const [name, source, expected] of cases) {
    it(name, () => {
      expect(problems(source)).toEqual(expected);
    });
  }

  it("offset: counts CRLF and CR line breaks like one break each", () => {
    expect(problems("a\r\nb\rc {{nope}}").map((p) => p[1])).toEqual([7]);
  });
  it("did-you-mean: two swapped letters are one typo, also in a short name (nmae -> name)", () => {
    const short = { file: "m.yaml", path: ["session", "text"], vars: new Map<string, VarInfo>([["name", { optional: false }], ["city", { optional: false }]]) };
    const found = (source: string) => compileText(source, short).diagnostics.map((d) => [d.code, d.offset, d.message]);
    expect(found("Hi {{nmae}}")).toEqual([["unknown-variable", 3, 'Unknown variable "nmae"; did you mean "name"?']]);
    expect(found("{{ctiy}}")).toEqual([["unknown-variable", 0, 'Unknown variable "ctiy"; did you mean "city"?']]);
    // Two edits in a four-letter name stay too far to guess.
    expect(found("{{mnea}}")).toEqual([["unknown-variable", 0, 'Unknown variable "mnea"']]);
  });

  it("offset: second line", () => {
    expect(problems("line one\n  {{nope}}").map((p) => p[1])).toEqual([11]);
  });
});

describe("rendering", () => {
  const cases: Array<[string, string, Record<string, string | number | boolean>, string | undefined, string]> = [
    ["render: plain text is not HTML-escaped", "<b>{{first_name}}</b> & 'x'", { first_name: "A&B <i>" }, undefined, "<b>A&B <i></b> & 'x'"],
    ["render: triple stash is the same as double", "{{{first_name}}}", { first_name: "<x>" }, undefined, "<x>"],
    ["render: numbers and booleans", "{{amount}} {{order_id}}", { amount: 0, order_id: false }, undefined, "0 false"],
    ["render: whitespace control", "a  {{~first_name~}}  b", { first_name: "X" }, undefined, "aXb"],
    ["render: upper with locale", "{{upper first_name}}", { first_name: "istanbul" }, "tr", "İSTANBUL"],
    ["render: lower", "{{lower first_name}}", { first_name: "ÀB" }, undefined, "àb"],
    ["render: truncate cuts with an ellipsis", "{{truncate first_name 5}}", { first_name: "Bartholomew" }, undefined, "Bart…"],
    ["render: truncate counts code points", "{{truncate first_name 3}}", { first_name: "😀😀😀" }, undefined, "😀😀😀"],
    ["render: default when absent", '{{default coupon "none"}}', {}, undefined, "none"],
    ["render: default when present", '{{default coupon "none"}}', { coupon: "X1" }, undefined, "X1"],
    ["render: number in en", "{{number amount}}", { amount: 1234567.891 }, "en_US", "1,234,567.891"],
    ["render: number with decimals in de", "{{number amount 2}}", { amount: 1234.5 }, "de", "1.234,50"],
    ["render: currency in pt_BR", '{{currency amount "BRL"}}', { amount: 10 }, "pt_BR", "R$ 10,00"],
    ["render: date medium in en", "{{date order_id}}", { order_id: "2026-03-09" }, "en", "Mar 9, 2026"],
    ["render: date long in es", '{{date order_id "long"}}', { order_id: "2026-03-09" }, "es", "9 de marzo de 2026"],
    ["render: date-time in UTC", '{{date order_id "short"}}', { order_id: "2026-03-09T23:30:00-05:00" }, "en_GB", "10/03/2026"],
    // Read as UTC whatever the machine's zone (TZ is not UTC in the test below).
    ["render: date-time without an offset is UTC", '{{date order_id "short"}}', { order_id: "2024-01-01T23:30:00" }, "en_GB", "01/01/2024"],
    ["render: unknown locale falls back", "{{number amount}}", { amount: 1000 }, "zz_invalid_tag_", "1,000"],
  ];
  for (const [name, source, values, locale, expected] of cases) {
    it(name, () => {
      const output = rendered(source, values, locale).replace(/\u00a0|\u202f/g, " ");
      expect(output).toBe(expected);
    });
  }

  it("render: adjacent numbers are concatenated, not added (Handlebars with noEscape adds them)", () => {
    const { text } = compileText("{{#if first_name}}{{amount}}{{order_id}}{{/if}}", ctx);
    expect(text!.render({ first_name: "x", amount: 1, order_id: 2 }, undefined)).toBe("12");
  });

  it("render: a date that is not ISO 8601 (read in local time by Date.parse) is refused", () => {
    const { text } = compileText("{{date order_id}}", ctx);
    expect(() => text!.render({ order_id: "2024/01/01" }, undefined)).toThrow('date: "2024/01/01" is not a date (expected YYYY-MM-DD or an ISO 8601 date-time)');
  });

  it("render: a helper refusing its input throws a HelperError", () => {
    const { text } = compileText('{{currency amount "euro"}}', ctx);
    expect(() => text!.render({ amount: 1 }, undefined)).toThrow('currency: "euro" is not a 3-letter currency code');
  });

  it("render: the fast path gives the same output as Handlebars for plain var templates", () => {
    const piece = fc.oneof(
      fc.string({ unit: fc.constantFrom("a", " ", "\n", "<", "&", "é", "}", "{", "\\") }).filter((s) => !s.includes("{{") && !s.endsWith("{") && !s.includes("\\")),
      fc.constantFrom("{{first_name}}", "{{order_id}}", "{{ first_name }}", "{{~order_id}}", "{{first_name~}}"),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.string(), fc.oneof(fc.string(), fc.integer()), (pieces, first, order) => {
        const source = pieces.join("");
        const compiled = compileText(source, ctx);
        fc.pre(compiled.text !== undefined);
        const values = { first_name: first, order_id: order };
        const reference = compileText(source, ctx, { handlebarsOnly: true }).text!.render(values, undefined);
        expect(compiled.text!.render(values, undefined)).toBe(reference);
      }),
      { numRuns: 300 },
    );
  });
});

describe("hostile templates", () => {
  it("template: arbitrary text never throws, and every offset is inside the string", () => {
    const unit = fc.constantFrom("{{", "}}", "{", "}", "#if ", "/if", "else", "~", "!", "^", ">", "(", ")", "@", "..", "/", "\\", '"', "=", " ", "\n", "first_name", "coupon", "upper", "x", "{{{", "}}}");
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 30 }), (pieces) => {
        const source = pieces.join("");
        const result = compileText(source, ctx);
        for (const d of result.diagnostics) {
          if (d.offset !== undefined) {
            expect(d.offset).toBeGreaterThanOrEqual(0);
            expect(d.offset).toBeLessThanOrEqual(source.length);
          }
        }
        expect(result.text !== undefined).toBe(result.diagnostics.length === 0);
        if (result.text) {
          // Every compiled template renders with all vars present, or throws only our own errors.
          try {
            result.text.render({ first_name: "A", order_id: "1", amount: 1, coupon: "C" }, undefined);
          } catch (error) {
            expect((error as Error).name).toMatch(/HelperError|MissingValueError/);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
