import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SandboxConfigError, startSandbox, TemplateSpecsError } from "../../src/sandbox/index.js";
import type { TemplateSpec } from "../../src/types/template.generated.js";
import { cliPath, ensureBuilt } from "../cli/helpers.js";
import { BUSINESS, call, KEY, NUMBER, sandbox, TEMPLATE_PATH } from "./helpers.js";

const LIST = `/v1/businesses/${BUSINESS}/get/templates`;

const ORDER_SHIPPED = `kind: Template
name: order_shipped
category: utility
languages:
  en:
    header: { text: "Order {{1}}", example: "12345" }
    body:
      text: "Hi {{1}}, your order #{{2}} is on its way."
      examples: ["Ana", "12345"]
    footer: Lucky Shrub
    buttons:
      - { type: url, text: Track it, url: "https://t.example/track/{{1}}", example: "https://t.example/track/12345" }
      - { type: quick_reply, text: Talk to us }
  es:
    body:
      text: "Hola {{1}}, tu pedido va en camino."
      examples: ["Ana"]
`;

const SPRING_SALE = `kind: Template
name: spring_sale
category: marketing
languages:
  en:
    header: { image: "https://cdn.example.com/ferns.jpg" }
    body:
      text: "Hi {{1}}, 20% off this week."
      examples: ["Ana"]
    buttons:
      - { type: copy_code, example: SPRING20 }
`;

const LOGIN_CODE = `kind: Template
name: login_code
category: authentication
languages:
  en:
    otp: { type: copy_code, text: Copy code, codeExpirationMinutes: 10, addSecurityRecommendation: true }
  es:
    otp: { type: one_tap, codeExpirationMinutes: 90 }
`;

const MESSAGE = `kind: Message
name: a-message
session: { text: hi }
`;

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "msgc-sandbox-specs-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const p = (name: string, value: string) => ({ name, value });
const send = (templateName: string, language: string, parameters: { name: string; value: string }[]) => ({ number: NUMBER, templateName, language, parameters });

async function failure(templates: string): Promise<SandboxConfigError> {
  const error = await startSandbox({ apiKey: KEY, templates }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SandboxConfigError);
  return error as SandboxConfigError;
}

/** Each diagnostic as `file:line:col code`, the place a person is sent to. */
function places(error: SandboxConfigError): string[] {
  expect(error).toBeInstanceOf(TemplateSpecsError);
  return (error as TemplateSpecsError).diagnostics.map((d) => `${d.file.split("/").pop()}:${d.range!.start.line + 1}:${d.range!.start.column + 1} ${d.code}`);
}

