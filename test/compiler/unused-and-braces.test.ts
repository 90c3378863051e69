/**
 * Two warnings for mistakes that compile but send the wrong thing: a declared var no form uses
 * (`unused-variable`), and `{name}` in single braces (`single-brace`), sent as written.
 */
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { findSingleBraces } from "../../src/compiler/interpolation.js";
import { compileMessage } from "../../src/compiler/message.js";
import type { MessageSpec } from "../../src/types/message.generated.js";

function warnings(yaml: string): Array<[string, unknown, number | undefined, string, string | undefined]> {
  const { message, diagnostics } = compileMessage(YAML.parse(yaml) as MessageSpec, "m.yaml");
  expect(message).toBeDefined();
  return diagnostics.map((d) => [d.code, d.path, d.offset, d.message, d.hint]);
}

const head = "kind: Message\nname: m\nwindow: session\n";

describe("unused-variable", () => {
  it("a declared var that no form uses: a warning at vars.<name>, saying inputs still need it when it is required", () => {
    expect(warnings(`${head}vars:\n  name: { type: string }\n  city: { type: string }\n  note: { type: string, required: false }\nsession:\n  text: "Hi {{name}}"\n`)).toEqual([
      [
        "unused-variable",
        ["vars", "city"],
        undefined,
        'Var "city" is declared but no form uses it',
        "use it as {{city}}, or remove it from vars; until then every sample, audience row and --var must give it a value",
      ],
      ["unused-variable", ["vars", "note"], undefined, 'Var "note" is declared but no form uses it', "use it as {{note}}, or remove it from vars"],
    ]);
  });

  it("a var used anywhere counts: an {{#if}} condition, a helper argument, a locale override, a template parameter, callbackData", () => {
    const spec = `kind: Message
name: m
vars:
  a: { type: string, required: false }
  b: { type: string }
  c: { type: string }
  d: { type: string }
  e: { type: string }
session:
  text: "{{#if a}}yes{{/if}} {{upper b}}"
  callbackData: { ref: "{{e}}" }
template:
  name: t
  language: en
  body: ["{{d}}"]
locales:
  es: { session: { text: "{{c}} {{b}} {{e}}" } }
`;
    expect(warnings(spec)).toEqual([]);
  });
});

describe("single-brace", () => {
  it("{name} of a declared var: one warning per text, at the first brace, with the {{name}} to write and a count of the others", () => {
    expect(warnings(`${head}vars:\n  name: { type: string }\nsession:\n  text: "Hi {{name}}, {name} and { name }"\n`)).toEqual([
      [
        "single-brace",
        ["session", "text"],
        13,
        '"{name}" has single braces, so it is sent as written; write {{name}} to insert the var name (and 1 more in this text)',
        "vars are inserted with two braces on each side: {{name}}",
      ],
    ]);
    expect(warnings(`${head}vars:\n  name: { type: string }\nsession:\n  text: "Hi { name }"\n`).filter(([code]) => code === "single-brace").map(([, , offset, message]) => [offset, message])).toEqual([
      [3, '"{ name }" has single braces, so it is sent as written; write {{name}} to insert the var name'],
    ]);
  });

  it("one brace missing on one side, and a name that is not declared", () => {
    const found = (text: string) => warnings(`${head}session:\n  text: "${text}"\n`).map(([code, , offset, message, hint]) => [code, offset, message, hint]);
    expect(found("Code {order}} now")).toEqual([["single-brace", 5, '"{order}}" has single braces, so it is sent as written', "to insert a var, write {{name}} and declare it under vars:"]]);
    expect(found("Use {coupon}")).toEqual([["single-brace", 4, '"{coupon}" has single braces, so it is sent as written', "to insert a var, write {{name}} and declare it under vars:"]]);
  });

  it("hostile text: a megabyte of braces, or of {a}, is read once and gives one warning", () => {
    // Far over WhatsApp's 4096 characters too: text-too-long is the error, this the one warning.
    const braceWarnings = (text: string) =>
      compileMessage({ kind: "Message", name: "m", window: "session", session: { text } } as MessageSpec, "m.yaml")
        .diagnostics.filter((d) => d.code === "single-brace")
        .map((d) => [d.offset, d.message]);
    // A run of braces is not valid Handlebars, so only the scanner itself can meet one.
    const ctx = { file: "m.yaml", path: ["session", "text"], vars: new Map() };
    expect(findSingleBraces(`${"{".repeat(1 << 20)}!`, ctx)).toEqual([]);
    const run = `${"{".repeat(1 << 20)}a}`;
    expect(findSingleBraces(run, ctx).map((d) => [d.offset, d.message])).toEqual([
      [0, `"${"{".repeat(39)}…" has single braces, so it is sent as written`],
    ]);
    expect(braceWarnings("{a}".repeat(300_000))).toEqual([[0, '"{a}" has single braces, so it is sent as written (and 299999 more in this text)']]);
  });

  it("not a var name in braces: no warning ({{var}}, {{{var}}}, {SPRING10}, {}, JSON-like text)", () => {
    expect(warnings(`${head}vars:\n  name: { type: string }\nsession:\n  text: "{{name}} {{{name}}} {SPRING10} {} {\\"a\\": 1} {1}"\n`)).toEqual([]);
  });

  it("a literal field with single braces is found too (no {{ in it at all)", () => {
    expect(warnings(`${head}session:\n  text: "Hi {first_name}"\n`).map(([code, path, offset]) => [code, path, offset])).toEqual([["single-brace", ["session", "text"], 3]]);
  });
});
