/**
 * `msgc templates plan | apply | status | pull` end to end: the built CLI against the sandbox
 * (or, for hostile lists, a plain HTTP server the test runs) over real HTTP.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, STACK_TRACE } from "../cli/helpers.js";
import { hasPty, runCli, runOnTerminal } from "../send/cli-helpers.js";
import type { RunResult } from "../send/cli-helpers.js";
import { useSandbox } from "../send/helpers.js";

const KEY = "ck_live_templates_0123456789";
const sandboxWith = useSandbox(KEY);

beforeAll(() => ensureBuilt(), 120_000);

const ORDER_UPDATE = `kind: Template
name: order_update
category: utility
languages:
  en_US:
    header: { text: "Order {{1}}", example: "12345" }
    body:
      text: "Hi {{1}}, your order is {{2}}."
      examples: ["Ana", "on its way"]
    footer: Lucky Shrub
    buttons:
      - { type: url, text: Track it, url: "https://t.example/track/{{1}}", example: "https://t.example/track/12345" }
      - { type: quick_reply, text: Talk to us }
      - { type: phone, text: Call us, phone: "+14155550100" }
  es:
    body:
      text: "Hola {{1}}, tu pedido está {{2}}."
      examples: ["Ana", "en camino"]
`;

const SPRING_CODE = `kind: Template
name: spring_code
category: marketing
languages:
  en:
    header: { image: "https://cdn.example.com/ferns.jpg" }
    body:
      text: "Hi {{1}}, enjoy {{2}} off this week with the code below."
      examples: ["Ana", "20%"]
    buttons:
      - { type: copy_code, example: SPRING20 }
`;

const projects: string[] = [];
function project(files: Record<string, string> = { "specs/templates/order-update.yaml": ORDER_UPDATE, "specs/templates/spring-code.yaml": SPRING_CODE }): string {
  const dir = makeProject({ "msgc.config.yaml": "businessId: biz-test\n", ...files });
  projects.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

function templates(args: string[], cwd: string, env: NodeJS.ProcessEnv = { CONNECTLY_API_KEY: KEY }): Promise<RunResult> {
  return runCli(["templates", ...args], { cwd, env });
}

/** A template created through the sandbox's API, as the dashboard would have made it. */
async function createRemote(url: string, name: string, body: string, language = "en", category = "UTILITY"): Promise<void> {
  const response = await fetch(`${url}/v1/businesses/biz-test/create/template`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": KEY },
    body: JSON.stringify({ name, language: { code: language }, category: `MESSAGE_TEMPLATE_GROUP_CATEGORY_${category}`, template_components: [{ body: { text: { text: body, example: ["Ana"] } } }] }),
  });
  expect(response.status).toBe(200);
}

function noKeyIn(result: RunResult): void {
  expect(result.stdout + result.stderr).not.toContain(KEY);
  expect(result.stderr).not.toMatch(STACK_TRACE);
}

const PLAN_ALL_CREATE = `msgc templates plan: business biz-test

  + order_update  en_US  create
  + order_update  es     create
  + spring_code   en     create

Plan: 3 to create, 0 in sync, 0 differ, 0 remote only.
`;

