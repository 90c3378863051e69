/**
 * Connectly signs each webhook: `x-connectly-hmac-sha256` = base64(HMAC-SHA256(raw body,
 * webhook secret)). The check runs on the bytes as received, before any parsing.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-connectly-hmac-sha256";

/** The header value Connectly sends for `body` (the sandbox and the tests sign with it too). */
export function signWebhook(body: Buffer | string, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

/**
 * Whether `given` is the signature of `body`. Compared in constant time over the base64 text,
 * so that no other spelling of the same bytes passes; the length is public (it is always 44).
 */
export function signatureMatches(body: Buffer, secret: string, given: string | string[] | undefined): boolean {
  if (typeof given !== "string") return false;
  const expected = Buffer.from(signWebhook(body, secret), "latin1");
  const actual = Buffer.from(given.trim(), "latin1");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
