/* Generated from schema/message.schema.json by `npm run gen`. Do not edit by hand. */

export type Name = string;
export type E164 = string;
export type Scalar = string | number | boolean;
/**
 * A Handlebars template rendered as plain text.
 */
export type Text = string;
/**
 * An approved WhatsApp template, allowed at any time.
 */
export type Template = TemplateOverride;
export type Locale = string;
export type Window = "auto" | "session" | "template";

/**
 * A msgc Message spec: one WhatsApp message, as a session (free-form) form and/or an approved template form.
 */
export interface MessageSpec {
  kind: "Message";
  name: Name;
  description?: string;
  sender?: E164;
  /**
   * The inputs; every var used in a template must be declared here.
   */
  vars?: {
    [k: string]: VarDef;
  };
  /**
   * Named example inputs, used by validate, build, preview and diff.
   */
  samples?: {
    [k: string]: VarValues;
  };
  session?: Session;
  template?: Template;
  window?: Window;
  /**
   * Per-language overrides, chosen by the recipient's locale. Objects are merged over the base, arrays replace.
   */
  locales?: {
    [k: string]: {
      session?: Session;
      template?: TemplateOverride;
    };
  };
}
export interface VarDef {
  type: "string" | "number" | "integer" | "boolean";
  /**
   * @minItems 1
   */
  enum?: [Scalar, ...Scalar[]];
  pattern?: string;
  format?: "uri" | "email" | "date" | "date-time";
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: Scalar;
  description?: string;
  required?: boolean;
}
export interface VarValues {
  [k: string]: Scalar;
}
/**
 * The free-form form, sent only inside the 24-hour window. Exactly one content kind.
 */
export interface Session {
  text?: Text;
  attachment?: {
    type: "image" | "video" | "audio" | "document";
    url: Text;
    caption?: Text;
    filename?: Text;
  };
  location?: {
    latitude: number;
    longitude: number;
    name?: Text;
    address?: Text;
  };
  list?: {
    button: Text;
    sections: {
      title?: Text;
      rows: {
        id: Text;
        text: Text;
        description?: Text;
      }[];
    }[];
  };
  buttons?: {
    id: Text;
    text: Text;
  }[];
  product?: {
    catalogId: Text;
    productRetailerId: Text;
  };
  header?:
    | Text
    | {
        type: "image" | "video" | "document";
        url: Text;
        filename?: Text;
      };
  footer?: Text;
  callbackData?: CallbackData;
}
/**
 * Any JSON; echoed back by Connectly in webhooks. At most 1024 bytes once serialized.
 */
export interface CallbackData {
  [k: string]: unknown;
}
export interface TemplateOverride {
  name?: string;
  language?: Locale;
  header?: TemplateHeader;
  /**
   * @maxItems 15
   */
  body?:
    | []
    | [Text]
    | [Text, Text]
    | [Text, Text, Text]
    | [Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text]
    | [Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text];
  /**
   * @maxItems 2
   */
  buttons?: [] | [Text] | [Text, Text];
  callbackData?: CallbackData;
}
/**
 * Exactly one of text, image, video, document (filename only with document).
 */
export interface TemplateHeader {
  text?: Text;
  image?: Text;
  video?: Text;
  document?: Text;
  filename?: Text;
}
