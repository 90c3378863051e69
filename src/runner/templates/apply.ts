/**
 * `msgc templates apply`: creates what the plan says to create, paced under Meta's limit of 100
 * creations an hour per WhatsApp account, and with `--wait` follows Meta's review until none of
 * the templates is pending. Nothing is ever updated or deleted: Connectly has no endpoint for it.
 */
import type { ConnectlyClient, RemoteTemplateGroup } from "../../connectly/client.js";
import { describeFailure, findRemote, PENDING, readTemplateList, REJECTED, statusWord } from "./remote.js";
import type { TemplatePlan, TemplatePlanEntry } from "./plan.js";

/** Meta allows this many template creations per WhatsApp account … */
export const CREATIONS_PER_WINDOW = 100;
/** … in any hour. */
export const CREATION_WINDOW_MS = 3_600_000;
/** The review is polled after 1 s, then 2, 4, … up to once a minute. */
export const FIRST_POLL_MS = 1000;
export const MAX_POLL_MS = 60_000;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * A sliding window over creation times: a creation waits until fewer than `limit` fall in the
 * last `windowMs`, so no hour ever holds more than `limit`, however the run is cut up. `earlier`
 * are creations made before this run (the list's `createdAt`): a second run in the same hour
 * counts the first one's.
 */
export function createCreationPacer(opts: { clock: Clock; limit?: number; windowMs?: number; earlier?: readonly number[]; onWait?: (ms: number) => void }): () => Promise<void> {
  const limit = opts.limit ?? CREATIONS_PER_WINDOW;
  const windowMs = opts.windowMs ?? CREATION_WINDOW_MS;
  const start = opts.clock.now();
  // A time ahead of this clock (another machine's) counts as now: never later than it could be.
  const times = (opts.earlier ?? []).map((t) => Math.min(t, start)).filter((t) => t > start - windowMs).sort((a, b) => a - b);
  return async () => {
    for (;;) {
      const now = opts.clock.now();
      while (times.length > 0 && times[0]! <= now - windowMs) times.shift();
      if (times.length < limit) {
        times.push(now);
        return;
      }
      const wait = times[times.length - limit]! + windowMs - now;
      opts.onWait?.(wait);
      await opts.clock.sleep(wait);
    }
  };
}

/** Creation times the list reports within the last window, for the pacer. */
export function recentCreations(groups: readonly RemoteTemplateGroup[], now: number, windowMs = CREATION_WINDOW_MS): number[] {
  return groups
    .flatMap((g) => g.templates.map((t) => (t.createdAt === null ? Number.NaN : Date.parse(t.createdAt))))
    .filter((t) => Number.isFinite(t) && t > now - windowMs);
}

export type CreateOutcome =
  | { entry: TemplatePlanEntry; created: true; status: string; reason?: string }
  | { entry: TemplatePlanEntry; created: false; problem: string; ambiguous: boolean };

/** Creates every `create` entry of the plan, one after another, each once (a create is not retried). */
export async function createPlanned(
  plan: TemplatePlan,
  client: ConnectlyClient,
  opts: { pace: () => Promise<void>; onOutcome?: (outcome: CreateOutcome) => void },
): Promise<CreateOutcome[]> {
  const outcomes: CreateOutcome[] = [];
  for (const entry of plan.entries) {
    if (entry.action !== "create") continue;
    await opts.pace();
    const answer = await client.createTemplate(entry.request);
    let outcome: CreateOutcome;
    if (answer.ok) {
      const created = answer.value.templates.find((t) => t.language === entry.language) ?? answer.value.templates[0];
      const status = created ? statusWord(created.status) : "pending";
      outcome = { entry, created: true, status, ...(created?.rejectionReason ? { reason: created.rejectionReason } : {}) };
    } else {
      const ambiguous = answer.failure.kind === "network" && answer.failure.ambiguous;
      outcome = { entry, created: false, problem: describeFailure(answer.failure), ambiguous };
    }
    outcomes.push(outcome);
    opts.onOutcome?.(outcome);
  }
  return outcomes;
}

export interface Watched {
  name: string;
  language: string;
  /** The status word last seen. */
  status: string;
  reason?: string;
}

export interface ReviewChange {
  name: string;
  language: string;
  from: string;
  to: string;
  reason?: string;
}

/**
 * Polls the list (1 s, 2 s, 4 s, … at most a minute apart) until none of `watched` is pending or
 * `timeoutMs` has passed, telling each change. Returns the last statuses and whether it timed out.
 */
export async function waitForReview(
  client: ConnectlyClient,
  watched: readonly Watched[],
  opts: { timeoutMs: number; clock: Clock; onChange?: (change: ReviewChange) => void; command: string },
): Promise<{ statuses: Watched[]; timedOut: boolean }> {
  const statuses = watched.map((w) => ({ ...w }));
  const pendingWord = statusWord(PENDING);
  const deadline = opts.clock.now() + opts.timeoutMs;
  let delay = FIRST_POLL_MS;
  while (statuses.some((s) => s.status === pendingWord)) {
    const left = deadline - opts.clock.now();
    if (left <= 0) return { statuses, timedOut: true };
    await opts.clock.sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, MAX_POLL_MS);
    const groups = await readTemplateList(client, `msgc ${opts.command}:`, "; the templates were created: msgc templates status shows their review");
    for (const s of statuses) {
      const { remote } = findRemote(groups, s.name, s.language);
      if (!remote) continue;
      const status = statusWord(remote.status);
      if (status === s.status) continue;
      const reason = remote.status === REJECTED && remote.rejectionReason ? remote.rejectionReason : undefined;
      opts.onChange?.({ name: s.name, language: s.language, from: s.status, to: status, ...(reason ? { reason } : {}) });
      s.status = status;
      if (reason) s.reason = reason;
    }
  }
  return { statuses, timedOut: false };
}