describe("msgc templates plan", () => {
  it("nothing remote: every (name, language) is to create; --detailed-exitcode says 2, without it 0", async () => {
    const box = await sandboxWith({ templates: [] });
    const dir = project();
    const plain = await templates(["plan", "--base-url", box.url], dir);
    expect([plain.code, plain.stdout, plain.stderr]).toEqual([0, PLAN_ALL_CREATE, ""]);
    const detailed = await templates(["plan", "--base-url", box.url, "--detailed-exitcode"], dir);
    expect([detailed.code, detailed.stdout]).toEqual([2, PLAN_ALL_CREATE]);
    // Two reads of the list, nothing created.
    expect(box.stats().requests).toBe(2);
    noKeyIn(detailed);
  });

  it("in sync (with its status), differs (with a new name), remote only; --detailed-exitcode 0 when nothing is to create", async () => {
    const box = await sandboxWith({ templates: [], reviewMs: 3_600_000 });
    const dir = project();
    expect((await templates(["apply", "--base-url", box.url, "--yes"], dir)).code).toBe(0);
    await createRemote(box.url, "legacy_notice", "Hello {{1}}, we moved.");
    // The Spanish body changed in git after it was created.
    writeFileSync(join(dir, "specs/templates/order-update.yaml"), ORDER_UPDATE.replace("tu pedido está", "su pedido está"));
    const result = await templates(["plan", "--base-url", box.url, "--detailed-exitcode"], dir);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout).toBe(`msgc templates plan: business biz-test

  = order_update   en_US  in sync, pending
  ~ order_update   es     differs (body), pending
      Connectly has no update endpoint and Meta limits edits of an approved template: give this content a new name, such as order_update_v2.
  = spring_code    en     in sync, pending
  ? legacy_notice  en     remote only, pending

Plan: 0 to create, 2 in sync, 1 differs, 1 remote only.
`);
    const json = JSON.parse((await templates(["plan", "--base-url", box.url, "--format", "json"], dir)).stdout) as { templates: unknown[]; summary: unknown };
    expect(json.summary).toEqual({ create: 0, "in-sync": 2, differs: 1, "remote-only": 1 });
    expect(json.templates[1]).toEqual({ name: "order_update", language: "es", file: "specs/templates/order-update.yaml", action: "differs", status: "pending", differences: ["body"], newName: "order_update_v2" });
  });

  it("--format markdown: a sticky comment with its marker first, the table, the new-name hint and the remote-only ones folded", async () => {
    const box = await sandboxWith({ templates: [] });
    const dir = project({ "specs/templates/order-update.yaml": ORDER_UPDATE });
    await createRemote(box.url, "legacy_notice", "Hello {{1}}, we moved.");
    await createRemote(box.url, "order_update", "Hi {{1}}, your order is {{2}}!", "es");
    const result = await templates(["plan", "--base-url", box.url, "--format", "markdown", "--detailed-exitcode"], dir);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe(readFileSync(join(import.meta.dirname, "golden/plan.md"), "utf8"));
  });

  it("names: only those templates; a name that is nowhere is one line, exit 1", async () => {
    const box = await sandboxWith({ templates: [] });
    const dir = project();
    const one = await templates(["plan", "spring_code", "--base-url", box.url], dir);
    expect(one.stdout).toContain("  + spring_code  en  create\n\nPlan: 1 to create");
    const status = await templates(["status", "order_update", "--base-url", box.url], dir);
    expect([status.code, status.stdout]).toEqual([1, "order_update  en_US  not created\norder_update  es     not created\n\n2 template languages: 2 not created.\n"]);
    const unknown = await templates(["plan", "no_such", "--base-url", box.url], dir);
    expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([1, "", 'msgc templates plan: no Template spec and no template of the business is named "no_such"\n']);
  });

  it("a Template spec that breaks a lint rule: its diagnostic, nothing read or created, exit 1", async () => {
    const box = await sandboxWith({ templates: [] });
    const dir = project({ "specs/templates/bad.yaml": ORDER_UPDATE.replace("footer: Lucky Shrub", "footer: Lucky {{1}}") });
    const result = await templates(["apply", "--base-url", box.url, "--yes"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("specs/templates/bad.yaml:10:19 error template-footer-invalid A footer cannot have variables ({{1}})\n");
    expect(box.stats().requests).toBe(0);
  });

  it("the target and key rules of send: no key, no business id, plain http elsewhere, --sandbox with --base-url are usage errors (64)", async () => {
    const dir = project();
    const noKey = await templates(["plan", "--base-url", "http://127.0.0.1:9"], dir, {});
    expect([noKey.code, noKey.stderr]).toEqual([64, "msgc templates plan: no API key: set CONNECTLY_API_KEY or pass --api-key-file PATH\nThe key is never taken from a flag value, a spec or the config file.\n"]);
    writeFileSync(join(dir, "msgc.config.yaml"), "{}\n");
    const noBusiness = await templates(["status", "--base-url", "http://127.0.0.1:9"], dir);
    expect([noBusiness.code, noBusiness.stderr.split("\n")[0]]).toEqual([64, "msgc templates status: no business id: set businessId in msgc.config.yaml or pass --business-id"]);
    const clear = await templates(["plan", "--base-url", "http://api.example.com", "--business-id", "b"], dir);
    expect(clear.code).toBe(64);
    expect(clear.stderr).toContain("would send the API key in clear text");
    const both = await templates(["plan", "--sandbox", "--base-url", "http://127.0.0.1:9"], dir);
    expect([both.code, both.stderr]).toEqual([64, "msgc templates plan: --sandbox cannot be combined with --base-url\n"]);
  });

  it("a list that cannot be read: one line with Connectly's answer, exit 1, the key in no output", async () => {
    const box = await sandboxWith({ apiKey: "another-key-0123456789" });
    const result = await templates(["plan", "--base-url", box.url], project());
    expect([result.code, result.stdout]).toEqual([1, ""]);
    expect(result.stderr).toBe(
      "msgc templates plan: could not read the business's templates (HTTP 401 ERROR_CODE_UNAUTHENTICATED: The X-API-Key header is missing or does not match the sandbox's API key)\n",
    );
    noKeyIn(result);
  });

  it("--sandbox: an in-process sandbox with no templates", async () => {
    const result = await templates(["plan", "--sandbox", "--detailed-exitcode", "--quiet"], project());
    expect([result.code, result.stdout]).toEqual([2, PLAN_ALL_CREATE.replace("business biz-test", "business sandbox")]);
  });
});

describe("msgc templates apply", () => {
  it("without --yes and no terminal: the plan, then a refusal (64), nothing created", async () => {
    const box = await sandboxWith({ templates: [] });
    const result = await templates(["apply", "--base-url", box.url], project());
    expect([result.code, result.stdout]).toEqual([64, PLAN_ALL_CREATE]);
    expect(result.stderr).toBe(
      "msgc templates apply: about to create 3 templates at business biz-test, but there is no terminal to confirm on\nAdd --yes to create them without asking: Meta reviews each one, and msgc cannot change or delete a created template.\n",
    );
    expect(box.stats().requests).toBe(1);
  });

  it.skipIf(!hasPty)("on a terminal without --yes: asks; y creates, Ctrl-D is a no (1), Ctrl-C cancels (130), nothing created", async () => {
    const box = await sandboxWith({ templates: [] });
    const dir = project();
    const env = { CONNECTLY_API_KEY: KEY };
    const args = ["templates", "apply", "spring_code", "--base-url", box.url];
    const cancelled = await runOnTerminal(args, dir, env, "ctrl-c");
    expect(cancelled.code).toBe(130);
    expect(cancelled.output).toContain("Create 1 template at business biz-test? [y/N] ");
    expect(cancelled.output.endsWith("\r\nCancelled, nothing created\r\n")).toBe(true);
    const no = await runOnTerminal(args, dir, env, "ctrl-d");
    expect([no.code, no.output.endsWith("Cancelled, nothing created\r\n")]).toEqual([1, true]);
    // Two reads of the list, nothing created.
    expect(box.stats().requests).toBe(2);
    const yes = await runOnTerminal(args, dir, env, "yes");
    expect(yes.code).toBe(0);
    expect(yes.output).toContain("created spring_code (en): pending\r\nCreated 1 of 1.\r\n");
  });

  it("--yes: creates each (name, language) once with the create request, prints the new statuses; status then shows them pending", async () => {
    const box = await sandboxWith({ templates: [], reviewMs: 3_600_000 });
    const dir = project();
    const result = await templates(["apply", "--base-url", box.url, "--yes"], dir);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout).toBe(`${PLAN_ALL_CREATE}created order_update (en_US): pending
created order_update (es): pending
created spring_code (en): pending
Created 3 of 3.
`);
    const again = await templates(["apply", "--base-url", box.url, "--yes"], dir);
    expect(again.stdout.endsWith("Plan: 0 to create, 3 in sync, 0 differ, 0 remote only.\nNothing to create.\n")).toBe(true);
    const status = await templates(["status", "--base-url", box.url], dir);
    expect([status.code, status.stdout]).toEqual([0, "order_update  en_US  pending\norder_update  es     pending\nspring_code   en     pending\n\n3 template languages: 3 pending.\n"]);
    noKeyIn(result);
  });

  it("an authentication Template with codeExpirationMinutes: created (the footer as code_expiration_minutes), then in sync", async () => {
    const box = await sandboxWith({ templates: [] });
    const login = "kind: Template\nname: login_code\ncategory: authentication\nlanguages:\n  en:\n    otp: { type: copy_code, codeExpirationMinutes: 10 }\n";
    const dir = project({ "specs/templates/login-code.yaml": login });
    const result = await templates(["apply", "--base-url", box.url, "--yes"], dir);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout.endsWith("created login_code (en): pending\nCreated 1 of 1.\n")).toBe(true);
    const again = await templates(["plan", "--base-url", box.url], dir);
    expect([again.code, again.stdout]).toEqual([0, "msgc templates plan: business biz-test\n\n  = login_code  en  in sync, approved\n\nPlan: 0 to create, 1 in sync, 0 differ, 0 remote only.\n"]);
  });

  it("--wait: follows the review through pending → approved, printing each change, exit 0", async () => {
    const box = await sandboxWith({ templates: [], reviewMs: 300 });
    const result = await templates(["apply", "spring_code", "--base-url", box.url, "--yes", "--wait", "1m"], project());
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout.slice(result.stdout.indexOf("created"))).toBe(`created spring_code (en): pending
Created 1 of 1.
Waiting for Meta's review (at most 1m) …
spring_code (en): pending → approved
Review: 1 approved, 0 rejected.
`);
  });

  it("--format json: one document on stdout (plan, creations, review), the progress on stderr; exit 1 on a rejection", async () => {
    const box = await sandboxWith({ templates: [], reviewMs: 300, rejectRate: 1 });
    const result = await templates(["apply", "spring_code", "--base-url", box.url, "--yes", "--wait", "1m", "--format", "json"], project());
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(document).toEqual({
      businessId: "biz-test",
      templates: [expect.objectContaining({ name: "spring_code", language: "en", action: "create" })],
      summary: { create: 1, "in-sync": 0, differs: 0, "remote-only": 0 },
      created: [{ name: "spring_code", language: "en", created: true, status: "pending" }],
      review: { templates: [{ name: "spring_code", language: "en", status: "rejected", reason: "INVALID_FORMAT" }], timedOut: false },
    });
    expect(result.stderr).toContain("created spring_code (en): pending\nCreated 1 of 1.\nWaiting for Meta's review (at most 1m) …\nspring_code (en): pending → rejected: INVALID_FORMAT\n");
    noKeyIn(result);
  });

  it("--wait: a rejection is printed with Meta's reason, exit 1", async () => {
    const box = await sandboxWith({ templates: [], reviewMs: 300, rejectRate: 1 });
    const result = await templates(["apply", "spring_code", "--base-url", box.url, "--yes", "--wait"], project());
    expect(result.code).toBe(1);
    expect(result.stdout.slice(result.stdout.indexOf("Waiting"))).toBe(`Waiting for Meta's review (at most 1h) …
spring_code (en): pending → rejected: INVALID_FORMAT
Review: 0 approved, 1 rejected.
  rejected spring_code (en): INVALID_FORMAT
`);
    const status = await templates(["status", "--base-url", box.url, "--format", "json"], project());
    expect(JSON.parse(status.stdout)).toEqual({ templates: [{ name: "spring_code", language: "en", status: "rejected", reason: "INVALID_FORMAT", file: "specs/templates/spring-code.yaml" }] });
  });

  it("--wait DURATION that ends with a template still pending: said, exit 1", async () => {
    const box = await sandboxWith({ templates: [], reviewMs: 3_600_000 });
    const result = await templates(["apply", "spring_code", "--base-url", box.url, "--yes", "--wait", "1s"], project());
    expect(result.code).toBe(1);
    expect(result.stdout.slice(result.stdout.indexOf("Review"))).toBe(
      "Review: 0 approved, 0 rejected, 1 pending.\nStill pending after 1s: spring_code (en); msgc templates status shows the review later.\n",
    );
  });

  it("a new language for a name Connectly holds in another category: differs (category), not created", async () => {
    const box = await sandboxWith({ templates: [] });
    await createRemote(box.url, "order_update", "Hi {{1}}, your order is {{2}}.", "fr", "MARKETING");
    const result = await templates(["apply", "--base-url", box.url, "--yes"], project());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("  ~ order_update  en_US  differs (category)\n");
    expect(result.stdout).toContain("created spring_code (en): pending\nCreated 1 of 1.\n");
  });

  it("--wait takes only a duration: anything else is a usage error", async () => {
    const result = await templates(["apply", "--yes", "--wait=soon", "--sandbox"], project());
    expect([result.code, result.stderr]).toEqual([64, 'msgc templates apply: --wait takes a duration such as 30s, 10m or 2h (at most 7 days), got "soon"\n']);
  });
});

