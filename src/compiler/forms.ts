/**
 * Compiling one form (session or template) of one locale variant into a builder: everything that
 * does not depend on the inputs is checked and prepared here, once; the builder only renders the
 * interpolated strings, checks their limits and assembles the payload in the fixed key order.
 */
import type { Diagnostic, DiagnosticCode, JsonPath } from "../diagnostics.js";
import type { Session, TemplateOverride } from "../types/message.generated.js";
import type { SendMessageBody, SendTemplateBody } from "./plan.js";
import { compileText, findSingleBraces, type CompiledText, type Values, type VarInfo } from "./interpolation.js";
import { quote } from "./words.js";
import { allOf, checkCallbackData, httpsUrl, LIMITS, maxChars, nonEmpty, templateParam, type Check, type Report } from "./limits.js";

export type SessionMessage = SendMessageBody["message"];
export type TemplateParameter = NonNullable<SendTemplateBody["parameters"]>[number];

/** What a builder needs at render time. `report` collects per-recipient problems. */
export interface RenderContext {
  values: Values;
  locale: string | undefined;
  report: Report;
}

export interface SessionBuilder {
  message: (rc: RenderContext) => SessionMessage;
  callbackData?: (rc: RenderContext) => unknown;
}

export interface TemplateBuilder {
  templateName: string;
  language: string;
  /** The names `parameters` fills, in order: every one is always sent. */
  parameterNames: readonly string[];
  parameters: (rc: RenderContext) => TemplateParameter[] | undefined;
  callbackData?: (rc: RenderContext) => unknown;
}

/** Compile-time state shared by every field of one message. */
export interface CompileContext {
  file: string;
  vars: ReadonlyMap<string, VarInfo>;
  diagnostics: Diagnostic[];
  textCache: Map<string, CompiledText>;
  /** The declared vars some field uses. */
  used: Set<string>;
}

/** Maps a path relative to the form to the spec path it came from (base or locale override). */
export type Origin = (relative: JsonPath) => JsonPath;

export interface Field {
  path: JsonPath;
  text: CompiledText;
  check: Check | undefined;
}

function staticReport(cc: CompileContext): Report {
  return (code, message, path) => {
    cc.diagnostics.push({ code, severity: "error", message, file: cc.file, path });
  };
}

function error(cc: CompileContext, code: DiagnosticCode, message: string, path: JsonPath): void {
  cc.diagnostics.push({ code, severity: "error", message, file: cc.file, path });
}

/** Compile one string field; a literal is checked here, once. Undefined after an error. */
function field(cc: CompileContext, source: string, path: JsonPath, check?: Check): Field | undefined {
  let text = cc.textCache.get(source);
  if (!text) {
    const ctx = { file: cc.file, path, vars: cc.vars, used: cc.used };
    const compiled = compileText(source, ctx);
    cc.diagnostics.push(...compiled.diagnostics);
    if (!compiled.text) return undefined;
    cc.diagnostics.push(...findSingleBraces(source, ctx));
    text = compiled.text;
    cc.textCache.set(source, text);
  }
  if (text.literal && check) check(text.render({}, undefined), path, staticReport(cc));
  return { path, text, check };
}

