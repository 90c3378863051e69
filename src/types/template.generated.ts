/* Generated from schema/template.schema.json by `npm run gen`. Do not edit by hand. */

/**
 * A msgc Template spec: one WhatsApp message template as Meta reviews it, one entry per language. Variables are Meta's positional {{1}}, {{2}}, …
 */
export interface TemplateSpec {
  /**
   * What this file is: a Template spec.
   */
  kind: "Template";
  /**
   * Meta's template name: lowercase letters, digits and _, starting with a letter, at most 512 characters. Unique among Templates.
   */
  name: string;
  /**
   * Meta's category: marketing, utility or authentication.
   */
  category: "marketing" | "utility" | "authentication";
  /**
   * Free text for people; never sent.
   */
  description?: string;
  /**
   * One entry per language code (en_US, es, pt_BR, …); each is reviewed and approved on its own.
   */
  languages: {
    [k: string]: TemplateLanguage;
  };
}
/**
 * The template's components in one language.
 */
export interface TemplateLanguage {
  header?: TemplateHeaderComponent;
  body?: TemplateBody;
  /**
   * Small grey text under the body, at most 60 characters, no variables.
   */
  footer?: string;
  /**
   * At most 10: quick replies (together), at most 2 URL, 1 phone, 1 copy code.
   */
  buttons?: TemplateButton[];
  otp?: TemplateOtp;
}
/**
 * Exactly one of text (with example when it has {{1}}), image, video, document.
 */
export interface TemplateHeaderComponent {
  /**
   * Header text, at most 60 characters and at most one variable {{1}}.
   */
  text?: string;
  /**
   * The value of {{1}} in the header text, for Meta's reviewers.
   */
  example?: string;
  /**
   * The https:// URL of an example image.
   */
  image?: string;
  /**
   * The https:// URL of an example video.
   */
  video?: string;
  /**
   * The https:// URL of an example document.
   */
  document?: string;
}
export interface TemplateBody {
  /**
   * The body, at most 1024 characters, with {{1}}, {{2}}, … numbered without gaps.
   */
  text: string;
  /**
   * One example value per variable, in order.
   */
  examples?: string[];
}
export interface TemplateButton {
  /**
   * url, quick_reply, phone or copy_code.
   */
  type: "url" | "quick_reply" | "phone" | "copy_code";
  /**
   * The button's label, at most 25 characters.
   */
  text?: string;
  /**
   * url buttons: https URL, at most one variable {{1}}, at its end.
   */
  url?: string;
  /**
   * phone buttons: the number in E.164 (+14155550100).
   */
  phone?: string;
  /**
   * url buttons with {{1}}: the full example URL; copy_code buttons: an example code.
   */
  example?: string;
}
export interface TemplateOtp {
  /**
   * The code button: copy_code or one_tap.
   */
  type: "copy_code" | "one_tap";
  /**
   * The button's label.
   */
  text?: string;
  /**
   * Minutes until the code expires, 1-90; Meta adds the sentence to the footer.
   */
  codeExpirationMinutes?: number;
  /**
   * Meta adds "For your security, do not share this code." to the body.
   */
  addSecurityRecommendation?: boolean;
}
