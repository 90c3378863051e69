import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SandboxConfigError, startSandbox } from "../../src/sandbox/index.js";
import type { TemplateDefinition } from "../../src/sandbox/index.js";
import { call, KEY, TEMPLATE_PATH, sandbox, template } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "msgc-sandbox-templates-"));

const YAML = `# approved templates
- name: order_shipped
  language: en
  body: 2
- name: order_shipped
  language: es
  body: 1
- name: spring_sale
  language: en_US
  header: image
  body: 1
  buttons: 2
- name: invoice
  language: en
  header: document
- name: greeting
  language: en
  header: text
`;

const p = (name: string, value: string, filename?: string) => (filename ? { name, value, filename } : { name, value });

describe("--templates", () => {
  const yamlFile = join(dir, "templates.yaml");
  writeFileSync(yamlFile, YAML);

  it.each([
    ["body parameters", template({ parameters: [p("body_1", "Ana"), p("body_2", "12345")] })],
    ["another language of the same name", template({ language: "es", parameters: [p("body_1", "Ana")] })],
    ["media header, body and two URL buttons, in any order", template({ templateName: "spring_sale", language: "en_US", parameters: [p("button_2_url", "b"), p("body_1", "Ana"), p("header_image", "https://cdn.example.com/sale.png"), p("button_1_url", "a")] })],
    ["a document header with a filename", template({ templateName: "invoice", parameters: [p("header_document", "https://cdn.example.com/i.pdf", "invoice.pdf")] })],
    ["a text header", template({ templateName: "greeting", parameters: [p("header_text", "Ana")] })],
  ])("accepts %s", async (_name, body) => {
    const box = await sandbox({ templates: yamlFile });
    const reply = await call(box, TEMPLATE_PATH, { body });
    expect(reply.status).toBe(200);
  });

  it.each([
    ["an unknown name", template({ templateName: "order_shiped" }), `Template "order_shiped" with language "en" was not found`],
    ["a known name in an unknown language", template({ language: "pt_BR" }), `Template "order_shipped" with language "pt_BR" was not found`],
  ])("rejects %s: ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", async (_name, body, message) => {
    const box = await sandbox({ templates: yamlFile });
    const reply = await call(box, TEMPLATE_PATH, { body });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", message });
  });

  it.each([
    ["a missing body parameter", template({ parameters: [p("body_1", "Ana")] }), `template "order_shipped" needs parameter body_2`],
    ["no parameters at all", template({ templateName: "spring_sale", language: "en_US" }), `template "spring_sale" needs parameters header_image, body_1, button_1_url, button_2_url`],
    ["one body parameter too many", template({ parameters: [p("body_1", "a"), p("body_2", "b"), p("body_3", "c")] }), `template "order_shipped" takes no parameter body_3`],
    ["a header the template does not have", template({ parameters: [p("header_text", "x"), p("body_1", "a"), p("body_2", "b")] }), `template "order_shipped" takes no parameter header_text`],
    ["the wrong media header", template({ templateName: "spring_sale", language: "en_US", parameters: [p("header_video", "https://cdn.example.com/v.mp4")] }), `template "spring_sale" takes no parameter header_video`],
    ["a parameter twice", template({ parameters: [p("body_1", "a"), p("body_1", "b"), p("body_2", "c")] }), "parameter body_1 is given more than once"],
    ["an empty value", template({ parameters: [p("body_1", " "), p("body_2", "b")] }), "parameter body_1 is empty"],
    ["a header media value that is no URL", template({ templateName: "invoice", parameters: [p("header_document", "invoice.pdf")] }), "parameter header_document is not a valid http(s) URL"],
    ["a filename on a body parameter", template({ parameters: [p("body_1", "a", "a.txt"), p("body_2", "b")] }), "parameter body_1 cannot have a filename"],
  ])("rejects %s: ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", async (_name, body, message) => {
    const box = await sandbox({ templates: yamlFile });
    const reply = await call(box, TEMPLATE_PATH, { body });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", message, details: { field: "parameters" } });
  });

  it("reads a JSON file and an in-process list the same way", async () => {
    const list: TemplateDefinition[] = [{ name: "order_shipped", language: "en", body: 2 }];
    const jsonFile = join(dir, "templates.json");
    writeFileSync(jsonFile, JSON.stringify(list));
    for (const templates of [jsonFile, list]) {
      const box = await sandbox({ templates });
      expect((await call(box, TEMPLATE_PATH, { body: template({ parameters: [p("body_1", "a"), p("body_2", "b")] }) })).status).toBe(200);
      expect((await call(box, TEMPLATE_PATH, { body: template({ templateName: "other" }) })).json.code).toBe("ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND");
    }
  });

  it.each([
    ["neither a list nor a spec", "name: x\n", /neither-a-list-nor-a-spec\.yaml: expected a Template spec \(kind: Template\) or a list of templates$/],
    ["a missing language", "- name: x\n", /: template 1: "language" must be a non-empty string$/],
    ["a body count over 15", "- { name: x, language: en, body: 16 }\n", /: template 1: "body" must be a whole number from 0 to 15$/],
    ["three buttons", "- { name: x, language: en, buttons: 3 }\n", /: template 1: "buttons" must be a whole number from 0 to 2$/],
    ["an unknown header", "- { name: x, language: en, header: audio }\n", /: template 1: "header" must be one of text, image, video, document$/],
    ["an unknown field", "- { name: x, language: en, footer: hi }\n", /: template 1: unknown field "footer"/],
    ["a duplicate", "- { name: x, language: en }\n- { name: x, language: en }\n", /: template 2: "x" \(en\) is listed twice$/],
    ["broken YAML", "- { name: x\n", /is not valid YAML or JSON/],
    ["two documents", "- { name: x, language: en }\n---\n- { name: y, language: en }\n", /two-documents\.yaml:2:1 templates file is not valid YAML or JSON: it holds more than one YAML document \(---\): one list, or one Template spec, per file$/],
  ])("a templates file with %s is a SandboxConfigError", async (name, content, message) => {
    const file = join(dir, `${name.replace(/\W+/g, "-")}.yaml`);
    writeFileSync(file, content);
    const failure = startSandbox({ apiKey: KEY, templates: file });
    await expect(failure).rejects.toThrow(SandboxConfigError);
    await expect(failure).rejects.toThrow(message);
  });
});
