import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { NOTE_MESSAGE, notesProject, runCli } from "./cli-helpers.js";
import type { RunResult } from "./cli-helpers.js";
import { useSandbox } from "./helpers.js";

const KEY = "ck_live_preflight_0123456789";
const sandboxWith = useSandbox(KEY);

beforeAll(() => ensureBuilt(), 120_000);

function msgc(args: string[], cwd: string): Promise<RunResult> {
  return runCli(["send", ...args], { cwd, env: { CONNECTLY_API_KEY: KEY } });
}

/** The order_shipped of the `note` message, created through the sandbox's template API. */
async function create(url: string, body = "Hi {{1}}, order {{2}} shipped."): Promise<void> {
  const response = await fetch(`${url}/v1/businesses/biz-test/create/template`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": KEY },
    body: JSON.stringify({ name: "order_shipped", language: { code: "en" }, category: "MESSAGE_TEMPLATE_GROUP_CATEGORY_UTILITY", template_components: [{ body: { text: { text: body } } }] }),
  });
  expect(response.status).toBe(200);
}

const AT = "specs/messages/note.yaml:10:1 error";

describe("msgc send: the template preflight", () => {
  it("a template the business does not have: one diagnostic at the message's template, nothing sent, exit 1", async () => {
    const box = await sandboxWith({ templates: [{ name: "order_shipped", language: "es", body: 2 }] });
    const result = await msgc(["notes", "--base-url", box.url, "--yes"], notesProject(30));
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`${AT} template-not-found-remote Template "order_shipped" in language "en" is not among the business's templates\n`);
    expect(result.stdout + result.stderr).toContain("It exists in es.");
    expect(box.messages()).toEqual([]);
    expect(box.stats().requests).toBe(1);
  });

  it("a pending template: not approved, nothing sent", async () => {
    const box = await sandboxWith({ templates: [], reviewMs: 3_600_000 });
    await create(box.url);
    const result = await msgc(["notes", "--base-url", box.url, "--yes"], notesProject(5));
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`${AT} template-not-approved Template "order_shipped" (en) is pending, not approved\n`);
    expect(box.messages()).toEqual([]);
  });

  it("a rejected template: not approved, with Meta's reason, nothing sent", async () => {
    const box = await sandboxWith({ templates: [], rejectRate: 1 });
    await create(box.url);
    const result = await msgc(["notes", "--base-url", box.url, "--yes"], notesProject(5));
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`${AT} template-not-approved Template "order_shipped" (en) is rejected, not approved: INVALID_FORMAT\n`);
    expect(box.messages()).toEqual([]);
  });

  it("a template that takes other parameters: one diagnostic (not one per recipient), nothing sent", async () => {
    const box = await sandboxWith({ templates: [] });
    await create(box.url, "Hi {{1}}, your order shipped.");
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--format", "json"], notesProject(40));
    expect(result.code).toBe(1);
    const diagnostics = (JSON.parse(result.stdout) as { diagnostics: Array<{ code: string; message: string; line: number; column: number }> }).diagnostics;
    expect(diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ["template-params-mismatch-remote", 10, 1, 'Template "order_shipped" (en) takes body_1; the message fills body_1, body_2'],
    ]);
    expect(box.messages()).toEqual([]);
  });

  it("an approved template that takes the plan's parameters: the list is read once, then every recipient is sent", async () => {
    const box = await sandboxWith({ templates: [] });
    await create(box.url);
    const result = await msgc(["notes", "--base-url", box.url, "--yes"], notesProject(6));
    expect(result.code).toBe(0);
    expect(box.messages()).toHaveLength(6);
    // The create above, the one read, and six sends.
    expect(box.stats().requests).toBe(8);
  });

  it("--no-preflight reads no list: the sends go and the API refuses them one by one", async () => {
    const box = await sandboxWith({ templates: [{ name: "another_template", language: "en" }] });
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--no-preflight", "--max-failures", "100%"], notesProject(3));
    expect(result.code).toBe(1);
    expect(box.stats().requests).toBe(3);
    expect(box.stats().byStatus).toEqual({ "400": 3 });
  });

  it("one message --to one number is checked the same way", async () => {
    const box = await sandboxWith({ templates: [{ name: "another_template", language: "en" }] });
    const result = await msgc(["note", "--to", "+16045550199", "--var", "first_name=Ana", "--var", "order_id=12345", "--base-url", box.url, "--yes"], notesProject(1));
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`${AT} template-not-found-remote Template "order_shipped" in language "en" is not among the business's templates\n`);
    expect(box.messages()).toEqual([]);
  });

  it("a list that cannot be read: one line, exit 1, nothing sent, the key in no output", async () => {
    const box = await sandboxWith({ apiKey: "a-different-key-0123456789" });
    const result = await msgc(["notes", "--base-url", box.url, "--yes"], notesProject(3));
    expect([result.code, result.stdout]).toEqual([1, ""]);
    expect(result.stderr).toBe(
      "msgc send: the preflight could not read the business's templates (HTTP 401 ERROR_CODE_UNAUTHENTICATED: The X-API-Key header is missing or does not match the sandbox's API key); nothing sent (--no-preflight sends without checking them)\n",
    );
    expect(box.messages()).toEqual([]);
  });

  it("with a locale column, each locale's template is checked too, at its own place", async () => {
    const box = await sandboxWith({ templates: [] });
    await create(box.url);
    const dir = notesProject(3);
    writeFileSync(join(dir, "specs/messages/note.yaml"), `${NOTE_MESSAGE}locales:\n  es:\n    template:\n      language: es\n`);
    writeFileSync(join(dir, "specs/campaigns/notes.yaml"), `kind: Campaign\nname: notes\nmessage: note\ncampaignName: notes_2026\naudience:\n  file: ../audiences/notes.csv\n  locale: lang\n`);
    writeFileSync(join(dir, "specs/audiences/notes.csv"), "phone,first_name,order_id,lang\n+16045550001,Ana,10001,es\n");
    const result = await msgc(["notes", "--base-url", box.url, "--yes"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`specs/messages/note.yaml:17:5 error template-not-found-remote Template "order_shipped" in language "es" is not among the business's templates\n`);
    expect(box.messages()).toEqual([]);
  });

  it("--sandbox in a project without Template specs: the sandbox takes any template, the run says the preflight is skipped; --dry-run reads no list", async () => {
    const dir = notesProject(2);
    const sandboxed = await msgc(["notes", "--sandbox", "--yes"], dir);
    expect(sandboxed.code).toBe(0);
    expect(sandboxed.stderr).toMatch(/^sandbox: listening on http:\/\/127\.0\.0\.1:\d+ \(in-process, stops when the send ends\)\nsandbox: no Template specs, so it takes any template and the preflight is skipped\n/);
    expect(sandboxed.stderr).not.toContain("preflight:");
    const box = await sandboxWith({ templates: [] });
    expect((await msgc(["notes", "--base-url", box.url, "--dry-run"], dir)).code).toBe(0);
    expect(box.stats().requests).toBe(0);
  });
});

