/**
 * What a preview leaves out: the markdown and HTML previews are read on their own (a pull-request
 * comment, an artifact), so they say themselves which files failed and why, as `msgc diff` does.
 */
import type { Diagnostic } from "../../diagnostics.js";
import { diagnosticLocation, isError } from "../../diagnostics.js";
import { maskNumbersIn } from "../../mask.js";

/** Error lines listed; the rest are counted. */
export const FAILURES_LISTED = 50;

export interface PreviewFailures {
  /** `2 errors in 1 file: what failed is not shown` */
  headline: string;
  /** `file:line:col code message`, numbers masked (the artifact is shared). */
  lines: string[];
  /** Errors beyond FAILURES_LISTED. */
  more: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function summarizeFailures(diagnostics: readonly Diagnostic[]): PreviewFailures | undefined {
  const errors = diagnostics.filter(isError);
  if (errors.length === 0) return undefined;
  const files = new Set(errors.map((d) => d.file)).size;
  return {
    headline: `${plural(errors.length, "error")} in ${plural(files, "file")}: what failed is not shown (run msgc validate for details)`,
    lines: errors.slice(0, FAILURES_LISTED).map((d) => maskNumbersIn(`${diagnosticLocation(d)} ${d.code} ${d.message.replace(/\r?\n|\r/g, " ")}`)),
    more: Math.max(0, errors.length - FAILURES_LISTED),
  };
}

/** The lines, and a last one for the errors not listed. */
export function failureLines(failures: PreviewFailures): string[] {
  return failures.more > 0 ? [...failures.lines, `… and ${plural(failures.more, "more error")}`] : failures.lines;
}
