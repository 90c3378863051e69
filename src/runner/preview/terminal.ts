import { visibleControls } from "./escape.js";

/**
 * Terminal text helpers: display width, safe text (no escape sequences from user text), wrapping
 * of styled spans and ANSI styling. Colour is decided once by the caller and passed in.
 */

export interface Styled {
  text: string;
  bold?: boolean;
  italic?: boolean;
  strike?: boolean;
  mono?: boolean;
  dim?: boolean;
  color?: "green" | "red" | "cyan" | "yellow" | "blue";
}

export type StyledLine = Styled[];

/** User text must not drive the terminal; tabs become spaces so widths stay right. */
export function safeTerminalText(text: string): string {
  return visibleControls(text.replace(/\t/g, "    "));
}

const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200b-\u200d\u2060\ufe00-\ufe0f]/u;
const WIDE = /[\p{Extended_Pictographic}\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;

/** Columns a string takes in a monospace terminal (emoji and CJK count two). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    if (ZERO_WIDTH.test(ch)) continue;
    width += WIDE.test(ch) && (ch.codePointAt(0) ?? 0) > 0xff ? 2 : 1;
  }
  return width;
}

function lineWidth(line: StyledLine): number {
  return line.reduce((n, s) => n + displayWidth(s.text), 0);
}

function sliceToWidth(text: string, width: number): [string, string] {
  let used = 0;
  let i = 0;
  for (const ch of text) {
    const w = displayWidth(ch);
    if (used + w > width && used > 0) break;
    used += w;
    i += ch.length;
  }
  return [text.slice(0, i), text.slice(i)];
}

/** Word-wraps styled text to `width` columns; `\n` always breaks; long words are split. */
export function wrapStyled(spans: readonly Styled[], width: number): StyledLine[] {
  const lines: StyledLine[] = [[]];
  const current = (): StyledLine => lines[lines.length - 1] as StyledLine;
  const append = (piece: string, style: Styled): void => {
    const line = current();
    const last = line[line.length - 1];
    if (last && sameLook(last, style)) last.text += piece;
    else line.push({ ...style, text: piece });
  };
  for (const span of spans) {
    const parts = span.text.split("\n");
    parts.forEach((part, index) => {
      if (index > 0) lines.push([]);
      for (const token of part.split(/(\s+)/)) {
        if (token === "") continue;
        let rest = token;
        while (rest !== "") {
          const room = width - lineWidth(current());
          const w = displayWidth(rest);
          if (w <= room) {
            append(rest, span);
            break;
          }
          if (/^\s+$/.test(rest)) {
            lines.push([]);
            break;
          }
          if (lineWidth(current()) > 0 && w <= width) {
            trimTrailingSpace(current());
            lines.push([]);
            continue;
          }
          const [head, tail] = sliceToWidth(rest, room > 0 ? room : width);
          append(head, span);
          rest = tail;
          if (rest !== "") lines.push([]);
        }
      }
    });
  }
  return lines;
}

function trimTrailingSpace(line: StyledLine): void {
  const last = line[line.length - 1];
  if (last) last.text = last.text.replace(/\s+$/, "");
}

function sameLook(a: Styled, b: Styled): boolean {
  return a.bold === b.bold && a.italic === b.italic && a.strike === b.strike && a.mono === b.mono &&
    a.dim === b.dim && a.color === b.color;
}

const COLOR_CODES: Record<NonNullable<Styled["color"]>, number> = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36 };

export function paint(span: Styled, color: boolean): string {
  if (!color) return span.text;
  const codes: number[] = [];
  if (span.bold) codes.push(1);
  if (span.dim) codes.push(2);
  if (span.italic) codes.push(3);
  if (span.strike) codes.push(9);
  if (span.color) codes.push(COLOR_CODES[span.color]);
  else if (span.mono) codes.push(36);
  if (codes.length === 0) return span.text;
  return `\u001b[${codes.join(";")}m${span.text}\u001b[0m`;
}

export function paintLine(line: StyledLine, color: boolean): string {
  return line.map((s) => paint(s, color)).join("");
}

export function padLine(line: StyledLine, width: number): StyledLine {
  const gap = width - lineWidth(line);
  return gap > 0 ? [...line, { text: " ".repeat(gap) }] : line;
}
