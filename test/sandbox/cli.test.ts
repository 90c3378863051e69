import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { parseSandboxArgs, runSandbox } from "../../src/cli/commands/sandbox.js";
import type { CliIo } from "../../src/cli/io.js";
import { InputError, UsageError } from "../../src/cli/io.js";
import { cliPath, ensureBuilt } from "../cli/helpers.js";
import { receiver, SECRET } from "./webhook-receiver.js";

const MAIN = cliPath;
const TEMPLATE_BODY = JSON.stringify({ number: "+16045852331", templateName: "t", language: "en" });

function fakeIo(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): { io: CliIo; output: () => string } {
  const stdout = new PassThrough();
  let text = "";
  stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return { io: { stdout, stderr: new PassThrough(), env, cwd }, output: () => text };
}

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Runs the command in-process until `body` is done with the printed URL. */
async function runUntil(args: string[], env: NodeJS.ProcessEnv, body: (url: string) => Promise<void>, cwd?: string): Promise<{ code: number; output: string }> {
  const { io, output } = fakeIo(env, cwd);
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const exit = runSandbox(args, io, () => stopped);
  await waitFor(() => output().includes("Press Ctrl-C"));
  const url = /listening on (http:\/\/\S+)/.exec(output())![1]!;
  try {
    await body(url);
  } finally {
    stop();
  }
  return { code: await exit, output: output() };
}

