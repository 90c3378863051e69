/**
 * `msgc validate` and `msgc build`, spawned as a user runs them (node dist/cli/main.js).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, ensureBuilt, makeProject, msgc, STACK_TRACE } from "./helpers.js";

beforeAll(ensureBuilt, 120_000);

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
function project(files: Record<string, string | Buffer>): string {
  const dir = makeProject(files);
  made.push(dir);
  return dir;
}

const MESSAGE = `kind: Message
name: shipped
vars:
  first_name: { type: string, maxLength: 20 }
  order_id: { type: string, pattern: "^[0-9]{5,}$" }
samples:
  ana: { first_name: Ana, order_id: "12345" }
session:
  text: "Hi {{first_name}}! Order #{{order_id}} is on its way."
template:
  name: order_shipped_v2
  language: en_US
  body: ["{{first_name}}", "{{order_id}}"]
`;

const CAMPAIGN = `kind: Campaign
name: spring
message: shipped
audience:
  file: ../audiences/spring.csv
`;

const GOOD_AUDIENCE = "phone,first_name,order_id\n+1 (604) 585-2331,Ana,10001\n+44 7400 123456,Bo,10002\n";

function goodProject(audience = GOOD_AUDIENCE): string {
  return project({
    "specs/messages/shipped.yaml": MESSAGE,
    "specs/campaigns/spring.yaml": CAMPAIGN,
    "specs/audiences/spring.csv": audience,
  });
}

describe("msgc validate", () => {
  it("the project's own specs/ are valid (exit 0, JSON ok)", () => {
    const r = msgc(["validate", "--format", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; diagnostics: unknown[]; summary: { specs: number; errors: number } };
    expect(doc.ok).toBe(true);
    expect(doc.summary.errors).toBe(0);
    expect(doc.summary.specs).toBeGreaterThan(2);
  });

  it("a valid project: exit 0 and the summary line", () => {
    const r = msgc(["validate"], { cwd: goodProject() });
    expect(r).toEqual({ code: 0, stdout: "2 specs, 1 sample, 2 recipients: 0 errors, 0 warnings\n", stderr: "" });
  });

  it("a spec error: exit 1, file:line:col, a code frame with a caret, the hint", () => {
    const dir = project({ "specs/m.yaml": MESSAGE.replace("Hi {{first_name}}", "Hi {{frist_name}}") });
    const r = msgc(["validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      [
        'specs/m.yaml:9:13 error unknown-variable Unknown variable "frist_name"; did you mean "first_name"?',
        ' 9 |   text: "Hi {{frist_name}}! Order #{{order_id}} is on its way."',
        "   |             ^",
        "  hint: declared vars: first_name, order_id",
        "1 spec, 0 samples, 0 recipients: 1 error, 0 warnings",
        "",
      ].join("\n"),
    );
  });

  it("--format json: one document on stdout with the contract's shape; audience problems carry row", () => {
    const dir = goodProject("phone,first_name,order_id\n+1 (604) 585-2331,Ana,10001\n+1 555,Bo,10002\n+16045852331,Cy,1x\n+16045852331,Di,10004\n");
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      diagnostics: [
        { file: "specs/audiences/spring.csv", row: 2, line: 3, severity: "error", code: "phone-invalid", message: '"•••55" is not a valid phone number for its country code' },
        { file: "specs/audiences/spring.csv", row: 3, line: 4, severity: "error", code: "var-invalid", message: expect.stringContaining("order_id") },
        { file: "specs/audiences/spring.csv", row: 4, line: 5, severity: "warning", code: "duplicate-recipient", message: "+1604•••2331 is already at row 1; it is sent once" },
      ],
      summary: { specs: 2, errors: 2, warnings: 1 },
    });
    expect(r.stdout.endsWith("}\n")).toBe(true);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
  });

  it("--format json keeps the hint that text output shows", () => {
    const dir = project({ "specs/m.yaml": MESSAGE.replace("Hi {{first_name}}", "Hi {{frist_name}}") });
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([1, ""]);
    expect(JSON.parse(r.stdout).diagnostics).toEqual([
      {
        file: "specs/m.yaml",
        line: 9,
        column: 13,
        severity: "error",
        code: "unknown-variable",
        message: 'Unknown variable "frist_name"; did you mean "first_name"?',
        hint: "declared vars: first_name, order_id",
      },
    ]);
  });

  it("warnings for a var no form uses and for {single} braces, at their line and column; exit 0", () => {
    const spec = MESSAGE.replace("  order_id:", "  tracking_url: { type: string }\n  order_id:").replace("Hi {{first_name}}!", "Hi {first_name}!").replace(
      'ana: { first_name: Ana, order_id: "12345" }',
      'ana: { first_name: Ana, order_id: "12345", tracking_url: "https://t.example/1" }',
    );
    const r = msgc(["validate"], { cwd: project({ "specs/m.yaml": spec }) });
    expect(r).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        'specs/m.yaml:10:13 warning single-brace "{first_name}" has single braces, so it is sent as written; write {{first_name}} to insert the var first_name',
        ' 10 |   text: "Hi {first_name}! Order #{{order_id}} is on its way."',
        "    |             ^",
        "  hint: vars are inserted with two braces on each side: {{first_name}}",
        'specs/m.yaml:5:3 warning unused-variable Var "tracking_url" is declared but no form uses it',
        " 5 |   tracking_url: { type: string }",
        "   |   ^",
        "  hint: use it as {{tracking_url}}, or remove it from vars; until then every sample, audience row and --var must give it a value",
        "1 spec, 1 sample, 0 recipients: 0 errors, 2 warnings",
        "",
      ].join("\n"),
    });
  });

  it("the README's one-message example (send order-shipped --to … with two --var) works on the project's own specs", () => {
    const r = msgc(["send", "order-shipped", "--to", "+1 604 585 2331", "--var", "first_name=Ana", "--var", "order_id=12345", "--dry-run"]);
    expect(r).toEqual({ code: 0, stderr: "", stdout: "Dry run: order-shipped -> api.connectly.ai, nothing sent\n  would send  1  (0 session, 1 template)\n" });
  });

  it("--format github: workflow annotations", () => {
    const dir = project({ "specs/m.yaml": MESSAGE.replace("Hi {{first_name}}", "Hi {{frist_name}}") });
    const r = msgc(["validate", "--format", "github"], { cwd: dir });
    expect(r).toEqual({
      code: 1,
      stdout: '::error file=specs/m.yaml,line=9,col=13,title=unknown-variable::Unknown variable "frist_name"; did you mean "first_name"?\n',
      stderr: "",
    });
  });

  it("--format markdown: the summary line and a table on stdout, exit 1 on errors", () => {
    const dir = project({ "specs/m.yaml": MESSAGE.replace("Hi {{first_name}}", "Hi {{frist_name}}") });
    expect(msgc(["validate", "--format", "markdown"], { cwd: dir })).toEqual({
      code: 1,
      stdout: [
        "**1 spec, 0 samples, 0 recipients: 1 error, 0 warnings**",
        "",
        "| location | severity | code | message |",
        "|---|---|---|---|",
        "| `specs/m.yaml:9:13` | error | `unknown-variable` | Unknown variable &quot;frist\\_name&quot;; did you mean &quot;first\\_name&quot;?<br>_hint:_ declared vars: first\\_name, order\\_id |",
        "",
      ].join("\n"),
      stderr: "",
    });
  });

  it("--format markdown on a valid project: the summary line alone, exit 0", () => {
    expect(msgc(["validate", "--format", "markdown"], { cwd: goodProject() })).toEqual({
      code: 0,
      stdout: "**2 specs, 1 sample, 2 recipients: 0 errors, 0 warnings**\n",
      stderr: "",
    });
  });

  it("--quiet prints errors only, no warnings and no summary", () => {
    const dir = goodProject("phone,first_name,order_id\n+16045852331,Ana,10001\n+16045852331,Di,10004\n");
    expect(msgc(["validate", "--quiet"], { cwd: dir })).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("a header without the phone column: one diagnostic, exit 1", () => {
    const r = msgc(["validate", "--format", "json"], { cwd: goodProject("tel,first_name,order_id\n+16045852331,Ana,10001\n") });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).diagnostics).toEqual([
      { file: "specs/audiences/spring.csv", severity: "error", code: "audience-missing-column", message: 'The header of specs/audiences/spring.csv has no column "phone"', hint: 'The header has: "tel", "first_name", "order_id"; name the column with audience.phone in the campaign' },
    ]);
  });

  it("colour: off when not a TTY, on with FORCE_COLOR, NO_COLOR wins", () => {
    const dir = project({ "specs/m.yaml": MESSAGE.replace("Hi {{first_name}}", "Hi {{frist_name}}") });
    expect(msgc(["validate"], { cwd: dir }).stdout).not.toContain("\x1b[");
    expect(msgc(["validate"], { cwd: dir, env: { FORCE_COLOR: "1" } }).stdout).toContain("\x1b[31m");
    expect(msgc(["validate"], { cwd: dir, env: { FORCE_COLOR: "1", NO_COLOR: "1" } }).stdout).not.toContain("\x1b[");
  });

  it("usage errors: unknown format, unknown option (exit 64)", () => {
    expect(msgc(["validate", "--format", "xml"])).toEqual({
      code: 64,
      stdout: "",
      stderr: 'msgc validate: unknown format "xml"\nUse one of: text, json, markdown, github.\n',
    });
    expect(msgc(["validate", "--help"]).stdout).toMatch(/^Usage: msgc validate \[paths…\] \[options\]\n/);
  });
});

describe("msgc build", () => {
  it("--format markdown with --out -: plan items on stdout, the markdown report on stderr", () => {
    const r = msgc(["build", "--out", "-", "--format", "markdown"], { cwd: goodProject() });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(3);
    expect(r.stderr).toBe("**1 sample, 2 recipients written to stdout: 0 errors, 0 warnings**\n");
  });

  it("--out DIR: messages, campaigns and a manifest with counts and sha256; byte-for-byte deterministic", () => {
    const dir = goodProject();
    const first = msgc(["build", "--out", "out1"], { cwd: dir });
    expect(first).toEqual({ code: 0, stdout: `1 sample, 2 recipients written to ${join(dir, "out1")}: 0 errors, 0 warnings\n`, stderr: "" });
    expect(msgc(["build", "--out", "out2"], { cwd: dir }).code).toBe(0);
    const files = ["manifest.json", "messages/shipped.json", "campaigns/spring.ndjson"];
    for (const file of files) {
      expect(readFileSync(join(dir, "out2", file)), file).toEqual(readFileSync(join(dir, "out1", file)));
    }
    const manifest = JSON.parse(readFileSync(join(dir, "out1", "manifest.json"), "utf8"));
    const sha = (file: string): string => createHash("sha256").update(readFileSync(join(dir, "out1", file))).digest("hex");
    expect(manifest).toEqual({
      messages: [{ name: "shipped", spec: "specs/messages/shipped.yaml", file: "messages/shipped.json", items: 1, sha256: sha("messages/shipped.json") }],
      campaigns: [
        {
          name: "spring",
          spec: "specs/campaigns/spring.yaml",
          file: "campaigns/spring.ndjson",
          rows: 2,
          items: 2,
          invalidRows: 0,
          duplicates: 0,
          complete: true,
          sha256: sha("campaigns/spring.ndjson"),
        },
      ],
    });
    const lines = readFileSync(join(dir, "out1", "campaigns", "spring.ndjson"), "utf8").split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(JSON.parse(lines[0]!).key).toBe("spring/+16045852331");
    expect(JSON.parse(lines[1]!).template.body).toEqual({
      number: "+447400123456",
      templateName: "order_shipped_v2",
      language: "en_US",
      parameters: [
        { name: "body_1", value: "Bo" },
        { name: "body_2", value: "10002" },
      ],
      campaignName: "spring",
    });
    const samples = JSON.parse(readFileSync(join(dir, "out1", "messages", "shipped.json"), "utf8"));
    expect(samples.map((i: { key: string }) => i.key)).toEqual(["shipped/sample:ana"]);
  });

  it("the default out folder is the config's (.msgc); a rename removes the old campaign file", () => {
    const dir = goodProject();
    expect(msgc(["build"], { cwd: dir }).code).toBe(0);
    expect(existsSync(join(dir, ".msgc", "campaigns", "spring.ndjson"))).toBe(true);
    writeFileSync(join(dir, ".msgc", "keep.txt"), "not ours");
    writeFileSync(join(dir, "specs", "campaigns", "spring.yaml"), CAMPAIGN.replace("name: spring", "name: autumn"));
    expect(msgc(["build"], { cwd: dir }).code).toBe(0);
    expect(readdirSync(join(dir, ".msgc", "campaigns"))).toEqual(["autumn.ndjson"]);
    expect(existsSync(join(dir, ".msgc", "keep.txt"))).toBe(true);
  });

  it("--out -: every plan item as NDJSON on stdout in spec-path order, diagnostics on stderr", () => {
    const dir = goodProject("phone,first_name,order_id\n+16045852331,Ana,10001\n+1 555,Bo,10002\n");
    const r = msgc(["build", "--out", "-"], { cwd: dir });
    expect(r.code).toBe(1);
    const keys = r.stdout
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { key: string }).key);
    // specs/campaigns/spring.yaml sorts before specs/messages/shipped.yaml
    expect(keys).toEqual(["spring/+16045852331", "shipped/sample:ana"]);
    expect(r.stderr).toBe(
      'specs/audiences/spring.csv row 2 (line 3) error phone-invalid "•••55" is not a valid phone number for its country code\n' +
        "1 sample, 1 recipient written to stdout: 1 error, 0 warnings\n",
    );
  });

  it("--out - --format json: the JSON report goes to stderr, stdout stays NDJSON", () => {
    const r = msgc(["build", "--out", "-", "--format", "json"], { cwd: goodProject() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stderr)).toEqual({ ok: true, diagnostics: [], summary: { specs: 2, errors: 0, warnings: 0 } });
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(3);
  });

  it("refuses to write anything when a spec has an error", () => {
    const dir = project({
      "specs/messages/shipped.yaml": MESSAGE.replace("maxLength: 20", "maxLength: twenty"),
      "specs/campaigns/spring.yaml": CAMPAIGN,
      "specs/audiences/spring.csv": GOOD_AUDIENCE,
    });
    const r = msgc(["build", "--out", "out"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^specs\/messages\/shipped\.yaml:4:\d+ error /);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("0 samples, 0 recipients nothing written: 1 error, 0 warnings");
    expect(existsSync(join(dir, "out"))).toBe(false);
    const stdout = msgc(["build", "--out", "-"], { cwd: dir });
    expect(stdout.code).toBe(1);
    expect(stdout.stdout).toBe("");
  });

  it("bad audience rows: the good rows are written, the bad ones reported, exit 1", () => {
    const dir = goodProject("phone,first_name,order_id\n+16045852331,Ana,10001\n+1 555,Bo,10002\n+447400123456,Cy,10003\n");
    const r = msgc(["build", "--out", "out", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).summary).toEqual({ specs: 2, errors: 1, warnings: 0 });
    const keys = readFileSync(join(dir, "out", "campaigns", "spring.ndjson"), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { key: string }).key);
    expect(keys).toEqual(["spring/+16045852331", "spring/+447400123456"]);
    const manifest = JSON.parse(readFileSync(join(dir, "out", "manifest.json"), "utf8"));
    expect(manifest.campaigns[0]).toMatchObject({ rows: 3, items: 2, invalidRows: 1, complete: true });
  });

  it("an --out that cannot be created: exit 1 with one line, no stack", () => {
    const dir = goodProject();
    writeFileSync(join(dir, "taken"), "a file, not a folder");
    expect(msgc(["build", "--out", "taken"], { cwd: dir })).toEqual({
      code: 1,
      stdout: "",
      stderr: `msgc: Cannot write ${join(dir, "taken", "campaigns")} (ENOTDIR)\n`,
    });
  });

  it("an empty --out (an unset shell variable) is a usage error: nothing is written into the project root", () => {
    const dir = goodProject();
    const before = readdirSync(dir).sort();
    expect(msgc(["build", "--out", ""], { cwd: dir })).toEqual({
      code: 64,
      stdout: "",
      stderr: 'msgc build: option --out needs a path, not an empty string\nRun "msgc build --help" for its options.\n',
    });
    expect(readdirSync(dir).sort()).toEqual(before);
    // The same for every path option of every command.
    expect(msgc(["preview", "--out="], { cwd: dir })).toMatchObject({ code: 64, stderr: 'msgc preview: option --out needs a path, not an empty string\nRun "msgc preview --help" for its options.\n' });
    expect(msgc(["validate", "--config", ""], { cwd: dir })).toMatchObject({ code: 64, stderr: 'msgc validate: option --config needs a path, not an empty string\nRun "msgc validate --help" for its options.\n' });
  });

  it("a reader that goes away (| head -1) ends the build quietly", () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `+1604${2_000_000 + i},N${i},${10000 + i}`).join("\n");
    const dir = goodProject(`phone,first_name,order_id\n${rows}\n`);
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${cliPath}" build --out - | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}" >&2`], {
      cwd: dir,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.stderr).toBe("status=0\n");
  });
});

describe("no stack trace for any bad input", () => {
  const junk = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 251;

  const cases: [string, Record<string, string | Buffer>, string[]][] = [
    ["broken YAML", { "specs/a.yaml": "kind: Message\nname: [oops\n" }, []],
    ["wrong types", { "specs/a.yaml": "kind: Message\nname: a\nvars: 3\nsession: { text: 4 }\n" }, []],
    ["an unknown variable", { "specs/a.yaml": MESSAGE.replace("{{order_id}} is", "{{orderid}} is") }, []],
    ["binary junk as a spec", { "specs/a.yaml": junk }, []],
    ["bad phone numbers", { "specs/m.yaml": MESSAGE, "specs/c.yaml": CAMPAIGN.replace("../audiences/", ""), "specs/spring.csv": "phone,first_name,order_id\nnope,A,10001\n+0,B,10002\n,C,10003\n" }, []],
    ["a missing audience file", { "specs/m.yaml": MESSAGE, "specs/c.yaml": CAMPAIGN }, []],
    ["an audience outside the project", { "specs/m.yaml": MESSAGE, "specs/c.yaml": CAMPAIGN.replace("../audiences/spring.csv", "../../../../etc/passwd.csv") }, []],
    ["binary junk as an audience", { "specs/m.yaml": MESSAGE, "specs/c.yaml": CAMPAIGN.replace("../audiences/", ""), "specs/spring.csv": junk }, []],
    ["a JSON audience that is not an array", { "specs/m.yaml": MESSAGE, "specs/c.yaml": CAMPAIGN.replace("../audiences/spring.csv", "a.json"), "specs/a.json": '{"phone": 1}' }, []],
    ["a missing path argument", { "specs/m.yaml": MESSAGE }, ["nope.yaml"]],
    ["a missing --config file", { "specs/m.yaml": MESSAGE }, ["--config", "nope.yaml"]],
    ["an empty project", {}, []],
  ];

  it.each(cases)("%s", (_name, files, args) => {
    const dir = project(files);
    for (const command of [["validate", ...args], ["build", "--out", "-", "--format", "json", ...args]]) {
      const r = msgc(command, { cwd: dir });
      expect(r.code, `${command.join(" ")}: ${r.stderr}`).toBe(1);
      expect(r.stdout + r.stderr).not.toMatch(STACK_TRACE);
      expect(r.stderr).not.toContain("internal error");
    }
  });

  it("a 100 MB single-line audience ends in audience-unreadable, quickly and in bounded memory", () => {
    const dir = project({ "specs/m.yaml": MESSAGE, "specs/c.yaml": CAMPAIGN.replace("../audiences/", "") });
    const fd = openSync(join(dir, "specs", "spring.csv"), "w");
    writeSync(fd, "phone,first_name,order_id\n");
    const block = Buffer.alloc(1024 * 1024, "x");
    for (let i = 0; i < 100; i++) writeSync(fd, block);
    closeSync(fd);
    const started = Date.now();
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).diagnostics).toEqual([
      { file: "specs/spring.csv", row: 1, line: 2, severity: "error", code: "audience-unreadable", message: "Row 1 is larger than 1 MiB; is this really an audience file?" },
    ]);
  });
});
