import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, msgc, STACK_TRACE } from "../cli/helpers.js";
import { MAX_SUPPRESSION_FILE_BYTES } from "../../src/runner/suppression-file.js";

beforeAll(() => ensureBuilt());

const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

function project(): string {
  return makeProject({ "msgc.config.yaml": "businessId: b\n" });
}

function run(dir: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = msgc(["suppress", ...args], { cwd: dir });
  return { ...result, stdout: result.stdout.replace(TIME, "<time>") };
}

describe("msgc suppress", () => {
  it("add, list (masked, --show-numbers, json), remove: exact output and exit codes; the store is created", () => {
    const dir = project();
    expect(run(dir, "list")).toEqual({ code: 0, stdout: "no suppressed numbers\n", stderr: "" });
    expect(existsSync(join(dir, ".msgc", "msgc.db"))).toBe(true);
    expect(run(dir, "add", "+1 604 555 0100", "+16045550101", "+1 (604) 555-0100", "--reason", "asked by phone, +16045550100")).toEqual({
      code: 0,
      stdout: "suppressed 2 numbers\n",
      stderr: "",
    });
    expect(run(dir, "add", "+16045550101", "+447400123456")).toEqual({ code: 0, stdout: "suppressed 1 number (1 already on the list, left as it was)\n", stderr: "" });
    expect(run(dir, "list")).toEqual({
      code: 0,
      stdout:
        "+1604•••0100  manual   <time>  asked by phone, +1604•••0100\n" +
        "+1604•••0101  manual   <time>  asked by phone, +1604•••0100\n" +
        "+4474•••3456  manual   <time>\n" +
        "3 suppressed numbers\n",
      stderr: "",
    });
    const json = run(dir, "list", "--format", "json", "--show-numbers");
    expect(JSON.parse(json.stdout)).toEqual({
      count: 3,
      suppressions: [
        { number: "+16045550100", reason: "manual", at: "<time>", source: "asked by phone, +16045550100" },
        { number: "+16045550101", reason: "manual", at: "<time>", source: "asked by phone, +16045550100" },
        { number: "+447400123456", reason: "manual", at: "<time>", source: null },
      ],
    });
    expect(run(dir, "remove", "+16045550100", "+16045550199")).toEqual({ code: 0, stdout: "unsuppressed 1 number (1 was not on the list)\n", stderr: "" });
    expect(JSON.parse(run(dir, "list", "--format", "json").stdout)).toMatchObject({ count: 2, suppressions: [{ number: "+1604•••0101" }, { number: "+4474•••3456" }] });
  });

  it("a config with an error: exit 1, its diagnostic, no store created", () => {
    const dir = makeProject({ "msgc.config.yaml": "specs: [\n" });
    expect(run(dir, "add", "+16045550100")).toEqual({
      code: 1,
      stdout: "msgc.config.yaml:2:1 error yaml-syntax Flow sequence in block collection must be sufficiently indented and end with a ]\nnothing changed: 1 error, 0 warnings\n",
      stderr: "",
    });
    expect(existsSync(join(dir, ".msgc", "msgc.db"))).toBe(false);
  });

  it("usage errors: exit 64, one line and a hint, nothing changed", () => {
    const dir = project();
    const cases: Array<[string[], string]> = [
      [[], "msgc suppress: add, remove, list or import?"],
      [["drop"], 'msgc suppress: unknown subcommand "drop"'],
      [["add"], "msgc suppress add: which numbers?"],
      [["add", "+16045550100", "0604 555 0101"], 'msgc suppress: "•••01" is not in international format: start it with + and the country code; nothing changed'],
      [["add", "9".repeat(5000)], "msgc suppress: an argument over 64 characters is not a phone number; nothing changed"],
      [["add", "+16045550100", "--reason", "two\nlines"], "msgc suppress: --reason is one line of at most 500 characters"],
      [["list", "--reason", "x"], "msgc suppress: --reason goes with add, not list"],
      [["list", "--format", "html"], 'msgc suppress: unknown format "html"'],
      [["import"], "msgc suppress import: one file, got 0"],
      [["list", "--bogus"], "msgc suppress: unknown option --bogus"],
    ];
    for (const [args, first] of cases) {
      const result = run(dir, ...args);
      expect([args, result.code, result.stderr.split("\n")[0], result.stdout]).toEqual([args, 64, first, ""]);
      expect(result.stderr).not.toMatch(STACK_TRACE);
    }
    expect(run(dir, "list").stdout).toBe("no suppressed numbers\n");
  });

  it("import: a CSV with a number column; numbers already listed keep their reason", () => {
    const dir = project();
    run(dir, "add", "+16045550100");
    writeFileSync(join(dir, "optouts.csv"), "name,Phone\nAna,+1 604 555 0100\nBo,+1 604 555 0101\nCy,+16045550101\n");
    expect(run(dir, "import", "optouts.csv")).toEqual({ code: 0, stdout: "imported 1 number from optouts.csv (1 already on the list, left as it was)\n", stderr: "" });
    expect(run(dir, "list", "--show-numbers").stdout).toBe("+16045550100  manual   <time>\n+16045550101  import   <time>  optouts.csv\n2 suppressed numbers\n");
  });

  it("import: every bad line is reported with its line, masked, and nothing is imported (exit 1)", () => {
    const dir = project();
    writeFileSync(join(dir, "optouts.txt"), Buffer.concat([Buffer.from("+16045550100\n0604 555 0101\n\n"), Buffer.from([0xff, 0x0a]), Buffer.from("+16045550102\n")]));
    expect(run(dir, "import", "optouts.txt")).toEqual({
      code: 1,
      stdout:
        'optouts.txt:2 error phone-invalid "•••01" is not in international format: start it with + and the country code\n' +
        "optouts.txt:4 error encoding-invalid the line is not UTF-8 text\n" +
        "optouts.txt: 2 bad lines, nothing imported\n",
      stderr: "",
    });
    expect(run(dir, "list").stdout).toBe("no suppressed numbers\n");
  });

  it("import: hostile files are one line, exit 1, never read past the bound or outside the project", () => {
    const dir = project();
    const outside = makeProject({ "secret.csv": "number\n+16045550100\n" });
    symlinkSync(join(outside, "secret.csv"), join(dir, "linked.csv"));
    symlinkSync("/dev/zero", join(dir, "zero.csv"));
    execFileSync("mkfifo", [join(dir, "fifo.csv")]);
    mkdirSync(join(dir, "folder.csv"));
    writeFileSync(join(dir, "huge.csv"), Buffer.alloc(MAX_SUPPRESSION_FILE_BYTES + 1, 0x39));
    writeFileSync(join(dir, "columns.csv"), "name,email\nAna,a@example.com\n");
    writeFileSync(join(dir, "quote.csv"), 'number,name\n"+16045550100,Ana\n');
    const cases: Array<[string, string]> = [
      [join(outside, "secret.csv"), `msgc suppress: ${join(outside, "secret.csv")} is outside the project; put the file in the project folder`],
      ["linked.csv", "msgc suppress: linked.csv is outside the project (it links to a file outside); put the file in the project folder"],
      ["zero.csv", "msgc suppress: zero.csv is outside the project (it links to a file outside); put the file in the project folder"],
      ["fifo.csv", "msgc suppress: fifo.csv is not a regular file"],
      ["folder.csv", "msgc suppress: folder.csv is not a regular file"],
      ["missing.csv", "msgc suppress: cannot read missing.csv (ENOENT)"],
      ["huge.csv", "msgc suppress: huge.csv is larger than 16 MiB; split it"],
      ["columns.csv", 'msgc suppress: columns.csv: the header has no number column (number, phone, phone_number, msisdn); it has "name", "email"'],
      ["quote.csv", "msgc suppress: quote.csv:2 is not valid CSV (CSV_QUOTE_NOT_CLOSED)"],
    ];
    for (const [file, line] of cases) {
      expect([file, run(dir, "import", file)]).toEqual([file, { code: 1, stdout: "", stderr: `${line}\n` }]);
    }
    expect(run(dir, "list").stdout).toBe("no suppressed numbers\n");
  });

  it("a store that is not a database is one line, exit 1", () => {
    const dir = project();
    mkdirSync(join(dir, ".msgc"));
    writeFileSync(join(dir, ".msgc", "msgc.db"), "not a database at all, just text that is long enough to have a header\n".repeat(4));
    const result = run(dir, "list");
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")).toHaveLength(2);
    expect(result.stderr).toMatch(/^msgc suppress: The store .*msgc\.db cannot be (used|opened)/);
  });
});
