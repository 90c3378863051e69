/* Generated from schema/campaign.schema.json by `npm run gen`. Do not edit by hand. */

/**
 * A msgc Campaign spec: one Message sent to every recipient of an audience file.
 */
export interface CampaignSpec {
  /**
   * What this file is: a Campaign spec.
   */
  kind: "Campaign";
  /**
   * The campaign's name, unique among campaigns: msgc send NAME. Lowercase letters, digits, - and _.
   */
  name: string;
  /**
   * Free text for people; not sent.
   */
  description?: string;
  /**
   * The Message spec's name.
   */
  message: string;
  /**
   * Connectly's campaign tag; defaults to `name`.
   */
  campaignName?: string;
  /**
   * The business number that sends, in E.164 (+14151111234); overrides the message's sender.
   */
  sender?: string;
  /**
   * Who receives the message: a file of recipients, one row each.
   */
  audience: {
    /**
     * Relative to this spec file; .csv (header row), .ndjson/.jsonl, or .json (array).
     */
    file: string;
    /**
     * The column with each recipient's phone number.
     */
    phone?: string;
    /**
     * The column with each recipient's language (chooses the message's locales entry).
     */
    locale?: string;
    /**
     * The column with each recipient's channel, whatsapp or sms; overrides the campaign's and the message's channel.
     */
    channel?: string;
    /**
     * The column with when each recipient last wrote to you (decides the 24-hour window).
     */
    lastInboundAt?: string;
    /**
     * How the audience file's bytes are decoded: utf-8 (the default; bytes that are not UTF-8 are an error at their row), windows-1252 (Excel on Windows) or latin1 (ISO-8859-1). A byte order mark wins: UTF-8 and UTF-16 files that start with one are read as such.
     */
    encoding?: "utf-8" | "windows-1252" | "latin1";
    /**
     * CSV only: the field delimiter: a comma (the default), a semicolon or a tab (Excel in many locales), or a pipe.
     */
    delimiter?: "," | ";" | "\t" | "|";
    /**
     * Renames: var -> column; other vars match by name.
     */
    columns?: {
      [k: string]: string;
    };
  };
  /**
   * Constants for every recipient; a column of the same name wins.
   */
  vars?: {
    [k: string]: string | number | boolean;
  };
  /**
   * Which form goes out, overriding the message's window: auto, session or template.
   */
  window?: "auto" | "session" | "template";
  /**
   * The channel every recipient gets, overriding the message's: whatsapp or sms.
   */
  channel?: "whatsapp" | "sms";
  /**
   * Messages per second.
   */
  rate?: number;
  /**
   * apply (the default): numbers on the suppression list (opted out) are skipped. ignore: sent to all the same; only for messages each customer asked for (a one-time code, a receipt), never marketing (docs/tracking.md).
   */
  suppression?: "apply" | "ignore";
}
