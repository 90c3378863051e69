import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterEach } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cliPath } from "../cli/helpers.js";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  result: Promise<RunResult>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Spawns the built CLI without blocking: the sandbox answering it runs in the test's own event
 * loop, so spawnSync would deadlock.
 */
export function startCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): RunningCli {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const result = new Promise<RunResult>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { result, kill: (signal) => child.kill(signal) };
}

export function runCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return startCli(args, opts).result;
}

/**
 * `msgc webhooks serve --port 0` in a project, with this webhook secret: resolves with its URL
 * once it listens. A test's receivers are stopped after it.
 */
export function useReceiver(secret: string): (dir: string) => Promise<string> {
  const receivers: ChildProcess[] = [];
  afterEach(async () => {
    for (const receiver of receivers.splice(0)) {
      if (receiver.exitCode !== null || receiver.signalCode !== null) continue;
      receiver.kill("SIGTERM");
      await once(receiver, "close");
    }
  });
  return (dir) => {
    const child = spawn(process.execPath, [cliPath, "webhooks", "serve", "--port", "0"], {
      cwd: dir,
      env: { PATH: process.env.PATH, CONNECTLY_WEBHOOK_SECRET: secret },
      stdio: ["ignore", "pipe", "pipe"],
    });
    receivers.push(child);
    let out = "";
    return new Promise<string>((resolve, reject) => {
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/?)/.exec(out)?.[1];
        if (url) resolve(url);
      });
      child.once("close", (code) => reject(new Error(`the receiver stopped (${code}): ${out}`)));
    });
  };
}

/** `+1 604 555 NNNN` style numbers as an audience would have them, with names and order ids. */
export function audienceCsv(count: number, opts: { lastSeen?: (i: number) => string } = {}): string {
  const rows = ["phone,first_name,order_id,last_seen"];
  for (let i = 0; i < count; i++) {
    rows.push(`+1 604 555 ${String(i).padStart(4, "0")},Name${i},${10000 + i},${opts.lastSeen?.(i) ?? ""}`);
  }
  return `${rows.join("\n")}\n`;
}

export const NOTE_MESSAGE = `kind: Message
name: note
vars:
  first_name: { type: string }
  order_id: { type: string, pattern: "^[0-9]{5,}$" }
samples:
  ana: { first_name: Ana, order_id: "10001" }
session:
  text: "Hi {{first_name}}, order {{order_id}} shipped."
template:
  name: order_shipped
  language: en
  body: ["{{first_name}}", "{{order_id}}"]
window: auto
`;

export function notesCampaign(rate = 200): string {
  return `kind: Campaign
name: notes
message: note
campaignName: notes_2026
audience:
  file: ../audiences/notes.csv
  lastInboundAt: last_seen
rate: ${rate}
`;
}

/** A project with the `note` message and the `notes` campaign over `count` recipients. */
export function notesProject(count: number, opts: { config?: string; rate?: number; lastSeen?: (i: number) => string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "msgc-send-cli-"));
  const files: Record<string, string> = {
    "msgc.config.yaml": opts.config ?? "businessId: biz-test\n",
    "specs/messages/note.yaml": NOTE_MESSAGE,
    "specs/campaigns/notes.yaml": notesCampaign(opts.rate),
    "specs/audiences/notes.csv": audienceCsv(count, opts.lastSeen ? { lastSeen: opts.lastSeen } : {}),
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/**
 * Runs the CLI on a real pseudo-terminal (python3's pty module): waits for the [y/N] question,
 * then types Ctrl-C, Ctrl-D or y (or sends SIGINT). A run still alive 20 s later is killed and said to hang.
 */
const PTY_SCRIPT = `
import json, os, pty, select, signal, sys, time
args, cwd, env, action = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(cwd)
    os.execve(args[0], args, env)
out = b""
def read_some(deadline):
    global out
    r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
    if not r:
        return False
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return None
    if not chunk:
        return None
    out += chunk
    return True
deadline = time.time() + 30
while b"[y/N] " not in out and time.time() < deadline:
    if read_some(deadline) is None:
        break
if action == "ctrl-c":
    os.write(fd, b"\\x03")
elif action == "ctrl-d":
    os.write(fd, b"\\x04")
elif action == "yes":
    os.write(fd, b"y\\r")
else:
    os.kill(pid, signal.SIGINT)
deadline = time.time() + 20
while time.time() < deadline:
    if read_some(deadline) is None:
        break
done, status = os.waitpid(pid, os.WNOHANG)
while done == 0 and time.time() < deadline:
    time.sleep(0.05)
    done, status = os.waitpid(pid, os.WNOHANG)
if done == 0:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print(json.dumps({"code": "hang", "output": out.decode("utf8", "replace")}))
else:
    print(json.dumps({"code": os.waitstatus_to_exitcode(status), "output": out.decode("utf8", "replace")}))
`;

export type TerminalAction = "ctrl-c" | "ctrl-d" | "sigint" | "yes";

/** `msgc <args…>` on a pseudo-terminal, answered with `action` at its [y/N] question. */
export async function runOnTerminal(args: string[], cwd: string, env: NodeJS.ProcessEnv, action: TerminalAction): Promise<{ code: number | "hang"; output: string }> {
  const child = spawn("python3", ["-c", PTY_SCRIPT, JSON.stringify([[process.execPath, cliPath, ...args], cwd, { PATH: process.env.PATH, ...env }, action])], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  await new Promise((resolve) => child.once("close", resolve));
  return JSON.parse(stdout) as { code: number | "hang"; output: string };
}

/** Whether python3 with its pty module is there to make a pseudo-terminal. */
export const hasPty = spawnSync("python3", ["-c", "import pty"]).status === 0;
