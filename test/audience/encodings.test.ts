/**
 * Audience files as people really have them: Excel on Windows (windows-1252), Excel's "Unicode
 * text" (UTF-16 with a byte order mark), semicolon- and tab-separated files, and the physical
 * line each row starts on.
 */
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics.js";
import { tempFiles } from "./temp-files.js";
import { AudienceError, readAudience } from "../../src/runner/audience.js";
import type { AudienceRow, ReadAudienceOptions } from "../../src/runner/audience.js";
import { firstInvalidUtf8 } from "../../src/text-encoding.js";

const { file } = tempFiles("msgc-encodings-");

async function read(path: string, opts: Omit<ReadAudienceOptions, "onDiagnostic"> = {}) {
  const rows: AudienceRow[] = [];
  const diagnostics: Diagnostic[] = [];
  try {
    for await (const row of readAudience(path, "aud.csv", { ...opts, onDiagnostic: (d) => diagnostics.push(d) })) rows.push(row);
  } catch (e) {
    if (!(e instanceof AudienceError)) throw e;
    return { rows, diagnostics, fatal: e.diagnostic };
  }
  return { rows, diagnostics, fatal: undefined };
}

/** Excel on Windows: "Chloé" and "Zoë" in windows-1252, and the euro sign (0x80). */
const WINDOWS_1252 = Buffer.concat([
  Buffer.from("phone,first_name,note\r\n+16045552001,Ana,plain\r\n+16045552002,Chlo"),
  Buffer.from([0xe9]),
  Buffer.from(",10 "),
  Buffer.from([0x80]),
  Buffer.from("\r\n+16045552003,Zo"),
  Buffer.from([0xeb]),
  Buffer.from(",x\r\n"),
]);

