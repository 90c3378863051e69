/**
 * The msgc library: everything the CLI does, a program can do with the same results.
 *
 *   const project = await loadProject({ cwd: process.cwd() });
 *   const result = await build(project, { outDir: project.config.outDir });
 *   for await (const item of planCampaign(project, "spring-sale", { onDiagnostic })) …
 */

// Diagnostics and the plan item shape
export { DIAGNOSTIC_CODES, hasErrors, isError } from "./diagnostics.js";
export type { Diagnostic, DiagnosticCode, JsonPath, Position, Range, Severity } from "./diagnostics.js";
export { chooseForm, RECIPIENT_PLACEHOLDER, SESSION_PATH, TEMPLATE_PATH } from "./compiler/plan.js";
export type { Form, PlanItem, PlanRequest, SendMessageBody, SendTemplateBody, WindowMode } from "./compiler/plan.js";
export type { MessageSpec } from "./types/message.generated.js";
export type { CampaignSpec } from "./types/campaign.generated.js";
export type { MsgcConfig } from "./types/config.generated.js";

// Loading (src/spec)
export { loadConfig } from "./project/config.js";
export type { ResolvedConfig } from "./project/config.js";
export { loadProject, locateDiagnostics } from "./project/project.js";
export type { Project } from "./project/project.js";
export type { LoadedSpec } from "./project/load.js";

// Compiling (src/compiler, pure)
export { checkValues, compileMessage, compileSamples, renderMessage } from "./compiler/message.js";
export type { CompiledMessage, RenderInput, VarValue } from "./compiler/message.js";
export { compileCampaign, compileRow } from "./compiler/campaign.js";
export type { CompiledCampaign } from "./compiler/campaign.js";
export { normalizePhone } from "./compiler/phone.js";

// Planning and building (src/runner)
export { AudienceError, readAudience, readAudienceBatches } from "./runner/audience.js";
export type { AudienceBatch, AudienceFormat, AudienceRow, ReadAudienceOptions } from "./runner/audience.js";
export { compileProject, newCampaignStats, planCampaign, planCampaignNdjson, RecipientSet } from "./runner/plan.js";
export type { CampaignStats, CompiledProject, PlanCampaignOptions } from "./runner/plan.js";
export { build, validateProject } from "./runner/build.js";
export type { BuildManifest, BuildOptions, BuildResult, BuildSummary, CampaignEntry, MessageEntry } from "./runner/build.js";
export { maskNumber, maskNumbersIn } from "./mask.js";

// Errors the CLI maps to exit codes (UsageError 64, InputError 1)
export { InputError, UsageError } from "./cli/io.js";

// Preview and diff (src/runner/preview, src/runner/diff)
export { preview, renderPlanItem, formatPreviewHtml, formatPreviewMarkdown, formatPreviewText } from "./runner/preview/index.js";
export type { PreviewOptions, PreviewResult, RenderedMessage } from "./runner/preview/index.js";

export { diff } from "./runner/diff/index.js";
export type { DiffOptions, DiffReport, DiffSummary } from "./runner/diff/index.js";
export { formatDiffJson, formatDiffMarkdown, formatDiffText } from "./runner/diff/format.js";

// Sending (src/runner/send)
export { send, summaryExitCode, parseMaxFailures, parseShard, shardOf } from "./runner/send/index.js";
export type { ConfirmInfo, MaxFailures, PlanSource, ProgressSink, ProgressSnapshot, RecipientReport, SendOptions, SendSummary, Shard } from "./runner/send/index.js";
export { gatherValues, planSingleMessage } from "./runner/single-message.js";
export type { SingleMessageOptions, SingleMessagePlan } from "./runner/single-message.js";
export { scopeDiagnosticsForSend } from "./runner/send/scope.js";

// The local Connectly-compatible API (src/sandbox)
export { SandboxConfigError, startSandbox } from "./sandbox/index.js";
export type { AcceptedMessage, CloseOptions, InboundEntry, Sandbox, SandboxOptions, SandboxStats, TemplateDefinition, WebhookStats } from "./sandbox/index.js";
