import { spawnSync, execFileSync } from "node:child_process";
import type { SpawnSyncOptions } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const cliPath = join(repoRoot, "dist", "cli", "main.js");

/** The newest modification time of any file under `dir` (0 when there is none). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The build is missing, or some source file changed after it was made. */
export function isStale(srcDir: string, builtFile: string): boolean {
  if (!existsSync(builtFile)) return true;
  return newestMtime(srcDir) > statSync(builtFile).mtimeMs;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Test files run in parallel workers: one tsc at a time (a mkdir lock), and each one checks
 * again once it holds the lock, so a build another worker just made is not redone.
 */
function withBuildLock<T>(lockDir: string, body: () => T): T {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // A lock older than any build is left over from a killed run.
      const lockedAt = statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - lockedAt > 180_000 || Date.now() > deadline) {
        rmSync(lockDir, { recursive: true, force: true });
      }
      Atomics.wait(sleeper, 0, 0, 100);
    }
  }
  try {
    return body();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * `npm test` builds first; a lone `npx vitest run test/cli` builds here when dist is missing or
 * older than a file under src/, so that it never tests a stale binary. Throws when no binary
 * comes out of it: a test of the binary must fail, never skip, without one.
 */
export function ensureBuilt(): void {
  const srcDir = join(repoRoot, "src");
  if (!isStale(srcDir, cliPath)) return;
  mkdirSync(dirname(dirname(cliPath)), { recursive: true });
  withBuildLock(join(dirname(dirname(cliPath)), ".build-lock"), () => {
    if (!isStale(srcDir, cliPath)) return;
    const startedAt = new Date();
    try {
      execFileSync(process.execPath, [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", join(repoRoot, "tsconfig.json")], {
        stdio: "ignore",
      });
    } catch {
      // tsc exits non-zero on type errors elsewhere but still emits.
    }
    if (!existsSync(cliPath)) throw new Error(`building msgc did not produce ${cliPath}: run npx tsc -p tsconfig.json to see why`);
    // The rest of `npm run build`: the commands and the plan worker bundled, as the package ships them.
    execFileSync(process.execPath, [join(repoRoot, "scripts", "bundle-commands.mjs")], { stdio: "ignore" });
    // tsc leaves an unchanged output as it was; the stamp says the build covers sources up to now.
    utimesSync(cliPath, startedAt, startedAt);
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function msgc(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const spawnOpts: SpawnSyncOptions = {
    cwd: opts.cwd ?? repoRoot,
    env: { PATH: process.env.PATH, ...opts.env },
    encoding: "utf8",
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  };
  if (opts.input !== undefined) spawnOpts.input = opts.input;
  const r = spawnSync(process.execPath, [cliPath, ...args], spawnOpts);
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A throwaway project: `files` maps project-relative paths to contents. */
export function makeProject(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "msgc-cli-"));
  for (const [path, content] of Object.entries(files)) {
    const abs = join(dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
  return dir;
}

/** What a stack trace looks like in Node's output. */
export const STACK_TRACE = /\n\s+at .+[:(]\d+:\d+\)?/;
