/**
 * Campaign specs: the audience mapping is resolved once; `compileRow` then turns one audience
 * row into one plan item. compileRow runs once per recipient (millions of times), so everything
 * that can be decided per campaign is decided in compileCampaign.
 */
import { posix } from "node:path";
import type { Diagnostic, DiagnosticCode } from "../diagnostics.js";
import type { CampaignSpec } from "../types/campaign.generated.js";
import type { Channel, PlanItem, WindowMode } from "./plan.js";
import { renderMessage, type CompiledMessage, type RenderInput } from "./message.js";
import { describeLookalikes, type SmsInfo } from "./sms.js";
import { normalizePhone } from "./phone.js";
import { checkPartialValues, checkVarValues, type VarValue } from "./vars.js";
import { formatPath } from "./words.js";
import { renderedBodyChecker, renderedTooLongMessage } from "./template-check.js";
import type { TemplateBodies } from "./template-check.js";

export interface CompiledCampaign {
  name: string;
  file: string;
  campaignName: string;
  message: CompiledMessage;
  window: WindowMode;
  /** The campaign's channel, else the message's; a row's `audience.channel` cell overrides it. */
  channel: Channel;
  channelColumn?: string;
  sender?: string;
  /** Project-relative POSIX path of the audience file: the `file` of row diagnostics. */
  audienceFile: string;
  phoneColumn: string;
  localeColumn?: string;
  lastInboundAtColumn?: string;
  /** Every declared var and the column it is read from. */
  columns: ReadonlyArray<readonly [variable: string, column: string]>;
  /** @internal the columns alone, parallel to the message's var names */
  varColumns: readonly string[];
  /** Campaign `vars`: used when a row has no value (or an empty cell) for that var. */
  constants: Readonly<Record<string, VarValue>>;
  /** The Template bodies the campaign is checked against, passed on to plan workers. */
  templates?: TemplateBodies;
  /** @internal the rendered template body's length when it is over Meta's limit (known Templates only) */
  renderedBodyTooLong?: (item: PlanItem) => number | undefined;
}

/** `file` is the campaign spec; the audience path is resolved against its folder. */
export function compileCampaign(
  spec: CampaignSpec,
  file: string,
  message: CompiledMessage,
  opts: { audienceFile?: string; templates?: TemplateBodies } = {},
): { campaign?: CompiledCampaign; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, text: string, path: (string | number)[], severity: Diagnostic["severity"] = "error"): void => {
    diagnostics.push({ code, severity, message: text, file, path });
  };
  const window = spec.window ?? message.window;
  const channel = spec.channel ?? message.channel;
  if (channel === "sms" && !message.hasSms) {
    report("channel-needs-form", `channel is sms but message ${message.name} has no sms form`, ["channel"]);
  } else if (spec.channel === "whatsapp" && !message.hasSession && !message.hasTemplate) {
    report("channel-needs-form", `channel is whatsapp but message ${message.name} has only an sms form`, ["channel"]);
  }
  if (spec.window === "session" && !message.hasSession) {
    report("window-needs-session", `window is session but message ${message.name} has no session form`, ["window"]);
  } else if (spec.window === "template" && !message.hasTemplate) {
    report("window-needs-template", `window is template but message ${message.name} has no template form`, ["window"]);
  } else if (spec.window === "auto" && !message.hasTemplate) {
    report("no-template-fallback", `window is auto but message ${message.name} has no template form: recipients outside the 24-hour window will fail`, ["window"], "warning");
  }

  const renames = spec.audience.columns ?? {};
  for (const variable of Object.keys(renames)) {
    if (!message.vars.defs.has(variable)) report("var-unknown", `audience.columns renames ${variable}, which is not a declared var of message ${message.name}`, ["audience", "columns", variable]);
  }
  const constants = spec.vars ?? {};
  for (const problem of checkPartialValues(message.vars, constants)) report(problem.code, problem.message, ["vars", problem.var]);
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };

  const campaign: CompiledCampaign = {
    name: spec.name,
    file,
    campaignName: spec.campaignName ?? spec.name,
    message,
    window,
    channel,
    audienceFile: opts.audienceFile ?? posix.normalize(posix.join(posix.dirname(file), spec.audience.file)),
    phoneColumn: spec.audience.phone ?? "phone",
    columns: message.vars.names.map((variable) => [variable, renames[variable] ?? variable] as const),
    varColumns: message.vars.names.map((variable) => renames[variable] ?? variable),
    constants,
  };
  const sender = spec.sender ?? message.spec.sender;
  if (sender !== undefined) campaign.sender = sender;
  if (spec.audience.locale !== undefined) campaign.localeColumn = spec.audience.locale;
  if (spec.audience.lastInboundAt !== undefined) campaign.lastInboundAtColumn = spec.audience.lastInboundAt;
  if (spec.audience.channel !== undefined) campaign.channelColumn = spec.audience.channel;
  if (opts.templates !== undefined && message.hasTemplate) {
    campaign.templates = opts.templates;
    campaign.renderedBodyTooLong = renderedBodyChecker(opts.templates);
  }
  return { campaign, diagnostics };
}

/**
 * A point in time: date, time and a zone (Z or ±hh:mm), as the 24-hour rule needs. Ranges are
 * checked by the pattern so that no date has to be parsed per row.
 */
const ISO_DATE_TIME =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

