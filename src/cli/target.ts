/**
 * Where a command that talks to Connectly sends its requests, and with which key: `msgc send`
 * and `msgc templates` share these rules (docs/sending.md, "Target"), so that a key, a business
 * id or a base URL is asked for, refused and worded the same way by both.
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import type { CliIo } from "./io.js";
import { InputError, UsageError } from "./io.js";
import type { TemplateSpec } from "../types/template.generated.js";
import { sendsKeyInClear } from "../connectly/transport.js";
import { insecureHttpRefusal, isUsableApiKey } from "../runner/send/index.js";
import { BoundedFileError, readBoundedText } from "../runner/bounded-file.js";

/** The flags every such command takes. */
export const TARGET_OPTIONS = {
  sandbox: { type: "boolean" },
  "base-url": { type: "string" },
  "business-id": { type: "string" },
  "api-key-file": { type: "string" },
  "insecure-http": { type: "boolean" },
} as const;

export interface TargetFlags {
  sandbox?: boolean | undefined;
  "base-url"?: string | undefined;
  "business-id"?: string | undefined;
  "api-key-file"?: string | undefined;
  "insecure-http"?: boolean | undefined;
}

export interface Target {
  baseUrl: string;
  businessId: string;
  apiKey: string | undefined;
  close?: () => Promise<void>;
  sandboxUrl?: string;
  /** The in-process sandbox's webhooks: resolves once each was delivered or given up. */
  drainWebhooks?: () => Promise<void>;
  /** The in-process sandbox's approved templates (specs, by name and language) and what was left out. */
  sandboxTemplates?: { specs: number; approved: number; leftOut: number };
}

/** An API key is a few dozen characters; a file much larger than that is not one. */
const MAX_API_KEY_FILE_BYTES = 4096;

function readApiKey(io: CliIo, file: string | undefined, command: string): string | undefined {
  if (file !== undefined) {
    const text = readKeyFile(resolve(io.cwd, file), file, command);
    // Editors end a file with a newline; anything else in the file is part of the key.
    const key = text.replace(/\r?\n$/, "");
    if (key === "") throw new UsageError(`msgc ${command}: the API key file ${file} is empty`);
    return usableApiKey(key, `the API key in ${file}`, command);
  }
  const key = io.env["CONNECTLY_API_KEY"];
  return key === undefined || key === "" ? undefined : usableApiKey(key, "CONNECTLY_API_KEY", command);
}

function readKeyFile(path: string, shown: string, command: string): string {
  try {
    return readBoundedText(path, MAX_API_KEY_FILE_BYTES);
  } catch (e) {
    if (!(e instanceof BoundedFileError)) throw e;
    const { problem } = e;
    if (problem.kind === "unreadable") throw new UsageError(`msgc ${command}: cannot read the API key file ${shown} (${problem.code})`);
    throw new UsageError(`msgc ${command}: the API key file ${shown} ${e.message}${problem.kind === "too-large" ? ": not an API key" : ""}`);
  }
}

/** Checked here rather than failing every request: the key cannot even be put in a header. */
function usableApiKey(key: string, where: string, command: string): string {
  if (!isUsableApiKey(key)) {
    throw new UsageError(`msgc ${command}: ${where} has characters an HTTP header cannot carry (spaces, line breaks or non-ASCII)`, "Check how the key was copied: it is printable ASCII only.");
  }
  return key;
}

/**
 * The target from the flags, then the config. `--sandbox` starts a sandbox in this process with
 * a random key of its own; `keyOptional` (a dry run) lets a run go without a key or an account.
 */
export async function resolveTarget(
  io: CliIo,
  values: TargetFlags,
  project: { baseUrl: string; businessId?: string },
  opts: {
    command: string;
    keyOptional?: boolean;
    sandboxTemplates?: { approved: TemplateSpec[]; leftOut: number };
    sandboxWebhooks?: { webhookUrl: string; webhookSecret: string };
  },
): Promise<Target> {
  const { command } = opts;
  if (values.sandbox) {
    for (const flag of ["base-url", "business-id", "api-key-file"] as const) {
      if (values[flag] !== undefined) throw new UsageError(`msgc ${command}: --sandbox cannot be combined with --${flag}`);
    }
    const { SandboxConfigError, startSandbox } = await import("../sandbox/index.js");
    // `sandboxTemplates`: Template specs it holds approved from the start. Only a project with
    // none at all gets a sandbox that takes any template: one whose specs all have lint errors
    // gets a sandbox that holds none of them, as one with a clean spec beside them would.
    const approved = opts.sandboxTemplates?.approved ?? [];
    const anyTemplate = approved.length + (opts.sandboxTemplates?.leftOut ?? 0) === 0;
    const sandbox = await startSandbox({
      port: 0,
      apiKey: randomBytes(24).toString("base64url"),
      ...(anyTemplate ? {} : { templates: approved }),
      ...opts.sandboxWebhooks,
    }).catch((e: unknown) => {
      // Specs the loader took and lint passed satisfy the sandbox too; a mismatch is worded, not a crash.
      throw e instanceof SandboxConfigError ? new InputError(`msgc ${command}: the in-process sandbox cannot start: ${e.message}`) : e;
    });
    const held = opts.sandboxTemplates ? { sandboxTemplates: { specs: approved.length, approved: sandbox.approvedAtStart, leftOut: opts.sandboxTemplates.leftOut } } : {};
    return {
      baseUrl: sandbox.url,
      businessId: "sandbox",
      apiKey: sandbox.apiKey,
      close: () => sandbox.close(),
      sandboxUrl: sandbox.url,
      drainWebhooks: () => sandbox.drainWebhooks(),
      ...held,
    };
  }
  const baseUrl = values["base-url"] ?? project.baseUrl;
  if (!baseUrl) throw new UsageError(`msgc ${command}: no target: set baseUrl in msgc.config.yaml or pass --base-url`, "Or try it locally with --sandbox.");
  if (!values["insecure-http"] && sendsKeyInClear(baseUrl)) throw new UsageError(`msgc ${command}: ${insecureHttpRefusal(new URL(baseUrl).host)}`);
  // A dry run sends nothing, so it needs no account: the requests keep the placeholder.
  const businessId = values["business-id"] ?? project.businessId ?? (opts.keyOptional ? "{businessId}" : undefined);
  if (!businessId) {
    throw new UsageError(
      `msgc ${command}: no business id: set businessId in msgc.config.yaml or pass --business-id`,
      "Connectly issues it (a UUID) with your API key. Without an account: --dry-run, or send to a local API with --sandbox.",
    );
  }
  const apiKey = readApiKey(io, values["api-key-file"], command);
  if (!apiKey && !opts.keyOptional) {
    throw new UsageError(`msgc ${command}: no API key: set CONNECTLY_API_KEY or pass --api-key-file PATH`, "The key is never taken from a flag value, a spec or the config file.");
  }
  return { baseUrl, businessId, apiKey };
}
