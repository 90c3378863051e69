import { describe, expect, it } from "vitest";
import { compileVars, checkVarValues, type CompiledVars } from "../../src/compiler/vars.js";
import type { VarDef } from "../../src/types/message.generated.js";

function vars(defs: Record<string, VarDef>): CompiledVars {
  const compiled = compileVars(defs, "m.yaml");
  expect(compiled.diagnostics).toEqual([]);
  return compiled.vars!;
}

const shop = vars({
  order_id: { type: "string", pattern: "^[0-9]{5,}$" },
  qty: { type: "integer", minimum: 1, maximum: 10 },
  price: { type: "number" },
  gift: { type: "boolean", required: false },
  size: { type: "string", enum: ["S", "M", "L"], default: "M" },
  note: { type: "string", required: false, maxLength: 5 },
  day: { type: "string", format: "date", required: false },
  site: { type: "string", format: "uri", required: false },
  sent: { type: "string", format: "date-time", required: false },
});

describe("checkValues from strings (CSV)", () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown> | undefined, string[]]> = [
    ["conversion: every type", { order_id: "12345", qty: "3", price: "9.5", gift: "TRUE" }, { order_id: "12345", qty: 3, price: 9.5, gift: true, size: "M" }, []],
    ["conversion: spaces around numbers", { order_id: "12345", qty: " 3 ", price: " -1e2 " }, { order_id: "12345", qty: 3, price: -100, size: "M" }, []],
    ["conversion: integer with a fraction", { order_id: "12345", qty: "3.5", price: "1" }, undefined, ['qty "3.5" is not an integer']],
    ["conversion: number with text", { order_id: "12345", qty: "3", price: "10a" }, undefined, ['price "10a" is not a number']],
    ["conversion: boolean words", { order_id: "12345", qty: "3", price: "1", gift: "yes" }, undefined, ['gift "yes" is not a boolean (true or false)']],
    ["conversion: empty cell is absent", { order_id: "12345", qty: "3", price: "1", gift: "", note: "" }, { order_id: "12345", qty: 3, price: 1, size: "M" }, []],
    ["conversion: empty cell of a required var", { order_id: "", qty: "3", price: "1" }, undefined, ["order_id is required but has no value"]],
    ["pattern: mismatch in plain words", { order_id: "12a", qty: "3", price: "1" }, undefined, ['order_id "12a" does not match ^[0-9]{5,}$']],
    ["minimum: below", { order_id: "12345", qty: "0", price: "1" }, undefined, ["qty 0 is less than the minimum 1"]],
    ["maximum: above", { order_id: "12345", qty: "11", price: "1" }, undefined, ["qty 11 is more than the maximum 10"]],
    ["enum: not listed", { order_id: "12345", qty: "1", price: "1", size: "XL" }, undefined, ['size "XL" is not one of "S", "M", "L"']],
    ["maxLength: counted in characters", { order_id: "12345", qty: "1", price: "1", note: "😀😀😀😀😀" }, { order_id: "12345", qty: 1, price: 1, size: "M", note: "😀😀😀😀😀" }, []],
    ["maxLength: too long", { order_id: "12345", qty: "1", price: "1", note: "abcdef" }, undefined, ['note "abcdef" is 6 characters; at most 5 allowed']],
    ["format: date", { order_id: "12345", qty: "1", price: "1", day: "2026-02-30" }, undefined, ['day "2026-02-30" is not a valid date (YYYY-MM-DD)']],
    ["format: uri", { order_id: "12345", qty: "1", price: "1", site: "not a uri" }, undefined, ['site "not a uri" is not a valid URI']],
    ["format: date-time", { order_id: "12345", qty: "1", price: "1", sent: "2026-05-01T10:00:00Z" }, { order_id: "12345", qty: 1, price: 1, size: "M", sent: "2026-05-01T10:00:00Z" }, []],
    ["several problems: all reported", { order_id: "1", qty: "x", price: "1" }, undefined, ['qty "x" is not an integer', 'order_id "1" does not match ^[0-9]{5,}$']],
  ];
  for (const [name, raw, values, messages] of cases) {
    it(name, () => {
      const result = checkVarValues(shop, raw, true);
      expect(result.problems.map((p) => p.message)).toEqual(messages);
      expect(result.values === undefined ? undefined : { ...result.values }).toEqual(values);
    });
  }
});

