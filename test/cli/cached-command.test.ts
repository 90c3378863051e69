/**
 * `msgc validate` from its CommonJS script and V8's code cache (src/cli/cached-command.ts), as
 * the built binary runs it on Node 20: the same output and exit code as the ES module, the cache
 * really used, and never a stale script or a cache made from other text.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { CliIo, CommandHandler } from "../../src/cli/io.js";
import { ensureBuilt, makeProject, msgc, repoRoot } from "./helpers.js";

type Loader = typeof import("../../src/cli/cached-command.js");
let loader: Loader;
const dist = join(repoRoot, "dist", "cli");
const folders: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  loader = (await import(pathToFileURL(join(dist, "cached-command.js")).href)) as Loader;
}, 120_000);
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const BROKEN = {
  "msgc.config.yaml": "specs: specs\n",
  "specs/messages/hello.yaml": "kind: Message\nname: hello\nsession:\n  text: |\n    Hi {{frist_name}}!\nvars:\n  first_name: { type: string }\n",
  "specs/messages/bye.yaml": "kind: Message\nname: bye\nsession: { text: Bye }\ncolour: red\n",
};

async function runWith(run: CommandHandler, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: { write: (s: string) => ((stdout += s), true), isTTY: false },
    stderr: { write: (s: string) => ((stderr += s), true), isTTY: false },
    stdin: process.stdin,
    env: {},
    cwd,
  } as unknown as CliIo;
  return { code: await run(args, io), stdout, stderr };
}

describe("validate from its cached script", () => {
  test("the same diagnostics and exit code as the ES module, with V8's cache accepted", async () => {
    const project = makeProject(BROKEN);
    folders.push(project);
    const module = (await import(pathToFileURL(join(dist, "commands", "validate.js")).href)) as { run: CommandHandler };
    const cached = await loader.loadCommandScript("validate", { cache: true });
    expect(cached).toBeDefined();
    expect(cached!.script.cachedDataRejected).toBe(false);
    for (const args of [["--format", "json"], []]) {
      const fromModule = await runWith(module.run, args, project);
      expect(fromModule.code).toBe(1);
      expect(await runWith(cached!.run, args, project)).toEqual(fromModule);
    }
    // The binary (which loads the script) says the same, and a usage error is still exit 64.
    const binary = msgc(["validate", "--format", "json"], { cwd: project });
    expect([binary.code, binary.stdout]).toEqual([1, (await runWith(module.run, ["--format", "json"], project)).stdout]);
    expect(msgc(["validate", "--bogus"], { cwd: project })).toEqual({ code: 64, stdout: "", stderr: 'msgc validate: unknown option --bogus\nRun "msgc validate --help" for its options.\n' });
  });

  test("the script runs only when its module names it, whatever the files' times; a cache made from other text is never used", async () => {
    const dir = mkdtempSync(join(tmpdir(), "msgc-cached-command-"));
    folders.push(dir);
    mkdirSync(join(dir, "commands"));
    const file = (name: string): string => join(dir, "commands", name);
    for (const name of ["validate.js", "validate.cjs", "validate.cjs.cache"]) copyFileSync(join(dist, "commands", name), file(name));
    const now = Date.now() / 1000;
    const project = makeProject(BROKEN);
    folders.push(project);
    const marked = readFileSync(file("validate.js"), "utf8");
    const script = readFileSync(file("validate.cjs"), "utf8");

    // A tarball or a copy writes the files in its own order: an older script is still the module's.
    utimesSync(file("validate.cjs"), now - 60, now - 60);
    utimesSync(file("validate.js"), now, now);
    const older = await loader.loadCommandScript("validate", { cache: true, dir });
    expect(older?.script.cachedDataRejected).toBe(false);
    expect((await runWith(older!.run, ["--quiet"], project)).code).toBe(1);

    // A `tsc` alone rewrites the module without the mark: the script is stale even when it is newer.
    const unmarked = marked.replace(/\n\/\/ msgc-script-sha256: [0-9a-f]{64}\n$/, "\n");
    expect(unmarked).not.toBe(marked);
    writeFileSync(file("validate.js"), unmarked);
    utimesSync(file("validate.cjs"), now + 60, now + 60);
    expect(await loader.loadCommandScript("validate", { cache: true, dir })).toBeUndefined();

    // Other text of the same length in the script, newer than the module: never run.
    writeFileSync(file("validate.js"), marked);
    writeFileSync(file("validate.cjs"), `${script.slice(0, -12)}\n/* other */`);
    expect(readFileSync(file("validate.cjs")).length).toBe(Buffer.byteLength(script));
    utimesSync(file("validate.cjs"), now + 60, now + 60);
    expect(await loader.loadCommandScript("validate", { cache: true, dir })).toBeUndefined();

    // The module's own script with a cache made from other text: compiled from its text, the cache left aside.
    writeFileSync(file("validate.cjs"), script);
    const cache = readFileSync(file("validate.cjs.cache"));
    cache[0] = cache[0]! ^ 0xff;
    writeFileSync(file("validate.cjs.cache"), cache);
    const loaded = await loader.loadCommandScript("validate", { cache: true, dir });
    expect(loaded).toBeDefined();
    expect(loaded!.script.cachedDataRejected).toBeUndefined();
    expect((await runWith(loaded!.run, ["--quiet"], project)).code).toBe(1);
  });

  test("a FIFO in place of the module, the script or the cache: the ES module, without waiting for a writer", () => {
    const dir = mkdtempSync(join(tmpdir(), "msgc-cached-command-"));
    folders.push(dir);
    mkdirSync(join(dir, "commands"));
    const names = ["validate.js", "validate.cjs", "validate.cjs.cache"];
    // In a child: a read that blocks would block this test's own thread.
    const load = `import(${JSON.stringify(pathToFileURL(join(dist, "cached-command.js")).href)}).then(async (l) => { const s = await l.loadCommandScript("validate", { cache: true, dir: ${JSON.stringify(dir)} }); console.log(s ? String(s.script.cachedDataRejected) : "none"); })`;
    const results = names.map((fifo) => {
      for (const name of names) rmSync(join(dir, "commands", name), { force: true });
      for (const name of names) if (name !== fifo) copyFileSync(join(dist, "commands", name), join(dir, "commands", name));
      expect(spawnSync("mkfifo", [join(dir, "commands", fifo)]).status).toBe(0);
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", load], { encoding: "utf8", timeout: 20_000 });
      return [fifo, r.signal, r.stdout.trim()];
    });
    expect(results).toEqual([
      ["validate.js", null, "none"],
      ["validate.cjs", null, "none"],
      ["validate.cjs.cache", null, "undefined"],
    ]);
  }, 90_000);
});
