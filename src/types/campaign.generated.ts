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
     * The column with when each recipient last wrote to you (decides the 24-hour window).
     */
    lastInboundAt?: string;
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
   * Messages per second.
   */
  rate?: number;
}
