/**
 * `--report FILE`: one JSON document, written as the run goes so that a million recipients do
 * not have to be held in memory: `{"recipients":[…],"summary":{…}}`.
 */
import { constants as fsConstants, createWriteStream, mkdirSync, openSync } from "node:fs";
import type { WriteStream } from "node:fs";
import { once } from "node:events";
import { dirname } from "node:path";
import { InputError } from "../../errors.js";
import type { Form } from "../../compiler/plan.js";

export type RecipientStatus = "sent" | "failed" | "failed-earlier" | "unknown" | "skipped" | "suppressed" | "interrupted" | "dry-run";

export interface RecipientReport {
  /** Masked unless numbers are shown. */
  key: string;
  form: Form | null;
  status: RecipientStatus;
  /** The template form went out after the session form was refused for the 24-hour window. */
  fallback: boolean;
  messageId: string | null;
  errorCode: string | null;
  /** The API's human-readable `message` with that code (scrubbed of the key, bounded), or null. */
  errorMessage: string | null;
  /** HTTP status of the last answer, or null. */
  httpStatus: number | null;
  /** Requests made for this recipient, over every run of the journal. */
  attempts: number;
  /** Attempts that may have been accepted although no success came back (5xx, timeout, unknown). */
  ambiguousAttempts: number;
  /** More than one attempt may have been accepted (see docs/sending.md). */
  possiblyDuplicated: boolean;
  /** Only on `suppressed` recipients: why the number is on the list (keyword, error, manual, import), or `journal` when an earlier run found it so. */
  suppression?: string;
}

export class ReportWriter {
  private first = true;
  private failure: unknown;

  private constructor(private readonly stream: WriteStream, private readonly path: string) {
    stream.on("error", (e) => {
      this.failure ??= e;
    });
  }

  static async open(path: string): Promise<ReportWriter> {
    try {
      mkdirSync(dirname(path), { recursive: true });
      // O_NONBLOCK: a FIFO nobody reads would block the open for ever (ENXIO instead); it
      // changes nothing for a regular file or a device such as /dev/full.
      const fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_NONBLOCK, 0o644);
      const stream = createWriteStream(path, { fd });
      stream.write('{"recipients":[');
      return new ReportWriter(stream, path);
    } catch (e) {
      throw new InputError(`cannot write the report ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }

  add(recipient: RecipientReport): void {
    if (this.failure !== undefined) return;
    this.stream.write(`${this.first ? "\n" : ",\n"}${JSON.stringify(recipient)}`);
    this.first = false;
  }

  /**
   * Ends the document. Resolves with why the report could not be written, or undefined: the
   * sender still owes its summary when the disk is full, so this never throws.
   */
  async close(summary: unknown): Promise<string | undefined> {
    // A stream that failed is destroyed, and may have said "close" already.
    if (!this.stream.closed) {
      const closed = once(this.stream, "close").catch(() => undefined);
      this.stream.end(`\n],\n"summary":${JSON.stringify(summary)}}\n`);
      await closed;
    }
    if (this.failure === undefined) return undefined;
    return `cannot write the report ${this.path}: ${(this.failure as NodeJS.ErrnoException).code ?? "error"}`;
  }
}