describe("msgc sandbox (in-process)", () => {
  it("prints its URL, key and settings, serves until stopped, exits 0", async () => {
    const { code, output } = await runUntil(["--api-key", "k1", "--rate", "50"], {}, async (url) => {
      const response = await fetch(`${url}/v1/businesses/b/send/whatsapp_templated_messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "k1" }, body: TEMPLATE_BODY });
      expect(response.status).toBe(200);
    });
    expect(code).toBe(0);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(output)![1]!;
    expect(output).toBe(
      [
        `msgc sandbox listening on ${url}`,
        "  API key:   k1",
        `  send:      POST ${url}/v1/businesses/<businessId>/send/messages`,
        `             POST ${url}/v1/businesses/<businessId>/send/whatsapp_templated_messages`,
        `  templates: POST ${url}/v1/businesses/<businessId>/get/templates, …/create/template`,
        `  inspect:   GET ${url}/__sandbox/messages, GET /__sandbox/stats, POST /__sandbox/inbound`,
        "  known:     any (no --templates file)",
        "  review:    created templates approved after 0 ms",
        "  rate:      50 requests/s per business",
        "  faults:    none",
        "Press Ctrl-C to stop.",
        "msgc sandbox stopped: 1 requests, 1 messages accepted",
        "",
      ].join("\n"),
    );
  });

  it("a key from CONNECTLY_API_KEY is used but never printed", async () => {
    const secret = "sk_live_do_not_print_1234";
    const { output } = await runUntil([], { CONNECTLY_API_KEY: secret }, async (url) => {
      const response = await fetch(`${url}/v1/businesses/b/send/whatsapp_templated_messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": secret }, body: TEMPLATE_BODY });
      expect(response.status).toBe(200);
    });
    expect(output).toContain("  API key:   (from CONNECTLY_API_KEY)\n");
    expect(output).not.toContain(secret);
    expect(output).not.toContain(secret.slice(-4));
  });

  it("without any key the key is \"sandbox\"; faults and files are shown and resolved from the cwd", async () => {
    const dir = mkdtempSync(join(tmpdir(), "msgc-sandbox-cli-"));
    writeFileSync(join(dir, "templates.yaml"), "- { name: t, language: en }\n");
    const { output } = await runUntil(
      ["--templates", "templates.yaml", "--rate", "0", "--seed", "2", "--latency", "1", "--jitter", "1", "--fail-rate", "0.1", "--reset-rate", "0.01", "--hang-rate", "0", "--accept-then-fail"],
      {},
      async (url) => {
        const response = await fetch(`${url}/v1/businesses/b/send/whatsapp_templated_messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "sandbox" }, body: JSON.stringify({ number: "+16045852331", templateName: "other", language: "en" }) });
        expect(((await response.json()) as { code: string }).code).toBe("ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND");
      },
      dir,
    );
    expect(output).toContain("  API key:   sandbox\n");
    expect(output).toContain(`  known:     ${join(dir, "templates.yaml")} (1 approved, by name and language)\n`);
    expect(output).toContain("  rate:      unlimited\n");
    expect(output).toContain("  faults:    latency 1±1 ms, fail-rate 0.1, reset-rate 0.01, accept-then-fail 1 (seed 2)\n");
  });

  it("--review-ms and --reject-rate are shown; a bad value is a usage error", async () => {
    const { output } = await runUntil(["--review-ms", "250", "--reject-rate", "0.5", "--seed", "3"], {}, async () => undefined);
    expect(output).toContain("  review:    created templates approved after 250 ms, 0.5 of them rejected (seed 3)\n");
    expect(() => parseSandboxArgs(["--reject-rate", "2"], {}, "/")).toThrow('msgc sandbox: --reject-rate must be a probability from 0 to 1, got "2"');
    expect(() => parseSandboxArgs(["--review-ms=soon"], {}, "/")).toThrow('msgc sandbox: --review-ms must be a number of at least 0, got "soon"');
  });

  it("--help prints the options and exits 0", async () => {
    const { io, output } = fakeIo();
    expect(await runSandbox(["--help"], io, () => Promise.reject(new Error("must not wait")))).toBe(0);
    for (const flag of ["--port", "--host", "--api-key", "--templates", "--inbound", "--rate", "--seed", "--latency", "--jitter", "--fail-rate", "--reset-rate", "--hang-rate", "--accept-then-fail[=P]", "--log", "--review-ms MS", "--reject-rate P", "--webhook-url URL", "--webhook-secret-file", "--deliver-ms MS", "--read-rate P", "--undeliverable-rate P", "--webhook-duplicate-rate", "--webhook-reorder-rate"]) {
      expect(output()).toContain(`  ${flag} `);
    }
  });

  it.each([
    [["--port", "70000"], `msgc sandbox: --port must be a whole number from 0 to 65535, got "70000"`],
    [["--port", "1.5"], `msgc sandbox: --port must be a whole number from 0 to 65535, got "1.5"`],
    [["--rate=-1"], `msgc sandbox: --rate must be a number of at least 0, got "-1"`],
    [["--seed", "x"], `msgc sandbox: --seed must be a whole number from 0, got "x"`],
    [["--latency", ""], `msgc sandbox: --latency must be a number of at least 0, got ""`],
    [["--fail-rate", "2"], `msgc sandbox: --fail-rate must be a probability from 0 to 1, got "2"`],
    [["--accept-then-fail=maybe"], `msgc sandbox: --accept-then-fail must be a probability from 0 to 1, got "maybe"`],
    [["--accept-then-fail", "0.5"], `msgc sandbox: unexpected argument "0.5"`],
    [["--api-key", ""], "msgc sandbox: --api-key must not be empty"],
    [["--bogus"], "msgc sandbox: unknown option --bogus"],
    [["--port"], "msgc sandbox: option --port needs a value"],
  ])("%j is a usage error", async (args, message) => {
    const { io } = fakeIo();
    const failure = runSandbox(args, io, () => Promise.resolve());
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(message);
  });

  it("an unreadable templates file is an input error", async () => {
    const { io } = fakeIo({}, tmpdir());
    const failure = runSandbox(["--templates", "no-such-templates.yaml"], io, () => Promise.resolve());
    await expect(failure).rejects.toThrow(InputError);
    await expect(failure).rejects.toThrow(/^msgc sandbox: cannot read templates file .*no-such-templates\.yaml: ENOENT$/);
  });

  it("a templates file that is not YAML: file:line:col and the problem, on one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "msgc-sandbox-bad-"));
    writeFileSync(join(dir, "bad.yaml"), "- { name: t\n");
    const { io } = fakeIo({}, dir);
    const failure = runSandbox(["--templates", "bad.yaml"], io, () => Promise.resolve());
    await expect(failure).rejects.toThrow(InputError);
    const message = await failure.catch((e: Error) => e.message);
    expect(message).toBe(
      `msgc sandbox: ${join(dir, "bad.yaml")}:2:1 templates file is not valid YAML or JSON: Flow map in block collection must be sufficiently indented and end with a }`,
    );
  });
});

describe("msgc sandbox (the built binary)", () => {
  // Built when missing or stale: a binary test that skips itself would pass without testing.
  beforeAll(ensureBuilt, 120_000);

  it("a templates file that is not YAML: one line on stderr, exit 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "msgc-sandbox-bad-"));
    writeFileSync(join(dir, "bad.yaml"), "a: 1\na: 2\n");
    const r = spawnSync(process.execPath, [MAIN, "sandbox", "--templates", "bad.yaml"], { cwd: dir, encoding: "utf8" });
    expect([r.status, r.stdout, r.stderr]).toEqual([1, "", `msgc sandbox: ${join(dir, "bad.yaml")}:2:1 templates file is not valid YAML or JSON: Map keys must be unique\n`]);
  });

  it("starts quickly, serves, and exits 0 on SIGTERM and on SIGINT", async () => {
    const bareStarted = performance.now();
    await once(spawn(process.execPath, ["-e", "0"]), "exit");
    const bareNodeMs = performance.now() - bareStarted;
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const started = performance.now();
      const child = spawn(process.execPath, [MAIN, "sandbox", "--port", "0"], { env: { ...process.env, CONNECTLY_API_KEY: "spawned-key-5678" } });
      const exited = once(child, "exit");
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      try {
        await waitFor(() => output.includes("Press Ctrl-C") || child.exitCode !== null);
        const startupMs = performance.now() - started;
        // Under a second on an idle machine; a loaded runner slows a bare node start alike.
        expect(startupMs).toBeLessThan(Math.max(1000, 8 * bareNodeMs));
        const url = /listening on (http:\/\/\S+)/.exec(output)![1]!;
        const response = await fetch(`${url}/v1/businesses/b/send/whatsapp_templated_messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "spawned-key-5678" }, body: TEMPLATE_BODY });
        expect(response.status).toBe(200);
      } finally {
        // Stopped whatever happened above, so that a failing test leaves no server behind.
        child.kill(signal);
      }
      const [code] = await exited;
      expect(code).toBe(0);
      expect(output).not.toContain("spawned-key-5678");
      expect(output).toContain("msgc sandbox stopped: 1 requests, 1 messages accepted\n");
    }
  });

  it("a bad flag exits 64 with a one-line message and a hint", async () => {
    const child = spawn(process.execPath, [MAIN, "sandbox", "--hang-rate", "7"]);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, "exit");
    expect(code).toBe(64);
    expect(stderr).toBe(`msgc sandbox: --hang-rate must be a probability from 0 to 1, got "7"\nRun "msgc sandbox --help" for its options.\n`);
  });

  it("a log that cannot be written: one line on stderr, and the sandbox keeps answering", async () => {
    // Writes to /dev/full fail with ENOSPC, as on a full disk.
    const child = spawn(process.execPath, [MAIN, "sandbox", "--port", "0", "--log", "/dev/full"]);
    const exited = once(child, "exit");
    let output = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitFor(() => output.includes("Press Ctrl-C") || child.exitCode !== null);
      const url = /listening on (http:\/\/\S+)/.exec(output)![1]!;
      const post = () =>
        fetch(`${url}/v1/businesses/b/send/whatsapp_templated_messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "sandbox" }, body: TEMPLATE_BODY });
      expect((await post()).status).toBe(200);
      await waitFor(() => stderr.includes("\n") || child.exitCode !== null);
      expect((await post()).status).toBe(200);
      expect((await post()).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stderr).toBe("msgc sandbox: cannot write the log file /dev/full (ENOSPC); accepted messages are no longer logged\n");
    expect(output).toContain("msgc sandbox stopped: 3 requests, 3 messages accepted\n");
  });
});

describe("msgc sandbox --webhook-url", () => {
  it("sends signed webhooks, says where without the secret, and counts them when it stops", async () => {
    const hooks = await receiver();
    const { code, output } = await runUntil(
      ["--webhook-url", `${hooks.url}?token=abc`, "--deliver-ms", "0", "--read-rate", "1", "--webhook-duplicate-rate", "0.5", "--seed", "3"],
      { CONNECTLY_WEBHOOK_SECRET: SECRET },
      async (url) => {
        const response = await fetch(`${url}/v1/businesses/b/send/whatsapp_templated_messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "sandbox" }, body: TEMPLATE_BODY });
        expect(response.status).toBe(200);
        // sent, delivered and read, some of them twice: done once nothing is pending.
        await hooks.waitFor(3);
        const pending = async (): Promise<number> => ((await (await fetch(`${url}/__sandbox/stats`)).json()) as { webhooks: { pending: number } }).webhooks.pending;
        while ((await pending()) > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      },
    );
    expect(code).toBe(0);
    expect(hooks.received.every((r) => r.signed)).toBe(true);
    expect(output).toContain(
      `  webhooks:  POST ${hooks.url}?…, signed with the secret from CONNECTLY_WEBHOOK_SECRET\n             delivered after 0 ms, read 1, duplicates 0.5 (seed 3)\nPress Ctrl-C to stop.\n`,
    );
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain("token=abc");
    const delivered = hooks.received.length;
    expect(output).toContain(`msgc sandbox stopped: 1 requests, 1 messages accepted; webhooks: ${delivered} delivered, 0 retried, 0 given up, 0 dropped, 0 cancelled\n`);
  });

  it("a secret read from --webhook-secret-file is never printed either, and a secret is never a flag value", async () => {
    const hooks = await receiver();
    const folder = mkdtempSync(join(tmpdir(), "msgc-sandbox-secret-"));
    try {
      writeFileSync(join(folder, "secret"), `${SECRET}\n`);
      const { output } = await runUntil(["--webhook-url", hooks.url, "--webhook-secret-file", join(folder, "secret")], {}, async () => undefined);
      expect(output).toContain(`  webhooks:  POST ${hooks.url}, signed with the secret from --webhook-secret-file\n             delivered after 200 ms, read 0.6\n`);
      expect(output).not.toContain(SECRET);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    expect(() => parseSandboxArgs(["--webhook-url", hooks.url, "--webhook-secret", SECRET], {}, "/")).toThrow(UsageError);
  });

  it.each([
    [["--webhook-url", "http://127.0.0.1:9/"], "msgc sandbox: --webhook-url needs a secret: --webhook-secret-file PATH or CONNECTLY_WEBHOOK_SECRET"],
    [["--webhook-url", "http://127.0.0.1:9/", "--webhook-secret-file", "/nonexistent/secret"], "msgc sandbox: the secret file /nonexistent/secret "],
    [["--webhook-url", "ftp://x/", "--webhook-secret-file", "s"], 'msgc sandbox: --webhook-url must be an http:// or https:// URL, got "ftp:…"'],
    [["--webhook-url", "http://me:pw@x/", "--webhook-secret-file", "s"], "msgc sandbox: --webhook-url must not carry a user name or password"],
    [["--read-rate", "0.5"], "msgc sandbox: --read-rate needs --webhook-url"],
    [["--webhook-secret-file", "s"], "msgc sandbox: --webhook-secret-file needs --webhook-url"],
  ])("%j is a usage error", (args, message) => {
    // The environment's secret, except where the case is about a missing one.
    const env = message.includes("needs a secret") ? {} : { CONNECTLY_WEBHOOK_SECRET: "s" };
    expect(() => parseSandboxArgs(args, env, "/")).toThrow(UsageError);
    expect(() => parseSandboxArgs(args, env, "/")).toThrow(message);
  });

  it("a --webhook-url that is no URL is quoted without its query string, which may carry a token", () => {
    const args = ["--webhook-url", "http//127.0.0.1:8080/hook?token=tok_9f8e7d6c5b", "--webhook-secret-file", "s"];
    let thrown: unknown;
    try {
      parseSandboxArgs(args, {}, "/");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as UsageError).message).toBe('msgc sandbox: --webhook-url must be an http:// or https:// URL, got "http//127.0.0.1:8080/hook?…"');
  });

  it("the built binary: a webhook flag without --webhook-url exits 64 with one line", () => {
    const r = spawnSync(process.execPath, [MAIN, "sandbox", "--undeliverable-rate", "0.1"], { encoding: "utf8" });
    expect([r.status, r.stdout, r.stderr]).toEqual([64, "", `msgc sandbox: --undeliverable-rate needs --webhook-url\nRun "msgc sandbox --help" for its options.\n`]);
  });
});
