#!/usr/bin/env node
// Run by `npm run build` after tsc: replaces dist/cli/commands/{validate,build}.js with one file
// each holding everything the command imports (our modules, yaml, handlebars, libphonenumber-js,
// csv-parse). Node 20 resolves, reads and links each of the ~300 modules of an unbundled start
// one by one, which made up about a quarter of `msgc validate`'s time.
//
// The plan worker (dist/runner/plan-worker.js, started by the parallel planner) is bundled in
// place the same way, so that each worker thread starts quickly. The planner finds it with
// `new URL("./plan-worker.js", import.meta.url)`, relative to dist/runner/; in a command's bundle
// that URL is rewritten to be relative to dist/cli/commands/.
//
// Only an optimization: behaviour is the same bundled or not, and without rolldown (it comes with
// vitest) the tsc output stays as it is. errors.js (and cli/io.js, which re-exports it) stay
// outside so that main.js and the command share the error classes (main.js maps them to exit
// codes with instanceof).
import { cp, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const commandsDir = join(root, "dist", "cli", "commands");
const shared = new Set([join(root, "dist", "cli", "io.js"), join(root, "dist", "errors.js")]);
const COMMANDS = ["validate", "build"];
const WORKER = join(root, "dist", "runner", "plan-worker.js");
const WORKER_URL = 'new URL("./plan-worker.js", import.meta.url)';
const MARK = /\n\/\/ msgc-script-sha256: [0-9a-f]{64}\n$/;
const WORKER_URL_FROM_COMMANDS = 'new URL("../../runner/plan-worker.js", import.meta.url)';

let rolldown;
try {
  ({ rolldown } = await import("rolldown"));
} catch {
  console.log("bundle-commands: rolldown is not installed; the commands stay unbundled");
  process.exit(0);
}

async function bundleInPlace(file, rewrite = (code) => code) {
  const bundle = await rolldown({
    input: file,
    platform: "node",
    logLevel: "warn",
    external: (id, importer) => importer !== undefined && id.startsWith(".") && shared.has(resolve(dirname(importer), id)),
  });
  const { output } = await bundle.generate({ file, format: "esm", sourcemap: true });
  await bundle.close();
  const [chunk] = output;
  const code = rewrite(chunk.code);
  // Written aside and renamed: a build that dies half-way leaves the tsc output, not half a file.
  await writeFile(`${file}.map`, chunk.map.toString());
  await writeWhole(file, code);
}

/** The command's bundle, with the plan worker found from dist/cli/commands/. */
function workerFromCommands(code) {
  const parts = code.split(WORKER_URL);
  if (parts.length === 1) return code;
  return parts.join(WORKER_URL_FROM_COMMANDS);
}

for (const name of COMMANDS) {
  try {
    await bundleInPlace(join(commandsDir, `${name}.js`), workerFromCommands);
  } catch (e) {
    console.log(`bundle-commands: ${name} stays unbundled (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
  }
}
// validate again as a CommonJS script, with the code V8 compiles while it validates this
// repository's specs, for Node 20, which keeps no compiled ES modules (src/cli/cached-command.ts).
// The module is then ended with the script's SHA-256: msgc runs the script only when the module
// it would otherwise import names it. Without them msgc imports the module as before.
async function writeCachedScript(name) {
  const file = join(commandsDir, `${name}.js`);
  const script = join(commandsDir, `${name}.cjs`);
  // Read before bundling and written back with the mark: the script is marked as made from this text.
  const moduleText = (await readFile(file, "utf8")).replace(MARK, "");
  const bundle = await rolldown({
    input: file,
    platform: "node",
    logLevel: "warn",
    external: (id, importer) => importer !== undefined && id.startsWith(".") && shared.has(resolve(dirname(importer), id)),
  });
  const { output } = await bundle.generate({ format: "cjs" });
  await bundle.close();
  const code = output[0].code;
  // A vm.Script has no loader for import(): a command that uses one keeps to its module.
  if (/\bimport\s*\(/.test(code)) throw new Error(`${name} uses import(), which its script could not run`);
  await writeWhole(script, code);
  const { loadCommandScript, codeCacheOf, scriptMarkFor } = await import(pathToFileURL(join(root, "dist", "cli", "cached-command.js")).href);
  await writeWhole(file, moduleText + scriptMarkFor(code));
  const loaded = await loadCommandScript(name, { cache: false });
  if (!loaded) throw new Error(`${name}.cjs did not load`);
  const exit = await validateOwnSpecs(loaded.run);
  if (exit !== 0) throw new Error(`validating the repository's specs exited ${exit}`);
  await writeWhole(`${script}.cache`, codeCacheOf(name, loaded.script));
}

/**
 * The repository's own specs (every kind of spec, an audience) validated by `run`, from a copy in
 * a project of its own: msgc looks for msgc.config.yaml up from where it runs, and the repository
 * has none, so run here it would validate whatever project a folder above holds.
 */
async function validateOwnSpecs(run) {
  const project = await mkdtemp(join(tmpdir(), "msgc-build-"));
  try {
    await writeFile(join(project, "msgc.config.yaml"), "specs: specs\n");
    await cp(join(root, "specs"), join(project, "specs"), { recursive: true });
    const quiet = { write: () => true, isTTY: false };
    return await run(["--quiet"], { stdout: quiet, stderr: quiet, stdin: process.stdin, env: {}, cwd: project });
  } finally {
    await rm(project, { recursive: true, force: true });
  }
}

/** Written aside (a name of this build's own) and renamed: a build that dies half-way, or another build at the same time, leaves no half a file. */
async function writeWhole(path, data) {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

try {
  await writeCachedScript("validate");
} catch (e) {
  await rm(join(commandsDir, "validate.cjs"), { force: true });
  console.log(`bundle-commands: validate has no cached script (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
}
try {
  await bundleInPlace(WORKER);
} catch (e) {
  console.log(`bundle-commands: the plan worker stays unbundled (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
}
