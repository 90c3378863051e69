/**
 * A fast path for the YAML specs are written in. The `yaml` library stays the reference: it reads
 * every file this module declines, gives every diagnostic and every position. This module reads
 * only a plain subset (block mappings and sequences, single-line flow collections and quoted
 * scalars, single-line plain scalars, literal and folded block scalars without indentation
 * indicators, comments) and declines anything else (`undefined`): tags, anchors, aliases,
 * complex keys, multi-line plain or quoted scalars, several documents, tabs, CR, control
 * characters, duplicate keys, and any text `yaml` would report as an error.
 *
 * Why: `yaml` builds a full document model with positions for each file, about a millisecond per
 * small spec in a fresh process, which made `msgc validate` of a 400-file project spend half its
 * time in the parser. Most specs are never asked for a position (only a problem needs one, and
 * the lazy locator parses those files again with `yaml`).
 *
 * The promise, held by the property test in test/project/yaml-fast.test.ts: whenever this
 * returns a value, `yaml` (YAML 1.2, core schema, the options of yaml-source.ts) reads the same
 * text without error, as one document, to a deeply equal value.
 */

/** Characters `yaml` treats specially or rejects, and line ends other than LF: declined outright. */
const DECLINED_CHARACTERS = /[\r\t\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;

/** Thrown to decline; caught in parseYamlFast. */
const DECLINE: unique symbol = Symbol("decline");

/**
 * `yaml` refuses implicit keys whose `:` is more than 1024 characters after the key's start; stay
 * well under. Where a collection ends in an empty value, the blank lines before the next
 * (shallower) key count as part of that key: `a:\n-\n` + 1023 blank lines + `b: 1` is an error
 * (a comment line between them ends the count).
 */
const MAX_KEY_LENGTH = 1000;

/**
 * The spec's value when the text is in the subset (always a mapping at the root), or undefined:
 * parse it with `yaml`.
 */
export function parseYamlFast(source: string): Record<string, unknown> | undefined {
  try {
    return parseYamlFastOrDecline(source);
  } catch {
    // A decline, or a defect of this fast path: either way the reference parser decides.
    return undefined;
  }
}

/** parseYamlFast that lets a defect throw: for the property test. */
export function parseYamlFastOrDecline(source: string): Record<string, unknown> | undefined {
  if (DECLINED_CHARACTERS.test(source)) return undefined;
  try {
    return new FastYaml(source).document();
  } catch (e) {
    if (e === DECLINE) return undefined;
    throw e;
  }
}

function decline(): never {
  throw DECLINE;
}

function indentOf(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  return i;
}

/** Trailing spaces off (only spaces: a no-break space is content). */
function trimSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
  return end === text.length ? text : text.slice(0, end);
}

function skipSpaces(line: string, at: number): number {
  while (line.charCodeAt(at) === 32) at++;
  return at;
}

/** `-` as a sequence entry: followed by a space or the end of the line. */
function isSequenceEntry(line: string, at: number): boolean {
  return line.charCodeAt(at) === 45 /* - */ && (at + 1 === line.length || line.charCodeAt(at + 1) === 32);
}

/** Characters that may not start a plain scalar (or start something this path declines). */
const NOT_PLAIN_START = new Set(["-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", '"', "%", "@", "`", " "]);

const ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  e: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
};
const HEX_DIGITS = /^[0-9a-fA-F]+$/;

/** A plain scalar's value under the YAML 1.2 core schema, exactly as `yaml` resolves it. */
export function resolvePlainScalar(raw: string): unknown {
  const first = raw.charCodeAt(0);
  // Most scalars are words: only these first characters can start a null, a bool or a number.
  const maybeSpecial =
    first === 126 /* ~ */ || first === 110 || first === 78 /* n N */ || first === 116 || first === 84 /* t T */ || first === 102 || first === 70 /* f F */ ||
    first === 43 || first === 45 || first === 46 /* + - . */ || (first >= 48 && first <= 57);
  if (!maybeSpecial) return raw;
  if (/^(?:~|[Nn]ull|NULL)$/.test(raw)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(raw)) return first === 116 || first === 84;
  if (/^0o[0-7]+$/.test(raw)) return parseInt(raw.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(raw)) return parseInt(raw, 10);
  if (/^0x[0-9a-fA-F]+$/.test(raw)) return parseInt(raw.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(raw)) return raw.slice(-3).toLowerCase() === "nan" ? NaN : raw[0] === "-" ? -Infinity : Infinity;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(raw)) return parseFloat(raw);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(raw)) return parseFloat(raw);
  return raw;
}

