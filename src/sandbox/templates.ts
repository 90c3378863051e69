import { stat } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { parameterNames } from "../connectly/components.js";
import type { SendTemplateBody } from "../compiler/plan.js";
import type { Diagnostic } from "../diagnostics.js";
import type { TemplateSpec } from "../types/template.generated.js";
import { readInputFile, SandboxConfigError } from "./config-error.js";
import { invalidRequest } from "./errors.js";
import type { Rejection } from "./errors.js";
import { isWebUrl } from "./validate.js";

export type TemplateHeader = "text" | "image" | "video" | "document";

/** One approved template as the sandbox knows it: only what decides which parameters it takes. */
export interface TemplateDefinition {
  name: string;
  language: string;
  /** How many body variables (`body_1` ... `body_N`). */
  body?: number;
  /** A header that takes a parameter: `header_text`, or the media URL `header_<kind>`. */
  header?: TemplateHeader;
  /** How many URL buttons with a dynamic suffix (`button_1_url`, `button_2_url`). */
  buttons?: number;
}

const HEADERS: readonly string[] = ["text", "image", "video", "document"];
const MAX_BODY = 15;
const MAX_BUTTONS = 2;

/** A spec file's bound (MAX_SPEC_BYTES, not imported: the loader stays unloaded for a list). */
const MAX_TEMPLATES_FILE_BYTES = 1024 * 1024;

/**
 * A template the sandbox holds approved from the start: what a send must fill (`definition`),
 * and what `get/templates` lists (`category` as the list spells it, `components`).
 */
export interface ApprovedTemplate {
  definition: TemplateDefinition;
  category: string;
  components: unknown[];
}

/** The Template specs, or list entries, of a `--templates` file that cannot be used. */
export class TemplateSpecsError extends SandboxConfigError {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly sources: Map<string, string>,
  ) {
    const first = diagnostics.find((d) => d.severity === "error") ?? diagnostics[0]!;
    const where = first.range ? `${first.file}:${first.range.start.line + 1}:${first.range.start.column + 1}` : first.file;
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : "";
    super(`${where} ${first.code} ${first.message}${more}`);
  }
}

export function registryKey(name: string, language: string): string {
  return `${name}\u0000${language}`;
}

function checkCount(value: unknown, max: number, what: string, where: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new SandboxConfigError(`${where}: "${what}" must be a whole number from 0 to ${max}`);
  }
  return value;
}

function toDefinition(entry: unknown, where: string): TemplateDefinition {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new SandboxConfigError(`${where}: expected a mapping with name and language`);
  }
  const record = entry as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!["name", "language", "body", "header", "buttons"].includes(key)) {
      throw new SandboxConfigError(`${where}: unknown field "${key}" (known: name, language, body, header, buttons)`);
    }
  }
  const { name, language, header } = record;
  if (typeof name !== "string" || name === "") throw new SandboxConfigError(`${where}: "name" must be a non-empty string`);
  if (typeof language !== "string" || language === "") throw new SandboxConfigError(`${where}: "language" must be a non-empty string`);
  if (header !== undefined && (typeof header !== "string" || !HEADERS.includes(header))) {
    throw new SandboxConfigError(`${where}: "header" must be one of ${HEADERS.join(", ")}`);
  }
  const definition: TemplateDefinition = {
    name,
    language,
    body: checkCount(record["body"], MAX_BODY, "body", where),
    buttons: checkCount(record["buttons"], MAX_BUTTONS, "buttons", where),
  };
  if (header !== undefined) definition.header = header as TemplateHeader;
  return definition;
}

/** The components a list entry stands for: placeholders with its variables. */
function componentsOf(definition: TemplateDefinition): unknown[] {
  const components: unknown[] = [];
  if (definition.header === "text") components.push({ header: { text: { text: "{{1}}" } } });
  else if (definition.header) components.push({ header: { media: { type: `TYPE_${definition.header.toUpperCase()}` } } });
  const variables = Array.from({ length: definition.body ?? 0 }, (_v, i) => `{{${i + 1}}}`).join(", ");
  components.push({ body: { text: { text: variables === "" ? "Sandbox template" : `Sandbox template: ${variables}.` } } });
  const buttons = Array.from({ length: definition.buttons ?? 0 }, (_v, i) => ({ url: { text: `Link ${i + 1}`, url: "https://example.com/{{1}}" } }));
  if (buttons.length > 0) components.push({ buttons: { buttons } });
  return components;
}

function isTemplateSpec(entry: unknown): entry is TemplateSpec {
  return typeof entry === "object" && entry !== null && (entry as { kind?: unknown }).kind === "Template";
}

/**
 * Entries of the list format (name, language, body, header, buttons) or, in-process, Template
 * specs, as approved templates; a (name, language) twice is refused.
 */
