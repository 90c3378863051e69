/**
 * The repository's Template specs (specs/templates/): one for every template the example Messages
 * send, each header kind and each button kind among them, and the whole spec tree valid with
 * `templates: { require: true }`, so that every example Message is held against its Template.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { loadProject } from "../../src/project/project.js";
import { compileProject } from "../../src/runner/plan.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("specs/templates", async () => {
  const project = await loadProject({ cwd: root });
  const templates = [...project.templates.values()].map((t) => t.data);

  test("every template an example Message sends has a Template spec, and the tree has no diagnostic even when they are required", () => {
    const sent = new Set([...project.messages.values()].flatMap((m) => (m.data.template ? [m.data.template.name!] : [])));
    expect([...sent].sort()).toEqual(["appointment_reminder", "invoice_ready", "order_shipped_v2"]);
    for (const name of sent) expect(project.templates.has(name), name).toBe(true);
    const required = { ...project, config: { ...project.config, requireTemplates: true } };
    expect([...project.diagnostics, ...compileProject(required).diagnostics]).toEqual([]);
  });

  test("each header kind and each button kind", () => {
    const languages = templates.flatMap((t) => Object.values(t.languages));
    const headers = new Set(languages.flatMap((l) => (l.header ? Object.keys(l.header).filter((k) => k !== "example") : [])));
    const buttons = new Set(languages.flatMap((l) => (l.buttons ?? []).map((b) => b.type)));
    expect([...headers].sort()).toEqual(["document", "image", "text", "video"]);
    expect([...buttons].sort()).toEqual(["copy_code", "phone", "quick_reply", "url"]);
    expect(new Set(templates.map((t) => t.category))).toEqual(new Set(["marketing", "utility"]));
  });
});
