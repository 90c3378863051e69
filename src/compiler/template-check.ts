/**
 * A Message held against the Template specs it sends (docs/templates.md, "A Message against its
 * Template"): for every language the Message may send, the Template has that language and takes
 * exactly the parameters the Message fills. Pure: the caller passes the Templates it loaded.
 */
import type { Diagnostic, JsonPath } from "../diagnostics.js";
import type { MessageSpec } from "../types/message.generated.js";
import type { TemplateLanguage, TemplateSpec } from "../types/template.generated.js";
import type { PlanItem } from "./plan.js";
import { buttonTakesParameter, parameterCount, TEMPLATE_BODY_MAX, templateVariables } from "./template-lint.js";

type TemplateOverride = NonNullable<MessageSpec["template"]>;

/** One (template, language) a Message may send, with where each of its fields is written. */
export interface MessageTemplateForm {
  name: string;
  language: string;
  /** The base template, or the locale that changes it. */
  at: JsonPath;
  fields: TemplateOverride;
  /** Where each field comes from: the locale's override when it sets it, else the base. */
  pathOf(field: keyof TemplateOverride): JsonPath;
}

/** Every template form a Message may send: its own and each locale's that changes the template. */
export function messageTemplateForms(spec: MessageSpec): MessageTemplateForm[] {
  const base = spec.template;
  if (!base) return [];
  const form = (at: JsonPath, fields: TemplateOverride, override?: TemplateOverride): MessageTemplateForm => ({
    name: fields.name!,
    language: fields.language!,
    at,
    fields,
    pathOf: (field) => (override && override[field] !== undefined ? [...at, field] : ["template", field]),
  });
  const forms = [form(["template"], base)];
  for (const [locale, values] of Object.entries(spec.locales ?? {})) {
    const override = values.template;
    if (!override) continue;
    forms.push(form(["locales", locale, "template"], { ...base, ...override }, override));
  }
  return forms;
}

type HeaderKind = "text" | "image" | "video" | "document" | "none";

function templateHeaderKind(language: TemplateLanguage): HeaderKind {
  const header = language.header;
  if (!header) return "none";
  if (header.text !== undefined) return parameterCount(header.text) > 0 ? "text" : "none";
  return header.image !== undefined ? "image" : header.video !== undefined ? "video" : header.document !== undefined ? "document" : "none";
}

function messageHeaderKind(header: TemplateOverride["header"]): HeaderKind {
  if (!header) return "none";
  return (["text", "image", "video", "document"] as const).find((kind) => header[kind] !== undefined) ?? "none";
}

function headerWords(kind: HeaderKind): string {
  return kind === "none" ? "no header parameter" : kind === "text" ? "a text header parameter (header: { text })" : `${kind === "image" ? "an" : "a"} ${kind} header (header: { ${kind}: <https URL> })`;
}

