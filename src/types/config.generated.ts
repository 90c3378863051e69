/* Generated from schema/config.schema.json by `npm run gen`. Do not edit by hand. */

/**
 * msgc.config.yaml at the project root.
 */
export interface MsgcConfig {
  /**
   * The folder of spec files, relative to this file.
   */
  specs?: string;
  /**
   * Where build writes plans and send keeps its journals, relative to this file.
   */
  out?: string;
  /**
   * Your Connectly business id; the API key comes from CONNECTLY_API_KEY, never from this file.
   */
  businessId?: string;
  /**
   * Connectly's API address.
   */
  baseUrl?: string;
  /**
   * Messages per second when sending.
   */
  rate?: number;
  /**
   * Requests in flight at once when sending.
   */
  concurrency?: number;
  /**
   * Which form goes out by default: auto (session inside the 24-hour window, else template), session or template.
   */
  window?: "auto" | "session" | "template";
  /**
   * Where msgc keeps webhook events, sends and opt-outs: sqlite (<out>/msgc.db, the default once it exists), off, a .db file inside the project, or a postgres:// URL without a password (put the password in PGPASSWORD, or the whole URL in MSGC_STORE, which overrides this).
   */
  store?: string;
  /**
   * How Messages are held against the project's Template specs.
   */
  templates?: {
    /**
     * true: a Message whose template has no Template spec is an error (template-not-defined).
     */
    require?: boolean;
  };
  /**
   * Keywords an inbound message may be, as a whole (case and spaces ignored), to opt out or back in; added to the defaults (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, OPT OUT, REVOKE; START, UNSTOP, SUBSCRIBE).
   */
  optOut?: {
    /**
     * More opt-out keywords, for example in the customers' languages (BAJA, ALTO).
     *
     * @maxItems 1000
     */
    keywords?: string[];
    /**
     * More keywords that lift an opt-out (ALTA).
     *
     * @maxItems 1000
     */
    optInKeywords?: string[];
  };
}
