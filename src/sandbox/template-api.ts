/**
 * Connectly's template API in the sandbox (reference §6): `get/templates` lists what the sandbox
 * knows, `create/template` stores a new template as PENDING, and its review ends after
 * `reviewMs` (APPROVED, or REJECTED with a reason for a seeded share `rejectRate`). A template
 * send is then checked against the approved templates' components.
 */
import type { SendTemplateBody } from "../compiler/plan.js";
import { TEMPLATE_BODY_MAX, TEMPLATE_FOOTER_MAX, TEMPLATE_HEADER_TEXT_MAX } from "../compiler/template-lint.js";
import { asRecord as record, componentText as textOf, MEDIA_TYPE_NAMES, mediaKindOf, parametersTakenBy, pick, variablesIn } from "../connectly/components.js";
import { invalidRequest } from "./errors.js";
import type { Rejection } from "./errors.js";
import { createRandom } from "./prng.js";
import type { Random } from "./prng.js";
import { checkParameters, registryKey } from "./templates.js";
import type { ApprovedTemplate, TemplateDefinition } from "./templates.js";

export const PENDING = "MESSAGE_TEMPLATE_STATUS_PENDING";
export const APPROVED = "MESSAGE_TEMPLATE_STATUS_APPROVED";
export const REJECTED = "MESSAGE_TEMPLATE_STATUS_REJECTED";
/** Meta's reason for the sandbox's rejections: the commonest one (a format problem). */
export const REJECTION_REASON = "INVALID_FORMAT";

const CATEGORIES = new Map([
  ["MESSAGE_TEMPLATE_GROUP_CATEGORY_MARKETING", "MARKETING"],
  ["MESSAGE_TEMPLATE_GROUP_CATEGORY_UTILITY", "UTILITY"],
  ["MESSAGE_TEMPLATE_GROUP_CATEGORY_AUTHENTICATION", "AUTHENTICATION"],
]);
const NAME = /^[a-z][a-z0-9_]{0,511}$/;
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/;
// Meta's limits, the ones `msgc validate` lints a template spec against.
const MAX_BODY_CHARS = TEMPLATE_BODY_MAX;
const MAX_HEADER_CHARS = TEMPLATE_HEADER_TEXT_MAX;
const MAX_FOOTER_CHARS = TEMPLATE_FOOTER_MAX;
const MAX_BUTTONS = 10;
/** Meta's bound on an authentication code's expiry (the Template spec's codeExpirationMinutes). */
const MAX_CODE_EXPIRATION_MINUTES = 90;
/** Every request body may be 1 MiB: a bound on how many are kept bounds the sandbox's memory. */
export const MAX_TEMPLATES = 1000;

export interface StoredTemplate {
  id: string;
  groupId: string;
  name: string;
  language: string;
  /** As the list answers it: `MARKETING`, `UTILITY`, `AUTHENTICATION`. */
  category: string;
  components: unknown[];
  definition: TemplateDefinition;
  createdAt: number;
  /** When the review ends; until then the template is PENDING. */
  reviewedAt: number;
  verdict: typeof APPROVED | typeof REJECTED;
}

export interface TemplateStoreOptions {
  reviewMs: number;
  rejectRate: number;
  seed: number;
  now: () => number;
  nextId: () => string;
}

export class TemplateStore {
  private readonly byKey = new Map<string, StoredTemplate>();
  private readonly names = new Map<string, { groupId: string; category: string }>();
  private readonly random: Random;

  /** `strict`: started with a template list, so a template it does not know is refused. */
  constructor(
    private readonly options: TemplateStoreOptions,
    readonly strict: boolean,
  ) {
    // Its own stream: the faults' draws stay what they were for a given seed.
    this.random = createRandom(options.seed ^ 0x7e3a1a7e);
  }

  /** The `--templates` (list or Template specs), approved from the start. */
  static fromApproved(approved: readonly ApprovedTemplate[] | undefined, options: TemplateStoreOptions): TemplateStore {
    const store = new TemplateStore(options, approved !== undefined);
    for (const { definition, category, components } of approved ?? []) {
      store.add(definition.name, definition.language, category, components, definition, APPROVED, 0);
    }
    return store;
  }

  status(template: StoredTemplate): string {
    return this.options.now() >= template.reviewedAt ? template.verdict : PENDING;
  }