describe("msgc templates pull", () => {
  it("writes valid, lint-clean Template specs for what the project lacks; plan then shows everything in sync (round trip)", async () => {
    const box = await sandboxWith({ templates: [] });
    const source = project();
    expect((await templates(["apply", "--base-url", box.url, "--yes"], source)).code).toBe(0);
    const fresh = project({});
    const result = await templates(["pull", "--base-url", box.url], fresh);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout).toBe(`wrote specs/templates/order-update.yaml: order_update (en_US, es)
wrote specs/templates/spring-code.yaml: spring_code (en)

Pull: 2 templates written, 0 already in the project, 0 not written.
`);
    expect(readFileSync(join(fresh, "specs/templates/order-update.yaml"), "utf8")).toBe(readFileSync(join(import.meta.dirname, "golden/pulled-order-update.yaml"), "utf8"));
    const validate = await runCli(["validate"], { cwd: fresh });
    expect([validate.code, validate.stdout]).toEqual([0, "0 specs, 0 samples, 0 recipients: 0 errors, 0 warnings\n"]);
    const plan = await templates(["plan", "--base-url", box.url, "--detailed-exitcode"], fresh);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("Plan: 0 to create, 3 in sync, 0 differ, 0 remote only.\n");
    const again = await templates(["pull", "--base-url", box.url], fresh);
    expect([again.code, again.stdout]).toEqual([0, "Pull: 0 templates written, 2 already in the project, 0 not written.\n"]);
  });

  it("never overwrites a file without --force; with --force it does", async () => {
    const box = await sandboxWith({ templates: [] });
    await createRemote(box.url, "legacy_notice", "Hello {{1}}, we moved.");
    const dir = project({ "specs/templates/legacy-notice.yaml": "# mine\n" });
    const refused = await templates(["pull", "--base-url", box.url], dir);
    expect([refused.code, refused.stdout]).toEqual([
      1,
      "not written: specs/templates/legacy-notice.yaml exists (--force overwrites it): legacy_notice (en)\n\nPull: 0 templates written, 0 already in the project, 1 not written.\n",
    ]);
    expect(readFileSync(join(dir, "specs/templates/legacy-notice.yaml"), "utf8")).toBe("# mine\n");
    const forced = await templates(["pull", "--base-url", box.url, "--force"], dir);
    expect([forced.code, forced.stdout.split("\n")[0]]).toEqual([0, "overwrote specs/templates/legacy-notice.yaml: legacy_notice (en)"]);
    expect(readFileSync(join(dir, "specs/templates/legacy-notice.yaml"), "utf8")).toContain("name: legacy_notice\n");
    // No temporary file left beside it.
    expect(readdirSync(join(dir, "specs/templates"))).toEqual(["legacy-notice.yaml"]);
  });

  it("--out is confined to the project", async () => {
    const box = await sandboxWith({ templates: [] });
    const dir = project({});
    const result = await templates(["pull", "--base-url", box.url, "--out", "../elsewhere"], dir);
    expect(result.code).toBe(64);
    expect(result.stderr.split("\n")[0]).toBe("msgc templates pull: --out ../elsewhere is outside the project");
    const inside = await templates(["pull", "--base-url", box.url, "--out", "imported"], dir);
    expect(inside.code).toBe(0);
  });
});

