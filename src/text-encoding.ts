/**
 * Finding bytes that are not UTF-8, and guessing what they are, for spec files (src/project) and
 * audience files (src/runner) alike.
 */
import type { Diagnostic } from "./diagnostics.js";

/** What bytes that are not UTF-8 most likely are, for the message. */
export function likelyEncoding(data: Uint8Array): string {
  // Text in UTF-16 without a byte order mark is half NUL bytes.
  let nuls = 0;
  const sample = Math.min(data.length, 4096);
  for (let i = 0; i < sample; i++) if (data[i] === 0) nuls++;
  if (nuls * 4 > sample) return "UTF-16 without a byte order mark";
  return "windows-1252 (Excel on Windows)";
}

/** The first byte of `data` that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(data: Uint8Array): number {
  let i = 0;
  while (i < data.length) {
    const b = data[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min = 0x80;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) min = 0xa0;
      if (b === 0xed) max = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) min = 0x90;
      if (b === 0xf4) max = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = data[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < min || c > max : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return data.length;
}


/** Where the first byte that is not UTF-8 is: 0-based line, and column in characters before it. */
export function notUtf8Position(data: Buffer): { line: number; column: number; byte: number } | undefined {
  const bad = firstInvalidUtf8(data);
  if (bad === data.length) return undefined;
  let line = 0;
  let lineStart = 0;
  for (let at = data.indexOf(0x0a); at !== -1 && at < bad; at = data.indexOf(0x0a, at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return { line, column: data.toString("utf8", lineStart, bad).length, byte: data[bad]! };
}

/** A spec or config file that is not UTF-8 (saved by an editor in windows-1252, say), at its first bad byte. */
export function notUtf8Diagnostic(bytes: Buffer, file: string): Diagnostic {
  const at = notUtf8Position(bytes)!;
  const position = { line: at.line, column: at.column };
  const byte = `0x${at.byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return {
    code: "encoding-invalid",
    severity: "error",
    message: `The file is not UTF-8 (byte ${byte}); it looks like ${likelyEncoding(bytes)}`,
    file,
    path: [],
    range: { start: position, end: position },
    hint: "Save it as UTF-8",
  };
}
