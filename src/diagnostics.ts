/**
 * The one Diagnostic type of msgc. Every layer reports problems as Diagnostics; the spec layer
 * fills in `range` from the YAML AST, and only the formatters turn 0-based positions into
 * 1-based ones.
 */

/** Every diagnostic code msgc can emit. Closed: add a code here (and to docs/diagnostics.md). */
export const DIAGNOSTIC_CODES = [
  // reading files
  "file-unreadable",
  "file-too-large",
  "yaml-syntax",
  "multiple-documents",
  "alias-limit",
  "yaml-tag",
  "merge-key",
  "duplicate-key",
  "not-a-mapping",
  // schema (Ajv errors translated)
  "unknown-kind",
  "missing-field",
  "unknown-field",
  "wrong-type",
  "invalid-value",
  "invalid-name",
  "pattern-mismatch",
  "out-of-range",
  "too-long",
  "too-short",
  "too-many-items",
  "too-few-items",
  "config-invalid",
  // project
  "duplicate-name",
  "path-outside-project",
  "unknown-message",
  "message-unchecked",
  "no-specs",
  // interpolation
  "template-syntax",
  "unknown-variable",
  "unknown-helper",
  "optional-var-unguarded",
  "single-brace",
  // vars, samples, inputs
  "var-invalid",
  "var-missing",
  "var-unknown",
  "var-definition-invalid",
  "unused-variable",
  // message structure
  "missing-content",
  "multiple-content-kinds",
  "header-not-allowed",
  "footer-not-allowed",
  "filename-not-allowed",
  "section-title-required",
  "template-header-conflict",
  "window-needs-session",
  "window-needs-template",
  "no-template-fallback",
  "locale-adds-form",
  // WhatsApp limits (checked on rendered values)
  "text-empty",
  "text-too-long",
  "body-too-long",
  "caption-too-long",
  "header-too-long",
  "footer-too-long",
  "url-not-https",
  "list-too-many-sections",
  "list-too-many-rows",
  "list-button-too-long",
  "section-title-too-long",
  "row-title-too-long",
  "row-description-too-long",
  "row-id-too-long",
  "duplicate-row-id",
  "too-many-buttons",
  "button-title-too-long",
  "button-id-too-long",
  "duplicate-button-title",
  "duplicate-button-id",
  "too-many-body-params",
  "template-param-invalid",
  "callback-data-too-large",
  "tracking-unavailable",
  // SMS (checked on rendered text)
  "channel-needs-form",
  "sms-text-empty",
  "sms-too-many-segments",
  "sms-unicode-lookalike",
  // Template specs (docs/templates.md)
  "template-name-invalid",
  "template-language-unknown",
  "template-body-too-long",
  "template-header-invalid",
  "template-footer-invalid",
  "template-variables-not-sequential",
  "template-named-params",
  "template-example-missing",
  "template-variable-placement",
  "template-buttons-invalid",
  "template-button-invalid",
  "template-category-mismatch",
  // a Message against its Template spec
  "template-language-missing",
  "template-params-mismatch",
  "template-rendered-too-long",
  "template-not-defined",
  "marketing-to-us-numbers",
  // audiences
  "audience-not-found",
  "audience-unreadable",
  "audience-empty",
  "audience-missing-column",
  "audience-row-invalid",
  "phone-invalid",
  "duplicate-recipient",
  "encoding-invalid",
  // templates at Connectly (the send preflight)
  "template-not-found-remote",
  "template-not-approved",
  "template-params-mismatch-remote",
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];
export type Severity = "error" | "warning";

/** 0-based line and column (column counts UTF-16 code units, as the yaml package does). */
export interface Position {
  line: number;
  column: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** A JSON path into a spec document: object keys and array indices. */
export type JsonPath = ReadonlyArray<string | number>;

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  /** Plain words for a person; never raw Ajv text, never the API key. */
  message: string;
  /** Project-relative POSIX path of the spec (or audience) file. */
  file: string;
  /** Where in the spec document the problem is. Empty for whole-file problems. */
  path: JsonPath;
  /**
   * For problems inside a string value (interpolation): the index in the parsed string value
   * where the problem starts (the `{{`). The locator maps it to a source column.
   */
  offset?: number;
  /** Filled by the spec layer from the YAML AST (0-based). */
  range?: Range;
  /** Audience problems: 1-based data row (header excluded). */
  row?: number;
  /**
   * Audience problems: the 1-based physical line of the file where the row starts (not row + 1
   * when quoted cells hold line breaks or blank lines are skipped).
   */
  line?: number;
  /** Audience problems: the column (field) name, when one is at fault. */
  field?: string;
  hint?: string;
}

export function isError(d: Diagnostic): boolean {
  return d.severity === "error";
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some(isError);
}

/**
 * One diagnostic in the `--format json` shape of cli.md; `file:row` for audiences (with the
 * physical `line` the row starts on, when known), 1-based; `hint` when it has one.
 */
export type JsonDiagnostic =
  | { file: string; line: number; column: number; severity: string; code: string; message: string; hint?: string }
  | { file: string; row: number; line?: number; severity: string; code: string; message: string; hint?: string }
  | { file: string; line: number; severity: string; code: string; message: string; hint?: string }
  | { file: string; severity: string; code: string; message: string; hint?: string };

/**
 * The single mapping from a Diagnostic to its machine-readable shape, shared by every command
 * that prints diagnostics as JSON (validate, build, diff, send) so that they cannot drift apart.
 */
export function diagnosticToJson(d: Diagnostic): JsonDiagnostic {
  // The hint text output shows under the message is kept, so that a script or editor loses nothing.
  const rest = { severity: d.severity, code: d.code, message: d.message, ...(d.hint !== undefined ? { hint: d.hint } : {}) };
  if (d.row !== undefined) return { file: d.file, row: d.row, ...(d.line === undefined ? {} : { line: d.line }), ...rest };
  if (d.range) return { file: d.file, line: d.range.start.line + 1, column: d.range.start.column + 1, ...rest };
  if (d.line !== undefined) return { file: d.file, line: d.line, ...rest };
  return { file: d.file, ...rest };
}

/** `file:line:col`, `file:row` (audiences) or just `file` (whole-file problems), 1-based. */
export function diagnosticLocation(d: Diagnostic): string {
  if (d.row !== undefined) return `${d.file} row ${d.row}${d.line === undefined ? "" : ` (line ${d.line})`}`;
  if (d.range) return `${d.file}:${d.range.start.line + 1}:${d.range.start.column + 1}`;
  if (d.line !== undefined) return `${d.file}:${d.line}`;
  return d.file;
}
