/**
 * Where CSV records end, quotes included, for the parallel planner: the main thread cuts tasks
 * at record ends, and a worker finds the records that have quotes (csv-parse reads those). Only
 * well-formed CSV is cut: quotes that open a field and close it before a delimiter or a line
 * break, line breaks that are the file's own. Anything else (a quote inside a bare field, text
 * after a closing quote, a stray \r, a record over the cap) is "not simple", and the one-thread
 * reader, that is csv-parse, decides it from there.
 */

import { CARRIAGE_RETURN, NEWLINE, QUOTE } from "./audience.js";

/** The data ends inside the record. */
export const RECORD_UNFINISHED = -1;
/** csv-parse must read it. */
export const RECORD_NOT_SIMPLE = -2;

export interface CsvShape {
  /** Records end with \r\n (else \n, and a \r outside quotes is not simple). */
  crlf: boolean;
  /** The field delimiter's byte. */
  delimiter: number;
  /** Longest record taken, in bytes, its line break excluded. */
  maxRecordBytes: number;
}

/**
 * Where the record that starts at `start` ends (after its line break), or RECORD_UNFINISHED,
 * or RECORD_NOT_SIMPLE.
 */
export function recordEnd(data: Uint8Array, start: number, shape: CsvShape): number {
  const { crlf, delimiter, maxRecordBytes } = shape;
  const tooLong = (at: number): boolean => at - start > maxRecordBytes;
  let i = start;
  for (;;) {
    // At the start of a field.
    if (i >= data.length) return tooLong(i) ? RECORD_NOT_SIMPLE : RECORD_UNFINISHED;
    if (data[i] === QUOTE) {
      i++;
      for (;;) {
        const quote = data.indexOf(QUOTE, i);
        if (quote === -1 || quote + 1 >= data.length) return tooLong(data.length) ? RECORD_NOT_SIMPLE : RECORD_UNFINISHED;
        if (tooLong(quote)) return RECORD_NOT_SIMPLE;
        i = quote + 1;
        if (data[i] !== QUOTE) break;
        i++; // "" is a quote inside the field
      }
    } else {
      while (i < data.length) {
        const byte = data[i]!;
        if (byte === delimiter || byte === NEWLINE || byte === CARRIAGE_RETURN) break;
        if (byte === QUOTE) return RECORD_NOT_SIMPLE;
        i++;
      }
      if (i >= data.length) return tooLong(i) ? RECORD_NOT_SIMPLE : RECORD_UNFINISHED;
    }
    // After a field: a delimiter, or the line break.
    const byte = data[i]!;
    if (tooLong(i)) return RECORD_NOT_SIMPLE;
    if (byte === delimiter) {
      i++;
      continue;
    }
    if (!crlf) return byte === NEWLINE ? i + 1 : RECORD_NOT_SIMPLE;
    if (byte !== CARRIAGE_RETURN) return RECORD_NOT_SIMPLE;
    if (i + 1 >= data.length) return RECORD_UNFINISHED;
    return data[i + 1] === NEWLINE ? i + 2 : RECORD_NOT_SIMPLE;
  }
}

/** What `scanRecords` found. */
export interface RecordScan {
  /** Where the complete records end (after the last one's line break). */
  end: number;
  /** Records among them (blank lines are not records, as with csv-parse's skip_empty_lines). */
  records: number;
  /** Line breaks before `end`. */
  lines: number;
  /** Whether what starts at `end` is not simple: csv-parse must take over there. */
  handOver: boolean;
}

/**
 * The complete, simple records at the start of `data`. Lines without a quote are taken a line
 * at a time (as `scanPlainLines` does); a line with one goes through `recordEnd`.
 */
export function scanRecords(data: Uint8Array, shape: CsvShape): RecordScan {
  const { crlf, maxRecordBytes } = shape;
  let quote = data.indexOf(QUOTE);
  let cr = data.indexOf(CARRIAGE_RETURN);
  let at = 0;
  let records = 0;
  let lines = 0;
  let handOver = false;
  while (at < data.length) {
    if (quote !== -1 && quote < at) quote = data.indexOf(QUOTE, at);
    if (cr !== -1 && cr < at) cr = data.indexOf(CARRIAGE_RETURN, at);
    const newline = data.indexOf(NEWLINE, at);
    if (quote !== -1 && (newline === -1 || quote < newline)) {
      const end = recordEnd(data, at, shape);
      if (end === RECORD_NOT_SIMPLE) handOver = true;
      if (end < 0) break;
      records++;
      for (let n = data.indexOf(NEWLINE, at); n !== -1 && n < end; n = data.indexOf(NEWLINE, n + 1)) lines++;
      at = end;
      continue;
    }
    if (newline === -1) {
      handOver = data.length - at > maxRecordBytes;
      break;
    }
    const content = crlf ? newline - 1 : newline;
    // A \r anywhere but right before the line break (with \r\n endings) is not simple.
    if (newline - at > maxRecordBytes || (cr !== -1 && cr < content) || (crlf && cr !== content)) {
      handOver = true;
      break;
    }
    if (content > at) records++;
    lines++;
    at = newline + 1;
  }
  return { end: at, records, lines, handOver };
}
