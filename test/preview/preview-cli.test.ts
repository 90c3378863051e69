import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, makeProject, msgc } from "../cli/helpers.js";
import { expectGolden } from "./golden-file.js";

const MESSAGE = `kind: Message
name: order-shipped
vars:
  first_name: { type: string }
  order_id: { type: string }
samples:
  ana: { first_name: Ana, order_id: "12345" }
  hostile: { first_name: "<script>alert(1)</script>", order_id: "\\"><img src=x onerror=alert(2)>" }
session:
  text: "Hi *{{first_name}}*! Order #{{order_id}} is on its way."
  buttons:
    - { id: track, text: Track }
    - { id: help, text: Help }
  footer: Lucky Shrub
template:
  name: order_shipped_v2
  language: en_US
  body: ["{{first_name}}", "{{order_id}}"]
window: auto
`;

const CAMPAIGN = `kind: Campaign
name: spring
message: order-shipped
audience:
  file: ../audiences/spring.csv
`;

const AUDIENCE = `phone,first_name,order_id
+16045550101,Ana,10001
+16045550102,Ben,10002
+16045550103,Chloé,10003
`;

const ENV = { NO_COLOR: "1" };

describe("msgc preview", () => {
  let dir = "";
  beforeAll(() => {
    ensureBuilt();
    dir = makeProject({
      "msgc.config.yaml": "specs: specs\n",
      "specs/messages/order-shipped.yaml": MESSAGE,
      "specs/campaigns/spring.yaml": CAMPAIGN,
      "specs/audiences/spring.csv": AUDIENCE,
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("text: samples, then the campaign's first rows, numbers masked", () => {
    const r = msgc(["preview", "--rows", "2"], { cwd: dir, env: ENV });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\u001b[");
    expect(r.stdout).not.toContain("+16045550101");
    expectGolden("preview/cli/preview.txt", r.stdout);
  });

  test("markdown", () => {
    const r = msgc(["preview", "--rows", "1", "--format", "markdown"], { cwd: dir, env: ENV });
    expect(r.code).toBe(0);
    expectGolden("preview/cli/preview.md", r.stdout);
  });

  test("json: the render model, with --show-numbers", () => {
    const r = msgc(["preview", "--rows", "3", "--format", "json", "--show-numbers"], { cwd: dir, env: ENV });
    expect(r.code).toBe(0);
    // One line, like every other command's JSON.
    expect(r.stdout.indexOf("\n")).toBe(r.stdout.length - 1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; messages: { key: string; form: string }[]; diagnostics: unknown[] };
    expect(doc.ok).toBe(true);
    expect(doc.diagnostics).toEqual([]);
    expect(doc.messages.map((m) => `${m.key} ${m.form}`)).toEqual([
      "spring/+16045550101 template",
      "spring/+16045550102 template",
      "spring/+16045550103 template",
      "order-shipped/sample:ana template",
      "order-shipped/sample:hostile template",
    ]);
  });

  test("html --out: one page written, summary on stderr", () => {
    const r = msgc(["preview", "--format", "html", "--out", "preview.html"], { cwd: dir, env: ENV });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("msgc preview: wrote 5 messages to preview.html\n");
    const html = readFileSync(join(dir, "preview.html"), "utf8");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(html.match(/<article /g)).toHaveLength(5);
  });

  test("colour: only when forced (or on a terminal), never with NO_COLOR", () => {
    expect(msgc(["preview", "--rows", "0"], { cwd: dir, env: { FORCE_COLOR: "1" } }).stdout).toContain("\u001b[1m");
    expect(msgc(["preview", "--rows", "0"], { cwd: dir, env: { FORCE_COLOR: "1", NO_COLOR: "1" } }).stdout).not.toContain("\u001b[");
  });

  test("a spec with an error: the rest is previewed, diagnostics on stderr, exit 1", () => {
    const broken = makeProject({
      "msgc.config.yaml": "specs: specs\n",
      "specs/messages/order-shipped.yaml": MESSAGE,
      "specs/messages/bad.yaml": "kind: Message\nname: bad\nsamples:\n  one: {}\nsession:\n  text: \"Hi {{nobody}}\"\nwindow: session\n",
    });
    try {
      const r = msgc(["preview"], { cwd: broken, env: ENV });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("━━ order-shipped · sample ana ━━");
      expect(r.stderr).toContain("specs/messages/bad.yaml:6:");
      expect(r.stderr).toContain("unknown-variable");
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  test("usage: bad --rows and bad --format", () => {
    const rows = msgc(["preview", "--rows", "many"], { cwd: dir, env: ENV });
    expect([rows.code, rows.stderr]).toEqual([64, 'msgc preview: --rows must be a whole number, not "many"\nFor example: --rows 5.\n']);
    const format = msgc(["preview", "--format", "pdf"], { cwd: dir, env: ENV });
    expect([format.code, format.stderr]).toEqual([64, 'msgc preview: unknown format "pdf"\nUse one of: text, markdown, html, json.\n']);
  });
});

test("json: problems are diagnostics in cli.md's one shape (what compiled is still shown), exit 1", () => {
  const dir = makeProject({
    "specs/messages/ok.yaml": "kind: Message\nname: ok\nsession: { text: Hi }\n",
    "specs/messages/bad.yaml": "kind: Message\nname: bad\nsession:\n  text: \"Hi {{frist}}\"\n",
  });
  try {
    const r = msgc(["preview", "--format", "json"], { cwd: dir, env: ENV });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; messages: { key: string }[]; diagnostics: unknown[] };
    expect(doc.ok).toBe(false);
    expect(doc.messages.map((m) => m.key)).toEqual(["ok/sample:default"]);
    expect(doc.diagnostics).toEqual([
      { file: "specs/messages/bad.yaml", line: 4, column: 13, severity: "error", code: "unknown-variable", message: 'Unknown variable "frist"', hint: "declare it under vars:" },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("markdown and html: the artifact itself says how many specs failed and where (numbers masked), exit 1", () => {
  const dir = makeProject({
    "specs/messages/ok.yaml": "kind: Message\nname: ok\nsession: { text: Hi }\n",
    "specs/messages/bad.yaml": "kind: Message\nname: bad\nsession:\n  text: \"Hi {{frist}}\"\n",
    "specs/messages/worse.yaml": "kind: Message\nname: worse\nsender: \"+16045852331 \"\nsession: { text: Hi }\n",
  });
  try {
    const md = msgc(["preview", "--format", "markdown"], { cwd: dir, env: ENV });
    expect(md.code).toBe(1);
    expect(md.stdout.split("\n").slice(0, 10)).toEqual([
      "## msgc preview",
      "",
      "1 message rendered.",
      "",
      "⚠️ 2 errors in 2 files: what failed is not shown \\(run msgc validate for details\\)",
      "",
      "```",
      'specs/messages/worse.yaml:3:9 pattern-mismatch sender "+1604•••2331 " is not valid: use an E.164 number such as +1415•••1234',
      'specs/messages/bad.yaml:4:13 unknown-variable Unknown variable "frist"',
      "```",
    ]);
    const html = msgc(["preview", "--format", "html"], { cwd: dir, env: ENV });
    expect(html.code).toBe(1);
    expect(html.stdout).toContain(
      '<section class="failures"><p>⚠️ 2 errors in 2 files: what failed is not shown (run msgc validate for details)</p><pre>specs/messages/worse.yaml:3:9 pattern-mismatch sender &quot;+1604•••2331 &quot; is not valid: use an E.164 number such as +1415•••1234\nspecs/messages/bad.yaml:4:13 unknown-variable Unknown variable &quot;frist&quot;</pre></section>\n<article',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