export async function approvedTemplates(entries: unknown, source: string): Promise<ApprovedTemplate[]> {
  if (!Array.isArray(entries)) throw new SandboxConfigError(`${source}: expected a list of templates`);
  const specs = entries.some(isTemplateSpec) ? await import("./spec-templates.js") : undefined;
  const seen = new Set<string>();
  const approved: ApprovedTemplate[] = [];
  entries.forEach((entry, index) => {
    const where = `${source}: template ${index + 1}`;
    const forms = isTemplateSpec(entry)
      ? specs!.approvedFromSpec(specs!.checkedSpec(entry, where))
      : [toDefinition(entry, where)].map((definition) => ({ definition, category: "UTILITY", components: componentsOf(definition) }));
    for (const form of forms) {
      const { name, language } = form.definition;
      const key = registryKey(name, language);
      if (seen.has(key)) throw new SandboxConfigError(`${where}: "${name}" (${language}) is listed twice`);
      seen.add(key);
      approved.push(form);
    }
  });
  return approved;
}

/**
 * `file:line:col templates file is not valid YAML or JSON: <what>` on one line. The yaml
 * library ends its message with " at line L, column C:" and a code excerpt on the next lines;
 * the position moves to the front, where editors and terminals pick it up.
 */
function yamlProblem(file: string, error: unknown): string {
  const firstLine = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  const position = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
  // The library's own advice for this one names a function of its API, not what to do.
  const what =
    (error as { code?: unknown }).code === "MULTIPLE_DOCS"
      ? "it holds more than one YAML document (---): one list, or one Template spec, per file"
      : firstLine.replace(/ at line \d+, column \d+:?$/, "");
  const where = position ? `${file}:${position.line}:${position.col}` : file;
  return `${where} templates file is not valid YAML or JSON: ${what}`;
}

/**
 * `--templates PATH`: a folder of Template specs, one Template spec, or a YAML or JSON list of
 * (name, language, body, header, buttons) entries (JSON is YAML, so one parser reads both). Specs
 * go through the project's loader and lint: any error is a TemplateSpecsError with every
 * diagnostic, located; `shown` names the files in them.
 */
export async function loadTemplates(file: string, shown: (absPath: string) => string = (path) => path): Promise<ApprovedTemplate[]> {
  let folder: boolean;
  try {
    const info = await stat(file);
    folder = info.isDirectory();
    // A FIFO would hang the start (nobody writes to it), a device never ends: neither is read.
    if (!folder && !info.isFile()) throw new SandboxConfigError(`templates file ${file} is not a regular file or a folder`);
  } catch (error) {
    if (error instanceof SandboxConfigError) throw error;
    throw new SandboxConfigError(`cannot read templates file ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  if (!folder) {
    const text = await readInputFile(file, "templates", MAX_TEMPLATES_FILE_BYTES);
    let entries: unknown;
    try {
      entries = parseYaml(text);
    } catch (error) {
      throw new SandboxConfigError(yamlProblem(file, error));
    }
    if (Array.isArray(entries)) return approvedTemplates(entries, file);
    if (typeof entries !== "object" || entries === null || !("kind" in entries)) {
      throw new SandboxConfigError(`${file}: expected a Template spec (kind: Template) or a list of templates`);
    }
  }
  const { loadTemplateSpecs } = await import("./spec-templates.js");
  const loaded = await loadTemplateSpecs(file, shown);
  if (loaded.diagnostics.some((d) => d.severity === "error")) throw new TemplateSpecsError(loaded.diagnostics.filter((d) => d.severity === "error"), loaded.sources);
  if (loaded.templates.length === 0) throw new SandboxConfigError(`${file}: no Template specs (kind: Template) found`);
  return approvedTemplates(loaded.templates.map((spec) => spec.data), shown(file));
}

function inputInvalid(message: string): Rejection {
  return invalidRequest("ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", message, { field: "parameters" });
}

/** Checks a template send's parameters against those its (approved) template takes. */
export function checkParameters(definition: TemplateDefinition, body: SendTemplateBody): Rejection | undefined {
  const expected = parameterNames(definition);
  const seen = new Set<string>();
  for (const parameter of body.parameters ?? []) {
    if (seen.has(parameter.name)) return inputInvalid(`parameter ${parameter.name} is given more than once`);
    seen.add(parameter.name);
    if (!expected.includes(parameter.name)) {
      return inputInvalid(`template "${definition.name}" takes no parameter ${parameter.name}`);
    }
    if (parameter.value.trim() === "") return inputInvalid(`parameter ${parameter.name} is empty`);
    const isMedia = parameter.name === "header_image" || parameter.name === "header_video" || parameter.name === "header_document";
    if (isMedia && !isWebUrl(parameter.value)) return inputInvalid(`parameter ${parameter.name} is not a valid http(s) URL`);
    if (parameter.filename !== undefined && parameter.name !== "header_document") {
      return inputInvalid(`parameter ${parameter.name} cannot have a filename`);
    }
  }
  const missing = expected.filter((name) => !seen.has(name));
  if (missing.length > 0) {
    return inputInvalid(`template "${definition.name}" needs parameter${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  }
  return undefined;
}
