/**
 * A yes/no question on the terminal before something that cannot be taken back (`send`,
 * `templates apply`). On a terminal readline reads Ctrl-C as a key (raw mode), not as a signal:
 * it is caught here, and so is a real signal (`signal`), else the question would wait for ever.
 * The end of input (Ctrl-D) is a no.
 */
import { createInterface } from "node:readline";
import type { CliIo } from "./io.js";

/** Ctrl-C (or SIGINT, SIGTERM) at the question: nothing was done. */
export class PromptCancelled extends Error {}

/** Exit code of a run cancelled at the question. */
export const EXIT_INTERRUPTED = 130;

/** Whether there is a person to ask: stdin and stderr are a terminal. */
export function canAsk(io: CliIo): boolean {
  return io.stdin?.isTTY === true && io.stderr.isTTY === true;
}

/** Asks `question` (ending in "[y/N] ") on stderr; true for y or yes. */
export async function askYesNo(io: CliIo, question: string, signal?: AbortSignal): Promise<boolean> {
  const rl = createInterface({ input: io.stdin!, output: io.stderr });
  let onAbort = (): void => undefined;
  try {
    const answer = await new Promise<string>((resolveAnswer, reject) => {
      const cancel = (): void => reject(new PromptCancelled());
      onAbort = cancel;
      if (signal?.aborted) return cancel();
      signal?.addEventListener("abort", cancel, { once: true });
      rl.once("SIGINT", cancel);
      rl.once("close", () => resolveAnswer(""));
      rl.question(question, resolveAnswer);
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    signal?.removeEventListener("abort", onAbort);
    rl.close();
  }
}