  /** Every template, grouped by name in the order names were first seen, as `get/templates` answers. */
  list(): unknown {
    const groups = new Map<string, StoredTemplate[]>();
    for (const template of this.byKey.values()) {
      const group = groups.get(template.name) ?? [];
      group.push(template);
      groups.set(template.name, group);
    }
    return {
      entity: {
        templateGroups: [...groups.entries()].map(([name, templates]) => this.groupJson(name, templates)),
      },
    };
  }

  create(body: unknown): { json: unknown } | { rejection: Rejection } {
    const request = readCreateRequest(body);
    if ("rejection" in request) return request;
    const { name, language, category, components, definition } = request;
    if (this.byKey.has(registryKey(name, language))) {
      return { rejection: invalidRequest("ERROR_CODE_MESSAGE_TEMPLATE_ALREADY_EXISTS", `Template "${name}" already exists in language "${language}"`, { field: "name" }) };
    }
    if (this.byKey.size >= MAX_TEMPLATES) {
      return { rejection: invalidArgument("name", `The sandbox holds at most ${MAX_TEMPLATES} templates`) };
    }
    const known = this.names.get(name);
    if (known && known.category !== category) {
      return { rejection: invalidArgument("category", `Template "${name}" is ${known.category}; a new language cannot make it ${category}`) };
    }
    const verdict = this.random() < this.options.rejectRate ? REJECTED : APPROVED;
    const now = this.options.now();
    const stored = this.add(name, language, category, components, definition, verdict, now + this.options.reviewMs);
    return { json: { entity: this.groupJson(name, [stored], true) } };
  }

  /** A template send: undefined when it may go, else Connectly's refusal. */
  checkSend(body: SendTemplateBody): Rejection | undefined {
    const template = this.byKey.get(registryKey(body.templateName, body.language));
    if (!template) {
      if (!this.strict && !this.names.has(body.templateName)) return undefined;
      return notFound(`Template "${body.templateName}" with language "${body.language}" was not found`);
    }
    const status = this.status(template);
    if (status !== APPROVED) {
      return notFound(`Template "${body.templateName}" with language "${body.language}" is not approved (${status.replace("MESSAGE_TEMPLATE_STATUS_", "")})`);
    }
    return checkParameters(template.definition, body);
  }

  private add(name: string, language: string, category: string, components: unknown[], definition: TemplateDefinition, verdict: StoredTemplate["verdict"], reviewedAt: number): StoredTemplate {
    let known = this.names.get(name);
    if (!known) {
      known = { groupId: this.options.nextId(), category };
      this.names.set(name, known);
    }
    const template: StoredTemplate = {
      id: this.options.nextId(),
      groupId: known.groupId,
      name,
      language,
      category: known.category,
      components,
      definition,
      createdAt: this.options.now(),
      reviewedAt,
      verdict,
    };
    this.byKey.set(registryKey(name, language), template);
    return template;
  }

  private groupJson(name: string, templates: StoredTemplate[], asCreated = false): unknown {
    const known = this.names.get(name)!;
    return {
      id: known.groupId,
      name,
      category: known.category,
      templates: templates.map((template) => {
        const status = asCreated ? PENDING : this.status(template);
        const changedAt = status === PENDING ? template.createdAt : Math.max(template.createdAt, template.reviewedAt);
        return {
          id: template.id,
          language: { code: template.language },
          status,
          createdAt: new Date(template.createdAt).toISOString(),
          updatedAt: new Date(changedAt).toISOString(),
          templateComponents: template.components,
          rejectionReason: status === REJECTED ? REJECTION_REASON : null,
          channel: { channelType: "CHANNEL_TYPE_WHATSAPP_CLOUD" },
        };
      }),
    };
  }
}

function notFound(message: string): Rejection {
  return invalidRequest("ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", message, { field: "templateName" });
}

function invalidArgument(field: string, message: string): Rejection {
  return invalidRequest("ERROR_CODE_INVALID_ARGUMENT", message, { field });
}

function sequential(numbers: number[]): boolean {
  return numbers.every((n, i) => n === i + 1);
}

interface CreateRequest {
  name: string;
  language: string;
  category: string;
  components: unknown[];
  definition: TemplateDefinition;
}

/**
 * The checks Meta's review would fail a template for at once (name, language, category, the
 * body and its variables, header, footer and button limits). The component shapes beyond the
 * body are the unconfirmed ones of docs/templates.md; both spellings of a key are read.
 */
