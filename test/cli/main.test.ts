import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { colorEnabled, parseCommand, parseFormat, COMMON_OPTIONS } from "../../src/cli/common.js";
import { InputError, UsageError } from "../../src/cli/io.js";
import type { CliIo } from "../../src/cli/io.js";
import { reportFailure } from "../../src/cli/main.js";
import { ensureBuilt, makeProject, msgc, repoRoot, STACK_TRACE } from "./helpers.js";

beforeAll(ensureBuilt, 120_000);

function fakeIo(): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  return { stdout, stderr, env: {}, cwd: repoRoot, out: () => out, err: () => err };
}

describe("msgc (the binary)", () => {
  it("no arguments: the usage on stderr, exit 64", () => {
    const r = msgc([]);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^msgc: declarative WhatsApp message specs/);
    expect(r.stderr).toContain("\n  validate  load, schema-check and compile every spec and sample; print diagnostics\n");
  });

  it("--help: the usage listing every command on stdout, exit 0", () => {
    const r = msgc(["--help"]);
    expect(r.code).toBe(0);
    for (const command of ["validate", "build", "preview", "diff", "send", "sandbox", "init"]) {
      expect(r.stdout).toMatch(new RegExp(`\\n  ${command} +\\S`));
    }
  });

  it("--version prints package.json's version", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(msgc(["--version"])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it("an unknown command: exit 64, one line and a did-you-mean hint", () => {
    expect(msgc(["valdate"])).toEqual({
      code: 64,
      stdout: "",
      stderr: 'msgc: unknown command "valdate"\nDid you mean "msgc validate"? Run "msgc --help" for the commands.\n',
    });
    expect(msgc(["frobnicate"]).stderr).toBe('msgc: unknown command "frobnicate"\nRun "msgc --help" for the commands.\n');
    expect(msgc(["--frob"])).toEqual({ code: 64, stdout: "", stderr: 'msgc: unknown option --frob\nRun "msgc --help" for the commands.\n' });
  });

  it("an unknown option of a command: exit 64, no stack", () => {
    const r = msgc(["validate", "--frob"]);
    expect(r).toEqual({
      code: 64,
      stdout: "",
      stderr: 'msgc validate: unknown option --frob\nRun "msgc validate --help" for its options.\n',
    });
  });

  it("a string option without its value: exit 64", () => {
    expect(msgc(["build", "--out"])).toEqual({
      code: 64,
      stdout: "",
      stderr: 'msgc build: option --out needs a value\nRun "msgc build --help" for its options.\n',
    });
  });

  it("help <command> shows the command's help", () => {
    const r = msgc(["help", "validate"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: msgc validate/);
    expect(r.stderr).toBe("");
  });
});

describe("--config and --quiet: where the README says they work", () => {
  const dir = makeProject({ "specs/messages/hi.yaml": 'kind: Message\nname: hi\nwindow: session\nsession:\n  text: "Hi"\n' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([["validate"], ["build", "--out", "-"], ["preview"], ["send", "hi", "--to", "+16045852331", "--dry-run"]])(
    "msgc %s reads the --config it is given and takes --quiet",
    (...args) => {
      const r = msgc([...args, "--config", "nope.yaml"], { cwd: dir });
      expect(r.code).toBe(1);
      expect(`${r.stdout}${r.stderr}`).toContain(`nope.yaml:1:1 error file-unreadable Cannot read the config file ${join(dir, "nope.yaml")} (it does not exist)`);
      expect(msgc([...args, "--quiet"], { cwd: dir }).code).not.toBe(64);
    },
  );

  it.each([
    ["diff", "--quiet"],
    ["sandbox", "--quiet"],
    ["sandbox", "--config"],
    ["init", "--quiet"],
    ["init", "--config"],
  ])("msgc %s %s: a usage error, never silently ignored", (command, flag) => {
    const r = msgc([command, flag, ...(flag === "--config" ? ["x.yaml"] : [])], { cwd: dir });
    expect(r).toEqual({ code: 64, stdout: "", stderr: `msgc ${command}: unknown option ${flag}\nRun "msgc ${command} --help" for its options.\n` });
  });
});

describe("reportFailure (the one error wrapper)", () => {
  it("UsageError: 64, one line and its hint", () => {
    const io = fakeIo();
    expect(reportFailure(new UsageError("msgc x: bad\nsecond line", "Try this."), io)).toBe(64);
    expect(io.err()).toBe("msgc x: bad\nTry this.\n");
  });

  it("InputError: 1, one line, prefixed", () => {
    const io = fakeIo();
    expect(reportFailure(new InputError("specs/x.yaml cannot be read"), io)).toBe(1);
    expect(io.err()).toBe("msgc: specs/x.yaml cannot be read\n");
  });

  it("anything else: 70, says it is a bug, with the stack", () => {
    const io = fakeIo();
    expect(reportFailure(new TypeError("boom"), io)).toBe(70);
    expect(io.err()).toMatch(/^msgc: internal error \(this is a bug\)\nTypeError: boom\n\s+at /);
    expect(io.err()).toMatch(STACK_TRACE);
  });
});

describe("common option helpers", () => {
  it("parseCommand: values and positionals", () => {
    expect(parseCommand("validate", ["a.yaml", "--format", "json", "-q", "b"], COMMON_OPTIONS)).toEqual({
      values: { format: "json", quiet: true },
      positionals: ["a.yaml", "b"],
    });
  });

  it.each([
    [["--timeout", "-5"], "msgc send: option --timeout needs a value, and -5 reads as an option (write --timeout=-5 to pass it as the value)"],
    [["-t", "-0.5"], "msgc send: option -t needs a value, and -0.5 reads as an option (write --timeout=-0.5 to pass it as the value)"],
    [["--timeout", "--yes"], "msgc send: option --timeout needs a value"],
    [["--timeout"], "msgc send: option --timeout needs a value"],
  ])("parseCommand %j: a value that starts with a dash is explained, not 'does not take a value'", (args, message) => {
    const options = { timeout: { type: "string", short: "t" }, yes: { type: "boolean" } } as const;
    let thrown: unknown;
    try {
      parseCommand("send", args, options);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect([(thrown as UsageError).message, (thrown as UsageError).hint]).toEqual([message, 'Run "msgc send --help" for its options.']);
  });

  it("parseFormat: the default, an allowed value, an unknown one", () => {
    expect(parseFormat("validate", undefined, ["text", "json"])).toBe("text");
    expect(parseFormat("validate", "json", ["text", "json"])).toBe("json");
    expect(() => parseFormat("validate", "xml", ["text", "json"])).toThrow(
      new UsageError('msgc validate: unknown format "xml"', "Use one of: text, json."),
    );
  });

  it.each([
    ["a TTY", { isTTY: true }, {}, true],
    ["not a TTY", { isTTY: false }, {}, false],
    ["NO_COLOR on a TTY", { isTTY: true }, { NO_COLOR: "1" }, false],
    ["empty NO_COLOR is ignored", { isTTY: true }, { NO_COLOR: "" }, true],
    ["FORCE_COLOR off a TTY", {}, { FORCE_COLOR: "1" }, true],
    ["FORCE_COLOR=0 on a TTY", { isTTY: true }, { FORCE_COLOR: "0" }, false],
    ["NO_COLOR beats FORCE_COLOR", {}, { NO_COLOR: "1", FORCE_COLOR: "1" }, false],
    ["TERM=dumb", { isTTY: true }, { TERM: "dumb" }, false],
  ])("colorEnabled: %s", (_name, stream, env, expected) => {
    expect(colorEnabled(stream, env)).toBe(expected);
  });
});
