/**
 * What a template's components make a send fill in, read from Connectly's component form (the
 * create request's `template_components`, the list's `templateComponents`). Only the body's shape
 * is documented; header, footer and buttons follow the list response and are unconfirmed
 * (docs/templates.md), so both spellings of a key are read and anything else is ignored.
 */

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
