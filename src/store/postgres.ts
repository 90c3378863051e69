/** The shared store on PostgreSQL: lands in the next commit. */
import { InputError } from "../errors.js";
import { maskDatabaseUrl } from "./database-url.js";
import type { Store } from "./store.js";

export function openPostgresStore(url: string, _options: { password?: string }): Promise<Store> {
  return Promise.reject(new InputError(`The store ${maskDatabaseUrl(url)} is PostgreSQL, which this build does not support yet`));
}
