/**
 * The store `msgc status` reads, as the config and environment name it; undefined when none is
 * configured and `<out>/msgc.db` does not exist (status never creates one).
 */
import type { ResolvedConfig } from "../../project/config.js";
import type { Store } from "../../store/store.js";

export async function openConfiguredStore(_config: ResolvedConfig, _env: NodeJS.ProcessEnv): Promise<Store | undefined> {
  return undefined;
}
