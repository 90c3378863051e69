/**
 * What a send does for delivery tracking, in one place the send calls at a few points: the token
 * in each request, each attempt recorded in the store, and what earlier runs' unknowns resolved to.
 */
import type { Form, PlanItem } from "../../compiler/plan.js";
import { trackingToken } from "../../compiler/tracking-token.js";
import type { TrackingScope } from "../../compiler/tracking-token.js";
import type { Store } from "../../store/store.js";
import type { JournalState } from "../send/journal-replay.js";
import { describeError, FLUSH_TIMEOUT_MS, SendRecorder } from "./send-recorder.js";
import { resolveFromEvents } from "./resolve.js";
import type { KeyResolution } from "./resolve.js";
import { stampToken } from "./token-stamp.js";
import { journaledSuccess, recordedSuccesses } from "./journaled-sends.js";

export interface SendTrackingOptions {
  campaign: string;
  /** false: callbackData goes exactly as written (`track: false`). */
  track: boolean;
  /** Every request could carry the token (see SendOptions.everyRequestTracked). */
  everyRequestTracked: boolean;
  store: Store | undefined;
  clock: () => number;
  /** One line for a person (the store failed); never throws. */
  warn: (line: string) => void;
}

export class SendTracking {
  private scope: TrackingScope | undefined;
  private readonly recorder: SendRecorder | undefined;
  private resolutions = new Map<string, KeyResolution>();
  /** By journal key id: the journal's success has a send row in the store (see findUnrecorded). */
  private recorded: Uint8Array | undefined;
  private replayed: JournalState | undefined;

  constructor(private readonly options: SendTrackingOptions) {
    if (options.store) this.recorder = new SendRecorder(options.store, options.warn);
  }

  /** The run's tokens hash the campaign and the journal's first start: a resume gets the same ones. */
  startRun(startedAt: string): void {
    this.scope = { campaign: this.options.campaign, startedAt };
  }

  /**
   * Looks up what the store's events say about the journals' unknown and possibly duplicated
   * recipients. A store that cannot answer is one warning: the run goes on as if it had none.
   */
  async resolve(state: JournalState, opts: { graceMs: number }): Promise<void> {
    const store = this.options.store;
    if (!store || state.files.length === 0) return;
    try {
      const tracked = this.options.track && this.options.everyRequestTracked;
      this.resolutions = await withinTimeout(resolveFromEvents(state, store, { now: this.options.clock(), graceMs: opts.graceMs, tracked }));
    } catch (e) {
      this.options.warn(`the store could not be read (${describeError(e)}); unknown outcomes are left unresolved`);
    }
  }

  /**
   * Finds the journal's successes the store has no send row for (a kill dropped the recorder's
   * last batch, or the store failed mid-send), to be recorded as the run passes them. A store that
   * cannot answer is one warning.
   */
  async findUnrecorded(state: JournalState): Promise<void> {
    const store = this.options.store;
    if (!store || !this.recorder || state.files.length === 0) return;
    try {
      this.recorded = await withinTimeout(recordedSuccesses(state, store, this.options.campaign));
      this.replayed = state;
    } catch (e) {
      this.options.warn(`the store could not be read (${describeError(e)}); earlier sends it lacks are not recorded`);
    }
  }

  /** A recipient the journal has as sent: its success goes to the store when the store lacks it. */
  recordJournaled(item: PlanItem): void {
    const state = this.replayed;
    const id = state?.keyId(item.key) ?? -1;
    if (!state || !this.recorded || id < 0 || this.recorded[id] === 1) return;
    this.recorded[id] = 1;
    const success = journaledSuccess(state, item.key);
    if (success) this.recordAttempt(item, success.form, success.attempt, success.token, success.messageId);
  }

  resolution(key: string): KeyResolution | undefined {
    return this.resolutions.get(key);
  }

  /** The request body as sent, and the token it carries (null when it carries none). */
  requestBody(key: string, form: Form, attempt: number, body: { callbackData?: unknown }): { json: string; token: string | null } {
    if (!this.options.track || !this.scope) return { json: JSON.stringify(body), token: null };
    const token = trackingToken(this.scope, key, form, attempt);
    const { json, stamped } = stampToken(body, token);
    return { json, token: stamped ? token : null };
  }

  /** An attempt that may have been accepted: its message id, or null when its answer was lost. */
  recordAttempt(item: PlanItem, form: Form, attempt: number, token: string | null, messageId: string | null): void {
    this.recorder?.add({
      key: item.key,
      campaign: this.options.campaign,
      channel: form === "session" && item.sms ? "sms" : "whatsapp",
      form,
      attempt,
      messageId,
      token,
      at: new Date(this.options.clock()).toISOString(),
    });
  }

  /** Writes what is left; resolves with what the store missed (undefined without a store). */
  async finish(): Promise<{ location: string; missed: number } | undefined> {
    if (!this.recorder || !this.options.store) return undefined;
    await this.recorder.flush();
    return { location: this.options.store.location, missed: this.recorder.missed };
  }
}

/** The store's answer, or a rejection once it has not come in FLUSH_TIMEOUT_MS. */
async function withinTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("no answer"), { code: `no answer in ${FLUSH_TIMEOUT_MS / 1000} s` })), FLUSH_TIMEOUT_MS);
  });
  // A store that answers after the timeout must not fail the process with an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
