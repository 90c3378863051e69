import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, msgc, repoRoot } from "../cli/helpers.js";

const FILES = [
  "msgc.config.yaml",
  "specs/messages/welcome.yaml",
  "specs/templates/welcome.yaml",
  "specs/campaigns/welcome-campaign.yaml",
  "specs/audiences/welcome.csv",
  ".github/workflows/msgc.yml",
];

describe("msgc init", () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "msgc-init-"));
    dirs.push(dir);
    return dir;
  };
  beforeAll(() => ensureBuilt());
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("scaffolds every file, and the result validates", () => {
    const parent = tempDir();
    const r = msgc(["init", "shop"], { cwd: parent });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").slice(0, 10)).toEqual([
      "Created a msgc project in shop:",
      ...FILES.map((f) => `  ${f}`),
      "  .vscode/settings.json (created)",
      "  .gitignore (created)",
      "",
    ]);
    const dir = join(parent, "shop");
    for (const f of FILES) expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("# msgc build output (campaign plans hold phone numbers)\n.msgc/\n");
    expect(readFileSync(join(dir, ".github/workflows/msgc.yml"), "utf8")).toBe(readFileSync(join(repoRoot, "examples/github/msgc-pr.yml"), "utf8"));
    expect(readFileSync(join(dir, "specs/audiences/welcome.csv"), "utf8").trimEnd().split("\n")).toHaveLength(6);

    const validate = msgc(["validate", "--format", "json"], { cwd: dir });
    expect(validate.code).toBe(0);
    expect(JSON.parse(validate.stdout)).toMatchObject({ ok: true, diagnostics: [] });
  });

  test("Next: steps that work as written (npx, an install that is not from the registry, a dry run without an account)", () => {
    const parent = tempDir();
    const r = msgc(["init", "my shop"], { cwd: parent });
    expect(r.code).toBe(0);
    expect(r.stdout.slice(r.stdout.indexOf("Next:"))).toBe(
      [
        "Next:",
        "  cd 'my shop'",
        "  npm install --save-dev <msgc .tgz or git URL>    not on the npm registry yet: see msgc's README, Install",
        "  npx msgc validate                                check every spec, sample and audience row",
        "  npx msgc preview                                 see each message as the customer will",
        "  npx msgc send welcome-campaign --dry-run         what would be sent; needs no account",
        "  npx msgc send welcome-campaign --sandbox --yes   send to a local test API, no account",
        "",
      ].join("\n"),
    );
    // Each step does what it says, here without CONNECTLY_API_KEY or a business id.
    const dir = join(parent, "my shop");
    expect(msgc(["send", "welcome-campaign", "--dry-run"], { cwd: dir })).toMatchObject({ code: 0, stderr: "" });
    expect(msgc(["send", "welcome-campaign", "--sandbox", "--yes"], { cwd: dir })).toMatchObject({ code: 0 });
  });

  test("modelines: relative paths from each file to node_modules/msgc/schema", () => {
    const dir = tempDir();
    expect(msgc(["init"], { cwd: dir }).code).toBe(0);
    const firstLine = (f: string): string => readFileSync(join(dir, f), "utf8").split("\n")[0]!;
    expect(firstLine("msgc.config.yaml")).toBe("# yaml-language-server: $schema=node_modules/msgc/schema/config.schema.json");
    expect(firstLine("specs/messages/welcome.yaml")).toBe("# yaml-language-server: $schema=../../node_modules/msgc/schema/message.schema.json");
    expect(firstLine("specs/campaigns/welcome-campaign.yaml")).toBe("# yaml-language-server: $schema=../../node_modules/msgc/schema/campaign.schema.json");
  });

  test(".vscode/settings.json maps every spec under specs/ and the config to node_modules/msgc's schemas", () => {
    const dir = tempDir();
    expect(msgc(["init"], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, ".vscode/settings.json"), "utf8")).toBe(`{
  "yaml.schemas": {
    "./node_modules/msgc/schema/spec.schema.json": [
      "specs/**/*.yaml",
      "specs/**/*.yml"
    ],
    "./node_modules/msgc/schema/config.schema.json": [
      "msgc.config.yaml"
    ]
  }
}
`);
  });

  test(".vscode/settings.json: merged into an existing one; one with comments is left as is", () => {
    const dir = tempDir();
    mkdirSync(join(dir, ".vscode"));
    const mine = { "editor.tabSize": 2, "yaml.schemas": { "./other.json": ["x.yaml"], "./node_modules/msgc/schema/spec.schema.json": ["old/*.yaml"] } };
    writeFileSync(join(dir, ".vscode/settings.json"), `\uFEFF${JSON.stringify(mine)}`);
    const r = msgc(["init"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("\n  .vscode/settings.json (updated)\n");
    expect(JSON.parse(readFileSync(join(dir, ".vscode/settings.json"), "utf8"))).toEqual({
      "editor.tabSize": 2,
      "yaml.schemas": {
        "./other.json": ["x.yaml"],
        "./node_modules/msgc/schema/spec.schema.json": ["specs/**/*.yaml", "specs/**/*.yml"],
        "./node_modules/msgc/schema/config.schema.json": ["msgc.config.yaml"],
      },
    });
    expect(readdirSync(join(dir, ".vscode"))).toEqual(["settings.json"]);
    expect(msgc(["init", "--force"], { cwd: dir }).stdout).not.toContain(".vscode");

    const commented = tempDir();
    mkdirSync(join(commented, ".vscode"));
    const jsonc = '{\n  // mine\n  "editor.tabSize": 2\n}\n';
    writeFileSync(join(commented, ".vscode/settings.json"), jsonc);
    const kept = msgc(["init"], { cwd: commented });
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain("\n  .vscode/settings.json (not plain JSON, left as is)\n");
    expect(readFileSync(join(commented, ".vscode/settings.json"), "utf8")).toBe(jsonc);

    const unwritable = tempDir();
    mkdirSync(join(unwritable, ".vscode/settings.json"), { recursive: true });
    const refused = msgc(["init"], { cwd: unwritable });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("msgc init: cannot write .vscode/settings.json (EISDIR)\n");
  });

  test(".vscode/settings.json: a linked one is updated where it lives; a FIFO or a huge one is not read", () => {
    const dir = tempDir();
    const elsewhere = join(tempDir(), "dotfiles-settings.json");
    writeFileSync(elsewhere, '{ "editor.tabSize": 4 }');
    mkdirSync(join(dir, ".vscode"));
    symlinkSync(elsewhere, join(dir, ".vscode/settings.json"));
    expect(msgc(["init"], { cwd: dir }).code).toBe(0);
    expect(lstatSync(join(dir, ".vscode/settings.json")).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(elsewhere, "utf8"))).toMatchObject({ "editor.tabSize": 4, "yaml.schemas": { "./node_modules/msgc/schema/config.schema.json": ["msgc.config.yaml"] } });

    const fifo = tempDir();
    mkdirSync(join(fifo, ".vscode"));
    execFileSync("mkfifo", [join(fifo, ".vscode/settings.json")]);
    const refused = msgc(["init"], { cwd: fifo });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("msgc init: cannot write .vscode/settings.json (not a file)\n");

    const huge = tempDir();
    mkdirSync(join(huge, ".vscode"));
    const big = `{ "a": "${"x".repeat(1024 * 1024)}" }`;
    writeFileSync(join(huge, ".vscode/settings.json"), big);
    const kept = msgc(["init"], { cwd: huge });
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain("\n  .vscode/settings.json (over 1 MiB, left as is)\n");
    expect(readFileSync(join(huge, ".vscode/settings.json"), "utf8")).toBe(big);
  });

  test("existing files: refused, nothing written; --force overwrites; .gitignore appended once", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "msgc.config.yaml"), "mine\n");
    writeFileSync(join(dir, ".gitignore"), "node_modules/");
    const refused = msgc(["init"], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("msgc init: msgc.config.yaml already exists; nothing was written (use --force to overwrite)\n");
    expect(existsSync(join(dir, "specs"))).toBe(false);
    expect(readFileSync(join(dir, "msgc.config.yaml"), "utf8")).toBe("mine\n");

    const forced = msgc(["init", "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, "msgc.config.yaml"), "utf8")).toContain("specs: specs\n");
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules/\n# msgc build output (campaign plans hold phone numbers)\n.msgc/\n");
    expect(msgc(["init", "--force"], { cwd: dir }).stdout).not.toContain(".gitignore");
  });

  test("usage: two folders is a usage error", () => {
    const r = msgc(["init", "a", "b"], { cwd: tempDir() });
    expect(r.code).toBe(64);
    expect(r.stderr).toBe('msgc init: give at most one folder\nRun "msgc init --help" for its options.\n');
  });
});
