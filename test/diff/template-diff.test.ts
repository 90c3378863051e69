/**
 * msgc diff over Template specs, on a real temporary git repository: a changed Template is listed
 * with its fields and the hint that a live template needs a new name, a Message that sends it
 * shows the new text as the customer reads it, an added Template is listed as added.
 * Golden files: test/fixtures/diff/templates.{txt,md}; UPDATE_GOLDEN=1 rewrites them.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, msgc } from "../cli/helpers.js";
import { expectGolden } from "../preview/golden-file.js";
import { TempRepo } from "./git-repo.js";

const template = (name: string, body: string) => `kind: Template
name: ${name}
category: utility
languages:
  en_US:
    body:
      text: "${body}"
      examples: ["Ana", "12345"]
`;
const MESSAGE = `kind: Message
name: shipped
vars:
  first_name: { type: string }
  order_id: { type: string }
samples:
  ana: { first_name: Ana, order_id: "12345" }
template:
  name: order_shipped_v2
  language: en_US
  body: ["{{first_name}}", "{{order_id}}"]
`;

describe("msgc diff with Template specs", () => {
  const repo = new TempRepo();
  const run = (...args: string[]) => {
    const r = msgc(["diff", ...args], { cwd: repo.dir, env: { NO_COLOR: "1" } });
    let stdout = r.stdout;
    for (const c of repo.git("rev-list", "--all").split("\n")) stdout = stdout.replaceAll(c, "<commit>").replaceAll(c.slice(0, 12), "<commit>");
    return { ...r, stdout };
  };

  beforeAll(() => {
    ensureBuilt();
    repo.write({
      "msgc.config.yaml": "specs: specs\n",
      "specs/templates/order-shipped.yaml": template("order_shipped_v2", "Hi {{1}}, order {{2}} has shipped."),
      "specs/messages/shipped.yaml": MESSAGE,
    });
    repo.commit("base");
    repo.write({
      "specs/templates/order-shipped.yaml": template("order_shipped_v2", "Hi {{1}}, your order {{2}} is on its way."),
      "specs/templates/welcome.yaml": template("welcome_v1", "Welcome {{1}}, your number is {{2}} today."),
    });
    repo.commit("head");
  });
  afterAll(() => repo.remove());

  test("text: the changed template with the hint, the message's sample as the customer reads it", () => {
    const r = run("--base", "HEAD~1");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("msgc diff HEAD~1 (<commit>) → working tree: 1 message (1 changed); 2 templates (1 changed, 1 added).");
    expect(r.stdout).toContain(
      '    hint: Connectly cannot update a template and Meta limits edits: if "order_shipped_v2" is live, give the new content a new name (order_shipped_v3)',
    );
    expectGolden("diff/templates.txt", r.stdout);
  });

  test("markdown: one section per changed template, the hint in it", () => {
    const r = run("--base", "HEAD~1", "--format", "markdown");
    expect(r.code).toBe(0);
    expect(r.stdout.match(/<details><summary>template /g)).toHaveLength(2);
    expectGolden("diff/templates.md", r.stdout);
  });

  test("json: templates with their status; --detailed-exitcode 2", () => {
    const r = run("--base", "HEAD~1", "--format", "json");
    const report = JSON.parse(r.stdout) as { templates: { name: string; status: string; hint?: string }[]; summary: { templates: Record<string, number> } };
    expect(report.templates.map((t) => `${t.name}:${t.status}`)).toEqual(["order_shipped_v2:changed", "welcome_v1:added"]);
    expect(report.summary.templates).toEqual({ added: 1, removed: 0, changed: 1, unchanged: 0, broken: 0 });
    expect(run("--base", "HEAD~1", "--detailed-exitcode").code).toBe(2);
  });
});
