/**
 * The typed errors every layer throws. Only `src/cli/` maps them to exit codes: a UsageError is
 * exit 64 with its hint, an InputError exit 1 with its one line, anything else a bug (exit 70).
 */

/** Bad invocation: unknown flag, missing argument, missing key. Exit 64 with a one-line hint. */
export class UsageError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Bad input found while running (unreadable file, git revision missing): exit 1, one line, no
 * stack. Anything else thrown is a bug (exit 70).
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}
