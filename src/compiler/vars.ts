/**
 * Declared vars: their definitions are checked once, turned into one check per var, and every
 * input (sample, audience row, --var) goes through `checkVarValues`.
 *
 * The checks are the JSON Schema semantics Ajv gives the few keywords a var allows (the same
 * format functions from ajv-formats, the same keyword order, hence the same first problem per
 * var), written out so that neither Ajv nor a schema compilation per message is paid at start-up.
 */
import type { Format, FormatDefinition } from "ajv";
import { fullFormats } from "ajv-formats/dist/formats.js";
import type { Diagnostic } from "../diagnostics.js";
import type { VarDef } from "../types/message.generated.js";
import { RESERVED_NAMES } from "./helpers.js";
import { charCount, quote } from "./words.js";

export type VarValue = string | number | boolean;
export type VarValues = Record<string, VarValue>;

export interface VarProblem {
  var: string;
  message: string;
  code: "var-invalid" | "var-missing" | "var-unknown";
}

export interface CompiledVars {
  defs: ReadonlyMap<string, VarDef>;
  /** Declared names in spec order. */
  names: readonly string[];
  /** Their definitions, parallel to `names`. */
  list: readonly VarDef[];
  /** The constraint checks, parallel to `names`. */
  checks: readonly VarCheck[];
}

/** The first constraint a value breaks, as the JSON Schema keyword and its parameters. */
interface Violation {
  keyword: "type" | "enum" | "maxLength" | "minLength" | "pattern" | "format" | "maximum" | "minimum";
  params: Record<string, unknown>;
}

/** A present value (anything but undefined) in, its first violation out. */
type VarCheck = (value: unknown) => Violation | undefined;

const STRING_ONLY = ["pattern", "format", "minLength", "maxLength"] as const;
const NUMBER_ONLY = ["minimum", "maximum"] as const;

function typeMatches(type: VarDef["type"], value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
  }
}

/** Code points, as Ajv's ucs2length counts them: a surrogate pair is one character. */
function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    length++;
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return length;
}

/** ajv-formats' "full" test for a format name (a var's format is one the schema allows). */
function formatTest(name: string): (text: string) => boolean {
  const format = (fullFormats as Record<string, Format | undefined>)[name];
  const test = format !== undefined && typeof format === "object" && !(format instanceof RegExp) ? (format as FormatDefinition<string>).validate : format;
  if (test instanceof RegExp) return (text) => test.test(text);
  if (typeof test === "function") return (text) => Boolean(test(text));
  throw new Error(`no test for format ${name}`);
}

/**
 * The checks Ajv (allErrors, strict: false) runs for `{type, ...constraints}`, in its order:
 * the type first unless the schema has keywords of that type's group (then the type error comes
 * after the untyped keywords, in the group's else branch); `enum`; the group's keywords in
 * vocabulary order (maxLength, minLength, pattern, format; maximum, minimum). Only the first
 * violation matters to the caller. Definitions reach here already checked: a keyword sits only
 * on the types it applies to.
 */
function checkOf(def: VarDef): VarCheck {
  const rules: VarCheck[] = [];
  const allowed = def.enum;
  const enumRule: VarCheck | undefined = allowed && ((value) => (allowed.some((v) => v === value) ? undefined : { keyword: "enum", params: { allowedValues: allowed } }));
  const typeError: Violation = { keyword: "type", params: { type: def.type } };
  if (def.type === "string" || def.type === "number") {
    const group: VarCheck[] = [];
    const typeOk = def.type === "string" ? (value: unknown) => typeof value === "string" : (value: unknown) => typeof value === "number";
    if (def.type === "string") group.push(...stringRules(def));
    else group.push(...numberRules(def));
    if (group.length === 0) {
      rules.push((value) => (typeOk(value) ? undefined : typeError));
      if (enumRule) rules.push(enumRule);
    } else {
      if (enumRule) rules.push(enumRule);
      rules.push((value) => (typeOk(value) ? firstOf(group, value) : typeError));
    }
  } else {
    const typeOk =
      def.type === "integer"
        ? (value: unknown) => typeof value === "number" && !(value % 1) && !Number.isNaN(value)
        : (value: unknown) => typeof value === "boolean";
    rules.push((value) => (typeOk(value) ? undefined : typeError));
    if (enumRule) rules.push(enumRule);
    if (def.type === "integer") {
      const group = numberRules(def);
      if (group.length > 0) rules.push((value) => (typeof value === "number" ? firstOf(group, value) : undefined));
    }
  }
  return rules.length === 1 ? rules[0]! : (value) => firstOf(rules, value);
}

function firstOf(rules: readonly VarCheck[], value: unknown): Violation | undefined {
  for (let i = 0; i < rules.length; i++) {
    const violation = rules[i]!(value);
    if (violation) return violation;
  }
  return undefined;
}

