/**
 * `locales` entries are overrides of the base forms: objects are merged over the base, arrays and
 * scalars replace it. callbackData is opaque data and is replaced whole, never merged.
 */
import type { JsonPath } from "../diagnostics.js";

const OPAQUE_KEYS = new Set(["callbackData"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function mergeOverride(base: unknown, override: unknown, key?: string): unknown {
  if (override === undefined) return base;
  if (key !== undefined && OPAQUE_KEYS.has(key)) return override;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [k, value] of Object.entries(override)) merged[k] = mergeOverride(base[k], value, k);
  return merged;
}

/**
 * The spec path a merged value came from: under `overridePrefix` when the override supplies it
 * (or replaces an ancestor of it), under `basePrefix` otherwise.
 */
export function originIn(override: unknown, relative: JsonPath, basePrefix: JsonPath, overridePrefix: JsonPath): JsonPath {
  let node = override;
  for (let i = 0; i < relative.length; i++) {
    if (node === undefined) return [...basePrefix, ...relative];
    const key = relative[i] as string | number;
    if (!isPlainObject(node) || (i > 0 && OPAQUE_KEYS.has(String(relative[i - 1])))) return [...overridePrefix, ...relative];
    node = node[key];
  }
  return node === undefined ? [...basePrefix, ...relative] : [...overridePrefix, ...relative];
}
