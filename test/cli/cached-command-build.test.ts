/**
 * What `npm run build` does to make validate's cached script (scripts/bundle-commands.mjs): it
 * validates the repository's own specs and nothing else, even under a folder holding another
 * project, and two builds at once leave a script, its cache and a marked module that go together,
 * with no file of either left aside. A build killed between writing and renaming leaves its file
 * aside: the package does not ship it.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensureBuilt, repoRoot } from "./helpers.js";

type Loader = typeof import("../../src/cli/cached-command.js");
let parent: string;

beforeAll(() => {
  ensureBuilt();
  parent = mkdtempSync(join(tmpdir(), "msgc-cached-build-"));
}, 120_000);
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** Runs bundle-commands.mjs in `root`, recording every path node:fs/promises' stat is asked about. */
function bundle(root: string, log: string): Promise<{ code: number | null; out: string }> {
  const spy = join(parent, "spy.mjs");
  writeFileSync(
    spy,
    `import fs from "node:fs/promises";\nimport { appendFileSync } from "node:fs";\nconst stat = fs.stat;\nfs.stat = (path, ...rest) => (appendFileSync(${JSON.stringify(log)}, String(path) + "\\n"), stat(path, ...rest));\n`,
  );
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", pathToFileURL(spy).href, join(root, "scripts", "bundle-commands.mjs")], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    child.on("close", (code) => done({ code, out }));
  });
}

test("the build validates only the repository's specs, and two builds at once leave a script that runs with its cache", async () => {
  // A project in a folder above the repository: msgc would find its config by walking up.
  writeFileSync(join(parent, "msgc.config.yaml"), "specs: outside\n");
  mkdirSync(join(parent, "outside", "messages"), { recursive: true });
  writeFileSync(join(parent, "outside", "messages", "hi.yaml"), "kind: Message\nname: hi\nsession: { text: Hi }\n");
  const root = join(parent, "repo");
  mkdirSync(join(root, "scripts"), { recursive: true });
  copyFileSync(join(repoRoot, "scripts", "bundle-commands.mjs"), join(root, "scripts", "bundle-commands.mjs"));
  copyFileSync(join(repoRoot, "package.json"), join(root, "package.json"));
  cpSync(join(repoRoot, "dist"), join(root, "dist"), { recursive: true });
  cpSync(join(repoRoot, "specs"), join(root, "specs"), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(root, "node_modules"));

  const log = join(parent, "stat.log");
  const runs = await Promise.all([bundle(root, log), bundle(root, log)]);
  expect(runs).toEqual([
    { code: 0, out: "" },
    { code: 0, out: "" },
  ]);
  const asked = readFileSync(log, "utf8").split("\n");
  expect(asked.filter((path) => path.endsWith("msgc.config.yaml")).length).toBeGreaterThan(0);
  expect(asked.filter((path) => path.startsWith(parent) && !path.startsWith(root))).toEqual([]);

  const commands = join(root, "dist", "cli", "commands");
  expect(readdirSync(commands).filter((name) => name.startsWith("."))).toEqual([]);
  expect(readdirSync(join(root, "dist", "runner")).filter((name) => name.startsWith("."))).toEqual([]);
  const loader = (await import(pathToFileURL(join(repoRoot, "dist", "cli", "cached-command.js")).href)) as Loader;
  const loaded = await loader.loadCommandScript("validate", { cache: true, dir: join(root, "dist", "cli") });
  expect(loaded?.script.cachedDataRejected).toBe(false);
}, 120_000);

test("npm pack ships the script and its cache, not what a killed build left aside", () => {
  const root = join(parent, "repo");
  writeFileSync(join(root, "dist", "cli", "commands", ".validate.cjs.4242.tmp"), "half a scr");
  const packed = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", "--offline"], { cwd: root, encoding: "utf8", timeout: 60_000 });
  expect(packed.status).toBe(0);
  const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  expect(files.filter((path) => path.startsWith("dist/cli/commands/validate."))).toEqual([
    "dist/cli/commands/validate.cjs",
    "dist/cli/commands/validate.cjs.cache",
    "dist/cli/commands/validate.d.ts",
    "dist/cli/commands/validate.js",
  ]);
  expect(files.filter((path) => path.split("/").some((part) => part.startsWith(".")))).toEqual([]);
}, 60_000);
