/**
 * Template specs as Connectly's create request, one golden body per component kind (the mapping
 * of everything but the body is unconfirmed: docs/templates.md), and every example Template spec
 * as the requests `msgc templates apply` would send (test/fixtures/templates-create/*.json;
 * UPDATE_GOLDEN=1 rewrites them).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { templateCreateRequest, templateCreateRequests } from "../../src/compiler/template-create.js";
import { loadSpecSource } from "../../src/project/load.js";
import type { TemplateSpec } from "../../src/types/template.generated.js";
import { expectGolden } from "../preview/golden-file.js";

function spec(languageYaml: string, category = "utility"): TemplateSpec {
  const source = `kind: Template\nname: t_v1\ncategory: ${category}\nlanguages:\n  en_US:\n${languageYaml}`;
  const { spec: loaded, diagnostics } = loadSpecSource(source, "specs/t.yaml", "/p/specs/t.yaml");
  expect(diagnostics).toEqual([]);
  return loaded!.data as TemplateSpec;
}

const BODY = `    body: { text: "Hi {{1}}, order {{2}} shipped.", examples: ["Ana", "12345"] }\n`;
const components = (languageYaml: string, category?: string) => templateCreateRequest(spec(languageYaml, category), "en_US").template_components;

describe("create request per component kind", () => {
  test("the envelope: name, language object, category constant", () => {
    const request = templateCreateRequest(spec(BODY, "marketing"), "en_US");
    expect({ ...request, template_components: [] }).toEqual({ name: "t_v1", language: { code: "en_US" }, category: "MESSAGE_TEMPLATE_GROUP_CATEGORY_MARKETING", template_components: [] });
  });
  test("body, with its examples", () => {
    expect(components(BODY)).toEqual([{ body: { text: { text: "Hi {{1}}, order {{2}} shipped.", example: ["Ana", "12345"] } } }]);
  });
  test("text header, with and without a variable", () => {
    expect(components(`    header: { text: "Order {{1}}", example: "12345" }\n${BODY}`)[0]).toEqual({ header: { text: { text: "Order {{1}}", example: ["12345"] } } });
    expect(components(`    header: { text: Shipped }\n${BODY}`)[0]).toEqual({ header: { text: { text: "Shipped" } } });
  });
  test.each([
    ["image", "TYPE_IMAGE"],
    ["video", "TYPE_VIDEO"],
    ["document", "TYPE_DOCUMENT"],
  ])("%s header", (kind, type) => {
    expect(components(`    header: { ${kind}: "https://cdn.example.com/x" }\n${BODY}`)[0]).toEqual({ header: { media: { type, example: ["https://cdn.example.com/x"] } } });
  });
  test("footer", () => {
    expect(components(`${BODY}    footer: Lucky Shrub\n`)[1]).toEqual({ footer: { text: { text: "Lucky Shrub" } } });
  });
  test("buttons: url (with and without a variable), quick reply, phone, copy code, in the spec's order", () => {
    const buttons = `    buttons:
      - { type: url, text: Track, url: "https://t.example/{{1}}", example: "https://t.example/1" }
      - { type: url, text: Shop, url: "https://t.example/shop" }
      - { type: quick_reply, text: Stop }
      - { type: phone, text: Call, phone: "+14155550100" }
      - { type: copy_code, example: SPRING20 }
`;
    expect(components(`${BODY}${buttons}`, "marketing")[1]).toEqual({
      buttons: {
        buttons: [
          { url: { text: "Track", url: "https://t.example/{{1}}", example: ["https://t.example/1"] } },
          { url: { text: "Shop", url: "https://t.example/shop" } },
          { quick_reply: { text: "Stop" } },
          { phone_number: { text: "Call", phone_number: "+14155550100" } },
          { copy_code: { example: "SPRING20" } },
        ],
      },
    });
  });
  test("authentication: Meta's body with the code as {{1}}, the expiry footer, the OTP button", () => {
    expect(components(`    otp: { type: one_tap, text: Autofill, codeExpirationMinutes: 10, addSecurityRecommendation: true }\n`, "authentication")).toEqual([
      { body: { text: { text: "{{1}} is your verification code." }, add_security_recommendation: true } },
      { footer: { code_expiration_minutes: 10 } },
      { buttons: { buttons: [{ otp: { otp_type: "ONE_TAP", text: "Autofill" } }] } },
    ]);
  });
});

test.each(readdirSync(fileURLToPath(new URL("../../specs/templates/", import.meta.url))).sort())("specs/templates/%s as create requests", (file) => {
  const path = fileURLToPath(new URL(`../../specs/templates/${file}`, import.meta.url));
  const { spec: loaded } = loadSpecSource(readFileSync(path, "utf8"), `specs/templates/${file}`, path);
  expectGolden(`templates-create/${file.replace(/\.yaml$/, ".json")}`, `${JSON.stringify(templateCreateRequests(loaded!.data as TemplateSpec), null, 2)}\n`);
});
