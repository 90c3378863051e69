/**
 * `msgc templates plan`: the project's Template specs against the business's template list, per
 * (name, language): create (not remote), in sync (same content, with its status), differs (the
 * remote content is not the spec's; Connectly has no update endpoint, so the way out is a new
 * name) and remote only (listed, never touched). Pure once the list is read: apply and the CI
 * comment show the same plan.
 */
import type { RemoteTemplateGroup } from "../../connectly/client.js";
import { languageFromComponents } from "../../connectly/components.js";
import { templateCreateRequest } from "../../compiler/template-create.js";
import type { TemplateCreateRequest } from "../../compiler/template-create.js";
import { lintTemplate } from "../../compiler/template-lint.js";
import type { Diagnostic } from "../../diagnostics.js";
import { isError } from "../../diagnostics.js";
import { InputError } from "../../errors.js";
import { locateDiagnostics } from "../../project/project.js";
import type { LoadedSpec, Project } from "../../project/project.js";
import type { TemplateLanguage, TemplateSpec } from "../../types/template.generated.js";
import { findRemote, remoteText, statusWord } from "./remote.js";

export type TemplateAction = "create" | "in-sync" | "differs" | "remote-only";

/** One (name, language) of the plan; a create always carries the request apply sends. */
export type TemplatePlanEntry = PlanEntryFields & ({ action: "create"; request: TemplateCreateRequest } | { action: Exclude<TemplateAction, "create">; request?: never });

interface PlanEntryFields {
  name: string;
  language: string;
  /** The Template spec's project-relative file (not for remote only). */
  file?: string;
  /** The remote status in words (approved, pending, rejected, paused, …), when it is remote. */
  status?: string;
  /** Meta's reason, when rejected. */
  reason?: string;
  /** What differs: category, header, body, footer, buttons, otp. */
  differences?: string[];
  /** In sync without being compared: the remote components are in a shape msgc does not read. */
  unread?: boolean;
  /** For differs: the new name to give the new content. */
  newName?: string;
}

export interface TemplatePlan {
  businessId: string;
  entries: TemplatePlanEntry[];
  counts: Record<TemplateAction, number>;
}

/** The parts of a language compared, in the order they are named. */
const PARTS = ["header", "body", "footer", "buttons", "otp"] as const;

/**
 * Meta's categories as the spec spells them. The legacy ones (`ACCOUNT_UPDATE`, …, `TRANSACTIONAL`)
 * became utility and `OTP` authentication when Meta moved to three categories.
 */
export function categoryOf(remote: string | null): TemplateSpec["category"] | undefined {
  if (remote === null) return undefined;
  const word = remote.replace(/^MESSAGE_TEMPLATE_GROUP_CATEGORY_/, "").toUpperCase();
  if (word === "MARKETING") return "marketing";
  if (word === "AUTHENTICATION" || word === "OTP") return "authentication";
  if (word === "UTILITY" || word === "TRANSACTIONAL" || /_UPDATE$/.test(word) || word === "ISSUE_RESOLUTION" || word === "AUTO_REPLY") return "utility";
  return undefined;
}

/** What a customer reads, without the examples Meta's reviewers see (they are not content). */
function withoutExamples(language: TemplateLanguage): Record<string, unknown> {
  const header = language.header;
  const media = header && (["image", "video", "document"] as const).find((kind) => header[kind] !== undefined);
  return {
    header: header === undefined ? undefined : media ? { [media]: true } : { text: header.text },
    body: language.body?.text,
    footer: language.footer,
    buttons: language.buttons?.map((button) => ({ ...button, example: undefined })),
    otp: language.otp,
  };
}

/** The parts that differ, or undefined when the remote components could not be read. */
function differingParts(request: TemplateCreateRequest, remoteComponents: readonly unknown[]): string[] | undefined {
  const remote = languageFromComponents(remoteComponents);
  const local = languageFromComponents(request.template_components);
  if (!remote || !local) return undefined;
  const a = withoutExamples(local);
  const b = withoutExamples(remote);
  return PARTS.filter((part) => JSON.stringify(a[part]) !== JSON.stringify(b[part]));
}

/** `order_shipped_v2` → `order_shipped_v3`, `welcome` → `welcome_v2`, past every name taken. */
export function nextName(name: string, taken: ReadonlySet<string>): string {
  const match = /^(.*)_v(\d+)$/.exec(name);
  const stem = match ? match[1]! : name;
  let version = match ? Number(match[2]) + 1 : 2;
  while (taken.has(`${stem}_v${version}`)) version++;
  return `${stem}_v${version}`;
}

