/**
 * Recipients' numbers: validated against the numbering plan (libphonenumber's full "max"
 * metadata, not just a length check) and normalized to E.164.
 *
 * libphonenumber-js builds a new RegExp for every pattern it tests, which costs about 12 µs per
 * number: too slow for a million-row audience. Numbers written in international form take a fast
 * path that runs the same validity rules (see `isValidNational`) with regexes compiled once,
 * national prefix included (`+44 (0)7400 000016`, see `withoutNationalPrefix`);
 * anything unusual, and every number the fast path rejects, goes through the library itself, so
 * that a rejection always carries the library's verdict.
 */
import { Metadata, parsePhoneNumberFromString, type MetadataJson } from "libphonenumber-js/core";
import metadataJson from "libphonenumber-js/metadata.max.json";
// Pure and import-free: the number a problem quotes is masked, since the problem is printed in
// CI logs and pull-request annotations.
import { maskWrittenNumber } from "../mask.js";

const METADATA: MetadataJson = metadataJson;

/** Formatting people write around digits: spaces, dashes, dots, slashes and parentheses. */
const FORMATTING = /[\s\u00a0\u2000-\u200b\u2010-\u2015\-./()]/g;
const HAS_FORMATTING = /[\s\u00a0\u2000-\u200b\u2010-\u2015\-./()]/;
const INTERNATIONAL = /^\+[1-9]\d{2,16}$/;

const NON_FIXED_LINE_TYPES = ["MOBILE", "PREMIUM_RATE", "TOLL_FREE", "SHARED_COST", "VOIP", "PERSONAL_NUMBER", "PAGER", "UAN", "VOICEMAIL"];

interface TypeRule {
  pattern: RegExp;
  lengths: readonly number[] | undefined;
}

interface Plan {
  nationalNumber: RegExp;
  /** The plan's possible lengths of a national number, when it has them. */
  possibleLengths: readonly number[] | undefined;
  leadingDigits: RegExp | undefined;
  fixedLine: TypeRule | undefined;
  /** MOBILE exists with a pattern: a fixed-line match then does not need a mobile check. */
  others: TypeRule[];
}

interface CallingCode {
  /** The main plan's national prefix for parsing: numbers it would strip take the slow path. */
  prefixForParsing: RegExp | undefined;
  plans: Plan[];
}

