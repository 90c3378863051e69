/**
 * What an audience file's bytes are, and the stream of them as UTF-8. Readers and workers see
 * UTF-8 only: a windows-1252 or latin1 file (`audience.encoding`) is decoded through iconv-lite,
 * a UTF-16 file (its byte order mark says so) too, and a UTF-8 file is checked as it streams,
 * so that bytes that are not UTF-8 stop the read at their row instead of reaching customers as
 * "Chlo\uFFFD".
 *
 * A byte order mark wins over `audience.encoding`: a file that says it is UTF-8 or UTF-16 is.
 */
import { isUtf8 } from "node:buffer";
import { createRequire } from "node:module";
import { firstInvalidUtf8, likelyEncoding } from "../text-encoding.js";

const NEWLINE = 0x0a;

type Iconv = typeof import("iconv-lite");
let iconvModule: Iconv | undefined;

/**
 * iconv-lite, loaded on first use: most audiences are UTF-8, and with its tables it would add a
 * third to the bundle every `msgc validate` loads (which is why it is required, not imported).
 */
function iconv(): Iconv {
  return (iconvModule ??= createRequire(import.meta.url)("iconv-lite") as Iconv);
}

/** `audience.encoding` values. */
export type AudienceEncoding = "utf-8" | "windows-1252" | "latin1";
/** What a file is decoded as: its setting, or what its byte order mark says. */
export type SourceEncoding = AudienceEncoding | "utf-16le" | "utf-16be";

/** Bytes needed to tell a byte order mark. */
export const BOM_BYTES = 3;

/** The encoding of a file that starts with `start` (its first bytes, at least `BOM_BYTES` when it has them). */
export function sourceEncoding(start: Uint8Array, configured: AudienceEncoding = "utf-8"): SourceEncoding {
  if (start.length >= 2 && start[0] === 0xff && start[1] === 0xfe) return "utf-16le";
  if (start.length >= 2 && start[0] === 0xfe && start[1] === 0xff) return "utf-16be";
  if (start.length >= 3 && start[0] === 0xef && start[1] === 0xbb && start[2] === 0xbf) return "utf-8";
  return configured;
}

/** Whether each byte of the encoding is one character (so line breaks, quotes and delimiters are where they are in UTF-8). */
export function isSingleByte(encoding: SourceEncoding): boolean {
  return encoding === "windows-1252" || encoding === "latin1";
}

/** Decodes bytes of a single-byte encoding (whole lines: it keeps no state). */
export function decodeSingleByte(bytes: Uint8Array, encoding: SourceEncoding): string {
  return iconv().decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding);
}

/** Bytes that are not UTF-8: where they are, and what the file probably is. */
export class NotUtf8Error extends Error {
  constructor(
    /** 1-based physical line, and character column in it (0: unknown). */
    readonly line: number,
    readonly column: number,
    /** The first byte that is not UTF-8. */
    readonly byte: number,
    readonly likely: string,
  ) {
    super(`not UTF-8 at line ${line}`);
    this.name = "NotUtf8Error";
  }
}

/** Where a trailing, possibly unfinished UTF-8 sequence starts (data.length when there is none). */
function unfinishedTail(data: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= data.length; back++) {
    const b = data[data.length - back]!;
    if (b < 0x80) return data.length;
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return length > back ? data.length - back : data.length;
    }
  }
  return data.length;
}

function countNewlines(data: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let at = data.indexOf(NEWLINE, from); at !== -1 && at < to; at = data.indexOf(NEWLINE, at + 1)) n++;
  return n;
}

/** The problem with `data` at `bad`, whose line started after `linesBefore` lines. */
function notUtf8At(data: Buffer, bad: number, linesBefore: number): { lineStart: number; error: NotUtf8Error } {
  // (lastIndexOf with a negative offset would count from the end)
  const lineStart = bad === 0 ? 0 : data.lastIndexOf(NEWLINE, bad - 1) + 1;
  const line = linesBefore + countNewlines(data, 0, lineStart) + 1;
  const column = data.toString("utf8", lineStart, bad).replace(/\r$/, "").length + 1;
  return { lineStart, error: new NotUtf8Error(line, column, data[bad]!, likelyEncoding(data)) };
}

/**
 * The file's bytes as UTF-8, checked or decoded. `atStart`: the stream starts at the beginning
 * of the file (a byte order mark may be there); `firstLine` is the number of its first line.
 * Invalid UTF-8 ends it with a NotUtf8Error, after every line before the bad one.
 */
export async function* utf8Stream(
  source: AsyncIterable<Buffer>,
  opts: { encoding: AudienceEncoding; atStart: boolean; firstLine: number },
): AsyncGenerator<Buffer> {
  let encoding: SourceEncoding = opts.encoding;
  let head: Buffer | undefined;
  let decide = opts.atStart;
  let lines = opts.firstLine - 1;
  let carry: Buffer | undefined;
  let decoder: ReturnType<Iconv["getDecoder"]> | undefined;
  for await (const raw of source) {
    let chunk = raw;
    if (decide) {
      head = head ? Buffer.concat([head, chunk]) : chunk;
      if (head.length < BOM_BYTES) continue;
      chunk = head;
      head = undefined;
      decide = false;
      encoding = sourceEncoding(chunk, opts.encoding);
    }
    if (encoding !== "utf-8") {
      decoder ??= iconv().getDecoder(encoding);
      const text = decoder.write(chunk);
      if (text.length > 0) yield Buffer.from(text, "utf8");
      continue;
    }
    const data = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let good = data.length;
    if (!isUtf8(data)) {
      // A character cut by the chunk boundary is finished by the next chunk.
      const tail = unfinishedTail(data);
      if (tail < data.length && isUtf8(data.subarray(0, tail))) {
        carry = Buffer.from(data.subarray(tail));
        good = tail;
      } else {
        const { lineStart, error } = notUtf8At(data, firstInvalidUtf8(data), lines);
        if (lineStart > 0) yield data.subarray(0, lineStart);
        throw error;
      }
    }
    lines += countNewlines(data, 0, good);
    if (good > 0) yield good === data.length ? data : data.subarray(0, good);
  }
  if (head && head.length > 0) {
    // A file shorter than a byte order mark.
    yield* utf8Stream(only(head), { ...opts, atStart: false, firstLine: lines + 1 });
    return;
  }
  if (decoder) {
    const text = decoder.end();
    if (text) yield Buffer.from(text, "utf8");
  }
  if (carry) {
    // The file ends inside a character; the start of its line was in an earlier chunk.
    throw new NotUtf8Error(lines + 1, 0, carry[0]!, likelyEncoding(carry));
  }
}

async function* only(chunk: Buffer): AsyncGenerator<Buffer> {
  yield chunk;
}
