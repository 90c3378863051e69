/**
 * Audience files as people really have them, through the binary: Excel on Windows
 * (windows-1252), semicolon-separated files, a spec saved in windows-1252, and where each
 * audience problem points (row N (line M), JSON `line`, GitHub `line=`).
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, msgc, STACK_TRACE } from "./helpers.js";

beforeAll(ensureBuilt, 120_000);

const MESSAGE = 'kind: Message\nname: hi\nwindow: session\nvars:\n  first_name: { type: string }\nsession:\n  text: "Hi {{first_name}}!"\n';
const campaign = (audience: string): string => `kind: Campaign\nname: spring\nmessage: hi\naudience:\n  file: ../audiences/list.csv\n${audience}`;

/** Excel on Windows: "Chloé" in windows-1252, on line 3 (row 2). */
const EXCEL = Buffer.concat([Buffer.from("phone,first_name\r\n+16045552001,Ana\r\n+16045552002,Chlo"), Buffer.from([0xe9]), Buffer.from("\r\n")]);

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
function project(audience: string | Buffer, settings = ""): string {
  const dir = makeProject({
    "msgc.config.yaml": "specs: specs\n",
    "specs/messages/hi.yaml": MESSAGE,
    "specs/campaigns/spring.yaml": campaign(settings),
    "specs/audiences/list.csv": audience,
  });
  made.push(dir);
  return dir;
}

describe("audience encodings and delimiters", () => {
  it("a windows-1252 CSV fails validate at its row and line, naming the encoding and the setting", () => {
    const r = msgc(["validate"], { cwd: project(EXCEL) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      [
        "specs/audiences/list.csv row 2 (line 3) error encoding-invalid specs/audiences/list.csv is not UTF-8 (byte 0xE9 at column 18); it looks like windows-1252 (Excel on Windows)",
        '  hint: Set audience.encoding: windows-1252 in the campaign, or save the file as "CSV UTF-8"',
      ].join("\n"),
    );
    expect(r.stdout + r.stderr).not.toMatch(STACK_TRACE);
  });

  it("with audience.encoding: windows-1252 customers get Chloé (worker threads: the parallel planner's property test)", () => {
    const dir = project(EXCEL, "  encoding: windows-1252\n");
    expect(msgc(["validate"], { cwd: dir }).code).toBe(0);
    const built = msgc(["build", "--out", "-"], { cwd: dir });
    expect(built.code).toBe(0);
    expect(built.stdout).toContain('"message":{"text":"Hi Chloé!"}');
    expect(built.stdout).not.toContain("\ufffd");
  });

  it("a semicolon-separated file: the glued header says so; audience.delimiter reads it", () => {
    const file = "phone;first_name\n+16045552001;Ana\n+16045552002;Bo\n";
    const glued = msgc(["validate"], { cwd: project(file) });
    expect(glued.code).toBe(1);
    expect(glued.stdout).toContain('  hint: The header is one column; it looks separated by ";": set audience.delimiter: ";" in the campaign');
    const read = msgc(["validate"], { cwd: project(file, '  delimiter: ";"\n') });
    expect(read.code).toBe(0);
  });

  it("a delimiter or encoding the schema does not know is a spec error at its line", () => {
    const r = msgc(["validate", "--format", "json"], { cwd: project("phone,first_name\n+16045552001,Ana\n", "  delimiter: ':'\n  encoding: utf-16\n") });
    expect(r.code).toBe(1);
    const codes = (JSON.parse(r.stdout) as { diagnostics: Array<{ file: string; line: number; code: string }> }).diagnostics.map((d) => [d.file, d.line, d.code]);
    expect(codes).toEqual([
      ["specs/campaigns/spring.yaml", 6, "invalid-value"],
      ["specs/campaigns/spring.yaml", 7, "invalid-value"],
    ]);
  });
});

describe("where audience problems point", () => {
  // A quoted cell holding a line break and a blank line: row 3 is on line 6.
  const LIST = 'phone,first_name\n+16045552001,"Ana\nMaria"\n\n+16045552002,Bo\n+1 555,Cy\n';

  it("text: row N (line M); json: row and line; github: line=M so the annotation lands on the row", () => {
    const dir = project(LIST);
    expect(msgc(["validate"], { cwd: dir }).stdout).toContain(
      "specs/audiences/list.csv row 3 (line 6) error phone-invalid ",
    );
    const json = JSON.parse(msgc(["validate", "--format", "json"], { cwd: dir }).stdout) as { diagnostics: unknown[] };
    expect(json.diagnostics).toEqual([
      { file: "specs/audiences/list.csv", row: 3, line: 6, severity: "error", code: "phone-invalid", message: expect.any(String) },
    ]);
    expect(msgc(["validate", "--format", "github"], { cwd: dir }).stdout).toMatch(
      /^::error file=specs\/audiences\/list\.csv,line=6,title=phone-invalid::row 3: /,
    );
  });

  it("a missing phone column names audience.phone and the closest header name", () => {
    const r = msgc(["validate"], { cwd: project("Phone Number,first_name\n+16045552001,Ana\n") });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('  hint: Did you mean "Phone Number"? If so, set audience.phone: "Phone Number" in the campaign');
  });
});

describe("spec files that are not UTF-8", () => {
  it("a config file saved in windows-1252 is one error at its first bad byte", () => {
    const dir = makeProject({ "msgc.config.yaml": Buffer.concat([Buffer.from("businessId: caf"), Buffer.from([0xe9]), Buffer.from("\n")]), "specs/messages/hi.yaml": MESSAGE });
    made.push(dir);
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { diagnostics: unknown[] }).diagnostics).toEqual([
      {
        file: "msgc.config.yaml",
        line: 1,
        column: 16,
        severity: "error",
        code: "encoding-invalid",
        message: "The file is not UTF-8 (byte 0xE9); it looks like windows-1252 (Excel on Windows)",
        hint: "Save it as UTF-8",
      },
    ]);
  });


  it("a spec saved in windows-1252 is an error at the line and column of the first bad byte", () => {
    const message = Buffer.concat([Buffer.from(MESSAGE.replace("Hi {{first_name}}!", "Salut {{first_name}}, ")), Buffer.from([0xe7, 0x61])]);
    const dir = makeProject({ "msgc.config.yaml": "specs: specs\n", "specs/messages/hi.yaml": message });
    made.push(dir);
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { diagnostics: unknown[] }).diagnostics).toContainEqual({
      file: "specs/messages/hi.yaml",
      line: 8,
      column: 1,
      severity: "error",
      code: "encoding-invalid",
      message: "The file is not UTF-8 (byte 0xE7); it looks like windows-1252 (Excel on Windows)",
      hint: "Save it as UTF-8",
    });
  });
});
