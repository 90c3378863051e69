/**
 * Schema validation with Ajv, translated into msgc's own codes and plain words. Users never see
 * Ajv's text: every error becomes one diagnostic at the deepest node it is about, and the noise
 * of `oneOf` (one error per branch) collapses into the one error that helps.
 */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { DiagnosticCode, JsonPath } from "../diagnostics.js";
import { closest, formatPath, quote } from "../compiler/words.js";

export type SchemaName = "message" | "campaign" | "config";

/** A translated schema error; `at: "key"` points at the offending key rather than its value. */
export interface SchemaProblem {
  code: DiagnosticCode;
  message: string;
  path: JsonPath;
  at: "key" | "value";
}

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

let sharedAjv: Ajv | undefined;
const validators = new Map<SchemaName, ValidateFunction>();

/** Schemas are read relative to this module so that src/ (tests) and dist/ (the bin) both work. */
function validatorFor(name: SchemaName): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    if (!sharedAjv) {
      // verbose: the translation needs each error's data and its parent schema's property names.
      sharedAjv = new Ajv({ allErrors: true, verbose: true, strict: false });
      addFormats(sharedAjv);
    }
    const schema = JSON.parse(readFileSync(new URL(`../../schema/${name}.schema.json`, import.meta.url), "utf8"));
    validate = sharedAjv.compile(schema);
    validators.set(name, validate);
  }
  return validate;
}

/** Validates `data` against one of msgc's schemas; empty when valid. */
export function checkSchema(name: SchemaName, data: unknown): SchemaProblem[] {
  const validate = validatorFor(name);
  if (validate(data)) return [];
  return translateErrors(validate.errors ?? [], data);
}

// --- translation ------------------------------------------------------------------------------

const NAME_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$";
const VAR_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]{0,63}$";

/** Patterns of the schemas in words. */
const PATTERN_WORDS: Record<string, string> = {
  [NAME_PATTERN]: "lowercase letters, digits, - and _, starting with a letter or digit, at most 64 characters",
  [VAR_NAME_PATTERN]: "letters, digits and _, not starting with a digit, at most 64 characters",
  "^\\+[1-9][0-9]{6,14}$": "an E.164 number such as +14151111234",
  "^[a-z]{2,3}(_[A-Z]{2})?$": "a language code such as en, es or pt_BR",
  "^[a-z0-9_]{1,512}$": "lowercase letters, digits and _",
  "\\.(csv|ndjson|jsonl|json)$": "a .csv, .ndjson, .jsonl or .json file",
  "^https?://": "an http:// or https:// URL",
};

/** What the keys of a mapping name, by the mapping's field. */
const NAME_KINDS: Record<string, string> = { vars: "Var name", columns: "Var name", samples: "Sample name", locales: "Locale" };

function patternWords(pattern: string): string {
  return PATTERN_WORDS[pattern] ?? `text matching ${pattern}`;
}

function pathOf(error: ErrorObject): (string | number)[] {
  if (error.instancePath === "") return [];
  return error.instancePath
    .slice(1)
    .split("/")
    .map((part) => {
      const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
      return /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : key;
    });
}

function valueAt(data: unknown, path: JsonPath): unknown {
  let value = data;
  for (const part of path) value = (value as Record<string | number, unknown> | null | undefined)?.[part];
  return value;
}

function where(path: JsonPath): string {
  return path.length === 0 ? "the file" : formatPath(path);
}

const TYPE_WORDS: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
  null: "empty",
};

function typeOfValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && Number.isInteger(value)) return "integer";
  return typeof value;
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return quote(value);
  const type = typeOfValue(value);
  if (type === "object" || type === "array" || type === "null") return TYPE_WORDS[type]!;
  return String(value);
}

