import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, msgc, repoRoot } from "../cli/helpers.js";

const FILES = [
  "msgc.config.yaml",
  "specs/messages/welcome.yaml",
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
    expect(r.stdout.split("\n").slice(0, 8)).toEqual([
      "Created a msgc project in shop:",
      ...FILES.map((f) => `  ${f}`),
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