function rowProblem(campaign: CompiledCampaign, row: number, code: DiagnosticCode, message: string, field?: string): Diagnostic {
  const d: Diagnostic = { code, severity: "error", message, file: campaign.audienceFile, path: [], row };
  if (field !== undefined) d.field = field;
  return d;
}

const NO_DIAGNOSTICS: Diagnostic[] = [];
Object.freeze(NO_DIAGNOSTICS);

/** One audience row -> one plan item. Diagnostics carry the audience file, the row and the column. */
export function compileRow(
  campaign: CompiledCampaign,
  row: Record<string, unknown>,
  rowNumber: number,
  opts: { fromStrings: boolean },
): { item?: PlanItem; number?: string; diagnostics: Diagnostic[]; sms?: SmsInfo } {
  let diagnostics: Diagnostic[] | undefined;

  const phone = row[campaign.phoneColumn];
  let number: string | undefined;
  if (isAbsent(phone)) {
    (diagnostics ??= []).push(rowProblem(campaign, rowNumber, "phone-invalid", `${campaign.phoneColumn} is empty`, campaign.phoneColumn));
  } else {
    const normalized = normalizePhone(String(phone));
    if (normalized.number) number = normalized.number;
    else (diagnostics ??= []).push(rowProblem(campaign, rowNumber, "phone-invalid", normalized.problem ?? "invalid phone number", campaign.phoneColumn));
  }

  let lastInboundAt: string | null = null;
  const lastColumn = campaign.lastInboundAtColumn;
  if (lastColumn !== undefined) {
    const value = row[lastColumn];
    if (!isAbsent(value)) {
      const text = typeof value === "string" ? value.trim() : "";
      if (ISO_DATE_TIME.test(text)) lastInboundAt = text;
      else {
        const message = `${lastColumn} ${JSON.stringify(value)} is not an ISO 8601 date-time with a time zone (e.g. 2026-05-01T10:00:00Z)`;
        (diagnostics ??= []).push(rowProblem(campaign, rowNumber, "audience-row-invalid", message, lastColumn));
      }
    }
  }

  let channel = campaign.channel;
  const channelColumn = campaign.channelColumn;
  if (channelColumn !== undefined) {
    const value = row[channelColumn];
    if (!isAbsent(value)) {
      const text = typeof value === "string" ? value.trim() : String(value);
      if (text === "whatsapp" || text === "sms") channel = text;
      else (diagnostics ??= []).push(rowProblem(campaign, rowNumber, "audience-row-invalid", `${channelColumn} ${JSON.stringify(value)} is not a channel: whatsapp or sms`, channelColumn));
    }
  }
  if (channel === "sms" ? !campaign.message.hasSms : !campaign.message.hasSession && !campaign.message.hasTemplate) {
    const problem = `channel is ${channel} but message ${campaign.message.name} has no ${channel === "sms" ? "sms" : "session or template"} form`;
    (diagnostics ??= []).push(rowProblem(campaign, rowNumber, "channel-needs-form", problem, channelColumn));
  }

  const message = campaign.message;
  const checked = checkVarValues(message.vars, row, opts.fromStrings, { columns: campaign.varColumns, fallback: campaign.constants });
  for (const problem of checked.problems) {
    (diagnostics ??= []).push(rowProblem(campaign, rowNumber, problem.code, problem.message, columnOf(campaign, problem.var)));
  }

  if (diagnostics || !number || !checked.values) return number ? { number, diagnostics: diagnostics ?? NO_DIAGNOSTICS } : { diagnostics: diagnostics ?? NO_DIAGNOSTICS };

  const input: RenderInput = {
    key: `${campaign.name}/${number}`,
    spec: campaign.file,
    recipient: number,
    values: checked.values,
    lastInboundAt,
    campaignName: campaign.campaignName,
    window: campaign.window,
    channel,
  };
  if (campaign.localeColumn !== undefined) {
    const locale = row[campaign.localeColumn];
    if (!isAbsent(locale)) input.locale = String(locale);
  }
  if (campaign.sender !== undefined) input.sender = campaign.sender;
  const rendered = renderMessage(message, input);
  if (!rendered.item) {
    const problems = rendered.diagnostics.map((d) => {
      const where = d.path.length > 0 ? ` (${formatPath(d.path)})` : "";
      return rowProblem(campaign, rowNumber, d.code, `${d.message}${where}`);
    });
    return { number, diagnostics: problems };
  }
  const tooLong = campaign.renderedBodyTooLong?.(rendered.item);
  if (tooLong !== undefined) return { number, diagnostics: [rowProblem(campaign, rowNumber, "template-rendered-too-long", renderedTooLongMessage(tooLong))] };
  if (!rendered.sms) return { item: rendered.item, number, diagnostics: NO_DIAGNOSTICS };
  if (!rendered.sms.lookalikes) return { item: rendered.item, number, diagnostics: NO_DIAGNOSTICS, sms: rendered.sms };
  // A warning per row; the campaign pass reports them as one.
  const lookalike: Diagnostic = { ...rowProblem(campaign, rowNumber, "sms-unicode-lookalike", describeLookalikes(rendered.sms)), severity: "warning" };
  return { item: rendered.item, number, diagnostics: [lookalike], sms: rendered.sms };
}

function columnOf(campaign: CompiledCampaign, variable: string): string {
  const index = campaign.message.vars.names.indexOf(variable);
  return index >= 0 ? (campaign.varColumns[index] as string) : variable;
}
