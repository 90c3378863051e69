/* Generated from schema/config.schema.json by `npm run gen`. Do not edit by hand. */

/**
 * msgc.config.yaml at the project root.
 */
export interface MsgcConfig {
  specs?: string;
  out?: string;
  businessId?: string;
  baseUrl?: string;
  rate?: number;
  concurrency?: number;
  window?: "auto" | "session" | "template";
}
