/* Generated from schema/campaign.schema.json by `npm run gen`. Do not edit by hand. */

/**
 * A msgc Campaign spec: one Message sent to every recipient of an audience file.
 */
export interface CampaignSpec {
  kind: "Campaign";
  name: string;
  description?: string;
  /**
   * The Message spec's name.
   */
  message: string;
  /**
   * Connectly's campaign tag; defaults to `name`.
   */
  campaignName?: string;
  sender?: string;
  audience: {
    /**
     * Relative to this spec file; .csv (header row), .ndjson/.jsonl, or .json (array).
     */
    file: string;
    phone?: string;
    locale?: string;
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
  window?: "auto" | "session" | "template";
  /**
   * Messages per second.
   */
  rate?: number;
}
