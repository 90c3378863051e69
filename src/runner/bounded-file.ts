/**
 * Small files named on the command line (an API key, var values): read only when they are
 * regular files, and never past a size bound. `/dev/zero` would otherwise be read without end,
 * and a FIFO would wait for a writer for ever (hence O_NONBLOCK on open, which changes nothing
 * for a regular file).
 */
import { readBoundedFile } from "../project/confine.js";

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

/** The file's bytes as UTF-8; throws BoundedFileError. The reading is readBoundedFile's. */
export function readBoundedText(path: string, maxBytes: number): string {
  const read = readBoundedFile(path, maxBytes);
  if ("content" in read) return read.content.toString("utf8");
  switch (read.problem) {
    case "not-a-file":
      throw new BoundedFileError({ kind: "not-regular" });
    case "too-large":
      throw new BoundedFileError({ kind: "too-large", maxBytes });
    case "error":
      throw new BoundedFileError({ kind: "unreadable", code: read.code });
  }
}