/** How many body parameters a Template language takes: authentication templates take the code. */
export function bodyParameterCount(language: TemplateLanguage): number {
  return language.otp ? 1 : parameterCount(language.body?.text);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The Message's template forms against the project's Template specs. */
export function checkMessageTemplates(
  spec: MessageSpec,
  file: string,
  templates: ReadonlyMap<string, { data: TemplateSpec; file: string }>,
  opts: { require: boolean },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (code: Diagnostic["code"], path: JsonPath, message: string): void => {
    if (out.some((d) => d.code === code && d.path.join("\0") === path.join("\0"))) return;
    out.push({ code, severity: "error", message, file, path });
  };
  for (const form of messageTemplateForms(spec)) {
    const template = templates.get(form.name);
    if (!template) {
      if (opts.require) report("template-not-defined", form.pathOf("name"), `Template "${form.name}" has no Template spec in the project (templates: { require: true })`);
      continue;
    }
    const language = template.data.languages[form.language];
    const where = `Template "${form.name}" (${template.file})`;
    if (!language) {
      const has = Object.keys(template.data.languages).join(", ");
      report("template-language-missing", form.pathOf("language"), `${where} has no language "${form.language}" (it has ${has})`);
      continue;
    }
    const bodyExpected = bodyParameterCount(language);
    const bodyGiven = form.fields.body?.length ?? 0;
    if (bodyExpected !== bodyGiven) {
      report("template-params-mismatch", form.fields.body ? form.pathOf("body") : form.at, `${where} in ${form.language} takes ${plural(bodyExpected, "body parameter")}; body: has ${bodyGiven}`);
    }
    const headerExpected = templateHeaderKind(language);
    const headerGiven = messageHeaderKind(form.fields.header);
    if (headerExpected !== headerGiven) {
      report("template-params-mismatch", form.fields.header ? form.pathOf("header") : form.at, `${where} in ${form.language} takes ${headerWords(headerExpected)}; this message gives ${headerWords(headerGiven)}`);
    }
    const buttonsExpected = (language.buttons ?? []).filter(buttonTakesParameter).length;
    const buttonsGiven = form.fields.buttons?.length ?? 0;
    if (buttonsExpected !== buttonsGiven) {
      report("template-params-mismatch", form.fields.buttons ? form.pathOf("buttons") : form.at, `${where} in ${form.language} takes ${plural(buttonsExpected, "URL button parameter")}; buttons: has ${buttonsGiven}`);
    }
  }
  return out;
}

/** A Template text as the customer reads it: each `{{N}}` replaced by its value (kept when there is none). */
export function fillTemplateText(text: string, valueOf: (n: number) => string | undefined): string {
  let filled = "";
  let from = 0;
  for (const variable of templateVariables(text)) {
    const value = variable.n === undefined ? undefined : valueOf(variable.n);
    filled += text.slice(from, variable.offset) + (value ?? variable.raw);
    from = variable.end;
  }
  return filled + text.slice(from);
}

/**
 * The Template body texts a campaign may send, by template name and language: plain data, so that
 * plan workers receive it with the specs.
 */
export type TemplateBodies = Readonly<Record<string, Readonly<Record<string, string>>>>;

export function templateBodiesOf(templates: Iterable<{ data: TemplateSpec }>): TemplateBodies {
  // No prototype: a template named __proto__ or constructor is a name like any other.
  const bodies: Record<string, Record<string, string>> = Object.create(null);
  for (const { data } of templates) {
    const languages: Record<string, string> = Object.create(null);
    for (const [code, language] of Object.entries(data.languages)) if (language.body) languages[code] = language.body.text;
    bodies[data.name] = languages;
  }
  return bodies;
}

/** A body's length once filled, without building it: its fixed text plus each parameter's value. */
interface BodyShape {
  fixed: number;
  /** Each `{{N}}`'s parameter name and its own length (kept when no value fills it), in order. */
  parameters: { name: string; raw: number }[];
}

function bodyShape(text: string): BodyShape {
  const variables = templateVariables(text).filter((v) => v.n !== undefined);
  return { fixed: text.length - variables.reduce((sum, v) => sum + v.raw.length, 0), parameters: variables.map((v) => ({ name: `body_${v.n}`, raw: v.raw.length })) };
}

/**
 * A per-campaign checker of rendered template bodies: compiled once, then called per plan item.
 * Returns the rendered length when it is over Meta's limit, else undefined.
 */
export function renderedBodyChecker(bodies: TemplateBodies): (item: PlanItem) => number | undefined {
  const shapes = new Map<string, BodyShape | undefined>();
  // Items of one campaign mostly send one (template, language): the last one is kept at hand.
  let lastName: string | undefined;
  let lastLanguage: string | undefined;
  let lastShape: BodyShape | undefined;
  const shapeOf = (name: string, language: string): BodyShape | undefined => {
    if (name === lastName && language === lastLanguage) return lastShape;
    const key = `${name}\0${language}`;
    let shape = shapes.get(key);
    if (shape === undefined && !shapes.has(key)) {
      const languages = Object.hasOwn(bodies, name) ? bodies[name] : undefined;
      const text = languages && Object.hasOwn(languages, language) ? languages[language] : undefined;
      shape = text === undefined ? undefined : bodyShape(text);
      shapes.set(key, shape);
    }
    lastName = name;
    lastLanguage = language;
    lastShape = shape;
    return shape;
  };
  return (item) => {
    const body = item.template?.body;
    if (!body) return undefined;
    const shape = shapeOf(body.templateName, body.language);
    if (!shape) return undefined;
    let length = shape.fixed;
    // Few parameters (at most 15): a linear look-up beats building a map per item.
    const parameters = body.parameters ?? [];
    for (const { name, raw } of shape.parameters) {
      let value: string | undefined;
      for (const p of parameters) {
        if (p.name === name) {
          value = p.value;
          break;
        }
      }
      length += value === undefined ? raw : value.length;
    }
    return length > TEMPLATE_BODY_MAX ? length : undefined;
  };
}

export function renderedTooLongMessage(length: number): string {
  return `The template body with its values put in is ${length} characters; Meta refuses more than ${TEMPLATE_BODY_MAX} (132005)`;
}
