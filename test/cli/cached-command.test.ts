/**
 * `msgc validate` from its CommonJS script and V8's code cache (src/cli/cached-command.ts), as
 * the built binary runs it on Node 20: the same output and exit code as the ES module, the cache
 * really used, and never a stale script or a cache made from other text.
 */
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

  test("a script older than its module is never run; a cache made from other text is never used", async () => {
    const dir = mkdtempSync(join(tmpdir(), "msgc-cached-command-"));
    folders.push(dir);
    mkdirSync(join(dir, "commands"));
    for (const file of ["validate.js", "validate.cjs", "validate.cjs.cache"]) copyFileSync(join(dist, "commands", file), join(dir, "commands", file));
    const now = Date.now() / 1000;
    // A `tsc` alone rewrites the module after the build made the script: the script is stale.
    utimesSync(join(dir, "commands", "validate.cjs"), now - 60, now - 60);
    utimesSync(join(dir, "commands", "validate.js"), now, now);
    expect(await loader.loadCommandScript("validate", { cache: true, dir })).toBeUndefined();
    // A script changed after its cache was made: compiled from its text, the cache left aside.
    writeFileSync(join(dir, "commands", "validate.cjs"), `${readFileSync(join(dir, "commands", "validate.cjs"), "utf8")}\n// changed\n`);
    utimesSync(join(dir, "commands", "validate.cjs"), now + 60, now + 60);
    const loaded = await loader.loadCommandScript("validate", { cache: true, dir });
    expect(loaded).toBeDefined();
    expect(loaded!.script.cachedDataRejected).toBeUndefined();
    const project = makeProject(BROKEN);
    folders.push(project);
    expect((await runWith(loaded!.run, ["--quiet"], project)).code).toBe(1);
  });
});
