/**
 * `msgc status --report FILE`: one NDJSON line per recipient (NDJSON rather than CSV: a masked
 * key starts with "+", which a spreadsheet would take for a formula, and each line is a
 * self-describing object that streams). Written to a temporary file beside FILE and renamed over
 * it at the end, so a run killed half-way leaves FILE as it was, never half a report.
 */
import { constants as fsConstants, createWriteStream, mkdirSync, openSync } from "node:fs";
import type { WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { once } from "node:events";
import { basename, dirname, join } from "node:path";
import { InputError } from "../../errors.js";
import { maskNumbersIn } from "../../mask.js";
import type { RecipientRow } from "./model.js";

export class RecipientReportWriter {
  private failure: unknown;

  private constructor(private readonly stream: WriteStream, private readonly temporary: string, private readonly path: string, private readonly showNumbers: boolean) {
    stream.on("error", (e) => {
      this.failure ??= e;
    });
  }

  static async open(path: string, showNumbers: boolean): Promise<RecipientReportWriter> {
    const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      mkdirSync(dirname(path), { recursive: true });
      // O_EXCL: a link planted at the temporary name is not followed.
      const fd = openSync(temporary, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      return new RecipientReportWriter(createWriteStream(temporary, { fd }), temporary, path, showNumbers);
    } catch (e) {
      throw new InputError(`msgc status: cannot write the report ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }

  /** Resolves once the line is buffered below the stream's mark (memory stays flat). */
  async add(row: RecipientRow): Promise<void> {
    if (this.failure !== undefined) return;
    const line = `${JSON.stringify(this.showNumbers ? row : { ...row, key: maskNumbersIn(row.key) })}\n`;
    if (!this.stream.write(line)) await Promise.race([once(this.stream, "drain"), once(this.stream, "close")]);
  }

  private async close(): Promise<void> {
    if (this.stream.closed) return;
    const closed = once(this.stream, "close").catch(() => undefined);
    this.stream.end();
    await closed;
  }

  async finish(): Promise<void> {
    await this.close();
    if (this.failure === undefined) {
      try {
        await rename(this.temporary, this.path);
        return;
      } catch (e) {
        this.failure = e;
      }
    }
    await rm(this.temporary, { force: true });
    throw new InputError(`msgc status: cannot write the report ${this.path} (${(this.failure as NodeJS.ErrnoException).code ?? "error"})`);
  }

  async abandon(): Promise<void> {
    await this.close();
    await rm(this.temporary, { force: true });
  }
}
