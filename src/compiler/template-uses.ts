/**
 * Which (template, language, parameters) a send may use, read from the compiled message: what
 * the send preflight holds against Connectly's template list before the first request.
 */
import type { JsonPath } from "../diagnostics.js";
import type { CompiledMessage } from "./message.js";
import type { WindowMode } from "./plan.js";

export interface TemplateUse {
  templateName: string;
  language: string;
  /** The parameter names every send of it fills (`header_text`, `body_1`, `button_1_url`, …). */
  parameters: readonly string[];
  /** The message spec, and where in it this template form is. */
  file: string;
  path: JsonPath;
}

/**
 * The template forms of `message` that can go out: none when the window is `session`; the base
 * form, and each locale's when recipients carry a locale (`locales: false` when none can).
 * One entry per distinct (name, language, parameters).
 */
export function templateUses(message: CompiledMessage, options: { window: WindowMode; locales: boolean }): TemplateUse[] {
  if (options.window === "session") return [];
  const uses = new Map<string, TemplateUse>();
  for (const variant of message.variants) {
    if (variant.locale !== null && !options.locales) continue;
    const template = variant.template;
    if (!template) continue;
    const key = JSON.stringify([template.templateName, template.language, template.parameterNames]);
    if (uses.has(key)) continue;
    const overridden = variant.locale !== null && message.spec.locales?.[variant.locale]?.template !== undefined;
    uses.set(key, {
      templateName: template.templateName,
      language: template.language,
      parameters: template.parameterNames,
      file: message.file,
      path: overridden ? ["locales", variant.locale!, "template"] : ["template"],
    });
  }
  return [...uses.values()];
}