describe("hostile template lists", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.close();
    server?.closeAllConnections();
    server = undefined;
  });

  /** A server answering get/templates with `groups`, and create/template with a 400 that quotes the key. */
  async function listing(groups: unknown[]): Promise<string> {
    server = createServer((request, response) => {
      const create = request.url?.endsWith("/create/template") === true;
      response.writeHead(create ? 400 : 200, { "content-type": "application/json" });
      response.end(
        JSON.stringify(
          create
            ? { error: { code: "ERROR_CODE_INVALID_ARGUMENT", type: "ERROR_TYPE_INVALID_REQUEST", message: `refused for key ${KEY}` } }
            : { entity: { templateGroups: groups } },
        ),
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const group = (name: string, body = "Hello {{1}}.") => ({
    name,
    category: "UTILITY",
    templates: [{ language: { code: "en" }, status: "MESSAGE_TEMPLATE_STATUS_APPROVED", templateComponents: [{ body: { text: { text: body } } }] }],
  });

  it("pull: names that are paths, control characters or device names never choose where a file goes", async () => {
    const long = `a${"b".repeat(511)}`;
    const url = await listing([group("../../escape"), group("evil\u001b[31m"), group("con"), group(long), group(`leak_${KEY}`.toLowerCase())]);
    const dir = project({});
    const result = await templates(["pull", "--base-url", url], dir);
    expect(result.code).toBe(1);
    const files = readdirSync(join(dir, "specs/templates")).sort();
    expect(files).toEqual([expect.stringMatching(/^ab{90}-[0-9a-f]{8}\.yaml$/), "con-template.yaml"]);
    expect(result.stdout).toContain("not written: leak_[redacted]: it holds the API key\n");
    expect(existsSync(join(dir, "..", "escape.yaml"))).toBe(false);
    expect(result.stdout).toContain('not written: "../../escape" is not a Meta template name\n');
    expect(result.stdout).toContain('not written: "evil?[31m" is not a Meta template name\n');
    expect(result.stdout).not.toContain("\u001b");
    // Placeholders for the examples the answer did not have; the file still validates.
    expect(result.stdout).toContain("wrote specs/templates/con-template.yaml: con (en)\n  examples not in Connectly's answer were written as placeholders");
    expect(readFileSync(join(dir, "specs/templates/con-template.yaml"), "utf8")).toContain('      examples:\n        - example 1\n');
    noKeyIn(result);
  });

  it("pull: a language that is not a language code is left out, never made a key", async () => {
    const two = group("two_languages");
    two.templates.push({ ...two.templates[0]!, language: { code: "__proto__" } }, { ...two.templates[0]!, language: { code: "../x\u001b" } });
    const dir = project({});
    const result = await templates(["pull", "--base-url", await listing([two])], dir);
    expect(result.stdout.split("\n").slice(0, 3)).toEqual([
      "wrote specs/templates/two-languages.yaml: two_languages (en)",
      "  examples not in Connectly's answer were written as placeholders (example 1, …): put real ones in before a new version is created",
      "  left out: __proto__, ../x? (not a language code, listed twice, or components in a shape msgc does not read)",
    ]);
    expect(readFileSync(join(dir, "specs/templates/two-languages.yaml"), "utf8")).toContain("languages:\n  en:\n");
  });

  it("apply: a create Connectly refuses is said with its error (the key cut out), the others still tried, exit 1", async () => {
    const url = await listing([]);
    const result = await templates(["apply", "--base-url", url, "--yes"], project());
    expect(result.code).toBe(1);
    expect(result.stdout.slice(result.stdout.indexOf("not created"))).toBe(`not created order_update (en_US): HTTP 400 ERROR_CODE_INVALID_ARGUMENT: refused for key [redacted]
not created order_update (es): HTTP 400 ERROR_CODE_INVALID_ARGUMENT: refused for key [redacted]
not created spring_code (en): HTTP 400 ERROR_CODE_INVALID_ARGUMENT: refused for key [redacted]
Created 0 of 3.
`);
    noKeyIn(result);
  });

  it("status, plan, apply and pull as JSON: a name that quotes a key JSON would escape is cut out before it is escaped", async () => {
    const key = 'ck_live_"quoted"\\key_0123';
    const env = { CONNECTLY_API_KEY: key };
    const url = await listing([group(`leak ${key}`)]);
    const dir = project({});
    for (const args of [["status"], ["plan"], ["apply", "--yes"], ["pull"]]) {
      const result = await templates([...args, "--base-url", url, "--format", "json"], dir, env);
      expect(result.stdout).toContain("leak [redacted]");
      expect(result.stdout + result.stderr).not.toContain(JSON.stringify(key).slice(1, -1));
    }
  });

  it("pull: a text that quotes a key YAML would escape is still found, and not written", async () => {
    const key = 'ck_live_"quoted"_0123';
    const dir = project({});
    const result = await templates(["pull", "--base-url", await listing([group("leaky", `It's ${key}: {{1}}.`)])], dir, { CONNECTLY_API_KEY: key });
    expect(result.stdout).toContain("not written: leaky: it holds the API key\n");
    expect(existsSync(join(dir, "specs/templates/leaky.yaml"))).toBe(false);
  });

  it("plan and status: a name with control characters is shown harmless", async () => {
    const url = await listing([group("evil\u001b]0;pwned\u0007name")]);
    const dir = project({});
    const status = await templates(["status", "--base-url", url], dir);
    expect(status.stdout).toBe("evil?]0;pwned?name  en  approved\n\n1 template language: 1 approved.\n");
    const plan = await templates(["plan", "--base-url", url, "--format", "markdown"], dir);
    expect(plan.stdout).toContain("| `evil?]0;pwned?name` | en | approved |");
  });
});
