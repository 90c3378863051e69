/**
 * What a template's components make a send fill in, read from Connectly's component form (the
 * create request's `template_components`, the list's `templateComponents`). Only the body's shape
 * is documented; header, footer and buttons follow the list response and are unconfirmed
 * (docs/templates.md), so both spellings of a key are read and anything else is ignored.
 */

import type { TemplateButton, TemplateLanguage, TemplateOtp } from "../types/template.generated.js";

export type TemplateHeaderKind = "text" | "image" | "video" | "document";

/** The parameters a template takes: `header_<kind>`, `body_1…body_N`, `button_1_url…`. */
export interface TakenParameters {
  /** A header that takes a parameter: text with `{{1}}`, or a media kind. */
  header?: TemplateHeaderKind;
  body?: number;
  /** URL buttons whose URL has a variable. */
  buttons?: number;
}

export const VARIABLE = /\{\{\s*(\d+)\s*\}\}/g;

const MEDIA_TYPES = new Map<string, TemplateHeaderKind>([
  ["TYPE_IMAGE", "image"],
  ["TYPE_VIDEO", "video"],
  ["TYPE_DOCUMENT", "document"],
]);
export const MEDIA_TYPE_NAMES: readonly string[] = [...MEDIA_TYPES.keys()];

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A key in the request's snake_case, or the camelCase of the list (a protobuf gateway reads both). */
export function pick(object: Record<string, unknown> | undefined, snake: string): unknown {
  if (!object) return undefined;
  const camel = snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return object[snake] ?? object[camel];
}

/** `{ text: "…" }` or `{ text: { text: "…" } }`. */
export function componentText(component: Record<string, unknown> | undefined): string | undefined {
  const text = pick(component, "text");
  if (typeof text === "string") return text;
  const inner = pick(asRecord(text), "text");
  return typeof inner === "string" ? inner : undefined;
}

/** The numbers of the `{{N}}` in a text, in order. */
export function variablesIn(text: string): number[] {
  return [...text.matchAll(VARIABLE)].map((match) => Number(match[1]));
}

export function mediaKindOf(type: unknown): TemplateHeaderKind | undefined {
  return typeof type === "string" ? MEDIA_TYPES.get(type) : undefined;
}

/** The parameters the components take; undefined when they have no readable body (a shape not known). */
export function parametersTakenBy(components: readonly unknown[]): TakenParameters | undefined {
  const taken: TakenParameters = { body: 0, buttons: 0 };
  let hasBody = false;
  for (const raw of components) {
    const component = asRecord(raw);
    const body = componentText(asRecord(component?.["body"]));
    if (body !== undefined) {
      hasBody = true;
      taken.body = variablesIn(body).length;
    }
    const header = asRecord(component?.["header"]);
    if (header) {
      const media = mediaKindOf(pick(asRecord(pick(header, "media")), "type"));
      const text = componentText(header);
      if (media) taken.header = media;
      else if (text !== undefined && variablesIn(text).length > 0) taken.header = "text";
    }
    const buttons = pick(asRecord(component?.["buttons"]), "buttons");
    if (Array.isArray(buttons)) {
      for (const button of buttons) {
        const url = pick(asRecord(pick(asRecord(button), "url")), "url");
        if (typeof url === "string" && variablesIn(url).length > 0) taken.buttons = (taken.buttons ?? 0) + 1;
      }
    }
  }
  return hasBody ? taken : undefined;
}

/** The parameter names a send fills for them, in Connectly's order (header, body, buttons). */
export function parameterNames(taken: TakenParameters): string[] {
  const names: string[] = [];
  if (taken.header) names.push(`header_${taken.header}`);
  for (let i = 1; i <= (taken.body ?? 0); i++) names.push(`body_${i}`);
  for (let i = 1; i <= (taken.buttons ?? 0); i++) names.push(`button_${i}_url`);
  return names;
}

/** One string, or the first of a list of them (Connectly's `example` is either). */
function firstString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  return Array.isArray(value) && typeof value[0] === "string" ? value[0] : undefined;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === "string") && value.length > 0 ? (value as string[]) : undefined;
}

