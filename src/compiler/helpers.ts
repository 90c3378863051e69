/**
 * The helper set of msgc templates. Helpers take their locale from the render data (the
 * recipient's locale), so the same compiled template formats differently per recipient.
 */

/** Thrown by a helper when a value cannot be formatted; becomes a `var-invalid` diagnostic. */
export class HelperError extends Error {
  override name = "HelperError";
}

interface HelperOptions {
  data?: { locale?: string };
}

/** name -> [min, max] positional arguments (the trailing Handlebars options object excluded). */
export const HELPER_ARITY: Readonly<Record<string, readonly [number, number]>> = {
  default: [2, 2],
  upper: [1, 1],
  lower: [1, 1],
  truncate: [2, 2],
  number: [1, 2],
  currency: [2, 2],
  date: [1, 2],
};

/** Block helpers kept from Handlebars' built-ins; everything else is unregistered. */
export const BLOCK_HELPERS = ["if", "unless"] as const;

export const HELPER_NAMES = Object.keys(HELPER_ARITY);

/** Names a var may not take: they would be read as a helper or a literal by Handlebars. */
export const RESERVED_NAMES = new Set([
  ...HELPER_NAMES,
  ...BLOCK_HELPERS,
  "else",
  "this",
  "true",
  "false",
  "null",
  "undefined",
  "prototype",
  // Inherited by every object: a var of that name would read the inherited member when absent.
  ...Object.getOwnPropertyNames(Object.prototype),
]);

const DATE_STYLES = new Set(["short", "medium", "long", "full"]);

/** `es_MX` -> `es-MX` for Intl; an unusable tag falls back to `en`. */
export function intlLocale(locale: string | undefined): string {
  if (!locale) return "en";
  const tag = locale.replace(/_/g, "-");
  return intlTagCache.get(tag) ?? checkIntlTag(tag);
}

const intlTagCache = new Map<string, string>();
function checkIntlTag(tag: string): string {
  let resolved = "en";
  try {
    resolved = Intl.getCanonicalLocales(tag)[0] ?? "en";
  } catch {
    resolved = "en";
  }
  intlTagCache.set(tag, resolved);
  return resolved;
}

// Intl formatters cost tens of microseconds to build, so one per (locale, options) is kept.
const formatterCache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function numberFormat(locale: string, key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const cacheKey = `n|${locale}|${key}`;
  let formatter = formatterCache.get(cacheKey) as Intl.NumberFormat | undefined;
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, options);
    formatterCache.set(cacheKey, formatter);
  }
  return formatter;
}

function dateFormat(locale: string, style: string): Intl.DateTimeFormat {
  const cacheKey = `d|${locale}|${style}`;
  let formatter = formatterCache.get(cacheKey) as Intl.DateTimeFormat | undefined;
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, {
      dateStyle: style as Intl.DateTimeFormatOptions["dateStyle"],
      timeZone: "UTC",
    });
    formatterCache.set(cacheKey, formatter);
  }
  return formatter;
}

function localeOf(options: unknown): string {
  return intlLocale((options as HelperOptions | undefined)?.data?.locale);
}

function toNumber(value: unknown, helper: string): number {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new HelperError(`${helper}: ${JSON.stringify(value)} is not a number`);
  return n;
}

/**
 * ISO 8601 only: `Date.parse` reads other shapes (and date-times without an offset) in the
 * machine's time zone, which would make compiled output depend on where it was built. A date or
 * a date-time without an offset is read as UTC, the zone every date is formatted in.
 */
const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function toDate(value: unknown): Date {
  const match = typeof value === "string" ? ISO_DATE.exec(value) : null;
  if (match) {
    const [, day, time, zone] = match;
    const ms = Date.parse(`${day}${time ?? "T00:00:00"}${zone ?? "Z"}`);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new HelperError(`date: ${JSON.stringify(value)} is not a date (expected YYYY-MM-DD or an ISO 8601 date-time)`);
}

function codePoints(s: string): string[] {
  return Array.from(s);
}

export const HELPERS: Record<string, (...args: unknown[]) => unknown> = {
  default(value: unknown, fallback: unknown): unknown {
    return value === undefined || value === null || value === "" ? fallback : value;
  },
  upper(value: unknown, options: unknown): string {
    return String(value).toLocaleUpperCase(localeOf(options));
  },
  lower(value: unknown, options: unknown): string {
    return String(value).toLocaleLowerCase(localeOf(options));
  },
  truncate(value: unknown, length: unknown): string {
    const text = String(value);
    const max = typeof length === "number" ? length : Number(length);
    if (!Number.isInteger(max) || max < 1) throw new HelperError(`truncate: length ${JSON.stringify(length)} is not a positive integer`);
    if (text.length <= max) return text;
    const chars = codePoints(text);
    if (chars.length <= max) return text;
    return chars.slice(0, max - 1).join("") + "…";
  },
  number(value: unknown, ...rest: unknown[]): string {
    const options = rest[rest.length - 1];
    const digits = rest.length > 1 ? rest[0] : undefined;
    const n = toNumber(value, "number");
    if (digits === undefined) return numberFormat(localeOf(options), "", {}).format(n);
    const d = Number(digits);
    if (!Number.isInteger(d) || d < 0 || d > 20) throw new HelperError(`number: ${JSON.stringify(digits)} is not a number of decimals (0 to 20)`);
    return numberFormat(localeOf(options), String(d), { minimumFractionDigits: d, maximumFractionDigits: d }).format(n);
  },
  currency(value: unknown, code: unknown, options: unknown): string {
    const n = toNumber(value, "currency");
    if (typeof code !== "string" || !/^[A-Za-z]{3}$/.test(code)) throw new HelperError(`currency: ${JSON.stringify(code)} is not a 3-letter currency code`);
    const upper = code.toUpperCase();
    return numberFormat(localeOf(options), upper, { style: "currency", currency: upper }).format(n);
  },
  date(value: unknown, ...rest: unknown[]): string {
    const options = rest[rest.length - 1];
    const style = rest.length > 1 ? rest[0] : "medium";
    if (typeof style !== "string" || !DATE_STYLES.has(style)) throw new HelperError(`date: style ${JSON.stringify(style)} is not one of short, medium, long, full`);
    return dateFormat(localeOf(options), style).format(toDate(value));
  },
};
