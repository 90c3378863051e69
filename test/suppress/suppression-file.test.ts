import { describe, expect, it } from "vitest";
import { parseSuppressionFile } from "../../src/runner/suppression-file.js";

function parse(text: string | Buffer): ReturnType<typeof parseSuppressionFile> {
  return parseSuppressionFile(Buffer.isBuffer(text) ? text : Buffer.from(text), "optouts.csv");
}

function problems(text: string | Buffer): string[] {
  return parse(text).diagnostics.map((d) => `${d.line} ${d.code} ${d.message}`);
}

describe("suppression files", () => {
  it("one number per line: normalized, blank lines skipped, each number once, CRLF and a BOM fine", () => {
    const result = parse("\uFEFFphone\r\n+1 604 555 0100\r\n\r\n+16045550101\n+1 (604) 555-0100\n");
    expect(result).toEqual({ file: "optouts.csv", numbers: ["+16045550100", "+16045550101"], diagnostics: [], unlisted: 0 });
  });

  it("a CSV with a number column among others, quoted cells and any header case", () => {
    const result = parse('name;Phone_Number;note\n"Ana; B";+44 7400 123456;x\nBo;"+1 604 555 0102";\n');
    expect(result.numbers).toEqual(["+447400123456", "+16045550102"]);
    expect(result.diagnostics).toEqual([]);
  });

  it("a header as spreadsheets write it: \"Phone Number\", \"phone-number\", quoted with spaces", () => {
    expect(parse("Name,Phone Number\nAna,+1 604 555 0100\n")).toEqual({ file: "optouts.csv", numbers: ["+16045550100"], diagnostics: [], unlisted: 0 });
    expect(parse("phone-number\n+16045550101\n")).toEqual({ file: "optouts.csv", numbers: ["+16045550101"], diagnostics: [], unlisted: 0 });
    expect(parse("\" Phone  Number \"\n+16045550102\n")).toEqual({ file: "optouts.csv", numbers: ["+16045550102"], diagnostics: [], unlisted: 0 });
  });

  it("every bad line is one diagnostic with its physical line, numbers masked", () => {
    expect(problems('number,name\n+16045550100,a\n"12345",b\n,c\n+999 1234,d\n')).toEqual([
      '3 phone-invalid "•••45" is not in international format: start it with + and the country code',
      "4 phone-invalid phone number is empty",
      '5 phone-invalid "•••34" is not a phone number',
    ]);
    // A quoted cell over two lines: the next record's line is still the physical one.
    expect(problems('note,number\n"two\nlines",+16045550100\nx,nope\n')).toEqual(['4 phone-invalid "•••" is not in international format: start it with + and the country code']);
  });

  it("hostile lines: not UTF-8, a huge one, control characters", () => {
    const bytes = Buffer.concat([Buffer.from("+16045550100\n"), Buffer.from([0xc3, 0x28]), Buffer.from(`\n${"9".repeat(100_000)}\n+1604\u0000555\n`)]);
    expect(problems(bytes)).toEqual([
      "2 encoding-invalid the line is not UTF-8 text",
      "3 phone-invalid the number is over 64 characters: not a phone number",
      '4 phone-invalid "•••55" is not a phone number',
    ]);
  });

  it("a CSV whose first line is data, not a header: its numbers are masked in the error", () => {
    expect(() => parse("16045852331,opted out\n16045852332,x\n")).toThrow(
      /^optouts\.csv: the header has no number column \(number, phone, phone_number, msisdn\); it has •••31, "opted out" \(the first line looks like data: add a header line naming the number column\)$/,
    );
    expect(() => parse("name;+1 (604) 585-2331\n")).toThrow(/; it has "name", \+1604•••2331 \(the first line/);
  });

  it("a CSV without a number column, and broken quoting, are one error for the file", () => {
    expect(() => parse("name,email\na,b\n")).toThrow('optouts.csv: the header has no number column (number, phone, phone_number, msisdn); it has "name", "email"');
    expect(() => parse('number,name\n"+16045550100,a\n')).toThrow(/^optouts\.csv:2 is not valid CSV \(CSV_QUOTE_NOT_CLOSED\)$/);
  });

  it("a UTF-16 file is one error for the file", () => {
    expect(() => parse(Buffer.from("\uFEFFnumber\n+16045550100\n", "utf16le"))).toThrow(`optouts.csv is UTF-16 text (Excel's "Unicode text"); save it as CSV UTF-8`);
  });

  it("an empty file has no numbers and no problems", () => {
    expect(parse("")).toEqual({ file: "optouts.csv", numbers: [], diagnostics: [], unlisted: 0 });
    expect(parse("\n\n")).toEqual({ file: "optouts.csv", numbers: [], diagnostics: [], unlisted: 0 });
  });
});

describe("suppression files: bounds", () => {
  it("a file of nothing but bad lines lists the first 100 and counts the rest", () => {
    const result = parse("x\n".repeat(250));
    expect(result.diagnostics).toHaveLength(100);
    expect(result.diagnostics[99]!.line).toBe(100);
    expect(result.unlisted).toBe(150);
    expect(result.numbers).toEqual([]);
  });
});
