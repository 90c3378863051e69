import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { Diagnostic } from "../../src/diagnostics.js";
import { loadConfig } from "../../src/project/config.js";
import { loadProject, locateDiagnostics } from "../../src/project/project.js";

let roots: string[] = [];
afterEach(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
  roots = [];
});

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "msgc-spec-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** `file:line:col code` (1-based), or `file code` without a range: what the tests compare. */
function brief(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => (d.range ? `${d.file}:${d.range.start.line + 1}:${d.range.start.column + 1} ${d.code}` : `${d.file} ${d.code}`));
}

const message = (name: string, extra = "") => `kind: Message\nname: ${name}\nsession: { text: Hi }\n${extra}`;
const campaign = (name: string, messageName: string, file = "people.csv") =>
  `kind: Campaign\nname: ${name}\nmessage: ${messageName}\naudience:\n  file: ${file}\n`;

describe("loadConfig", () => {
  test("config: no file gives the defaults with the working directory as root", async () => {
    const root = project({ "specs/.keep": "" });
    const { config, diagnostics } = await loadConfig({ cwd: root });
    expect(diagnostics).toEqual([]);
    expect(config).toEqual({
      root,
      specsDir: join(root, "specs"),
      outDir: join(root, ".msgc"),
      baseUrl: "https://api.connectly.ai",
      rate: 50,
      concurrency: 16,
      window: "auto",
      requireTemplates: false,
      optOut: { keywords: [], optInKeywords: [] },
      track: true,
    });
  });

  test("config: found by walking up from a subfolder, values resolved against its folder", async () => {
    const root = project({
      "msgc.config.yaml": "specs: messages\nout: build\nbusinessId: biz-1\nrate: 20\nconcurrency: 4\nwindow: template\nbaseUrl: http://127.0.0.1:9\ntemplates: { require: true }\noptOut: { keywords: [BAJA], optInKeywords: [ALTA] }\ntrack: false\n",
      "a/b/c/.keep": "",
    });
    const { config, diagnostics } = await loadConfig({ cwd: join(root, "a", "b", "c") });
    expect(diagnostics).toEqual([]);
    expect(config).toEqual({
      root,
      configFile: join(root, "msgc.config.yaml"),
      specsDir: join(root, "messages"),
      outDir: join(root, "build"),
      businessId: "biz-1",
      baseUrl: "http://127.0.0.1:9",
      rate: 20,
      concurrency: 4,
      window: "template",
      requireTemplates: true,
      optOut: { keywords: ["BAJA"], optInKeywords: ["ALTA"] },
      track: false,
    });
  });

  test("config: an empty file means every default", async () => {
    const root = project({ "msgc.config.yaml": "# nothing yet\n" });
    const { config, diagnostics } = await loadConfig({ cwd: root });
    expect(diagnostics).toEqual([]);
    expect(config.rate).toBe(50);
    expect(config.configFile).toBe(join(root, "msgc.config.yaml"));
  });

  test("config: invalid values are config-invalid at their place, defaults used", async () => {
    const root = project({ "msgc.config.yaml": "specs: specs\nrate: 500\nwindow: always\nsecret: x\n" });
    const { config, diagnostics } = await loadConfig({ cwd: root });
    expect(brief(diagnostics)).toEqual([
      "msgc.config.yaml:2:7 config-invalid",
      "msgc.config.yaml:3:9 config-invalid",
      "msgc.config.yaml:4:1 config-invalid",
    ]);
    expect(diagnostics.map((d) => d.message)).toEqual([
      "msgc.config.yaml: rate is 500; it must be at most 200",
      'msgc.config.yaml: window must be one of auto, session, template, not "always"',
      'msgc.config.yaml: Unknown field "secret"',
    ]);
    expect(config.rate).toBe(50);
  });

  test("config: --config names a file that must exist", async () => {
    const root = project({ "conf/custom.yaml": "specs: s\n", "conf/beside.yaml": "specs: ../s\n" });
    const found = await loadConfig({ cwd: root, configPath: "conf/custom.yaml" });
    expect(found.diagnostics).toEqual([]);
    expect(found.config.root).toBe(join(root, "conf"));
    expect(found.config.specsDir).toBe(join(root, "conf", "s"));
    // The config's folder is the root: a specs folder beside it is outside the project.
    const beside = await loadConfig({ cwd: root, configPath: "conf/beside.yaml" });
    expect(brief(beside.diagnostics)).toEqual(["beside.yaml:1:8 config-invalid"]);
    expect(beside.diagnostics[0]!.message).toBe(`beside.yaml: specs: "../s" is outside the project (${join(root, "conf")})`);
    const missing = await loadConfig({ cwd: root, configPath: "nope.yaml" });
    expect(brief(missing.diagnostics)).toEqual(["nope.yaml:1:1 file-unreadable"]);
    expect(missing.diagnostics[0]!.message).toBe(`Cannot read the config file ${join(root, "nope.yaml")} (it does not exist)`);
  });

  test("config: YAML problems use the YAML codes", async () => {
    const root = project({ "msgc.config.yaml": "rate: 1\nrate: 2\n" });
    const { diagnostics } = await loadConfig({ cwd: root });
    expect(brief(diagnostics)).toEqual(["msgc.config.yaml:2:1 duplicate-key"]);
  });
});

