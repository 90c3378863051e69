import { readFileSync, readdirSync } from "node:fs";
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
