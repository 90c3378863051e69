import { describe, expect, it } from "vitest";
import { MAX_TEMPLATES } from "../../src/sandbox/template-api.js";
import { BUSINESS, call, NUMBER, sandbox, TEMPLATE_PATH, ULID } from "./helpers.js";

const LIST = `/v1/businesses/${BUSINESS}/get/templates`;
const CREATE = `/v1/businesses/${BUSINESS}/create/template`;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The order_shipped_v2 of docs/templates.md in the request's component form. */
function createBody(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "order_shipped_v2",
    language: { code: "en_US" },
    category: "MESSAGE_TEMPLATE_GROUP_CATEGORY_UTILITY",
    template_components: [
      { header: { text: { text: "Order {{1}}", example: ["12345"] } } },
      { body: { text: { text: "Hi {{1}}, your order #{{2}} is on its way.", example: ["Ana", "12345"] } } },
      { footer: { text: { text: "Lucky Shrub" } } },
      { buttons: { buttons: [{ url: { text: "Track it", url: "https://t.example/track/{{1}}", example: ["https://t.example/track/12345"] } }, { quick_reply: { text: "Talk to us" } }] } },
    ],
    ...fields,
  };
}

const p = (name: string, value: string) => ({ name, value });
const FULL_PARAMETERS = [p("header_text", "12345"), p("body_1", "Ana"), p("body_2", "12345"), p("button_1_url", "12345")];

function clock(start = Date.UTC(2026, 0, 1)) {
  const state = { t: start };
  return { now: () => state.t, advance: (ms: number) => (state.t += ms) };
}

