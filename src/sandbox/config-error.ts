import { readBoundedFile } from "../project/confine.js";

/** A sandbox option or input file that cannot be used (bad templates file, port in use, ...). */
export class SandboxConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxConfigError";
  }
}

/**
 * Reads a file the sandbox was pointed at; an unreadable one is the user's to fix, not a bug.
 * Only a regular file, and no more than `maxBytes` of it: a FIFO would hang the start, a huge
 * file (or /dev/zero) would be held in memory.
 */
export async function readInputFile(file: string, what: string, maxBytes: number): Promise<string> {
  const read = readBoundedFile(file, maxBytes);
  if ("content" in read) return read.content.toString("utf8");
  if (read.problem === "not-a-file") throw new SandboxConfigError(`${what} file ${file} is not a regular file`);
  if (read.problem === "too-large") throw new SandboxConfigError(`${what} file ${file} is larger than ${maxBytes} bytes`);
  throw new SandboxConfigError(`cannot read ${what} file ${file}: ${read.code}`);
}