describe("--templates with Template specs", () => {
  it("a folder of specs (Messages beside them passed over): each language approved, in Connectly's list shape", async () => {
    const dir = folder({ "templates/order-shipped.yaml": ORDER_SHIPPED, "templates/more/spring-sale.yml": SPRING_SALE, "messages/a-message.yaml": MESSAGE, "notes.txt": "not a spec" });
    const box = await sandbox({ templates: dir });
    expect(box.approvedAtStart).toBe(3);
    const groups = (await call(box, LIST)).json.entity.templateGroups;
    expect(groups.map((g: any) => [g.name, g.category, g.templates.map((t: any) => [t.language.code, t.status])])).toEqual([
      ["spring_sale", "MARKETING", [["en", "MESSAGE_TEMPLATE_STATUS_APPROVED"]]],
      [
        "order_shipped",
        "UTILITY",
        [
          ["en", "MESSAGE_TEMPLATE_STATUS_APPROVED"],
          ["es", "MESSAGE_TEMPLATE_STATUS_APPROVED"],
        ],
      ],
    ]);
    // The components are those of the create request `templates apply` would send.
    expect(groups[1].templates[0].templateComponents).toEqual([
      { header: { text: { text: "Order {{1}}", example: ["12345"] } } },
      { body: { text: { text: "Hi {{1}}, your order #{{2}} is on its way.", example: ["Ana", "12345"] } } },
      { footer: { text: { text: "Lucky Shrub" } } },
      { buttons: { buttons: [{ url: { text: "Track it", url: "https://t.example/track/{{1}}", example: ["https://t.example/track/12345"] } }, { quick_reply: { text: "Talk to us" } }] } },
    ]);
  });

  it("template sends are checked against each language's components", async () => {
    const box = await sandbox({ templates: folder({ "order-shipped.yaml": ORDER_SHIPPED, "spring-sale.yaml": SPRING_SALE }) });
    const accepted = [
      send("order_shipped", "en", [p("header_text", "12345"), p("body_1", "Ana"), p("body_2", "12345"), p("button_1_url", "12345")]),
      send("order_shipped", "es", [p("body_1", "Ana")]),
      send("spring_sale", "en", [p("header_image", "https://cdn.example.com/f.jpg"), p("body_1", "Ana")]),
    ];
    for (const body of accepted) expect((await call(box, TEMPLATE_PATH, { body })).status).toBe(200);
    const refused: Array<[unknown, string, string]> = [
      [send("order_shipped", "pt_BR", [p("body_1", "Ana")]), "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", 'Template "order_shipped" with language "pt_BR" was not found'],
      [send("welcome", "en", []), "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", 'Template "welcome" with language "en" was not found'],
      [send("order_shipped", "es", [p("body_1", "Ana"), p("body_2", "12345")]), "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", 'template "order_shipped" takes no parameter body_2'],
      [send("order_shipped", "en", [p("body_1", "Ana"), p("body_2", "12345")]), "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", 'template "order_shipped" needs parameters header_text, button_1_url'],
    ];
    for (const [body, code, message] of refused) {
      const reply = await call(box, TEMPLATE_PATH, { body });
      expect([reply.status, reply.json.code, reply.json.message]).toEqual([400, code, message]);
    }
  });

  it("an authentication spec with codeExpirationMinutes: approved by --templates, created by create/template, its sends checked", async () => {
    const dir = folder({ "login-code.yaml": LOGIN_CODE });
    const box = await sandbox({ templates: dir });
    const groups = (await call(box, LIST)).json.entity.templateGroups;
    expect(groups.map((g: any) => [g.name, g.category, g.templates.map((t: any) => t.language.code)])).toEqual([["login_code", "AUTHENTICATION", ["en", "es"]]]);
    const en = [
      { body: { text: { text: "{{1}} is your verification code." }, add_security_recommendation: true } },
      { footer: { code_expiration_minutes: 10 } },
      { buttons: { buttons: [{ otp: { otp_type: "COPY_CODE", text: "Copy code" } }] } },
    ];
    expect(groups[0].templates[0].templateComponents).toEqual(en);
    for (const language of ["en", "es"]) expect((await call(box, TEMPLATE_PATH, { body: send("login_code", language, [p("body_1", "123456")]) })).status).toBe(200);
    const extra = await call(box, TEMPLATE_PATH, { body: send("login_code", "en", [p("body_1", "123456"), p("body_2", "x")]) });
    expect([extra.status, extra.json.message]).toEqual([400, 'template "login_code" takes no parameter body_2']);
    const none = await call(box, TEMPLATE_PATH, { body: send("login_code", "en", []) });
    expect([none.status, none.json.message]).toEqual([400, 'template "login_code" needs parameter body_1']);

    // The same template created over the template API, as `msgc templates apply` sends it.
    const fresh = await sandbox();
    const created = await call(fresh, `/v1/businesses/${BUSINESS}/create/template`, {
      body: { name: "login_code", language: { code: "en" }, category: "MESSAGE_TEMPLATE_GROUP_CATEGORY_AUTHENTICATION", template_components: en },
    });
    expect([created.status, created.json.entity?.templates?.[0]?.templateComponents]).toEqual([200, en]);
    expect((await call(fresh, TEMPLATE_PATH, { body: send("login_code", "en", [p("body_1", "123456")]) })).status).toBe(200);
  });

  it("one Template spec file, and Template specs given in-process, load the same way", async () => {
    const dir = folder({ "order-shipped.yaml": ORDER_SHIPPED });
    const spec: TemplateSpec = { kind: "Template", name: "order_shipped", category: "utility", languages: { es: { body: { text: "Hola {{1}}, tu pedido va en camino.", examples: ["Ana"] } } } };
    for (const templates of [join(dir, "order-shipped.yaml"), [spec]]) {
      const box = await sandbox({ templates });
      const reply = await call(box, TEMPLATE_PATH, { body: send("order_shipped", "es", [p("body_1", "Ana")]) });
      expect(reply.status).toBe(200);
    }
  });

  it("a spec that breaks a lint rule or the schema: every problem as a diagnostic at its line and column, nothing started", async () => {
    const broken = ORDER_SHIPPED.replace("name: order_shipped", "name: Order-Shipped").replace("Hola {{1}}, tu pedido", "{{1}} tu pedido");
    const dir = folder({ "a.yaml": broken, "b.yaml": SPRING_SALE.replace("category: marketing", "category: promo") });
    const error = await failure(dir);
    expect(places(error)).toEqual(["a.yaml:2:7 template-name-invalid", "a.yaml:16:14 template-variable-placement", "b.yaml:3:11 invalid-value"]);
    expect(error.message).toBe(`${join(dir, "a.yaml")}:2:7 template-name-invalid Template name "Order-Shipped" is not lowercase letters, digits and _ starting with a letter (and 2 more)`);
  });

  it("a name used twice, a file that is not YAML, a Message named by hand: diagnostics", async () => {
    const dir = folder({ "a.yaml": ORDER_SHIPPED, "b.yaml": ORDER_SHIPPED, "c.yaml": "kind: Template\nname: [x\n", "m.yaml": MESSAGE });
    expect(places(await failure(dir))).toEqual(["b.yaml:2:7 duplicate-name", "c.yaml:3:1 yaml-syntax"]);
    expect(places(await failure(join(dir, "m.yaml")))).toEqual(["m.yaml:1:7 unknown-kind"]);
  });

  it("a folder without Template specs, a file over 1 MiB, a file that is not UTF-8: one line each", async () => {
    const dir = folder({ "m.yaml": MESSAGE, "big.yaml": `- ${"x".repeat(1024 * 1024)}\n` });
    writeFileSync(join(dir, "latin1.yaml"), Buffer.from("kind: Template\nname: caf\xe9\n", "latin1"));
    expect(places(await failure(dir))).toEqual(["big.yaml:1:1 file-too-large", "latin1.yaml:2:10 encoding-invalid"]);
    mkdirSync(join(dir, "empty"));
    writeFileSync(join(dir, "empty", "m.yaml"), MESSAGE);
    expect((await failure(join(dir, "empty"))).message).toBe(`${join(dir, "empty")}: no Template specs (kind: Template) found`);
    expect((await failure(join(dir, "big.yaml"))).message).toBe(`templates file ${join(dir, "big.yaml")} is larger than 1048576 bytes`);
  });

  it("a folder's link to a file outside it is refused, never read: its text shows in no code frame", async () => {
    const outside = folder({ "credentials.yaml": "kind: Template\nname: [aws_secret_0123456789\n" });
    const dir = folder({ "a.yaml": ORDER_SHIPPED });
    symlinkSync(join(outside, "credentials.yaml"), join(dir, "b.yaml"));
    const error = await failure(dir);
    expect(places(error)).toEqual(["b.yaml:1:1 path-outside-project"]);
    expect(JSON.stringify([error.message, ...(error as TemplateSpecsError).sources.values()])).not.toContain("aws_secret");
  });

  it("a FIFO or a device as --templates: refused at once, never read (a FIFO nobody writes would hang the start)", async () => {
    const dir = folder({});
    execFileSync("mkfifo", [join(dir, "t.fifo")]);
    expect((await failure(join(dir, "t.fifo"))).message).toBe(`templates file ${join(dir, "t.fifo")} is not a regular file or a folder`);
    expect((await failure("/dev/zero")).message).toBe("templates file /dev/zero is not a regular file or a folder");
  });

  it("an in-process Template spec that breaks a rule is refused with its code and place", async () => {
    const spec = { kind: "Template", name: "t", category: "utility", languages: { en: { body: { text: "Hi {{2}}", examples: ["a"] } } } } as TemplateSpec;
    await expect(startSandbox({ apiKey: KEY, templates: [spec] })).rejects.toThrow(
      "templates option: template 1: template-variables-not-sequential at languages.en.body.text: ",
    );
  });
});

describe("msgc sandbox --templates (the built binary)", () => {
  beforeAll(ensureBuilt, 120_000);

  it("Template specs with lint errors: the diagnostics as validate prints them on stderr, exit 1", () => {
    const dir = folder({ "specs/templates/t.yaml": "kind: Template\nname: t\ncategory: utility\nlanguages:\n  en:\n    body:\n      text: \"{{1}} hi\"\n      examples: [a]\n" });
    const r = spawnSync(process.execPath, [cliPath, "sandbox", "--templates", "specs"], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    expect([r.status, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toBe(
      [
        "specs/templates/t.yaml:7:14 error template-variable-placement The body starts with {{1}}; Meta rejects a body that starts or ends with a variable",
        ' 7 |       text: "{{1}} hi"',
        "   |              ^",
        "msgc sandbox: not started, the --templates specs have problems: 1 error, 0 warnings",
        "",
      ].join("\n"),
    );
  });
});
