/**
 * Campaign specs: the audience mapping is resolved once; `compileRow` then turns one audience
 * row into one plan item. compileRow runs once per recipient (millions of times), so everything
 * that can be decided per campaign is decided in compileCampaign.
 */
import { posix } from "node:path";
import type { Diagnostic, DiagnosticCode } from "../diagnostics.js";
import type { CampaignSpec } from "../types/campaign.generated.js";
import type { PlanItem, WindowMode } from "./plan.js";
import { renderMessage, type CompiledMessage, type RenderInput } from "./message.js";
import { normalizePhone } from "./phone.js";
import { checkPartialValues, checkVarValues, type VarValue } from "./vars.js";
import { formatPath } from "./words.js";

export interface CompiledCampaign {
  name: string;
  file: string;
  campaignName: string;
  message: CompiledMessage;
  window: WindowMode;
  sender?: string;
  /** Project-relative POSIX path of the audience file: the `file` of row diagnostics. */
  audienceFile: string;
  phoneColumn: string;
  localeColumn?: string;
  lastInboundAtColumn?: string;
  /** Every declared var and the column it is read from. */
  columns: ReadonlyArray<readonly [variable: string, column: string]>;
  /** Campaign `vars`: used when a row has no value (or an empty cell) for that var. */
  constants: Readonly<Record<string, VarValue>>;
}

/** `file` is the campaign spec; the audience path is resolved against its folder. */
export function compileCampaign(
  spec: CampaignSpec,
  file: string,
  message: CompiledMessage,
  opts: { audienceFile?: string } = {},
): { campaign?: CompiledCampaign; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, text: string, path: (string | number)[], severity: Diagnostic["severity"] = "error"): void => {
    diagnostics.push({ code, severity, message: text, file, path });
  };
  const window = spec.window ?? message.window;
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
    audienceFile: opts.audienceFile ?? posix.normalize(posix.join(posix.dirname(file), spec.audience.file)),
    phoneColumn: spec.audience.phone ?? "phone",
    columns: message.vars.names.map((variable) => [variable, renames[variable] ?? variable] as const),
    constants,
  };
  const sender = spec.sender ?? message.spec.sender;
  if (sender !== undefined) campaign.sender = sender;
  if (spec.audience.locale !== undefined) campaign.localeColumn = spec.audience.locale;
  if (spec.audience.lastInboundAt !== undefined) campaign.lastInboundAtColumn = spec.audience.lastInboundAt;
  return { campaign, diagnostics };
}

/** A point in time: date, time and a zone (Z or ±hh:mm), as the 24-hour rule needs. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

/** One audience row -> one plan item. Diagnostics carry the audience file, the row and the column. */
export function compileRow(
  campaign: CompiledCampaign,
  row: Record<string, unknown>,
  rowNumber: number,
  opts: { fromStrings: boolean },
): { item?: PlanItem; number?: string; diagnostics: Diagnostic[] } {
  let diagnostics: Diagnostic[] | undefined;
  const report = (code: DiagnosticCode, message: string, field?: string): void => {
    const d: Diagnostic = { code, severity: "error", message, file: campaign.audienceFile, path: [], row: rowNumber };
    if (field !== undefined) d.field = field;
    (diagnostics ??= []).push(d);
  };

  const phone = row[campaign.phoneColumn];
  let number: string | undefined;
  if (isAbsent(phone)) report("phone-invalid", `${campaign.phoneColumn} is empty`, campaign.phoneColumn);
  else {
    const normalized = normalizePhone(String(phone));
    if (normalized.number) number = normalized.number;
    else report("phone-invalid", normalized.problem ?? "invalid phone number", campaign.phoneColumn);
  }

  let lastInboundAt: string | null = null;
  if (campaign.lastInboundAtColumn !== undefined) {
    const value = row[campaign.lastInboundAtColumn];
    if (!isAbsent(value)) {
      const text = String(value).trim();
      if (typeof value === "string" && ISO_DATE_TIME.test(text) && !Number.isNaN(Date.parse(text.replace(" ", "T")))) lastInboundAt = text;
      else {
        report(
          "audience-row-invalid",
          `${campaign.lastInboundAtColumn} ${JSON.stringify(value)} is not an ISO 8601 date-time with a time zone (e.g. 2026-05-01T10:00:00Z)`,
          campaign.lastInboundAtColumn,
        );
      }
    }
  }

  const raw: Record<string, unknown> = {};
  for (const [variable, column] of campaign.columns) {
    const value = row[column];
    if (value !== undefined) raw[variable] = value;
  }
  const checked = checkVarValues(campaign.message.vars, raw, opts.fromStrings, campaign.constants);
  for (const problem of checked.problems) report(problem.code, problem.message, columnOf(campaign, problem.var));

  if (diagnostics || !number || !checked.values) return number ? { number, diagnostics: diagnostics ?? [] } : { diagnostics: diagnostics ?? [] };

  const input: RenderInput = {
    key: `${campaign.name}/${number}`,
    spec: campaign.file,
    recipient: number,
    values: checked.values,
    lastInboundAt,
    campaignName: campaign.campaignName,
    window: campaign.window,
  };
  if (campaign.localeColumn !== undefined) {
    const locale = row[campaign.localeColumn];
    if (!isAbsent(locale)) input.locale = String(locale);
  }
  if (campaign.sender !== undefined) input.sender = campaign.sender;
  const rendered = renderMessage(campaign.message, input);
  if (!rendered.item) {
    for (const d of rendered.diagnostics) {
      const where = d.path.length > 0 ? ` (${formatPath(d.path)})` : "";
      report(d.code, `${d.message}${where}`);
    }
    return { number, diagnostics: diagnostics ?? [] };
  }
  return { item: rendered.item, number, diagnostics: [] };
}

function columnOf(campaign: CompiledCampaign, variable: string): string {
  for (const [name, column] of campaign.columns) if (name === variable) return column;
  return variable;
}