describe("bytes that are not UTF-8", () => {
  it("a windows-1252 CSV is refused at its row and line, naming the encoding; the rows before it are read", async () => {
    const r = await read(file("excel.csv", WINDOWS_1252));
    expect(r.rows.map((x) => x.values.first_name)).toEqual(["Ana"]);
    expect(r.fatal).toEqual({
      code: "encoding-invalid",
      severity: "error",
      message: "aud.csv is not UTF-8 (byte 0xE9 at column 18); it looks like windows-1252 (Excel on Windows)",
      file: "aud.csv",
      path: [],
      row: 2,
      line: 3,
      hint: 'Set audience.encoding: windows-1252 in the campaign, or save the file as "CSV UTF-8"',
    });
  });

  it("audience.encoding: windows-1252 decodes it (é, ë, €); latin1 decodes ISO-8859-1", async () => {
    const r = await read(file("excel.csv", WINDOWS_1252), { encoding: "windows-1252" });
    expect(r.fatal).toBeUndefined();
    expect(r.rows.map((x) => [x.row, x.line, x.values.first_name, x.values.note])).toEqual([
      [1, 2, "Ana", "plain"],
      [2, 3, "Chloé", "10 €"],
      [3, 4, "Zoë", "x"],
    ]);
    const latin1 = await read(file("latin1.csv", Buffer.from("phone,name\n+16045552001,Chlo\xe9\n", "latin1")), { encoding: "latin1" });
    expect(latin1.rows[0]!.values.name).toBe("Chloé");
  });

  it("in the header: no row, its line; in NDJSON the row is the line; at the end of the file, a cut character", async () => {
    const header = await read(file("h.csv", Buffer.concat([Buffer.from("phone,pr"), Buffer.from([0xe9]), Buffer.from("nom\n+16045552001,x\n")])));
    expect(header.fatal).toMatchObject({ code: "encoding-invalid", line: 1, message: expect.stringContaining("column 9") });
    expect(header.fatal!.row).toBeUndefined();
    const ndjson = await read(file("n.ndjson", Buffer.concat([Buffer.from('{"phone":"+16045552001"}\n\n{"phone":"+16045552002","n":"Chlo'), Buffer.from([0xe9, 0x22, 0x7d, 0x0a])])));
    expect(ndjson.rows.map((x) => x.row)).toEqual([1]);
    expect(ndjson.fatal).toMatchObject({ code: "encoding-invalid", row: 3, line: 3 });
    const cut = await read(file("cut.csv", Buffer.concat([Buffer.from("phone,name\n+16045552001,Zo"), Buffer.from([0xc3])])));
    expect(cut.fatal).toMatchObject({ code: "encoding-invalid", row: 1, line: 2, message: "aud.csv is not UTF-8 (byte 0xC3 at the end of the file); it looks like windows-1252 (Excel on Windows)" });
  });

  it("after csv-parse took over (quotes), the rows it still holds are read before the error: a quoted header, a quoted row", async () => {
    const bad = (text: string) => Buffer.concat([Buffer.from(text), Buffer.from([0xe9, 0x0a])]);
    const header = await read(file("qh.csv", bad('"phone",name\n+16045552001,Chlo')));
    expect([header.rows.length, header.fatal?.row, header.fatal?.line]).toEqual([0, 1, 2]);
    const row = await read(file("qr.csv", bad('phone,name\n"+16045552001",Ana\n+16045552002,Chlo')));
    expect(row.rows.map((x) => [x.row, x.line])).toEqual([[1, 2]]);
    expect([row.fatal?.row, row.fatal?.line]).toEqual([2, 3]);
  });

  it("UTF-8 characters cut by every read-chunk boundary are fine; a bad byte far into the file is found at its line", async () => {
    // 64 KiB read chunks: 4-byte characters at every offset modulo 4 across several boundaries.
    const rows = Array.from({ length: 6000 }, (_, i) => `+1604${2_000_000 + i},${"😀".repeat(1 + (i % 3))}é`);
    const good = `phone,name\n${rows.join("\n")}\n`;
    const r = await read(file("emoji.csv", good));
    expect(r.fatal).toBeUndefined();
    expect(r.rows.length).toBe(6000);
    expect(r.rows[5999]!.values.name).toBe(`${"😀".repeat(1 + (5999 % 3))}é`);
    const bad = Buffer.from(good);
    const at = bad.indexOf("+16042005000");
    bad[at + 1] = 0xff;
    const r2 = await read(file("emoji-bad.csv", bad));
    expect(r2.rows.length).toBe(5000);
    expect(r2.fatal).toMatchObject({ code: "encoding-invalid", row: 5001, line: 5002, message: expect.stringContaining("byte 0xFF at column 2") });
  });

  it("the UTF-8 checker agrees with the decoder on overlongs, surrogates and code points past U+10FFFF", () => {
    for (const bytes of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0x80]]) {
      expect(firstInvalidUtf8(Buffer.from([0x41, ...bytes])), bytes.join(",")).toBe(1);
    }
    expect(firstInvalidUtf8(Buffer.from("aé😀€"))).toBe(Buffer.byteLength("aé😀€"));
  });

  it("a UTF-8 byte order mark keeps working, and wins over audience.encoding", async () => {
    const r = await read(file("bom.csv", "\ufeffphone,name\n+16045552001,Chloé\n"), { encoding: "windows-1252" });
    expect(r.rows.map((x) => x.values)).toEqual([{ phone: "+16045552001", name: "Chloé" }]);
  });
});

describe("UTF-16 (Excel's Unicode text)", () => {
  const text = "phone\tname\r\n+16045552001\tChloé 😀\r\n+16045552002\t\"Zoë\r\nsecond line\"\r\n";
  it.each([
    ["little-endian", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])],
    ["big-endian", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()])],
  ])("%s with its byte order mark is decoded", async (_, bytes) => {
    const r = await read(file("unicode.csv", bytes), { delimiter: "\t" });
    expect(r.fatal).toBeUndefined();
    expect(r.rows.map((x) => [x.row, x.line, x.values])).toEqual([
      [1, 2, { phone: "+16045552001", name: "Chloé 😀" }],
      [2, 3, { phone: "+16045552002", name: "Zoë\r\nsecond line" }],
    ]);
  });

  it("without a byte order mark it is not UTF-8, and the message says it looks like UTF-16", async () => {
    const r = await read(file("nobom.csv", Buffer.from("phone,name\n+16045552001,Chloé\n", "utf16le")));
    expect(r.fatal).toMatchObject({ code: "encoding-invalid", hint: 'Save the file as "CSV UTF-8"' });
    expect(r.fatal!.message).toContain("it looks like UTF-16 without a byte order mark");
  });
});