/** A key as a plain object holds it (what `yaml`'s toJS does with a scalar key). */
function keyString(value: unknown): string {
  return value === null ? "" : String(value);
}

class FastYaml {
  private readonly lines: string[];
  /** The next line not yet consumed. */
  private next = 0;
  /** Characters of the blank lines (since a comment line) before the line peek last found: part of a key's length to yaml. */
  private gap = 0;
  /**
   * peek's last answer, for `next` = peekedFrom: every collection that ends at a line asks for it
   * again, and without this each would scan the blank lines before it again (depth × lines).
   */
  private peekedFrom = -1;
  private peekedAt = 0;

  constructor(source: string) {
    this.lines = source.split("\n");
  }

  document(): Record<string, unknown> {
    const at = this.peek();
    if (at === this.lines.length || indentOf(this.lines[at] as string) !== 0) decline();
    const value = this.blockMapping(0, undefined);
    if (this.peek() !== this.lines.length) decline();
    return value;
  }

  /** The next line with content (not blank, not only a comment), not consumed; lines.length at the end. */
  private peek(): number {
    if (this.peekedFrom === this.next) return this.peekedAt;
    const lines = this.lines;
    let gap = 0;
    for (let i = this.next; i < lines.length; i++) {
      const line = lines[i] as string;
      const indent = indentOf(line);
      if (indent === line.length) {
        gap += line.length + 1;
        continue;
      }
      // A comment line ends the run of blank lines yaml would count into the next key.
      if (line.charCodeAt(indent) === 35 /* # */) {
        gap = 0;
        continue;
      }
      // Document markers and directives start a line: another document, or a YAML directive.
      if (indent === 0 && (line.charCodeAt(0) === 37 /* % */ || /^(?:---|\.\.\.)(?: |$)/.test(line))) decline();
      return this.remember(i, gap);
    }
    return this.remember(lines.length, gap);
  }

  private remember(at: number, gap: number): number {
    this.peekedFrom = this.next;
    this.peekedAt = at;
    this.gap = gap;
    return at;
  }

