/**
 * SMS segments and encoding of a rendered text, as carriers bill it. The reference is
 * `sms-segments-calculator` (it packs by grapheme); it is slow (about a millisecond a message),
 * so the common texts are answered here on a fast path that a property test proves equal to it,
 * and only the rest go to the library.
 */
import { SegmentedMessage } from "sms-segments-calculator";

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SegmentCount {
  segments: number;
  encoding: SmsEncoding;
  /** Septets in GSM-7 (an extended character counts two), graphemes in UCS-2: as the library counts. */
  characters: number;
}

/** GSM 03.38's basic table: one septet each. The same set as the reference library. */
const GSM_BASIC = "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz¡£¤¥§¿ÄÅÆÉÑÖØÜßàäåæÇèéìñòöøùüΓΔΘΛΞΠΣΦΨΩ";
/** The extension table: an escape and a septet, never split across segments. */
const GSM_EXTENDED = "\f[\\]^{|}~€";

/** Septets per UTF-16 code unit below 0x2100: 1 basic, 2 extended, 0 not in GSM-7. */
const SEPTETS = new Uint8Array(0x2100);
for (const c of GSM_BASIC) SEPTETS[c.charCodeAt(0)] = 1;
for (const c of GSM_EXTENDED) SEPTETS[c.charCodeAt(0)] = 2;

/**
 * BMP code units that may join the next or the previous one into a grapheme (marks, joiners,
 * variation selectors, Hangul jamo and syllables, prepended and spacing marks), and lone
 * surrogates: texts with one go to the library, which knows the grapheme rules.
 */
const MAY_JOIN = /[\p{M}\p{Cf}\p{Cn}\p{Co}\u1100-\u11FF\uA960-\uA97F\uAC00-\uDFFF\u0E33\u0EB3\uFF9E\uFF9F]/u;

/**
 * An astral code point that is a grapheme of its own: the emoji and symbol blocks, less the
 * regional indicators (they pair into flags) and the skin-tone modifiers (they join the emoji
 * before them). Anything else astral goes to the library.
 */
function isLoneAstral(cp: number): boolean {
  return cp >= 0x1f000 && cp <= 0x1faff && !(cp >= 0x1f1e6 && cp <= 0x1f1ff) && !(cp >= 0x1f3fb && cp <= 0x1f3ff);
}

const GSM_SINGLE = 160;
const GSM_PART = 153;
const UCS2_SINGLE = 70;
const UCS2_PART = 67;

export function isGsm7Char(code: number): boolean {
  return code < 0x2100 && (SEPTETS[code] as number) > 0;
}

/**
 * Past this many code units a text is more than 10 segments in any encoding (the most
 * `maxSegments` allows), and the library, whose time grows with the square of the length, is not
 * asked: such a text is counted by code point instead (exact but for a grapheme of several code
 * points at a boundary).
 */
const LIBRARY_MAX_UNITS = 1600;

/** Segments and encoding of `text`, equal to the reference library's answer up to 1,600 code units. */
export function countSegments(text: string): SegmentCount {
  return countFast(text) ?? (text.length > LIBRARY_MAX_UNITS ? countByCodePoint(text) : countWithLibrary(text));
}

/** UCS-2 packed by code point: a pair is never split. */
function countByCodePoint(text: string): SegmentCount {
  let segments = 1;
  let used = 0;
  let characters = 0;
  for (const char of text) {
    characters++;
    const size = char.length;
    if (used + size > UCS2_PART) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return { segments: text.length <= UCS2_SINGLE ? 1 : segments, encoding: "UCS-2", characters };
}

/** The reference, for the hard cases and for the property test. */
export function countWithLibrary(text: string): SegmentCount {
  const message = new SegmentedMessage(text);
  return { segments: message.segmentsCount, encoding: message.encodingName, characters: message.numberOfCharacters };
}

/** Undefined when the text needs the library. */
export function countFast(text: string): SegmentCount | undefined {
  let septets = 0;
  let extended = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    const size = code < 0x2100 ? (SEPTETS[code] as number) : 0;
    if (size === 0) return countUcs2(text);
    if (size === 2) extended = true;
    septets += size;
  }
  if (septets <= GSM_SINGLE) return { segments: 1, encoding: "GSM-7", characters: septets };
  if (!extended) return { segments: Math.ceil(septets / GSM_PART), encoding: "GSM-7", characters: septets };
  // An extended character is never split: pack greedily, as the library does once headers are in.
  let segments = 1;
  let used = 0;
  for (let i = 0; i < length; i++) {
    const size = SEPTETS[text.charCodeAt(i)] as number;
    if (used + size > GSM_PART) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return { segments, encoding: "GSM-7", characters: septets };
}

function countUcs2(text: string): SegmentCount | undefined {
  const units = text.length;
  let pairs = 0;
  for (let i = 0; i < units; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdbff) continue;
    const cp = text.codePointAt(i) as number;
    if (cp <= 0xffff || !isLoneAstral(cp)) return undefined;
    pairs++;
    i++;
  }
  // The pairs were checked above; what is left must not join (MAY_JOIN sees pairs as one code
  // point, outside its class, and a lone surrogate inside it).
  if (MAY_JOIN.test(text)) return undefined;
  const characters = units - pairs;
  // Whatever the graphemes, a text that fits one segment's 140 bytes is one segment.
  if (units <= UCS2_SINGLE) return { segments: 1, encoding: "UCS-2", characters };
  if (pairs === 0) return { segments: Math.ceil(units / UCS2_PART), encoding: "UCS-2", characters };
  // A pair is never split: pack greedily.
  let segments = 1;
  let used = 0;
  for (let i = 0; i < units; i++) {
    const code = text.charCodeAt(i);
    const size = code >= 0xd800 && code <= 0xdbff ? 2 : 1;
    if (used + size > UCS2_PART) {
      segments++;
      used = 0;
    }
    used += size;
    i += size - 1;
  }
  return { segments, encoding: "UCS-2", characters };
}

/** The GSM-7 look-alikes that switch a text to UCS-2 for nothing a reader would notice. */
export const GSM_LOOKALIKES: Readonly<Record<string, string>> = {
  "\u2019": "'",
  "\u2018": "'",
  "\u201C": '"',
  "\u201D": '"',
  "\u2013": "-",
  "\u2014": "-",
  "\u2026": "...",
  "\u00A0": " ",
};

/** The characters (with their UTF-16 index) that keep `text` out of GSM-7. */
export function nonGsmCharacters(text: string): Array<{ char: string; index: number }> {
  const found: Array<{ char: string; index: number }> = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isGsm7Char(code)) continue;
    const wide = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length;
    found.push({ char: wide ? text.slice(i, i + 2) : text[i] as string, index: i });
    if (wide) i++;
  }
  return found;
}

/**
 * When every character outside GSM-7 has a look-alike in it: those characters and the segments
 * the text would take with the look-alikes in their place. Undefined otherwise.
 */
export function lookalikesOnly(text: string): { chars: Array<{ char: string; index: number }>; gsmSegments: number } | undefined {
  const chars = nonGsmCharacters(text);
  if (chars.length === 0 || chars.some((c) => GSM_LOOKALIKES[c.char] === undefined)) return undefined;
  let replaced = "";
  for (const c of text) replaced += GSM_LOOKALIKES[c] ?? c;
  return { chars, gsmSegments: countSegments(replaced).segments };
}
