/**
 * Progress on stderr while a send runs: a bar redrawn in place on a terminal, or one plain line
 * every 5 seconds elsewhere (CI logs have no cursor).
 */
import { formatProgress } from "./format.js";
import type { ProgressSink, ProgressSnapshot } from "./index.js";

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Default: whether the stream is a terminal. */
  live?: boolean;
  /** Between plain lines, default 5000 ms. */
  intervalMs?: number;
}

export function createProgress(options: ProgressOptions): ProgressSink {
  const live = options.live ?? options.stream.isTTY === true;
  const interval = live ? 200 : (options.intervalMs ?? 5000);
  let timer: NodeJS.Timeout | undefined;
  let read: (() => ProgressSnapshot) | undefined;
  const draw = (final: boolean): void => {
    if (!read) return;
    const line = formatProgress(read(), { bar: live });
    if (live) {
      // A pseudo-terminal without a size reports 0 columns.
      const columns = options.stream.columns || 100;
      options.stream.write(`\r\x1b[K${line.slice(0, Math.max(20, columns - 1))}${final ? "\n" : ""}`);
    } else {
      options.stream.write(`${line}\n`);
    }
  };
  return {
    start(reader) {
      read = reader;
      timer = setInterval(() => draw(false), interval);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (live) draw(true);
      read = undefined;
    },
  };
}
