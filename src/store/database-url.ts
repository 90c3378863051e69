/**
 * PostgreSQL URLs as msgc shows them. A URL can carry a password (in its user part, or as a
 * `password` query parameter, which the pg driver also reads): it is a secret, so whatever shows
 * a URL shows it masked, and whatever prints text from the driver cuts the password out first.
 */

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

export function isPostgresUrl(text: string): boolean {
  return POSTGRES_URL.test(text);
}

/** The passwords a URL carries, as written and decoded, for scrubbing text. */
export function databaseUrlPasswords(text: string): string[] {
  const url = parseUrl(text);
  if (url === undefined) {
    // Unparseable: take whatever sits between the user and the host, so that it is still cut.
    const match = /^[a-z]+:\/\/[^:@/]*:([^@/]*)@/i.exec(text);
    return match?.[1] ? [match[1]] : [];
  }
  const found = [url.password, url.searchParams.get("password") ?? ""].filter((p) => p !== "");
  return [...new Set(found.flatMap((p) => [p, safeDecode(p)]))];
}

export function hasDatabaseUrlPassword(text: string): boolean {
  return databaseUrlPasswords(text).length > 0;
}

/** The URL with its password replaced by `***` (an unparseable URL is shown as its scheme only). */
export function maskDatabaseUrl(text: string): string {
  const url = parseUrl(text);
  if (url === undefined) return `${/^[a-z]+:\/\//i.exec(text)?.[0] ?? ""}…`;
  if (url.password !== "") url.password = "***";
  if (url.searchParams.has("password")) url.searchParams.set("password", "***");
  return url.toString();
}

/** Text (a driver's error message) with these secrets cut out. */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== "") out = out.split(secret).join("***");
  return out;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
