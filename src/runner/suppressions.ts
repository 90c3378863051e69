/**
 * The suppression list and the store's inbound times, as `msgc suppress` and `msgc send` use
 * them. Everything goes through the Store interface; nothing here knows which database it is.
 */
import type { ResolvedConfig } from "../project/config.js";
import { InputError, UsageError } from "../errors.js";
import { openStore, storeTarget } from "../store/open.js";
import type { Store, SuppressionReason, SuppressionRecord } from "../store/store.js";
import { OPTED_OUT_CODE } from "../connectly/answer.js";
import type { RecipientFacts } from "./send/recipient-facts.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Runs `use` with the project's store open (created when missing), and closes it whatever
 * happens. A store that cannot be opened is one InputError line (never its password).
 */
export async function withStore<T>(config: ResolvedConfig, env: NodeJS.ProcessEnv, use: (store: Store) => Promise<T>): Promise<T> {
  const target = storeTarget(config, env, { create: true });
  if (target === undefined) throw new InputError("no store is configured");
  const store = await openOrSay(target);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** The store a send or `msgc status` reads, when one is configured (never created by them); undefined otherwise. */
export async function openSendStore(config: ResolvedConfig, env: NodeJS.ProcessEnv): Promise<Store | undefined> {
  const target = storeTarget(config, env, { create: false });
  return target === undefined ? undefined : openOrSay(target);
}

async function openOrSay(target: Parameters<typeof openStore>[0]): Promise<Store> {
  try {
    return await openStore(target);
  } catch (e) {
    if (e instanceof InputError || e instanceof UsageError) throw e;
    throw new InputError(`cannot open the store: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
}

/**
 * Numbers that wrote in the 24 hours before `now`: the only ones whose window is open. A time
 * after `now` (a sender's skewed clock) proves nothing and is dropped: as "the later" of the two
 * it would otherwise hide the audience column's good time and close the window.
 */
async function recentInbound(store: Store, now: number): Promise<Map<string, string>> {
  const inbound = await store.recentInbound(new Date(now - DAY_MS).toISOString());
  for (const [number, at] of inbound) if (!(Date.parse(at) <= now)) inbound.delete(number);
  return inbound;
}

/** When recipients wrote in the 24 hours before `now`, from the store when one is configured (preview). */
export async function storeInbound(config: ResolvedConfig, env: NodeJS.ProcessEnv, now: number): Promise<Map<string, string> | undefined> {
  const store = await openSendStore(config, env);
  if (!store) return undefined;
  try {
    return await recentInbound(store, now);
  } finally {
    await store.close();
  }
}

/**
 * Suppresses the numbers not on the list yet; a number already on it keeps its record (the
 * customer's own STOP is the better evidence). Returns how many were added.
 */
export function addSuppressions(store: Store, numbers: readonly string[], record: { reason: SuppressionReason; at: string; source: string | null }): Promise<number> {
  // Decided inside the store's write, not from a read before it: a STOP the receiver commits in
  // between is kept, not overwritten.
  return store.suppress(
    numbers.map((number) => ({ number, ...record })),
    { keepExisting: true },
  );
}

export function removeSuppressions(store: Store, numbers: readonly string[]): Promise<number> {
  return store.unsuppress(numbers);
}

/** The whole list, by number. */
export async function listSuppressions(store: Store): Promise<SuppressionRecord[]> {
  return [...(await store.suppressions()).values()].sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0));
}

/**
 * What a send needs from the store, loaded once at its start: the suppression list (not loaded
 * when the campaign ignores it), the numbers that wrote in the last 24 hours, and a way to
 * suppress a number Connectly says opted out.
 */
export async function recipientFacts(store: Store, opts: { ignoreSuppression: boolean; now: number }): Promise<RecipientFacts> {
  const [suppressed, inbound] = await Promise.all([
    opts.ignoreSuppression ? Promise.resolve(undefined) : store.suppressions(),
    recentInbound(store, opts.now),
  ]);
  return {
    ...(suppressed ? { suppressed } : {}),
    ignoreSuppression: opts.ignoreSuppression,
    inbound,
    onOptedOut: async (number) => {
      await store.suppress([{ number, reason: "error", at: new Date().toISOString(), source: OPTED_OUT_CODE }]);
    },
  };
}
