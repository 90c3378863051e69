/** What a command needs from the process; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
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

export { InputError, UsageError } from "../errors.js";

/** A subcommand: parses its own args, writes its output, returns the exit code. */
export type CommandHandler = (args: string[], io: CliIo) => Promise<number>;
