/**
 * The fast YAML path (src/project/yaml-fast.ts) against its reference, the `yaml` library with
 * the loader's options: whenever the fast path returns a value, yaml reads the same text as one
 * document, without error, to a deeply equal value (same keys in the same order, -0 and NaN
 * told apart). It may decline anything; the tests also check that it does not decline what specs
 * are made of, or the property would hold of a fast path that never answers.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { describe, expect, test } from "vitest";
import { parseYamlFastOrDecline } from "../../src/project/yaml-fast.js";

const root = join(import.meta.dirname, "..", "..");
/** A longer hunt: YAML_FAST_RUNS=200000 YAML_FAST_SEED=7 npx vitest run test/project/yaml-fast.test.ts */
const RUNS = Number(process.env.YAML_FAST_RUNS ?? 3000);
const SEED = process.env.YAML_FAST_SEED === undefined ? undefined : Number(process.env.YAML_FAST_SEED);

/** yaml's reading: the value, or undefined when it reports an error or holds other than one document. */
function reference(source: string): { value: unknown } | undefined {
  const docs = parseAllDocuments(source, { version: "1.2", schema: "core", merge: false, uniqueKeys: true, prettyErrors: false, strict: true });
  if (!Array.isArray(docs) || docs.length !== 1 || docs[0]!.errors.length > 0) return undefined;
  try {
    return { value: docs[0]!.toJS({ maxAliasCount: 100 }) };
  } catch {
    return undefined; // an alias bomb: the loader reports alias-limit
  }
}

/** The first difference between two values, as a path and a reason; undefined when equal. */
function difference(a: unknown, b: unknown, path = "$"): string | undefined {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} (${typeof a}) vs ${String(b)} (${typeof b})`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: list vs mapping`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.join("\u0000") !== keysB.join("\u0000")) return `${path}: keys ${JSON.stringify(keysA)} vs ${JSON.stringify(keysB)}`;
  for (const key of keysA) {
    const found = difference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

/** The property: declined, or read as yaml reads it. True when the fast path answered. */
function agrees(source: string): boolean {
  const fast = parseYamlFastOrDecline(source);
  if (fast === undefined) return false;
  const ref = reference(source);
  if (ref === undefined) throw new Error(`fast path read text that yaml rejects:\n${source}`);
  const found = difference(fast, ref.value);
  if (found) throw new Error(`fast path and yaml differ at ${found}:\n${source}`);
  return true;
}

// ------------------------------------------------------------------ generated documents

/** Strings that resolve to something else, or need quoting, or break plain style. */
const TRICKY = [
  "", " ", "a", "Hello there", "Hi {{first_name}}!", "{{1}}", "{{ name }}", "*bold* _it_", "~", "null", "Null", "NULL", "nUll", "true", "True", "TRUE", "tRue",
  "false", "no", "yes", "on", "y", "0", "-0", "+0", "007", "12", "+12", "-12", "1_000", "0o17", "0o8", "0x1F", "0xG", "0b101", "1e3", "1E-3", "-1.5e+3", "1.", ".5",
  "-.5", "1.0", "1.50", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "nan", "Infinity", "99999999999999999999", "3:25", "1:2:3", "a: b", "a:b", "a :b", "a #b",
  "a#b", "#x", "- x", "-x", "-", "--", "---", "...", "? x", "?x", ":x", ": x", "[x]", "x]", "{x}", "x}", "a, b", "'q'", "it's", '"dq"', 'say "hi"', "&amp", "*star",
  "!bang", "%pct", "@at", "`tick", "|pipe", ">gt", "trail ", " lead", "two  spaces", "back\\slash", "é", "日本語", "🎉 party", "<<", "__proto__", "constructor",
  "toString", "line\nbreak", "two\n\nbreaks", "ends\n", "x\n\n", " indented\nline", "tab\there", "nul\u0000", "bell\u0007", "nbsp\u00a0", "ls\u2028", "https://t.example/track/{{1}}",
];
const KEYS = ["kind", "name", "text", "body", "en_US", "es", "1", "1.0", "0x1F", "true", "~", "null", "a b", "a:b", "é", "<<", "__proto__", "constructor", "k-1", "-k", "?k", "x#y", "'k'", "k "];

type Tree = string | number | boolean | null | Tree[] | { [key: string]: Tree };

const scalar: fc.Arbitrary<Tree> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(..."ab :-#'\"[]{},&*!|>%@`?\\\n é{}1.0".split("")), maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: -1e6, max: 1e6 }) },
  { weight: 1, arbitrary: fc.double({ noDefaultInfinity: false }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

const { tree } = fc.letrec<{ tree: Tree; map: Tree; seq: Tree }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("map"), tie("seq")),
  map: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.stringMatching(/^[a-z_]{1,8}$/)), tie("tree"), { maxKeys: 5 }),
  seq: fc.array(tie("tree"), { maxLength: 4 }),
}));
const rootMap = fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.stringMatching(/^[a-z_]{1,8}$/)), tree, { minKeys: 1, maxKeys: 6 });

