/**
 * `--report FILE`: one JSON document, written as the run goes so that a million recipients do
 * not have to be held in memory: `{"recipients":[…],"summary":{…}}`. Written whole or not at all
 * (atomic-file.ts): a kill or a full disk mid-write leaves FILE as it was, and a FIFO or a device
 * is refused before anything is sent.
 */
import { InputError } from "../../errors.js";
import type { Form } from "../../compiler/plan.js";
import { AtomicFile, describeWriteError } from "../atomic-file.js";

export type RecipientStatus = "sent" | "failed" | "failed-earlier" | "unknown" | "resolved-sent" | "skipped" | "suppressed" | "interrupted" | "dry-run";

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
  /** For a possibly duplicated recipient of an earlier run, what webhook events resolved (only with a store). */
  duplicates?: "duplicated" | "not-duplicated" | "uncertain";
}

export class ReportWriter {
  private first = true;

  private constructor(private readonly file: AtomicFile, private readonly path: string) {}

  static async open(path: string): Promise<ReportWriter> {
    try {
      const file = AtomicFile.open(path, 0o644);
      file.stream.write('{"recipients":[');
      return new ReportWriter(file, path);
    } catch (e) {
      throw new InputError(`cannot write the report ${path}: ${describeWriteError(e)}`);
    }
  }

  add(recipient: RecipientReport): void {
    if (this.file.failed !== undefined) return;
    this.file.stream.write(`${this.first ? "\n" : ",\n"}${JSON.stringify(recipient)}`);
    this.first = false;
  }

  /**
   * Ends the document and puts it in place. Resolves with why the report could not be written,
   * or undefined: the sender still owes its summary when the disk is full, so this never throws.
   */
  async close(summary: unknown): Promise<string | undefined> {
    if (this.file.failed === undefined) this.file.stream.write(`\n],\n"summary":${JSON.stringify(summary)}}\n`);
    try {
      await this.file.commit();
      return undefined;
    } catch (e) {
      return `cannot write the report ${this.path}: ${describeWriteError(e)}`;
    }
  }
}
