/**
 * `msgc validate` started from V8's code cache on Node 20. Node >= 22 keeps compiled ES modules
 * on disk by itself (enableCompileCache in main.ts); Node 20 has no cache for ES modules, and
 * compiling the command's 1.4 MB bundle was a fifth of a validate run on a 400-file project.
 * `npm run build` (scripts/bundle-commands.mjs) writes the same bundle as a CommonJS script,
 * `commands/validate.cjs`, and the code V8 compiled while validating the repository's own specs,
 * `commands/validate.cjs.cache`. This loads the script with that cache.
 *
 * Only ever faster, never different: the script is used only when the ES module ends with the
 * script's SHA-256 (the build appends it once the script is written), so a `tsc` alone (which
 * rewrites the module without it), a build killed half-way, two builds at once, or a script
 * edited by hand leave the script aside. File times are not trusted: a tarball or a copy sets
 * them in whatever order it writes the files. The cache is used only when it carries that same
 * SHA-256 (V8 checks its version and flags itself and refuses a cache that does not match them),
 * and anything missing, refused or failing falls back to importing the ES module as before. The script shares `io.js` and `errors.js` with main.js,
 * so the error classes that map to exit codes are the same objects.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import nodeModule, { createRequire } from "node:module";
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

/** Ending the ES module, written by the build: the SHA-256 of the script made from it. */
const SCRIPT_MARK = "\n// msgc-script-sha256: ";
const MARK_BYTES = SCRIPT_MARK.length + 2 * HASH_BYTES + 1;

function hashOf(source: string): Buffer {
  return createHash("sha256").update(source).digest();
}

/** The line the build appends to the ES module once `source` is written as its script. */
export function scriptMarkFor(source: string): string {
  return `${SCRIPT_MARK}${hashOf(source).toString("hex")}\n`;
}

/**
 * Opens `path` for `read` only when it is a regular file: a FIFO or a device in its place would
 * block the read, and msgc with it (opened non-blocking, so that the open does not block either).
 */
function readRegular<T>(path: string, read: (fd: number, size: number) => T): T | undefined {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    return stat.isFile() ? read(fd, stat.size) : undefined;
  } finally {
    closeSync(fd);
  }
}

/** The script's SHA-256 that the module at `path` names in its last line, if any. */
function scriptHashNamedBy(path: string): string | undefined {
  return readRegular(path, (fd, size) => {
    if (size < MARK_BYTES) return undefined;
    const tail = Buffer.alloc(MARK_BYTES);
    readSync(fd, tail, 0, MARK_BYTES, size - MARK_BYTES);
    return /^\n\/\/ msgc-script-sha256: ([0-9a-f]{64})\n$/.exec(tail.toString("latin1"))?.[1];
  });
}

/** The cache for the script whose SHA-256 is `hash`, when the file holds one made from it. */
function cacheFor(path: string, hash: Buffer): Buffer | undefined {
  let cache: Buffer | undefined;
  try {
    cache = readRegular(`${path}.cache`, (fd) => readFileSync(fd));
  } catch {
    return undefined;
  }
  return cache && cache.length > HASH_BYTES && hash.equals(cache.subarray(0, HASH_BYTES)) ? cache.subarray(HASH_BYTES) : undefined;
}

/** Compiles and runs the CommonJS bundle of `name`; undefined when there is none, or the module does not name it. */
export async function loadCommandScript(name: CachedCommand, opts: { cache: boolean; dir?: string }): Promise<LoadedScript | undefined> {
  const path = scriptPath(name, opts.dir);
  let named: string | undefined;
  let source: string | undefined;
  try {
    named = scriptHashNamedBy(modulePath(name, opts.dir));
    source = named === undefined ? undefined : readRegular(path, (fd) => readFileSync(fd, "utf8"));
  } catch {
    return undefined;
  }
  if (source === undefined) return undefined;
  const hash = hashOf(source);
  if (named !== hash.toString("hex")) return undefined;
  const cachedData = opts.cache ? cacheFor(path, hash) : undefined;
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
  // Node >= 22.1 caches the ES module itself (main.ts enables it), with no cache to go stale.
  if (typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === "function") return undefined;
  try {
    return (await loadCommandScript(name, { cache: true }))?.run;
  } catch {
    // Only ever faster: whatever went wrong, the ES module is the command.
    return undefined;
  }
}

/** The cache file's bytes for a script that has run: its hash, then V8's data. */
export function codeCacheOf(name: CachedCommand, script: vm.Script, dir?: string): Buffer {
  return Buffer.concat([hashOf(readFileSync(scriptPath(name, dir), "utf8")), script.createCachedData()]);
}
