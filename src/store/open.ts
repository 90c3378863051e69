/**
 * Which store a command uses, and opening it. The first that says something wins:
 *
 * 1. `MSGC_STORE`: a `postgres://`/`postgresql://` URL (it may carry the password: it is a
 *    secret, like the API key), `sqlite` (the default file), a file path (relative to the
 *    working directory), or `off`.
 * 2. `store:` in the config: `sqlite`, `off`, a `.db` path inside the project, or a PostgreSQL
 *    URL without a password (the config loader refuses one with; PGPASSWORD supplies it).
 * 3. `<out>/msgc.db`, when it exists or the command creates it (`create`).
 *
 * `undefined` is no store: the command runs without one.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ResolvedConfig } from "../project/config.js";
import { databaseUrlPasswords, hasDatabaseUrlPassword, isPostgresUrl } from "./database-url.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

export const STORE_FILE_NAME = "msgc.db";

export type StoreTarget =
  | { kind: "sqlite"; path: string; create: boolean }
  /** `password`: PGPASSWORD from the environment given, for a URL that carries none. */
  | { kind: "postgres"; url: string; password?: string };

type Env = Readonly<Record<string, string | undefined>>;

export function storeTarget(config: Pick<ResolvedConfig, "root" | "outDir" | "store">, env: Env, options: { create: boolean }): StoreTarget | undefined {
  const defaultFile = join(config.outDir, STORE_FILE_NAME);
  const sqlite = (path: string): StoreTarget => ({ kind: "sqlite", path, create: options.create });
  const postgres = (url: string): StoreTarget => {
    const password = env["PGPASSWORD"];
    return !hasDatabaseUrlPassword(url) && password !== undefined && password !== "" ? { kind: "postgres", url, password } : { kind: "postgres", url };
  };

  const fromEnv = env["MSGC_STORE"]?.trim();
  if (fromEnv !== undefined && fromEnv !== "") {
    if (fromEnv === "off") return undefined;
    if (isPostgresUrl(fromEnv)) return postgres(fromEnv);
    return sqlite(fromEnv === "sqlite" ? defaultFile : resolve(fromEnv));
  }
  const written = config.store;
  if (written !== undefined) {
    if (written === "off") return undefined;
    if (isPostgresUrl(written)) return postgres(written);
    return sqlite(written === "sqlite" ? defaultFile : resolve(config.root, written));
  }
  return options.create || existsSync(defaultFile) ? sqlite(defaultFile) : undefined;
}

export async function openStore(target: StoreTarget): Promise<Store> {
  if (target.kind === "sqlite") return openSqliteStore(target.path, { create: target.create });
  const { openPostgresStore } = await import("./postgres.js");
  return openPostgresStore(target.url, target.password === undefined ? {} : { password: target.password });
}

/**
 * The secrets a store setting carries, for the scrubbers of whatever prints: the password of
 * MSGC_STORE's URL and PGPASSWORD.
 */
export function storeSecrets(env: Env): string[] {
  const url = env["MSGC_STORE"]?.trim() ?? "";
  const fromUrl = isPostgresUrl(url) ? databaseUrlPasswords(url) : [];
  const pgPassword = env["PGPASSWORD"];
  return [...fromUrl, ...(pgPassword ? [pgPassword] : [])];
}
