import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { cliPath, ensureBuilt, msgc, STACK_TRACE } from "../cli/helpers.js";
import { NUMBER, SECRET, openProjectStore, postUntilAcknowledged, postWebhook, statusWebhook } from "./helpers.js";

beforeAll(() => ensureBuilt());

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawns `msgc webhooks serve --port 0 ARGS` in `dir` and waits for its address. */
async function serve(dir: string, args: string[] = [], env: NodeJS.ProcessEnv = { CONNECTLY_WEBHOOK_SECRET: SECRET }): Promise<Running> {
  const child = spawn(process.execPath, [cliPath, "webhooks", "serve", "--port", "0", ...args], { cwd: dir, env: { PATH: process.env.PATH, ...env } });
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const url = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (found) resolve(found[1]!);
    };
    child.stdout.on("data", check);
    void exited.then(() => reject(new Error(`the receiver exited: ${text}`)));
  });
  return { child, url, output: () => text, exited };
}

function project(): string {
  return mkdtempSync(join(tmpdir(), "msgc-webhooks-cli-"));
}

describe("msgc webhooks serve: refusing to start", () => {
  test("no secret: exit 64 with one line and its hint", () => {
    const r = msgc(["webhooks", "serve"], { cwd: project() });
    expect(r).toEqual({
      code: 64,
      stdout: "",
      stderr:
        "msgc webhooks serve: no webhook secret: set CONNECTLY_WEBHOOK_SECRET or pass --secret-file PATH\n" +
        "Without it no signature can be checked. The secret is never taken from a flag value or the config file.\n",
    });
  });

  test.each([
    ["an empty secret file", ["--secret-file", "empty.txt"], "msgc webhooks serve: the secret file empty.txt is empty\n"],
    ["a missing secret file", ["--secret-file", "nope.txt"], "msgc webhooks serve: the secret file nope.txt cannot be read (ENOENT)\n"],
    ["a secret as a flag value", ["--secret", "x"], "msgc webhooks serve: unknown option --secret\n"],
    ["a bad port", ["--port", "99999"], 'msgc webhooks serve: --port must be a whole number from 0 to 65535, got "99999"\n'],
    ["a secret file over 4 KiB (a key file named by mistake)", ["--secret-file", "big.pem"], "msgc webhooks serve: the secret file big.pem is larger than 4096 bytes: not a webhook secret\n"],
    ["a folder as the secret file", ["--secret-file", "folder"], "msgc webhooks serve: the secret file folder is not a regular file\n"],
    ["a UTF-16 secret file (its key could never match)", ["--secret-file", "utf16.txt"], "msgc webhooks serve: the secret file utf16.txt is not UTF-8 text\n"],
  ])("%s: exit 64", (_name, args, line) => {
    const dir = project();
    writeFileSync(join(dir, "utf16.txt"), Buffer.from(`\uFEFF${SECRET}\r\n`, "utf16le"));
    writeFileSync(join(dir, "empty.txt"), "\n");
    writeFileSync(join(dir, "big.pem"), `-----BEGIN PRIVATE KEY-----\n${"k".repeat(4097)}\n`);
    mkdirSync(join(dir, "folder"));
    const r = msgc(["webhooks", "serve", ...args], { cwd: dir, env: { CONNECTLY_WEBHOOK_SECRET: SECRET } });
    expect(r.code).toBe(64);
    expect(r.stderr.split("\n")[0] + "\n").toBe(line);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stderr).not.toContain("PRIVATE KEY");
  });

  test("the port taken: exit 1 with one line", async () => {
    const dir = project();
    const running = await serve(dir);
    const port = new URL(running.url).port;
    const r = msgc(["webhooks", "serve", "--port", port], { cwd: project(), env: { CONNECTLY_WEBHOOK_SECRET: SECRET } });
    running.child.kill("SIGTERM");
    await running.exited;
    expect(r).toEqual({ code: 1, stdout: "", stderr: `msgc webhooks serve: cannot listen on 127.0.0.1:${port} (EADDRINUSE)\n` });
  });

  test("a store that cannot be opened (a folder): exit 1, one line, no stack", () => {
    const dir = project();
    const r = msgc(["webhooks", "serve", "--port", "0"], { cwd: dir, env: { CONNECTLY_WEBHOOK_SECRET: SECRET, MSGC_STORE: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`The store ${dir} `);
    expect(r.stdout).toBe("");
  });

  test("an invalid optOut in the config: exit 1 with its location", () => {
    const dir = project();
    writeFileSync(join(dir, "msgc.config.yaml"), "optOut:\n  keywords: [STOP, 12]\n");
    const r = msgc(["webhooks", "serve", "--port", "0"], { cwd: dir, env: { CONNECTLY_WEBHOOK_SECRET: SECRET } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^msgc\.config\.yaml:2:\d+ error config-invalid /);
    expect(r.stderr).not.toContain(SECRET);
  });

  test("no subcommand, or an unknown one: exit 64", () => {
    expect(msgc(["webhooks"]).code).toBe(64);
    expect(msgc(["webhooks", "listen"]).stderr).toBe('msgc webhooks: unknown subcommand "listen"\nRun "msgc webhooks serve --help" for its options.\n');
  });

  test("--help lists the options and the answers", () => {
    const r = msgc(["webhooks", "serve", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: msgc webhooks serve \[options\]\n/);
    expect(r.stdout).toContain("  --secret-file PATH   read the webhook secret from a file\n");
  });
});

describe("msgc webhooks serve: running", () => {
  test("secret from a file; SIGTERM with requests in flight: exit 0, every acknowledged one stored", async () => {
    const dir = project();
    writeFileSync(join(dir, "secret.txt"), `${SECRET}\n`);
    const running = await serve(dir, ["--secret-file", "secret.txt", "--verbose"], {});
    expect((await postWebhook(running.url, statusWebhook("first"))).status).toBe(200);
    const posts = Array.from({ length: 60 }, (_, i) => postWebhook(running.url, statusWebhook(`m-${i}`)).catch(() => ({ status: 0, body: "" })));
    await new Promise((resolve) => setTimeout(resolve, 10));
    running.child.kill("SIGTERM");
    const answers = await Promise.all(posts);
    expect(await running.exited).toBe(0);
    const acknowledged = answers.flatMap((a, i) => (a.status === 200 ? [`m-${i}`] : []));
    const { store } = await openProjectStore(dir);
    try {
      expect((await store.eventsByMessageIds(acknowledged)).map((e) => e.messageId).sort()).toEqual([...acknowledged].sort());
    } finally {
      await store.close();
    }
    const output = running.output();
    expect(output).toMatch(/\nmsgc webhooks stopped: \d+ stored, 0 duplicates, 0 unauthorized \(401\), 0 too large \(413\), 0 not committed \(503\), \d+ other\n$/);
    expect(output).toContain("msgc webhooks: stored delivery_status delivered +1604•••2331 message first");
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(NUMBER);
  });

  test("a secret file an editor began with a byte order mark: the mark is not part of the secret", async () => {
    const dir = project();
    writeFileSync(join(dir, "secret.txt"), `\uFEFF${SECRET}\r\n`);
    const running = await serve(dir, ["--secret-file", "secret.txt"], {});
    expect(await postWebhook(running.url, statusWebhook("first"))).toEqual({ status: 200, body: '{"status":"stored"}\n' });
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
  });

  test("a short PGPASSWORD is not cut out of msgc's own lines (the driver's text is scrubbed where it is read)", async () => {
    const dir = project();
    const running = await serve(dir, ["--verbose"], { CONNECTLY_WEBHOOK_SECRET: SECRET, PGPASSWORD: "delivered" });
    expect((await postWebhook(running.url, statusWebhook("first"))).status).toBe(200);
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain("msgc webhooks: stored delivery_status delivered +1604•••2331 message first campaign \"spring\"\n");
  });

  // MSGC_KILL_TEST_EVENTS=5000 MSGC_KILL_TEST_ROUNDS=20 for a bigger run.
  const killEvents = Number(process.env["MSGC_KILL_TEST_EVENTS"] ?? 150);
  const killRounds = Number(process.env["MSGC_KILL_TEST_ROUNDS"] ?? 3);
  test("kill -9 at random points, restarted: no acknowledged event is lost", { timeout: 30_000 + killEvents * 20 + killRounds * 2_000 }, async () => {
    const dir = project();
    let running = await serve(dir);
    const acknowledged = new Set<string>();
    const queue = Array.from({ length: killEvents }, (_, i) => i);
    // 32 senders post concurrently and retry each body until 200, as Connectly does, while the
    // receiver is killed and restarted under them.
    const senders = Array.from({ length: 32 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await postUntilAcknowledged(() => running.url, statusWebhook(`k-${i}`, ["sent", "delivered", "read"][i % 3]), Date.now() + 60_000);
        acknowledged.add(`k-${i}`);
      }
    });
    let kills = 0;
    for (let round = 0; round < killRounds && queue.length > 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 150));
      running.child.kill("SIGKILL");
      kills++;
      await running.exited;
      running = await serve(dir);
    }
    await Promise.all(senders);
    // Killed while webhooks were still coming: otherwise the test proved nothing.
    expect(kills).toBeGreaterThan(0);
    running.child.kill("SIGTERM");
    const code = await running.exited;
    // The receiver's own words say why, if it did not stop cleanly.
    expect({ code, signal: running.child.signalCode, output: code === 0 ? "" : running.output() }).toEqual({ code: 0, signal: null, output: "" });
    const { store } = await openProjectStore(dir);
    try {
      const stored = await store.eventsByMessageIds([...acknowledged]);
      expect(acknowledged.size).toBe(killEvents);
      // Each delivery once, however often it was retried.
      expect(stored.map((e) => e.messageId).sort()).toEqual([...acknowledged].sort());
    } finally {
      await store.close();
    }
  });
});
