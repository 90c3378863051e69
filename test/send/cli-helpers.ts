import { spawn } from "node:child_process";
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
