/**
 * What `npm install <tarball>` gives a user: the packed file list, and the `msgc` bin run from the
 * unpacked tarball as npm lays it out (node_modules/msgc, node_modules/.bin/msgc), in a fresh
 * project outside this repository. The dependencies are this repository's own (linked): a test
 * never touches the registry, and npm cannot resolve them offline from a lockfile-only cache.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, repoRoot } from "../cli/helpers.js";

const work = mkdtempSync(join(tmpdir(), "msgc-pack-"));
let files: string[] = [];
let project = "";

function npm(args: string[], cwd: string): string {
  // --ignore-scripts: the build is ensureBuilt's; `prepare` would rebuild dist under other tests.
  return execFileSync("npm", [...args, "--ignore-scripts", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
}

function msgcBin(args: string[]) {
  const r = spawnSync(join(project, "node_modules", ".bin", "msgc"), args, { cwd: project, encoding: "utf8", env: { PATH: process.env.PATH } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  ensureBuilt();
  const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", work], repoRoot)) as [{ filename: string; files: { path: string }[] }];
  files = packed.files.map((f) => f.path).sort();
  // As npm installs it: the package under node_modules/msgc, its bin linked and executable.
  project = join(work, "shop");
  const installed = join(project, "node_modules", "msgc");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["xzf", join(work, packed.filename), "-C", installed, "--strip-components=1"]);
  symlinkSync(join(repoRoot, "node_modules"), join(installed, "node_modules"));
  mkdirSync(join(project, "node_modules", ".bin"));
  chmodSync(join(installed, "dist", "cli", "main.js"), 0o755);
  symlinkSync("../msgc/dist/cli/main.js", join(project, "node_modules", ".bin", "msgc"));
  writeFileSync(join(project, "package.json"), '{ "name": "shop", "private": true }\n');
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the npm tarball", () => {
  it("holds the build, the schemas, the docs, the examples, README and LICENSE; no source maps, sources or tests", () => {
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => /^(src|test|bench|scripts|specs|node_modules)\//.test(f))).toEqual([]);
    for (const f of ["LICENSE", "README.md", "package.json", "dist/cli/main.js", "dist/index.js", "dist/index.d.ts", "schema/message.schema.json", "examples/github/msgc-pr.yml"]) {
      expect(files).toContain(f);
    }
  });

  it("every file the README links to is in it, so the links work from node_modules/msgc", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const targets = [...readme.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    expect(targets.length).toBeGreaterThan(0);
    for (const target of new Set(targets)) expect(files).toContain(target);
  });

  it("LICENSE is the MIT license package.json names, for the msgc authors", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { license: string; scripts: Record<string, string> };
    expect(pkg.license).toBe("MIT");
    const license = readFileSync(join(repoRoot, "LICENSE"), "utf8");
    expect(license.split("\n").slice(0, 3)).toEqual(["MIT License", "", "Copyright (c) 2026 the msgc authors"]);
    // An install from a git URL builds dist/ through prepare.
    expect(pkg.scripts.prepare).toBe("npm run build");
  });

  it("installed in a fresh project, the msgc bin runs the README's first steps: init, validate, send --dry-run", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(msgcBin(["--version"])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    const init = msgcBin(["init"]);
    expect(init.code).toBe(0);
    // msgc is installed here already: no install step, and npx finds it.
    expect(init.stdout.slice(init.stdout.indexOf("Next:")).split("\n").slice(0, 2)).toEqual(["Next:", "  npx msgc validate                                check every spec, sample and audience row"]);
    expect(existsSync(join(project, ".github", "workflows", "msgc.yml"))).toBe(true);
    expect(msgcBin(["validate"])).toEqual({ code: 0, stdout: "2 specs, 2 samples, 5 recipients: 0 errors, 0 warnings\n", stderr: "" });
    const dry = msgcBin(["send", "welcome-campaign", "--dry-run"]);
    expect(dry).toMatchObject({ code: 0, stderr: "" });
    expect(dry.stdout.split("\n")[0]).toBe("Dry run: welcome-campaign -> api.connectly.ai, nothing sent");
    // The editor schema modelines that init writes point at files the package holds.
    const modeline = readFileSync(join(project, "specs", "messages", "welcome.yaml"), "utf8").split("\n")[0]!;
    expect(existsSync(join(project, "specs", "messages", modeline.replace("# yaml-language-server: $schema=", "")))).toBe(true);
  });
});
