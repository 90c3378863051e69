/**
 * Every attempt a send makes, recorded in the store in batches (a transaction per batch, never
 * one per message) so that `msgc status` needs no journal. The store is a convenience beside the
 * journal, which stays the record: a store that fails is said once, the send goes on, and the
 * summary counts what the store missed.
 */
import { InputError, UsageError } from "../../errors.js";
import type { SendRecord, Store } from "../../store/store.js";

/** A batch goes once it is this large, or this long after its first record (the journal's lazy cadence). */
const BATCH_RECORDS = 512;
const BATCH_MS = 20;
/** Records waiting on a store that does not answer: past this, they are counted missed (memory stays bounded). */
const MAX_WAITING_RECORDS = 64 * BATCH_RECORDS;
/** How long the end of a send waits for a store that does not answer. */
export const FLUSH_TIMEOUT_MS = 30_000;

export class SendRecorder {
  private pending: SendRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: string | undefined;
  /** Records handed to batches not yet written. */
  private waiting = 0;
  /** Records the store did not take (its batch failed, or came after a failure). */
  missed = 0;

  constructor(
    private readonly store: Store,
    /** Called once, with one line, when the store first fails. */
    private readonly onFailure: (message: string) => void,
  ) {}

  /** Why the store stopped taking records, if it did. */
  get failed(): string | undefined {
    return this.failure;
  }

  add(record: SendRecord): void {
    if (this.failure !== undefined) {
      this.missed++;
      return;
    }
    if (this.waiting + this.pending.length >= MAX_WAITING_RECORDS) {
      this.fail(`the store has not answered for ${MAX_WAITING_RECORDS} sends`);
      this.missed++;
      return;
    }
    this.pending.push(record);
    if (this.pending.length >= BATCH_RECORDS) this.startBatch();
    else this.timer ??= setTimeout(() => this.startBatch(), BATCH_MS);
  }

  private startBatch(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.waiting += batch.length;
    // One transaction at a time, in order.
    this.writing = this.writing.then(() => this.write(batch)).finally(() => {
      this.waiting -= batch.length;
    });
  }

  private async write(batch: SendRecord[]): Promise<void> {
    // After a timed-out flush every batch then waiting has been counted already (here and below).
    if (this.failure !== undefined) {
      if (!this.abandoned) this.missed += batch.length;
      return;
    }
    try {
      await this.store.recordSends(batch);
    } catch (e) {
      // After a timed-out flush the summary has counted it already.
      if (!this.abandoned) this.missed += batch.length;
      this.fail(describeError(e));
    }
  }

  /** The end of the send stopped waiting: what was still waiting is counted missed. */
  private abandoned = false;

  private fail(why: string): void {
    if (this.failure !== undefined) return;
    this.failure = `the store could not record sends (${why}); the send goes on, the journal has them`;
    this.onFailure(this.failure);
  }

  /**
   * Resolves once everything added so far is written or counted missed, within `timeoutMs`: a
   * store that does not answer cannot hold the end of a send. Never rejects.
   */
  async flush(timeoutMs = FLUSH_TIMEOUT_MS): Promise<void> {
    this.startBatch();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const result = await Promise.race([this.writing.then(() => "written" as const), timedOut]);
    clearTimeout(timer);
    if (result === "timeout") {
      this.abandoned = true;
      this.missed += this.waiting;
      this.fail(`no answer in ${Math.round(timeoutMs / 1000)} s`);
    }
  }
}

/**
 * The store's own one-line account (it names the file, or the URL with its password masked), else
 * a driver's code (SQLITE_READONLY, 57P01…), never a driver's message: it may quote a URL whole.
 */
export function describeError(e: unknown): string {
  if (e instanceof InputError || e instanceof UsageError) return e.message;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[A-Za-z0-9_ ]{1,40}$/.test(code) ? code : "error";
}