/** A render that threw (missing value, helper refusing its input), with the field it was for. */
export class FieldRenderError extends Error {
  override name = "FieldRenderError";
  constructor(
    readonly path: JsonPath,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export function renderText(f: Field, rc: RenderContext): string {
  try {
    return f.text.render(rc.values, rc.locale);
  } catch (cause) {
    throw new FieldRenderError(f.path, cause);
  }
}

export function render(f: Field, rc: RenderContext): string {
  const value = renderText(f, rc);
  if (!f.text.literal && f.check) f.check(value, f.path, rc.report);
  return value;
}

/** Optional fields that render to the empty string are left out of the payload. */
function renderOptional(f: Field | undefined, rc: RenderContext): string | undefined {
  if (!f) return undefined;
  const value = renderText(f, rc);
  if (value === "") return undefined;
  if (!f.text.literal && f.check) f.check(value, f.path, rc.report);
  return value;
}

/** Fields that failed to compile make the whole form unusable; a builder is only made if all did. */
export class Fields {
  ok = true;
  constructor(private readonly cc: CompileContext) {}
  required(source: string, path: JsonPath, label: string, ...checks: Check[]): Field {
    return this.track(field(this.cc, source, path, allOf(nonEmpty(label), ...checks)));
  }
  optional(source: string | undefined, path: JsonPath, ...checks: Check[]): Field | undefined {
    if (source === undefined) return undefined;
    return this.track(field(this.cc, source, path, checks.length > 0 ? allOf(...checks) : undefined));
  }
  private track(f: Field | undefined): Field {
    if (!f) this.ok = false;
    return f as Field;
  }
}

/**
 * Unique values: clashes between literals are reported once at compile time, clashes involving
 * an interpolated value on every render.
 */
function uniqueness(cc: CompileContext, fields: Field[], code: DiagnosticCode, label: string): ((rc: RenderContext) => void) | undefined {
  const check = (values: (string | undefined)[], report: Report, literalsOnly: boolean): void => {
    const first = new Map<string, number>();
    values.forEach((value, index) => {
      if (value === undefined) return;
      const earlier = first.get(value);
      if (earlier === undefined) first.set(value, index);
      else if (literalsOnly || !(fields[index] as Field).text.literal || !(fields[earlier] as Field).text.literal) {
        report(code, `${label} ${quote(value)} is used more than once; it must be unique`, (fields[index] as Field).path);
      }
    });
  };
  check(fields.map((f) => (f.text.literal ? f.text.render({}, undefined) : undefined)), staticReport(cc), true);
  if (fields.every((f) => f.text.literal)) return undefined;
  return (rc) => check(fields.map((f) => renderText(f, rc)), rc.report, false);
}

const CONTENT_KINDS = ["attachment", "location", "list", "buttons", "product"] as const;
type ContentKind = (typeof CONTENT_KINDS)[number];

export function compileSession(session: Session, origin: Origin, cc: CompileContext): SessionBuilder | undefined {
  const before = cc.diagnostics.length;
  const kinds = CONTENT_KINDS.filter((k) => session[k] !== undefined);
  if (kinds.length > 1) {
    // Point at the kind a locale entry added, when one did: that is the line to change.
    const culprit = kinds.find((k) => origin([k])[0] === "locales") ?? (kinds[1] as string);
    error(cc, "multiple-content-kinds", `session has ${kinds.join(" and ")}; a session message has exactly one content kind`, origin([culprit]));
    return undefined;
  }
  const kind: ContentKind | "text" | undefined = kinds[0] ?? (session.text !== undefined ? "text" : undefined);
  if (!kind) {
    error(cc, "missing-content", "session needs a content kind: text, attachment, location, list, buttons or product", origin([]));
    return undefined;
  }
  if ((kind === "attachment" || kind === "location") && session.text !== undefined) {
    const instead = kind === "attachment" ? "; put the words in attachment.caption" : "";
    error(cc, "multiple-content-kinds", `text cannot be combined with ${kind}${instead}`, origin(["text"]));
  }
  if ((kind === "list" || kind === "buttons") && session.text === undefined) {
    error(cc, "missing-content", `a ${kind === "list" ? "list" : "reply buttons"} message needs text: the message body`, origin([kind]));
  }
  if (session.header !== undefined && kind !== "list" && kind !== "buttons") {
    error(cc, "header-not-allowed", `header is only allowed with list or buttons, not with ${kind}`, origin(["header"]));
  } else if (kind === "list" && typeof session.header === "object") {
    error(cc, "header-not-allowed", "a list header can only be text", origin(["header"]));
  }
  if (session.footer !== undefined && kind !== "list" && kind !== "buttons" && kind !== "product") {
    error(cc, "footer-not-allowed", `footer is only allowed with list, buttons or product, not with ${kind}`, origin(["footer"]));
  }
  if (cc.diagnostics.length > before) return undefined;

  const fields = new Fields(cc);
  const message = buildContent(session, kind, origin, cc, fields);
  const callbackData = compileCallbackData(session.callbackData, origin(["callbackData"]), cc, fields);
  if (!fields.ok || !message || cc.diagnostics.length > before) return undefined;
  return callbackData ? { message, callbackData } : { message };
}

function buildContent(
  session: Session,
  kind: ContentKind | "text",
  origin: Origin,
  cc: CompileContext,
  fields: Fields,
): ((rc: RenderContext) => SessionMessage) | undefined {
  switch (kind) {
    case "text": {
      const text = fields.required(session.text as string, origin(["text"]), "Text", maxChars("text-too-long", "Text", LIMITS.text));
      return (rc) => ({ text: render(text, rc) });
    }
    case "attachment":
      return buildAttachment(session, origin, cc, fields);
    case "location": {
      const location = session.location as NonNullable<Session["location"]>;
      const name = fields.optional(location.name, origin(["location", "name"]));
      const address = fields.optional(location.address, origin(["location", "address"]));
      return (rc) => {
        const out: NonNullable<SessionMessage["location"]> = { latitude: location.latitude, longitude: location.longitude };
        const n = renderOptional(name, rc);
        if (n !== undefined) out.name = n;
        const a = renderOptional(address, rc);
        if (a !== undefined) out.address = a;
        return { location: out };
      };
    }
    case "list":
      return buildList(session, origin, cc, fields);
    case "buttons":
      return buildButtons(session, origin, cc, fields);
    case "product": {
      const product = session.product as NonNullable<Session["product"]>;
      const body = fields.optional(session.text, origin(["text"]), maxChars("body-too-long", "Body", LIMITS.productBody));
      const catalogId = fields.required(product.catalogId, origin(["product", "catalogId"]), "catalogId");
      const retailerId = fields.required(product.productRetailerId, origin(["product", "productRetailerId"]), "productRetailerId");
      const footer = fields.optional(session.footer, origin(["footer"]), maxChars("footer-too-long", "Footer", LIMITS.footer));
      return (rc) => {
        const out: SessionMessage = {};
        const text = renderOptional(body, rc);
        if (text !== undefined) out.text = text;
        const single: NonNullable<SessionMessage["singleProductMessage"]> = {
          catalogId: render(catalogId, rc),
          productItem: { productRetailerId: render(retailerId, rc) },
        };
        const f = renderOptional(footer, rc);
        if (f !== undefined) single.footer = { text: f };
        out.singleProductMessage = single;
        return out;
      };
    }
  }
}

function buildAttachment(session: Session, origin: Origin, cc: CompileContext, fields: Fields): (rc: RenderContext) => SessionMessage {
  const attachment = session.attachment as NonNullable<Session["attachment"]>;
  if (attachment.filename !== undefined && attachment.type !== "document") {
    error(cc, "filename-not-allowed", `filename is only allowed for a document attachment, not ${attachment.type}`, origin(["attachment", "filename"]));
  }
  const url = fields.required(attachment.url, origin(["attachment", "url"]), "Attachment URL", httpsUrl("Attachment URL"));
  const caption = fields.optional(attachment.caption, origin(["attachment", "caption"]), maxChars("caption-too-long", "Caption", LIMITS.caption));
  const filename = fields.optional(attachment.filename, origin(["attachment", "filename"]));
  return (rc) => {
    const out: NonNullable<SessionMessage["attachments"]>[number] = { type: attachment.type, url: render(url, rc) };
    const c = renderOptional(caption, rc);
    if (c !== undefined) out.caption = c;
    const f = renderOptional(filename, rc);
    if (f !== undefined) out.filename = f;
    return { attachments: [out] };
  };
}

function buildList(session: Session, origin: Origin, cc: CompileContext, fields: Fields): ((rc: RenderContext) => SessionMessage) | undefined {
  const list = session.list as NonNullable<Session["list"]>;
  const sectionsPath = origin(["list", "sections"]);
  if (list.sections.length === 0) {
    error(cc, "too-few-items", "a list needs at least one section", sectionsPath);
    return undefined;
  }
  if (list.sections.length > LIMITS.sections) {
    error(cc, "list-too-many-sections", `list has ${list.sections.length} sections; WhatsApp allows ${LIMITS.sections}`, origin(["list", "sections", LIMITS.sections]));
  }
  const totalRows = list.sections.reduce((sum, s) => sum + s.rows.length, 0);
  if (totalRows > LIMITS.rows) {
    error(cc, "list-too-many-rows", `list has ${totalRows} rows in total; WhatsApp allows ${LIMITS.rows}`, sectionsPath);
  }
  const body = fields.required(session.text as string, origin(["text"]), "Body", maxChars("body-too-long", "Body", LIMITS.listBody));
  const button = fields.required(list.button, origin(["list", "button"]), "List button", maxChars("list-button-too-long", "List button", LIMITS.listButton));
  const header = fields.optional(session.header as string | undefined, origin(["header"]), maxChars("header-too-long", "Header", LIMITS.header));
  const footer = fields.optional(session.footer, origin(["footer"]), maxChars("footer-too-long", "Footer", LIMITS.footer));
  const titleRequired = list.sections.length > 1;
  const rowIds: Field[] = [];
  const sections = list.sections.map((section, s) => {
    const sectionPath = (...rest: JsonPath): JsonPath => origin(["list", "sections", s, ...rest]);
    if (section.rows.length === 0) error(cc, "too-few-items", "a list section needs at least one row", sectionPath("rows"));
    if (titleRequired && section.title === undefined) {
      error(cc, "section-title-required", `section ${s + 1} needs a title: a list with more than one section titles every section`, sectionPath());
    }
    const titleChecks: Check[] = [maxChars("section-title-too-long", "Section title", LIMITS.sectionTitle)];
    if (titleRequired) titleChecks.push(nonEmpty("Section title"));
    const title = fields.optional(section.title, sectionPath("title"), ...titleChecks);
    const rows = section.rows.map((row, r) => {
      const id = fields.required(row.id, sectionPath("rows", r, "id"), "Row id", maxChars("row-id-too-long", "Row id", LIMITS.rowId));
      rowIds.push(id);
      return {
        id,
        text: fields.required(row.text, sectionPath("rows", r, "text"), "Row title", maxChars("row-title-too-long", "Row title", LIMITS.rowTitle)),
        description: fields.optional(row.description, sectionPath("rows", r, "description"), maxChars("row-description-too-long", "Row description", LIMITS.rowDescription)),
      };
    });
    return { title, titlePath: sectionPath(), rows };
  });
  if (!fields.ok) return undefined;
  const uniqueIds = uniqueness(cc, rowIds, "duplicate-row-id", "Row id");
  type ListMessage = NonNullable<SessionMessage["listMessage"]>;
  return (rc) => {
    uniqueIds?.(rc);
    const text = render(body, rc);
    const listMessage: Partial<ListMessage> = { button: { text: render(button, rc) } };
    const h = renderOptional(header, rc);
    if (h !== undefined) listMessage.header = { text: h };
    const f = renderOptional(footer, rc);
    if (f !== undefined) listMessage.footer = { text: f };
    listMessage.sections = sections.map((section) => {
      const out: { title?: string; rows?: unknown[] } = {};
      const title = renderOptional(section.title, rc);
      if (title !== undefined) out.title = title;
      else if (titleRequired) {
        rc.report("section-title-required", "section title is empty: a list with more than one section titles every section", section.titlePath);
      }
      out.rows = section.rows.map((row) => {
        const item: { id: string; text: string; description?: string } = { id: render(row.id, rc), text: render(row.text, rc) };
        const d = renderOptional(row.description, rc);
        if (d !== undefined) item.description = d;
        return item;
      });
      return out;
    }) as ListMessage["sections"];
    return { text, listMessage: listMessage as ListMessage };
  };
}

function buildButtons(session: Session, origin: Origin, cc: CompileContext, fields: Fields): ((rc: RenderContext) => SessionMessage) | undefined {
  const buttons = session.buttons as NonNullable<Session["buttons"]>;
  if (buttons.length === 0) {
    error(cc, "too-few-items", "reply buttons need at least one button", origin(["buttons"]));
    return undefined;
  }
  if (buttons.length > LIMITS.buttons) {
    error(cc, "too-many-buttons", `${buttons.length} reply buttons; WhatsApp allows ${LIMITS.buttons}`, origin(["buttons", LIMITS.buttons]));
  }
  const body = fields.required(session.text as string, origin(["text"]), "Body", maxChars("body-too-long", "Body", LIMITS.buttonsBody));
  const compiled = buttons.map((button, i) => ({
    id: fields.required(button.id, origin(["buttons", i, "id"]), "Button id", maxChars("button-id-too-long", "Button id", LIMITS.buttonId)),
    text: fields.required(button.text, origin(["buttons", i, "text"]), "Button title", maxChars("button-title-too-long", "Button title", LIMITS.buttonTitle)),
  }));
  const footer = fields.optional(session.footer, origin(["footer"]), maxChars("footer-too-long", "Footer", LIMITS.footer));
  const header = compileButtonsHeader(session.header, origin, cc, fields);
  if (!fields.ok) return undefined;
  const uniqueTitles = uniqueness(cc, compiled.map((b) => b.text), "duplicate-button-title", "Button title");
  const uniqueIds = uniqueness(cc, compiled.map((b) => b.id), "duplicate-button-id", "Button id");
  return (rc) => {
    uniqueTitles?.(rc);
    uniqueIds?.(rc);
    const text = render(body, rc);
    const reply = {
      buttons: compiled.map((b) => ({ id: render(b.id, rc), text: render(b.text, rc) })),
    } as NonNullable<SessionMessage["replyButtonMessage"]>;
    const h = header?.(rc);
    if (h !== undefined) reply.header = h;
    const f = renderOptional(footer, rc);
    if (f !== undefined) reply.footer = { text: f };
    return { text, replyButtonMessage: reply };
  };
}

type Header = NonNullable<NonNullable<SessionMessage["replyButtonMessage"]>["header"]>;

function compileButtonsHeader(header: Session["header"], origin: Origin, cc: CompileContext, fields: Fields): ((rc: RenderContext) => Header | undefined) | undefined {
  if (header === undefined) return undefined;
  if (typeof header === "string") {
    const text = fields.optional(header, origin(["header"]), maxChars("header-too-long", "Header", LIMITS.header));
    return (rc) => {
      const value = renderOptional(text, rc);
      return value === undefined ? undefined : { text: value };
    };
  }
  if (header.filename !== undefined && header.type !== "document") {
    error(cc, "filename-not-allowed", `filename is only allowed for a document header, not ${header.type}`, origin(["header", "filename"]));
  }
  const url = fields.required(header.url, origin(["header", "url"]), "Header URL", httpsUrl("Header URL"));
  const filename = fields.optional(header.filename, origin(["header", "filename"]));
  return (rc) => {
    const attachment: NonNullable<Header["attachment"]> = { type: header.type, url: render(url, rc) };
    const f = renderOptional(filename, rc);
    if (f !== undefined) attachment.filename = f;
    return { attachment };
  };
}

/** callbackData is any JSON; its strings are templates too. */
export function compileCallbackData(data: unknown, path: JsonPath, cc: CompileContext, fields: Fields): ((rc: RenderContext) => unknown) | undefined {
  if (data === undefined) return undefined;
  let dynamic = false;
  const build = (value: unknown, at: JsonPath): ((rc: RenderContext) => unknown) => {
    if (typeof value === "string") {
      const f = fields.optional(value, at);
      if (!f || f.text.literal) return () => value;
      dynamic = true;
      return (rc) => renderText(f, rc);
    }
    if (Array.isArray(value)) {
      const items = value.map((item, i) => build(item, [...at, i]));
      return (rc) => items.map((item) => item(rc));
    }
    if (value !== null && typeof value === "object") {
      const entries = Object.entries(value).map(([key, item]) => [key, build(item, [...at, key])] as const);
      return (rc) => {
        const out: Record<string, unknown> = {};
        for (const [key, item] of entries) out[key] = item(rc);
        return out;
      };
    }
    return () => value;
  };
  const builder = build(data, path);
  if (!dynamic) {
    const constant = builder({ values: {}, locale: undefined, report: staticReport(cc) });
    checkCallbackData(constant, path, staticReport(cc));
    return () => constant;
  }
  return (rc) => {
    const value = builder(rc);
    checkCallbackData(value, path, rc.report);
    return value;
  };
}

const HEADER_KINDS = ["text", "image", "video", "document"] as const;

export function compileTemplate(template: TemplateOverride, origin: Origin, cc: CompileContext): TemplateBuilder | undefined {
  const before = cc.diagnostics.length;
  const fields = new Fields(cc);
  const params: { name: string; value: Field; filename?: Field }[] = [];

  if (template.header !== undefined) {
    const header = template.header;
    const kinds = HEADER_KINDS.filter((k) => header[k] !== undefined);
    if (kinds.length !== 1) {
      const message = kinds.length === 0 ? "template header needs one of text, image, video or document" : `template header has ${kinds.join(" and ")}; it takes exactly one`;
      error(cc, "template-header-conflict", message, origin(["header"]));
    } else {
      const kind = kinds[0] as (typeof HEADER_KINDS)[number];
      const name = `header_${kind}`;
      const checks: Check[] = [templateParam(name)];
      if (kind === "text") checks.push(maxChars("header-too-long", "Header", LIMITS.header));
      else checks.push(httpsUrl(`${kind[0]?.toUpperCase()}${kind.slice(1)} URL`));
      const value = fields.optional(header[kind], origin(["header", kind]), ...checks) as Field;
      const param: (typeof params)[number] = { name, value };
      if (header.filename !== undefined) {
        if (kind !== "document") error(cc, "filename-not-allowed", `filename is only allowed with a document header, not ${kind}`, origin(["header", "filename"]));
        else param.filename = fields.optional(header.filename, origin(["header", "filename"]), nonEmpty("Document filename")) as Field;
      }
      params.push(param);
    }
  }
  const body = template.body ?? [];
  if (body.length > LIMITS.templateBody) {
    error(cc, "too-many-body-params", `template body has ${body.length} parameters; Connectly allows ${LIMITS.templateBody}`, origin(["body", LIMITS.templateBody]));
  }
  body.forEach((source, i) => {
    const name = `body_${i + 1}`;
    params.push({ name, value: fields.optional(source, origin(["body", i]), templateParam(name)) as Field });
  });
  const buttons = template.buttons ?? [];
  if (buttons.length > LIMITS.templateButtons) {
    error(cc, "too-many-buttons", `template has ${buttons.length} URL buttons; Connectly allows ${LIMITS.templateButtons}`, origin(["buttons", LIMITS.templateButtons]));
  }
  buttons.forEach((source, i) => {
    const name = `button_${i + 1}_url`;
    params.push({ name, value: fields.optional(source, origin(["buttons", i]), templateParam(name)) as Field });
  });
  const callbackData = compileCallbackData(template.callbackData, origin(["callbackData"]), cc, fields);
  if (!fields.ok || cc.diagnostics.length > before) return undefined;

  const parameters = (rc: RenderContext): TemplateParameter[] | undefined => {
    if (params.length === 0) return undefined;
    return params.map((p) => {
      // A parameter is always sent, even empty, so that `template-param-invalid` is what reports it.
      const out: TemplateParameter = { name: p.name, value: render(p.value, rc) };
      if (p.filename) {
        const filename = renderOptional(p.filename, rc);
        if (filename !== undefined) out.filename = filename;
      }
      return out;
    });
  };
  const builder: TemplateBuilder = {
    templateName: template.name as string,
    language: template.language as string,
    parameterNames: params.map((p) => p.name),
    parameters,
  };
  if (callbackData) builder.callbackData = callbackData;
  return builder;
}
