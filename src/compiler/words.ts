/** Small text utilities for diagnostics: suggestions, quoting, character counts. */
import type { JsonPath } from "../diagnostics.js";

/**
 * Edit distance counting a swap of two neighbouring characters as one edit (optimal string
 * alignment): `nmae` is one typo away from `name`, as a person sees it, not two.
 */
export function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (beforePrevious[j - 2] as number) + 1);
      current[j] = best;
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/** The candidate closest to `word`, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

/**
 * Length in Unicode code points, which is how WhatsApp counts characters (an emoji outside the
 * BMP is one character, not two UTF-16 units).
 */
export function charCount(s: string): number {
  let count = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

const QUOTE_MAX = 40;

/** A value quoted for a message; long values are cut so that a diagnostic stays one line. */
export function quote(value: string): string {
  const oneLine = value.replace(/\r?\n|\r/g, "\\n").replace(/\t/g, "\\t");
  const chars = Array.from(oneLine);
  return `"${chars.length > QUOTE_MAX ? chars.slice(0, QUOTE_MAX - 1).join("") + "…" : oneLine}"`;
}

/** `session.buttons[0].text` */
export function formatPath(path: JsonPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}
