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
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error("no answer"), { code: `no answer in ${FLUSH_TIMEOUT_MS / 1000} s` })), FLUSH_TIMEOUT_MS);
    });
    try {
      const tracked = this.options.track && this.options.everyRequestTracked;
      this.resolutions = await Promise.race([resolveFromEvents(state, store, { now: this.options.clock(), graceMs: opts.graceMs, tracked }), timeout]);
    } catch (e) {
      this.options.warn(`the store could not be read (${describeError(e)}); unknown outcomes are left unresolved`);
    } finally {
      clearTimeout(timer);
    }
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
