/**
 * Message specs: compiled once (static checks, precompiled templates and validators), then
 * rendered per sample or recipient into plan items.
 */
import type { Diagnostic, DiagnosticCode, JsonPath } from "../diagnostics.js";
import type { MessageSpec, Session, SmsOverride, TemplateOverride } from "../types/message.generated.js";
import {
  RECIPIENT_PLACEHOLDER,
  SESSION_PATH,
  TEMPLATE_PATH,
  type Channel,
  type PlanItem,
  type SendMessageBody,
  type SendTemplateBody,
  type WindowMode,
} from "./plan.js";
import { compileSession, compileTemplate, FieldRenderError, type CompileContext, type Origin, type RenderContext, type SessionBuilder, type TemplateBuilder } from "./forms.js";
import { HelperError } from "./helpers.js";
import { MissingValueError, type VarInfo } from "./interpolation.js";
import { mergeOverride, originIn } from "./locales.js";
import { compileSms, describeLookalikes, smsBody, type SmsBuilder, type SmsInfo } from "./sms.js";
import { checkVarValues, compileVars, isOptional, type CompiledVars, type VarProblem, type VarValue } from "./vars.js";
import { formatPath } from "./words.js";

export type { VarValue };

/** One locale variant of a message: the base, or the base with a `locales` entry merged in. */
interface Variant {
  locale: string | null;
  session?: SessionBuilder;
  template?: TemplateBuilder;
  sms?: SmsBuilder;
  /** Locale for the helpers when the recipient has none: the template language. */
  defaultLocale: string | undefined;
}

export interface CompiledMessage {
  name: string;
  file: string;
  spec: MessageSpec;
  window: WindowMode;
  /** The message's channel: its `channel`, else whatsapp when it has a WhatsApp form. */
  channel: Channel;
  hasSession: boolean;
  hasTemplate: boolean;
  hasSms: boolean;
  /** @internal */
  vars: CompiledVars;
  /** @internal base first, then each locale in spec order */
  variants: Variant[];
  /** @internal recipient locale -> variant, filled as locales are seen */
  variantCache: Map<string, Variant>;
}

export interface RenderInput {
  key: string;
  spec: string;
  /** E.164, or RECIPIENT_PLACEHOLDER for samples. */
  recipient: string;
  /** Already checked by checkValues. */
  values: Record<string, VarValue>;
  locale?: string | null;
  lastInboundAt?: string | null;
  campaignName?: string;
  sender?: string;
  window?: WindowMode;
  /** The row's or campaign's channel; the message's by default. */
  channel?: Channel;
}

/** A rendered send, with what its SMS costs when it is one. */
export interface RenderResult {
  item?: PlanItem;
  diagnostics: Diagnostic[];
  sms?: SmsInfo;
}

function diagnostic(code: DiagnosticCode, message: string, file: string, path: JsonPath, severity: Diagnostic["severity"] = "error"): Diagnostic {
  return { code, severity, message, file, path };
}

