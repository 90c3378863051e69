/**
 * Handlebars templates of msgc: parsed once, checked statically (unknown variables and helpers,
 * unguarded optional vars), then compiled once into a render function.
 */
import Handlebars from "handlebars";
import type { Diagnostic, JsonPath } from "../diagnostics.js";
import { BLOCK_HELPERS, HELPER_ARITY, HELPER_NAMES, HELPERS } from "./helpers.js";
import { MAX_TEMPLATE_NESTING, tooDeepAt } from "./template-depth.js";
import { closest, quote } from "./words.js";

export type Values = Readonly<Record<string, string | number | boolean>>;
export type Render = (values: Values, locale: string | undefined) => string;

export interface CompiledText {
  source: string;
  /** True when the value has no interpolation: its output never changes. */
  literal: boolean;
  render: Render;
}

export interface VarInfo {
  /** Optional and without a default: may be absent at render time. */
  optional: boolean;
}

export interface TextContext {
  file: string;
  path: JsonPath;
  vars: ReadonlyMap<string, VarInfo>;
  /** Filled with every declared var the text uses, so that the message can tell which none does. */
  used?: Set<string>;
}

// An isolated instance: only our helpers plus `if`/`unless`, so nothing a spec writes can reach
// `lookup`, `log`, `each`, `with` or partials.
const handlebars = Handlebars.create();
for (const name of Object.keys(handlebars.helpers)) {
  if (!(BLOCK_HELPERS as readonly string[]).includes(name)) handlebars.unregisterHelper(name);
}
for (const [name, fn] of Object.entries(HELPERS)) handlebars.registerHelper(name, fn as Handlebars.HelperDelegate);

// With noEscape, Handlebars joins the values of a program that starts with two mustaches with a
// bare `+`, so `{{a}}{{b}}` with a = b = 0 renders "0" instead of "00". Forcing its string buffer
// makes every program concatenate strings.
interface JsCompiler {
  forceBuffer: boolean;
  mergeSource(declarations: unknown): unknown;
}
type JsCompilerClass = { new (...args: unknown[]): JsCompiler; prototype: JsCompiler & { compiler: unknown } };
const BaseCompiler = (handlebars as unknown as { JavaScriptCompiler: JsCompilerClass }).JavaScriptCompiler;
function StringBufferCompiler(this: JsCompiler, ...args: unknown[]): void {
  (BaseCompiler as unknown as (...a: unknown[]) => void).apply(this, args);
}
StringBufferCompiler.prototype = Object.create(BaseCompiler.prototype) as JsCompiler & { compiler: unknown };
StringBufferCompiler.prototype.compiler = StringBufferCompiler;
StringBufferCompiler.prototype.mergeSource = function mergeSource(this: JsCompiler, declarations: unknown): unknown {
  this.forceBuffer = true;
  return BaseCompiler.prototype.mergeSource.call(this, declarations);
};
(handlebars as unknown as { JavaScriptCompiler: unknown }).JavaScriptCompiler = StringBufferCompiler;

const KNOWN_HELPERS: Record<string, boolean> = {
  helperMissing: false,
  blockHelperMissing: false,
  each: false,
  with: false,
  log: false,
  lookup: false,
  if: true,
  unless: true,
};
for (const name of HELPER_NAMES) KNOWN_HELPERS[name] = true;

const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  knownHelpersOnly: true,
  knownHelpers: KNOWN_HELPERS,
} as const;

interface Loc {
  start: { line: number; column: number };
}
interface Node {
  type: string;
  loc: Loc;
}
interface PathNode extends Node {
  type: "PathExpression";
  original: string;
  parts: string[];
  data: boolean;
  depth: number;
}
interface CallNode extends Node {
  path: Node;
  params: Node[];
  hash?: { pairs: unknown[] };
}
interface BlockNode extends CallNode {
  program?: { body: Node[] } | null;
  inverse?: { body: Node[] } | null;
}
interface ContentNode extends Node {
  value: string;
}