export function readCreateRequest(body: unknown): CreateRequest | { rejection: Rejection } {
  const fail = (field: string, message: string) => ({ rejection: invalidArgument(field, message) });
  const request = record(body);
  if (!request) return fail("", "The request body must be a JSON object");
  const name = request["name"];
  if (typeof name !== "string" || !NAME.test(name)) return fail("name", "name must be lowercase letters, digits and underscores, starting with a letter, at most 512 characters");
  const language = pick(record(request["language"]), "code");
  if (typeof language !== "string" || !LANGUAGE.test(language)) return fail("language.code", "language.code must be a language code such as en or en_US");
  const category = CATEGORIES.get(String(request["category"]));
  if (!category) return fail("category", `category must be one of ${[...CATEGORIES.keys()].join(", ")}`);
  const components = pick(request, "template_components");
  if (!Array.isArray(components) || components.length === 0) return fail("template_components", "template_components must be a non-empty list");
  let bodies = 0;
  for (const [index, raw] of components.entries()) {
    const at = `template_components[${index}]`;
    const component = record(raw);
    const keys = component ? Object.keys(component) : [];
    if (!component || keys.length !== 1) return fail(at, `${at} must be an object with one of body, header, footer, buttons`);
    const kind = keys[0]!;
    const value = record(component[kind]);
    if (kind === "body") {
      bodies += 1;
      const text = textOf(value);
      if (text === undefined || text.trim() === "") return fail(`${at}.body.text.text`, "the body text is required");
      if (text.length > MAX_BODY_CHARS) return fail(`${at}.body.text.text`, `the body is ${text.length} characters; at most ${MAX_BODY_CHARS}`);
      const variables = variablesIn(text);
      if (!sequential(variables)) return fail(`${at}.body.text.text`, "body variables must be numbered {{1}}, {{2}}, … in order, without gaps or repeats");
    } else if (kind === "header") {
      const media = record(pick(value, "media"));
      if (media) {
        if (!mediaKindOf(pick(media, "type"))) return fail(`${at}.header.media.type`, `header media type must be one of ${MEDIA_TYPE_NAMES.join(", ")}`);
        continue;
      }
      const text = textOf(value);
      if (text === undefined || text.trim() === "") return fail(`${at}.header`, "a header needs text or media");
      if (text.length > MAX_HEADER_CHARS) return fail(`${at}.header.text.text`, `the header is ${text.length} characters; at most ${MAX_HEADER_CHARS}`);
      const variables = variablesIn(text);
      if (variables.length > 1 || !sequential(variables)) return fail(`${at}.header.text.text`, "a header takes at most one variable, {{1}}");
    } else if (kind === "footer") {
      // An authentication template's footer is Meta's expiry sentence: only its minutes are sent.
      const minutes = pick(value, "code_expiration_minutes");
      if (minutes !== undefined) {
        if (category !== "AUTHENTICATION") return fail(`${at}.footer.code_expiration_minutes`, "code_expiration_minutes is for authentication templates only");
        if (!Number.isInteger(minutes) || (minutes as number) < 1 || (minutes as number) > MAX_CODE_EXPIRATION_MINUTES) {
          return fail(`${at}.footer.code_expiration_minutes`, `code_expiration_minutes must be a whole number of minutes from 1 to ${MAX_CODE_EXPIRATION_MINUTES}`);
        }
        continue;
      }
      const text = textOf(value);
      if (text === undefined || text.length > MAX_FOOTER_CHARS || variablesIn(text).length > 0) {
        return fail(`${at}.footer.text.text`, `the footer must be text of at most ${MAX_FOOTER_CHARS} characters without variables`);
      }
    } else if (kind === "buttons") {
      const buttons = pick(value, "buttons");
      if (!Array.isArray(buttons) || buttons.length === 0 || buttons.length > MAX_BUTTONS) return fail(`${at}.buttons.buttons`, `buttons must be a list of 1 to ${MAX_BUTTONS}`);
    } else {
      return fail(at, `${at} must be an object with one of body, header, footer, buttons`);
    }
  }
  if (bodies !== 1) return fail("template_components", "a template has exactly one body component");
  // What a send must fill is read as the preflight reads a remote template: one reader for both.
  return { name, language, category, components, definition: { name, language, ...parametersTakenBy(components) } };
}
