/**
 * From JSON paths back to source positions. The compiler and the schema checker speak in JSON
 * paths (`["session", "buttons", 0, "text"]`); this module is the one place that maps such a
 * path, and optionally a character index inside a string value, to a 0-based range in the YAML
 * source.
 *
 * Where a path points:
 * - a scalar or a flow collection (`{ ... }`, `[ ... ]`): the value itself;
 * - a block collection held by a key: the key (a block mapping starts on the next line, and the
 *   key is what a person looks for);
 * - a path that does not exist (a missing field): the key of its deepest existing ancestor, or
 *   the start of the document when that ancestor is the root;
 * - with `offset`: the exact source character that produced that index of the parsed string,
 *   whatever the scalar style (plain, single- or double-quoted with escapes, literal or folded
 *   block), so that `unknown-variable` points at the `{{` itself.
 */
import { isAlias, isCollection, isMap, isScalar, isSeq, Scalar } from "yaml";
import type { Document, Node, Pair } from "yaml";
import type { JsonPath, Position, Range } from "../diagnostics.js";

export interface SpecLocator {
  /** See the module comment for what a path points at. */
  locate(path: JsonPath, offset?: number): Range | undefined;
  /** The key node of the last path segment (an unknown field, a bad name); falls back to `locate`. */
  locateKey(path: JsonPath): Range | undefined;
}

/** 0-based line starts of `source`, for turning string indices into positions. */
export function lineStartsOf(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf("\n"); i !== -1; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** 0-based line and column (UTF-16 units) of a string index. */
export function positionAt(lineStarts: readonly number[], index: number): Position {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((lineStarts[mid] as number) <= index) low = mid;
    else high = mid - 1;
  }
  return { line: low, column: index - (lineStarts[low] as number) };
}

export function rangeAt(lineStarts: readonly number[], start: number, end: number): Range {
  return { start: positionAt(lineStarts, start), end: positionAt(lineStarts, Math.max(start, end)) };
}

interface Found {
  /** Deepest node reached (the target itself when `complete`). */
  node: Node | null;
  /** The pair holding `node` in a mapping, when it is held by a key. */
  pair?: Pair<unknown, unknown>;
  complete: boolean;
}

/** A key matches a path segment as the loaded value holds it: a null key (`~:`, `null:`) is "". */
function keyMatches(key: unknown, segment: string | number): boolean {
  return isScalar(key) && (key.value === null ? "" : String(key.value)) === String(segment);
}

function findNode(doc: Document, path: JsonPath): Found {
  let node = (doc.contents ?? null) as Node | null;
  let pair: Pair<unknown, unknown> | undefined;
  for (const segment of path) {
    if (isAlias(node)) node = (node.resolve(doc) ?? null) as Node | null;
    let next: Node | null | undefined;
    let nextPair: Pair<unknown, unknown> | undefined;
    if (isMap(node)) {
      // The last of equal keys is the one the loaded value holds.
      for (let i = node.items.length - 1; i >= 0; i--) {
        const candidate = node.items[i] as Pair<unknown, unknown>;
        if (keyMatches(candidate.key, segment)) {
          nextPair = candidate;
          next = (candidate.value ?? null) as Node | null;
          break;
        }
      }
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment] as Node | null | undefined;
    }
    if (next === undefined) return { node, ...(pair ? { pair } : {}), complete: false };
    node = next;
    pair = nextPair;
  }
  if (isAlias(node)) node = (node.resolve(doc) ?? node) as Node;
  return { node, ...(pair ? { pair } : {}), complete: true };
}

function nodeRange(node: unknown): [number, number] | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? [range[0], range[1]] : undefined;
}

export function createLocator(doc: Document, source: string): SpecLocator {
  const lineStarts = lineStartsOf(source);
  const toRange = (r: [number, number]): Range => rangeAt(lineStarts, r[0], r[1]);
  const documentStart = (): Range => {
    const r = nodeRange(doc.contents) ?? [0, 0];
    return toRange([r[0], r[0]]);
  };
  const keyOrNode = (found: Found): Range => {
    const key = nodeRange(found.pair?.key);
    if (key) return toRange(key);
    const own = nodeRange(found.node);
    return own ? toRange(own) : documentStart();
  };

  function locate(path: JsonPath, offset?: number): Range | undefined {
    const found = findNode(doc, path);
    if (!found.complete) return path.length === 0 || found.node === doc.contents ? documentStart() : keyOrNode(found);
    const { node } = found;
    if (offset !== undefined && isScalar(node) && typeof node.value === "string") {
      const at = sourceIndexOf(source, node, offset);
      if (at !== undefined) return rangeAt(lineStarts, at, at + 1);
    }
    if (isCollection(node) && !node.flow && found.pair) return keyOrNode(found);
    const own = nodeRange(node);
    if (own) return toRange(own);
    return found.pair ? keyOrNode(found) : documentStart();
  }

  function locateKey(path: JsonPath): Range | undefined {
    const found = findNode(doc, path);
    if (found.complete && found.pair) return keyOrNode(found);
    return locate(path);
  }

  return { locate, locateKey };
}

