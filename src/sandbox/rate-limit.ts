import { performance } from "node:perf_hooks";

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * One token bucket per business: `rate` tokens a second, holding one second's worth (at least
 * one token), so a client pacing itself at `rate` never sees a 429 while a burst above it does.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;

  constructor(
    private readonly rate: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.capacity = Math.max(1, rate);
  }

  get unlimited(): boolean {
    return !(this.rate > 0 && Number.isFinite(this.rate));
  }

  /** Takes a token; when none is left, returns the whole seconds to wait before the next one. */
  take(businessId: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (this.unlimited) return { ok: true };
    const now = this.clock();
    let bucket = this.buckets.get(businessId);
    if (!bucket) {
      bucket = { tokens: this.capacity, updatedAt: now };
      this.buckets.set(businessId, bucket);
    } else {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.rate);
      bucket.updatedAt = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    const waitMs = ((1 - bucket.tokens) / this.rate) * 1000;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}
