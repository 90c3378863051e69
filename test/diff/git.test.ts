import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { InputError } from "../../src/cli/io.js";
import { checkoutRevision, resolveRevision } from "../../src/runner/diff/git.js";
import { TempRepo } from "./git-repo.js";

function listTree(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listTree(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  ).sort();
}

describe("reading a revision with git", () => {
  const repo = new TempRepo();
  repo.write({ "proj/specs/a.yaml": "a: 1\n", "proj/specs/deep/b.csv": "phone\n+1\n", "other/x.txt": "x", "proj/bin.dat": "\u0000\u0001binary\n\n" });
  const first = repo.commit("first");
  repo.write({ "proj/specs/a.yaml": "a: 2\n", "proj/specs/c.yaml": "c: 1\n" });
  repo.commit("second");
  const clones: TempRepo[] = [];
  afterAll(() => {
    repo.remove();
    for (const c of clones) c.remove();
  });

  test("checkout: only the project's folder, with the contents at that revision", async () => {
    const location = await resolveRevision(join(repo.dir, "proj"), "HEAD~1");
    expect(location.commit).toBe(first);
    const checkout = await checkoutRevision(location, "proj");
    try {
      expect(listTree(checkout.top)).toEqual(["proj/bin.dat", "proj/specs/a.yaml", "proj/specs/deep/b.csv"]);
      expect(readFileSync(join(checkout.top, "proj/specs/a.yaml"), "utf8")).toBe("a: 1\n");
      expect(readFileSync(join(checkout.top, "proj/bin.dat"), "utf8")).toBe("\u0000\u0001binary\n\n");
    } finally {
      await checkout.remove();
    }
  });

  test("missing revision: one-line InputError", async () => {
    const error = await resolveRevision(repo.dir, "no-such-branch").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'msgc diff: git revision "no-such-branch" not found (in a shallow clone, fetch it first: git fetch --depth=1 origin <branch>)',
    );
  });

  test("option-looking revision is not passed to git as an option", async () => {
    await expect(resolveRevision(repo.dir, "--output=/tmp/x")).rejects.toThrow('git revision "--output=/tmp/x" not found');
  });

  test("not a repository: one-line InputError", async () => {
    await expect(resolveRevision("/", "HEAD")).rejects.toThrow("msgc diff: / is not inside a git repository");
  });

  test("shallow clone: works once the base was fetched, not before", async () => {
    repo.git("branch", "-f", "base", first);
    const clone = new TempRepo(join(repo.dir, "..", `${repo.dir.split("/").pop()}-clone`));
    clones.push(clone);
    repo.git("clone", "-q", "--depth=1", "--branch", "main", `file://${repo.dir}`, clone.dir);
    await expect(resolveRevision(clone.dir, "origin/base")).rejects.toThrow("not found");
    clone.git("fetch", "-q", "--depth=1", "origin", "base:refs/remotes/origin/base");
    const checkout = await checkoutRevision(await resolveRevision(clone.dir, "origin/base"), "proj/specs");
    try {
      expect(listTree(checkout.top)).toEqual(["proj/specs/a.yaml", "proj/specs/deep/b.csv"]);
      expect(readFileSync(join(checkout.top, "proj/specs/a.yaml"), "utf8")).toBe("a: 1\n");
    } finally {
      await checkout.remove();
    }
  });
});

describe("a hostile base revision", () => {
  const repo = new TempRepo();
  repo.write({ "specs/a.yaml": "a: 1\n" });
  repo.commit("first");
  const escaped = `ESCAPED-BY-MSGC-${process.pid}-${Date.now()}.yaml`;
  afterAll(() => {
    repo.remove();
    rmSync(join(tmpdir(), escaped), { force: true });
  });

  /** A commit whose tree is written by hand: `entries` as `git mktree` reads them. */
  const commitTree = (entries: string[]): string => {
    const tree = execFileSync("git", ["mktree"], { cwd: repo.dir, input: entries.map((e) => `${e}\n`).join(""), encoding: "utf8" }).trim();
    return execFileSync("git", ["commit-tree", tree, "-m", "hostile"], {
      cwd: repo.dir,
      encoding: "utf8",
      env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" },
    }).trim();
  };
  const blob = (text: string): string => execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: repo.dir, input: text, encoding: "utf8" }).trim();

  test("a tree with `..` entries is refused, and nothing is written outside the temporary folder", async () => {
    const inner = execFileSync("git", ["mktree"], { cwd: repo.dir, input: `100644 blob ${blob("kind: Message\n")}\t${escaped}\n`, encoding: "utf8" }).trim();
    const commit = commitTree([`040000 tree ${inner}\t..`]);
    const error = await checkoutRevision({ top: repo.dir, commit }, "").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`msgc diff: ${commit} holds the path "../${escaped}", which is not a plain relative path; refused`);
    expect(existsSync(join(tmpdir(), escaped))).toBe(false);
  });

  test("`.` and doubled entries are refused with one line, not a crash", async () => {
    const file = blob("a: 1\n");
    const dot = commitTree([`100644 blob ${file}\t.`]);
    const dotError = await checkoutRevision({ top: repo.dir, commit: dot }, "").catch((e: unknown) => e);
    expect((dotError as Error).message).toBe(`msgc diff: ${dot} holds the path ".", which is not a plain relative path; refused`);
    const twice = commitTree([`100644 blob ${file}\ta.yaml`, `100644 blob ${file}\ta.yaml`]);
    const twiceError = await checkoutRevision({ top: repo.dir, commit: twice }, "").catch((e: unknown) => e);
    expect(twiceError).toBeInstanceOf(InputError);
    expect((twiceError as Error).message).toBe('msgc diff: cannot write "a.yaml" of the base revision (EEXIST)');
  });
});
