/**
 * Reading what Connectly answered: bounded, with the key cut out, before anything stores or
 * prints it. Send and the template commands read answers the same way.
 */

/**
 * Connectly's code when the customer opted out: a send's answer and a webhook's delivery failure
 * both put the number on the suppression list with it as the source.
 */
export const OPTED_OUT_CODE = "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT";

/** What is kept of an answer's body: a real one is a few hundred bytes; the rest is not read. */
export const MAX_ANSWER_BYTES = 64 * 1024;
/** What is stored of an answer's `id`, `code` and `message` (journal, report, summary). */
export const MAX_STORED_ID = 128;
export const MAX_STORED_CODE = 128;
export const MAX_STORED_MESSAGE = 512;

export interface AnswerBody {
  id: string | null;
  code: string | null;
  type: string | null;
  /** The API's human-readable `message` of an error body. */
  message: string | null;
}

/**
 * The `id` of a success body, or the `code`, `type` and `message` of an error body; null when the
 * body says neither. Every value is untrusted: the secrets are cut out of it (a server or proxy
 * that echoes the key would otherwise put it in the journal and the report), control characters
 * are replaced (they would reach a terminal) and its length is bounded.
 */
export function readAnswerBody(body: string, secrets: ReadonlyArray<string | undefined> = []): AnswerBody {
  let parsed: { id?: unknown; code?: unknown; type?: unknown; message?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { id: null, code: null, type: null, message: null };
  }
  const text = (value: unknown, max: number): string | null => (typeof value === "string" ? sanitizeAnswerText(value, secrets, max) : null);
  return {
    id: text(parsed?.id, MAX_STORED_ID),
    code: text(parsed?.code, MAX_STORED_CODE) ?? text(parsed?.error?.code, MAX_STORED_CODE),
    type: text(parsed?.type, MAX_STORED_CODE),
    message: text(parsed?.message, MAX_STORED_MESSAGE) ?? text(parsed?.error?.message, MAX_STORED_MESSAGE),
  };
}

/**
 * Text that came from the server, made fit to store and print: every secret replaced by
 * `[redacted]` (whatever its length: this text is not ours, so nothing of ours is mangled),
 * control characters by `?`, and cut to `max` characters with an ellipsis.
 */
export function sanitizeAnswerText(text: string, secrets: ReadonlyArray<string | undefined>, max: number): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    // As sent, and as a server would quote it in a URL or a form (`"` as %22).
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join("[redacted]");
  }
  out = out.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
  if (out.length <= max) return out;
  // Never cut a character in half (a lone surrogate).
  const end = /[\ud800-\udbff]/.test(out[max - 2] ?? "") ? max - 2 : max - 1;
  return `${out.slice(0, end)}…`;
}