function stringRules(def: VarDef): VarCheck[] {
  const rules: VarCheck[] = [];
  const { maxLength, minLength, pattern, format } = def;
  if (maxLength !== undefined) rules.push((value) => (codePointLength(value as string) > maxLength ? { keyword: "maxLength", params: { limit: maxLength } } : undefined));
  if (minLength !== undefined) rules.push((value) => (codePointLength(value as string) < minLength ? { keyword: "minLength", params: { limit: minLength } } : undefined));
  if (pattern !== undefined) {
    const regex = new RegExp(pattern, "u");
    rules.push((value) => (regex.test(value as string) ? undefined : { keyword: "pattern", params: { pattern } }));
  }
  if (format !== undefined) {
    const test = formatTest(format);
    rules.push((value) => (test(value as string) ? undefined : { keyword: "format", params: { format } }));
  }
  return rules;
}

function numberRules(def: VarDef): VarCheck[] {
  const rules: VarCheck[] = [];
  const { maximum, minimum } = def;
  // NaN fails both bounds, as in Ajv.
  if (maximum !== undefined) rules.push((value) => ((value as number) > maximum || Number.isNaN(value) ? { keyword: "maximum", params: { comparison: "<=", limit: maximum } } : undefined));
  if (minimum !== undefined) rules.push((value) => ((value as number) < minimum || Number.isNaN(value) ? { keyword: "minimum", params: { comparison: ">=", limit: minimum } } : undefined));
  return rules;
}

/** Check the var definitions and build the validator. */
export function compileVars(
  vars: Record<string, VarDef> | undefined,
  file: string,
): { vars?: CompiledVars; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const invalid = (path: (string | number)[], message: string): void => {
    diagnostics.push({ code: "var-definition-invalid", severity: "error", message, file, path: ["vars", ...path] });
  };
  const defs = new Map<string, VarDef>();
  for (const [name, def] of Object.entries(vars ?? {})) {
    defs.set(name, def);
    if (RESERVED_NAMES.has(name)) {
      invalid([name], `"${name}" cannot be a var name: it is a helper or a reserved word in templates`);
    }
    if (def.type !== "string") {
      for (const key of STRING_ONLY) if (def[key] !== undefined) invalid([name, key], `${key} applies only to string vars; ${name} is ${def.type}`);
    }
    if (def.type === "string" || def.type === "boolean") {
      for (const key of NUMBER_ONLY) if (def[key] !== undefined) invalid([name, key], `${key} applies only to number and integer vars; ${name} is ${def.type}`);
    }
    if (def.pattern !== undefined) {
      try {
        new RegExp(def.pattern, "u");
      } catch {
        invalid([name, "pattern"], `pattern ${def.pattern} is not a valid regular expression`);
      }
    }
    if (def.minLength !== undefined && def.maxLength !== undefined && def.minLength > def.maxLength) {
      invalid([name, "minLength"], `minLength ${def.minLength} is greater than maxLength ${def.maxLength}`);
    }
    if (def.minimum !== undefined && def.maximum !== undefined && def.minimum > def.maximum) {
      invalid([name, "minimum"], `minimum ${def.minimum} is greater than maximum ${def.maximum}`);
    }
    def.enum?.forEach((value, index) => {
      if (!typeMatches(def.type, value)) invalid([name, "enum", index], `enum value ${display(value)} is not ${withArticle(def.type)}`);
    });
    if (def.default !== undefined && !typeMatches(def.type, def.default)) {
      invalid([name, "default"], `default ${display(def.default)} is not ${withArticle(def.type)}`);
    }
  }
  if (diagnostics.length > 0) return { diagnostics };

  const list = [...defs.values()];
  const compiled: CompiledVars = { defs, names: [...defs.keys()], list, checks: list.map(checkOf) };

  // A default must itself satisfy the constraints, or every recipient relying on it would fail.
  for (const [name, def] of defs) {
    if (def.default === undefined) continue;
    for (const problem of validationProblems(compiled, { [name]: def.default })) {
      invalid([name, "default"], `default: ${problem.message}`);
    }
  }
  return diagnostics.length > 0 ? { diagnostics } : { vars: compiled, diagnostics };
}

/** Optional and without a default: the var may be absent when rendering. */
export function isOptional(def: VarDef): boolean {
  return def.required === false && def.default === undefined;
}

const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_TEXT = /^[+-]?\d+$/;

/** How a CSV cell converts to each non-string type, and what a cell that does not is called. */
const CONVERSIONS: Record<Exclude<VarDef["type"], "string">, { convert: (trimmed: string) => VarValue | undefined; expected: string }> = {
  number: { convert: (t) => (NUMBER_TEXT.test(t) && Number.isFinite(Number(t)) ? Number(t) : undefined), expected: "a number" },
  integer: { convert: (t) => (INTEGER_TEXT.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : undefined), expected: "an integer" },
  boolean: {
    convert: (t) => {
      const lower = t.toLowerCase();
      return lower === "true" ? true : lower === "false" ? false : undefined;
    },
    expected: "a boolean (true or false)",
  },
};

/** CSV cells are strings: convert one to the declared type, or say why it does not convert. */
function fromString(name: string, def: VarDef, text: string): VarValue | VarProblem {
  if (def.type === "string") return text;
  const conversion = CONVERSIONS[def.type];
  const value = conversion.convert(text.trim());
  return value ?? { var: name, code: "var-invalid", message: `${name} ${quote(text)} is not ${conversion.expected}` };
}

