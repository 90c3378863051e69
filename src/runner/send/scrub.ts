/**
 * Keeping the API key out of what a person or a program reads. Two lines of defence:
 *
 * 1. Everything read from the server (an answer's code, id, message) is scrubbed of the key
 *    when it is read, whatever the key's length (`readAnswerBody` in src/connectly/answer.ts), before it is
 *    journaled, reported or counted. That text is not ours, so replacing in it mangles nothing.
 * 2. What is printed (text, and JSON value by value before it is serialized, so that escaping
 *    cannot hide the key) is scrubbed again, but only of keys of at least
 *    OUTPUT_SCRUB_MIN_LENGTH characters: a short key such as the sandbox's default `sandbox`
 *    would otherwise be cut out of msgc's own text (`/tmp/msgc-sandbox-journal-…`). msgc never
 *    puts the key in its own text, so (1) is what keeps a short key out.
 */
import { maskNumbersIn } from "../../mask.js";

export const OUTPUT_SCRUB_MIN_LENGTH = 12;

/** Text about to be printed: long secrets removed, numbers masked unless shown. */
export function scrubOutput(text: string, secrets: ReadonlyArray<string | undefined>, showNumbers: boolean): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= OUTPUT_SCRUB_MIN_LENGTH) out = out.split(secret).join("[redacted]");
  }
  if (!showNumbers) out = maskNumbersIn(out);
  return out;
}

/** A JSON-able value with scrubOutput applied to every string in it, object keys included. */
export function scrubValue<T>(value: T, secrets: ReadonlyArray<string | undefined>, showNumbers: boolean): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrubOutput(v, secrets, showNumbers);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [scrubOutput(k, secrets, showNumbers), walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
