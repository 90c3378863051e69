/**
 * The recipients a campaign pass has planned, for duplicate detection in a few bytes per number.
 * Its own module so that the plan workers can compute the same keys without loading the planner.
 */

/** 2^SHARD_BITS small tables: only one of them is ever held twice while it grows. */
const SHARD_BITS = 14;
const SHARDS = 1 << SHARD_BITS;
/** A 50-bit number in two halves of this many bits. */
const HALF_BITS = 25;
const HALF = 2 ** HALF_BITS;
const HALF_MASK = HALF - 1;
/** 10^15 (a 15-digit number) is below 2^50. */
const KEY_LIMIT = HALF * HALF;
/** The row field of an entry: 28 bits; this value says the row is not kept (2^28 - 1 or later). */
const ROW_BITS = 28;
const ROW_NOT_KEPT = 2 ** ROW_BITS - 1;
/** The key's bits in an entry's second word, below its row. */
const SECOND_KEY_BITS = 32 - ROW_BITS;
const SECOND_KEY_MASK = (1 << SECOND_KEY_BITS) - 1;
/** The bits of `high` that are stored (the rest pick the table); the first word has room for 7. */
const REST_MASK = (1 << (HALF_BITS - SHARD_BITS)) - 1;
const FIRST_REST_BITS = 32 - HALF_BITS;
const FIRST_REST_MASK = (1 << FIRST_REST_BITS) - 1;
/**
 * A table grows by a quarter when it is this full: its load stays between 0.68 and 0.85 (about
 * 0.76 on average, 10.5 bytes per number), and a probe for a new number reads a few cache lines.
 */
const MAX_LOAD = 0.85;
const GROWTH = 1.25;
/** Off the JS heap from the start (V8 keeps typed arrays of up to 64 bytes on it): one kind of table. */
const FIRST_CAPACITY = 16;
const EMPTY = new Int32Array(0);

/**
 * The numbers already planned, with the row each was first seen at, in 8 bytes per slot.
 *
 * An E.164 number has at most 15 digits, so it is an integer below 2^50. It is scrambled by a
 * bijection on 50 bits (a Feistel network); the first 14 bits of the result pick one of 16,384
 * small open-addressing tables, so they need not be stored, and the other 36 bits are stored
 * beside a 28-bit row: 64 bits per entry. A scrambled value and its table give back exactly one
 * number, so there are no false duplicates. Tables are at most 85% full and grow by a quarter,
 * one at a time: about 10.5 bytes per number, 12 at most (10,000,000 numbers in 97 MB), never a
 * second copy of the whole set. A row from 2^28 - 1 (268 million) on is not kept: a repeat of its number is
 * then "in an earlier row", and nothing grows beside the tables.
 */
export class RecipientSet {
  /**
   * Shard s: `counts[s]` entries in `tables[s]`, two 32-bit words each (an entry's words side by
   * side, so that a probe reads one cache line); empty until it gets its first number.
   */
  private readonly tables: Int32Array[] = Array.from({ length: SHARDS }, () => EMPTY);
  private readonly counts = new Int32Array(SHARDS);
  private count = 0;
  /** Anything that is not `+` and 1..15 digits (never expected from the compiler). */
  private readonly others = new Map<string, number>();

  get size(): number {
    return this.count + this.others.size;
  }

  /** The bytes its tables hold (what grows with the audience). */
  get tableBytes(): number {
    let bytes = 0;
    for (const table of this.tables) bytes += table.byteLength;
    return bytes;
  }

  /** Makes room for `n` numbers in all at once (at most 2^24 are reserved; a hint, not a limit). */
  reserve(n: number): void {
    const perShard = Math.ceil(Math.min(Math.max(n, 0), 1 << 24) / SHARDS / MAX_LOAD) + 1;
    // Tables start at FIRST_CAPACITY when they get their first number anyway.
    if (perShard <= FIRST_CAPACITY) return;
    for (let s = 0; s < SHARDS; s++) if (this.tables[s]!.length < perShard * 2) this.tables[s] = rehash(this.tables[s]!, perShard);
  }

  /**
   * The row where `number` was first added, or undefined after adding it at `row`. 0 means it
   * was added at row 0 or from row 2^28 - 1 on, which is not kept.
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
    return this.probe(key, row);
  }

  /** The row `number` was added at (0: not kept), or undefined when it was never added. */
  rowOf(number: string): number | undefined {
    const key = e164Value(number);
    return key === undefined ? this.others.get(number) : this.probe(key, undefined);
  }

  /** Finds `key`; adds it at `row` when it is not there and a row is given. */
  private probe(key: number, row: number | undefined): number | undefined {
    // Only what `e164Value` gives fits an entry; anything else is kept exactly all the same.
    if (!(key >= 0 && key < KEY_LIMIT && Number.isInteger(key))) {
      return row === undefined ? this.others.get(`+${key}`) : this.firstRowOf(`+${key}`, row);
    }
    // The Feistel rounds: each half is changed by a hash of the other, which any round undoes.
    let high = Math.floor(key / HALF);
    let low = key - high * HALF;
    low = (low ^ mix32(high ^ 0x5bd1e995)) & HALF_MASK;
    high = (high ^ mix32(low ^ 0x27d4eb2f)) & HALF_MASK;
    low = (low ^ mix32(high ^ 0x165667b1)) & HALF_MASK;
    const s = high >>> (HALF_BITS - SHARD_BITS);
    // The 36 bits left: `low` and 11 bits of `high`, 7 of them in the first word.
    const rest = high & REST_MASK;
    const first = low | ((rest & FIRST_REST_MASK) << HALF_BITS);
    const second = rest >>> FIRST_REST_BITS;
    let slots = this.tables[s]!;
    if (slots === EMPTY) {
      if (row === undefined) return undefined;
      slots = this.tables[s] = new Int32Array(FIRST_CAPACITY * 2);
    }
    const capacity = slots.length >>> 1;
    let slot = homeOf(low, capacity);
    for (;;) {
      const word = slots[2 * slot + 1]!;
      // An entry's second word is never 0: its row field is at least 1.
      if (word === 0) break;
      if (slots[2 * slot] === first && (word & SECOND_KEY_MASK) === second) {
        const stored = word >>> SECOND_KEY_BITS;
        return stored === ROW_NOT_KEPT ? 0 : stored;
      }
      if (++slot === capacity) slot = 0;
    }
    if (row === undefined) return undefined;
    slots[2 * slot] = first;
    slots[2 * slot + 1] = second | ((row >= 1 && row < ROW_NOT_KEPT ? row : ROW_NOT_KEPT) << SECOND_KEY_BITS);
    this.count++;
    if (++this.counts[s]! > capacity * MAX_LOAD) this.tables[s] = rehash(slots, Math.ceil(capacity * GROWTH));
    return undefined;
  }
}

/** Where the entry with this `low` half starts its probe (`low` is uniform over 25 bits). */
function homeOf(low: number, capacity: number): number {
  return Math.floor((low * capacity) / HALF);
}

/** `old`'s entries in a new table of `capacity` slots. */
function rehash(old: Int32Array, capacity: number): Int32Array {
  const slots = new Int32Array(capacity * 2);
  for (let i = 1; i < old.length; i += 2) {
    const word = old[i]!;
    if (word === 0) continue;
    const first = old[i - 1]!;
    let slot = homeOf(first & HALF_MASK, capacity);
    while (slots[2 * slot + 1] !== 0) if (++slot === capacity) slot = 0;
    slots[2 * slot] = first;
    slots[2 * slot + 1] = word;
  }
  return slots;
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

/** MurmurHash3's finalizer. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