  /** A block mapping whose keys are at `indent`; `firstLine` holds its first entry at that column (a `- key: value` entry). */
  private blockMapping(indent: number, firstLine: string | undefined): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    if (firstLine !== undefined) this.entry(map, firstLine, indent);
    for (let line = this.take(indent, false); line !== undefined; line = this.take(indent, false)) this.entry(map, line, indent);
    return map;
  }

  /**
   * The next content line, consumed, when it belongs to the collection at `indent`: at that
   * column and a `-` entry exactly when `sequence`. Undefined where the collection ends (a
   * shallower line, the end, or a key after a sequence); a deeper line, or a `-` entry among
   * keys, declines.
   */
  private take(indent: number, sequence: boolean): string | undefined {
    const at = this.peek();
    if (at === this.lines.length) return undefined;
    const line = this.lines[at] as string;
    const lineIndent = indentOf(line);
    if (lineIndent < indent) return undefined;
    if (lineIndent > indent) decline();
    if (isSequenceEntry(line, lineIndent) !== sequence) {
      if (sequence) return undefined;
      decline();
    }
    this.next = at + 1;
    return line;
  }

  /** One `key: value` at column `at` of `line`, into `map`. */
  private entry(map: Record<string, unknown>, line: string, at: number): void {
    let key: string;
    let end: number;
    const c = line[at];
    if (c === '"' || c === "'") {
      const quoted = c === '"' ? doubleQuoted(line, at) : singleQuoted(line, at);
      key = quoted.value;
      end = skipSpaces(line, quoted.end);
    } else {
      if (c === undefined || NOT_PLAIN_START.has(c)) decline();
      end = plainKeyEnd(line, at);
      const raw = trimSpaces(line.slice(at, end));
      // A merge key is the reference parser's to report.
      if (raw === "<<") decline();
      key = keyString(resolvePlainScalar(raw));
    }
    if (line.charCodeAt(end) !== 58 /* : */ || (end + 1 < line.length && line.charCodeAt(end + 1) !== 32)) decline();
    // The blank lines before this key's line (peek's last find: take's, or the `- ` line's) count.
    if (this.gap + end > MAX_KEY_LENGTH || key === "__proto__" || Object.hasOwn(map, key)) decline();
    const valueAt = skipSpaces(line, end + 1);
    map[key] = valueAt === line.length || line.charCodeAt(valueAt) === 35 /* # */ ? this.nestedBlock(at, true) : this.inlineValue(line, valueAt, at);
  }

  /**
   * The value of a key or `-` with nothing after it on its line: a block collection on the next
   * lines, deeper than `parentIndent` (or, for a key, a sequence at the key's own column), or null.
   */
  private nestedBlock(parentIndent: number, sequenceAtParent: boolean): unknown {
    const at = this.peek();
    if (at === this.lines.length) return null;
    const line = this.lines[at] as string;
    const indent = indentOf(line);
    if (indent > parentIndent) return isSequenceEntry(line, indent) ? this.blockSequence(indent) : this.blockMapping(indent, undefined);
    if (indent === parentIndent && sequenceAtParent && isSequenceEntry(line, indent)) return this.blockSequence(indent);
    return null;
  }

  private blockSequence(indent: number): unknown[] {
    const items: unknown[] = [];
    for (let line = this.take(indent, true); line !== undefined; line = this.take(indent, true)) {
      const valueAt = skipSpaces(line, indent + 1);
      if (valueAt === line.length || line.charCodeAt(valueAt) === 35 /* # */) items.push(this.nestedBlock(indent, false));
      else if (isSequenceEntry(line, valueAt)) decline();
      else if (startsMapEntry(line, valueAt)) items.push(this.blockMapping(valueAt, line));
      else items.push(this.inlineValue(line, valueAt, indent));
    }
    return items;
  }

  /** A value that starts on its key's (or dash's) line at `at`; `parentIndent` is the key's or dash's column. */
  private inlineValue(line: string, at: number, parentIndent: number): unknown {
    const c = line[at] as string;
    let value: unknown;
    let end: number;
    if (c === '"' || c === "'") {
      ({ value, end } = c === '"' ? doubleQuoted(line, at) : singleQuoted(line, at));
    } else if (c === "[" || c === "{") {
      ({ value, end } = flowNode(line, at));
    } else if (c === "|" || c === ">") {
      return this.blockScalar(line, at, parentIndent);
    } else {
      // `-5` and `-x` are plain; `- x` would be a sequence on the key's line, an error.
      if (NOT_PLAIN_START.has(c) && !(c === "-" && at + 1 < line.length && line.charCodeAt(at + 1) !== 32)) decline();
      end = plainValueEnd(line, at);
      const raw = trimSpaces(line.slice(at, end));
      // `key: a: b` and `key: a:` are nested mappings on one line, an error.
      if (raw.includes(": ") || raw.endsWith(":")) decline();
      value = resolvePlainScalar(raw);
    }
    expectLineEnd(line, end);
    // A deeper line after it would continue a multi-line scalar (or be an error).
    const following = this.peek();
    if (following < this.lines.length && indentOf(this.lines[following] as string) > parentIndent) decline();
    return value;
  }

  /** `|` or `>` with optional chomping, at `at` of `line`; its lines follow, deeper than `parentIndent`. */
  private blockScalar(line: string, at: number, parentIndent: number): string {
    const folded = line[at] === ">";
    let i = at + 1;
    let chomping: "clip" | "strip" | "keep" = "clip";
    if (line[i] === "-") (chomping = "strip"), i++;
    else if (line[i] === "+") (chomping = "keep"), i++;
    if (i < line.length && line.charCodeAt(i) !== 32) decline();
    expectLineEnd(line, i);

    const lines = this.lines;
    let first = this.next;
    // The content's indentation is that of its first non-empty line.
    let contentIndent = -1;
    for (; first < lines.length; first++) {
      const text = lines[first] as string;
      const indent = indentOf(text);
      if (indent < text.length) {
        contentIndent = indent;
        break;
      }
    }
    if (contentIndent <= parentIndent) decline(); // empty, or nothing deeper: the reference decides
    const content: string[] = [];
    let lastContent = -1;
    let i2 = this.next;
    for (; i2 < lines.length; i2++) {
      const text = lines[i2] as string;
      const indent = indentOf(text);
      if (indent === text.length) {
        if (text.length > contentIndent) decline(); // spaces beyond the indentation are content
        content.push("");
        continue;
      }
      if (indent < contentIndent) {
        if (indent > parentIndent) decline();
        break;
      }
      if (folded && indent > contentIndent) decline(); // more-indented lines fold differently
      content.push(text.slice(contentIndent));
      lastContent = i2;
    }
    this.next = i2;
    // Lines between the last content line and the end of the scalar: trailing, for chomping.
    const kept = content.length - (i2 - 1 - lastContent);
    const body = content.slice(0, kept);
    let text = "";
    if (folded) {
      let empties = 0;
      for (let k = 0; k < body.length; k++) {
        const piece = body[k] as string;
        if (piece === "") {
          empties++;
          continue;
        }
        if (k > 0 && text !== "") text += empties === 0 ? " " : "\n".repeat(empties);
        else if (empties > 0) text += "\n".repeat(empties);
        text += piece;
        empties = 0;
      }
    } else {
      text = body.join("\n");
    }
    if (chomping === "strip") return text;
    // Line breaks after the last content line, up to the end of the scalar (yaml counts one
    // after the last content line also where the file ends without it).
    const lastLine = lines.length - 1;
    let breaks = 1;
    for (let k = lastContent + 1; k < i2; k++) if (k < lastLine) breaks++;
    if (chomping === "clip") return breaks > 0 ? `${text}\n` : text;
    return text + "\n".repeat(breaks);
  }
}

