import type { CliIo, CommandHandler } from "../io.js";
import { EXIT_OK, EXIT_PROBLEMS, InputError, UsageError } from "../io.js";
import { helpRequested, parseCommand, untilTerminated, writeReport } from "../common.js";
import { readWebhookSecret } from "../webhook-secret.js";
import { loadConfig } from "../../project/config.js";
import { hasErrors, isError } from "../../diagnostics.js";
import { openStore, storeSecrets, storeTarget } from "../../store/open.js";
import { scrubOutput } from "../../runner/send/scrub.js";
import { optOutKeywords } from "../../webhooks/parse-event.js";
import { describeCounts, startWebhookReceiver } from "../../webhooks/receiver.js";

const HELP = `Usage: msgc webhooks serve [options]

Receives Connectly's webhooks (delivery_status and messages) and commits each one to the store
before answering 200: delivery statuses for msgc status and --resume, inbound messages for the
24-hour window, opt-out keywords (STOP...) and opted-out errors for the suppression list.
Register its public https address (behind a TLS proxy) for both topics. Runs until Ctrl-C.

The webhook secret comes from $CONNECTLY_WEBHOOK_SECRET or --secret-file, never a flag value.
The store is MSGC_STORE, else the config's store:, else <out>/msgc.db (created).

Options:
  --port N             port to listen on (default 8080; 0: a free port)
  --host H             address to bind (default 127.0.0.1, loopback only)
  --secret-file PATH   read the webhook secret from a file
  --verbose            one line per request (numbers masked)
  --config PATH        msgc.config.yaml to use (default: found by walking up from here)
  --help, -h           show this help

Answers: 200 committed (or already stored), 401 missing or wrong signature (stored nowhere),
413 body over 1 MiB, 503 the store could not commit (Connectly retries). GET /healthz is 200.
`;

const OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  "secret-file": { type: "string" },
  verbose: { type: "boolean" },
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const USAGE_HINT = `Run "msgc webhooks serve --help" for its options.`;
export const DEFAULT_WEBHOOKS_PORT = 8080;

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_WEBHOOKS_PORT;
  if (!/^\d{1,5}$/.test(raw.trim()) || Number(raw) > 65535) throw new UsageError(`msgc webhooks serve: --port must be a whole number from 0 to 65535, got "${raw}"`, USAGE_HINT);
  return Number(raw);
}

function readSecret(io: CliIo, file: string | undefined): string {
  const secret = readWebhookSecret(io, file, "webhooks serve");
  if (secret === undefined) {
    throw new UsageError(
      "msgc webhooks serve: no webhook secret: set CONNECTLY_WEBHOOK_SECRET or pass --secret-file PATH",
      "Without it no signature can be checked. The secret is never taken from a flag value or the config file.",
    );
  }
  return secret;
}

/** `msgc webhooks serve` with an explicit stop: the binary stops on SIGINT/SIGTERM, tests when they choose. */
export async function runWebhooks(args: string[], io: CliIo, waitForStop: () => Promise<void>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    io[sub === undefined ? "stderr" : "stdout"].write(HELP);
    if (sub === undefined) throw new UsageError("msgc webhooks: name a subcommand: serve", USAGE_HINT);
    return EXIT_OK;
  }
  if (sub !== "serve") throw new UsageError(`msgc webhooks: unknown subcommand "${sub}"`, USAGE_HINT);
  const { values, positionals } = parseCommand("webhooks serve", rest, OPTIONS);
  if (helpRequested(values, HELP, io)) return EXIT_OK;
  if (positionals.length > 0) throw new UsageError(`msgc webhooks serve: unexpected argument "${positionals[0]}"`, USAGE_HINT);
  const port = parsePort(values.port);
  const host = values.host ?? "127.0.0.1";
  if (host.trim() === "") throw new UsageError("msgc webhooks serve: --host must not be empty", USAGE_HINT);
  const secret = readSecret(io, values["secret-file"]);
  // The database password too: a driver's error may quote the URL it was given. Scrubbed as send
  // scrubs its output: a short one (PGPASSWORD=delivered) would cut words out of msgc's own lines,
  // and the store cuts every password, whatever its length, out of the driver's text it passes on.
  const secrets = [secret, ...storeSecrets(io.env)];
  const scrub = (text: string): string => scrubOutput(text, secrets, true);

  const { config, diagnostics } = await loadConfig({ cwd: io.cwd, ...(values.config !== undefined ? { configPath: values.config } : {}) });
  if (hasErrors(diagnostics)) {
    const summary = { specs: 0, errors: diagnostics.filter(isError).length, warnings: diagnostics.filter((d) => !isError(d)).length };
    writeReport(io, { format: "text", diagnostics, summary, sources: new Map(), quiet: false, target: "stderr", what: "not started", scrub });
    return EXIT_PROBLEMS;
  }
  const target = storeTarget(config, io.env, { create: true });
  if (target === undefined) throw new InputError("msgc webhooks serve: no store to write to");
  const store = await openStore(target);
  const log = (line: string): void => void io.stdout.write(`msgc webhooks: ${scrub(line)}\n`);
  let receiver;
  try {
    receiver = await startWebhookReceiver({ store, secret, keywords: optOutKeywords(config.optOut), host, port, log, verbose: values.verbose === true });
  } catch (e) {
    await store.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string") throw new InputError(`msgc webhooks serve: cannot listen on ${host}:${port} (${code})`);
    throw e;
  }
  io.stdout.write(`msgc webhooks listening on ${receiver.url} (store: ${store.location})\nPress Ctrl-C to stop.\n`);
  await waitForStop();
  await receiver.close();
  await store.close();
  io.stdout.write(`msgc webhooks stopped: ${describeCounts(receiver.counts())}\n`);
  return EXIT_OK;
}

export const run: CommandHandler = (args, io) => runWebhooks(args, io, untilTerminated);