// --- characters of a parsed string back to source indices -------------------------------------

const ESCAPES: Record<string, string> = {
  "0": "\0", a: "\x07", b: "\b", e: "\x1b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v",
  N: "\u0085", _: "\u00a0", L: "\u2028", P: "\u2029", " ": " ", '"': '"', "/": "/", "\\": "\\", "\t": "\t",
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

/** The parsed characters of a scalar, each with the source index it came from. */
class Trace {
  text = "";
  readonly at: number[] = [];
  push(chars: string, index: number): void {
    this.text += chars;
    for (let k = 0; k < chars.length; k++) this.at.push(index);
  }
}

const isBlank = (c: string | undefined): boolean => c === " " || c === "\t";

/**
 * Plain and quoted (flow) scalars: line folding as YAML 1.2 defines it (trailing blanks dropped,
 * one line break becomes a space, n breaks become n-1 newlines), `''` in single quotes and every
 * escape in double quotes.
 */
function traceFlowScalar(source: string, start: number, end: number, style: string): Trace {
  const trace = new Trace();
  const double = style === Scalar.QUOTE_DOUBLE;
  const single = style === Scalar.QUOTE_SINGLE;
  let i = double || single ? start + 1 : start;
  const stop = double || single ? end - 1 : end;
  let blanksFrom = -1;
  const flushBlanks = (upTo: number): void => {
    if (blanksFrom >= 0) for (let k = blanksFrom; k < upTo; k++) trace.push(source[k] as string, k);
    blanksFrom = -1;
  };
  while (i < stop) {
    const c = source[i] as string;
    if (c === "\r" && source[i + 1] === "\n") {
      i++;
      continue;
    }
    if (c === "\n") {
      blanksFrom = -1;
      const breaks: number[] = [];
      let j = i + 1;
      while (j < stop && (isBlank(source[j]) || source[j] === "\n" || source[j] === "\r")) {
        if (source[j] === "\n") breaks.push(j);
        j++;
      }
      if (breaks.length === 0) trace.push(" ", i);
      else for (const b of breaks) trace.push("\n", b);
      i = j;
      continue;
    }
    if (isBlank(c)) {
      if (blanksFrom < 0) blanksFrom = i;
      i++;
      continue;
    }
    flushBlanks(i);
    if (single && c === "'" && source[i + 1] === "'") {
      trace.push("'", i);
      i += 2;
      continue;
    }
    if (double && c === "\\") {
      const next = source[i + 1] ?? "";
      if (next === "\n" || (next === "\r" && source[i + 2] === "\n")) {
        let j = i + (next === "\n" ? 2 : 3);
        while (isBlank(source[j])) j++;
        i = j;
        continue;
      }
      const escaped = ESCAPES[next];
      if (escaped !== undefined) {
        trace.push(escaped, i);
        i += 2;
        continue;
      }
      const hexLength = HEX_LENGTH[next];
      if (hexLength !== undefined) {
        const hex = source.slice(i + 2, i + 2 + hexLength);
        const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === hexLength ? parseInt(hex, 16) : NaN;
        let chars: string;
        try {
          chars = String.fromCodePoint(code);
        } catch {
          chars = source.slice(i, i + 2 + hexLength);
        }
        trace.push(chars, i);
        i += 2 + hexLength;
        continue;
      }
      trace.push(source.slice(i, i + 2), i);
      i += 2;
      continue;
    }
    trace.push(c, i);
    i++;
  }
  flushBlanks(stop);
  return trace;
}

interface BlockScalarToken {
  type: "block-scalar";
  offset: number;
  indent: number;
  props: { source?: string }[];
  source: string;
}

/** Literal (`|`) and folded (`>`) block scalars: indentation removed, `>` lines folded. */
function traceBlockScalar(token: BlockScalarToken): Trace | undefined {
  const header = token.props[0]?.source;
  if (!header) return undefined;
  const folded = header[0] === ">";
  const explicitIndent = Number(/[1-9]/.exec(header)?.[0] ?? 0);
  let headerLength = 0;
  for (const prop of token.props) headerLength += prop.source?.length ?? 0;
  const lines: { start: number; indent: number; content: string }[] = [];
  let lineStart = token.offset + headerLength;
  for (const raw of token.source.split("\n")) {
    const indent = /^ */.exec(raw)?.[0].length ?? 0;
    let content = raw.slice(indent);
    if (content.endsWith("\r")) content = content.slice(0, -1);
    lines.push({ start: lineStart, indent, content });
    lineStart += raw.length + 1;
  }
  let last = lines.length;
  while (last > 0 && lines[last - 1]!.content === "") last--;
  let trimIndent = token.indent + explicitIndent;
  let first = 0;
  for (; first < last; first++) {
    const line = lines[first]!;
    if (line.content !== "") {
      if (explicitIndent === 0) trimIndent = line.indent;
      break;
    }
    if (explicitIndent === 0 && line.indent > trimIndent) trimIndent = line.indent;
  }
  const trace = new Trace();
  for (let i = 0; i < first; i++) {
    const line = lines[i]!;
    for (let k = trimIndent; k < line.indent; k++) trace.push(" ", line.start + k);
    trace.push("\n", line.start + line.indent);
  }
  let separator = "";
  let separatorAt = 0;
  let previousMoreIndented = false;
  for (let i = first; i < last; i++) {
    const line = lines[i]!;
    const body = " ".repeat(Math.max(0, line.indent - trimIndent)) + line.content;
    const bodyAt = line.start + Math.min(line.indent, trimIndent);
    const pushBody = (): void => {
      for (let k = 0; k < body.length; k++) trace.push(body[k] as string, bodyAt + k);
    };
    if (!folded) {
      trace.push(separator, separatorAt);
      pushBody();
      separator = "\n";
    } else if (line.indent > trimIndent || line.content.startsWith("\t")) {
      if (separator === " ") separator = "\n";
      else if (!previousMoreIndented && separator === "\n") separator = "\n\n";
      trace.push(separator, separatorAt);
      pushBody();
      separator = "\n";
      previousMoreIndented = true;
    } else if (line.content === "") {
      if (separator === "\n") trace.push("\n", line.start);
      else separator = "\n";
    } else {
      trace.push(separator, separatorAt);
      pushBody();
      separator = " ";
      previousMoreIndented = false;
    }
    separatorAt = line.start + line.indent + line.content.length;
  }
  return trace;
}

/** A trace and how many of its leading characters are known to reproduce the parsed value. */
interface TrustedTrace {
  trace: Trace;
  trusted: number;
}

const traces = new WeakMap<Scalar, TrustedTrace | null>();

function traceOf(source: string, node: Scalar): TrustedTrace | undefined {
  if (traces.has(node)) return traces.get(node) ?? undefined;
  let trace: Trace | undefined;
  const range = node.range;
  if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
    const token = node.srcToken as unknown as BlockScalarToken | undefined;
    if (token?.type === "block-scalar") trace = traceBlockScalar(token);
  } else if (range) {
    trace = traceFlowScalar(source, range[0], range[1], node.type ?? Scalar.PLAIN);
  }
  // Trust the trace as far as it reproduces the parsed value: whole (block chomping aside), or
  // up to the first character where they part (e.g. blank lines kept by `|+`).
  let trusted: TrustedTrace | undefined;
  if (trace) {
    const value = String(node.value);
    if (trace.text.replace(/\n+$/, "") === value.replace(/\n+$/, "")) {
      trusted = { trace, trusted: Number.POSITIVE_INFINITY };
    } else {
      let same = 0;
      while (same < trace.text.length && trace.text[same] === value[same]) same++;
      if (same > 0) trusted = { trace, trusted: same };
    }
  }
  traces.set(node, trusted ?? null);
  return trusted;
}

/** Source index of character `offset` of a string scalar's parsed value. */
function sourceIndexOf(source: string, node: Scalar, offset: number): number | undefined {
  const traced = traceOf(source, node);
  if (traced && traced.trace.at.length > 0 && offset < traced.trusted) {
    return traced.trace.at[Math.max(0, Math.min(offset, traced.trace.at.length - 1))];
  }
  const range = node.range;
  if (!range) return undefined;
  // Unusual scalar the trace does not reproduce: best effort on the first line.
  const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE ? 1 : 0;
  return Math.min(range[0] + quoted + offset, range[1]);
}
