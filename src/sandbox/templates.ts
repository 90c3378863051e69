import { parse as parseYaml } from "yaml";
import { parameterNames } from "../connectly/components.js";
import type { SendTemplateBody } from "../compiler/plan.js";
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

export type TemplateRegistry = Map<string, TemplateDefinition>;

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

export function buildTemplateRegistry(entries: unknown, source: string): TemplateRegistry {
  if (!Array.isArray(entries)) throw new SandboxConfigError(`${source}: expected a list of templates`);
  const registry: TemplateRegistry = new Map();
  entries.forEach((entry, index) => {
    const definition = toDefinition(entry, `${source}: template ${index + 1}`);
    const key = registryKey(definition.name, definition.language);
    if (registry.has(key)) {
      throw new SandboxConfigError(`${source}: template ${index + 1}: "${definition.name}" (${definition.language}) is listed twice`);
    }
    registry.set(key, definition);
  });
  return registry;
}

/**
 * `file:line:col templates file is not valid YAML or JSON: <what>` on one line. The yaml
 * library ends its message with " at line L, column C:" and a code excerpt on the next lines;
 * the position moves to the front, where editors and terminals pick it up.
 */
function yamlProblem(file: string, error: unknown): string {
  const firstLine = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  const position = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
  const what = firstLine.replace(/ at line \d+, column \d+:?$/, "");
  const where = position ? `${file}:${position.line}:${position.col}` : file;
  return `${where} templates file is not valid YAML or JSON: ${what}`;
}

/** Reads a YAML or JSON list of templates (JSON is YAML, so one parser reads both). */
export async function loadTemplates(file: string): Promise<TemplateRegistry> {
  const text = await readInputFile(file, "templates");
  let entries: unknown;
  try {
    entries = parseYaml(text);
  } catch (error) {
    throw new SandboxConfigError(yamlProblem(file, error));
  }
  return buildTemplateRegistry(entries, file);
}

function inputInvalid(message: string): Rejection {
  return invalidRequest("ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", message, { field: "parameters" });
}

/** Checks a schema-valid template body against the known templates (none known: all pass). */
export function checkTemplate(registry: TemplateRegistry | undefined, body: SendTemplateBody): Rejection | undefined {
  if (!registry) return undefined;
  const definition = registry.get(registryKey(body.templateName, body.language));
  if (!definition) {
    return invalidRequest(
      "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND",
      `Template "${body.templateName}" with language "${body.language}" was not found`,
      { field: "templateName" },
    );
  }
  return checkParameters(definition, body);
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
