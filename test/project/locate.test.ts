import fc from "fast-check";
import { parseDocument, stringify, Scalar } from "yaml";
import { describe, expect, test } from "vitest";
import { loadSpecSource } from "../../src/project/load.js";
import type { LoadedSpec } from "../../src/project/load.js";
import { createLocator } from "../../src/project/locate.js";

function load(source: string): LoadedSpec {
  const { spec, diagnostics } = loadSpecSource(source, "specs/m.yaml", "/p/specs/m.yaml");
  expect(diagnostics).toEqual([]);
  return spec!;
}

/** 1-based `line:col` of where `offset` of session.text maps, as a person reads it. */
function at(spec: LoadedSpec, path: (string | number)[], offset?: number): string {
  const range = spec.locate(path, offset);
  return `${range!.start.line + 1}:${range!.start.column + 1}`;
}

const header = "kind: Message\nname: m\nvars: { name: { type: string }, n: { type: number } }\n";
const textOf = (spec: LoadedSpec) => (spec.data as { session: { text: string } }).session.text;

describe("locate: offset inside a string, per scalar style", () => {
  const cases: [string, string, string][] = [
    ["plain", "session:\n  text: Hi {{name}}, bye\n", "5:12"],
    ["plain, folded over lines", "session:\n  text: Hi there\n    dear {{name}}\n", "6:10"],
    ["single-quoted with ''", "session:\n  text: 'It''s {{name}}'\n", "5:16"],
    ["single-quoted over an empty line", "session:\n  text: 'a\n\n    b {{name}}'\n", "7:7"],
    ["double-quoted with escapes", 'session:\n  text: "\\t\\"\\u00e9\\U0001F600 {{name}}"\n', "5:31"],
    ["double-quoted with an escaped line break", 'session:\n  text: "one \\\n     two {{name}}"\n', "6:10"],
    ["literal block", "session:\n  text: |\n    Hi\n      {{name}}\n", "7:7"],
    ["literal block, keep chomping", "session:\n  text: |+\n    Hi\n    {{name}}\n\n", "7:5"],
    ["literal block, explicit indentation", "session:\n  text: |2\n     Hi {{name}}\n", "6:9"],
    ["folded block", "session:\n  text: >\n    Hi\n    there {{name}}\n", "7:11"],
    ["folded block, more-indented line", "session:\n  text: >-\n    Hi\n\n      x\n    and {{name}}\n", "9:9"],
    ["flow mapping", "session: { text: \"Hi {{name}}\" }\n", "4:22"],
  ];
  for (const [style, body, expected] of cases) {
    test(`${style}`, () => {
      const spec = load(header + body);
      const offset = textOf(spec).indexOf("{{");
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(at(spec, ["session", "text"], offset)).toBe(expected);
    });
  }

  test("an offset past the end stays on the last character", () => {
    const spec = load(`${header}session:\n  text: abc\n`);
    expect(at(spec, ["session", "text"], 99)).toBe("5:11");
  });

  // Every style yaml can write, with line folding forced: each character of the parsed value
  // maps to the source character that produced it (or to the backslash of its escape).
  const styles = [Scalar.PLAIN, Scalar.QUOTE_SINGLE, Scalar.QUOTE_DOUBLE, Scalar.BLOCK_LITERAL, Scalar.BLOCK_FOLDED] as const;
  test("property: characters map back to their source, in every style", () => {
    const text = fc.stringMatching(/^[a-z{}' "\\\té\u{1F600}\n]{1,60}$/u);
    fc.assert(
      fc.property(text, fc.constantFrom(...styles), fc.integer({ min: 10, max: 40 }), (value, style, lineWidth) => {
        const source = stringify({ text: value }, { defaultStringType: style, lineWidth, minContentWidth: 0 });
        const doc = parseDocument(source, { keepSourceTokens: true });
        if (doc.errors.length > 0 || doc.toJS().text !== value) return;
        const locator = createLocator(doc, source);
        // yaml falls back to another style when the requested one cannot hold the value.
        const written = (doc.get("text", true) as Scalar).type;
        const lineStarts = [0, ...[...source.matchAll(/\n/g)].map((m) => m.index + 1)];
        for (let i = 0; i < value.length; i++) {
          const ch = value[i]!;
          if (/\s/.test(ch) || (ch >= "\ud800" && ch <= "\udfff")) continue;
          const range = locator.locate(["text"], i)!;
          const index = lineStarts[range.start.line]! + range.start.column;
          const produced = source[index];
          const ok = produced === ch || (written === Scalar.QUOTE_DOUBLE && produced === "\\");
          if (!ok) throw new Error(`${JSON.stringify(value)} as ${written}: char ${i} ${JSON.stringify(ch)} mapped to ${JSON.stringify(produced)} in ${JSON.stringify(source)}`);
        }
      }),
      { numRuns: Number(process.env.MSGC_FC_RUNS ?? 300) },
    );
  });
});

describe("locate: paths", () => {
  const source = [
    "kind: Message", //                                 1
    "name: m", //                                       2
    "session:", //                                      3
    "  text: Pick", //                                  4
    "  buttons:", //                                    5
    "    - id: a", //                                   6
    "      text: A", //                                 7
    "    - { id: b, text: B }", //                      8
    "  footer: &f Lucky", //                            9
    "template: { name: t, language: en, body: [*f] }", // 10
    "",
  ].join("\n");
  const spec = load(source);
  const table: [string, (string | number)[], string][] = [
    ["scalar value", ["session", "text"], "4:9"],
    ["block mapping held by a key: the key", ["session"], "3:1"],
    ["block sequence held by a key: the key", ["session", "buttons"], "5:3"],
    ["block mapping in a sequence: its first key", ["session", "buttons", 0], "6:7"],
    ["flow mapping: the mapping", ["session", "buttons", 1], "8:7"],
    ["inside a flow mapping", ["session", "buttons", 1, "text"], "8:22"],
    ["through an alias: the anchored value", ["template", "body", 0], "9:14"],
    ["missing field: the parent's key", ["session", "buttons", 0, "description"], "6:7"],
    ["missing top-level field: the start of the document", ["window"], "1:1"],
    ["missing nested mapping: the deepest existing key", ["session", "list", "button"], "3:1"],
    ["the root", [], "1:1"],
  ];
  for (const [what, path, expected] of table) {
    test(`${what}`, () => expect(at(spec, path)).toBe(expected));
  }

  test("locateKey: the key of the last segment", () => {
    const range = spec.locateKey(["session", "footer"])!;
    expect([range.start, range.end]).toEqual([{ line: 8, column: 2 }, { line: 8, column: 8 }]);
  });
});