/** Static checks and precompilation. No message when there are errors (warnings are fine). */
export function compileMessage(spec: MessageSpec, file: string): { message?: CompiledMessage; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const compiledVars = compileVars(spec.vars, file);
  diagnostics.push(...compiledVars.diagnostics);

  if (!spec.session && !spec.template && !spec.sms) {
    diagnostics.push(diagnostic("missing-content", "A message needs a session form, a template form, or both", file, []));
  }
  const hasWhatsApp = spec.session !== undefined || spec.template !== undefined;
  const channel: Channel = spec.channel ?? (hasWhatsApp || !spec.sms ? "whatsapp" : "sms");
  if (spec.channel === "sms" && !spec.sms) {
    diagnostics.push(diagnostic("channel-needs-form", "channel is sms but the message has no sms form", file, ["channel"]));
  } else if (spec.channel === "whatsapp" && !hasWhatsApp && spec.sms) {
    diagnostics.push(diagnostic("channel-needs-form", "channel is whatsapp but the message has only an sms form", file, ["channel"]));
  }
  const window = spec.window ?? (spec.session && spec.template ? "auto" : spec.session ? "session" : "template");
  if (spec.window === "session" && !spec.session) {
    diagnostics.push(diagnostic("window-needs-session", "window is session but the message has no session form", file, ["window"]));
  } else if (spec.window === "template" && !spec.template) {
    diagnostics.push(diagnostic("window-needs-template", "window is template but the message has no template form", file, ["window"]));
  } else if (spec.window === "auto" && spec.session && !spec.template) {
    diagnostics.push(
      diagnostic("no-template-fallback", "window is auto but there is no template form: recipients outside the 24-hour window will fail", file, ["window"], "warning"),
    );
  }
  if (!compiledVars.vars) return { diagnostics: dedupe(diagnostics) };

  const varInfo = new Map<string, VarInfo>();
  for (const [name, def] of compiledVars.vars.defs) varInfo.set(name, { optional: isOptional(def) });
  const cc: CompileContext = { file, vars: varInfo, diagnostics, textCache: new Map(), used: new Set() };

  const variants: Variant[] = [compileVariant(spec.session, spec.template, spec.sms, null, (form) => (rel) => [form, ...rel], cc)];
  for (const [locale, override] of Object.entries(spec.locales ?? {})) {
    const base: Array<["session" | "template" | "sms", unknown]> = [
      ["session", spec.session],
      ["template", spec.template],
      ["sms", spec.sms],
    ];
    for (const [form, baseForm] of base) {
      if (override[form] !== undefined && baseForm === undefined) {
        diagnostics.push(
          diagnostic("locale-adds-form", `locales.${locale} overrides ${form}, but the message has no ${form} form to override`, file, ["locales", locale, form]),
        );
      }
    }
    const session = spec.session && mergeOverride(spec.session, override.session) as Session;
    const template = spec.template && (mergeOverride(spec.template, override.template) as TemplateOverride);
    const sms = spec.sms && (mergeOverride(spec.sms, override.sms) as SmsOverride);
    const origins = (form: "session" | "template" | "sms"): Origin => (rel) => originIn(override[form], rel, [form], ["locales", locale, form]);
    variants.push(compileVariant(session, template, sms, locale, origins, cc));
  }

  const deduped = dedupe(diagnostics);
  if (deduped.some((d) => d.severity === "error")) return { diagnostics: deduped };
  // Only once everything compiled: a field with an error has not said which vars it uses.
  for (const [name, def] of compiledVars.vars.defs) {
    if (cc.used.has(name)) continue;
    const demanded = def.required !== false && def.default === undefined;
    deduped.push({
      ...diagnostic("unused-variable", `Var "${name}" is declared but no form uses it`, file, ["vars", name], "warning"),
      hint: `use it as {{${name}}}, or remove it from vars${demanded ? `; until then every sample, audience row and --var must give it a value` : ""}`,
    });
  }
  const message: CompiledMessage = {
    name: spec.name,
    file,
    spec,
    window,
    channel,
    hasSession: spec.session !== undefined,
    hasTemplate: spec.template !== undefined,
    hasSms: spec.sms !== undefined,
    vars: compiledVars.vars,
    variants,
    variantCache: new Map(),
  };
  return { message, diagnostics: deduped };
}

function compileVariant(
  session: Session | undefined,
  template: TemplateOverride | undefined,
  sms: SmsOverride | undefined,
  locale: string | null,
  origins: (form: "session" | "template" | "sms") => Origin,
  cc: CompileContext,
): Variant {
  const variant: Variant = { locale, defaultLocale: template?.language };
  if (session) {
    const builder = compileSession(session, origins("session"), cc);
    if (builder) variant.session = builder;
  }
  if (template) {
    const builder = compileTemplate(template, origins("template"), cc);
    if (builder) variant.template = builder;
  }
  if (sms) {
    const builder = compileSms(sms, origins("sms"), cc);
    if (builder) variant.sms = builder;
  }
  return variant;
}

