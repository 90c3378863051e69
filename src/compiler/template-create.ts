/**
 * A Template spec as Connectly's create request (`POST /v1/businesses/{businessId}/create/template`,
 * reference §6.1): one request per language. Pure; `msgc templates apply` sends what this builds.
 *
 * UNCONFIRMED: Connectly documents only the body component (`{ body: { text: { text } } }`). The
 * header, footer and button components, the examples and the authentication (OTP) fields follow
 * the shape of the list response's `templateComponents` and Meta's own names, and may be wrong:
 * this module is the one place to correct them (docs/templates.md, "The create request").
 */
import type { TemplateButton, TemplateLanguage, TemplateSpec } from "../types/template.generated.js";
import { parameterCount } from "./template-lint.js";

export type TemplateComponent =
  | { header: { text: { text: string; example?: string[] } } | { media: { type: "TYPE_IMAGE" | "TYPE_VIDEO" | "TYPE_DOCUMENT"; example: string[] } } }
  | { body: { text: { text: string; example?: string[] }; add_security_recommendation?: boolean } }
  | { footer: { text: { text: string } } | { code_expiration_minutes: number } }
  | { buttons: { buttons: TemplateButtonComponent[] } };

export type TemplateButtonComponent =
  | { url: { text: string; url: string; example?: string[] } }
  | { quick_reply: { text: string } }
  | { phone_number: { text: string; phone_number: string } }
  | { copy_code: { example: string } }
  | { otp: { otp_type: "COPY_CODE" | "ONE_TAP"; text?: string } };

export interface TemplateCreateRequest {
  name: string;
  language: { code: string };
  category: "MESSAGE_TEMPLATE_GROUP_CATEGORY_MARKETING" | "MESSAGE_TEMPLATE_GROUP_CATEGORY_UTILITY" | "MESSAGE_TEMPLATE_GROUP_CATEGORY_AUTHENTICATION";
  template_components: TemplateComponent[];
}

const MEDIA_TYPES = { image: "TYPE_IMAGE", video: "TYPE_VIDEO", document: "TYPE_DOCUMENT" } as const;

/** Meta writes an authentication template's body; `{{1}}` is the code a send fills as body_1. */
export const OTP_BODY_TEXT = "{{1}} is your verification code.";

function withExample<T extends object>(value: T, examples: readonly string[] | undefined): T & { example?: string[] } {
  return examples && examples.length > 0 ? { ...value, example: [...examples] } : value;
}

function headerComponent(header: NonNullable<TemplateLanguage["header"]>): TemplateComponent {
  for (const kind of ["image", "video", "document"] as const) {
    const url = header[kind];
    if (url !== undefined) return { header: { media: { type: MEDIA_TYPES[kind], example: [url] } } };
  }
  const text = header.text ?? "";
  return { header: { text: withExample({ text }, parameterCount(text) > 0 && header.example !== undefined ? [header.example] : undefined) } };
}

function buttonComponent(button: TemplateButton): TemplateButtonComponent {
  switch (button.type) {
    case "url": {
      const url = button.url ?? "";
      return { url: withExample({ text: button.text ?? "", url }, parameterCount(url) > 0 && button.example !== undefined ? [button.example] : undefined) };
    }
    case "phone":
      return { phone_number: { text: button.text ?? "", phone_number: button.phone ?? "" } };
    case "copy_code":
      return { copy_code: { example: button.example ?? "" } };
    default:
      return { quick_reply: { text: button.text ?? "" } };
  }
}

/** The create request for one language of a (linted) Template spec. */
export function templateCreateRequest(spec: TemplateSpec, code: string): TemplateCreateRequest {
  const language = spec.languages[code];
  if (!language) throw new Error(`template ${spec.name} has no language ${code}`);
  const components: TemplateComponent[] = [];
  const otp = language.otp;
  if (otp) {
    const body: { text: { text: string }; add_security_recommendation?: boolean } = { text: { text: OTP_BODY_TEXT } };
    if (otp.addSecurityRecommendation !== undefined) body.add_security_recommendation = otp.addSecurityRecommendation;
    components.push({ body });
    if (otp.codeExpirationMinutes !== undefined) components.push({ footer: { code_expiration_minutes: otp.codeExpirationMinutes } });
    components.push({ buttons: { buttons: [{ otp: { otp_type: otp.type === "one_tap" ? "ONE_TAP" : "COPY_CODE", ...(otp.text !== undefined ? { text: otp.text } : {}) } }] } });
  } else {
    if (language.header) components.push(headerComponent(language.header));
    if (language.body) components.push({ body: { text: withExample({ text: language.body.text }, language.body.examples) } });
    if (language.footer !== undefined) components.push({ footer: { text: { text: language.footer } } });
    if (language.buttons && language.buttons.length > 0) components.push({ buttons: { buttons: language.buttons.map(buttonComponent) } });
  }
  return {
    name: spec.name,
    language: { code },
    category: `MESSAGE_TEMPLATE_GROUP_CATEGORY_${spec.category.toUpperCase()}` as TemplateCreateRequest["category"],
    template_components: components,
  };
}

/** One create request per language, in the spec's order. */
export function templateCreateRequests(spec: TemplateSpec): TemplateCreateRequest[] {
  return Object.keys(spec.languages).map((code) => templateCreateRequest(spec, code));
}
