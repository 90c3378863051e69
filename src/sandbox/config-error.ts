import { open } from "node:fs/promises";

/** A sandbox option or input file that cannot be used (bad templates file, port in use, ...). */
export class SandboxConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxConfigError";
  }
}

/**
 * Reads a file the sandbox was pointed at; an unreadable one is the user's to fix, not a bug.
 * With `maxBytes`, no more than that is ever read: a huge file (or /dev/zero) is refused, not
 * held in memory.
 */
export async function readInputFile(file: string, what: string, maxBytes = Infinity): Promise<string> {
  let handle;
  try {
    handle = await open(file, "r");
    if (maxBytes === Infinity) return await handle.readFile("utf8");
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new SandboxConfigError(`${what} file ${file} is larger than ${maxBytes} bytes`);
    }
    return buffer.toString("utf8", 0, length);
  } catch (error) {
    if (error instanceof SandboxConfigError) throw error;
    throw new SandboxConfigError(`cannot read ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  } finally {
    await handle?.close();
  }
}
