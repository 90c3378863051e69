import { describe, expect, test } from "vitest";
import { diagnosticToJson } from "../../src/diagnostics.js";
import type { Diagnostic } from "../../src/diagnostics.js";
import {
  formatDiagnosticsMarkdown,
  formatDiagnosticsGithub,
  formatDiagnosticsJson,
  formatDiagnosticsText,
  formatSummaryLine,
} from "../../src/cli/format.js";

const source = "kind: Message\nname: promo\nsession:\n  text: Hi\n  colour: green\n";
const sources = new Map([["specs/promo.yaml", source]]);
const at = (line: number, column: number) => ({ start: { line, column }, end: { line, column: column + 1 } });

const unknownField: Diagnostic = {
  code: "unknown-field",
  severity: "error",
  message: 'Unknown field "colour" in session',
  file: "specs/promo.yaml",
  path: ["session", "colour"],
  range: at(4, 2),
};
const rowProblem: Diagnostic = {
  code: "phone-invalid",
  severity: "error",
  message: 'phone "12" is not a valid phone number',
  file: "specs/audiences/a.csv",
  path: [],
  row: 118,
  // Quoted cells with line breaks and blank lines above it: the line is not row + 1.
  line: 123,
  field: "phone",
};
const warning: Diagnostic = {
  code: "no-template-fallback",
  severity: "warning",
  message: "Only a session form: recipients outside the 24-hour window will fail",
  file: "specs/promo.yaml",
  path: ["session"],
  range: at(2, 0),
  hint: "Add a template form, or set window: session",
};
const wholeProject: Diagnostic = { code: "no-specs", severity: "error", message: "No spec files found in specs/", file: "specs", path: [] };

