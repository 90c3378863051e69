/**
 * Delivered and read over time, counted into buckets while the sends stream past. The span is
 * only known at the end, so counts are kept per minute and merged into coarser buckets whenever
 * there would be too many to keep (a campaign's stragglers can read it weeks later): memory stays
 * bounded whatever the span, and the bucket shown is chosen from the span at the end.
 */

const MINUTE = 60_000;
/** Bucket widths, finest first. */
export const BUCKET_WIDTHS: readonly { ms: number; label: string }[] = [
  { ms: MINUTE, label: "1 minute" },
  { ms: 5 * MINUTE, label: "5 minutes" },
  { ms: 15 * MINUTE, label: "15 minutes" },
  { ms: 60 * MINUTE, label: "1 hour" },
  { ms: 6 * 60 * MINUTE, label: "6 hours" },
  { ms: 24 * 60 * MINUTE, label: "1 day" },
  { ms: 7 * 24 * 60 * MINUTE, label: "7 days" },
];
/** Buckets kept while counting before merging into the next width. */
const MAX_KEPT = 4096;
/** The most buckets a chart shows: the finest width that fits is chosen. */
export const MAX_SHOWN = 60;

export interface TimelinePoint {
  /** The bucket's start, ISO 8601 UTC. */
  at: string;
  delivered: number;
  read: number;
}

export interface Timeline {
  /** The width of a bucket, for people ("15 minutes"), and in milliseconds. */
  bucket: string;
  bucketMs: number;
  /** Every bucket from the first event's to the last's, empty ones included. */
  points: TimelinePoint[];
}

export class TimelineCounter {
  private width = 0;
  private buckets = new Map<number, [number, number]>();

  add(kind: "delivered" | "read", at: string | undefined): void {
    if (at === undefined) return;
    const time = Date.parse(at);
    if (!Number.isFinite(time)) return;
    const start = Math.floor(time / BUCKET_WIDTHS[this.width]!.ms);
    let counts = this.buckets.get(start);
    if (counts === undefined) {
      counts = [0, 0];
      this.buckets.set(start, counts);
    }
    counts[kind === "delivered" ? 0 : 1]++;
    if (this.buckets.size > MAX_KEPT && this.width < BUCKET_WIDTHS.length - 1) this.coarsen(this.width + 1);
  }

  private coarsen(width: number): void {
    const ratio = BUCKET_WIDTHS[width]!.ms / BUCKET_WIDTHS[this.width]!.ms;
    const merged = new Map<number, [number, number]>();
    for (const [start, [delivered, read]] of this.buckets) {
      const to = Math.floor(start / ratio);
      const counts = merged.get(to);
      if (counts) {
        counts[0] += delivered;
        counts[1] += read;
      } else merged.set(to, [delivered, read]);
    }
    this.buckets = merged;
    this.width = width;
  }

  /** The counts in the finest bucket that shows the whole span in at most MAX_SHOWN buckets. */
  finish(): Timeline | null {
    if (this.buckets.size === 0) return null;
    const starts = [...this.buckets.keys()];
    const span = (Math.max(...starts) - Math.min(...starts) + 1) * BUCKET_WIDTHS[this.width]!.ms;
    let width = this.width;
    while (width < BUCKET_WIDTHS.length - 1 && span / BUCKET_WIDTHS[width]!.ms > MAX_SHOWN) width++;
    if (width !== this.width) this.coarsen(width);
    const { ms, label } = BUCKET_WIDTHS[this.width]!;
    const keys = [...this.buckets.keys()];
    const first = Math.min(...keys);
    const last = Math.max(...keys);
    const points: TimelinePoint[] = [];
    for (let start = first; start <= last; start++) {
      const [delivered, read] = this.buckets.get(start) ?? [0, 0];
      points.push({ at: new Date(start * ms).toISOString(), delivered, read });
    }
    return { bucket: label, bucketMs: ms, points };
  }
}
