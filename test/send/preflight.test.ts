import { writeFileSync } from "node:fs";
import { join } from "node:path";
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

  it("--sandbox and --dry-run read no list", async () => {
    const dir = notesProject(2);
    expect((await msgc(["notes", "--sandbox", "--yes"], dir)).code).toBe(0);
    const box = await sandboxWith({ templates: [] });
    expect((await msgc(["notes", "--base-url", box.url, "--dry-run"], dir)).code).toBe(0);
    expect(box.stats().requests).toBe(0);
  });
});
