/**
 * A file written whole or not at all: into a temporary file beside its target (`.NAME.<pid>.tmp`,
 * the same folder so that the rename cannot cross file systems), synced and renamed over the
 * target once complete. A kill or a full disk mid-write leaves the target as it was; a failure
 * removes the temporary (a kill can leave it behind).
 *
 * The target must be a regular file or not exist yet. A FIFO or a device is refused, not written:
 * renaming over one would replace it, and writing into it would hang (a FIFO nobody reads) or
 * mean something else (/dev/full). A symlink to a file is written where it points, as an
 * in-place write would (callers confine the path first, links followed); one to nothing is refused.
 */
import { closeSync, constants as fsConstants, createWriteStream, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, realpathSync, rmSync, statSync } from "node:fs";
import type { Stats, WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The target exists and is not a regular file. */
export class NotRegularFileError extends Error {
  constructor(readonly path: string) {
    super(`${path} is not a regular file`);
  }
}

/** Why a write failed, in a few words: "not a regular file", else the errno code (ENOSPC…). */
export function describeWriteError(e: unknown): string {
  if (e instanceof NotRegularFileError) return "not a regular file";
  return (e as NodeJS.ErrnoException | null)?.code ?? "error";
}

export class AtomicFile {
  private failure: unknown;
  private done = false;

  private constructor(
    private readonly fd: number,
    readonly stream: WriteStream,
    private readonly temporary: string,
    /** Where the temporary is renamed to (the target, its links followed). */
    private readonly target: string,
  ) {
    stream.on("error", (e) => {
      this.failure ??= e;
    });
  }

  /**
   * Creates the temporary, with the target's mode when the target exists (a report made private
   * stays private), else `mode` (less the umask). Throws NotRegularFileError or the errno error.
   */
  static open(path: string, mode: number): AtomicFile {
    const { target, stats } = resolveTarget(path);
    if (stats !== undefined && !stats.isFile()) throw new NotRegularFileError(path);
    mkdirSync(dirname(target), { recursive: true });
    const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    if (TEMPORARIES_IN_USE.has(temporary)) throw Object.assign(new Error(`${temporary} is in use`), { code: "EBUSY" });
    const fd = createTemporary(temporary, mode);
    try {
      if (stats !== undefined) fchmodSync(fd, stats.mode & 0o7777);
    } catch (e) {
      closeSync(fd);
      rmSync(temporary, { force: true });
      throw e;
    }
    TEMPORARIES_IN_USE.add(temporary);
    return new AtomicFile(fd, createWriteStream(temporary, { fd, autoClose: false }), temporary, target);
  }

  /** Writes `text` whole to `path` (see open). Throws as open does, or with the write's error. */
  static async write(path: string, text: string, mode: number): Promise<void> {
    const file = AtomicFile.open(path, mode);
    file.stream.write(text);
    await file.commit();
  }

  /** Why a write failed so far, if one did. */
  get failed(): unknown {
    return this.failure;
  }

  /** Ends the stream and closes the descriptor, synced first when `sync`; never throws. */
  private async end(sync: boolean): Promise<void> {
    if (this.done) return;
    this.done = true;
    const stream = this.stream;
    if (!stream.destroyed && this.failure === undefined) {
      // Whichever comes: a write that fails now says "error" and "close", never "finish" (and a
      // promise nothing settles would let the process exit mid-await).
      const settled = new Promise<void>((resolve) => {
        stream.once("finish", resolve);
        stream.once("close", resolve);
        stream.once("error", () => resolve());
      });
      stream.end();
      await settled;
    }
    try {
      if (sync && this.failure === undefined) fsyncSync(this.fd);
    } catch (e) {
      this.failure ??= e;
    }
    try {
      closeSync(this.fd);
    } catch (e) {
      this.failure ??= e;
    }
  }

  /** Renames the complete file over the target; on any failure removes the temporary and throws. */
  async commit(): Promise<void> {
    await this.end(true);
    if (this.failure === undefined) {
      try {
        await rename(this.temporary, this.target);
        TEMPORARIES_IN_USE.delete(this.temporary);
        return;
      } catch (e) {
        this.failure = e;
      }
    }
    await this.removeTemporary();
    throw this.failure;
  }

  /** Leaves the target as it was and removes the temporary. */
  async abandon(): Promise<void> {
    await this.end(false);
    await this.removeTemporary();
  }

  private async removeTemporary(): Promise<void> {
    await rm(this.temporary, { force: true });
    TEMPORARIES_IN_USE.delete(this.temporary);
  }
}

/** The temporaries this process is writing: any other file under one of its names is a dead run's. */
const TEMPORARIES_IN_USE = new Set<string>();

/**
 * Creates the temporary exclusively (O_EXCL: a link planted at its name is not followed). A file
 * already there carries this process's pid but is none of its own writes: a run killed before, whose
 * pid this one reuses (in a container every run can get the same one). It is removed, not a reason
 * to refuse every later write to the target.
 */
function createTemporary(temporary: string, mode: number): number {
  const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;
  try {
    return openSync(temporary, flags, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    rmSync(temporary);
    return openSync(temporary, flags, mode);
  }
}

/** Throws NotRegularFileError (or the errno error) when `path` could not be written by AtomicFile, before any work. */
export function checkWritableTarget(path: string): void {
  const { stats } = resolveTarget(path);
  if (stats !== undefined && !stats.isFile()) throw new NotRegularFileError(path);
}

/** The path, or where its symlinks lead when it is one, and what is there (undefined: nothing yet). */
function resolveTarget(path: string): { target: string; stats: Stats | undefined } {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { target: path, stats: undefined };
    throw e;
  }
  if (!stats.isSymbolicLink()) return { target: path, stats };
  try {
    const target = realpathSync(path);
    return { target, stats: statSync(target) };
  } catch (e) {
    // A link to nothing: where it would lead was never checked, so nothing is made there.
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    throw new NotRegularFileError(path);
  }
}

