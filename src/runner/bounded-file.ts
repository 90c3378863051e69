/**
 * Small files named on the command line (an API key, var values): read only when they are
 * regular files, and never past a size bound. `/dev/zero` would otherwise be read without end,
 * and a FIFO would wait for a writer for ever (hence O_NONBLOCK on open, which changes nothing
 * for a regular file).
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from "node:fs";

export type BoundedFileProblem = { kind: "not-regular" } | { kind: "too-large"; maxBytes: number } | { kind: "unreadable"; code: string };

export class BoundedFileError extends Error {
  constructor(readonly problem: BoundedFileProblem) {
    super(describeBoundedFileProblem(problem));
  }
}

/** "is not a regular file", "is larger than N bytes", "cannot be read (ENOENT)". */
export function describeBoundedFileProblem(problem: BoundedFileProblem): string {
  switch (problem.kind) {
    case "not-regular":
      return "is not a regular file";
    case "too-large":
      return `is larger than ${problem.maxBytes} bytes`;
    case "unreadable":
      return `cannot be read (${problem.code})`;
  }
}

/** The file's bytes as UTF-8; throws BoundedFileError. */
export function readBoundedFile(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw new BoundedFileError({ kind: "unreadable", code: (e as NodeJS.ErrnoException).code ?? "error" });
  }
  try {
    if (!fstatSync(fd).isFile()) throw new BoundedFileError({ kind: "not-regular" });
    // One byte more than allowed tells a file at the bound from a larger one (or one growing).
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > maxBytes) throw new BoundedFileError({ kind: "too-large", maxBytes });
    return buffer.subarray(0, length).toString("utf8");
  } catch (e) {
    if (e instanceof BoundedFileError) throw e;
    throw new BoundedFileError({ kind: "unreadable", code: (e as NodeJS.ErrnoException).code ?? "error" });
  } finally {
    closeSync(fd);
  }
}
