/**
 * The send preflight: one read of Connectly's template list before the first request, and every
 * (template, language) the run may send held against it. A problem is one diagnostic per
 * template form, not one refusal per recipient.
 */
import type { ConnectlyClient, RemoteTemplateGroup } from "../../connectly/client.js";
import { parameterNames, parametersTakenBy } from "../../connectly/components.js";
import { templateUses } from "../../compiler/template-uses.js";
import type { TemplateUse } from "../../compiler/template-uses.js";
import type { Diagnostic, DiagnosticCode } from "../../diagnostics.js";
import { locateDiagnostics } from "../../project/project.js";
import type { Project } from "../../project/project.js";
import { compileOneCampaign } from "../plan.js";
import { lintTemplate } from "../../compiler/template-lint.js";
import type { TemplateSpec } from "../../types/template.generated.js";
import { APPROVED, findRemote, readTemplateList, remoteText, statusWord } from "./remote.js";

/** A hint names this many of the languages a template has; a list could hold thousands. */
const MAX_LANGUAGES_NAMED = 10;

function namedLanguages(languages: string[]): string {
  const named = languages.slice(0, MAX_LANGUAGES_NAMED).map((language) => remoteText(language)).join(", ");
  const more = languages.length - MAX_LANGUAGES_NAMED;
  return more > 0 ? `${named} and ${more} more` : named;
}

function problem(use: TemplateUse, code: DiagnosticCode, message: string, hint?: string): Diagnostic {
  return { code, severity: "error", message, file: use.file, path: use.path, ...(hint ? { hint } : {}) };
}

/** The problems of one use against the list; empty when it will not be refused for its template. */
export function checkTemplateUse(use: TemplateUse, groups: readonly RemoteTemplateGroup[]): Diagnostic[] {
  const { group, remote } = findRemote(groups, use.templateName, use.language);
  const named = `Template "${use.templateName}"`;
  if (!group || !remote) {
    const languages = group?.templates.map((t) => t.language) ?? [];
    return [
      problem(
        use,
        "template-not-found-remote",
        `${named} in language "${use.language}" is not among the business's templates`,
        languages.length > 0 ? `It exists in ${namedLanguages(languages)}.` : undefined,
      ),
    ];
  }
  if (remote.status !== APPROVED) {
    const reason = remote.rejectionReason ? `: ${remote.rejectionReason}` : "";
    return [problem(use, "template-not-approved", `${named} (${use.language}) is ${statusWord(remote.status)}, not approved${reason}`)];
  }
  const taken = parametersTakenBy(remote.templateComponents);
  // Components in a shape this reader does not know are not held against the message.
  if (!taken) return [];
  const expected = parameterNames(taken);
  const filled = [...use.parameters];
  const same = expected.length === filled.length && expected.every((name) => filled.includes(name));
  if (same) return [];
  const list = (names: string[]): string => (names.length === 0 ? "no parameters" : names.join(", "));
  return [problem(use, "template-params-mismatch-remote", `${named} (${use.language}) takes ${list(expected)}; the message fills ${list(filled)}`)];
}

/**
 * The template forms a campaign may send: its message's, unless its window is `session`; the
 * locales' only when the audience has a locale column. None when it does not compile (the plan
 * says why).
 */
export function campaignTemplateUses(project: Project, name: string): TemplateUse[] {
  const spec = project.campaigns.get(name);
  const campaign = spec && compileOneCampaign(project, spec).campaign;
  if (!campaign) return [];
  return templateUses(campaign.message, { window: campaign.window, locales: campaign.localeColumn !== undefined });
}

/**
 * Reads the list once and checks every use. A list that cannot be read is an InputError: the
 * run cannot be proven safe, and `--no-preflight` is the way past it.
 */
export async function preflightTemplates(project: Project, client: ConnectlyClient, uses: readonly TemplateUse[]): Promise<Diagnostic[]> {
  if (uses.length === 0) return [];
  const groups = await readTemplateList(client, "msgc send: the preflight", "; nothing sent (--no-preflight sends without checking them)");
  return locateDiagnostics(project, uses.flatMap((use) => checkTemplateUse(use, groups)));
}

/**
 * The project's Template specs an in-process sandbox holds approved (`send --sandbox`): those
 * that lint clean, as Meta would approve only those. The others are counted, for the run to say.
 */
export function sandboxTemplates(project: Project): { approved: TemplateSpec[]; leftOut: number } {
  const approved: TemplateSpec[] = [];
  let leftOut = 0;
  for (const spec of project.templates?.values() ?? []) {
    if (lintTemplate(spec.data, spec.file).some((d) => d.severity === "error")) leftOut += 1;
    else approved.push(spec.data);
  }
  return { approved, leftOut };
}

/** One line for a preflight that found nothing wrong: how many forms, and the first few by name. */
export function describePreflight(uses: readonly TemplateUse[]): string {
  const shown = uses.slice(0, 3).map((use) => `${use.templateName} (${use.language})`);
  const more = uses.length > shown.length ? ` and ${uses.length - shown.length} more` : "";
  const forms = `${uses.length} template form${uses.length === 1 ? "" : "s"}`;
  return `preflight: ${forms} approved, taking the parameters the plan fills: ${shown.join(", ")}${more}`;
}
