/**
 * Template specs against Meta's template rules (docs/templates.md, "Lint"): pure, on a
 * schema-valid TemplateSpec, each problem a diagnostic at the offending node. Meta's reviewers
 * reject a template for any of these, days after it was submitted; here they are found at once.
 */
import type { Diagnostic, DiagnosticCode, JsonPath } from "../diagnostics.js";
import type { TemplateButton, TemplateLanguage, TemplateSpec } from "../types/template.generated.js";
import { closest } from "./words.js";

export const TEMPLATE_NAME_MAX = 512;
export const TEMPLATE_BODY_MAX = 1024;
export const TEMPLATE_HEADER_TEXT_MAX = 60;
export const TEMPLATE_FOOTER_MAX = 60;
export const TEMPLATE_BUTTON_TEXT_MAX = 25;
export const TEMPLATE_BUTTON_URL_MAX = 2000;

/**
 * Meta's supported template languages (developers.facebook.com, "Supported Languages"). A code
 * outside it is refused at creation.
 */
export const META_LANGUAGES: readonly string[] = [
  "af", "sq", "ar", "az", "bn", "bg", "ca", "zh_CN", "zh_HK", "zh_TW", "hr", "cs", "da", "nl", "en", "en_GB",
  "en_US", "et", "fil", "fi", "fr", "ka", "de", "el", "gu", "ha", "he", "hi", "hu", "id", "ga", "it", "ja", "kn",
  "kk", "rw_RW", "ko", "ky_KG", "lo", "lv", "lt", "mk", "ms", "ml", "mr", "nb", "fa", "pl", "pt_BR", "pt_PT",
  "pa", "ro", "ru", "sr", "sk", "sl", "es", "es_AR", "es_ES", "es_MX", "sw", "sv", "ta", "te", "th", "tr", "uk",
  "ur", "uz", "vi", "zu",
];
const LANGUAGE_SET = new Set(META_LANGUAGES);

const BUTTON_LIMITS = { url: 2, quick_reply: 10, phone: 1, copy_code: 1 } as const;
const BUTTONS_MAX = 10;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const MEDIA_KINDS = ["image", "video", "document"] as const;

/** One `{{…}}` in a Template text: `n` when it is Meta's positional form, `offset` in the text. */
export interface TemplateVariable {
  n?: number;
  raw: string;
  offset: number;
  end: number;
}

/** Every `{{…}}` of a Template text, in order. */
export function templateVariables(text: string): TemplateVariable[] {
  const found: TemplateVariable[] = [];
  // What /\{\{([^{}\n]*)\}\}/g finds, scanned by hand (it runs for every component of every
  // Template and Message, and the regex iterator was a tenth of `validate`). No braces inside:
  // each `{{` is scanned up to the next brace or line end only, so a text of a million `{{`
  // stays linear.
  let from = 0;
  for (let open = text.indexOf("{{"); open !== -1; open = text.indexOf("{{", from)) {
    let close = open + 2;
    for (let c = text.charCodeAt(close); close < text.length && c !== 123 && c !== 125 && c !== 10; c = text.charCodeAt(++close));
    if (text.charCodeAt(close) !== 125 || text.charCodeAt(close + 1) !== 125) {
      from = open + 1;
      continue;
    }
    const inner = text.slice(open + 2, close);
    const end = close + 2;
    const raw = text.slice(open, end);
    found.push(/^[0-9]{1,3}$/.test(inner) ? { n: Number(inner), raw, offset: open, end } : { raw, offset: open, end });
    from = end;
  }
  return found;
}

/** How many positional parameters a text takes: the highest `{{N}}` (sequential once linted). */
export function parameterCount(text: string | undefined): number {
  if (text === undefined) return 0;
  return templateVariables(text).reduce((max, v) => Math.max(max, v.n ?? 0), 0);
}

/** Whether a button takes a parameter at send time (a URL button with `{{1}}`). */
export function buttonTakesParameter(button: TemplateButton): boolean {
  return button.type === "url" && button.url !== undefined && parameterCount(button.url) > 0;
}

