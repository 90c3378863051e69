/**
 * Arbitrary and hostile YAML never crashes the loader: every input ends in diagnostics or a
 * spec, and within a time bound. Sizes are kept small enough for the suite to stay fast; the
 * deterministic cases at the end cover the large ones.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DIAGNOSTIC_CODES } from "../../src/diagnostics.js";
import { loadSpecSource } from "../../src/project/load.js";

/** Generous for a slow CI machine; a hang or a quadratic blow-up is far beyond it. */
const BOUND_MS = 2000;

function loadTimed(source: string): { ms: number; codes: string[]; ok: boolean } {
  const started = performance.now();
  const { spec, diagnostics } = loadSpecSource(source, "specs/x.yaml", "/p/specs/x.yaml");
  const ms = performance.now() - started;
  for (const d of diagnostics) {
    expect(DIAGNOSTIC_CODES).toContain(d.code);
    expect(d.range).toBeDefined();
    expect(d.message).not.toMatch(/must NOT|must match|should be|#\/definitions/);
  }
  expect(spec !== undefined || diagnostics.length > 0).toBe(true);
  return { ms, codes: diagnostics.map((d) => d.code), ok: spec !== undefined };
}

/** Any code points (lone surrogates included), YAML's special characters made frequent. */
const anyText = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0x10ffff }), fc.constantFrom(..."\n\t\r :-[]{},&*!|>'\"#%@`?".split("").map((c) => c.codePointAt(0)!))), {
    maxLength: 300,
  })
  .map((codes) => String.fromCodePoint(...codes));

const yamlPieces = fc.constantFrom(
  "kind: Message\n", "kind: Campaign\n", "name: x\n", "session:\n", "  text: ", "{{name}}", "[", "]", "{", "}", ",",
  "&a ", "*a ", "&b ", "*b ", "!!binary ", "!tag ", "!<x> ", "<<: ", "- ", "? ", ": ", "'", '"', "\\", "|", ">-\n",
  "\n", "  ", "    ", "#", "---\n", "...\n", "%YAML 1.2\n", "\t", "\0", "\uFEFF", "\r\n", "é", "\u{1F600}", "null", "~", "1e999",
);

describe("hostile input never crashes or hangs the loader", () => {
  test("property: arbitrary strings", () => {
    fc.assert(
      fc.property(anyText, (source) => {
        expect(loadTimed(source).ms).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 300 },
    );
  });

  test("property: YAML token soup", () => {
    fc.assert(
      fc.property(fc.array(yamlPieces, { maxLength: 120 }), (pieces) => {
        expect(loadTimed(pieces.join("")).ms).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 250 },
    );
  });

  test("property: binary junk", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(loadTimed(Buffer.from(bytes).toString("utf8")).ms).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 100 },
    );
  });

  test("property: deep nesting of every kind is refused quickly", () => {
    const opener = fc.constantFrom("[", "{a: ", "- ", "? ", "[{", "- [");
    fc.assert(
      fc.property(opener, fc.integer({ min: 65, max: 20_000 }), (open, depth) => {
        const { ms, codes } = loadTimed(`kind: Message\nname: x\ncallbackData: ${open.repeat(depth)}1\n`);
        // Refused either for its depth or, when the brackets alone are too many, for its size.
        expect(["yaml-syntax", "file-too-large"]).toContain(codes[0]);
        expect(ms).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 30 },
    );
  });

  test("property: alias fan-out (billion laughs) is alias-limit, quickly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 12 }), fc.integer({ min: 10, max: 30 }), (levels, fanOut) => {
        let source = `kind: Message\nname: x\nl0: &l0 [${Array(fanOut).fill('"lol"').join(",")}]\n`;
        for (let i = 1; i < levels; i++) source += `l${i}: &l${i} [${Array(fanOut).fill(`*l${i - 1}`).join(",")}]\n`;
        const { ms, codes } = loadTimed(source);
        expect(codes).toEqual(["alias-limit"]);
        expect(ms).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 20 },
    );
  });

  test("nesting: an indented block tower as deep as 1 MiB allows", () => {
    const lines: string[] = [];
    for (let i = 0; i < 1400; i++) lines.push(`${" ".repeat(i)}a:`);
    const { ms, codes } = loadTimed(`${lines.join("\n")} 1\n`);
    expect(codes).toEqual(["yaml-syntax"]);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  test("nesting: 64 levels are still read", () => {
    const { codes } = loadTimed(`kind: Message\nname: x\nsession: { text: Hi, callbackData: ${"[".repeat(60)}1${"]".repeat(60)} }\n`);
    expect(codes).toEqual([]);
  });

  test("size: a 1 MB line under the cap is read, one over it is refused", () => {
    const under = loadTimed(`kind: Message\nname: x\ndescription: ${"x".repeat(1_000_000)}\nsession: { text: Hi }\n`);
    expect(under).toMatchObject({ ok: true });
    expect(under.ms).toBeLessThan(BOUND_MS);
    const over = loadTimed(`kind: Message\nname: x\ndescription: ${"é".repeat(600_000)}\n`);
    expect(over.codes).toEqual(["file-too-large"]);
  });

  test("size: a MiB of brackets, of aliases or of list items ends quickly", () => {
    const cases: [string, string][] = [
      ["[".repeat(1_000_000), "file-too-large"],
      [`a: &a [1]\nb: [${"*a,".repeat(300_000)}]\n`, "file-too-large"],
      ["- x\n".repeat(250_000), "file-too-large"],
      ["- ".repeat(500_000), "yaml-syntax"],
      // yaml takes seconds over a MiB of blank lines, and the locator reads the file again.
      [`kind: Message\nname: x\n${"\n".repeat(1_000_000)}z: 1\n`, "file-too-large"],
      [`kind: Message\nname: x\n${"  \n".repeat(300_000)}`, "file-too-large"],
    ];
    for (const [source, code] of cases) {
      const { ms, codes } = loadTimed(source);
      expect(codes).toEqual([code]);
      expect(ms).toBeLessThan(BOUND_MS);
    }
  });

  test("size: 10,000 list items (the most allowed) end within the bound", () => {
    const { ms, ok } = loadTimed(`kind: Message\nname: x\nsession: { text: Hi, callbackData: [${"1,".repeat(9_990)}1] }\n`);
    expect(ok).toBe(true);
    // The slowest shape yaml parses, at the cap: linear, about 0.1-0.5 s on a busy 2-core box.
    expect(ms).toBeLessThan(BOUND_MS * 2);
  });
});