describe("formatDiagnosticsText", () => {
  test("text: location 1-based, then the source line and a caret under the column", () => {
    expect(formatDiagnosticsText([unknownField], sources, { color: false })).toBe(
      [
        'specs/promo.yaml:5:3 error unknown-field Unknown field "colour" in session',
        " 5 |   colour: green",
        "   |   ^",
      ].join("\n"),
    );
  });

  test("text: a hint follows the frame; audience rows and whole-project problems have no frame", () => {
    expect(formatDiagnosticsText([warning, rowProblem, wholeProject], sources, { color: false })).toBe(
      [
        "specs/promo.yaml:3:1 warning no-template-fallback Only a session form: recipients outside the 24-hour window will fail",
        " 3 | session:",
        "   | ^",
        "  hint: Add a template form, or set window: session",
        'specs/audiences/a.csv row 118 (line 123) error phone-invalid phone "12" is not a valid phone number',
        "specs error no-specs No spec files found in specs/",
      ].join("\n"),
    );
  });

  test("text: no source known means no frame", () => {
    expect(formatDiagnosticsText([unknownField], new Map(), { color: false })).toBe(
      'specs/promo.yaml:5:3 error unknown-field Unknown field "colour" in session',
    );
  });

  test("text: tabs before the column stay tabs so the caret lines up", () => {
    const tabbed = new Map([["t.yaml", "a:\n\t\tb: x\n"]]);
    const d: Diagnostic = { ...unknownField, file: "t.yaml", range: at(1, 5) };
    expect(formatDiagnosticsText([d], tabbed, { color: false }).split("\n").slice(1)).toEqual([" 2 | \t\tb: x", "   | \t\t   ^"]);
  });

  test("text: the caret counts terminal cells: an emoji or a CJK character takes two, an accent none", () => {
    // "text: " is 6 units; then 😀 (2 units, 2 cells), 日本 (2 units, 4 cells), e + U+0301 (2 units, 1 cell).
    const source = 'text: 😀日本e\u0301 {{nmae}}\n';
    const d: Diagnostic = { ...unknownField, file: "e.yaml", range: at(0, 13) };
    expect(source.slice(13, 15)).toBe("{{");
    expect(formatDiagnosticsText([d], new Map([["e.yaml", source]]), { color: false }).split("\n").slice(1)).toEqual([
      ` 1 | text: 😀日本e\u0301 {{nmae}}`,
      `   | ${" ".repeat(6 + 2 + 4 + 1 + 1)}^`,
    ]);
  });

  test("text: a long line is cut around the column, the caret still under it", () => {
    const long = `text: ${"a".repeat(500)}X${"b".repeat(500)}\n`;
    const d: Diagnostic = { ...unknownField, file: "l.yaml", range: at(0, 506) };
    const [, line, caret] = formatDiagnosticsText([d], new Map([["l.yaml", long]]), { color: false }).split("\n");
    expect(line!.length).toBeLessThan(130);
    expect(line!.slice(" 1 | ".length)).toMatch(/^…a+Xb+…$/);
    expect(caret!.indexOf("^")).toBe(line!.indexOf("X"));
  });

  test("text: with colour, severity, code and caret are painted and nothing else changes", () => {
    const painted = formatDiagnosticsText([unknownField], sources, { color: true });
    expect(painted).toContain("\x1b[31m\x1b[1merror\x1b[0m");
    expect(painted).toContain("\x1b[2munknown-field\x1b[0m");
    expect(painted).toContain("\x1b[31m^\x1b[0m");
    expect(painted.replace(/\x1b\[[0-9;]*m/g, "")).toBe(formatDiagnosticsText([unknownField], sources, { color: false }));
  });
});

describe("formatDiagnosticsJson", () => {
  test("json: the cli.md shape, line and column 1-based, rows for audiences", () => {
    const text = formatDiagnosticsJson([unknownField, rowProblem, warning], { specs: 12, errors: 2, warnings: 1 });
    expect(text).toBe(
      JSON.stringify({
        ok: false,
        diagnostics: [
          { file: "specs/promo.yaml", line: 5, column: 3, severity: "error", code: "unknown-field", message: 'Unknown field "colour" in session' },
          { file: "specs/audiences/a.csv", row: 118, line: 123, severity: "error", code: "phone-invalid", message: 'phone "12" is not a valid phone number' },
          {
            file: "specs/promo.yaml",
            line: 3,
            column: 1,
            severity: "warning",
            code: "no-template-fallback",
            message: "Only a session form: recipients outside the 24-hour window will fail",
            hint: "Add a template form, or set window: session",
          },
        ],
        summary: { specs: 12, errors: 2, warnings: 1 },
      }),
    );
  });

  test("json: ok with warnings only", () => {
    expect(JSON.parse(formatDiagnosticsJson([warning], { specs: 1, errors: 0, warnings: 1 })).ok).toBe(true);
    expect(JSON.parse(formatDiagnosticsJson([], { specs: 0, errors: 0, warnings: 0 }))).toEqual({
      ok: true,
      diagnostics: [],
      summary: { specs: 0, errors: 0, warnings: 0 },
    });
  });
});

describe("diagnosticToJson", () => {
  test("ranged, row and whole-file diagnostics, in cli.md's key order", () => {
    expect(JSON.stringify(diagnosticToJson(unknownField))).toBe(
      '{"file":"specs/promo.yaml","line":5,"column":3,"severity":"error","code":"unknown-field","message":"Unknown field \\"colour\\" in session"}',
    );
    expect(JSON.stringify(diagnosticToJson(rowProblem))).toBe(
      '{"file":"specs/audiences/a.csv","row":118,"line":123,"severity":"error","code":"phone-invalid","message":"phone \\"12\\" is not a valid phone number"}',
    );
    const { line: _, ...withoutLine } = rowProblem;
    expect(JSON.stringify(diagnosticToJson(withoutLine))).toBe(
      '{"file":"specs/audiences/a.csv","row":118,"severity":"error","code":"phone-invalid","message":"phone \\"12\\" is not a valid phone number"}',
    );
    // A line outside any row (bytes that are not UTF-8 in a CSV header, say).
    const { row: __, ...noRow } = withoutLine;
    const betweenRows: Diagnostic = { ...noRow, code: "encoding-invalid", message: "not UTF-8", line: 7 };
    expect(JSON.stringify(diagnosticToJson(betweenRows))).toBe(
      '{"file":"specs/audiences/a.csv","line":7,"severity":"error","code":"encoding-invalid","message":"not UTF-8"}',
    );
    expect(JSON.stringify(diagnosticToJson(wholeProject))).toBe(
      '{"file":"specs","severity":"error","code":"no-specs","message":"No spec files found in specs/"}',
    );
  });

  test("the hint that text output shows is kept, last; path and field never leak into the machine shape", () => {
    expect(Object.keys(diagnosticToJson(warning))).toEqual(["file", "line", "column", "severity", "code", "message", "hint"]);
    expect(diagnosticToJson(warning)).toMatchObject({ hint: "Add a template form, or set window: session" });
    expect(Object.keys(diagnosticToJson({ ...rowProblem, field: "phone", path: ["audience"] }))).toEqual(["file", "row", "line", "severity", "code", "message"]);
  });
});

describe("formatDiagnosticsGithub", () => {
  test("github: error and warning annotations, 1-based", () => {
    expect(formatDiagnosticsGithub([unknownField, warning])).toBe(
      [
        '::error file=specs/promo.yaml,line=5,col=3,title=unknown-field::Unknown field "colour" in session',
        "::warning file=specs/promo.yaml,line=3,col=1,title=no-template-fallback::Only a session form: recipients outside the 24-hour window will fail",
      ].join("\n"),
    );
  });

  test("github: %, CR and LF escaped in messages; : and , too in properties", () => {
    const d: Diagnostic = { ...unknownField, file: "specs/a,b:c.yaml", message: "50% off\r\nnow, really: yes" };
    expect(formatDiagnosticsGithub([d])).toBe("::error file=specs/a%2Cb%3Ac.yaml,line=5,col=3,title=unknown-field::50%25 off%0D%0Anow, really: yes");
  });

  test("github: audience rows carry their line (the annotation lands on the row) and name the row in the message", () => {
    expect(formatDiagnosticsGithub([rowProblem])).toBe(
      '::error file=specs/audiences/a.csv,line=123,title=phone-invalid::row 118: phone "12" is not a valid phone number',
    );
    const { line: _, ...withoutLine } = rowProblem;
    expect(formatDiagnosticsGithub([withoutLine])).toBe(
      '::error file=specs/audiences/a.csv,title=phone-invalid::row 118: phone "12" is not a valid phone number',
    );
  });

  test("text: an audience row says row N (line M); without a known line, row N", () => {
    const { line: _, ...withoutLine } = rowProblem;
    expect(formatDiagnosticsText([withoutLine], new Map(), { color: false })).toBe(
      'specs/audiences/a.csv row 118 error phone-invalid phone "12" is not a valid phone number',
    );
  });
});

test("formatSummaryLine: counts with plurals", () => {
  expect(formatSummaryLine("3 specs, 2 samples", { errors: 1, warnings: 0 })).toBe("3 specs, 2 samples: 1 error, 0 warnings");
  expect(formatSummaryLine("1 spec", { errors: 2, warnings: 1 })).toBe("1 spec: 2 errors, 1 warning");
});

describe("formatDiagnosticsMarkdown", () => {
  test("the summary line, then location | severity | code | message; the hint under the message", () => {
    const md = formatDiagnosticsMarkdown([unknownField, rowProblem, warning, wholeProject], { what: "12 specs", errors: 3, warnings: 1 });
    expect(md).toBe(
      [
        "**12 specs: 3 errors, 1 warning**",
        "",
        "| location | severity | code | message |",
        "|---|---|---|---|",
        "| `specs/promo.yaml:5:3` | error | `unknown-field` | Unknown field &quot;colour&quot; in session |",
        "| `specs/audiences/a.csv row 118 (line 123)` | error | `phone-invalid` | phone &quot;12&quot; is not a valid phone number |",
        "| `specs/promo.yaml:3:1` | warning | `no-template-fallback` | Only a session form: recipients outside the 24\\-hour window will fail<br>_hint:_ Add a template form, or set window: session |",
        "| `specs` | error | `no-specs` | No spec files found in specs/ |",
        "",
      ].join("\n"),
    );
  });

  test("pipes, backticks, markup and line breaks stay inside their cell", () => {
    const hostile: Diagnostic = {
      code: "unknown-field",
      severity: "error",
      message: "a | b <img src=x> *c*\nsecond line",
      file: "specs/we|ird`name.yaml",
      path: [],
      range: at(0, 0),
    };
    expect(formatDiagnosticsMarkdown([hostile], { what: "1 spec", errors: 1, warnings: 0 }).split("\n")[4]).toBe(
      "| ``specs/we\\|ird`name.yaml:1:1`` | error | `unknown-field` | a \\| b &lt;img src=x&gt; \\*c\\*<br>second line |",
    );
  });

  test("nothing to report: the summary line alone", () => {
    expect(formatDiagnosticsMarkdown([], { what: "2 specs", errors: 0, warnings: 0 })).toBe("**2 specs: 0 errors, 0 warnings**\n");
  });
});
