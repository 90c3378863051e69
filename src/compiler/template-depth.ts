/**
 * How deeply a template nests, found before Handlebars parses it: its parser slows down with the
 * square of the depth (1,500 levels take a second) and its AST visitors recurse until the stack
 * runs out. Real messages nest a few levels; the limit is far above that.
 */

/** `{{#if}}` blocks, `{{else if}}` chains and `(sub-expressions)` together. */
export const MAX_TEMPLATE_NESTING = 32;

/**
 * The offset of the `{{` at which nesting first goes past `max`, or undefined. It reads
 * mustaches the way Handlebars' lexer does (escaped `\{{`, comments, quoted strings, `[literal]`
 * names) and may only count too high, never too low: every `(` in a mustache counts, whether or
 * not its sub-expressions are side by side.
 */
export function tooDeepAt(source: string, max = MAX_TEMPLATE_NESTING): number | undefined {
  /** For each open block, the levels it holds: 1, plus one per `{{else if …}}` in its chain. */
  const blocks: number[] = [];
  let depth = 0;
  let at = 0;
  for (;;) {
    const open = source.indexOf("{{", at);
    if (open === -1) return undefined;
    if (isEscaped(source, open)) {
      at = open + 2;
      continue;
    }
    let i = open + 2;
    if (source[i] === "~") i++;
    if (source[i] === "!") {
      const end = commentEnd(source, i);
      if (end === undefined) return unresolved(source, open, depth, max);
      at = end;
      continue;
    }
    const scanned = scanMustache(source, i);
    if (scanned === undefined) return unresolved(source, open, depth, max);
    const head = source.slice(i, scanned.end);
    let levels = depth;
    if (head.startsWith("#") || (head.startsWith("^") && !/^\^\s*~?$/.test(head))) {
      blocks.push(1);
      depth++;
      levels = depth;
    } else if (head.startsWith("/")) {
      depth -= blocks.pop() ?? 0;
    } else if (/^\s*else\s+[^\s~]/.test(head) && blocks.length > 0) {
      blocks[blocks.length - 1]!++;
      depth++;
      levels = depth;
    }
    if (levels + scanned.opens > max) return open;
    at = scanned.end + 2;
  }
}

/** Just past the `}}` that ends the comment starting at `from` (at its `!`). */
function commentEnd(source: string, from: number): number | undefined {
  if (!source.startsWith("!--", from)) {
    const end = source.indexOf("}}", from);
    return end === -1 ? undefined : end + 2;
  }
  // `--}}` or `--~}}`, searched from where the last try stopped so that the scan stays linear.
  const end = /--~?\}\}/g;
  end.lastIndex = from + 3;
  const found = end.exec(source);
  return found ? found.index + found[0].length : undefined;
}

/**
 * Something left open (a string, a comment, a mustache): Handlebars may well read it otherwise,
 * so every `(` and `{{` from here on counts as a level.
 */
function unresolved(source: string, open: number, depth: number, max: number): number | undefined {
  let levels = depth;
  for (let i = open; i < source.length; i++) {
    if (source[i] === "(" || (source[i] === "{" && source[i + 1] === "{")) levels++;
    if (levels > max) return open;
  }
  return undefined;
}

/** Handlebars reads `\{{` as text, and `\\{{` as a backslash and then a mustache. */
function isEscaped(source: string, open: number): boolean {
  return source[open - 1] === "\\" && source[open - 2] !== "\\";
}

/** From inside a mustache to its `}}`: where that is, and how many `(` came before it. */
function scanMustache(source: string, from: number): { end: number; opens: number } | undefined {
  let opens = 0;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'") {
      i = closing(source, i + 1, c);
    } else if (c === "[") {
      i = closing(source, i + 1, "]");
    } else if (c === "(") {
      opens++;
    } else if (c === "}" && source[i + 1] === "}") {
      return { end: i, opens };
    }
    if (i >= source.length) return undefined;
  }
  return undefined;
}

/** The index of the `end` that closes a string or a `[literal]` (backslash escapes it). */
function closing(source: string, from: number, end: string): number {
  for (let i = from; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === end) return i;
  }
  return source.length;
}
