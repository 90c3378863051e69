/**
 * Reading one YAML file safely: YAML 1.2 core schema only, one document, no custom tags, no
 * merge keys, unique keys, bounded size, nesting and alias expansion. Hostile input ends in
 * diagnostics, quickly; it never throws and never hangs. Specs and the config both go through
 * here.
 */
import { Document, Lexer, parseAllDocuments, isAlias, isScalar, Scalar, visit } from "yaml";
import type { Diagnostic, DiagnosticCode } from "../diagnostics.js";
import { createLocator, lineStartsOf, rangeAt } from "./locate.js";
import { parseYamlFast } from "./yaml-fast.js";
import type { SpecLocator } from "./locate.js";

/** Specs are small; a bigger file is a mistake (or an attack), not a spec. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/**
 * yaml parses some shapes (long flow lists, thousands of aliases) at tens of microseconds per
 * node, so size in bytes alone does not bound the time: also cap the lines and list items.
 */
export const MAX_SPEC_ITEMS = 10_000;
/** Far deeper than any spec needs, far shallower than what could exhaust the stack. */
export const MAX_NESTING = 64;
/** How many references to anchored nodes a file may expand (yaml's own default). */
export const MAX_ALIAS_COUNT = 100;
/** A broken file can produce thousands of parse errors; the first few are what helps. */
const MAX_SYNTAX_ERRORS = 10;

const CORE_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`));

export interface ParsedYaml {
  data: unknown;
  locator: SpecLocator;
}

type Report = (code: DiagnosticCode, message: string, start: number, end?: number) => void;

/**
 * Parses `source` into a plain JS value with its locator. `data` is present only when there
 * was no error; diagnostics always carry a range.
 */
export function parseYamlSource(
  source: string,
  file: string,
  opts: { allowEmpty?: boolean } = {},
): { parsed?: ParsedYaml; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let lineStarts: number[] | undefined;
  const report: Report = (code, message, start, end = start) => {
    lineStarts ??= lineStartsOf(source);
    diagnostics.push({ code, severity: "error", message, file, path: [], range: rangeAt(lineStarts, start, end) });
  };

  const bytes = Buffer.byteLength(source, "utf8");
  if (bytes > MAX_SPEC_BYTES) {
    report("file-too-large", `The file is ${bytes} bytes; msgc reads YAML files of at most ${MAX_SPEC_BYTES} bytes (1 MiB)`, 0);
    return { diagnostics };
  }
  const shape = measureShape(source);
  if (shape.items > MAX_SPEC_ITEMS) {
    report("file-too-large", `The file has more than ${MAX_SPEC_ITEMS} lines and list items; msgc reads specs of at most that many`, 0);
    return { diagnostics };
  }
  const tooDeep = shape.nestingBound <= MAX_NESTING ? -1 : nestingLimitExceededAt(source, MAX_NESTING);
  if (tooDeep >= 0) {
    report("yaml-syntax", `The YAML is nested more than ${MAX_NESTING} levels deep`, tooDeep, tooDeep + 1);
    return { diagnostics };
  }

  // Most specs are plain YAML that the fast path reads exactly as yaml would (yaml-fast.ts);
  // whatever it declines, yaml reads and reports on.
  const fast = parseYamlFast(source);
  if (fast !== undefined) return { parsed: { data: fast, locator: lazyLocator(source) }, diagnostics };

  let docs: Document.Parsed[];
  try {
    docs = parseDocuments(source);
  } catch (e) {
    report("yaml-syntax", `The YAML could not be read (${describeError(e)})`, 0);
    return { diagnostics };
  }
  if (docs.length === 0 && opts.allowEmpty) {
    const doc = new Document(null) as Document;
    return { parsed: { data: null, locator: createLocator(doc, source) }, diagnostics };
  }
  if (docs.length === 0) {
    report("not-a-mapping", "The file is empty; a spec is a mapping that starts with kind: and name:", 0);
    return { diagnostics };
  }

  reportParseErrors(docs, source, report);
  if (docs.length > 1) {
    const second = docs[1]!.range[0];
    report("multiple-documents", "The file holds more than one YAML document; put each spec in its own file", second, second + 3);
  }
  if (diagnostics.length > 0) return { diagnostics };

  const doc = docs[0]!;
  // Every tag starts with "!" and a merge key is "<<": a text with neither has none, and most
  // specs are spared a walk over every node.
  if (source.includes("!") || source.includes("<<")) reportTagsAndMergeKeys(doc, source, report);
  if (diagnostics.length > 0) return { diagnostics };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const at = firstAliasStart(doc);
    if (/alias count/i.test(describeError(e))) {
      report("alias-limit", `Aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT}); write the values out instead`, at, at + 1);
    } else {
      report("yaml-syntax", `The YAML could not be read (${describeError(e)})`, at, at + 1);
    }
    return { diagnostics };
  }
  return { parsed: { data, locator: lazyLocator(source) }, diagnostics };
}

function parseDocuments(source: string): Document.Parsed[] {
  return parseAllDocuments(source, {
    version: "1.2",
    schema: "core",
    merge: false,
    uniqueKeys: true,
    keepSourceTokens: true,
    prettyErrors: false,
    strict: true,
  }) as unknown as Document.Parsed[];
}

/**
 * A locator that parses the text again the first time it is asked. Most specs are never asked
 * (only a problem needs a place), and a parsed document kept for each of hundreds of specs is
 * what the garbage collector spent most of its time copying. The text parsed without error the
 * first time, so it does the second.
 */
function lazyLocator(source: string): SpecLocator {
  let locator: SpecLocator | undefined;
  const get = (): SpecLocator => (locator ??= createLocator(parseDocuments(source)[0]!, source));
  return { locate: (path, offset) => get().locate(path, offset), locateKey: (path) => get().locateKey(path) };
}

function describeError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n")[0]!.slice(0, 200);
}

function reportParseErrors(docs: readonly Document.Parsed[], source: string, report: Report): void {
  let count = 0;
  const seen = new Set<string>();
  for (const doc of docs) {
    for (const error of doc.errors) {
      const [start, end] = error.pos;
      const key = `${error.code}:${start}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (++count > MAX_SYNTAX_ERRORS) return;
      if (error.code === "DUPLICATE_KEY") {
        const key = keyAt(doc, start);
        const keyEnd = key?.range?.[1] ?? end;
        const name = key ? String(key.value) : (/^[^:\n]*/.exec(source.slice(start))?.[0] ?? "").trim();
        report("duplicate-key", `Duplicate key ${JSON.stringify(name)}; each key may appear once in a mapping`, start, keyEnd);
      } else {
        report("yaml-syntax", plainYamlMessage(error.message), start, end);
      }
    }
  }
}

