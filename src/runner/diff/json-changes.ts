/** Which fields differ between two JSON values, as paths like `message.buttons[0].text`. */

export interface FieldChange {
  path: string;
  /** Absent when the field was added. */
  before?: unknown;
  /** Absent when the field was removed. */
  after?: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function child(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  const segment = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  if (segment.startsWith('"')) return `${path}[${segment}]`;
  return path === "" ? segment : `${path}.${segment}`;
}

function change(path: string, before: unknown, after: unknown): FieldChange {
  const c: FieldChange = { path: path === "" ? "(whole value)" : path };
  if (before !== undefined) c.before = before;
  if (after !== undefined) c.after = after;
  return c;
}

function walk(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) walk(before[i], after[i], child(path, i), out);
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !Object.hasOwn(before, k))];
    for (const key of keys) walk(before[key], after[key], child(path, key), out);
    return;
  }
  if (before === after) return;
  if (before === undefined || after === undefined || JSON.stringify(before) !== JSON.stringify(after)) {
    out.push(change(path, before, after));
  }
}

export function jsonChanges(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before, after, "", out);
  return out;
}