const metadata = new Metadata(METADATA) as unknown as {
  selectNumberingPlan(code: string): void;
  hasCallingCode(code: string): boolean;
  isNonGeographicCallingCode(code: string): boolean;
  getCountryCodesForCallingCode(code: string): string[] | undefined;
  numberingPlan: {
    nationalNumberPattern(): string;
    leadingDigits(): string | undefined;
    nationalPrefixForParsing(): string | undefined;
    possibleLengths(): number[] | undefined;
    type(type: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
  };
};

const callingCodes = new Map<string, CallingCode | null>();

function entire(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function typeRule(type: string): TypeRule | undefined {
  const definition = metadata.numberingPlan.type(type);
  const pattern = definition?.pattern();
  if (!definition || !pattern) return undefined;
  return { pattern: entire(pattern), lengths: definition.possibleLengths() };
}

function planFor(selector: string): Plan {
  metadata.selectNumberingPlan(selector);
  const plan = metadata.numberingPlan;
  const leading = plan.leadingDigits();
  return {
    nationalNumber: entire(plan.nationalNumberPattern()),
    possibleLengths: plan.possibleLengths(),
    leadingDigits: leading ? new RegExp(`^(?:${leading})`) : undefined,
    fixedLine: typeRule("FIXED_LINE"),
    others: NON_FIXED_LINE_TYPES.map(typeRule).filter((rule): rule is TypeRule => rule !== undefined),
  };
}

function callingCode(code: string): CallingCode | null {
  let entry = callingCodes.get(code);
  if (entry !== undefined) return entry;
  entry = null;
  if (metadata.hasCallingCode(code)) {
    const countries = metadata.isNonGeographicCallingCode(code) ? [code] : (metadata.getCountryCodesForCallingCode(code) ?? []);
    metadata.selectNumberingPlan(code);
    const prefix = metadata.numberingPlan.nationalPrefixForParsing();
    entry = {
      prefixForParsing: prefix ? new RegExp(`^(?:${prefix})`) : undefined,
      plans: countries.map(planFor),
    };
  }
  callingCodes.set(code, entry);
  return entry;
}

function matchesType(rule: TypeRule | undefined, national: string): boolean {
  if (!rule) return false;
  if (rule.lengths && !rule.lengths.includes(national.length)) return false;
  return rule.pattern.test(national);
}

/** libphonenumber's getNumberType() !== undefined, for one plan. */
function hasType(plan: Plan, national: string): boolean {
  if (!plan.nationalNumber.test(national)) return false;
  if (matchesType(plan.fixedLine, national)) return true;
  return plan.others.some((rule) => matchesType(rule, national));
}

/**
 * Valid for the calling code: the country is chosen the way libphonenumber does (leading digits,
 * else the first plan the number has a type in, else the calling code's main plan).
 */
function isValidNational(entry: CallingCode, national: string): boolean {
  const plans = entry.plans;
  if (plans.length === 1) return hasType(plans[0] as Plan, national);
  for (const plan of plans) {
    if (plan.leadingDigits) {
      if (plan.leadingDigits.test(national)) return hasType(plan, national);
    } else if (hasType(plan, national)) return true;
  }
  return hasType(plans[0] as Plan, national);
}

/** `e164` when the fast path finds it valid; undefined when it cannot decide (the slow path then does). */
function fastValid(e164: string): string | undefined {
  for (let length = 1; length <= 3; length++) {
    const entry = callingCode(e164.slice(1, 1 + length));
    if (entry === null) continue;
    let national = e164.slice(1 + length);
    const prefix = entry.prefixForParsing?.exec(national);
    if (prefix && (prefix[0] !== "" || prefix.length > 1)) {
      national = withoutNationalPrefix(entry, national, prefix);
      if (national === "") return undefined;
    }
    return national.length >= 2 && national.length <= 17 && isValidNational(entry, national) ? `+${e164.slice(1, 1 + length)}${national}` : undefined;
  }
  return undefined;
}

/**
 * `national` without the national prefix written after the country code (`+44 (0)7400 000016`),
 * as libphonenumber strips it (its extractNationalNumber); "" when that takes more than a plain
 * prefix (a carrier code, a transform rule) or may keep the prefix: the slow path decides then.
 */
function withoutNationalPrefix(entry: CallingCode, national: string, prefix: RegExpExecArray): string {
  // A captured group means a carrier code or a transform rule.
  if (prefix[0] === "" || (prefix.length > 1 && prefix[prefix.length - 1])) return "";
  const stripped = national.slice(prefix[0].length);
  // libphonenumber keeps the prefix when only the number with it fits the main plan's pattern...
  const main = entry.plans[0];
  if (!main || (main.nationalNumber.test(national) && !main.nationalNumber.test(stripped))) return "";
  // ...or when the number without it has a length that the country it is then in does not have.
  // Whichever plan that is, a length that every plan allows passes.
  for (const plan of entry.plans) if (plan.possibleLengths && !plan.possibleLengths.includes(stripped.length)) return "";
  return stripped;
}

/**
 * A recipient's number in E.164, or why it is not one. Numbers must be written in international
 * form (with `+` and the country code): there is no default country.
 */
export function normalizePhone(raw: string): { number?: string; problem?: string } {
  const trimmed = raw.trim();
  if (trimmed === "") return { problem: "phone number is empty" };
  const number = fastPathNumber(trimmed);
  return number ? { number } : slowPath(trimmed);
}

/** The E.164 number when the fast path finds `text` (trimmed) valid; undefined when libphonenumber must decide. */
export function fastPathNumber(text: string): string | undefined {
  const compact = HAS_FORMATTING.test(text) ? text.replace(FORMATTING, "") : text;
  return INTERNATIONAL.test(compact) ? fastValid(compact) : undefined;
}

function slowPath(text: string): { number?: string; problem?: string } {
  const shown = JSON.stringify(maskWrittenNumber(text));
  if (!text.startsWith("+") && !text.startsWith("\uff0b")) {
    return { problem: `${shown} is not in international format: start it with + and the country code` };
  }
  const parsed = parsePhoneNumberFromString(text, METADATA);
  if (!parsed) return { problem: `${shown} is not a phone number` };
  if (!parsed.isValid()) return { problem: `${shown} is not a valid phone number for its country code` };
  return { number: parsed.number };
}
