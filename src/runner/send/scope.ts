/**
 * Which of a project's load diagnostics stand in the way of sending one campaign (or one
 * message): those of its own spec files. A teammate's draft or a foreign YAML file elsewhere in
 * `specs/` must not block a send whose campaign and message are valid; its errors are turned
 * into warnings (still shown, with their place).
 */
import type { Diagnostic } from "../../diagnostics.js";
import type { Project } from "../../project/project.js";

/**
 * The project's diagnostics in their order, errors of other specs turned into warnings. A spec's
 * own are those of the campaign's file, its message's file, and a spec that uses one of their
 * names again (which one is meant is then unclear). When the name, or the campaign's message,
 * did not load at all, every error stays one: the broken file may be the very spec wanted.
 */
export function scopeDiagnosticsForSend(project: Project, name: string): Diagnostic[] {
  const campaign = project.campaigns.get(name);
  const messageName = campaign ? campaign.data.message : name;
  const message = project.messages.get(messageName);
  if (!message) return project.diagnostics;
  const files = new Set([message.file, ...(campaign ? [campaign.file] : [])]);
  const reused = [...(campaign ? [`Campaign name "${campaign.name}" `] : []), `Message name "${messageName}" `];
  return project.diagnostics.map((d) => {
    const own = files.has(d.file) || (d.code === "duplicate-name" && reused.some((prefix) => d.message.startsWith(prefix)));
    return own || d.severity !== "error" ? d : { ...d, severity: "warning" };
  });
}
