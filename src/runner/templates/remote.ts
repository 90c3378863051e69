/**
 * The business's template list as the template commands and the send preflight read it: one
 * template (name, language) found in it, its status in words, its free text made fit for a
 * line, and a list that could not be read said in one line.
 */
import type { ConnectlyClient, ConnectlyFailure, RemoteTemplate, RemoteTemplateGroup } from "../../connectly/client.js";
import { sanitizeAnswerText } from "../../connectly/answer.js";
import { InputError } from "../../errors.js";

export const APPROVED = "MESSAGE_TEMPLATE_STATUS_APPROVED";
export const PENDING = "MESSAGE_TEMPLATE_STATUS_PENDING";
export const REJECTED = "MESSAGE_TEMPLATE_STATUS_REJECTED";

/** Text from the list, fit for one line: bounded, control characters replaced. */
export function remoteText(text: string, max = 64): string {
  return sanitizeAnswerText(text, [], max);
}

/** `MESSAGE_TEMPLATE_STATUS_PENDING` → `pending`; another status as it came. */
export function statusWord(status: string): string {
  return remoteText(status.replace(/^MESSAGE_TEMPLATE_STATUS_/, "").toLowerCase());
}

/** The group of a name and its template in a language, when the list has them. */
export function findRemote(groups: readonly RemoteTemplateGroup[], name: string, language: string): { group?: RemoteTemplateGroup; remote?: RemoteTemplate } {
  const group = groups.find((g) => g.name === name);
  const remote = group?.templates.find((t) => t.language === language);
  return { ...(group ? { group } : {}), ...(remote ? { remote } : {}) };
}

/** `HTTP 401 ERROR_CODE_UNAUTHENTICATED: …`, `timeout`, `HTTP 200: the answer is not JSON`. */
export function describeFailure(failure: ConnectlyFailure): string {
  return failure.kind === "refused"
    ? `HTTP ${failure.status}${failure.code ? ` ${failure.code}` : ""}${failure.message ? `: ${failure.message}` : ""}`
    : failure.kind === "network"
      ? failure.code
      : `HTTP ${failure.status}: ${failure.reason}`;
}

/**
 * The list, or an InputError that says why it could not be read: `who` begins the line (`msgc
 * templates plan:`, `msgc send: the preflight`) and `what` ends it.
 */
export async function readTemplateList(client: ConnectlyClient, who: string, what: string): Promise<RemoteTemplateGroup[]> {
  const list = await client.getTemplates();
  if (!list.ok) throw new InputError(`${who} could not read the business's templates (${describeFailure(list.failure)})${what}`);
  return list.value;
}
