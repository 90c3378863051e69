/**
 * Reading the project as it is at a git revision, with git itself: `git ls-tree` lists the files
 * and one `git cat-file --batch` process streams their contents into a temporary folder. Only
 * objects already in the local repository are needed, so a shallow CI clone works as long as
 * the base revision was fetched.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { InputError } from "../../errors.js";

interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function git(args: string[], cwd: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
    child.on("error", (e: NodeJS.ErrnoException) => {
      reject(e.code === "ENOENT" ? new InputError("msgc diff needs git, and git was not found on PATH") : e);
    });
    child.on("close", (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }));
  });
}

export interface RepoLocation {
  /** Absolute path of the working tree's top folder. */
  top: string;
  /** The revision as a full commit id. */
  commit: string;
}

/** Finds the repository around `cwd` and resolves `ref` to a commit; one-line errors. */
export async function resolveRevision(cwd: string, ref: string): Promise<RepoLocation> {
  const top = await git(["rev-parse", "--show-toplevel"], cwd);
  if (top.code !== 0) throw new InputError(`msgc diff: ${cwd} is not inside a git repository`);
  if (ref.startsWith("-")) throw new InputError(`msgc diff: git revision "${ref}" not found`);
  const commit = await git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], cwd);
  if (commit.code !== 0) {
    throw new InputError(
      `msgc diff: git revision "${ref}" not found (in a shallow clone, fetch it first: git fetch --depth=1 origin <branch>)`,
    );
  }
  return { top: await realpath(top.stdout.toString("utf8").trim()), commit: commit.stdout.toString("utf8").trim() };
}

interface TreeEntry {
  object: string;
  path: string;
}

/** Regular files under `prefix` at `commit` (symlinks and submodules are left out on purpose). */
async function listFiles(top: string, commit: string, prefix: string): Promise<TreeEntry[]> {
  const args = ["ls-tree", "-r", "-z", "--full-tree", commit];
  if (prefix !== "") args.push("--", prefix);
  const result = await git(args, top);
  if (result.code !== 0) throw new InputError(`msgc diff: cannot list the files of ${commit}: ${result.stderr.split("\n")[0] ?? ""}`);
  const entries: TreeEntry[] = [];
  for (const record of result.stdout.toString("utf8").split("\0")) {
    const match = /^(\d{6}) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(record);
    if (!match || match[2] !== "blob" || (match[1] !== "100644" && match[1] !== "100755")) continue;
    const path = match[4] as string;
    // git itself never writes such a tree, but a fetched commit can hold one, and `..` parts
    // would write the file outside the temporary folder.
    if (path.split("/").some((part) => part === "" || part === "." || part === "..")) {
      throw new InputError(`msgc diff: ${commit} holds the path ${JSON.stringify(path)}, which is not a plain relative path; refused`);
    }
    entries.push({ object: match[3] as string, path });
  }
  return entries;
}

/** Where a tree entry goes under `into`; refused when it would land anywhere else. */
function targetOf(into: string, path: string): string {
  const target = join(into, ...path.split("/"));
  const rel = relative(into, target);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new InputError(`msgc diff: the path ${JSON.stringify(path)} would be written outside the temporary folder; refused`);
  }
  return target;
}

/** Streams every blob through one `git cat-file --batch` into `into/<path>`. */
function writeBlobs(top: string, entries: TreeEntry[], into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["cat-file", "--batch"], { cwd: top, stdio: ["pipe", "pipe", "pipe"] });
    let index = 0;
    let pending: Buffer = Buffer.alloc(0);
    let remaining = -1;
    let fd = -1;
    let failed: Error | undefined;
    const fail = (e: Error): void => {
      failed ??= e;
      child.kill();
    };
    const openNext = (): void => {
      const entry = entries[index] as TreeEntry;
      const target = targetOf(into, entry.path);
      try {
        mkdirSync(dirname(target), { recursive: true });
        // Exclusive: a path that is already there (a tree listing one twice) is never written through.
        fd = openSync(target, "wx");
      } catch (e) {
        throw new InputError(`msgc diff: cannot write ${JSON.stringify(entry.path)} of the base revision (${(e as NodeJS.ErrnoException).code ?? "error"})`);
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      if (failed) return;
      try {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          if (remaining < 0) {
            const newline = pending.indexOf(10);
            if (newline === -1) return;
            const header = pending.subarray(0, newline).toString("utf8");
            const size = /^[0-9a-f]+ blob (\d+)$/.exec(header);
            if (!size) throw new InputError(`msgc diff: git cat-file answered "${header}"`);
            remaining = Number(size[1]);
            pending = pending.subarray(newline + 1);
            openNext();
          }
          const take = Math.min(remaining, pending.length);
          if (take > 0) writeSync(fd, pending, 0, take);
          pending = pending.subarray(take);
          remaining -= take;
          if (remaining > 0 || pending.length === 0) return;
          // The blob is followed by one newline.
          closeSync(fd);
          fd = -1;
          pending = pending.subarray(1);
          remaining = -1;
          index++;
        }
      } catch (e) {
        fail(e as Error);
      }
    });
    child.stderr.resume();
    child.on("error", (e) => fail(e));
    child.on("close", () => {
      if (fd !== -1) closeSync(fd);
      if (failed) reject(failed);
      else if (index < entries.length) reject(new InputError(`msgc diff: git cat-file stopped after ${index} of ${entries.length} files`));
      else resolve();
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(entries.map((e) => `${e.object}\n`).join(""));
  });
}

export interface Checkout {
  /** Where the files of `prefix` now are (the same relative layout as in the repository). */
  top: string;
  remove(): Promise<void>;
}

/**
 * Writes the files under `prefix` (a repository-relative folder, "" for everything) as they are
 * at `commit` into a new temporary folder.
 */
export async function checkoutRevision(repo: RepoLocation, prefix: string): Promise<Checkout> {
  const top = await mkdtemp(join(tmpdir(), "msgc-diff-"));
  const remove = (): Promise<void> => rm(top, { recursive: true, force: true });
  try {
    const entries = await listFiles(repo.top, repo.commit, prefix);
    if (entries.length > 0) await writeBlobs(repo.top, entries, top);
    return { top, remove };
  } catch (e) {
    await remove();
    throw e;
  }
}

/** `absPath` relative to the repository's top, in git's `/` form ("" for the top itself). */
export function repoRelative(top: string, absPath: string): string {
  const rel = relative(top, absPath);
  if (rel.startsWith("..")) return "";
  return rel.split(sep).join("/");
}
