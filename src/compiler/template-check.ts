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

/** The body as the customer reads it: `{{N}}` replaced by the item's body_N parameter. */
export function renderTemplateBody(text: string, parameters: readonly { name: string; value: string }[]): string {
  let rendered = "";
  let from = 0;
  for (const variable of templateVariables(text)) {
    const value = variable.n === undefined ? undefined : parameters.find((p) => p.name === `body_${variable.n}`)?.value;
    rendered += text.slice(from, variable.offset) + (value ?? variable.raw);
    from = variable.end;
  }
  return rendered + text.slice(from);
}

/**
 * A plan item's template body once its values are in, against Meta's 1024 characters (132005).
 * Undefined when the item sends no template, its Template is unknown, or it fits.
 */
export function renderedBodyProblem(item: PlanItem, templates: ReadonlyMap<string, { data: TemplateSpec }>): string | undefined {
  const body = item.template?.body;
  if (!body) return undefined;
  const text = templates.get(body.templateName)?.data.languages[body.language]?.body?.text;
  if (text === undefined) return undefined;
  const length = renderTemplateBody(text, body.parameters ?? []).length;
  if (length <= TEMPLATE_BODY_MAX) return undefined;
  return `The template body with its values put in is ${length} characters; Meta refuses more than ${TEMPLATE_BODY_MAX} (132005)`;
}
