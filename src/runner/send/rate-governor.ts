import { performance } from "node:perf_hooks";

/**
 * The run's pace: a token bucket at `rate` requests a second that every request (first
 * attempts, retries, fallbacks) takes a token from, plus the reaction to 429s. A 429 pauses
 * every sender until its Retry-After has passed and lowers the rate (multiplicative decrease);
 * the rate then climbs back towards the target while answers come back without 429s. One
 * governor serves the whole run, so a rate limit seen by one request slows all of them.
 */
export class RateGovernor {
  private tokens: number;
  private updatedAt: number;
  private pausedUntil = 0;
  private current: number;
  private lastCut = -Infinity;
  private readonly waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  /** Tokens handed out in the last whole window, to estimate an unlimited run's real pace. */
  private windowStart: number;
  private windowTakes = 0;
  private lastWindowRate = 0;

  constructor(
    /** Requests per second; Infinity: no limit until the server says otherwise. */
    private readonly target: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(target > 0)) throw new RangeError(`rate must be above 0, got ${target}`);
    this.current = target;
    this.tokens = this.capacity();
    this.updatedAt = clock();
    this.windowStart = this.updatedAt;
  }

  /** The rate in force now (lower than the target after 429s). */
  get rate(): number {
    return this.current;
  }

  /**
   * A small bucket (a tenth of a second's worth, at least one token) keeps the pace even: a
   * full second's burst at the start would look like a storm to a server limiting per second.
   */
  private capacity(): number {
    return Number.isFinite(this.current) ? Math.max(1, this.current / 10) : Infinity;
  }

  /** Resolves when the caller may send one request. */
  take(): Promise<void> | undefined {
    if (this.waiters.length === 0 && this.tryTake()) return undefined;
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.schedule();
    });
  }

  private refill(now: number): void {
    if (Number.isFinite(this.current)) {
      this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.updatedAt) / 1000) * this.current);
    }
    this.updatedAt = now;
  }

  private tryTake(): boolean {
    const now = this.clock();
    if (now < this.pausedUntil) return false;
    this.refill(now);
    if (this.tokens < 1) return false;
    if (Number.isFinite(this.current)) this.tokens -= 1;
    this.countTake(now);
    return true;
  }

  private countTake(now: number): void {
    if (now - this.windowStart >= 1000) {
      this.lastWindowRate = (this.windowTakes * 1000) / (now - this.windowStart);
      this.windowStart = now;
      this.windowTakes = 0;
    }
    this.windowTakes++;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    while (this.waiters.length > 0 && this.tryTake()) this.waiters.shift()!();
    if (this.waiters.length === 0) return;
    const now = this.clock();
    const untilToken = Number.isFinite(this.current) ? ((1 - this.tokens) / this.current) * 1000 : 0;
    const delay = Math.max(this.pausedUntil - now, untilToken, 0);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, Math.max(1, Math.ceil(delay)));
  }

  /**
   * A 429: pause everyone for `retryAfterMs` and lower the rate. Answers to requests that were
   * already in flight when the rate was cut arrive together; only the first of them cuts again.
   */
  onRateLimited(retryAfterMs: number): void {
    const now = this.clock();
    this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    if (now - this.lastCut >= Math.max(1000, retryAfterMs)) {
      const base = Number.isFinite(this.current) ? this.current : Math.max(1, this.observedRate(now));
      this.current = Math.max(1, base * 0.7);
      this.lastCut = now;
      this.tokens = Math.min(this.tokens, this.capacity());
    }
    this.kick();
  }

  /** An answer that was not a 429: additive increase back towards the target. */
  onAnswered(): void {
    if (this.current >= this.target) return;
    const step = Number.isFinite(this.target) ? this.target / 100 : this.current / 100;
    this.current = Math.min(this.target, this.current + Math.max(step, 0.1));
  }

  private observedRate(now: number): number {
    const elapsed = now - this.windowStart;
    const recent = elapsed > 0 ? (this.windowTakes * 1000) / elapsed : 0;
    return Math.max(this.lastWindowRate, elapsed >= 100 ? recent : 0, 1);
  }

  private kick(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.waiters.length > 0) this.schedule();
  }

  /** Lets go of every waiter (the run is stopping); they will find the stop flag set. */
  release(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