function optionalText(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `{ key: value }` when the value is there, `{}` when not: the read form has no undefined keys. */
function given<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function readButton(raw: unknown, otp: TemplateOtp | undefined): TemplateButton | TemplateOtp | undefined {
  const button = asRecord(raw);
  const url = asRecord(pick(button, "url"));
  if (url) {
    return { type: "url", ...given("text", optionalText(pick(url, "text"))), ...given("url", optionalText(pick(url, "url"))), ...given("example", firstString(pick(url, "example"))) };
  }
  const reply = asRecord(pick(button, "quick_reply"));
  if (reply) return { type: "quick_reply", ...given("text", optionalText(pick(reply, "text"))) };
  const phone = asRecord(pick(button, "phone_number"));
  if (phone) return { type: "phone", ...given("text", optionalText(pick(phone, "text"))), ...given("phone", optionalText(pick(phone, "phone_number"))) };
  const code = asRecord(pick(button, "copy_code"));
  if (code) return { type: "copy_code", ...given("example", firstString(pick(code, "example"))) };
  const oneTime = asRecord(pick(button, "otp"));
  if (oneTime) return { ...otp, type: pick(oneTime, "otp_type") === "ONE_TAP" ? "one_tap" : "copy_code", ...given("text", optionalText(pick(oneTime, "text"))) };
  return undefined;
}

/**
 * A template's components (Connectly's form: a create request's `template_components`, the list's
 * `templateComponents`) read back into the language of a Template spec. The plan reads both the
 * spec's create request and the remote template through it, so that the two are compared in one
 * form; `pull` writes what it reads. Undefined when a component or button is in a shape this
 * reader does not know (nothing is guessed), or there is no body.
 */
export function languageFromComponents(components: readonly unknown[]): TemplateLanguage | undefined {
  const language: TemplateLanguage = {};
  let otp: TemplateOtp | undefined;
  let addSecurityRecommendation: boolean | undefined;
  let codeExpirationMinutes: number | undefined;
  for (const raw of components) {
    const component = asRecord(raw);
    const keys = component ? Object.keys(component) : [];
    if (!component || keys.length !== 1) return undefined;
    const value = asRecord(component[keys[0]!]);
    switch (keys[0]) {
      case "body": {
        const text = componentText(value);
        if (text === undefined) return undefined;
        language.body = { text, ...given("examples", stringList(pick(asRecord(pick(value, "text")), "example"))) };
        const security = pick(value, "add_security_recommendation");
        if (typeof security === "boolean") addSecurityRecommendation = security;
        break;
      }
      case "header": {
        const media = asRecord(pick(value, "media"));
        const kind = media ? mediaKindOf(pick(media, "type")) : undefined;
        if (media) {
          if (!kind) return undefined;
          language.header = { [kind]: firstString(pick(media, "example")) ?? "" };
          break;
        }
        const text = componentText(value);
        if (text === undefined) return undefined;
        language.header = { text, ...given("example", firstString(pick(asRecord(pick(value, "text")), "example"))) };
        break;
      }
      case "footer": {
        const minutes = pick(value, "code_expiration_minutes");
        if (typeof minutes === "number") {
          codeExpirationMinutes = minutes;
          break;
        }
        const text = componentText(value);
        if (text === undefined) return undefined;
        language.footer = text;
        break;
      }
      case "buttons": {
        const buttons = pick(value, "buttons");
        if (!Array.isArray(buttons)) return undefined;
        const read: TemplateButton[] = [];
        for (const button of buttons) {
          const one = readButton(button, otp);
          if (!one) return undefined;
          if (one.type === "one_tap" || (one.type === "copy_code" && asRecord(pick(asRecord(button), "otp")))) otp = one as TemplateOtp;
          else read.push(one as TemplateButton);
        }
        if (read.length > 0) language.buttons = read;
        break;
      }
      default:
        return undefined;
    }
  }
  // Meta writes an authentication template's body and footer: the spec holds the code button.
  if (otp) return { otp: { ...otp, ...given("codeExpirationMinutes", codeExpirationMinutes), ...given("addSecurityRecommendation", addSecurityRecommendation) } };
  return language.body ? language : undefined;
}
