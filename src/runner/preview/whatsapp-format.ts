/**
 * WhatsApp's inline formatting: `*bold*`, `_italic_`, `~strike~` and ```` ```mono``` ````.
 * The rules follow what the WhatsApp apps do, so a preview shows the text as a customer will:
 * a marker opens only at the start of a word (after start, whitespace or punctuation) and before
 * a non-space character, closes only after a non-space character and before the end of a word,
 * and never spans a line break. Monospace takes its content literally (no nested styles).
 */

export interface TextSpan {
  text: string;
  bold?: true;
  italic?: true;
  strike?: true;
  mono?: true;
}

type Style = "bold" | "italic" | "strike";

const MARKERS: Record<string, Style> = { "*": "bold", _: "italic", "~": "strike" };
const MONO_FENCE = "```";

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && /\s/u.test(ch);
}

function findClosing(text: string, marker: string, from: number, end: number): number {
  for (let j = from; j < end; j++) {
    const ch = text[j];
    if (ch === "\n") return -1;
    if (ch === marker && !isSpace(text[j - 1]) && !isWordChar(text[j + 1])) return j;
  }
  return -1;
}

function pushSpan(out: TextSpan[], text: string, styles: ReadonlySet<Style>, mono = false): void {
  if (text === "") return;
  const span: TextSpan = { text };
  if (styles.has("bold")) span.bold = true;
  if (styles.has("italic")) span.italic = true;
  if (styles.has("strike")) span.strike = true;
  if (mono) span.mono = true;
  const last = out[out.length - 1];
  if (last && sameStyle(last, span)) last.text += text;
  else out.push(span);
}

function sameStyle(a: TextSpan, b: TextSpan): boolean {
  return a.bold === b.bold && a.italic === b.italic && a.strike === b.strike && a.mono === b.mono;
}

function parseRange(text: string, start: number, end: number, styles: ReadonlySet<Style>, out: TextSpan[]): void {
  let literal = "";
  let i = start;
  const flush = (): void => {
    pushSpan(out, literal, styles);
    literal = "";
  };
  while (i < end) {
    if (text.startsWith(MONO_FENCE, i)) {
      const close = text.indexOf(MONO_FENCE, i + MONO_FENCE.length + 1);
      if (close !== -1 && close + MONO_FENCE.length <= end) {
        flush();
        pushSpan(out, text.slice(i + MONO_FENCE.length, close), styles, true);
        i = close + MONO_FENCE.length;
        continue;
      }
    }
    const ch = text[i] as string;
    const style = MARKERS[ch];
    const opens = style !== undefined && !styles.has(style) && !isWordChar(text[i - 1]) &&
      i + 1 < end && !isSpace(text[i + 1]) && text[i + 1] !== ch;
    if (opens) {
      const close = findClosing(text, ch, i + 2, end);
      if (close !== -1) {
        flush();
        parseRange(text, i + 1, close, new Set([...styles, style]), out);
        i = close + 1;
        continue;
      }
    }
    literal += ch;
    i++;
  }
  flush();
}

/** Splits message text into styled spans; the markers themselves are dropped. */
export function parseWhatsAppFormatting(text: string): TextSpan[] {
  const spans: TextSpan[] = [];
  parseRange(text, 0, text.length, new Set(), spans);
  return spans;
}