const NO_PROBLEMS: VarProblem[] = [];
Object.freeze(NO_PROBLEMS);

/**
 * Check raw inputs against the declared vars: convert strings when `fromStrings`, apply
 * defaults, validate. Absent means missing, `null`, or (when `fromStrings`) the empty string.
 * `columns` (parallel to `vars.names`) reads each var from a renamed field of `raw` and allows
 * other fields (an audience row); `fallback` supplies values for absent vars (campaign constants).
 * Runs once per audience row: nothing is allocated beyond the values unless there is a problem.
 */
export function checkVarValues(
  vars: CompiledVars,
  raw: Readonly<Record<string, unknown>>,
  fromStrings: boolean,
  source: { columns?: readonly string[]; fallback?: Readonly<Record<string, VarValue>> } = {},
): { values?: VarValues; problems: VarProblem[] } {
  let problems: VarProblem[] | undefined;
  const { columns, fallback } = source;
  if (!columns) {
    for (const key in raw) {
      if (!vars.defs.has(key)) (problems ??= []).push({ var: key, code: "var-unknown", message: `${key} is not a declared var` });
    }
  }
  // A plain object: V8 keeps it fast, unlike a prototype-less one. Var names cannot be
  // `__proto__` or `constructor` (see RESERVED_NAMES), so the prototype is never reached.
  const values: VarValues = {};
  const names = vars.names;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const def = vars.list[i] as VarDef;
    let value = raw[columns ? (columns[i] as string) : name];
    if (value === undefined || value === null || (fromStrings && value === "")) {
      value = fallback?.[name] ?? def.default;
      if (value === undefined) {
        if (def.required !== false) (problems ??= []).push({ var: name, code: "var-missing", message: `${name} is required but has no value` });
        continue;
      }
    } else if (fromStrings && typeof value === "string") {
      const converted = fromString(name, def, value);
      if (typeof converted === "object") {
        (problems ??= []).push(converted);
        continue;
      }
      value = converted;
    }
    values[name] = value as VarValue;
  }
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const value = values[name];
    if (value === undefined) continue;
    const violation = vars.checks[i]!(value);
    if (violation && !problems?.some((p) => p.var === name)) (problems ??= []).push(invalidValue(name, value, violation, vars.list[i]!));
  }
  return problems ? { problems } : { values, problems: NO_PROBLEMS };
}

/** One problem per var with a value in `values`: the first failing constraint says what to fix. */
function validationProblems(vars: CompiledVars, values: Record<string, unknown>): VarProblem[] {
  const problems: VarProblem[] = [];
  for (let i = 0; i < vars.names.length; i++) {
    const name = vars.names[i]!;
    const value = values[name];
    if (value === undefined) continue;
    const violation = vars.checks[i]!(value);
    if (violation) problems.push(invalidValue(name, value, violation, vars.list[i]!));
  }
  return problems;
}

function invalidValue(name: string, value: unknown, violation: Violation, def: VarDef): VarProblem {
  return { var: name, code: "var-invalid", message: describe(name, value, violation, def) };
}

function withArticle(type: string): string {
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

function display(value: unknown): string {
  return typeof value === "string" ? quote(value) : JSON.stringify(value) ?? String(value);
}

const FORMAT_WORDS: Record<string, string> = {
  uri: "URI",
  email: "email address",
  date: "date (YYYY-MM-DD)",
  "date-time": "date-time (ISO 8601, e.g. 2026-05-01T10:00:00Z)",
};

function describe(name: string, value: unknown, violation: Violation, def: VarDef | undefined): string {
  const shown = `${name} ${display(value)}`;
  const params = violation.params;
  switch (violation.keyword) {
    case "pattern":
      return `${shown} does not match ${String(params.pattern)}`;
    case "format":
      return `${shown} is not a valid ${FORMAT_WORDS[String(params.format)] ?? String(params.format)}`;
    case "enum":
      return `${shown} is not one of ${(def?.enum ?? []).map((v) => display(v)).join(", ")}`;
    case "minLength":
      return `${shown} is ${charCount(String(value))} characters; at least ${String(params.limit)} required`;
    case "maxLength":
      return `${shown} is ${charCount(String(value))} characters; at most ${String(params.limit)} allowed`;
    case "minimum":
      return `${shown} is less than the minimum ${String(params.limit)}`;
    case "maximum":
      return `${shown} is more than the maximum ${String(params.limit)}`;
    case "type":
      return `${shown} is not ${withArticle(def?.type ?? String(params.type))}`;
    default:
      return `${shown} is not valid`;
  }
}

/** Values given once for every input (campaign `vars`): each is checked on its own. */
export function checkPartialValues(vars: CompiledVars, raw: Readonly<Record<string, unknown>>): VarProblem[] {
  const problems: VarProblem[] = [];
  const present: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!vars.defs.has(key)) problems.push({ var: key, code: "var-unknown", message: `${key} is not a declared var of the message` });
    else present[key] = value;
  }
  problems.push(...validationProblems(vars, present));
  return problems;
}
