/**
 * `msgc validate` started from V8's code cache on Node 20. Node >= 22 keeps compiled ES modules
 * on disk by itself (enableCompileCache in main.ts); Node 20 has no cache for ES modules, and
 * compiling the command's 1.4 MB bundle was a fifth of a validate run on a 400-file project.
 * `npm run build` (scripts/bundle-commands.mjs) writes the same bundle as a CommonJS script,
 * `commands/validate.cjs`, and the code V8 compiled while validating the repository's own specs,
 * `commands/validate.cjs.cache`. This loads the script with that cache.
 *
 * Only ever faster, never different: the script is used only when it is newer than the ES module
 * it was made from (a `tsc` alone rewrites the module, so a stale script is never run), the cache
 * only when it carries the script's own SHA-256 (V8 checks its version and flags itself and
 * refuses a cache that does not match them), and anything missing, refused or failing falls back
 * to importing the ES module as before. The script shares `io.js` and `errors.js` with main.js,
 * so the error classes that map to exit codes are the same objects.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import type { CommandHandler } from "./io.js";

/** The commands built this way. */
export type CachedCommand = "validate";

/** Leading the cache file: the SHA-256 of the script it was made from. */
const HASH_BYTES = 32;

interface LoadedScript {
  run: CommandHandler;
  /** The compiled script: the build asks it for the code cache once it has run. */
  script: vm.Script;
}

/** dist/cli, where main.js and the commands are (a test may name a copy). */
const HERE = dirname(fileURLToPath(import.meta.url));

function scriptPath(name: CachedCommand, dir = HERE): string {
  return join(dir, "commands", `${name}.cjs`);
}

function modulePath(name: CachedCommand, dir = HERE): string {
  return join(dir, "commands", `${name}.js`);
}

/** The cache for `source`, when the file holds one made from exactly this text. */
function cacheFor(path: string, source: string): Buffer | undefined {
  let cache: Buffer;
  try {
    cache = readFileSync(`${path}.cache`);
  } catch {
    return undefined;
  }
  const hash = createHash("sha256").update(source).digest();
  return cache.length > HASH_BYTES && hash.equals(cache.subarray(0, HASH_BYTES)) ? cache.subarray(HASH_BYTES) : undefined;
}

/** Compiles and runs the CommonJS bundle of `name`; undefined when there is none, or it is older than the module. */
export async function loadCommandScript(name: CachedCommand, opts: { cache: boolean; dir?: string }): Promise<LoadedScript | undefined> {
  const path = scriptPath(name, opts.dir);
  try {
    if (statSync(path).mtimeMs < statSync(modulePath(name, opts.dir)).mtimeMs) return undefined;
  } catch {
    return undefined;
  }
  const source = readFileSync(path, "utf8");
  const cachedData = opts.cache ? cacheFor(path, source) : undefined;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: path,
    ...(cachedData ? { cachedData } : {}),
  });
  const shared: Record<string, unknown> = { "../io.js": await import("./io.js"), "../../errors.js": await import("../errors.js") };
  const requireBuiltin = createRequire(path);
  const require = (id: string): unknown => (Object.hasOwn(shared, id) ? shared[id] : requireBuiltin(id));
  const module = { exports: {} as { run?: CommandHandler } };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, path, dirname(path));
  const run = module.exports.run;
  return typeof run === "function" ? { run, script } : undefined;
}

/** The command's handler from its cached script, or undefined: import the ES module instead. */
export async function loadCachedCommand(name: CachedCommand): Promise<CommandHandler | undefined> {
  try {
    return (await loadCommandScript(name, { cache: true }))?.run;
  } catch {
    // Only ever faster: whatever went wrong, the ES module is the command.
    return undefined;
  }
}

/** The cache file's bytes for a script that has run: its hash, then V8's data. */
export function codeCacheOf(name: CachedCommand, script: vm.Script, dir?: string): Buffer {
  const source = readFileSync(scriptPath(name, dir), "utf8");
  return Buffer.concat([createHash("sha256").update(source).digest(), script.createCachedData()]);
}
