// The schemas in schema/ serve two readers. Editors (yaml-language-server) get WhatsApp's limits
// as they type, on the YAML text; msgc itself checks those limits in the compiler, on the
// RENDERED value, with its own codes (a title with a {{var}} can be short in YAML and long once
// rendered, or the other way round). A schema node lists such keywords in "x-compiler-checks";
// msgc's validators and types are generated from the schema without them.

/** A deep copy of `schema` without the keywords each node lists in "x-compiler-checks". */
export function withoutEditorHints(schema) {
  if (Array.isArray(schema)) return schema.map(withoutEditorHints);
  if (schema === null || typeof schema !== "object") return schema;
  const hints = new Set(schema["x-compiler-checks"] ?? []);
  const copy = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "x-compiler-checks" || hints.has(key)) continue;
    copy[key] = withoutEditorHints(value);
  }
  return copy;
}

/**
 * For json-schema-to-typescript: a description beside a "$ref" (there for editors' hover) would
 * make it copy the referenced type under a new name (Session1...); draft-07 ignores keywords
 * beside "$ref" anyway, so the types are generated without them.
 */
export function withoutRefSiblings(schema) {
  if (Array.isArray(schema)) return schema.map(withoutRefSiblings);
  if (schema === null || typeof schema !== "object") return schema;
  if (typeof schema.$ref === "string") return { $ref: schema.$ref };
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withoutRefSiblings(value)]));
}
