/**
 * JSON.stringify straight into a byte buffer, specialised per value shape. The plan items of one
 * campaign nearly all have the same shape (same keys in the same order, same nesting, same array
 * lengths); only their strings and numbers change. For such a shape a writer is generated once:
 * its constant parts (keys, braces, commas) are bytes prepared in advance, and only the leaves
 * are encoded per value. JSON.stringify plus a UTF-8 encode costs about twice as much.
 *
 * The generated code checks the whole shape as it goes (every object's own keys, in order, its
 * prototype, every array's length, every leaf's type) and gives up on any difference; the value
 * then goes through JSON.stringify itself, and its shape is learned for next time. So the output
 * is always exactly JSON.stringify's bytes: a shape writer never guesses.
 */

/** A value's structure: leaves are any JSON primitive. */
type Shape = { kind: "leaf" } | { kind: "object"; keys: string[]; children: Shape[] } | { kind: "array"; children: Shape[] };

/** Shapes kept per serializer: one per combination of optional fields is plenty. */
const MAX_SHAPES = 16;
/** Nodes per shape: a bound on generated code for an unusually large value. */
const MAX_NODES = 4096;
const MAX_DEPTH = 64;

/** A leaf outside an object's key order: undefined when JSON.stringify would not write it as is. */
function leafJson(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object":
      return value === null ? "null" : undefined;
    default:
      return undefined;
  }
}

/** Undefined when the value has anything JSON.stringify treats specially (toJSON, undefined, …). */
function shapeOf(value: unknown, depth: number, budget: { nodes: number }): Shape | undefined {
  if (--budget.nodes < 0 || depth > MAX_DEPTH) return undefined;
  if (value === null || typeof value !== "object") return leafJson(value) === undefined ? undefined : { kind: "leaf" };
  if (Array.isArray(value)) {
    const children: Shape[] = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return undefined;
      const child = shapeOf(value[i], depth + 1, budget);
      if (!child) return undefined;
      children.push(child);
    }
    return { kind: "array", children };
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const keys: string[] = [];
  const children: Shape[] = [];
  for (const key in value) {
    // `o["__proto__"]` would read the prototype, not the property.
    if (key === "__proto__" || !Object.hasOwn(value, key)) return undefined;
    const child = shapeOf((value as Record<string, unknown>)[key], depth + 1, budget);
    if (!child) return undefined;
    keys.push(key);
    children.push(child);
  }
  return { kind: "object", keys, children };
}

/** Result of a generated writer when the value does not have its shape. */
const MISMATCH = -1;
/**
 * Result when the buffer may be too small: the caller makes room and calls again. Reported
 * whenever fewer than 3 bytes per UTF-16 unit are left for text that is not printable ASCII.
 */
export const NO_ROOM = -2;

type Writer = (value: unknown, buf: Uint8Array, pos: number, end: number) => number;

/**
 * A leaf string as JSON, at `pos`: printable ASCII is copied as is (one pass checks and copies);
 * anything else goes through JSON.stringify and a UTF-8 encoder.
 */
function writeString(buf: Uint8Array, pos: number, end: number, text: string): number {
  const length = text.length;
  if (pos + length + 2 > end) return NO_ROOM;
  let at = pos;
  buf[at++] = 0x22;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || code > 0x7e) return writeEscaped(buf, pos, end, text);
    buf[at++] = code;
  }
  buf[at++] = 0x22;
  return at;
}

const encoder = new TextEncoder();

function writeEscaped(buf: Uint8Array, pos: number, end: number, text: string): number {
  const json = JSON.stringify(text);
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  if (pos + json.length * 3 > end) return NO_ROOM;
  return pos + encoder.encodeInto(json, buf.subarray(pos, end)).written;
}

function encodeLeaf(text: string): Uint8Array {
  return encoder.encode(JSON.stringify(text));
}

function writeLeaf(buf: Uint8Array, pos: number, end: number, value: unknown): number {
  if (typeof value === "string") return writeString(buf, pos, end, value);
  const json = leafJson(value);
  if (json === undefined) return MISMATCH;
  if (pos + json.length > end) return NO_ROOM;
  for (let i = 0; i < json.length; i++) buf[pos + i] = json.charCodeAt(i);
  return pos + json.length;
}

/** Constant text shorter than this is written byte by byte in the generated code. */
const INLINE_BYTES = 24;

/**
 * Generates the writer of one shape: constant text (keys, braces, commas) is written as bytes,
 * leaves through writeLeaf; any difference from the shape returns MISMATCH.
 */