function oneOfWords(types: string[]): string {
  // "true or false" reads well alone, not inside a list of alternatives.
  const unique = [...new Set(types)];
  const words = unique.map((t) => (t === "boolean" && unique.length > 1 ? "a boolean" : (TYPE_WORDS[t] ?? t)));
  return words.length <= 1 ? (words[0] ?? "something else") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

function wrongType(path: JsonPath, expected: string[], value: unknown): SchemaProblem {
  const actual = typeOfValue(value);
  const is = actual === "null" ? "but it is empty" : `not ${TYPE_WORDS[actual] ?? actual}`;
  return { code: "wrong-type", message: `${where(path)} must be ${oneOfWords(expected)}, ${is}`, path, at: "value" };
}

function expectedTypes(error: ErrorObject): string[] {
  const type = (error.params as { type?: string | string[] }).type;
  return Array.isArray(type) ? type : type ? [type] : [];
}

function knownProperties(error: ErrorObject): string[] {
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

function translateOne(error: ErrorObject, data: unknown, all: readonly ErrorObject[]): SchemaProblem | undefined {
  const path = pathOf(error);
  const value = valueAt(data, path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required": {
      const field = String(params.missingProperty);
      const inWhere = path.length === 0 ? "" : ` in ${formatPath(path)}`;
      return { code: "missing-field", message: `Missing required field "${field}"${inWhere}`, path: [...path, field], at: "key" };
    }
    case "additionalProperties": {
      const field = String(params.additionalProperty);
      const suggestion = closest(field, knownProperties(error));
      const inWhere = path.length === 0 ? "" : ` in ${formatPath(path)}`;
      const didYouMean = suggestion ? `; did you mean "${suggestion}"?` : "";
      return { code: "unknown-field", message: `Unknown field "${field}"${inWhere}${didYouMean}`, path: [...path, field], at: "key" };
    }
    case "propertyNames": {
      const name = String(params.propertyName);
      // The failing rule is the sub-error Ajv reports just before, at the same path, for this name.
      const rule = all.find((e) => e.instancePath === error.instancePath && e.keyword === "pattern" && e.data === name);
      const pattern = String((rule?.params as { pattern?: string } | undefined)?.pattern ?? "");
      const what = NAME_KINDS[String(path.at(-1))] ?? "Name";
      const code: DiagnosticCode = pattern === NAME_PATTERN || pattern === VAR_NAME_PATTERN ? "invalid-name" : "pattern-mismatch";
      const words = pattern ? `: use ${patternWords(pattern)}` : "";
      return { code, message: `${what} ${quote(name)} in ${formatPath(path)} is not valid${words}`, path: [...path, name], at: "key" };
    }
    case "type":
      return wrongType(path, expectedTypes(error), value);
    case "enum":
    case "const": {
      const allowed = (error.keyword === "enum" ? (params.allowedValues as unknown[]) : [params.allowedValue]).map(String);
      const suggestion = typeof value === "string" ? closest(value, allowed) : undefined;
      const didYouMean = suggestion ? `; did you mean "${suggestion}"?` : "";
      const list = allowed.length === 1 ? `"${allowed[0]}"` : `one of ${allowed.join(", ")}`;
      return { code: "invalid-value", message: `${where(path)} must be ${list}, not ${describeValue(value)}${didYouMean}`, path, at: "value" };
    }
    case "format":
      return { code: "invalid-value", message: `${where(path)} ${describeValue(value)} is not a valid ${String(params.format)}`, path, at: "value" };
    case "pattern": {
      const pattern = String(params.pattern);
      // Not a string here means the pattern was on a property name: propertyNames reports it.
      if (typeof value !== "string") return undefined;
      const code: DiagnosticCode = pattern === NAME_PATTERN ? "invalid-name" : "pattern-mismatch";
      return { code, message: `${where(path)} ${quote(value)} is not valid: use ${patternWords(pattern)}`, path, at: "value" };
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const comparison = String(params.comparison);
      const words: Record<string, string> = { ">=": "at least", "<=": "at most", ">": "more than", "<": "less than" };
      return {
        code: "out-of-range",
        message: `${where(path)} is ${describeValue(value)}; it must be ${words[comparison] ?? comparison} ${String(params.limit)}`,
        path,
        at: "value",
      };
    }
    case "maxLength":
    case "minLength": {
      if (typeof value !== "string") return undefined;
      const limit = Number(params.limit);
      if (error.keyword === "minLength") {
        const message = limit === 1 ? `${where(path)} must not be empty` : `${where(path)} must be at least ${limit} characters`;
        return { code: "too-short", message, path, at: "value" };
      }
      return { code: "too-long", message: `${where(path)} is ${value.length} characters; at most ${limit} ${areAllowed(limit)}`, path, at: "value" };
    }
    case "maxItems":
    case "minItems": {
      const count = Array.isArray(value) ? value.length : 0;
      const limit = Number(params.limit);
      if (error.keyword === "maxItems") {
        return { code: "too-many-items", message: `${where(path)} has ${count} items; at most ${limit} ${areAllowed(limit)}`, path, at: "value" };
      }
      return { code: "too-few-items", message: `${where(path)} has ${count} items; at least ${limit} ${limit === 1 ? "is" : "are"} needed`, path, at: "value" };
    }
    default:
      // Keywords our schemas do not use (or combinators handled by the caller): stay in plain words.
      return { code: "invalid-value", message: `${where(path)} is not valid here`, path, at: "value" };
  }
}

function areAllowed(limit: number): string {
  return limit === 1 ? "is allowed" : "are allowed";
}

function isUnder(error: ErrorObject, instancePath: string): boolean {
  return error.instancePath === instancePath || error.instancePath.startsWith(`${instancePath}/`);
}

/**
 * `oneOf`/`anyOf` at a path produce one error per failed branch. When the value has the shape
 * of one branch (no type error from it), that branch's errors are what helps; otherwise a single
 * wrong-type naming every shape that would do.
 */
function collapseAlternatives(errors: readonly ErrorObject[], data: unknown): (ErrorObject | SchemaProblem)[] {
  const alternatives = errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf");
  if (alternatives.length === 0) return [...errors];
  const dropped = new Set<ErrorObject>();
  const replacements: SchemaProblem[] = [];
  // Innermost first, so that nested alternatives are settled before the ones around them.
  const ordered = [...alternatives].sort((a, b) => b.instancePath.length - a.instancePath.length);
  for (const alternative of ordered) {
    if (dropped.has(alternative)) continue;
    const at = alternative.instancePath;
    const group = errors.filter((e) => e !== alternative && !dropped.has(e) && isUnder(e, at));
    const shapeErrors = group.filter((e) => e.keyword === "type" && e.instancePath === at);
    const deeper = group.filter((e) => !shapeErrors.includes(e));
    dropped.add(alternative);
    for (const e of shapeErrors) dropped.add(e);
    if (deeper.length === 0) {
      const path = pathOf(alternative);
      replacements.push(wrongType(path, shapeErrors.flatMap(expectedTypes), valueAt(data, path)));
    }
  }
  return [...errors.filter((e) => !dropped.has(e)), ...replacements];
}

function translateErrors(errors: readonly ErrorObject[], data: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const item of collapseAlternatives(errors, data)) {
    const problem = "keyword" in item ? translateOne(item, data, errors) : item;
    if (!problem) continue;
    const key = `${problem.code}\u0000${JSON.stringify(problem.path)}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}