/** Same code, path, offset and words: a problem of the base seen again through a locale. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = JSON.stringify([d.code, d.path, d.offset, d.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `es-MX`, `es_MX`, `ES_mx` -> the `es_MX` entry, else `es`, else the base. */
function variantFor(message: CompiledMessage, locale: string | null | undefined): Variant {
  const base = message.variants[0] as Variant;
  if (!locale || message.variants.length === 1) return base;
  const cached = message.variantCache.get(locale);
  if (cached) return cached;
  const [language = "", region] = locale.trim().split(/[-_]/);
  const normalized = region ? `${language.toLowerCase()}_${region.toUpperCase()}` : language.toLowerCase();
  const variant =
    message.variants.find((v) => v.locale === normalized) ?? message.variants.find((v) => v.locale === language.toLowerCase()) ?? base;
  // Bounded: an audience could hold any number of distinct locale strings.
  if (message.variantCache.size < 1000) message.variantCache.set(locale, variant);
  return variant;
}

/** Render one send: the forms its window may need, with every limit checked on the result. */
export function renderMessage(message: CompiledMessage, input: RenderInput): RenderResult {
  return renderVariant(message, variantFor(message, input.locale), input);
}

function renderVariant(message: CompiledMessage, variant: Variant, input: RenderInput): RenderResult {
  let diagnostics: Diagnostic[] | undefined;
  const file = message.file;
  const rc: BodyContext = {
    sender: input.sender ?? message.spec.sender,
    values: input.values,
    locale: input.locale ?? variant.defaultLocale,
    report: (code, text, path) => {
      (diagnostics ??= []).push({ code, severity: "error", message: text, file, path });
    },
  };
  if ((input.channel ?? message.channel) === "sms") return renderSms(message, variant, input, rc, () => diagnostics);
  const window = input.window ?? message.window;
  const item: PlanItem = { key: input.key, spec: input.spec, window, lastInboundAt: input.lastInboundAt ?? null };
  try {
    if (window !== "session" && variant.template) item.template = { method: "POST", path: TEMPLATE_PATH, body: templateBody(variant.template, rc, input) };
    if (window !== "template" && variant.session) item.session = { method: "POST", path: SESSION_PATH, body: sessionBody(variant.session, rc, input) };
  } catch (error) {
    rc.report(...renderFailure(error, message));
  }
  return diagnostics ? { diagnostics } : { item, diagnostics: [] };
}

/** An SMS item: no window, no template fallback; the sms form only. */
function renderSms(message: CompiledMessage, variant: Variant, input: RenderInput, rc: BodyContext, collected: () => Diagnostic[] | undefined): RenderResult {
  if (!variant.sms) {
    rc.report("channel-needs-form", `channel is sms but message ${message.name} has no sms form`, []);
    return { diagnostics: collected() ?? [] };
  }
  const item: PlanItem = { key: input.key, spec: input.spec, channel: "sms" };
  let info: SmsInfo | undefined;
  try {
    const rendered = smsBody(variant.sms, rc, input);
    item.sms = { method: "POST", path: SESSION_PATH, body: rendered.body };
    info = rendered.info;
  } catch (error) {
    rc.report(...renderFailure(error, message));
  }
  const diagnostics = collected();
  return diagnostics || !info ? { diagnostics: diagnostics ?? [] } : { item, diagnostics: [], sms: info };
}

function renderFailure(error: unknown, message: CompiledMessage): [DiagnosticCode, string, JsonPath] {
  const path = error instanceof FieldRenderError ? error.path : [];
  const cause = error instanceof FieldRenderError ? error.cause : error;
  if (cause instanceof MissingValueError) return ["var-missing", `${cause.variable} has no value`, path];
  if (cause instanceof HelperError) return ["var-invalid", cause.message, path];
  // Anything else thrown while rendering is reported, not crashed on: it is about this input.
  return ["var-invalid", `could not render ${message.name}: ${cause instanceof Error ? cause.message : String(cause)}`, path];
}

interface BodyContext extends RenderContext {
  sender: string | undefined;
}

function templateBody(builder: TemplateBuilder, rc: BodyContext, input: RenderInput): SendTemplateBody {
  const body: SendTemplateBody = { number: input.recipient, templateName: builder.templateName, language: builder.language };
  const parameters = builder.parameters(rc);
  if (parameters) body.parameters = parameters;
  if (rc.sender !== undefined) body.sender = rc.sender;
  if (input.campaignName !== undefined) body.campaignName = input.campaignName;
  if (builder.callbackData) body.callbackData = builder.callbackData(rc);
  return body;
}