/** After a value: only spaces, then maybe a comment (which needs a space before its `#`). */
function expectLineEnd(line: string, end: number): void {
  const at = skipSpaces(line, end);
  if (at === line.length) return;
  if (line.charCodeAt(at) === 35 /* # */ && at > end) return;
  decline();
}

/** Where a plain key ends: its `:` followed by a space or the line's end. */
function plainKeyEnd(line: string, at: number): number {
  for (let i = at; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 58 /* : */ && (i + 1 === line.length || line.charCodeAt(i + 1) === 32)) return i;
    // A comment, or flow indicators in a key: the reference decides.
    if ((c === 35 /* # */ && line.charCodeAt(i - 1) === 32) || c === 44 || c === 91 || c === 93 || c === 123 || c === 125) decline();
  }
  return decline();
}

/** Where a plain value in block context ends: before ` #` or at the line's end. */
function plainValueEnd(line: string, at: number): number {
  const comment = line.indexOf(" #", at);
  return comment === -1 ? line.length : comment;
}

/** Does a `- ` entry's content at `at` start a mapping (`key: …`)? */
function startsMapEntry(line: string, at: number): boolean {
  const c = line[at];
  if (c === '"' || c === "'") {
    const { end } = c === '"' ? doubleQuoted(line, at) : singleQuoted(line, at);
    const colon = skipSpaces(line, end);
    return line.charCodeAt(colon) === 58 && (colon + 1 === line.length || line.charCodeAt(colon + 1) === 32);
  }
  if (c === "[" || c === "{") return false;
  const end = plainValueEnd(line, at);
  for (let i = at; i < end; i++) {
    if (line.charCodeAt(i) === 58 && (i + 1 === line.length || line.charCodeAt(i + 1) === 32)) return true;
  }
  return false;
}

/** A double-quoted scalar that closes on its line. */
function doubleQuoted(line: string, at: number): { value: string; end: number } {
  let value = "";
  let from = at + 1;
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 34 /* " */) return { value: value + line.slice(from, i), end: i + 1 };
    if (c !== 92 /* \ */) continue;
    value += line.slice(from, i);
    const code = line[i + 1];
    if (code === undefined) decline(); // an escaped line break: multi-line
    const simple = ESCAPES[code];
    if (simple !== undefined) {
      value += simple;
      i += 1;
    } else if (code === "x" || code === "u" || code === "U") {
      const length = code === "x" ? 2 : code === "u" ? 4 : 8;
      const hex = line.slice(i + 2, i + 2 + length);
      if (hex.length !== length || !HEX_DIGITS.test(hex)) decline();
      const point = parseInt(hex, 16);
      if (point > 0x10ffff) decline();
      value += String.fromCodePoint(point);
      i += 1 + length;
    } else {
      decline();
    }
    from = i + 1;
  }
  return decline();
}