export function lintTemplate(spec: TemplateSpec, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (code: DiagnosticCode, path: JsonPath, message: string, offset?: number, hint?: string): void => {
    out.push({ code, severity: "error", message, file, path, ...(offset !== undefined ? { offset } : {}), ...(hint ? { hint } : {}) });
  };

  if (!/^[a-z][a-z0-9_]*$/.test(spec.name) || spec.name.length > TEMPLATE_NAME_MAX) {
    const why = spec.name.length > TEMPLATE_NAME_MAX ? `is ${spec.name.length} characters (at most ${TEMPLATE_NAME_MAX})` : "is not lowercase letters, digits and _ starting with a letter";
    report("template-name-invalid", ["name"], `Template name "${spec.name.slice(0, 80)}" ${why}`, undefined, "Meta's names look like order_shipped_v2");
  }
  for (const [code, language] of Object.entries(spec.languages)) {
    lintLanguage(spec, code, language, report);
  }
  return out;
}

type Report = (code: DiagnosticCode, path: JsonPath, message: string, offset?: number, hint?: string) => void;

function lintLanguage(spec: TemplateSpec, code: string, language: TemplateLanguage, report: Report): void {
  const at = ["languages", code];
  if (!LANGUAGE_SET.has(code)) {
    const suggestion = closest(code, META_LANGUAGES);
    report("template-language-unknown", at, `Language "${code}" is not in Meta's supported list${suggestion ? `; did you mean "${suggestion}"?` : ""}`);
  }
  const authentication = spec.category === "authentication";
  if (authentication) lintAuthentication(code, language, report);
  else if (language.otp) report("template-category-mismatch", [...at, "otp"], `otp is for authentication templates; this one is ${spec.category}`);

  if (language.body) lintBody(code, language.body, report);
  else if (!authentication) report("template-body-too-long", at, `Language "${code}" has no body; every template has one`);
  if (language.header) lintHeader(code, language.header, report);
  if (language.footer !== undefined) {
    const path = [...at, "footer"];
    if (language.footer.length > TEMPLATE_FOOTER_MAX) report("template-footer-invalid", path, `Footer is ${language.footer.length} characters; at most ${TEMPLATE_FOOTER_MAX}`);
    const variable = templateVariables(language.footer)[0];
    if (variable) report("template-footer-invalid", path, `A footer cannot have variables (${variable.raw})`, variable.offset);
  }
  if (language.buttons) lintButtons(spec, code, language.buttons, report);
}

function lintAuthentication(code: string, language: TemplateLanguage, report: Report): void {
  const at = ["languages", code];
  if (!language.otp) report("template-category-mismatch", at, `Authentication templates take otp: { type: copy_code | one_tap }; Meta writes their body`);
  for (const part of ["header", "body", "footer", "buttons"] as const) {
    if (language[part] !== undefined) report("template-category-mismatch", [...at, part], `Authentication templates have no ${part} of their own: Meta writes them from otp:`);
  }
}

/** Variables numbered 1…n, no gaps or repeats, no named ones; the problems of one text. */
function lintVariables(text: string, path: JsonPath, what: string, report: Report): TemplateVariable[] {
  const variables = templateVariables(text);
  const seen = new Set<number>();
  for (const variable of variables) {
    if (variable.n === undefined) {
      report("template-named-params", path, `${variable.raw} in the ${what}: template variables are positional, {{1}}, {{2}}, …`, variable.offset, "Connectly documents only positional parameters (body_1, body_2, …)");
    } else if (seen.has(variable.n)) {
      report("template-variables-not-sequential", path, `{{${variable.n}}} appears twice in the ${what}; each variable once, numbered 1…n`, variable.offset);
    } else {
      seen.add(variable.n);
    }
  }
  const numbered = variables.filter((v) => v.n !== undefined);
  const expected = numbered.length > 0 ? Math.max(...numbered.map((v) => v.n!)) : 0;
  for (let n = 1; n <= expected; n++) {
    if (!seen.has(n)) {
      const after = numbered.find((v) => v.n! > n)!;
      report("template-variables-not-sequential", path, `The ${what} has {{${after.n}}} but no {{${n}}}; number variables 1…n without gaps`, after.offset);
      break;
    }
  }
  return numbered;
}