/** The `notes` project with Template specs beside its message, in specs/templates/. */
function withTemplateSpecs(specs: Record<string, string>, count = 3): string {
  const dir = notesProject(count);
  mkdirSync(join(dir, "specs/templates"));
  for (const [file, text] of Object.entries(specs)) writeFileSync(join(dir, "specs/templates", file), text);
  return dir;
}

function templateSpec(name: string, body = "Hi {{1}}, order {{2}} shipped.", examples = '["Ana", "10001"]'): string {
  return `kind: Template\nname: ${name}\ncategory: utility\nlanguages:\n  en:\n    body:\n      text: "${body}"\n      examples: ${examples}\n`;
}

describe("msgc send --sandbox: the project's Template specs in the sandbox, and the preflight against them", () => {
  it("the repository's demo (npm run demo) passes the preflight, and says so in one line", async () => {
    const result = await runCli(["send", "demo-campaign", "--sandbox", "--yes"], { cwd: resolve(import.meta.dirname, "../..") });
    expect(result.code).toBe(0);
    const lines = result.stderr.split("\n");
    expect(lines[1]).toBe("sandbox: holds the project's 5 Template specs as approved templates (6 by name and language)");
    expect(lines[2]).toBe("preflight: 1 template form approved, taking the parameters the plan fills: order_shipped_v2 (en_US)");
    expect(result.stdout).toContain("\n  sent        20\n");
  });

  it("a Message whose template has no Template spec: one diagnostic, nothing sent, exit 1", async () => {
    const dir = withTemplateSpecs({ "welcome.yaml": templateSpec("welcome") });
    const result = await msgc(["notes", "--sandbox", "--yes", "--journal", "j.ndjson"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("sandbox: holds the project's 1 Template spec as approved templates (1 by name and language)\n");
    expect(result.stdout).toContain(`${AT} template-not-found-remote Template "order_shipped" in language "en" is not among the business's templates\n`);
    expect(result.stdout).toContain("nothing sent: 1 error, 0 warnings\n");
    // send() never started: it writes its journal before the first request.
    expect(existsSync(join(dir, "j.ndjson"))).toBe(false);
  });

  it("a Template spec that takes other parameters than the message fills: template-params-mismatch-remote, nothing sent", async () => {
    const dir = withTemplateSpecs({ "order-shipped.yaml": templateSpec("order_shipped", "Hi {{1}}, your order shipped.", '["Ana"]') });
    const result = await msgc(["notes", "--sandbox", "--yes", "--journal", "j.ndjson"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${AT} template-params-mismatch-remote Template "order_shipped" (en) takes body_1; the message fills body_1, body_2\n`);
    expect(existsSync(join(dir, "j.ndjson"))).toBe(false);
  });

  it("a Template spec with lint errors is not approved in the sandbox: the run says so, and the preflight stops the send", async () => {
    const dir = withTemplateSpecs({ "order-shipped.yaml": templateSpec("order_shipped", "{{1}}, order {{2}} shipped."), "welcome.yaml": templateSpec("welcome") });
    const result = await msgc(["notes", "--sandbox", "--yes", "--journal", "j.ndjson"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("sandbox: holds the project's 1 Template spec as approved templates (1 by name and language); 1 left out for lint errors (msgc validate)\n");
    expect(result.stdout).toContain(`${AT} template-not-found-remote`);
    expect(existsSync(join(dir, "j.ndjson"))).toBe(false);
  });

  it("a project whose only Template spec has lint errors: the sandbox holds none (it does not take any template), and the preflight stops the send", async () => {
    const dir = withTemplateSpecs({ "order-shipped.yaml": templateSpec("order_shipped", "{{1}}, order {{2}} shipped.") });
    const result = await msgc(["notes", "--sandbox", "--yes", "--journal", "j.ndjson"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[1]).toBe("sandbox: holds the project's 0 Template specs as approved templates (0 by name and language); 1 left out for lint errors (msgc validate)");
    expect(result.stdout).toContain(`${AT} template-not-found-remote Template "order_shipped" in language "en" is not among the business's templates\n`);
    expect(existsSync(join(dir, "j.ndjson"))).toBe(false);
  });

  it("a Template spec that matches: the preflight passes and every recipient is sent; one message --to one number too", async () => {
    const dir = withTemplateSpecs({ "order-shipped.yaml": templateSpec("order_shipped") }, 4);
    const campaign = await msgc(["notes", "--sandbox", "--yes"], dir);
    expect(campaign.code).toBe(0);
    expect(campaign.stderr).toContain("\npreflight: 1 template form approved, taking the parameters the plan fills: order_shipped (en)\n");
    expect(campaign.stdout).toContain("\n  sent        4\n");
    const single = await msgc(["note", "--to", "+16045550199", "--var", "first_name=Ana", "--var", "order_id=12345", "--sandbox", "--yes"], dir);
    expect(single.code).toBe(0);
    expect(single.stderr).toContain("\npreflight: 1 template form approved, taking the parameters the plan fills: order_shipped (en)\n");
  });
});
