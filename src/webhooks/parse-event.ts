/**
 * A signed webhook body -> the event to store and what it changes (inbound time, opt-outs).
 * Pure: no I/O, no clock (the receiver passes the time it received the body).
 *
 * Connectly's payloads are documented loosely (reference §7): the campaign name comes as
 * top-level `metadata.campaign_name` in one place and `statusUpdate.metadata.campaignName` in
 * another, `callbackData` is whatever the sender put there (an object, or a JSON string), and
 * a BSUID customer's `id` is not a phone number. Whatever this does not recognise is still
 * stored raw: a body is never refused once its signature is good.
 */
import { createHash } from "node:crypto";
import { isUtf8 } from "node:buffer";
import type { DeliveryStatus, EventEffects, EventRecord } from "../store/store.js";
import { TRACKING_FIELD } from "../compiler/tracking-token.js";
import { OPTED_OUT_CODE } from "../connectly/answer.js";

/** Whole-message texts that opt a customer out (compared with case and spaces ignored). */
export const DEFAULT_OPT_OUT_KEYWORDS: readonly string[] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT OUT", "REVOKE"];
/** Whole-message texts that lift an opt-out. */
export const DEFAULT_OPT_IN_KEYWORDS: readonly string[] = ["START", "UNSTOP", "SUBSCRIBE"];


const STATUSES: ReadonlySet<string> = new Set<DeliveryStatus>(["sent", "delivered", "read", "delivery_failed"]);

/** The keyword sets, already folded (see `foldKeyword`). */
export interface OptOutKeywords {
  optOut: ReadonlySet<string>;
  optIn: ReadonlySet<string>;
}

export interface ParsedWebhook {
  event: EventRecord;
  effects: EventEffects;
}

// Spaces of every kind, including the zero-width ones a phone keyboard may leave in "STOP".
const SPACES = /[\s\u200b-\u200d\u2060]+/gu;

/** How a keyword and a message text are compared: compatibility-normalised, upper case, no spaces. */
export function foldKeyword(text: string): string {
  return text.normalize("NFKC").replace(SPACES, "").toUpperCase();
}

/**
 * The defaults plus the config's extra keywords. A word in both lists (a config that adds
 * "START" as an opt-out) is an opt-out: when in doubt, stop messaging.
 */
export function optOutKeywords(extra: { keywords?: readonly string[]; optInKeywords?: readonly string[] } = {}): OptOutKeywords {
  const fold = (words: readonly string[]): string[] => words.map(foldKeyword).filter((word) => word !== "");
  const optOut = new Set(fold([...DEFAULT_OPT_OUT_KEYWORDS, ...(extra.keywords ?? [])]));
  const optIn = new Set(fold([...DEFAULT_OPT_IN_KEYWORDS, ...(extra.optInKeywords ?? [])]).filter((word) => !optOut.has(word)));
  return { optOut, optIn };
}

/** sha256 (hex) of the raw body: the same delivery, retried, is one event. */
export function deliveryIdOf(body: Buffer): string {
  return createHash("sha256").update(body).digest("hex");
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, key: string): Json | undefined {
  if (!isObject(value)) return undefined;
  const found = value[key];
  return isObject(found) ? found : undefined;
}

function stringAt(value: unknown, key: string): string | null {
  if (!isObject(value)) return null;
  const found = value[key];
  return typeof found === "string" && found !== "" ? found : null;
}

/**
 * The longest message id, token, campaign or customer id kept: they are indexed, and PostgreSQL
 * refuses an index entry past about 2.7 kB, which would answer a signed body 503 for ever. A
 * longer one is left out (the raw body still holds it); real ones are tens of characters.
 */
export const MAX_ID_LENGTH = 512;

/** A string field that is an id of some kind: null when absent, empty, or longer than an id can be. */
function idAt(value: unknown, key: string): string | null {
  const found = stringAt(value, key);
  return found !== null && found.length <= MAX_ID_LENGTH ? found : null;
}

/**
 * A customer's number in E.164 when it is one (`15551234567` and `+1 555-123-4567` both become
 * `+15551234567`, the form audiences and suppressions use); anything else (a BSUID) as sent.
 */
export function customerNumber(party: unknown): string | null {
  // With BSUIDs enabled `phoneNumber` is the number and `id` may be the BSUID.
  const raw = idAt(party, "phoneNumber") ?? idAt(party, "id");
  if (raw === null) return null;
  const compact = raw.replace(/[\s().-]/g, "");
  return /^\+?[1-9]\d{6,14}$/.test(compact) ? `+${compact.replace(/^\+/, "")}` : raw;
}