/** A seeded generator of style choices: the emitter writes the same tree many ways. */
function chooser(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}

function doubleQuote(s: string, pick: (n: number) => number): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || pick(8) === 0) {
      const form = pick(3);
      out += code > 0xffff ? `\\U${code.toString(16).padStart(8, "0")}` : form === 0 && code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** A scalar in some style: plain (as written, right or wrong), quoted, or a block scalar. */
function scalarText(value: Tree, indent: number, pick: (n: number) => number): string {
  if (value === null) return ["null", "~", "", "Null", "NULL"][pick(5)]!;
  if (typeof value === "boolean") return value ? ["true", "True", "TRUE"][pick(3)]! : ["false", "False", "FALSE"][pick(3)]!;
  if (typeof value === "number") return Number.isNaN(value) ? ".nan" : value === Infinity ? ".inf" : value === -Infinity ? "-.Inf" : pick(4) === 0 ? JSON.stringify(String(value)) : String(value);
  const s = value as string;
  const style = pick(s.includes("\n") ? 3 : 6);
  if (style === 0 || (s.includes("\n") && style === 1)) {
    const folded = pick(2) === 0;
    const chomp = ["", "-", "+"][pick(3)]!;
    const pad = " ".repeat(indent + 1 + pick(3));
    const lines = s.split("\n").map((l) => (l === "" ? "" : pad + l));
    return `${folded ? ">" : "|"}${chomp}\n${lines.join("\n")}`;
  }
  if (style === 2 || style === 3) return doubleQuote(s, pick);
  if (style === 4) return `'${s.replace(/'/g, "''")}'`;
  return s;
}

function keyText(key: string, pick: (n: number) => number): string {
  const style = pick(5);
  if (style === 0) return doubleQuote(key, pick);
  if (style === 1) return `'${key.replace(/'/g, "''")}'`;
  return key;
}

/** A value in flow style, on one line. */
function flowText(value: Tree, pick: (n: number) => number): string {
  if (Array.isArray(value)) return `[${value.map((v) => flowText(v, pick)).join(pick(4) === 0 ? "," : ", ")}]`;
  if (typeof value === "object" && value !== null) {
    const inner = Object.entries(value).map(([k, v]) => `${keyText(k, pick)}: ${flowText(v, pick)}`);
    return inner.length === 0 ? "{}" : `{ ${inner.join(", ")} }`;
  }
  const text = scalarText(value, 0, pick);
  return /^[|>]/.test(text) ? JSON.stringify(value) : text;
}

function comment(pick: (n: number) => number): string {
  return pick(6) === 0 ? ` # ${["note", "a: b", "- x", "'", "#"][pick(5)]}` : "";
}

/** Lines of a block mapping at `indent`. */
function mapLines(map: Record<string, Tree>, indent: number, pick: (n: number) => number): string[] {
  const out: string[] = [];
  const pad = " ".repeat(indent);
  for (const [key, value] of Object.entries(map)) {
    if (pick(8) === 0) out.push(pick(2) === 0 ? "" : `${" ".repeat(pick(6))}# comment`);
    const head = `${pad}${keyText(key, pick)}:`;
    out.push(...valueLines(head, value, indent, pick, true));
  }
  return out;
}

/** `head` (a key and colon, or a dash) followed by `value`, inline or on the next lines. */
function valueLines(head: string, value: Tree, indent: number, pick: (n: number) => number, isKey: boolean): string[] {
  const step = 1 + pick(4);
  const isCollection = typeof value === "object" && value !== null;
  if (isCollection && pick(3) !== 0 && (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0)) {
    if (Array.isArray(value)) {
      // A sequence under a key may sit at the key's own column.
      const at = isKey && pick(2) === 0 ? indent : indent + step;
      return [head + comment(pick), ...seqLines(value, at, pick)];
    }
    return [head + comment(pick), ...mapLines(value, indent + step, pick)];
  }
  const text = isCollection ? flowText(value, pick) : scalarText(value, indent, pick);
  const [first, ...rest] = text.split("\n");
  return [`${head}${first === "" ? "" : " "}${first}${/^[|>]/.test(text) ? "" : comment(pick)}`, ...rest];
}

function seqLines(items: Tree[], indent: number, pick: (n: number) => number): string[] {
  const out: string[] = [];
  const pad = " ".repeat(indent);
  for (const item of items) {
    const isMap = typeof item === "object" && item !== null && !Array.isArray(item) && Object.keys(item).length > 0;
    if (isMap && pick(2) === 0) {
      // `- key: value` with the rest of the mapping under the first key.
      const [first, ...rest] = mapLines(item as Record<string, Tree>, indent + 2, pick);
      out.push(`${pad}- ${first!.trimStart()}`, ...rest);
    } else {
      out.push(...valueLines(`${pad}-`, item, indent, pick, false));
    }
  }
  return out;
}

function emit(map: Record<string, Tree>, seed: number): string {
  const pick = chooser(seed);
  const lines = mapLines(map, 0, pick);
  return lines.join("\n") + (pick(4) === 0 ? "" : "\n");
}

/** Small edits where YAML is fragile: a character inserted or removed, a line moved in or out. */
function mutate(source: string, seed: number): string {
  const pick = chooser(seed ^ 0x5bd1e995);
  let text = source;
  const edits = 1 + pick(3);
  for (let e = 0; e < edits; e++) {
    const at = pick(text.length + 1);
    const lines = text.split("\n");
    const line = pick(lines.length);
    switch (pick(5)) {
      case 0:
        text = text.slice(0, at) + ":-#'\"[]{},|>!&*? \n\\"[pick(19)] + text.slice(at);
        break;
      case 1:
        text = text.slice(0, at) + text.slice(at + 1);
        break;
      case 2:
        lines[line] = ` ${lines[line]}`;
        text = lines.join("\n");
        break;
      case 3:
        lines[line] = lines[line]!.replace(/^ /, "");
        text = lines.join("\n");
        break;
      default:
        lines.splice(line, 0, lines[pick(lines.length)]!);
        text = lines.join("\n");
    }
  }
  return text;
}

describe("the fast YAML path reads exactly what yaml reads, or declines", () => {
  test("generated spec-like documents in every style", () => {
    let answered = 0;
    let runs = 0;
    fc.assert(
      fc.property(rootMap, fc.integer(), (map, seed) => {
        runs++;
        if (agrees(emit(map as Record<string, Tree>, seed))) answered++;
      }),
      { numRuns: RUNS, seed: SEED ?? 1771 },
    );
    // Not a property of a fast path that declines everything.
    console.log(`fast path answered ${answered} of ${runs}`);
    expect(answered / runs).toBeGreaterThan(0.25);
  });

  test("the same documents with a few characters or lines broken", () => {
    fc.assert(
      fc.property(rootMap, fc.integer(), (map, seed) => {
        agrees(mutate(emit(map as Record<string, Tree>, seed), seed));
      }),
      { numRuns: RUNS, seed: SEED ?? 2026 },
    );
  });

  test("plain scalars resolve as the core schema says, as keys and as values", () => {
    for (const raw of TRICKY.filter((s) => !/[\n]/.test(s))) {
      agrees(`key: ${raw}\n`);
      agrees(`${raw}: value\n`);
      agrees(`list: [${raw}]\n`);
      agrees(`map: { k: ${raw} }\n`);
      agrees(`seq:\n  - ${raw}\n`);
    }
  });

  test("every YAML file in the repository: read as yaml reads it, and every spec read by the fast path", () => {
    const files = execFileSync("git", ["ls-files", "*.yaml", "*.yml"], { cwd: root, encoding: "utf8" }).trim().split("\n");
    expect(files.length).toBeGreaterThan(100);
    const declined: string[] = [];
    for (const file of files) {
      const source = readFileSync(join(root, file), "utf8");
      if (!agrees(source) && reference(source) !== undefined && /^specs\//.test(file)) declined.push(file);
    }
    // The project's own specs (the demo's, and what msgc init copies) are what users write.
    expect(declined).toEqual([]);
  });

  test("declines what only yaml can report or place: tags, anchors, merge keys, several documents, tabs, CR", () => {
    const declined = [
      "a: !!str 1\n",
      "a: &x 1\nb: *x\n",
      "<<: { a: 1 }\n",
      "a: 1\n---\nb: 2\n",
      "%YAML 1.2\n---\na: 1\n",
      "a:\tb\n",
      "a: b\r\n",
      "a: 1\na: 2\n",
      "a: b: c\n",
      "a: 'unclosed\n",
      "a: \"multi\n  line\"\n",
      "a: plain\n  continued\n",
      "a: [1, 2\n",
      "? complex\n: key\n",
      "- a\n",
      "\ufeffa: 1\n",
      "a: |2\n   x\n",
      "__proto__: { polluted: true }\n",
    ];
    for (const source of declined) expect(parseYamlFastOrDecline(source), JSON.stringify(source)).toBeUndefined();
  });

  test("a key after an empty entry and over 1000 characters of blank lines: yaml's KEY_OVER_1024_CHARS, declined", () => {
    // Where a collection ends in an empty value, yaml counts the blank lines before the next,
    // shallower key as part of that key, and refuses a key longer than 1024 characters.
    const blank = (n: number) => "\n".repeat(n);
    const rejected = {
      "empty entry of a compact sequence": `a:\n-\n${blank(1023)}b: 1\n`,
      "empty entry with trailing spaces": `a:\n-   \n${blank(1100)}b: 1\n`,
      "lines of spaces": `a:\n-\n${"  \n".repeat(400)}b: 1\n`,
      "empty entry of an indented sequence": `a:\n  -\n${blank(1100)}b: 1\n`,
      "empty value in a sequence's mapping": `a:\n- x:\n${blank(1100)}b: 1\n`,
      "empty value in a nested mapping": `a:\n  b:\n${blank(1100)}c: 1\n`,
      "a quoted key": `a:\n-\n${blank(1100)}"b": 1\n`,
      "600 blank lines and a 500-character key": `a:\n-\n${blank(600)}${"x".repeat(500)}: 1\n`,
    };
    for (const [name, source] of Object.entries(rejected)) {
      expect(reference(source), name).toBeUndefined();
      expect(parseYamlFastOrDecline(source), name).toBeUndefined();
    }
    // Well under the limit, or with a comment line between (which ends yaml's count), both read it.
    expect(agrees(`a:\n-\n${blank(900)}b: 1\n`)).toBe(true);
    expect(agrees(`a:\n-\n${blank(1100)}# c\n${blank(10)}b: 1\n`)).toBe(true);
    expect(agrees(`${"# a long header comment\n".repeat(100)}a:\n-\n# c\n${blank(900)}b: 1\n`)).toBe(true);
    expect(agrees(`a:\n- x\n${blank(900)}b: 1\n`)).toBe(true);
  });

  test("reads the shapes specs are made of, with their exact values", () => {
    const source = [
      "# yaml-language-server: $schema=../../schema/message.schema.json",
      "kind: Message",
      "name: order-shipped",
      "vars:",
      "  first_name: { type: string, maxLength: 40 }",
      "  order_id: { type: string, pattern: \"^[0-9]{5,}$\" }",
      "samples:",
      "  ana: { first_name: Ana, order_id: '12345' }",
      "session:",
      "  text: |",
      "    Hi {{first_name}}!",
      "",
      "    Order #{{order_id}} is on its way.",
      "  footer: >-",
      "    Lucky",
      "    Shrub",
      "  buttons:",
      "  - { type: url, text: Track, url: \"https://t.example/{{order_id}}\" }",
      "  - type: quick_reply # a comment",
      "    text: \"Talk to us \\u263A\"",
      "template:",
      "  name: order_shipped_v2",
      "  language: en_US",
      "  body: [\"{{first_name}}\", \"{{order_id}}\"]",
      "location: { latitude: 37.4847, longitude: -122.1477 }",
      "",
    ].join("\n");
    expect(parseYamlFastOrDecline(source)).toEqual({
      kind: "Message",
      name: "order-shipped",
      vars: { first_name: { type: "string", maxLength: 40 }, order_id: { type: "string", pattern: "^[0-9]{5,}$" } },
      samples: { ana: { first_name: "Ana", order_id: "12345" } },
      session: {
        text: "Hi {{first_name}}!\n\nOrder #{{order_id}} is on its way.\n",
        footer: "Lucky Shrub",
        buttons: [
          { type: "url", text: "Track", url: "https://t.example/{{order_id}}" },
          { type: "quick_reply", text: "Talk to us \u263a" },
        ],
      },
      template: { name: "order_shipped_v2", language: "en_US", body: ["{{first_name}}", "{{order_id}}"] },
      location: { latitude: 37.4847, longitude: -122.1477 },
    });
    expect(agrees(source)).toBe(true);
  });
});
