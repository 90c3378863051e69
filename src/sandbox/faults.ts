import { createRandom } from "./prng.js";
import type { Random } from "./prng.js";

export interface FaultOptions {
  seed: number;
  latencyMs: number;
  jitterMs: number;
  failRate: number;
  resetRate: number;
  hangRate: number;
  acceptThenFailRate: number;
}

/** What happens to one request; decided up front so that every request draws the same amount. */
export interface FaultDraw {
  delayMs: number;
  reset: boolean;
  hang: boolean;
  fail: boolean;
  acceptThenFail: boolean;
}

/**
 * Every request that reaches the fault stage draws exactly five numbers, whatever the rates,
 * so with one seed the n-th such request always meets the same fate, and counts over N
 * requests are exact even when the requests run concurrently.
 */
export class FaultPlan {
  private readonly random: Random;

  constructor(private readonly options: FaultOptions) {
    this.random = createRandom(options.seed);
  }

  draw(): FaultDraw {
    const { latencyMs, jitterMs, failRate, resetRate, hangRate, acceptThenFailRate } = this.options;
    const jitter = this.random();
    const reset = this.random() < resetRate;
    const hang = this.random() < hangRate;
    const fail = this.random() < failRate;
    const acceptThenFail = this.random() < acceptThenFailRate;
    const delayMs = Math.max(0, latencyMs + (jitter * 2 - 1) * jitterMs);
    // One fault per request, the most drastic first.
    return { delayMs, reset, hang: hang && !reset, fail: fail && !reset && !hang, acceptThenFail: acceptThenFail && !reset && !hang && !fail };
  }
}