function compileShape(shape: Shape): Writer {
  const lines: string[] = [];
  const fragments: Uint8Array[] = [];
  const keyLists: string[][] = [];
  let variables = 0;
  let leaves = 0;
  let pending = "";
  const flush = (): void => {
    if (pending === "") return;
    const bytes = Buffer.from(pending, "utf8");
    pending = "";
    lines.push(`if (pos + ${bytes.length} > end) return ${NO_ROOM};`);
    if (bytes.length < INLINE_BYTES) {
      lines.push(`${[...bytes].map((b, i) => `buf[pos + ${i}] = ${b};`).join(" ")} pos += ${bytes.length};`);
    } else {
      lines.push(`buf.set(f${fragments.length}, pos); pos += ${bytes.length};`);
      fragments.push(bytes);
    }
  };
  const emit = (node: Shape, source: string): void => {
    if (node.kind === "leaf") {
      flush();
      // A leaf that repeats its last string (a path, a template name) is copied from its bytes.
      const slot = leaves++;
      lines.push(
        `if (${source} === last[${slot}]) { let bytes = lastBytes[${slot}]; if (bytes === undefined) bytes = lastBytes[${slot}] = encodeLeaf(${source});`,
        `  if (pos + bytes.length > end) return ${NO_ROOM}; buf.set(bytes, pos); pos += bytes.length; }`,
        `else { pos = writeLeaf(buf, pos, end, ${source}); if (pos < 0) return pos; if (typeof ${source} === "string") { last[${slot}] = ${source}; lastBytes[${slot}] = undefined; } }`,
      );
      return;
    }
    if (node.kind === "array") {
      lines.push(`if (!Array.isArray(${source}) || ${source}.length !== ${node.children.length}) return ${MISMATCH};`);
      pending += "[";
      node.children.forEach((child, i) => {
        const v = `v${variables++}`;
        lines.push(`const ${v} = ${source}[${i}];`);
        if (i > 0) pending += ",";
        emit(child, v);
      });
      pending += "]";
      return;
    }
    const keys = `k${keyLists.length}`;
    keyLists.push(node.keys);
    lines.push(
      `if (${source} === null || typeof ${source} !== "object" || Array.isArray(${source}) || getPrototypeOf(${source}) !== objectPrototype) return ${MISMATCH};`,
    );
    // The own keys, in order, and nothing else (for-in also lists inherited enumerable keys).
    lines.push(
      `{ let i = 0; for (const key in ${source}) { if (key !== ${keys}[i]) return ${MISMATCH}; i++; } if (i !== ${node.keys.length}) return ${MISMATCH}; }`,
    );
    pending += "{";
    node.keys.forEach((key, i) => {
      const v = `v${variables++}`;
      lines.push(`const ${v} = ${source}[${JSON.stringify(key)}];`);
      pending += `${i > 0 ? "," : ""}${JSON.stringify(key)}:`;
      emit(node.children[i]!, v);
    });
    pending += "}";
  };
  emit(shape, "value");
  flush();
  const body = `const last = new Array(${leaves}).fill(noString); const lastBytes = new Array(${leaves}).fill(undefined);
return function writeShape(value, buf, pos, end) {\n${lines.join("\n")}\nreturn pos;\n};`;
  // `last` starts with a value no leaf can be, so that only a repeated string is ever copied.
  const params = ["noString", "writeLeaf", "encodeLeaf", "getPrototypeOf", "objectPrototype", ...keyLists.map((_, i) => `k${i}`), ...fragments.map((_, i) => `f${i}`)];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(...params, body) as (...args: unknown[]) => Writer;
  return factory(Symbol("no string yet"), writeLeaf, encodeLeaf, Object.getPrototypeOf, Object.prototype, ...keyLists, ...fragments);
}

/**
 * A writer of `JSON.stringify(value)` in UTF-8 into `buf` at `pos` (not past `end`): returns the
 * position after it, or NO_ROOM (call again with more room). Exactly JSON.stringify's bytes for
 * any value; faster for values whose shape it has seen before.
 */
export function createShapeWriter(): Writer {
  const compiled: Writer[] = [];
  let learning = true;
  let misses = 0;
  let calls = 0;
  return (value, buf, pos, end) => {
    calls++;
    for (let i = 0; i < compiled.length; i++) {
      const next = compiled[i]!(value, buf, pos, end);
      if (next !== MISMATCH) return next;
    }
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new TypeError("Only JSON values can be written");
    if (learning) {
      // Shapes that never repeat are not worth trying: stop learning (and trying) after many misses.
      if (++misses > 64 && misses * 2 > calls) {
        learning = false;
        compiled.length = 0;
      } else if (compiled.length < MAX_SHAPES) {
        const shape = shapeOf(value, 0, { nodes: MAX_NODES });
        if (shape) compiled.push(compileShape(shape));
      }
    }
    if (pos + json.length * 3 > end) return NO_ROOM;
    return pos + encoder.encodeInto(json, buf.subarray(pos, end)).written;
  };
}
