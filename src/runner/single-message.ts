/**
 * One message to one number (`msgc send MESSAGE --to NUMBER --var k=v --vars FILE`), as a
 * library call: the values checked against the message's vars, the number normalized, the
 * message rendered like a campaign row into one plan item for `send`, and the id that names
 * its journal (the same values to the same number are the same send).
 */
import { createHash } from "node:crypto";
import { parse as parseYaml } from "yaml";
import type { Diagnostic } from "../diagnostics.js";
import { hasErrors } from "../diagnostics.js";
import type { PlanItem } from "../compiler/plan.js";
import { checkValues, renderMessage } from "../compiler/message.js";
import type { VarValue } from "../compiler/message.js";
import { normalizePhone } from "../compiler/phone.js";
import { InputError, UsageError } from "../errors.js";
import type { Project } from "../project/project.js";
import { BoundedFileError, readBoundedText } from "./bounded-file.js";
import { canonicalJson } from "./fingerprint.js";
import { maskWrittenNumber } from "../mask.js";
import { compileProject } from "./plan.js";

/** Var values are a few lines of YAML; a file far larger is a mistake (or /dev/zero). */
export const MAX_VARS_FILE_BYTES = 1024 * 1024;

export interface SingleMessageOptions {
  /** The number as typed (`+1 (604) 555-0199`): normalized to E.164 here. */
  to: string;
  /** Var values by name. */
  values: Record<string, unknown>;
  /** The values are text (like audience cells and `--var k=v`), converted to the declared types. */
  fromStrings?: boolean;
  /** Where a var's value came from, the `file` of its diagnostics (default `"values"`). */
  sourceOf?: (varName: string) => string;
}

export interface SingleMessagePlan {
  /** The one plan item: `plan: () => [item]` for send(). */
  item: PlanItem;
  /** The number, E.164. */
  recipient: string;
  /** The values after checking (types converted, defaults filled in). */
  values: Record<string, VarValue>;
  /**
   * `<hash of the key>-<hash of the values>`: the same values to the same number give the same
   * id (its journal refuses a second send), other values a new one. The number is not in it.
   */
  sendId: string;
}

/**
 * Compiles message `name` of the project for one number. Diagnostics are the message's own
 * (compile, values, render); without a plan, nothing may be sent. Throws UsageError when `to`
 * is not a phone number and InputError when the project has no such message.
 */
export function planSingleMessage(project: Project, name: string, options: SingleMessageOptions): { plan?: SingleMessagePlan; diagnostics: Diagnostic[] } {
  const spec = project.messages.get(name);
  if (!spec) throw new InputError(`there is no message named "${name}"`);
  const { number, problem } = normalizePhone(options.to);
  if (!number) {
    // The problem quotes what was typed, masked the same way (maskWrittenNumber).
    throw new UsageError(`--to ${maskWrittenNumber(options.to.trim())} is not a phone number${problem ? `: ${problem}` : ""}`);
  }
  const compiled = compileProject(project);
  const diagnostics = compiled.diagnostics.filter((d) => d.file === spec.file);
  const message = compiled.messages.get(name);
  if (!message || hasErrors(diagnostics)) return { diagnostics };
  const checked = checkValues(message, options.values, { fromStrings: options.fromStrings ?? false });
  if (!checked.values) {
    for (const p of checked.problems) {
      diagnostics.push({ code: p.code, severity: "error", message: p.message, file: options.sourceOf?.(p.var) ?? "values", path: [p.var] });
    }
    return { diagnostics };
  }
  const key = `${name}/${number}`;
  const rendered = renderMessage(message, { key, spec: message.file, recipient: number, values: checked.values, lastInboundAt: null, window: message.window });
  diagnostics.push(...rendered.diagnostics);
  if (hasErrors(rendered.diagnostics) || !rendered.item) return { diagnostics };
  return {
    plan: { item: rendered.item, recipient: number, values: checked.values, sendId: `${shortHash(key)}-${shortHash(canonicalJson(checked.values))}` },
    diagnostics,
  };
}

/**
 * Values for planSingleMessage from a JSON or YAML file (an object) and `name=value` pairs, the
 * pairs winning. With any pair the values are text, as on a command line; a file alone keeps
 * its types. Throws InputError for a file that cannot be read or is not an object, UsageError
 * for a pair without a name.
 */
export function gatherValues(file: { path: string; shownAs: string } | undefined, pairs: readonly string[]): { values: Record<string, unknown>; fromStrings: boolean } {
  const values: Record<string, unknown> = {};
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readBoundedText(file.path, MAX_VARS_FILE_BYTES));
    } catch (e) {
      throw new InputError(`--vars ${file.shownAs}: ${e instanceof BoundedFileError ? e.message : "not valid JSON or YAML"}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InputError(`--vars ${file.shownAs}: expected an object of var values`);
    for (const [name, value] of Object.entries(parsed)) setValue(values, name, value);
  }
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--var must be name=value, got "${pair}"`);
    setValue(values, pair.slice(0, eq), pair.slice(eq + 1));
  }
  if (pairs.length === 0) return { values, fromStrings: false };
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === "number" || typeof value === "boolean") values[name] = String(value);
  }
  return { values, fromStrings: true };
}

/**
 * An own property, whatever the name: `__proto__` (a key of the file, or `--var __proto__=x`)
 * stays a value the checks report as an undeclared var instead of becoming the prototype, whose
 * keys the checks would then read as values.
 */
function setValue(values: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(values, name, { value, enumerable: true, writable: true, configurable: true });
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

