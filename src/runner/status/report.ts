/**
 * `msgc status --report FILE`: one NDJSON line per recipient (NDJSON rather than CSV: a masked
 * key starts with "+", which a spreadsheet would take for a formula, and each line is a
 * self-describing object that streams). Written whole or not at all (atomic-file.ts): a run
 * killed half-way, or a full disk, leaves FILE as it was, never half a report.
 */
import { once } from "node:events";
import { InputError } from "../../errors.js";
import { maskNumbersIn } from "../../mask.js";
import { AtomicFile, describeWriteError } from "../atomic-file.js";
import type { RecipientRow } from "./model.js";

export class RecipientReportWriter {
  private constructor(private readonly file: AtomicFile, private readonly path: string, private readonly showNumbers: boolean) {}

  static async open(path: string, showNumbers: boolean): Promise<RecipientReportWriter> {
    try {
      return new RecipientReportWriter(AtomicFile.open(path, 0o644), path, showNumbers);
    } catch (e) {
      throw new InputError(`msgc status: cannot write the report ${path} (${describeWriteError(e)})`);
    }
  }

  /** Resolves once the line is buffered below the stream's mark (memory stays flat). */
  async add(row: RecipientRow): Promise<void> {
    if (this.file.failed !== undefined) return;
    const stream = this.file.stream;
    const line = `${JSON.stringify(this.showNumbers ? row : { ...row, key: maskNumbersIn(row.key) })}\n`;
    // A failed write says "error" (and "close") instead of "drain": finish() reports it.
    if (!stream.write(line)) await Promise.race([once(stream, "drain"), once(stream, "close")]).catch(() => undefined);
  }

  async finish(): Promise<void> {
    try {
      await this.file.commit();
    } catch (e) {
      throw new InputError(`msgc status: cannot write the report ${this.path} (${describeWriteError(e)})`);
    }
  }

  async abandon(): Promise<void> {
    await this.file.abandon();
  }
}
