/**
 * Template specs as the sandbox's approved templates. Apart from templates.ts so that the schema
 * validators, the lint and the create-request mapping load only when specs are given: a sandbox
 * started with a list, or none, starts as quickly as before.
 */
import { parametersTakenBy } from "../connectly/components.js";
import { templateCreateRequests } from "../compiler/template-create.js";
import { lintTemplate } from "../compiler/template-lint.js";
import { checkSchema } from "../project/schema-check.js";
import type { TemplateSpec } from "../types/template.generated.js";
import { SandboxConfigError } from "./config-error.js";
import type { ApprovedTemplate } from "./templates.js";

export { loadTemplateSpecs } from "../project/template-specs.js";

/**
 * A (linted) Template spec as approved templates, one per language: the components are those
 * its create request carries, so what a send must fill is read from them as from any created
 * template, and `get/templates` lists what `msgc templates apply` would have created.
 */
export function approvedFromSpec(spec: TemplateSpec): ApprovedTemplate[] {
  return templateCreateRequests(spec).map((request) => {
    const language = request.language.code;
    const components = request.template_components as unknown[];
    return {
      definition: { name: spec.name, language, ...parametersTakenBy(components) },
      category: request.category.replace("MESSAGE_TEMPLATE_GROUP_CATEGORY_", ""),
      components,
    };
  });
}

/** An in-process Template spec holds to the schema and the lint rules like one from a file. */
export function checkedSpec(spec: TemplateSpec, where: string): TemplateSpec {
  const problem = checkSchema("template", spec)[0] ?? lintTemplate(spec, where).find((d) => d.severity === "error");
  if (problem) throw new SandboxConfigError(`${where}: ${problem.code} at ${problem.path.join(".") || "the top"}: ${problem.message}`);
  return spec;
}