describe("checkValues from JSON (samples, NDJSON)", () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ["type: string given a number", { order_id: 12345, qty: 1, price: 1 }, ["order_id 12345 is not a string"]],
    ["type: integer given a string", { order_id: "12345", qty: "1", price: 1 }, ['qty "1" is not an integer']],
    ["type: integer given a fraction", { order_id: "12345", qty: 1.5, price: 1 }, ["qty 1.5 is not an integer"]],
    ["null: is absent", { order_id: "12345", qty: 1, price: 1, note: null }, []],
    ["empty string: is a value in JSON", { order_id: "12345", qty: 1, price: 1, note: "" }, []],
    ["unknown: undeclared input", { order_id: "12345", qty: 1, price: 1, colour: "red" }, ["colour is not a declared var"]],
  ];
  for (const [name, raw, messages] of cases) {
    it(name, () => {
      expect(checkVarValues(shop, raw, false).problems.map((p) => p.message)).toEqual(messages);
    });
  }

  it("fallback: campaign constants fill absent values, a value given wins", () => {
    const result = checkVarValues(shop, { order_id: "12345", qty: "2", price: "1", size: "" }, true, { fallback: { size: "L", note: "hi" } });
    expect({ ...result.values }).toEqual({ order_id: "12345", qty: 2, price: 1, size: "L", note: "hi" });
    const given = checkVarValues(shop, { order_id: "12345", qty: "2", price: "1", note: "yo" }, true, { fallback: { note: "hi" } });
    expect(given.values?.note).toBe("yo");
  });
});

describe("var definitions", () => {
  const cases: Array<[string, Record<string, VarDef>, Array<[string, string]>]> = [
    ["name: helper name", { date: { type: "string" } }, [["vars.date", '"date" cannot be a var name: it is a helper or a reserved word in templates']]],
    ["name: reserved word", { this: { type: "string" } }, [["vars.this", '"this" cannot be a var name: it is a helper or a reserved word in templates']]],
    ["name: inherited object member", { toString: { type: "string" } }, [["vars.toString", '"toString" cannot be a var name: it is a helper or a reserved word in templates']]],
    ["maxLength: on a number", { n: { type: "number", maxLength: 3 } }, [["vars.n.maxLength", "maxLength applies only to string vars; n is number"]]],
    ["minimum: on a string", { s: { type: "string", minimum: 3 } }, [["vars.s.minimum", "minimum applies only to number and integer vars; s is string"]]],
    ["minLength: above maxLength", { s: { type: "string", minLength: 5, maxLength: 3 } }, [["vars.s.minLength", "minLength 5 is greater than maxLength 3"]]],
    ["pattern: invalid", { s: { type: "string", pattern: "(" } }, [["vars.s.pattern", "pattern ( is not a valid regular expression"]]],
    ["default: wrong type", { n: { type: "integer", default: 1.5 } }, [["vars.n.default", "default 1.5 is not an integer"]]],
    ["default: breaks the pattern", { s: { type: "string", pattern: "^a", default: "b" } }, [["vars.s.default", 'default: s "b" does not match ^a']]],
    ["enum: wrong type", { b: { type: "boolean", enum: [true, "no"] } }, [["vars.b.enum.1", 'enum value "no" is not a boolean']]],
  ];
  for (const [name, defs, expected] of cases) {
    it(name, () => {
      const result = compileVars(defs, "m.yaml");
      expect(result.vars).toBeUndefined();
      expect(result.diagnostics.map((d) => [d.path.join("."), d.message])).toEqual(expected);
      expect(result.diagnostics.every((d) => d.code === "var-definition-invalid")).toBe(true);
    });
  }
});