/** A webhook timestamp (unix seconds as a string or number, milliseconds, or ISO text) in ISO 8601 UTC. */
export function timestampOf(value: unknown): string | null {
  let ms: number;
  if (typeof value === "number" || (typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const n = Number(value);
    // Seconds until the year 5138; anything larger is milliseconds.
    ms = n >= 1e11 ? n : n * 1000;
  } else if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    // Without a zone Date.parse takes local time: the receiver's own zone would shift it.
    ms = Date.parse(/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value.trim()) ? value : `${value.trim()}Z`);
  } else {
    return null;
  }
  if (!Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** `callbackData` as an object, whether it came as one or as the JSON text of one. */
function callbackObject(value: unknown): Json | undefined {
  if (isObject(value)) return value;
  if (typeof value !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Both documented places, in either spelling. */
function campaignOf(body: Json, statusUpdate: Json | undefined): string | null {
  for (const metadata of [objectAt(body, "metadata"), objectAt(statusUpdate, "metadata")]) {
    const name = idAt(metadata, "campaign_name") ?? idAt(metadata, "campaignName");
    if (name !== null) return name;
  }
  return null;
}

/** The topic a body names, or the one its shape shows (an inbound message carries no `topic`). */
function topicOf(body: Json): string {
  const named = stringAt(body, "topic");
  if (named !== null) return named;
  if (isObject(body["statusUpdate"])) return "delivery_status";
  if (isObject(body["message"]) && isObject(body["sender"])) return "messages";
  return "unknown";
}

function emptyEvent(body: Buffer, receivedAt: string): EventRecord {
  return {
    topic: "unknown",
    deliveryId: deliveryIdOf(body),
    messageId: null,
    status: null,
    errorCode: null,
    errorMessage: null,
    customer: null,
    campaign: null,
    token: null,
    occurredAt: null,
    receivedAt,
    raw: isUtf8(body) ? body.toString("utf8") : `base64:${body.toString("base64")}`,
  };
}

/** Parses a body whose signature was already checked. Never throws. */
export function parseWebhook(body: Buffer, receivedAt: string, keywords: OptOutKeywords): ParsedWebhook {
  const event = emptyEvent(body, receivedAt);
  if (event.raw.startsWith("base64:")) return { event, effects: {} };
  let json: unknown;
  try {
    json = JSON.parse(event.raw);
  } catch {
    return { event, effects: {} };
  }
  if (!isObject(json)) return { event, effects: {} };
  event.topic = topicOf(json);
  event.occurredAt = timestampOf(json["timestamp"]);
  if (event.topic === "delivery_status") return { event, effects: readDeliveryStatus(json, event) };
  if (event.topic === "messages") return { event, effects: readInbound(json, event, keywords) };
  return { event, effects: {} };
}

/**
 * When an effect happened: the webhook's own time, but never after it was received. A sender's
 * clock far ahead would otherwise hold the 24-hour window open for good (an earlier time never
 * replaces a later one) and put a STOP beyond the reach of every later START.
 */
function effectTime(event: EventRecord): string {
  const { occurredAt, receivedAt } = event;
  return occurredAt !== null && Date.parse(occurredAt) < Date.parse(receivedAt) ? occurredAt : receivedAt;
}

function readDeliveryStatus(body: Json, event: EventRecord): EventEffects {
  const statusUpdate = objectAt(body, "statusUpdate");
  const status = stringAt(statusUpdate, "status");
  const error = objectAt(statusUpdate, "error");
  event.messageId = idAt(statusUpdate, "id");
  event.status = status !== null && STATUSES.has(status) ? (status as DeliveryStatus) : null;
  event.errorCode = idAt(error, "code");
  event.errorMessage = stringAt(error, "message");
  event.customer = customerNumber(body["recipient"]);
  event.campaign = campaignOf(body, statusUpdate);
  event.token = idAt(callbackObject(body["callbackData"]), TRACKING_FIELD);
  if (event.errorCode === OPTED_OUT_CODE && event.customer !== null) {
    return { suppress: { number: event.customer, reason: "error", at: effectTime(event), source: OPTED_OUT_CODE } };
  }
  return {};
}

function readInbound(body: Json, event: EventRecord, keywords: OptOutKeywords): EventEffects {
  event.customer = customerNumber(body["sender"]);
  if (event.customer === null) return {};
  const at = effectTime(event);
  const effects: EventEffects = { inbound: { number: event.customer, at } };
  const text = stringAt(objectAt(body, "message"), "text");
  const word = text === null ? "" : foldKeyword(text);
  if (keywords.optOut.has(word)) effects.suppress = { number: event.customer, reason: "keyword", at, source: word };
  else if (keywords.optIn.has(word)) effects.unsuppress = { number: event.customer, at };
  return effects;
}
