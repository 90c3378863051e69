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
 * The SMS form: plain text, billed per segment.
 */
export type Sms = SmsOverride;
export type Channel = "whatsapp" | "sms";

/**
 * A msgc Message spec: one WhatsApp message, as a session (free-form) form and/or an approved template form.
 */
export interface MessageSpec {
  /**
   * What this file is: a Message spec.
   */
  kind: "Message";
  name: Name;
  /**
   * Free text for people; not sent.
   */
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
  sms?: Sms;
  channel?: Channel;
  /**
   * Per-language overrides, chosen by the recipient's locale. Objects are merged over the base, arrays replace.
   */
  locales?: {
    [k: string]: {
      session?: Session;
      template?: TemplateOverride;
      sms?: SmsOverride;
    };
  };
}
export interface VarDef {
  /**
   * The var's type; CSV cells are converted to it.
   */
  type: "string" | "number" | "integer" | "boolean";
  /**
   * The only values allowed.
   *
   * @minItems 1
   */
  enum?: [Scalar, ...Scalar[]];
  /**
   * A regular expression a string value must match (add ^…$ to match the whole value).
   */
  pattern?: string;
  /**
   * A format a string value must have: uri, email, date (YYYY-MM-DD) or date-time (RFC 3339).
   */
  format?: "uri" | "email" | "date" | "date-time";
  /**
   * Fewest characters a string value may have.
   */
  minLength?: number;
  /**
   * Most characters a string value may have.
   */
  maxLength?: number;
  /**
   * Smallest value a number may have (inclusive).
   */
  minimum?: number;
  /**
   * Largest value a number may have (inclusive).
   */
  maximum?: number;
  default?: Scalar;
  /**
   * Free text for people.
   */
  description?: string;
  /**
   * false makes the var optional (absent when no value and no default).
   */
  required?: boolean;
}
export interface VarValues {
  [k: string]: Scalar;
}
/**
 * The free-form form, sent only inside the 24-hour window. Exactly one content kind.
 */
export interface Session {
  /**
   * The message text (WhatsApp formatting: *bold*, _italic_, ~strike~, ```mono```). At most 4096 characters; 1024 with buttons or a product.
   */
  text?: string;
  /**
   * An image, video, audio or document, by https URL.
   */
  attachment?: {
    /**
     * The kind of media.
     */
    type: "image" | "video" | "audio" | "document";
    url: Text;
    /**
     * Text under the media, at most 1024 characters (not for audio).
     */
    caption?: string;
    filename?: Text;
  };
  /**
   * A map pin.
   */
  location?: {
    /**
     * Degrees north, -90 to 90.
     */
    latitude: number;
    /**
     * Degrees east, -180 to 180.
     */
    longitude: number;
    name?: Text;
    address?: Text;
  };
  /**
   * A button that opens a list of rows to choose one from; text is the body.
   */
  list?: {
    /**
     * The label of the button that opens the list, at most 20 characters.
     */
    button: string;
    /**
     * Groups of rows: at most 10 sections and 10 rows in all.
     */
    sections: {
      /**
       * The section's heading, at most 24 characters; required when there are several sections.
       */
      title?: string;
      /**
       * The choices: at most 10 rows in all sections together.
       */
      rows: {
        /**
         * What comes back in the webhook when the row is chosen, at most 200 characters; unique in the list.
         */
        id: string;
        /**
         * The row's title, at most 24 characters.
         */
        text: string;
        /**
         * A line under the row's title, at most 72 characters.
         */
        description?: string;
      }[];
    }[];
  };
  /**
   * Quick-reply buttons under the text: at most 3.
   */
  buttons?: {
    /**
     * What comes back in the webhook when the button is tapped, at most 256 characters; unique among the buttons.
     */
    id: string;
    /**
     * The button's title, at most 20 characters.
     */
    text: string;
  }[];
  /**
   * One product from a catalog; text is an optional body.
   */
  product?: {
    catalogId: Text;
    productRetailerId: Text;
  };
  /**
   * Above the text of buttons and lists: a text of at most 60 characters, or media (image, video, document; buttons only).
   */
  header?:
    | string
    | {
        /**
         * The kind of media.
         */
        type: "image" | "video" | "document";
        url: Text;
        filename?: Text;
      };
  /**
   * Small grey text under buttons, lists and products, at most 60 characters.
   */
  footer?: string;
  callbackData?: CallbackData;
}
/**
 * Any JSON; echoed back by Connectly in webhooks. At most 1024 bytes once serialized.
 */
export interface CallbackData {
  [k: string]: unknown;
}
export interface TemplateOverride {
  /**
   * The approved template's name at Meta.
   */
  name?: string;
  language?: Locale;
  header?: TemplateHeader;
  /**
   * The body's parameters {{1}}, {{2}}, … in order: at most 15.
   *
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
   * The URL buttons' dynamic suffixes, in order: at most 2.
   *
   * @maxItems 2
   */
  buttons?: [] | [Text] | [Text, Text];
  callbackData?: CallbackData;
}
/**
 * Exactly one of text, image, video, document (filename only with document).
 */
export interface TemplateHeader {
  /**
   * The header's text parameter, at most 60 characters.
   */
  text?: string;
  image?: Text;
  video?: Text;
  document?: Text;
  filename?: Text;
}
export interface SmsOverride {
  /**
   * The SMS text (plain: no formatting). Billed per segment: 160 GSM-7 characters (153 per part), or 70 (67) once one character is outside GSM-7.
   */
  text?: string;
  sender?: E164;
  /**
   * The most segments one rendered text may take: 1 to 10, default 3.
   */
  maxSegments?: number;
  callbackData?: CallbackData;
}
