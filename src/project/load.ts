/**
 * One spec file from text to a schema-valid, located value: YAML read safely (yaml-source.ts),
 * `kind` dispatched, the kind's JSON Schema checked, and every problem located in the source.
 */
import type { Diagnostic, JsonPath, Range } from "../diagnostics.js";
import type { CampaignSpec } from "../types/campaign.generated.js";
import type { MessageSpec } from "../types/message.generated.js";
import type { TemplateSpec } from "../types/template.generated.js";
import { closest } from "../compiler/words.js";
import type { SpecLocator } from "./locate.js";
import { checkSchema } from "./schema-check.js";
import type { SchemaName, SchemaProblem } from "./schema-check.js";
import { parseYamlSource } from "./yaml-source.js";

export interface LoadedSpec<T = MessageSpec | CampaignSpec | TemplateSpec> {
  /** Project-relative POSIX path. */
  file: string;
  absPath: string;
  source: string;
  kind: T extends MessageSpec ? "Message" : T extends TemplateSpec ? "Template" : "Campaign";
  name: string;
  /** Plain JS value, schema-valid. */
  data: T;
  /** Map a JSON path (+ optional offset inside a string value) to a 0-based range. */
  locate(path: JsonPath, offset?: number): Range | undefined;
  /** The key of the path's last segment (a field name), where there is one. */
  locateKey(path: JsonPath): Range | undefined;
}

const KINDS = { Message: "message", Campaign: "campaign", Template: "template" } as const satisfies Record<string, SchemaName>;
type Kind = keyof typeof KINDS;

/** Schema problems as located error diagnostics. */
export function locateProblems(problems: readonly SchemaProblem[], file: string, locator: SpecLocator): Diagnostic[] {
  return problems.map((problem) => {
    const range = problem.at === "key" ? locator.locateKey(problem.path) : locator.locate(problem.path);
    return {
      code: problem.code,
      severity: "error",
      message: problem.message,
      file,
      path: problem.path,
      ...(range ? { range } : {}),
    };
  });
}

/**
 * Loads one spec from its text. `file` is the project-relative name used in diagnostics;
 * `absPath` anchors the spec's relative paths. A spec is returned only when there is no error.
 */
export function loadSpecSource(source: string, file: string, absPath: string): { spec?: LoadedSpec; diagnostics: Diagnostic[] } {
  const { spec, diagnostics } = loadSpecSourceWithDeclaration(source, file, absPath);
  return spec ? { spec, diagnostics } : { diagnostics };
}

/** What an invalid spec still says it is, so that references to it are not reported twice. */
export interface DeclaredSpec {
  kind: string;
  name: string;
  /** A campaign's audience.file, so that a path leaving the project is said as such whatever else is wrong. */
  audienceFile?: { given: string; range?: Range };
}

function declaredAudienceFile(record: Record<string, unknown>, locator: SpecLocator): DeclaredSpec["audienceFile"] {
  const audience = record.audience;
  if (typeof audience !== "object" || audience === null) return undefined;
  const given = (audience as Record<string, unknown>).file;
  if (typeof given !== "string") return undefined;
  const range = locator.locate(["audience", "file"]);
  return { given, ...(range ? { range } : {}) };
}

export function loadSpecSourceWithDeclaration(
  source: string,
  file: string,
  absPath: string,
): { spec?: LoadedSpec; declared?: DeclaredSpec; diagnostics: Diagnostic[] } {
  const { parsed, diagnostics } = parseYamlSource(source, file);
  if (!parsed) return { diagnostics };
  const { data, locator } = parsed;
  const here = (path: JsonPath): Range | undefined => locator.locate(path);

  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    const what = Array.isArray(data) ? "a list" : data === null ? "empty" : "a single value";
    const range = here([]);
    return {
      diagnostics: [
        {
          code: "not-a-mapping",
          severity: "error",
          message: `A spec is a mapping that starts with kind: and name:, but this file is ${what}`,
          file,
          path: [],
          ...(range ? { range } : {}),
        },
      ],
    };
  }

  const record = data as Record<string, unknown>;
  const kind = record.kind;
  if (kind === undefined || kind === null || !(typeof kind === "string" && Object.hasOwn(KINDS, kind))) {
    return { diagnostics: [kindProblem(kind, file, locator)] };
  }
  const problems = checkSchema(KINDS[kind as Kind], data);
  if (problems.length > 0) {
    const audienceFile = kind === "Campaign" ? declaredAudienceFile(record, locator) : undefined;
    const declared = typeof record.name === "string" ? { declared: { kind, name: record.name, ...(audienceFile ? { audienceFile } : {}) } } : {};
    return { ...declared, diagnostics: sortByPosition(locateProblems(problems, file, locator)) };
  }

  const spec: LoadedSpec = {
    file,
    absPath,
    source,
    kind: kind as Kind,
    name: String(record.name),
    data: data as MessageSpec | CampaignSpec | TemplateSpec,
    locate: locator.locate,
    locateKey: locator.locateKey,
  };
  return { spec, diagnostics: [] };
}

/** Ajv reports in schema order; people read top to bottom. */
export function sortByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  const place = (d: Diagnostic): number => (d.range ? d.range.start.line * 1e6 + d.range.start.column : -1);
  return diagnostics
    .map((d, index) => ({ d, index }))
    .sort((a, b) => place(a.d) - place(b.d) || a.index - b.index)
    .map(({ d }) => d);
}

function kindProblem(kind: unknown, file: string, locator: SpecLocator): Diagnostic {
  const kinds = Object.keys(KINDS);
  if (kind === undefined || kind === null) {
    const range = locator.locate(kind === null ? ["kind"] : []);
    return {
      code: "missing-field",
      severity: "error",
      message: 'Missing required field "kind"; a spec starts with kind: Message or kind: Campaign',
      file,
      path: ["kind"],
      ...(range ? { range } : {}),
    };
  }
  const shown = typeof kind === "string" ? JSON.stringify(kind) : Array.isArray(kind) ? "(a list)" : typeof kind === "object" ? "(a mapping)" : String(kind);
  const suggestion = typeof kind === "string" ? closest(kind, kinds) : undefined;
  const range = locator.locate(["kind"]);
  return {
    code: "unknown-kind",
    severity: "error",
    message: `Unknown kind ${shown}${suggestion ? `; did you mean "${suggestion}"?` : ""} (kinds: ${kinds.join(", ")})`,
    file,
    path: ["kind"],
    ...(range ? { range } : {}),
  };
}
