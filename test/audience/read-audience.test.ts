import { mkdirSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics.js";
import { tempFiles } from "./temp-files.js";
import { AudienceError, readAudience, rowMaker } from "../../src/runner/audience.js";
import type { AudienceRow, ReadAudienceOptions } from "../../src/runner/audience.js";

const { dir, file } = tempFiles("msgc-audience-");

interface ReadResult {
  rows: AudienceRow[];
  diagnostics: Diagnostic[];
  fatal?: Diagnostic;
}

async function read(path: string, opts: Omit<ReadAudienceOptions, "onDiagnostic"> = {}): Promise<ReadResult> {
  const rows: AudienceRow[] = [];
  const diagnostics: Diagnostic[] = [];
  try {
    for await (const row of readAudience(path, "aud", { ...opts, onDiagnostic: (d) => diagnostics.push(d) })) {
      rows.push(row);
    }
  } catch (e) {
    if (!(e instanceof AudienceError)) throw e;
    return { rows, diagnostics, fatal: e.diagnostic };
  }
  return { rows, diagnostics };
}

const fatal = (code: string, message: string, extra: Partial<Diagnostic> = {}): Diagnostic =>
  ({ code, severity: "error", message, file: "aud", path: [], ...extra }) as Diagnostic;

describe("readAudience: CSV", () => {
  it("csv: header maps columns, values stay strings, rows are 1-based data rows", async () => {
    const r = await read(file("a.csv", "phone,first_name,n\n+16045852331,Ana,10\n\n+447400123456,Bo,x\n"));
    expect(r).toEqual({
      rows: [
        { row: 1, line: 2, values: { phone: "+16045852331", first_name: "Ana", n: "10" }, fromStrings: true },
        { row: 2, line: 4, values: { phone: "+447400123456", first_name: "Bo", n: "x" }, fromStrings: true },
      ],
      diagnostics: [],
    });
  });

  it("csv: a BOM, quoted commas, escaped quotes, CRLF and a quoted line break", async () => {
    const text = '\uFEFFphone,name,note\r\n"+1 604 585 2331","Doe, Jane","said ""hi"""\r\n+447400123456,Bo,"two\nlines"\r\n';
    const r = await read(file("bom.csv", text));
    expect(r.diagnostics).toEqual([]);
    expect(r.rows.map((x) => x.values)).toEqual([
      { phone: "+1 604 585 2331", name: "Doe, Jane", note: 'said "hi"' },
      { phone: "+447400123456", name: "Bo", note: "two\nlines" },
    ]);
    expect(Object.keys(r.rows[0]!.values)[0]).toBe("phone");
  });

  it("csv: a row with the wrong number of fields is reported and skipped", async () => {
    const r = await read(file("fields.csv", "phone,name\n+16045852331,Ana\n+16045852332,Bo,extra\n+16045852333,Cy\n"));
    expect(r.rows.map((x) => x.row)).toEqual([1, 3]);
    expect(r.diagnostics).toEqual([
      fatal("audience-row-invalid", "Row 2 has 3 fields; the header has 2", { row: 2, line: 3 }),
    ]);
  });

  it("csv: a header without the phone column", async () => {
    const r = await read(file("nophone.csv", "Phone ,name\n+16045852331,Ana\n"), { requiredColumns: ["phone"] });
    expect(r.fatal).toEqual(
      fatal("audience-missing-column", 'The header of aud has no column "phone"', {
        field: "phone",
        hint: 'Did you mean "Phone "? If so, set audience.phone: "Phone " in the campaign',
      }),
    );
    const r2 = await read(file("nophone2.csv", "tel,name\n+16045852331,Ana\n"), { requiredColumns: ["phone"] });
    expect(r2.fatal?.hint).toBe('The header has: "tel", "name"; name the column with audience.phone in the campaign');
    expect(r2.rows).toEqual([]);
  });

  it("csv: empty file, header only, blank lines only", async () => {
    expect((await read(file("empty.csv", ""))).fatal).toEqual(fatal("audience-empty", "aud is empty"));
    expect((await read(file("header.csv", "phone,name\n"))).fatal).toEqual(
      fatal("audience-empty", "aud has a header but no rows"),
    );
    expect((await read(file("blank.csv", "\n\n\n"))).fatal).toEqual(fatal("audience-empty", "aud has no header row"));
  });

  it("csv: duplicate header names are refused", async () => {
    const r = await read(file("dup.csv", "phone,name,name\n1,2,3\n"));
    expect(r.fatal).toEqual(
      fatal("audience-unreadable", 'Column "name" appears twice in the header of aud', { field: "name" }),
    );
  });

  it("csv: an unclosed quote stops reading with the row number; earlier rows were delivered", async () => {
    const r = await read(file("quote.csv", 'phone,name\n+16045852331,Ana\n+16045852332,"Bo\n+16045852333,Cy\n'));
    expect(r.rows.map((x) => x.row)).toEqual([1]);
    expect(r.fatal).toEqual(
      fatal("audience-unreadable", "aud cannot be read past row 2: a quoted field is never closed", { row: 2, line: 3 }),
    );
  });

  it("csv: a record over the size cap ends in a diagnostic", async () => {
    const r = await read(file("big.csv", `phone,name\n+16045852331,${"x".repeat(5000)}\n`), { maxRecordBytes: 1000 });
    expect(r.fatal).toEqual(
      fatal("audience-unreadable", "Row 1 is larger than 1000 bytes; is this really an audience file?", { row: 1, line: 2 }),
    );
  });
});

describe("readAudience: NDJSON and JSON", () => {
  it("ndjson: one object per line, row = line number, blank lines skipped, CRLF and BOM accepted", async () => {
    const text = '\uFEFF{"phone":"+16045852331","n":10}\r\n\n{"phone":"+447400123456","n":true}\n';
    const r = await read(file("a.ndjson", text));
    expect(r).toEqual({
      rows: [
        { row: 1, line: 1, values: { phone: "+16045852331", n: 10 }, fromStrings: false },
        { row: 3, line: 3, values: { phone: "+447400123456", n: true }, fromStrings: false },
      ],
      diagnostics: [],
    });
  });

  it("ndjson: a bad line and a non-object line are reported with their line numbers", async () => {
    const r = await read(file("bad.jsonl", '{"phone":"1"}\n{"phone":\n[1,2]\n{"phone":"2"}'));
    expect(r.rows.map((x) => x.row)).toEqual([1, 4]);
    expect(r.diagnostics).toEqual([
      fatal("audience-row-invalid", "Line 2 is not valid JSON", { row: 2, line: 2 }),
      fatal("audience-row-invalid", "Line 3 is an array; each recipient must be a JSON object", { row: 3, line: 3 }),
    ]);
  });

  it("ndjson: a line over the cap ends in a diagnostic", async () => {
    const r = await read(file("long.ndjson", `{"phone":"1"}\n"${"y".repeat(3000)}"\n`), { maxRecordBytes: 1000 });
    expect(r.fatal).toEqual(
      fatal("audience-unreadable", "Row 2 is larger than 1000 bytes; is this really an audience file?", { row: 2, line: 2 }),
    );
  });

  it("json: a top-level array of objects, nested values and brackets inside strings", async () => {
    const text = '\uFEFF [ {"phone":"+16045852331","note":"a],[b\\"}"} ,\n{"phone":"2","tags":[1,{"x":[]}]} ]\n';
    const r = await read(file("a.json", text));
    expect(r).toEqual({
      rows: [
        { row: 1, line: 1, values: { phone: "+16045852331", note: 'a],[b"}' }, fromStrings: false },
        { row: 2, line: 2, values: { phone: "2", tags: [1, { x: [] }] }, fromStrings: false },
      ],
      diagnostics: [],
    });
  });

  it("json: elements that are not objects or not JSON are row problems", async () => {
    const r = await read(file("b.json", '[{"phone":"1"}, 42, {"phone": }, null, {"phone":"2"}]'));
    expect(r.rows.map((x) => x.row)).toEqual([1, 5]);
    expect(r.diagnostics).toEqual([
      fatal("audience-row-invalid", "Element 2 is a number; each recipient must be a JSON object", { row: 2, line: 1 }),
      fatal("audience-row-invalid", "Element 3 is not valid JSON", { row: 3, line: 1 }),
      fatal("audience-row-invalid", "Element 4 is null; each recipient must be a JSON object", { row: 4, line: 1 }),
    ]);
  });

  it.each([
    ['{"phone":"1"}', fatal("audience-unreadable", "aud must hold a JSON array of recipient objects")],
    ['[{"phone":"1"}', fatal("audience-unreadable", "aud ends before its array is closed", { row: 1 })],
    ['[{"phone":"1"},]', fatal("audience-unreadable", "aud has a comma after its last element", { row: 1 })],
    ['[{"phone":"1"}] x', fatal("audience-unreadable", "aud has more data after its array")],
    ["[]", fatal("audience-empty", "aud is an empty array")],
    ["  \n", fatal("audience-empty", "aud is empty")],
  ])("json: %s", async (text, expected) => {
    expect((await read(file("c.json", text))).fatal).toEqual(expected);
  });

  it("json: an element split across many read chunks is reassembled", async () => {
    const long = "z".repeat(200_000);
    const r = await read(file("d.json", `[{"phone":"1","long":"${long}"},{"phone":"2"}]`));
    expect(r.rows.map((x) => [x.row, (x.values.long as string | undefined)?.length])).toEqual([
      [1, 200_000],
      [2, undefined],
    ]);
  });
});

describe("readAudience: files", () => {
  it("a missing file, a folder, an unknown extension", async () => {
    expect((await read(join(dir, "nope.csv"))).fatal).toEqual(
      fatal("audience-not-found", "Audience file aud does not exist"),
    );
    const folder = join(dir, "folder.csv");
    mkdirSync(folder);
    expect((await read(folder)).fatal).toEqual(fatal("audience-unreadable", "aud is not a file"));
    expect((await read(file("a.txt", "x"))).fatal).toEqual(
      fatal("audience-unreadable", "aud is not a .csv, .ndjson, .jsonl or .json file"),
    );
  });

  it("without onDiagnostic, a row problem is thrown", async () => {
    const path = file("throw.ndjson", "nope\n");
    const rows = async (): Promise<void> => {
      for await (const _ of readAudience(path, "aud")) void _;
    };
    await expect(rows()).rejects.toThrow(new AudienceError(fatal("audience-row-invalid", "Line 1 is not valid JSON", { row: 1, line: 1 })));
  });

  it("hostile: 20 MB of binary junk on one line ends quickly in a diagnostic, for every format", async () => {
    for (const name of ["junk.csv", "junk.ndjson", "junk.json"]) {
      const path = join(dir, name);
      const fd = openSync(path, "w");
      const block = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < block.length; i++) block[i] = (i * 7919 + 13) % 251 === 10 ? 32 : (i * 7919 + 13) % 251;
      for (let i = 0; i < 20; i++) writeSync(fd, block);
      closeSync(fd);
      const started = Date.now();
      const r = await read(path);
      expect(r.fatal?.code, name).toMatch(/^(audience-unreadable|audience-row-invalid|encoding-invalid)$/);
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });
});

describe("rowMaker", () => {
  it("makes the header's object from cells, with names a literal must quote", () => {
    const make = rowMaker(["phone", "first name", 'say "hi"', "1", "constructor"]);
    const row = make(["+16045552001", "Ana", "x", "one", "c"]);
    expect(row).toEqual({ phone: "+16045552001", "first name": "Ana", 'say "hi"': "x", "1": "one", constructor: "c" });
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });

  it("a header it cannot make a literal of (__proto__, a name twice, over 1,000 columns) is filled key by key", () => {
    const wide = Array.from({ length: 1001 }, (_, i) => `c${i}`);
    const cells = wide.map((_, i) => String(i));
    const row = rowMaker(wide)(cells);
    expect(Object.keys(row)).toEqual(wide);
    expect(row.c1000).toBe("1000");
    const proto = rowMaker(["__proto__", "a"])(["x", "y"]);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.hasOwn(proto, "__proto__")).toBe(false);
    expect(proto.a).toBe("y");
  });
});

