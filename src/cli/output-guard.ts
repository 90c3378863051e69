/**
 * An output file over what a command reads would destroy it: `status --out .msgc/msgc.db`
 * replaced the store, and with it the suppression list, by a page of text; `send --report` over
 * the journal would replace the record of what was sent (a report is renamed over its target).
 */
import { dirname, join } from "node:path";
import type { ResolvedConfig } from "../project/config.js";
import { realPathOf } from "../project/confine.js";
import { campaignJournals } from "../runner/status/index.js";
import { storeTarget } from "../store/open.js";
import { UsageError } from "./io.js";

/** Refuses (exit 64) an output that is the store, a journal, in the journal folder, or another output; compared once links are followed. */
export async function refuseOutputOverInputs(
  command: "status" | "send",
  config: ResolvedConfig,
  env: NodeJS.ProcessEnv,
  journal: string | undefined,
  outputs: readonly { option: string; given: string; path: string }[],
): Promise<void> {
  const reads: { path: string; what: string }[] = [];
  const target = storeTarget(config, env, { create: false });
  if (target?.kind === "sqlite") {
    // SQLite keeps a live database in these too.
    for (const suffix of ["", "-wal", "-shm", "-journal"]) reads.push({ path: await realPathOf(`${target.path}${suffix}`), what: "the store" });
  }
  if (journal !== undefined) for (const path of [journal, ...campaignJournals(journal)]) reads.push({ path: await realPathOf(path), what: "the journal" });
  const journalFolder = await realPathOf(join(config.outDir, "journal"));
  const seen = new Map<string, string>();
  for (const { option, given, path } of outputs) {
    const at = await realPathOf(path);
    const read = reads.find((r) => r.path === at);
    const problem = read !== undefined ? `is ${read.what}` : dirname(at) === journalFolder ? "is in the journal folder" : undefined;
    if (problem !== undefined) throw new UsageError(`msgc ${command}: --${option} ${given} ${problem} that ${command} reads; write it to another file`);
    const other = seen.get(at);
    if (other !== undefined) throw new UsageError(`msgc ${command}: --${other} and --${option} are the same file ${given}; give each its own`);
    seen.set(at, option);
  }
}
