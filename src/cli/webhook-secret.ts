/**
 * The webhook secret, for the receiver that checks signatures and the sandbox that makes them:
 * from a file or $CONNECTLY_WEBHOOK_SECRET, never a flag value (which every user of the machine
 * can read in `ps`), never printed.
 */
import { resolve } from "node:path";
import { UsageError } from "./io.js";
import { BoundedFileError, readBoundedText } from "../runner/bounded-file.js";

const MAX_SECRET_FILE_BYTES = 4096;

/** The secret from `file` (relative to the working folder) or the environment; undefined when neither gives one. */
export function readWebhookSecret(io: { cwd: string; env: NodeJS.ProcessEnv }, file: string | undefined, command: string): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readBoundedText(resolve(io.cwd, file), MAX_SECRET_FILE_BYTES);
    } catch (e) {
      if (!(e instanceof BoundedFileError)) throw e;
      const why = e.problem.kind === "too-large" ? ": not a webhook secret" : "";
      throw new UsageError(`msgc ${command}: the secret file ${file} ${e.message}${why}`);
    }
    // Bytes that are not UTF-8 (a UTF-16 file, Latin-1) decode to U+FFFD: a key that could never
    // match, so every delivery would be a silent 401.
    if (text.includes("\uFFFD")) throw new UsageError(`msgc ${command}: the secret file ${file} is not UTF-8 text`);
    // Editors end a file with a newline, and some begin it with a byte order mark; anything else
    // in the file is part of the secret.
    const secret = text.replace(/^\uFEFF/, "").replace(/\r?\n$/, "");
    if (secret === "") throw new UsageError(`msgc ${command}: the secret file ${file} is empty`);
    return secret;
  }
  const secret = io.env["CONNECTLY_WEBHOOK_SECRET"];
  return secret === undefined || secret === "" ? undefined : secret;
}
