import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import { repoRoot } from "../cli/helpers.js";

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

const workflow = parse(readFileSync(join(repoRoot, "examples/github/msgc-pr.yml"), "utf8")) as {
  on: { pull_request: unknown };
  permissions: Record<string, string>;
  jobs: { msgc: { steps: Step[] } };
};
const steps = workflow.jobs.msgc.steps;
const step = (name: string): Step => steps.find((s) => s.name === name)!;

describe("GitHub workflow example", () => {
  test("runs validate with annotations and the markdown diff against the base branch", () => {
    expect(workflow.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    expect(step("Validate").run).toBe("npx msgc validate --format github");
    expect(step("Fetch the base branch").run).toBe('git fetch --no-tags --depth=1 origin "$BASE_REF"');
    expect(step("Diff against the base branch").env).toEqual({ BASE_REF: "${{ github.base_ref }}" });
    expect(step("Diff against the base branch").run).toContain(
      'npx msgc diff --base "origin/$BASE_REF" --format markdown --detailed-exitcode > msgc-diff.md || code=$?',
    );
  });

  // The comment script run for real against a fake GitHub API: one sticky comment per PR.
  type Comment = { id: number; body: string; user: { type: string } };
  async function runCommentScript(
    exitCode: string,
    existing: Comment[],
    templates?: { exitCode: string; plan: string },
  ): Promise<{ created: string[]; updated: [number, string][] }> {
    const script = step("Post or update the sticky comments").with!.script!;
    const dir = mkdtempSync(join(tmpdir(), "msgc-workflow-"));
    const created: string[] = [];
    const updated: [number, string][] = [];
    const github = {
      paginate: async (_fn: unknown, _args: unknown) => existing,
      rest: {
        issues: {
          listComments: () => undefined,
          createComment: async ({ body }: { body: string }) => void created.push(body),
          updateComment: async ({ comment_id, body }: { comment_id: number; body: string }) => void updated.push([comment_id, body]),
        },
      },
    };
    const context = { repo: { owner: "o", repo: "r" }, issue: { number: 7 } };
    const cwd = process.cwd();
    try {
      writeFileSync(join(dir, "msgc-diff.md"), "**msgc diff**: 1 message (1 changed).\n");
      if (templates) writeFileSync(join(dir, "msgc-templates-plan.md"), templates.plan);
      process.chdir(dir);
      const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
      const fakeProcess = { env: { DIFF_EXIT_CODE: exitCode, ...(templates ? { TEMPLATES_EXIT_CODE: templates.exitCode } : {}) } };
      await new AsyncFunction("require", "github", "context", "process", script)(createRequire(import.meta.url), github, context, fakeProcess);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
    return { created, updated };
  }

  test("changes, no comment yet: creates one, with the marker", async () => {
    expect(await runCommentScript("2", [{ id: 1, body: "LGTM", user: { type: "User" } }])).toEqual({
      created: ["<!-- msgc-diff -->\n**msgc diff**: 1 message (1 changed).\n"],
      updated: [],
    });
  });

  test("changes, comment exists: updates it in place", async () => {
    const mine = { id: 42, body: "<!-- msgc-diff -->\nold", user: { type: "Bot" } };
    expect(await runCommentScript("2", [mine])).toEqual({ created: [], updated: [[42, "<!-- msgc-diff -->\n**msgc diff**: 1 message (1 changed).\n"]] });
  });

  test("no changes, no comment: nothing posted", async () => {
    expect(await runCommentScript("0", [])).toEqual({ created: [], updated: [] });
  });

  test("no changes any more: the earlier comment says so", async () => {
    const mine = { id: 42, body: "<!-- msgc-diff -->\nold", user: { type: "Bot" } };
    expect(await runCommentScript("0", [mine])).toEqual({
      created: [],
      updated: [[42, "<!-- msgc-diff -->\n**msgc diff**: no message or campaign changes any more."]],
    });
  });

  describe("the templates plan comment", () => {
    test("runs the markdown plan with --detailed-exitcode only when the key is a secret, and fails the job on exit 1", () => {
      const plan = step("Plan the templates");
      expect(plan.env).toEqual({ CONNECTLY_API_KEY: "${{ secrets.CONNECTLY_API_KEY }}" });
      expect(plan.run).toContain('if [ -z "$CONNECTLY_API_KEY" ]; then');
      expect(plan.run).toContain("npx msgc templates plan --format markdown --detailed-exitcode > msgc-templates-plan.md || code=$?");
      expect(step("Post or update the sticky comments").env).toEqual({
        DIFF_EXIT_CODE: "${{ steps.diff.outputs.exit_code }}",
        TEMPLATES_EXIT_CODE: "${{ steps.templates.outputs.exit_code }}",
      });
    });

    // What `msgc templates plan --format markdown` starts with (test/templates/golden/plan.md).
    const toCreate = "<!-- msgc-templates-plan -->\n<!-- msgc-templates-plan: create=1 differs=0 -->\n**msgc templates plan**: 1 to create.\n";
    const differs = "<!-- msgc-templates-plan -->\n<!-- msgc-templates-plan: create=0 differs=1 -->\n**msgc templates plan**: 1 differs.\n";
    const inSync = "<!-- msgc-templates-plan -->\n<!-- msgc-templates-plan: create=0 differs=0 -->\n**msgc templates plan**: 3 in sync.\n";

    test("something to create: a second comment beside the diff's, msgc's markdown as it is", async () => {
      expect(await runCommentScript("2", [], { exitCode: "2", plan: toCreate })).toEqual({
        created: ["<!-- msgc-diff -->\n**msgc diff**: 1 message (1 changed).\n", toCreate],
        updated: [],
      });
    });

    test("nothing to create but something differs: the comment is created too (a changed live template needs a new name)", async () => {
      expect(await runCommentScript("0", [], { exitCode: "0", plan: differs })).toEqual({ created: [differs], updated: [] });
    });

    test("all in sync and no comment yet: nothing posted; an earlier plan comment is updated in place", async () => {
      expect(await runCommentScript("0", [], { exitCode: "0", plan: inSync })).toEqual({ created: [], updated: [] });
      const mine = { id: 9, body: toCreate, user: { type: "Bot" } };
      const diff = { id: 42, body: "<!-- msgc-diff -->\nold", user: { type: "Bot" } };
      expect(await runCommentScript("2", [diff, mine], { exitCode: "0", plan: inSync })).toEqual({
        created: [],
        updated: [
          [42, "<!-- msgc-diff -->\n**msgc diff**: 1 message (1 changed).\n"],
          [9, inSync],
        ],
      });
    });

    test("the plan skipped (no secret): only the diff comment", async () => {
      expect(await runCommentScript("2", [], { exitCode: "", plan: "" })).toEqual({ created: ["<!-- msgc-diff -->\n**msgc diff**: 1 message (1 changed).\n"], updated: [] });
    });
  });
});

describe("GitLab CI example", () => {
  test("parses, fetches the target branch and runs the same diff", () => {
    const ci = parse(readFileSync(join(repoRoot, "examples/gitlab/.gitlab-ci.yml"), "utf8")) as { msgc: { script: string[] } };
    const script = ci.msgc.script.join("\n");
    expect(script).toContain('git fetch --no-tags --depth=1 origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"');
    expect(script).toContain('npx msgc diff --base "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" --format markdown --detailed-exitcode > msgc-diff.md || code=$?');
    expect(script).toContain("<!-- msgc-diff -->");
  });
});