describe("delimiters", () => {
  it("audience.delimiter: semicolon, tab and pipe, quoted cells holding the delimiter", async () => {
    for (const d of [";", "\t", "|"]) {
      const r = await read(file("d.csv", `phone${d}name${d}n\n+16045552001${d}"A${d}B"${d}1\n+16045552002${d}Bo${d}2\n`), { delimiter: d });
      expect(r.fatal, JSON.stringify(d)).toBeUndefined();
      expect(r.rows.map((x) => x.values.name)).toEqual([`A${d}B`, "Bo"]);
    }
  });

  it("a header that comes out as one glued column says which delimiter it looks like", async () => {
    const glued = async (content: string, delimiter?: string) =>
      (await read(file("g.csv", content), { requiredColumns: [{ column: "phone", setting: "phone" }], ...(delimiter ? { delimiter } : {}) })).fatal?.hint;
    expect(await glued("phone;name\n+16045552001;Ana\n")).toBe('The header is one column; it looks separated by ";": set audience.delimiter: ";" in the campaign');
    expect(await glued("phone\tname\n+16045552001\tAna\n")).toBe('The header is one column; it looks separated by "\\t" (tab): set audience.delimiter: "\\t" in the campaign');
    expect(await glued("phone,name\n+16045552001,Ana\n", ";")).toBe('The header is one column; it looks separated by ",": set audience.delimiter: "," in the campaign');
  });
});

describe("row N (line M)", () => {
  it("lines count blank lines and line breaks inside quoted cells, on the fast path and after csv-parse takes over", async () => {
    const text = 'phone,note\n\n+16045552001,a\n+16045552002,"two\nlines"\n\n\n+16045552003,x\n+16045552004,"x\r\ny",extra\n+16045552005,z\n';
    const r = await read(file("lines.csv", text));
    expect(r.rows.map((x) => [x.row, x.line])).toEqual([
      [1, 3],
      [2, 4],
      [3, 8],
      [5, 11],
    ]);
    expect(r.diagnostics).toEqual([
      { code: "audience-row-invalid", severity: "error", message: "Row 4 has 3 fields; the header has 2", file: "aud.csv", path: [], row: 4, line: 9 },
    ]);
  });

  it("an unclosed quote and an oversized record carry the line their record starts on", async () => {
    const open = await read(file("open.csv", 'phone,note\n"+16045552001","a\nb"\n\n\n+16045552002,"never closed\n+16045552003,x\n'));
    expect([open.fatal?.code, open.fatal?.row, open.fatal?.line]).toEqual(["audience-unreadable", 2, 6]);
    const big = await read(file("big.csv", `phone,note\n"+16045552001",x\n\n+16045552002,${"y".repeat(3000)}\n`), { maxRecordBytes: 1000 });
    expect([big.fatal?.code, big.fatal?.row, big.fatal?.line]).toEqual(["audience-unreadable", 2, 4]);
  });

  it("the missing-column hint names the setting and the closest header name", async () => {
    const r = await read(file("m.csv", "Phone Number,First Name\n+16045552001,Ana\n"), {
      requiredColumns: [{ column: "phone_number", setting: "phone" }],
    });
    expect(r.fatal?.hint).toBe('Did you mean "Phone Number"? If so, set audience.phone: "Phone Number" in the campaign');
    const v = await read(file("v.csv", "phone,First Name\n+16045552001,Ana\n"), {
      requiredColumns: [{ column: "phone", setting: "phone" }, { column: "first_name", setting: { variable: "first_name" } }],
    });
    expect(v.fatal?.hint).toBe('Did you mean "First Name"? If so, set audience.columns: { first_name: "First Name" } in the campaign');
  });
});