describe("loadProject", () => {
  test("specs: found recursively, sorted by path, by kind and name", async () => {
    const root = project({
      "specs/messages/b.yaml": message("b"),
      "specs/messages/a.yml": message("a"),
      "specs/campaigns/c.yaml": campaign("c", "a", "../audiences/people.csv"),
      "specs/audiences/people.csv": "phone\n",
      "specs/.hidden/x.yaml": "not: loaded\n",
      "specs/notes.txt": "ignored",
    });
    const result = await loadProject({ cwd: root });
    expect(result.diagnostics).toEqual([]);
    expect(result.specs.map((s) => s.file)).toEqual(["specs/campaigns/c.yaml", "specs/messages/a.yml", "specs/messages/b.yaml"]);
    expect([...result.messages.keys()]).toEqual(["a", "b"]);
    expect([...result.campaigns.keys()]).toEqual(["c"]);
    expect(result.campaigns.get("c")!.absPath).toBe(join(root, "specs/campaigns/c.yaml"));
  });

  test("paths: a campaign given alone brings in its message from the spec tree, and only it", async () => {
    const root = project({
      "specs/messages/a.yaml": message("a"),
      "specs/messages/b.yaml": message("b", "bogus: 1\n"),
      "specs/messages/broken.yaml": "kind: [\n",
      "specs/campaigns/c.yaml": campaign("c", "a", "../audiences/people.csv"),
      "specs/audiences/people.csv": "phone\n",
    });
    const result = await loadProject({ cwd: root, paths: ["specs/campaigns/c.yaml"] });
    expect(brief(result.diagnostics)).toEqual([]);
    expect(result.specs.map((s) => s.file)).toEqual(["specs/campaigns/c.yaml", "specs/messages/a.yaml"]);
    const missing = await loadProject({ cwd: root, paths: ["specs/campaigns/c.yaml", "specs/messages/b.yaml"] });
    expect(brief(missing.diagnostics)).toEqual(["specs/messages/b.yaml:4:1 unknown-field"]);
    expect([...missing.messages.keys()]).toEqual(["a"]);
  });

  test("specs: with the specs folder at the root, the config is not taken for a spec", async () => {
    const root = project({ "msgc.config.yaml": "specs: .\n", "m.yaml": message("m") });
    const result = await loadProject({ cwd: root });
    expect(result.diagnostics).toEqual([]);
    expect(result.specs.map((s) => s.file)).toEqual(["m.yaml"]);
  });

  test("duplicate-name: on the second file, naming the first's file and line", async () => {
    const root = project({
      "specs/a.yaml": `# first\n${message("promo")}`,
      "specs/b.yaml": message("promo"),
      "specs/c.yaml": campaign("promo", "promo", "people.csv"),
    });
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["specs/b.yaml:2:7 duplicate-name"]);
    expect(result.diagnostics[0]!.message).toBe('Message name "promo" is already used by specs/a.yaml:3');
    expect(result.messages.get("promo")!.file).toBe("specs/a.yaml");
    // A campaign may share a message's name: names are unique per kind.
    expect(result.campaigns.has("promo")).toBe(true);
  });

  test("unknown-message: a campaign's message must exist, with a did-you-mean", async () => {
    const root = project({ "specs/m.yaml": message("order-shipped"), "specs/c.yaml": campaign("c", "order-shiped") });
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["specs/c.yaml:3:10 unknown-message"]);
    expect(result.diagnostics[0]!.message).toBe('Campaign "c" sends message "order-shiped", which does not exist; did you mean "order-shipped"?');
  });

  test("message-unchecked: a message whose file does not parse is not called missing; said after that file's errors", async () => {
    const broken = "kind: Message\nname: promo\nsession: [\n";
    const root = project({ "specs/a-campaign.yaml": campaign("c", "promo"), "specs/m.yaml": broken, "specs/z.yaml": "- not a spec\n" });
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["specs/m.yaml:4:1 yaml-syntax", "specs/z.yaml:1:1 not-a-mapping", "specs/a-campaign.yaml:3:10 message-unchecked"]);
    // The file that names it is the one given; the other broken file is not blamed.
    expect(result.diagnostics[2]).toMatchObject({
      severity: "warning",
      message: 'Campaign "c" sends message "promo", which could not be checked: specs/m.yaml has errors',
    });
  });

  test("message-unchecked: naming only the campaign still shows the broken file that may hold its message", async () => {
    const root = project({ "specs/campaigns/c.yaml": campaign("c", "promo", "../people.csv"), "specs/messages/m.yaml": "kind: Message\nname: 'promo'\nsession: [\n" });
    const result = await loadProject({ cwd: root, paths: ["specs/campaigns/c.yaml"] });
    expect(brief(result.diagnostics)).toEqual(["specs/messages/m.yaml:4:1 yaml-syntax", "specs/campaigns/c.yaml:3:10 message-unchecked"]);
    expect(result.sources.has("specs/messages/m.yaml")).toBe(true);
  });

  test("unknown-message: not reported again when the message exists but is invalid", async () => {
    const root = project({ "specs/m.yaml": message("promo", "colour: red\n"), "specs/c.yaml": campaign("c", "promo") });
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["specs/m.yaml:4:1 unknown-field"]);
    expect(result.sources.get("specs/m.yaml")).toBe(message("promo", "colour: red\n"));
  });

  test("unknown-field: a null key (~:) is named and placed at its own line", async () => {
    const root = project({ "specs/m.yaml": message("promo", "~: red\n") });
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["specs/m.yaml:4:1 unknown-field"]);
    expect(result.diagnostics[0]!.range).toEqual({ start: { line: 3, column: 0 }, end: { line: 3, column: 1 } });
  });

  test("path-outside-project: an audience file resolved outside the root", async () => {
    const root = project({ "specs/m.yaml": message("m"), "specs/c.yaml": campaign("c", "m", "../../people.csv") });
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["specs/c.yaml:5:9 path-outside-project"]);
    expect(result.diagnostics[0]!.message).toBe('Audience file "../../people.csv" is outside the project');
  });

  test("path-outside-project: a given path outside the root", async () => {
    const root = project({ "msgc.config.yaml": "", "specs/m.yaml": message("m") });
    const outside = project({ "x.yaml": message("x") });
    const result = await loadProject({ cwd: root, paths: [join(outside, "x.yaml"), "specs/m.yaml"] });
    expect(brief(result.diagnostics)).toEqual([`${join(outside, "x.yaml")} path-outside-project`]);
    expect(result.specs.map((s) => s.file)).toEqual(["specs/m.yaml"]);
  });

  test("paths: files and folders, relative to the working directory", async () => {
    const root = project({
      "msgc.config.yaml": "",
      "specs/one/a.yaml": message("a"),
      "specs/two/b.yaml": message("b"),
      "specs/two/c.yaml": message("c"),
    });
    const result = await loadProject({ cwd: join(root, "specs"), paths: ["two", "one/a.yaml"] });
    expect(result.diagnostics).toEqual([]);
    expect(result.specs.map((s) => s.file)).toEqual(["specs/one/a.yaml", "specs/two/b.yaml", "specs/two/c.yaml"]);
  });

  test("file-unreadable: a missing path and a dangling link", async () => {
    const root = project({ "specs/m.yaml": message("m") });
    symlinkSync(join(root, "nowhere.yaml"), join(root, "specs", "broken.yaml"));
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["specs/broken.yaml:1:1 file-unreadable"]);
    expect(result.diagnostics[0]!.message).toBe("Cannot read the file (ENOENT)");
    const given = await loadProject({ cwd: root, paths: ["specs/gone.yaml"] });
    expect(brief(given.diagnostics)).toEqual(["specs/gone.yaml file-unreadable"]);
  });

  test("file-too-large: refused before it is read", async () => {
    const root = project({ "specs/big.yaml": `kind: Message\nname: big\ndescription: ${"x".repeat(1024 * 1024)}\n` });
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["specs/big.yaml:1:1 file-too-large"]);
    expect(result.diagnostics[0]!.message).toBe("The file is 1048614 bytes; msgc reads YAML files of at most 1048576 bytes (1 MiB)");
  });

  test("Template specs: loaded by Meta's name, kept out of specs; a second Template of a name is duplicate-name", async () => {
    const template = (name: string) => `kind: Template\nname: ${name}\ncategory: utility\nlanguages:\n  en:\n    body: { text: Hello there }\n`;
    const root = project({
      "specs/a.yaml": template("order_shipped"),
      "specs/b.yaml": template("order_shipped"),
      // Names are per kind: a Message may share a Template's name.
      "specs/m.yaml": message("order_shipped"),
    });
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["specs/b.yaml:2:7 duplicate-name"]);
    expect(result.diagnostics[0]!.message).toBe('Template name "order_shipped" is already used by specs/a.yaml:2');
    expect([...result.templates.keys()]).toEqual(["order_shipped"]);
    expect(result.templates.get("order_shipped")!.file).toBe("specs/a.yaml");
    expect(result.specs.map((s) => s.file)).toEqual(["specs/m.yaml"]);
  });

  test("a message named by path brings the Template specs it sends, and only those", async () => {
    const template = (name: string) => `kind: Template\nname: ${name}\ncategory: utility\nlanguages:\n  en:\n    body: { text: Hello there }\n`;
    const root = project({
      "specs/templates/hello.yaml": template("hello_v1"),
      "specs/templates/other.yaml": template("other_v1"),
      "specs/messages/m.yaml": "kind: Message\nname: m\ntemplate: { name: hello_v1, language: en }\nlocales:\n  es:\n    template: { name: hola_v1, language: es }\n",
    });
    const result = await loadProject({ cwd: root, paths: ["specs/messages/m.yaml"] });
    expect(result.diagnostics).toEqual([]);
    expect([...result.templates.keys()]).toEqual(["hello_v1"]);
    expect(result.specs.map((s) => s.file)).toEqual(["specs/messages/m.yaml"]);
  });

  test("no-specs: an error, naming the folder searched", async () => {
    const root = project({ "msgc.config.yaml": "specs: messages\n" });
    const result = await loadProject({ cwd: root });
    expect(brief(result.diagnostics)).toEqual(["messages no-specs"]);
    expect(result.diagnostics[0]).toMatchObject({ severity: "error", message: "No spec files (*.yaml, *.yml) found in messages/" });
  });

  test("locateDiagnostics: compiler paths and offsets become ranges; others are left alone", async () => {
    const root = project({ "specs/m.yaml": "kind: Message\nname: m\nsession:\n  text: >\n    Hello\n    {{nam}}\n" });
    const result = await loadProject({ cwd: root });
    const base = { severity: "error", message: "x", code: "unknown-variable" } as const;
    const located = locateDiagnostics(result, [
      { ...base, file: "specs/m.yaml", path: ["session", "text"], offset: 6 },
      { ...base, file: "specs/m.yaml", path: ["session"] },
      { ...base, file: "audiences/a.csv", path: [], row: 3 },
      { ...base, file: "specs/other.yaml", path: ["x"] },
    ]);
    expect(located.map((d) => d.range && `${d.range.start.line + 1}:${d.range.start.column + 1}`)).toEqual(["6:5", "3:1", undefined, undefined]);
  });
});
