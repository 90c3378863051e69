/**
 * Declared vars: their definitions are checked once, turned into one precompiled Ajv validator
 * per message, and every input (sample, audience row, --var) goes through `checkVarValues`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
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
  validate: ValidateFunction;
}

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
  formats: string[],
) => Ajv;

// One Ajv instance for the process: compiled validators are cached by it.
let sharedAjv: Ajv | undefined;
function ajv(): Ajv {
  if (!sharedAjv) {
    sharedAjv = new Ajv({ allErrors: true, strict: false });
    addFormats(sharedAjv, ["uri", "email", "date", "date-time"]);
  }
  return sharedAjv;
}

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

function schemaOf(def: VarDef): Record<string, unknown> {
  const schema: Record<string, unknown> = { type: def.type };
  for (const key of ["enum", "pattern", "format", "minLength", "maxLength", "minimum", "maximum"] as const) {
    if (def[key] !== undefined) schema[key] = def[key];
  }
  return schema;
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

  const properties: Record<string, unknown> = {};
  for (const [name, def] of defs) properties[name] = schemaOf(def);
  const validate = ajv().compile({ type: "object", properties });
  const compiled: CompiledVars = { defs, names: [...defs.keys()], list: [...defs.values()], validate };

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
  if (!vars.validate(values)) {
    for (const problem of validationProblems(vars, values)) {
      if (!problems?.some((p) => p.var === problem.var)) (problems ??= []).push(problem);
    }
  }
  return problems ? { problems } : { values, problems: NO_PROBLEMS };
}

function validationProblems(vars: CompiledVars, values: Record<string, unknown>): VarProblem[] {
  if (vars.validate(values)) return [];
  const problems: VarProblem[] = [];
  const seen = new Set<string>();
  for (const error of vars.validate.errors ?? []) {
    const name = error.instancePath.slice(1).replace(/~1/g, "/").replace(/~0/g, "~");
    // One problem per var is enough: the first failing constraint says what to fix.
    if (seen.has(name)) continue;
    seen.add(name);
    problems.push({ var: name, code: "var-invalid", message: describe(name, values[name], error, vars.defs.get(name)) });
  }
  return problems;
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

function describe(name: string, value: unknown, error: ErrorObject, def: VarDef | undefined): string {
  const shown = `${name} ${display(value)}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
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
