/** What a command needs from the process; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const EXIT_OK = 0;
/** The command ran and found problems (invalid specs, failed sends). */
export const EXIT_PROBLEMS = 1;
/** diff --detailed-exitcode: success, and there are changes. */
export const EXIT_CHANGES = 2;
export const EXIT_USAGE = 64;
export const EXIT_INTERNAL = 70;

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

/** A subcommand: parses its own args, writes its output, returns the exit code. */
export type CommandHandler = (args: string[], io: CliIo) => Promise<number>;