/** A single-quoted scalar that closes on its line (`''` is a quote). */
function singleQuoted(line: string, at: number): { value: string; end: number } {
  let value = "";
  let from = at + 1;
  for (;;) {
    const quote = line.indexOf("'", from);
    if (quote === -1) decline();
    value += line.slice(from, quote);
    if (line.charCodeAt(quote + 1) === 39) {
      value += "'";
      from = quote + 2;
      continue;
    }
    return { value, end: quote + 1 };
  }
}

/** A flow collection or scalar at `at`, closed on its line. */
function flowNode(line: string, at: number): { value: unknown; end: number } {
  const c = line[at];
  if (c === "[") return flowSequence(line, at);
  if (c === "{") return flowMapping(line, at);
  if (c === '"') return doubleQuoted(line, at);
  if (c === "'") return singleQuoted(line, at);
  return flowPlain(line, at);
}

function flowSequence(line: string, at: number): { value: unknown[]; end: number } {
  const items: unknown[] = [];
  let i = skipSpaces(line, at + 1);
  if (line[i] === "]") return { value: items, end: i + 1 };
  for (;;) {
    const item = flowNode(line, i);
    items.push(item.value);
    i = skipSpaces(line, item.end);
    const c = line[i];
    if (c === "]") return { value: items, end: i + 1 };
    if (c !== ",") decline(); // `[a: b]` (a pair), a comment, or no closing bracket
    i = skipSpaces(line, i + 1);
    if (line[i] === "]" || line[i] === ",") decline();
  }
}

function flowMapping(line: string, at: number): { value: Record<string, unknown>; end: number } {
  const map: Record<string, unknown> = {};
  let i = skipSpaces(line, at + 1);
  if (line[i] === "}") return { value: map, end: i + 1 };
  for (;;) {
    const c = line[i];
    let key: string;
    let end: number;
    if (c === '"' || c === "'") {
      const quoted = c === '"' ? doubleQuoted(line, i) : singleQuoted(line, i);
      key = quoted.value;
      end = quoted.end;
    } else {
      const plain = flowPlain(line, i);
      if (trimSpaces(line.slice(i, plain.end)) === "<<") decline();
      key = keyString(plain.value);
      end = plain.end;
    }
    end = skipSpaces(line, end);
    if (line.charCodeAt(end) !== 58 /* : */ || line.charCodeAt(end + 1) !== 32) decline();
    if (key === "__proto__" || Object.hasOwn(map, key)) decline();
    i = skipSpaces(line, end + 1);
    if (i === line.length || line[i] === "," || line[i] === "}" || line[i] === "#") decline();
    const value = flowNode(line, i);
    map[key] = value.value;
    i = skipSpaces(line, value.end);
    if (line[i] === "}") return { value: map, end: i + 1 };
    if (line[i] !== ",") decline();
    i = skipSpaces(line, i + 1);
    if (line[i] === "}" || line[i] === ",") decline();
  }
}

/** A plain scalar inside a flow collection: ends at `,` `]` `}` or a `:` that is an indicator. */
function flowPlain(line: string, at: number): { value: unknown; end: number } {
  const c = line[at];
  if (c === undefined || (NOT_PLAIN_START.has(c) && !(c === "-" && /[0-9A-Za-z.]/.test(line[at + 1] ?? "")))) decline();
  let i = at;
  for (; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code === 44 || code === 93 || code === 125) break; // , ] }
    if (code === 91 || code === 123) decline(); // [ { inside a plain scalar
    if (code === 35 /* # */ && line.charCodeAt(i - 1) === 32) decline(); // a comment inside the collection
    if (code === 58 /* : */) {
      const after = line.charCodeAt(i + 1);
      if (i + 1 === line.length || after === 32 || after === 44 || after === 91 || after === 93 || after === 123 || after === 125) break;
    }
  }
  if (i === line.length) decline(); // the collection does not close on this line
  return { value: resolvePlainScalar(trimSpaces(line.slice(at, i))), end: i };
}
