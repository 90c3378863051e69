import { readFile } from "node:fs/promises";

/** A sandbox option or input file that cannot be used (bad templates file, port in use, ...). */
export class SandboxConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxConfigError";
  }
}

/** Reads a file the sandbox was pointed at; an unreadable one is the user's to fix, not a bug. */
export async function readInputFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new SandboxConfigError(`cannot read ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
}