describe("sandbox template API", () => {
  it("get/templates lists a --templates list in Connectly's shape, approved", async () => {
    const box = await sandbox({ templates: [{ name: "order_shipped", language: "en", body: 2 }, { name: "order_shipped", language: "es", body: 1 }] });
    const reply = await call(box, LIST);
    expect(reply.status).toBe(200);
    const groups = reply.json.entity.templateGroups;
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ id: expect.stringMatching(ULID), name: "order_shipped", category: "UTILITY" });
    expect(groups[0].templates.map((t: any) => [t.language.code, t.status, t.rejectionReason])).toEqual([
      ["en", "MESSAGE_TEMPLATE_STATUS_APPROVED", null],
      ["es", "MESSAGE_TEMPLATE_STATUS_APPROVED", null],
    ]);
    expect(groups[0].templates[0].templateComponents).toEqual([{ body: { text: { text: "Sandbox template: {{1}}, {{2}}." } } }]);
    expect(groups[0].templates[0].createdAt).toMatch(ISO);
  });

  it("get/templates with nothing known answers an empty list", async () => {
    const box = await sandbox();
    expect(await call(box, LIST)).toMatchObject({ status: 200, json: { entity: { templateGroups: [] } } });
  });

  it("create/template answers PENDING; after --review-ms the list says APPROVED and sends are checked against it", async () => {
    const time = clock();
    const box = await sandbox({ reviewMs: 60_000, now: time.now });
    const created = await call(box, CREATE, { body: createBody() });
    expect(created.status).toBe(200);
    expect(created.json.entity).toMatchObject({ name: "order_shipped_v2", category: "UTILITY" });
    expect(created.json.entity.templates).toEqual([
      {
        id: expect.stringMatching(ULID),
        language: { code: "en_US" },
        status: "MESSAGE_TEMPLATE_STATUS_PENDING",
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-01-01T00:00:00.000Z",
        templateComponents: createBody()["template_components"],
        rejectionReason: null,
        channel: { channelType: "CHANNEL_TYPE_WHATSAPP_CLOUD" },
      },
    ]);
    const send = { number: NUMBER, templateName: "order_shipped_v2", language: "en_US", parameters: FULL_PARAMETERS };
    const early = await call(box, TEMPLATE_PATH, { body: send });
    expect(early.status).toBe(400);
    expect(early.json).toMatchObject({ code: "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", message: 'Template "order_shipped_v2" with language "en_US" is not approved (PENDING)' });

    time.advance(59_999);
    expect((await call(box, LIST)).json.entity.templateGroups[0].templates[0].status).toBe("MESSAGE_TEMPLATE_STATUS_PENDING");
    time.advance(1);
    const listed = (await call(box, LIST)).json.entity.templateGroups[0].templates[0];
    expect(listed).toMatchObject({ status: "MESSAGE_TEMPLATE_STATUS_APPROVED", updatedAt: "2026-01-01T00:01:00.000Z" });

    expect((await call(box, TEMPLATE_PATH, { body: send })).status).toBe(200);
    const short = await call(box, TEMPLATE_PATH, { body: { ...send, parameters: FULL_PARAMETERS.slice(0, 3) } });
    expect(short.json).toMatchObject({ code: "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID", message: 'template "order_shipped_v2" needs parameter button_1_url' });
    const otherLanguage = await call(box, TEMPLATE_PATH, { body: { ...send, language: "es" } });
    expect(otherLanguage.json).toMatchObject({ code: "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", message: 'Template "order_shipped_v2" with language "es" was not found' });
    // Without a --templates list, a name the sandbox never heard of still goes.
    expect((await call(box, TEMPLATE_PATH, { body: { number: NUMBER, templateName: "anything", language: "en" } })).status).toBe(200);
  });

  it("--reject-rate 1: the review rejects with Meta's reason, and a send is refused", async () => {
    const box = await sandbox({ rejectRate: 1 });
    await call(box, CREATE, { body: createBody() });
    const listed = (await call(box, LIST)).json.entity.templateGroups[0].templates[0];
    expect(listed).toMatchObject({ status: "MESSAGE_TEMPLATE_STATUS_REJECTED", rejectionReason: "INVALID_FORMAT" });
    const send = await call(box, TEMPLATE_PATH, { body: { number: NUMBER, templateName: "order_shipped_v2", language: "en_US", parameters: FULL_PARAMETERS } });
    expect(send.json).toMatchObject({ code: "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", message: 'Template "order_shipped_v2" with language "en_US" is not approved (REJECTED)' });
  });

  it("--reject-rate draws from --seed: the same seed rejects the same templates", async () => {
    const verdicts = async (seed: number): Promise<string[]> => {
      const box = await sandbox({ rejectRate: 0.5, seed });
      for (let i = 0; i < 12; i++) await call(box, CREATE, { body: createBody({ name: `t_${i}` }) });
      return (await call(box, LIST)).json.entity.templateGroups.map((g: any) => g.templates[0].status.replace("MESSAGE_TEMPLATE_STATUS_", ""));
    };
    const first = await verdicts(7);
    expect(await verdicts(7)).toEqual(first);
    expect(first).toContain("APPROVED");
    expect(first).toContain("REJECTED");
  });

  it("a second language joins its name's group; the same language twice is refused", async () => {
    const box = await sandbox();
    await call(box, CREATE, { body: createBody() });
    const es = await call(box, CREATE, { body: createBody({ language: { code: "es" }, template_components: [{ body: { text: { text: "Hola {{1}}, tu pedido." } } }] }) });
    expect(es.status).toBe(200);
    const groups = (await call(box, LIST)).json.entity.templateGroups;
    expect(groups.map((g: any) => [g.name, g.templates.map((t: any) => t.language.code)])).toEqual([["order_shipped_v2", ["en_US", "es"]]]);
    expect(es.json.entity.id).toBe(groups[0].id);
    const again = await call(box, CREATE, { body: createBody() });
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ code: "ERROR_CODE_MESSAGE_TEMPLATE_ALREADY_EXISTS", message: 'Template "order_shipped_v2" already exists in language "en_US"' });
    const recategorised = await call(box, CREATE, { body: createBody({ language: { code: "pt_BR" }, category: "MESSAGE_TEMPLATE_GROUP_CATEGORY_MARKETING" }) });
    expect(recategorised.json).toMatchObject({ code: "ERROR_CODE_INVALID_ARGUMENT", message: 'Template "order_shipped_v2" is UTILITY; a new language cannot make it MARKETING' });
  });

  it.each([
    ["a kebab-case name", { name: "order-shipped" }, "name", "name must be lowercase letters, digits and underscores, starting with a letter, at most 512 characters"],
    ["a language given as a string", { language: "en_US" }, "language.code", "language.code must be a language code such as en or en_US"],
    ["a plain category", { category: "UTILITY" }, "category", "category must be one of MESSAGE_TEMPLATE_GROUP_CATEGORY_MARKETING, MESSAGE_TEMPLATE_GROUP_CATEGORY_UTILITY, MESSAGE_TEMPLATE_GROUP_CATEGORY_AUTHENTICATION"],
    ["no components", { template_components: [] }, "template_components", "template_components must be a non-empty list"],
    ["no body", { template_components: [{ footer: { text: { text: "x" } } }] }, "template_components", "a template has exactly one body component"],
    ["a body over 1024 characters", { template_components: [{ body: { text: { text: "a".repeat(1025) } } }] }, "template_components[0].body.text.text", "the body is 1025 characters; at most 1024"],
    ["variables out of order", { template_components: [{ body: { text: { text: "Hi {{2}} and {{1}}." } } }] }, "template_components[0].body.text.text", "body variables must be numbered {{1}}, {{2}}, … in order, without gaps or repeats"],
    ["a header with two variables", { template_components: [{ header: { text: { text: "{{1}} {{2}}" } } }, { body: { text: { text: "x" } } }] }, "template_components[0].header.text.text", "a header takes at most one variable, {{1}}"],
    ["an unknown media type", { template_components: [{ header: { media: { type: "TYPE_GIF" } } }, { body: { text: { text: "x" } } }] }, "template_components[0].header.media.type", "header media type must be one of TYPE_IMAGE, TYPE_VIDEO, TYPE_DOCUMENT"],
    ["a footer with a variable", { template_components: [{ body: { text: { text: "x" } } }, { footer: { text: { text: "{{1}}" } } }] }, "template_components[1].footer.text.text", "the footer must be text of at most 60 characters without variables"],
    ["a code expiry footer outside authentication", { template_components: [{ body: { text: { text: "x" } } }, { footer: { code_expiration_minutes: 10 } }] }, "template_components[1].footer.code_expiration_minutes", "code_expiration_minutes is for authentication templates only"],
    ...[91, 0, 2.5, "10"].map((minutes) => [
      `a code expiry of ${JSON.stringify(minutes)} minutes`,
      { category: "MESSAGE_TEMPLATE_GROUP_CATEGORY_AUTHENTICATION", template_components: [{ body: { text: { text: "{{1}} is your verification code." } } }, { footer: { code_expiration_minutes: minutes } }] },
      "template_components[1].footer.code_expiration_minutes",
      "code_expiration_minutes must be a whole number of minutes from 1 to 90",
    ]),
    ["eleven buttons", { template_components: [{ body: { text: { text: "x" } } }, { buttons: { buttons: Array.from({ length: 11 }, () => ({ quick_reply: { text: "y" } })) } }] }, "template_components[1].buttons.buttons", "buttons must be a list of 1 to 10"],
    ["an unknown component", { template_components: [{ carousel: {} }] }, "template_components[0]", "template_components[0] must be an object with one of body, header, footer, buttons"],
  ])("create/template refuses %s with a Connectly error body", async (_name, fields, field, message) => {
    const box = await sandbox();
    const reply = await call(box, CREATE, { body: createBody(fields) });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_INVALID_ARGUMENT", message, details: { field } });
    expect((await call(box, LIST)).json.entity.templateGroups).toEqual([]);
  });

  it("create/template with a body that is not JSON or not an object", async () => {
    const box = await sandbox();
    expect((await call(box, CREATE, { raw: "{" })).json).toMatchObject({ code: "ERROR_CODE_MALFORMED_JSON" });
    expect((await call(box, CREATE, { body: [1] })).json).toMatchObject({ code: "ERROR_CODE_INVALID_ARGUMENT", message: "The request body must be a JSON object" });
  });

  it("the sandbox keeps at most MAX_TEMPLATES templates: the next create is refused", async () => {
    const box = await sandbox({ templates: Array.from({ length: MAX_TEMPLATES }, (_v, i) => ({ name: `t_${i}`, language: "en" })) });
    const reply = await call(box, CREATE, { body: createBody() });
    expect(reply.json).toMatchObject({ code: "ERROR_CODE_INVALID_ARGUMENT", message: `The sandbox holds at most ${MAX_TEMPLATES} templates` });
  });

  it("the template API needs the key, POST, and counts against the business's rate", async () => {
    const box = await sandbox({ rate: 1 });
    expect((await call(box, LIST, { headers: { "x-api-key": "wrong" } })).status).toBe(401);
    expect((await call(box, LIST, { method: "GET" })).status).toBe(405);
    expect((await call(box, LIST)).status).toBe(200);
    const limited = await call(box, CREATE, { body: createBody() });
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("1");
  });
});
