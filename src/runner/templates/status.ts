/**
 * `msgc templates status`: the review status of each template and language on the business's
 * list (approved, pending, rejected with Meta's reason, paused, disabled, or a status Connectly
 * adds, as it came), and whether the project has its Template spec.
 */
import type { RemoteTemplateGroup } from "../../connectly/client.js";
import type { Project } from "../../project/project.js";
import { remoteText, statusWord } from "./remote.js";

export interface TemplateStatusEntry {
  name: string;
  language: string;
  /** In words; `not created` for a Template spec's language that is not on the list. */
  status: string;
  reason?: string;
  /** The Template spec's file, when the project has one of that name. */
  file?: string;
}

export const NOT_CREATED = "not created";

/** Sorted by name and language; with names, a Template spec's languages missing remotely show as not created. */
export function templateStatuses(project: Project, groups: readonly RemoteTemplateGroup[], names: readonly string[]): TemplateStatusEntry[] {
  const entries: TemplateStatusEntry[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    if (names.length > 0 && !names.includes(group.name)) continue;
    const file = project.templates.get(group.name)?.file;
    for (const t of group.templates) {
      seen.add(`${group.name}\u0000${t.language}`);
      entries.push({
        name: remoteText(group.name, 512),
        language: remoteText(t.language),
        status: statusWord(t.status),
        ...(t.rejectionReason ? { reason: t.rejectionReason } : {}),
        ...(file ? { file } : {}),
      });
    }
  }
  for (const name of names) {
    const spec = project.templates.get(name);
    for (const language of Object.keys(spec?.data.languages ?? {})) {
      if (!seen.has(`${name}\u0000${language}`)) entries.push({ name, language, status: NOT_CREATED, file: spec!.file });
    }
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.language < b.language ? -1 : a.language > b.language ? 1 : 0));
}
