/**
 * The store `msgc status` reads, as the environment and config name it; undefined when none is
 * configured and `<out>/msgc.db` does not exist (status only reads: it never creates one).
 */
import type { ResolvedConfig } from "../../project/config.js";
import { openStore, storeTarget } from "../../store/open.js";
import type { Store } from "../../store/store.js";

export async function openConfiguredStore(config: ResolvedConfig, env: NodeJS.ProcessEnv): Promise<Store | undefined> {
  const target = storeTarget(config, env, { create: false });
  return target === undefined ? undefined : openStore(target);
}
