import { describe, expect, it } from "vitest";
import { parameterNames, parametersTakenBy } from "../../src/connectly/components.js";
import { checkTemplateUse } from "../../src/runner/templates/preflight.js";

const body = (text: string) => ({ body: { text: { text } } });

describe("what a template's components make a send fill in", () => {
  it.each([
    ["a body with two variables", [body("Hi {{1}}, order {{2}}.")], ["body_1", "body_2"]],
    ["a body without variables", [body("Thanks!")], []],
    ["a text header with its variable", [{ header: { text: { text: "Order {{1}}" } } }, body("Hi.")], ["header_text"]],
    ["a static text header", [{ header: { text: { text: "Your order" } } }, body("Hi {{1}}.")], ["body_1"]],
    ["an image header", [{ header: { media: { type: "TYPE_IMAGE" } } }, body("Hi.")], ["header_image"]],
    ["a document header", [{ header: { media: { type: "TYPE_DOCUMENT" } } }, body("Hi.")], ["header_document"]],
    ["a video header", [{ header: { media: { type: "TYPE_VIDEO" } } }, body("Hi.")], ["header_video"]],
    ["a footer (no parameter)", [body("Hi."), { footer: { text: { text: "Lucky Shrub" } } }], []],
    [
      "URL buttons: only those with a variable; quick replies and phone take none",
      [body("Hi."), { buttons: { buttons: [{ url: { text: "Track", url: "https://t.example/{{1}}" } }, { quickReply: { text: "Talk" } }, { phoneNumber: { text: "Call", phoneNumber: "+14155550100" } }, { url: { text: "Home", url: "https://t.example/" } }, { url: { text: "Again", url: "https://t.example/a/{{1}}" } }] } }],
      ["button_1_url", "button_2_url"],
    ],
  ])("%s", (_name, components, names) => {
    expect(parameterNames(parametersTakenBy(components)!)).toEqual(names);
  });

  it("components without a readable body: not known (the preflight does not hold them against a message)", () => {
    expect(parametersTakenBy([])).toBeUndefined();
    expect(parametersTakenBy([{ BODY: { text: "Hi {{1}}" } }])).toBeUndefined();
    const use = { templateName: "t", language: "en", parameters: ["body_1"], file: "specs/m.yaml", path: ["template"] };
    const remote = { id: null, language: "en", status: "MESSAGE_TEMPLATE_STATUS_APPROVED", rejectionReason: null, templateComponents: [{ BODY: {} }], createdAt: null, updatedAt: null };
    expect(checkTemplateUse(use, [{ id: null, name: "t", category: null, templates: [remote] }])).toEqual([]);
  });

  it("paused and disabled are not approved either, said in Connectly's words", () => {
    const use = { templateName: "t", language: "en", parameters: [], file: "specs/m.yaml", path: ["template"] };
    const remote = { id: null, language: "en", status: "MESSAGE_TEMPLATE_STATUS_PAUSED", rejectionReason: null, templateComponents: [], createdAt: null, updatedAt: null };
    expect(checkTemplateUse(use, [{ id: null, name: "t", category: null, templates: [remote] }])).toEqual([
      { code: "template-not-approved", severity: "error", message: 'Template "t" (en) is paused, not approved', file: "specs/m.yaml", path: ["template"] },
    ]);
  });

  it("what the list says is bounded and fit for a terminal: ten languages named, control characters replaced", () => {
    const use = { templateName: "t", language: "en", parameters: [], file: "specs/m.yaml", path: ["template"] };
    const languages = ["es\u001b]0;x\u0007", ...Array.from({ length: 11 }, (_v, i) => `l${i}`)];
    const templates = languages.map((language) => ({ id: null, language, status: "S\u001b[2J", rejectionReason: null, templateComponents: [], createdAt: null, updatedAt: null }));
    const [missing] = checkTemplateUse(use, [{ id: null, name: "t", category: null, templates }]);
    expect(missing!.hint).toBe("It exists in es?]0;x?, l0, l1, l2, l3, l4, l5, l6, l7, l8 and 2 more.");
    const [pending] = checkTemplateUse({ ...use, language: "l0" }, [{ id: null, name: "t", category: null, templates }]);
    expect(pending!.message).toBe('Template "t" (l0) is s?[2j, not approved');
  });
});