function lintBody(code: string, body: NonNullable<TemplateLanguage["body"]>, report: Report): void {
  const at = ["languages", code, "body"];
  const textPath = [...at, "text"];
  if (body.text.length > TEMPLATE_BODY_MAX) report("template-body-too-long", textPath, `Body is ${body.text.length} characters; at most ${TEMPLATE_BODY_MAX}`);
  const variables = lintVariables(body.text, textPath, "body", report);
  lintExamples(new Set(variables.map((v) => v.n)).size, body.examples, at, "body", report);
  const trimmed = body.text.trim();
  const lead = body.text.length - body.text.trimStart().length;
  const first = variables[0];
  const last = variables[variables.length - 1];
  const startsWith = first !== undefined && first.offset === lead;
  if (startsWith) report("template-variable-placement", textPath, `The body starts with ${first.raw}; Meta rejects a body that starts or ends with a variable`, first.offset);
  if (last && last.end === lead + trimmed.length && !(startsWith && last === first)) {
    report("template-variable-placement", textPath, `The body ends with ${last.raw}; Meta rejects a body that starts or ends with a variable`, last.offset);
  }
  for (let i = 1; i < variables.length; i++) {
    const between = body.text.slice(variables[i - 1]!.end, variables[i]!.offset);
    if (!/[\p{L}\p{N}]/u.test(between)) {
      report("template-variable-placement", textPath, `${variables[i - 1]!.raw} and ${variables[i]!.raw} are side by side; put words between variables`, variables[i]!.offset);
    }
  }
}

function lintExamples(count: number, examples: readonly string[] | undefined, at: JsonPath, what: string, report: Report): void {
  const given = examples?.length ?? 0;
  if (given < count) {
    report("template-example-missing", examples ? [...at, "examples"] : at, `The ${what} has ${count} variable${count === 1 ? "" : "s"} but ${given} example${given === 1 ? "" : "s"}; one per variable, in order`);
  } else if (given > count) {
    report("template-example-missing", [...at, "examples", count], `The ${what} has ${count} variable${count === 1 ? "" : "s"}; example ${count + 1} has none to show`);
  }
}

function isHttps(url: string): boolean {
  try {
    return new URL(url).protocol === "https:";
  } catch {
    return false;
  }
}

function lintHeader(code: string, header: NonNullable<TemplateLanguage["header"]>, report: Report): void {
  const at = ["languages", code, "header"];
  const kinds = (["text", ...MEDIA_KINDS] as const).filter((kind) => header[kind] !== undefined);
  if (kinds.length !== 1) {
    report("template-header-invalid", at, kinds.length === 0 ? "A header is one of text, image, video or document" : `A header is one of text, image, video or document, not ${kinds.join(" and ")}`);
    return;
  }
  const kind = kinds[0]!;
  if (kind !== "text") {
    if (!isHttps(header[kind]!)) report("template-header-invalid", [...at, kind], `${kind === "image" ? "An" : "A"} ${kind} header needs the https:// URL of an example file`);
    if (header.example !== undefined) report("template-header-invalid", [...at, "example"], `example is for text headers; ${kind === "image" ? "an" : "a"} ${kind} header's example is its URL`);
    return;
  }
  const text = header.text!;
  const textPath = [...at, "text"];
  if (text.length > TEMPLATE_HEADER_TEXT_MAX) report("template-header-invalid", textPath, `Header text is ${text.length} characters; at most ${TEMPLATE_HEADER_TEXT_MAX}`);
  const variables = lintVariables(text, textPath, "header", report);
  if (variables.length > 1) report("template-header-invalid", textPath, `Header text has ${variables.length} variables; at most 1`, variables[1]!.offset);
  if (variables.length > 0 && header.example === undefined) report("template-example-missing", at, "Header text with a variable needs example: (its value for Meta's reviewers)");
  else if (variables.length === 0 && header.example !== undefined) report("template-example-missing", [...at, "example"], "The header text has no variable; example: has none to show");
}