/**
 * The diagnostics that stop a plan: the Template specs' lint, and the load errors of every file
 * that is not a Message or Campaign spec (one of them may be a Template that did not load, whose
 * name would otherwise read as "remote only"). With names, only those Templates' own files count
 * once they all loaded.
 */
export function templateDiagnostics(project: Project, names: readonly string[]): Diagnostic[] {
  const selected = selectSpecs(project, names);
  const lint = locateDiagnostics(project, selected.flatMap((spec) => lintTemplate(spec.data, spec.file)));
  const otherSpecs = new Set(project.specs.map((spec) => spec.file));
  const own = new Set(selected.map((spec) => spec.file));
  const allLoaded = names.length > 0 && names.every((name) => project.templates.has(name));
  const load = project.diagnostics.filter((d) => {
    if (d.code === "no-specs") return false;
    if (allLoaded) return own.has(d.file);
    return !otherSpecs.has(d.file);
  });
  return [...load.filter(isError), ...lint];
}

function selectSpecs(project: Project, names: readonly string[]): LoadedSpec<TemplateSpec>[] {
  const specs = [...project.templates.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return names.length === 0 ? specs : specs.filter((spec) => names.includes(spec.name));
}

/** Names asked for that are neither a Template spec nor on the list: said before anything else. */
export function checkNames(command: string, names: readonly string[], project: Project, groups: readonly RemoteTemplateGroup[]): void {
  const unknown = names.filter((name) => !project.templates.has(name) && !groups.some((g) => g.name === name));
  if (unknown.length === 0) return;
  const shown = unknown.slice(0, 5).map((name) => `"${remoteText(name)}"`).join(", ");
  throw new InputError(`msgc ${command}: no Template spec and no template of the business is named ${shown}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ""}`);
}

export function planTemplates(project: Project, groups: readonly RemoteTemplateGroup[], opts: { businessId: string; names?: readonly string[] }): TemplatePlan {
  const names = opts.names ?? [];
  const entries: TemplatePlanEntry[] = [];
  const taken = new Set([...project.templates.keys(), ...groups.map((g) => g.name)]);
  const specified = new Set<string>();
  for (const spec of selectSpecs(project, names)) {
    for (const language of Object.keys(spec.data.languages)) {
      specified.add(`${spec.name}\u0000${language}`);
      const request = templateCreateRequest(spec.data, language);
      const { group, remote } = findRemote(groups, spec.name, language);
      const category = group ? categoryOf(group.category) : undefined;
      const categoryDiffers = category !== undefined && category !== spec.data.category;
      const base = { name: spec.name, language, file: spec.file };
      if (!remote) {
        // A new language joins the group's category: one of another category cannot be created.
        entries.push(categoryDiffers ? { ...base, action: "differs", differences: ["category"], newName: nextName(spec.name, taken) } : { ...base, action: "create", request });
        continue;
      }
      const status = { status: statusWord(remote.status), ...(remote.rejectionReason ? { reason: remote.rejectionReason } : {}) };
      const parts = differingParts(request, remote.templateComponents);
      const differences = [...(categoryDiffers ? ["category"] : []), ...(parts ?? [])];
      if (differences.length > 0) entries.push({ ...base, action: "differs", ...status, differences, newName: nextName(spec.name, taken) });
      else entries.push({ ...base, action: "in-sync", ...status, ...(parts === undefined ? { unread: true } : {}) });
    }
  }
  const remoteOnly = groups
    .filter((group) => names.length === 0 || names.includes(group.name))
    .flatMap((group) => group.templates.map((t) => ({ group, t })))
    .filter(({ group, t }) => !specified.has(`${group.name}\u0000${t.language}`))
    .map(({ group, t }): TemplatePlanEntry => ({
      name: remoteText(group.name, 512),
      language: remoteText(t.language),
      action: "remote-only",
      status: statusWord(t.status),
      ...(t.rejectionReason ? { reason: t.rejectionReason } : {}),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.language < b.language ? -1 : a.language > b.language ? 1 : 0));
  entries.push(...remoteOnly);
  const counts: Record<TemplateAction, number> = { create: 0, "in-sync": 0, differs: 0, "remote-only": 0 };
  for (const entry of entries) counts[entry.action]++;
  return { businessId: opts.businessId, entries, counts };
}
