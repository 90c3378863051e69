/**
 * The recipients a campaign pass has planned, for duplicate detection in constant memory per
 * number. Its own module so that the plan workers can compute the same keys without loading
 * the planner.
 */
/**
 * The numbers already planned, with the row each was first seen at. E.164 numbers have at most
 * 15 digits, so each is stored exactly as a double, with its row beside it in a second array, in
 * one open-addressing table kept at most half full: 24 to 48 bytes per number (a Map costs several
 * times that in memory and time; a million rows must stay well under the 200 MB budget). With
 * `reserve`, the table is made its final size at once, so that it is never held twice while it
 * grows.
 */
export class RecipientSet {
  /** The numbers; 0 marks a free slot (no E.164 number is 0). */
  private keys = new Float64Array(1024);
  /** The first row of each number; 0 for a row past 2^32 - 1 (not kept). */
  private rows = new Uint32Array(1024);
  private count = 0;
  /** Anything that is not `+` and 1..15 digits (never expected from the compiler). */
  private readonly others = new Map<string, number>();

  get size(): number {
    return this.count + this.others.size;
  }

  /** Makes room for `n` numbers in all (at most 2^24 are reserved at once). */
  reserve(n: number): void {
    const wanted = Math.min(Math.max(n, 0), 1 << 24) * 2;
    let capacity = this.keys.length;
    while (capacity < wanted) capacity *= 2;
    if (capacity > this.keys.length) this.rehash(capacity);
  }

  /**
   * The row where `number` was first added, or undefined after adding it at `row`. 0 means it
   * was added at a row past 2^32 - 1, which is not kept.
   */
  firstRowOf(number: string, row: number): number | undefined {
    const key = e164Value(number);
    if (key === undefined) {
      const first = this.others.get(number);
      if (first === undefined) this.others.set(number, row);
      return first;
    }
    return this.firstRowOfValue(key, row);
  }

  /** `firstRowOf` for a number given as its `e164Value` (what the plan workers send back). */
  firstRowOfValue(key: number, row: number): number | undefined {
    const keys = this.keys;
    const mask = keys.length - 1;
    let slot = hashNumber(key) & mask;
    for (;;) {
      const existing = keys[slot]!;
      if (existing === 0) break;
      if (existing === key) return this.rows[slot];
      slot = (slot + 1) & mask;
    }
    keys[slot] = key;
    this.rows[slot] = row <= 0xffffffff ? row : 0;
    // Grow at half full: probe sequences stay short.
    if (++this.count * 2 > keys.length) this.rehash(keys.length * 2);
    return undefined;
  }

  private rehash(capacity: number): void {
    const oldKeys = this.keys;
    const oldRows = this.rows;
    const keys = new Float64Array(capacity);
    const rows = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i]!;
      if (key === 0) continue;
      let slot = hashNumber(key) & mask;
      while (keys[slot] !== 0) slot = (slot + 1) & mask;
      keys[slot] = key;
      rows[slot] = oldRows[i]!;
    }
    this.keys = keys;
    this.rows = rows;
  }
}

/** The digits of `+` and 1..15 digits (no leading 0) as a number, exact below 2^53; else undefined. */
export function e164Value(number: string): number | undefined {
  const length = number.length;
  if (length < 2 || length > 16 || number.charCodeAt(0) !== 0x2b || number.charCodeAt(1) === 0x30) return undefined;
  let value = 0;
  for (let i = 1; i < length; i++) {
    const digit = number.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

/** MurmurHash3's finalizer, applied to both 32-bit halves of an integer below 2^53. */
export function hashNumber(key: number): number {
  const high = Math.floor(key / 4294967296);
  const low = (key - high * 4294967296) >>> 0;
  return mix32(mix32(low) ^ Math.imul(high, 0x9e3779b1));
}

function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