/** Where each line of `source` starts, counting line breaks the way Handlebars' lexer does. */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) {
    const ch = source.charCodeAt(i);
    if (ch === 10) starts.push(i + 1);
    else if (ch === 13) {
      if (source.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

function offsetOf(starts: number[], line: number, column: number): number {
  return (starts[line - 1] ?? 0) + column;
}

function isPath(node: Node): node is PathNode {
  return node.type === "PathExpression";
}

const TOO_DEEP = `The template nests more than ${MAX_TEMPLATE_NESTING} levels deep ({{#if}} and {{#unless}} blocks, {{else if}} chains and (sub-expressions) together); write it flatter`;

/** Compile one spec string. Reports problems instead of throwing; `text` is absent on errors. */
export function compileText(
  source: string,
  ctx: TextContext,
  /** Tests compare the fast path against Handlebars with this. */
  opts: { handlebarsOnly?: boolean } = {},
): { text?: CompiledText; diagnostics: Diagnostic[] } {
  if (!source.includes("{{")) return { text: literalText(source), diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const starts = lineStarts(source);
  const report = (code: Diagnostic["code"], message: string, loc: Loc | number | undefined, hint?: string): void => {
    const offset = typeof loc === "number" ? loc : loc ? offsetOf(starts, loc.start.line, loc.start.column) : undefined;
    const d: Diagnostic = { code, severity: "error", message, file: ctx.file, path: ctx.path };
    if (offset !== undefined) d.offset = offset;
    if (hint !== undefined) d.hint = hint;
    diagnostics.push(d);
  };

  const tooDeep = tooDeepAt(source);
  if (tooDeep !== undefined) {
    report("template-syntax", TOO_DEEP, tooDeep);
    return { diagnostics };
  }
  let program: { body: Node[] };
  try {
    program = handlebars.parse(source) as unknown as { body: Node[] };
  } catch (error) {
    if (error instanceof RangeError) {
      report("template-syntax", TOO_DEEP, source.indexOf("{{"));
      return { diagnostics };
    }
    const { message, offset } = describeParseError(error, source, starts);
    report("template-syntax", message, offset);
    return { diagnostics };
  }

  try {
    checkStatements(program.body, new Set(), ctx, report);
  } catch (error) {
    // The depth check above is meant to make this unreachable; a stack overflow is still one
    // diagnostic, not a crash.
    if (!(error instanceof RangeError)) throw error;
    diagnostics.length = 0;
    report("template-syntax", TOO_DEEP, source.indexOf("{{"));
  }
  if (diagnostics.length > 0) return { diagnostics };

  const simple = opts.handlebarsOnly ? undefined : simpleSegments(program.body);
  if (simple) return { text: segmentsText(source, simple), diagnostics };
  const template = handlebars.compile(program as unknown as string, COMPILE_OPTIONS);
  const render: Render = (values, locale) => template(values, { data: { locale } });
  return { text: { source, literal: false, render }, diagnostics };
}

/**
 * `{name}` or `{name}}` / `{{name}`: a var name in braces that are not a pair of pairs. A match
 * starts only at the first brace of a run, so that a long run of braces is read once, not once
 * per brace.
 */
const BRACED_NAME = /(?<!\{)(\{+)[ \t]*([a-z][a-z0-9_-]*)[ \t]*(\}+)/g;

/**
 * Single braces around what reads as a var name (`Hi {first_name}`): sent as written, so almost
 * always a forgotten `{{`. One warning per text, at the first such brace, counting the others.
 */
export function findSingleBraces(source: string, ctx: TextContext): Diagnostic[] {
  if (!source.includes("{")) return [];
  let first: { written: string; name: string; index: number } | undefined;
  let others = 0;
  for (const match of source.matchAll(BRACED_NAME)) {
    const [written, open, name, close] = match as unknown as [string, string, string, string];
    if (open.length >= 2 && close.length >= 2) continue;
    if (first) others++;
    else first = { written, name, index: match.index };
  }
  if (!first) return [];
  const { written, name, index } = first;
  const declared = ctx.vars.has(name);
  const more = others > 0 ? ` (and ${others} more in this text)` : "";
  return [
    {
      code: "single-brace",
      severity: "warning",
      message: `${quote(written)} has single braces, so it is sent as written${declared ? `; write {{${name}}} to insert the var ${name}` : ""}${more}`,
      file: ctx.file,
      path: ctx.path,
      offset: index,
      hint: declared ? `vars are inserted with two braces on each side: {{${name}}}` : `to insert a var, write {{name}} and declare it under vars:`,
    },
  ];
}

function literalText(source: string): CompiledText {
  return { source, literal: true, render: () => source };
}

type Segment = string | { name: string };

/**
 * Text and plain `{{var}}` only: rendered by joining, which gives the same output as Handlebars
 * (noEscape, strict) at a fraction of the cost. This is the common case in specs.
 */
function simpleSegments(body: Node[]): Segment[] | undefined {
  const segments: Segment[] = [];
  for (const node of body) {
    if (node.type === "ContentStatement") segments.push((node as ContentNode).value);
    else if (node.type === "CommentStatement") continue;
    else if (node.type === "MustacheStatement") {
      const call = node as CallNode;
      if (call.params.length > 0 || (call.hash && call.hash.pairs.length > 0) || !isPath(call.path)) return undefined;
      segments.push({ name: call.path.original });
    } else return undefined;
  }
  return segments;
}

function segmentsText(source: string, segments: Segment[]): CompiledText {
  if (segments.every((s) => typeof s === "string")) return literalText(segments.join(""));
  if (segments.length === 1) {
    const name = (segments[0] as { name: string }).name;
    return { source, literal: false, render: (values) => stringOf(values, name) };
  }
  const render: Render = (values) => {
    let out = "";
    for (const segment of segments) out += typeof segment === "string" ? segment : stringOf(values, segment.name);
    return out;
  };
  return { source, literal: false, render };
}

export class MissingValueError extends Error {
  override name = "MissingValueError";
  constructor(readonly variable: string) {
    super(`${variable} has no value`);
  }
}

function stringOf(values: Values, name: string): string {
  const value = values[name];
  if (value === undefined) throw new MissingValueError(name);
  return String(value);
}

type Reporter = (code: Diagnostic["code"], message: string, loc: Loc | number | undefined, hint?: string) => void;

/**
 * Walk statements. `guarded` holds the optional vars known to be present here (inside an
 * `{{#if var}}` body or an `{{#unless var}}` else-branch).
 */
function checkStatements(body: Node[], guarded: ReadonlySet<string>, ctx: TextContext, report: Reporter): void {
  for (const node of body) {
    switch (node.type) {
      case "ContentStatement":
      case "CommentStatement":
        break;
      case "MustacheStatement":
        checkCall(node as CallNode, node.loc, guarded, false, ctx, report);
        break;
      case "BlockStatement":
        checkBlock(node as BlockNode, guarded, ctx, report);
        break;
      case "PartialStatement":
      case "PartialBlockStatement":
        report("template-syntax", "Partials ({{> name}}) are not supported in msgc templates", node.loc);
        break;
      default:
        report("template-syntax", "Decorators and raw blocks are not supported in msgc templates", node.loc);
    }
  }
}

function checkBlock(block: BlockNode, guarded: ReadonlySet<string>, ctx: TextContext, report: Reporter): void {
  const path = block.path;
  const name = isPath(path) ? path.original : "";
  if (!block.program) {
    report("template-syntax", `Inverse sections ({{^${name}}}) are not supported; use {{#unless ${name}}}`, block.loc);
    return;
  }
  if (name !== "if" && name !== "unless") {
    const hint = HELPER_NAMES.includes(name) ? `${name} is not a block helper; write {{${name} …}}` : "blocks can only be {{#if}} and {{#unless}}";
    report("unknown-helper", `Unknown block helper "${name}"`, block.loc, hint);
    return;
  }
  if (block.params.length !== 1 || (block.hash && block.hash.pairs.length > 0)) {
    report("template-syntax", `{{#${name}}} takes exactly one value`, block.loc);
    return;
  }
  const condition = block.params[0] as Node;
  checkExpression(condition, block.loc, guarded, true, ctx, report);
  const subject = isPath(condition) && ctx.vars.has(condition.original) ? condition.original : undefined;
  const withSubject = subject ? new Set([...guarded, subject]) : guarded;
  checkStatements(block.program.body, name === "if" ? withSubject : guarded, ctx, report);
  if (block.inverse) checkStatements(block.inverse.body, name === "unless" ? withSubject : guarded, ctx, report);
}

/** A mustache or a sub-expression: a var lookup, or a helper call. */
function checkCall(call: CallNode, at: Loc, guarded: ReadonlySet<string>, mayBeAbsent: boolean, ctx: TextContext, report: Reporter): void {
  const hasArgs = call.params.length > 0 || (call.hash !== undefined && call.hash.pairs.length > 0);
  const path = call.path;
  if (!isPath(path)) {
    report("template-syntax", "A mustache must name a var or a helper", at);
    return;
  }
  const name = path.original;
  if (!hasArgs && !HELPER_NAMES.includes(name)) {
    checkVar(path, at, guarded, mayBeAbsent, ctx, report);
    return;
  }
  if (!HELPER_NAMES.includes(name) || path.data || path.depth > 0 || path.parts.length !== 1) {
    const hint = closest(name, HELPER_NAMES);
    report("unknown-helper", `Unknown helper "${name}"`, at, hint ? `did you mean "${hint}"?` : `helpers are ${HELPER_NAMES.join(", ")}`);
    return;
  }
  const [min, max] = HELPER_ARITY[name] ?? [0, 0];
  if (call.hash && call.hash.pairs.length > 0) {
    report("template-syntax", `${name} takes no named arguments`, at);
    return;
  }
  if (call.params.length < min || call.params.length > max) {
    const count = min === max ? `${min}` : `${min} or ${max}`;
    report("template-syntax", `${name} takes ${count} argument${max === 1 ? "" : "s"}, got ${call.params.length}`, at);
    return;
  }
  call.params.forEach((param, index) => {
    // `default` exists to render an absent optional var, so its first argument may be absent.
    checkExpression(param, at, guarded, name === "default" && index === 0, ctx, report);
  });
}

function checkExpression(node: Node, at: Loc, guarded: ReadonlySet<string>, mayBeAbsent: boolean, ctx: TextContext, report: Reporter): void {
  if (isPath(node)) checkVar(node, at, guarded, mayBeAbsent, ctx, report);
  else if (node.type === "SubExpression") checkCall(node as CallNode, at, guarded, mayBeAbsent, ctx, report);
  // literals (string, number, boolean, null, undefined) are always fine as arguments
}

function checkVar(path: PathNode, at: Loc, guarded: ReadonlySet<string>, mayBeAbsent: boolean, ctx: TextContext, report: Reporter): void {
  const name = path.original;
  const declared = !path.data && path.depth === 0 && path.parts.length === 1 ? ctx.vars.get(name) : undefined;
  if (!declared) {
    const suggestion = closest(name, [...ctx.vars.keys()]);
    report(
      "unknown-variable",
      `Unknown variable "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ""}`,
      at,
      ctx.vars.size > 0 ? `declared vars: ${[...ctx.vars.keys()].join(", ")}` : "declare it under vars:",
    );
    return;
  }
  ctx.used?.add(name);
  if (declared.optional && !mayBeAbsent && !guarded.has(name)) {
    report(
      "optional-var-unguarded",
      `Optional var "${name}" is used outside an {{#if ${name}}} guard and may be absent`,
      at,
      `wrap it in {{#if ${name}}}…{{/if}} or write {{default ${name} "…"}}`,
    );
  }
}

function describeParseError(error: unknown, source: string, starts: number[]): { message: string; offset?: number } {
  const err = error as { message?: string; lineNumber?: number; column?: number };
  const text = typeof err.message === "string" ? err.message : String(error);
  if (typeof err.lineNumber === "number" && typeof err.column === "number") {
    // Handlebars' own checks (e.g. a block closed by the wrong name) carry a position.
    const at = offsetOf(starts, err.lineNumber, err.column);
    const open = source.lastIndexOf("{{", at);
    return { message: `Template syntax error: ${(text.split("\n")[0] ?? "").replace(/ - \d+:\d+$/, "")}`, offset: open >= 0 ? open : at };
  }
  // Parser errors only carry their position in the shared lexer's state.
  const lexer = (Handlebars as unknown as { Parser?: { lexer?: { yylloc?: { first_line: number; first_column: number } } } }).Parser?.lexer;
  const loc = lexer?.yylloc;
  let offset = loc ? Math.min(offsetOf(starts, loc.first_line, loc.first_column), source.length) : undefined;
  // Point at the `{{` that opened the broken mustache: that is what the author has to fix.
  if (offset !== undefined) {
    const open = source.lastIndexOf("{{", Math.max(0, offset - 1));
    if (open >= 0) offset = open;
  }
  const message = /got 'EOF'/.test(text)
    ? "Template syntax error: the template ends before a {{#block}} or {{ mustache }} is closed"
    : "Template syntax error: this {{ … }} is not a valid mustache (expected a var name, a helper call, or a closing }})";
  return offset === undefined ? { message } : { message, offset };
}