function sessionBody(builder: SessionBuilder, rc: BodyContext, input: RenderInput): SendMessageBody {
  const body = {} as SendMessageBody;
  if (rc.sender !== undefined) body.sender = { id: rc.sender, channelType: "whatsapp" };
  body.recipient = { id: input.recipient, channelType: "whatsapp" };
  body.message = builder.message(rc);
  if (input.campaignName !== undefined) body.campaignName = input.campaignName;
  if (builder.callbackData) body.callbackData = builder.callbackData(rc);
  return body;
}

/**
 * Check inputs against the declared vars. `fromStrings` converts CSV text to the declared types
 * (`"10"` -> 10); absent values take their default.
 */
export function checkValues(
  message: CompiledMessage,
  raw: Record<string, unknown>,
  opts: { fromStrings: boolean },
): { values?: Record<string, VarValue>; problems: VarProblem[] } {
  return checkVarValues(message.vars, raw, opts.fromStrings);
}

/**
 * One plan item per sample. Each sample is also rendered through every locale variant, so that
 * limits are checked on the translated texts too; those renders give diagnostics, not items.
 * A message without samples and without required inputs gets one implicit sample, `default`.
 */
export function compileSamples(message: CompiledMessage): { items: PlanItem[]; diagnostics: Diagnostic[] } {
  const items: PlanItem[] = [];
  const diagnostics: Diagnostic[] = [];
  const samples = Object.entries(message.spec.samples ?? {});
  if (samples.length === 0) {
    const implicit = checkVarValues(message.vars, {}, false);
    if (implicit.values) samples.push(["default", {}]);
  }
  for (const [sample, raw] of samples) {
    const checked = checkVarValues(message.vars, raw, false);
    if (!checked.values) {
      for (const problem of checked.problems) {
        const path = problem.code === "var-missing" ? ["samples", sample] : ["samples", sample, problem.var];
        // The path points into the sample, so the message needs no "(sample …)".
        diagnostics.push(diagnostic(problem.code, problem.message, message.file, path));
      }
      continue;
    }
    const input: RenderInput = {
      key: `${message.name}/sample:${sample}`,
      spec: message.file,
      recipient: RECIPIENT_PLACEHOLDER,
      values: checked.values,
      lastInboundAt: null,
    };
    message.variants.forEach((variant, index) => {
      const context = variant.locale ? `sample ${sample}, locale ${variant.locale}` : `sample ${sample}`;
      // Every form is checked on every sample; the item is the one of the message's channel.
      for (const channel of sampleChannels(message)) {
        const rendered = renderVariant(message, variant, { ...input, locale: variant.locale, channel });
        for (const d of rendered.diagnostics) diagnostics.push({ ...d, message: `${d.message} (${context})` });
        if (rendered.sms?.lookalikes && !isLiteralSms(variant)) {
          const path = variant.locale && message.spec.locales?.[variant.locale]?.sms?.text !== undefined ? ["locales", variant.locale, "sms", "text"] : ["sms", "text"];
          diagnostics.push(diagnostic("sms-unicode-lookalike", `${describeLookalikes(rendered.sms)} (${context})`, message.file, path, "warning"));
        }
        if (index === 0 && rendered.item && channel === message.channel) {
          // The base item carries no locale: the helpers format with the template language.
          items.push(rendered.item);
        }
      }
    });
  }
  return { items, diagnostics: dedupeSampleDiagnostics(diagnostics) };
}

function sampleChannels(message: CompiledMessage): Channel[] {
  const channels: Channel[] = [];
  if (message.hasSession || message.hasTemplate) channels.push("whatsapp");
  if (message.hasSms) channels.push("sms");
  return channels;
}

/** A literal sms text had its look-alikes reported at compile time, at their column. */
function isLiteralSms(variant: Variant): boolean {
  return variant.sms?.literal === true;
}

function dedupeSampleDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}|${formatPath(d.path)}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
