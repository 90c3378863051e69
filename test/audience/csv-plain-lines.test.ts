/**
 * The plain-line fast path of the CSV reader against csv-parse itself: the same records, the same
 * row problems and the same fatal row for any text, wherever the read chunks (64 KiB) are cut.
 */
import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, describe, expect, it } from "vitest";
import { AudienceError, readAudience } from "../../src/runner/audience.js";

const dir = mkdtempSync(join(tmpdir(), "msgc-plain-lines-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = "a,b,c";
let counter = 0;

/** What the reader gives: each row's values in header order, or a problem's row, or the fatal row. */
async function viaReader(bytes: Buffer, maxRecordBytes: number): Promise<unknown[]> {
  const path = join(dir, `${counter++}.csv`);
  writeFileSync(path, bytes);
  const out: unknown[] = [];
  try {
    for await (const { row, values } of readAudience(path, "aud", { maxRecordBytes, onDiagnostic: (d) => out.push(["problem", d.row]) })) {
      out.push([row, values.a, values.b, values.c]);
    }
  } catch (e) {
    if (!(e instanceof AudienceError)) throw e;
    out.push(["fatal", e.diagnostic.code, e.diagnostic.row]);
  }
  return out;
}

/** The same from csv-parse alone, with the options the reader has always used. */
function viaCsvParse(bytes: Buffer, maxRecordBytes: number): unknown[] {
  const out: unknown[] = [];
  let records: string[][];
  let fatal: unknown;
  try {
    records = parse(bytes, { bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: maxRecordBytes });
  } catch (e) {
    // The sync parser gives no partial records: read again up to the failing record.
    const err = e as { code?: string; records?: number };
    const failing = err.records ?? 0;
    records = parse(bytes, { bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: maxRecordBytes, to: failing });
    // The reader's row: the failing data row; 0 for an oversized header, none for a bad header.
    fatal = ["fatal", "audience-unreadable", failing > 0 ? failing : err.code === "CSV_MAX_RECORD_SIZE" ? 0 : undefined];
  }
  const [header, ...rows] = records;
  if (header && header.join(",") !== HEADER) throw new Error(`generated header changed: ${header.join(",")}`);
  rows.forEach((record, i) => {
    out.push(record.length === 3 ? [i + 1, ...record] : ["problem", i + 1]);
  });
  if (fatal) out.push(fatal);
  else if (rows.length === 0) out.push(["fatal", "audience-empty", undefined]);
  return out;
}

const piece = fc.constantFrom("x", "yy", ",", ",", "\n", "\n", "\r\n", "\r", '"', '""', "é", "😀", "\ufeff", " ", "");
const line = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(""));

describe("CSV plain lines", () => {
  it("read the same as csv-parse, small files and files cut across read chunks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.constantFrom("\n", "\r\n"),
        fc.nat({ max: 80 }),
        fc.array(line, { maxLength: 8 }),
        fc.constantFrom(1 << 20, 40),
        async (bom, ending, padding, tail, maxRecordBytes) => {
          // Padding rows bring the generated tail across the first 64 KiB chunk boundary.
          const filler = padding === 0 ? "" : `1,2,3${ending}`.repeat(Math.ceil((65536 - 40 + padding) / 8));
          const text = `${bom ? "\ufeff" : ""}${HEADER}${ending}${filler}${tail.join("")}`;
          const bytes = Buffer.from(text);
          const expected = viaCsvParse(bytes, maxRecordBytes);
          expect(await viaReader(bytes, maxRecordBytes)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});