function keyAt(doc: Document, start: number): Scalar | undefined {
  let found: Scalar | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === start) {
        found = pair.key;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function plainYamlMessage(message: string): string {
  const first = message.split("\n")[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, "");
}

function reportTagsAndMergeKeys(doc: Document, source: string, report: Report): void {
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      if (isScalar(key) && key.value === "<<" && key.type === Scalar.PLAIN && key.range) {
        report("merge-key", 'Merge keys ("<<") are not supported; write the fields out', key.range[0], key.range[1]);
      }
    },
    Node(_, node) {
      const tag = (node as { tag?: string }).tag;
      if (tag === undefined || tag === "!" || CORE_TAGS.has(tag)) return;
      const valueStart = node.range?.[0] ?? 0;
      const tagStart = tagStartBefore(source, valueStart);
      const shown = tag.startsWith("tag:yaml.org,2002:") ? `!!${tag.slice(18)}` : tag;
      report("yaml-tag", `The tag ${shown} is not allowed; specs use plain YAML values (YAML 1.2 core schema)`, tagStart, tagStart + shown.length);
    },
  });
}

/** Where the `!tag` written before a node's value starts. */
function tagStartBefore(source: string, valueStart: number): number {
  let bang = source.lastIndexOf("!", Math.max(0, valueStart - 1));
  if (bang < 0) return valueStart;
  // Back over the rest of the tag token (`!!binary`, `!local`, `!<...>` start with it).
  while (bang > 0 && !/\s/.test(source[bang - 1] as string) && source[bang - 1] !== "," && source[bang - 1] !== "[" && source[bang - 1] !== "{") bang--;
  return bang;
}

function firstAliasStart(doc: Document): number {
  let start = doc.contents?.range?.[0] ?? 0;
  let found = false;
  visit(doc, {
    Alias(_, node) {
      if (isAlias(node) && node.range && !found) {
        start = node.range[0];
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return start;
}

/**
 * Index where nesting goes deeper than `limit`, or -1. yaml's composer recurses per level, so
 * thousands of `[` (or `- - - -`) would exhaust the stack or take seconds: refuse them first.
 * Only called when the cheap bound of measureShape is over the limit.
 */
function nestingLimitExceededAt(source: string, limit: number): number {
  let flowDepth = 0;
  const blockColumns: number[] = [];
  let offset = 0;
  let lineStart = 0;
  for (const token of new Lexer().lex(source)) {
    const at = offset;
    offset += token.length;
    if (token === "\n" || token === "\r\n") {
      lineStart = offset;
      continue;
    }
    if (token === "[" || token === "{") flowDepth++;
    else if (token === "]" || token === "}") flowDepth = Math.max(0, flowDepth - 1);
    else if (flowDepth === 0 && (token === "-" || token === "?" || token === ":")) {
      const column = at - lineStart;
      while (blockColumns.length > 0 && (blockColumns.at(-1) as number) >= column) blockColumns.pop();
      blockColumns.push(column);
    } else continue;
    if (flowDepth + blockColumns.length > limit) return at;
  }
  return -1;
}

/**
 * One cheap pass over the text. `items`: lines (blank ones too) plus commas, never fewer than the
 * nodes yaml will build. `nestingBound`: opening brackets anywhere plus the deepest block
 * nesting a line could open, never lower than the real depth.
 */
function measureShape(source: string): { items: number; nestingBound: number } {
  let brackets = 0;
  let commas = 0;
  let lines = 0;
  let worstLine = 0;
  const indents: number[] = [];
  let i = 0;
  const length = source.length;
  while (i < length) {
    let indent = 0;
    while (i < length && source.charCodeAt(i) === 32) {
      indent++;
      i++;
    }
    let indicators = 0;
    let content = false;
    for (; i < length; i++) {
      const c = source.charCodeAt(i);
      if (c === 10) break;
      if (c === 91 || c === 123) brackets++;
      else if (c === 44) commas++;
      else if (c === 45 || c === 63 || c === 58) {
        const next = i + 1 < length ? source.charCodeAt(i + 1) : 10;
        if (next === 32 || next === 9 || next === 10 || next === 13) indicators++;
      }
      if (c !== 32 && c !== 9 && c !== 13) content = true;
    }
    i++;
    // Blank lines too: yaml takes seconds over a MiB of them (and the locator reads a file again).
    lines++;
    if (!content) continue;
    while (indents.length > 0 && (indents.at(-1) as number) >= indent) indents.pop();
    indents.push(indent);
    worstLine = Math.max(worstLine, indents.length + indicators);
  }
  return { items: lines + commas + brackets, nestingBound: brackets + worstLine };
}
