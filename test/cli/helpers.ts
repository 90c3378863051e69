import { spawnSync, execFileSync } from "node:child_process";
import type { SpawnSyncOptions } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const cliPath = join(repoRoot, "dist", "cli", "main.js");

/** `npm test` builds first; a lone `npx vitest run test/cli` builds here when dist is missing. */
export function ensureBuilt(): void {
  if (existsSync(cliPath)) return;
  try {
    execFileSync(process.execPath, [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", join(repoRoot, "tsconfig.json")], {
      stdio: "ignore",
    });
  } catch {
    // tsc exits non-zero on type errors elsewhere but still emits.
  }
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
