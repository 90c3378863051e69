/**
 * A pull request cannot make msgc read or write outside the project: spec files, the specs and
 * out folders and the config file are held to the project root (symlinks followed), spec files
 * must be regular files, and what `send` prints has its key removed, code frames included.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, msgc } from "./helpers.js";

beforeAll(ensureBuilt, 120_000);

const MESSAGE = 'kind: Message\nname: hi\nwindow: session\nsession:\n  text: "Hi"\n';
const SECRET = "sk_live_4f9a8b7c6d5e4f3a2b1c";

describe("confinement to the project", () => {
  const outside = mkdtempSync(join(tmpdir(), "msgc-outside-"));
  const made: string[] = [outside];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(outside, "credentials.yaml"), `${SECRET}\n`);
  mkdirSync(join(outside, "specs"));
  writeFileSync(join(outside, "specs", "far.yaml"), MESSAGE.replace("name: hi", "name: far"));

  const project = (files: Record<string, string>, setUp: (dir: string) => void = () => {}): string => {
    const dir = makeProject({ "specs/hi.yaml": MESSAGE, ...files });
    made.push(dir);
    setUp(dir);
    return dir;
  };
  const validate = (dir: string, args: string[] = []) => {
    const r = msgc(["validate", "--format", "json", ...args], { cwd: dir });
    return { code: r.code, diagnostics: r.stdout === "" ? r.stderr : (JSON.parse(r.stdout) as { diagnostics: unknown[] }).diagnostics, stdout: r.stdout };
  };
  const error = (file: string, code: string, message: string, at?: [number, number]) =>
    at ? { file, line: at[0], column: at[1], severity: "error", code, message } : { file, severity: "error", code, message };

  it("a spec linked to a file outside is not read, and its text is not printed", () => {
    const dir = project({}, (d) => symlinkSync(join(outside, "credentials.yaml"), join(d, "specs", "creds.yaml")));
    const r = validate(dir);
    expect(r).toMatchObject({
      code: 1,
      diagnostics: [error("specs/creds.yaml", "path-outside-project", "The file is outside the project (a symlink leads out of it)", [1, 1])],
    });
    expect(msgc(["validate"], { cwd: dir }).stdout).not.toContain(SECRET);
  });

  it("links to /proc/self/environ and /dev/zero are outside; a FIFO or a device inside is not a regular file", () => {
    const dir = project({}, (d) => {
      symlinkSync("/proc/self/environ", join(d, "specs", "environ.yaml"));
      symlinkSync("/dev/zero", join(d, "specs", "zero.yaml"));
      execFileSync("mkfifo", [join(d, "specs", "pipe.yaml"), join(d, "pipe")]);
      symlinkSync("../pipe", join(d, "specs", "linked-pipe.yaml"));
    });
    const r = validate(dir);
    expect(r).toEqual({
      code: 1,
      stdout: r.stdout,
      diagnostics: [
        error("specs/environ.yaml", "path-outside-project", "The file is outside the project (a symlink leads out of it)", [1, 1]),
        error("specs/linked-pipe.yaml", "file-unreadable", "Cannot read the file (it is not a regular file)", [1, 1]),
        error("specs/pipe.yaml", "file-unreadable", "Cannot read the file (it is not a regular file)", [1, 1]),
        error("specs/zero.yaml", "path-outside-project", "The file is outside the project (a symlink leads out of it)", [1, 1]),
      ],
    });
  });

  it("a dangling link leads where its target would be: outside", () => {
    const dir = project({ "msgc.config.yaml": "specs: specs\n" }, (d) => {
      symlinkSync(join(outside, "not-yet.yaml"), join(d, "specs", "later.yaml"));
      symlinkSync(join(outside, "not-yet"), join(d, ".msgc"));
      symlinkSync("missing.yaml", join(d, "specs", "missing-inside.yaml"));
    });
    expect(validate(dir)).toMatchObject({
      code: 1,
      diagnostics: [
        error(".msgc", "path-outside-project", `The out folder .msgc is outside the project (${dir}) (a symlink leads out of it)`),
        error("specs/later.yaml", "path-outside-project", "The file is outside the project (a symlink leads out of it)", [1, 1]),
        error("specs/missing-inside.yaml", "file-unreadable", "Cannot read the file (ENOENT)", [1, 1]),
      ],
    });
  });

  it("specs: and out: outside the root are config errors at their values; the outside folder is not walked", () => {
    const dir = project({ "msgc.config.yaml": `specs: ${join(outside, "specs")}\nout: ../out\n` });
    expect(validate(dir)).toMatchObject({
      code: 1,
      diagnostics: [
        error("msgc.config.yaml", "config-invalid", `msgc.config.yaml: specs: ${JSON.stringify(join(outside, "specs"))} is outside the project (${dir})`, [1, 8]),
        error("msgc.config.yaml", "config-invalid", `msgc.config.yaml: out: "../out" is outside the project (${dir})`, [2, 6]),
      ],
    });
    const root = project({ "msgc.config.yaml": "specs: /\n" });
    expect(validate(root)).toMatchObject({
      code: 1,
      diagnostics: [error("msgc.config.yaml", "config-invalid", `msgc.config.yaml: specs: "/" is outside the project (${root})`, [1, 8])],
    });
  });

  it("a specs folder, an out folder or a config file that links outside is refused", () => {
    const specsLink = makeProject({});
    made.push(specsLink);
    symlinkSync(join(outside, "specs"), join(specsLink, "specs"));
    expect(validate(specsLink)).toMatchObject({
      code: 1,
      diagnostics: [error("specs", "path-outside-project", `The specs folder specs is outside the project (${specsLink}) (a symlink leads out of it)`)],
    });

    const outLink = project({ "msgc.config.yaml": "specs: specs\n" }, (d) => symlinkSync(outside, join(d, ".msgc")));
    expect(validate(outLink)).toMatchObject({
      code: 1,
      diagnostics: [error(".msgc", "path-outside-project", `The out folder .msgc is outside the project (${outLink}) (a symlink leads out of it)`)],
    });
    // build writes nothing through the link
    expect(msgc(["build"], { cwd: outLink }).code).toBe(1);

    const configLink = project({}, (d) => symlinkSync(join(outside, "credentials.yaml"), join(d, "msgc.config.yaml")));
    const r = validate(configLink);
    expect(r).toMatchObject({
      code: 1,
      diagnostics: [error("msgc.config.yaml", "path-outside-project", `The config file msgc.config.yaml links to a file outside the project (${configLink})`, [1, 1])],
    });
    expect(r.stdout).not.toContain(SECRET);
  });

  it("a folder named on the command line that links outside is not walked", () => {
    const dir = project({}, (d) => symlinkSync(join(outside, "specs"), join(d, "more")));
    expect(validate(dir, ["more"])).toMatchObject({
      code: 1,
      diagnostics: [error("more", "path-outside-project", `more is outside the project (${dir}) (a symlink leads out of it)`)],
    });
  });

  it("send: a code frame that shows the API key prints it redacted", () => {
    const dir = project({
      "specs/key.yaml": `${SECRET}\n`,
      "specs/c.yaml": "kind: Campaign\nname: c\nmessage: hi\naudience:\n  file: a.csv\n",
      "specs/a.csv": "phone\n+16045852331\n",
    });
    const r = msgc(["send", "c", "--dry-run", "--business-id", "b"], { cwd: dir, env: { CONNECTLY_API_KEY: SECRET } });
    // Another spec's error is a warning for a send (its campaign and message are valid), printed
    // with its code frame: redacted.
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "specs/key.yaml:1:1 warning not-a-mapping A spec is a mapping that starts with kind: and name:, but this file is a single value\n" +
        " 1 | [redacted]\n" +
        "   | ^\n" +
        "not needed to send c: 0 errors, 1 warning\n",
    );
    expect(r.stdout).not.toContain(SECRET);
  });
});