function lintButtons(spec: TemplateSpec, code: string, buttons: readonly TemplateButton[], report: Report): void {
  const at = ["languages", code, "buttons"];
  if (buttons.length > BUTTONS_MAX) report("template-buttons-invalid", [...at, BUTTONS_MAX], `${buttons.length} buttons; at most ${BUTTONS_MAX}`);
  const counts = { url: 0, quick_reply: 0, phone: 0, copy_code: 0 };
  buttons.forEach((button, index) => {
    counts[button.type]++;
    if (counts[button.type] === BUTTON_LIMITS[button.type] + 1) {
      report("template-buttons-invalid", [...at, index], `More than ${BUTTON_LIMITS[button.type]} ${button.type} button${BUTTON_LIMITS[button.type] === 1 ? "" : "s"}`);
    }
  });
  const replies = buttons.flatMap((b, i) => (b.type === "quick_reply" ? [i] : []));
  if (replies.length > 0) {
    const gap = replies.findIndex((index, k) => k > 0 && index !== replies[k - 1]! + 1);
    if (gap > 0) report("template-buttons-invalid", [...at, replies[gap]!], "Quick replies go together, not between other buttons");
  }
  buttons.forEach((button, index) => lintButton(spec, [...at, index], button, report));
}

function lintButton(spec: TemplateSpec, at: JsonPath, button: TemplateButton, report: Report): void {
  if (button.type === "copy_code" && spec.category !== "marketing") {
    report("template-category-mismatch", [...at, "type"], `Copy-code buttons are for marketing templates; this one is ${spec.category}`);
  }
  if (button.text === undefined) {
    if (button.type !== "copy_code") report("template-button-invalid", at, `A ${button.type} button needs text:`);
  } else if (button.text.length > TEMPLATE_BUTTON_TEXT_MAX) {
    report("template-button-invalid", [...at, "text"], `Button text is ${button.text.length} characters; at most ${TEMPLATE_BUTTON_TEXT_MAX}`);
  }
  const allowed: Record<TemplateButton["type"], ReadonlySet<string>> = {
    url: new Set(["type", "text", "url", "example"]),
    quick_reply: new Set(["type", "text"]),
    phone: new Set(["type", "text", "phone"]),
    copy_code: new Set(["type", "text", "example"]),
  };
  for (const key of Object.keys(button)) {
    if (!allowed[button.type].has(key)) report("template-button-invalid", [...at, key], `${key}: is not for a ${button.type} button`);
  }
  if (button.type === "phone") {
    if (button.phone === undefined) report("template-button-invalid", at, "A phone button needs phone: in E.164 (+14155550100)");
    else if (!E164.test(button.phone)) report("template-button-invalid", [...at, "phone"], `"${button.phone}" is not an E.164 number such as +14155550100`);
  }
  if (button.type === "copy_code" && button.example === undefined) report("template-example-missing", at, "A copy-code button needs example: (a sample code)");
  if (button.type !== "url") return;
  if (button.url === undefined) {
    report("template-button-invalid", at, "A url button needs url: (https)");
    return;
  }
  const urlPath = [...at, "url"];
  if (!isHttps(button.url.replace(/\{\{[^{}\n]*\}\}/g, "x"))) report("template-button-invalid", urlPath, "A button URL must be https://");
  if (button.url.length > TEMPLATE_BUTTON_URL_MAX) report("template-button-invalid", urlPath, `The URL is ${button.url.length} characters; at most ${TEMPLATE_BUTTON_URL_MAX}`);
  const variables = lintVariables(button.url, urlPath, "URL", report);
  if (variables.length > 1) report("template-button-invalid", urlPath, `The URL has ${variables.length} variables; at most 1, at its end`, variables[1]!.offset);
  else if (variables.length === 1 && variables[0]!.end !== button.url.length) report("template-button-invalid", urlPath, `${variables[0]!.raw} must be at the end of the URL`, variables[0]!.offset);
  if (variables.length > 0) {
    if (button.example === undefined) report("template-example-missing", at, "A URL with {{1}} needs example: (the full URL with a value in)");
    else if (!isHttps(button.example)) report("template-button-invalid", [...at, "example"], "example: is the full https:// URL with a value in");
  } else if (button.example !== undefined) {
    report("template-example-missing", [...at, "example"], "The URL has no variable; example: has none to show");
  }
}
