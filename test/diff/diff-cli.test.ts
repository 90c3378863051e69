import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, msgc } from "../cli/helpers.js";
import { expectGolden } from "../preview/golden-file.js";
import { TempRepo } from "./git-repo.js";
import * as fx from "./project-fixture.js";

/**
 * msgc diff on a real temporary git repository with two commits. The second commit changes a
 * button title, adds a message, deletes one, changes the audience (one recipient added, one
 * removed, one changed) and fixes a spec that was broken in the first.
 * Golden files: test/fixtures/diff/<name>; UPDATE_GOLDEN=1 rewrites them.
 */
const ENV = { NO_COLOR: "1" };

describe("msgc diff on a real repository", () => {
  const repo = new TempRepo();
  const run = (...args: string[]) => {
    const r = msgc(["diff", ...args], { cwd: repo.dir, env: ENV });
    // Commit ids change on every run: the ones of this repository become placeholders.
    const commits = repo.git("rev-list", "--all").split("\n");
    let stdout = r.stdout;
    for (const c of commits) stdout = stdout.replaceAll(c, "<commit>").replaceAll(c.slice(0, 12), "<commit>");
    return { ...r, stdout };
  };

  beforeAll(() => {
    ensureBuilt();
    repo.write({
      "msgc.config.yaml": fx.CONFIG,
      "specs/messages/order-shipped.yaml": fx.orderShipped("Track"),
      "specs/messages/old-promo.yaml": fx.OLD_PROMO,
      "specs/messages/fragile.yaml": fx.fragile(fx.BROKEN_TITLE),
      "specs/messages/receipt.yaml": fx.RECEIPT,
      "specs/campaigns/spring.yaml": fx.CAMPAIGN,
      "specs/audiences/spring.csv": fx.AUDIENCE_BEFORE,
    });
    repo.commit("base");
    repo.write({
      "specs/messages/order-shipped.yaml": fx.orderShipped("Track order"),
      "specs/messages/old-promo.yaml": null,
      "specs/messages/welcome.yaml": fx.WELCOME,
      "specs/messages/fragile.yaml": fx.fragile("Pick me"),
      "specs/audiences/spring.csv": fx.AUDIENCE_AFTER,
    });
    repo.commit("head");
  });
  afterAll(() => repo.remove());

  test("text: every change, exit 0", () => {
    const r = run("--base", "HEAD~1");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expectGolden("diff/changes.txt", r.stdout);
  });

  test("--detailed-exitcode: 2 when there are changes", () => {
    const r = run("--base", "HEAD~1", "--detailed-exitcode");
    expect(r.code).toBe(2);
    expectGolden("diff/changes.txt", r.stdout);
  });

  test("markdown: summary line first, one <details> per changed spec", () => {
    const r = run("--base", "HEAD~1", "--format", "markdown");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(
      "**msgc diff**: 4 messages (1 changed, 1 added, 1 removed, 1 broken); 1 campaign (1 changed); recipients +1 −1 \\~1.",
    );
    expect(r.stdout.match(/<details>/g)).toHaveLength(5);
    expectGolden("diff/changes.md", r.stdout);
  });

  test("json: the report", () => {
    const r = run("--base", "HEAD~1", "--format", "json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { changed: boolean; ok: boolean; messages: { name: string; status: string }[] };
    expect([report.changed, report.ok]).toEqual([true, true]);
    expect(report.messages.map((m) => `${m.name}:${m.status}`)).toEqual([
      "fragile:broken",
      "old-promo:removed",
      "order-shipped:changed",
      "receipt:unchanged",
      "welcome:added",
    ]);
    // One line, like every other command's JSON; the golden file keeps it indented to be read.
    expect(r.stdout.indexOf("\n")).toBe(r.stdout.length - 1);
    expectGolden("diff/changes.json", `${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
  });

  test("--quiet is not a diff option: a usage error, not silently ignored", () => {
    expect(run("--base", "HEAD~1", "--quiet")).toEqual({
      code: 64,
      stdout: "",
      stderr: 'msgc diff: unknown option --quiet\nRun "msgc diff --help" for its options.\n',
    });
  });

  test("json: diagnostics in cli.md's one shape (with the side), beside the per-spec problems", () => {
    const report = JSON.parse(run("--base", "HEAD~1", "--format", "json").stdout) as { diagnostics: unknown };
    expect(JSON.stringify(report.diagnostics)).toBe(JSON.stringify([
      {
        file: "specs/messages/fragile.yaml",
        line: 8,
        column: 22,
        severity: "error",
        code: "button-title-too-long",
        message: 'Button title "This title is far too long for a button" is 39 characters; WhatsApp allows 20',
        side: "base",
      },
    ]));
  });

  test("json: a file that does not load is a diagnostic with a severity, exit 1", () => {
    repo.write({ "specs/messages/stray.yaml": "kind: Message\nname: [unclosed\n" });
    try {
      const r = run("--base", "HEAD", "--format", "json");
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as { diagnostics: unknown; otherProblems: { side: string; problems: { file: string }[] }[] };
      expect(report.otherProblems.map((p) => [p.side, p.problems.map((q) => q.file)])).toEqual([["head", ["specs/messages/stray.yaml"]]]);
      expect(report.diagnostics).toEqual([
        { file: "specs/messages/stray.yaml", line: 3, column: 1, severity: "error", code: "yaml-syntax", message: expect.any(String), side: "head" },
      ]);
    } finally {
      repo.write({ "specs/messages/stray.yaml": null });
    }
  });

  test("no changes: exit 0, also with --detailed-exitcode", () => {
    const r = run("--base", "HEAD", "--detailed-exitcode");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("msgc diff HEAD (<commit>) → working tree: No message or campaign changes.\n");
  });

  test("paths: only the specs under them", () => {
    const r = run("--base", "HEAD~1", "--detailed-exitcode", "specs/messages/welcome.yaml");
    expect(r.code).toBe(2);
    expect(r.stdout.split("\n")[0]).toBe("msgc diff HEAD~1 (<commit>) → working tree: 1 message (1 added).");
  });

  test("broken in the working tree: reported, exit 1 with and without --detailed-exitcode", () => {
    repo.write({ "specs/messages/welcome.yaml": fx.WELCOME.replace("text: \"Welcome, {{first_name}}!\"", "text: \"Welcome, {{first_nam}}!\"") });
    try {
      for (const flags of [[], ["--detailed-exitcode"]]) {
        const r = run("--base", "HEAD", ...flags);
        expect(r.code).toBe(1);
        expectGolden("diff/broken-head.txt", r.stdout);
      }
    } finally {
      repo.write({ "specs/messages/welcome.yaml": fx.WELCOME });
    }
  });

  test("--show-numbers: recipients in full", () => {
    const r = run("--base", "HEAD~1", "specs/campaigns");
    expect(r.stdout).toContain("spring/+1604•••0105");
    expect(r.stdout).not.toContain("+16045550105");
    const shown = run("--base", "HEAD~1", "--show-numbers", "specs/campaigns");
    expect(shown.stdout).toContain("spring/+16045550105");
  });

  test("missing revision: one line on stderr, exit 1", () => {
    const r = run("--base", "origin/nope");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe('msgc diff: git revision "origin/nope" not found (in a shallow clone, fetch it first: git fetch --depth=1 origin <branch>)\n');
  });

  test("usage: --base is required, formats are checked", () => {
    const missing = run();
    expect([missing.code, missing.stderr]).toEqual([64, "msgc diff: --base REF is required\nFor example: msgc diff --base origin/main.\n"]);
    expect(run("--base", "HEAD", "--format", "html").stderr).toBe('msgc diff: unknown format "html"\nUse one of: text, markdown, json.\n');
  });
});

describe("msgc diff far over GitHub's comment limit", () => {
  const repo = new TempRepo();
  const COUNT = 60;
  const spec = (i: number, word: string): string => `kind: Message
name: m${String(i).padStart(2, "0")}
samples:
  one: {}
session:
  text: "${`${word} `.repeat(400).trim()}"
window: session
`;
  beforeAll(() => {
    ensureBuilt();
    repo.write({ "msgc.config.yaml": fx.CONFIG });
    for (let i = 0; i < COUNT; i++) repo.write({ [`specs/messages/m${i}.yaml`]: spec(i, "before") });
    repo.commit("base");
    for (let i = 0; i < COUNT; i++) repo.write({ [`specs/messages/m${i}.yaml`]: spec(i, "after") });
  });
  afterAll(() => repo.remove());

  test("markdown: cut under 65,536 characters with a note saying what was left out", () => {
    const r = msgc(["diff", "--base", "HEAD", "--format", "markdown", "--detailed-exitcode"], { cwd: repo.dir, env: ENV });
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBeLessThanOrEqual(65_536);
    expect(r.stdout.split("\n")[0]).toBe(`**msgc diff**: ${COUNT} messages (${COUNT} changed).`);
    const note = r.stdout.slice(r.stdout.lastIndexOf("> **Cut"));
    const detailed = (r.stdout.match(/<details>/g) ?? []).length;
    expect(note).toMatch(new RegExp(`^> \\*\\*Cut to stay under GitHub's 65,536-character comment limit\\.\\*\\* ${COUNT - detailed} changed specs not shown: \`m\\d\\d\`(, \`m\\d\\d\`)*\\.`));
  });
});

describe("msgc diff when the project starts in this change", () => {
  const repo = new TempRepo();
  beforeAll(() => {
    ensureBuilt();
    repo.write({ "README.md": "# shop\n" });
    repo.commit("before msgc");
    repo.write({
      "msgc.config.yaml": fx.CONFIG,
      "specs/messages/welcome.yaml": fx.WELCOME,
      "specs/messages/bad.yaml": "kind: Message\nname: [oops\n",
    });
  });
  afterAll(() => repo.remove());

  test("everything is added, a file that does not load is reported, exit 1", () => {
    const r = msgc(["diff", "--base", "HEAD", "--detailed-exitcode"], { cwd: repo.dir, env: ENV });
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^msgc diff HEAD \([0-9a-f]{12}\) → working tree: 1 message \(1 added\); 1 file that does not load\.$/);
    expect(lines.slice(-3)).toEqual([
      "! does not load on the working tree:",
      "    specs/messages/bad.yaml:3:1 yaml-syntax Flow sequence in block collection must be sufficiently indented and end with a ]",
      "",
    ]);
  });
});
