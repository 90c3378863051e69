/**
 * `msgc build` on an audience large enough for worker threads (over 4 MiB), run as users run it:
 * the output with threads (MSGC_THREADS=2) is byte for byte the output of one thread, to a file,
 * to a pipe and as `--out DIR`, with the same diagnostics. And the bundled command finds the
 * worker file.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, ensureBuilt, makeProject, repoRoot } from "./helpers.js";

const ROWS = 120_000;
/** Audiences from this size on are planned on worker threads (parallel-plan.ts). */
const PARALLEL_MIN_BYTES = 4 * 1024 * 1024;

function audience(): string {
  const lines = ["phone,first_name,order_id,last_seen"];
  for (let i = 0; i < ROWS; i++) {
    const n = i % 5003 === 17 ? 1 : i; // repeats of row 2's number
    const phone = i % 7919 === 3 ? "+1 555" : `+1604${2_000_000 + n}`;
    const order = i % 6007 === 9 ? "12a" : String(100000 + i);
    lines.push(`${phone},Name${i % 1000},${order},${i % 2 ? "2026-11-20T10:00:00Z" : ""}`);
  }
  return `${lines.join("\n")}\n`;
}

let project: string;
beforeAll(() => {
  ensureBuilt();
  project = makeProject({
    "specs/messages/shipped.yaml": `kind: Message
name: shipped
vars:
  first_name: { type: string, maxLength: 40 }
  order_id: { type: string, pattern: "^[0-9]{5,}$" }
session:
  text: "Hi {{first_name}}! Order #{{order_id}} is on its way."
template:
  name: order_shipped_v2
  language: en_US
  body: ["{{first_name}}", "{{order_id}}"]
`,
    "specs/campaigns/big.yaml": `kind: Campaign
name: big
message: shipped
audience:
  file: ../audiences/big.csv
  lastInboundAt: last_seen
`,
    "specs/audiences/big.csv": audience(),
  });
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

const env = (threads: number): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, MSGC_THREADS: String(threads) });

/** stdout to a file: sha256 of what was written, exit code, stderr. */
function toFile(threads: number): { code: number | null; sha: string; bytes: number; stderr: string } {
  const file = join(project, `out-${threads}.ndjson`);
  const fd = openSync(file, "w");
  const r = spawnSync(process.execPath, [cliPath, "build", "--out", "-", "--format", "json"], {
    cwd: project,
    env: env(threads),
    stdio: ["ignore", fd, "pipe"],
    encoding: "utf8",
    timeout: 60_000,
  });
  closeSync(fd);
  const bytes = readFileSync(file);
  return { code: r.status, sha: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length, stderr: r.stderr };
}

/** stdout to a pipe read by this process. */
function toPipe(threads: number): Promise<{ code: number | null; sha: string; lines: number }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cliPath, "build", "--out", "-", "--quiet"], { cwd: project, env: env(threads), stdio: ["ignore", "pipe", "ignore"] });
    const hash = createHash("sha256");
    let lines = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      for (const byte of chunk) if (byte === 0x0a) lines++;
    });
    child.on("close", (code) => done({ code, sha: hash.digest("hex"), lines }));
  });
}

describe("msgc build with worker threads", () => {
  it("the audience is large enough for worker threads", () => {
    expect(readFileSync(join(project, "specs/audiences/big.csv")).length).toBeGreaterThan(PARALLEL_MIN_BYTES);
  });

  it("the bundled build command points at a worker file that exists", () => {
    const bundle = readFileSync(join(repoRoot, "dist", "cli", "commands", "build.js"), "utf8");
    const found = /new URL\("([^"]*plan-worker\.js)", import\.meta\.url\)/.exec(bundle);
    expect(found).not.toBeNull();
    expect(existsSync(resolve(dirname(join(repoRoot, "dist", "cli", "commands", "build.js")), found![1]!))).toBe(true);
  });

  it("--out - to a file: the same bytes and the same JSON report as one thread", () => {
    const one = toFile(0);
    const two = toFile(2);
    expect(one.code).toBe(1); // the bad rows are errors
    expect(two.code).toBe(1);
    expect(two.sha).toBe(one.sha);
    expect(two.stderr).toBe(one.stderr);
    const report = JSON.parse(one.stderr) as { diagnostics: Array<{ code: string; row?: number }> };
    const codes = report.diagnostics.map((d) => d.code);
    expect(codes.filter((c) => c === "duplicate-recipient")).toHaveLength(Math.floor((ROWS - 18) / 5003) + 1);
    expect(codes.filter((c) => c === "phone-invalid")).toHaveLength(Math.floor((ROWS - 4) / 7919) + 1);
    expect(one.bytes).toBeGreaterThan(ROWS * 500);
  }, 120_000);

  it("--out - to a pipe: the same bytes", async () => {
    const [one, two] = [await toPipe(0), await toPipe(2)];
    expect(two).toEqual(one);
    const valid = (i: number): boolean => i % 7919 !== 3 && i % 6007 !== 9;
    const planned = Array.from({ length: ROWS }, (_, i) => i).filter((i) => valid(i) && i % 5003 !== 17);
    expect(one.lines).toBe(planned.length);
  }, 120_000);

  it("--out DIR: the same plan file and manifest", () => {
    for (const threads of [0, 2]) {
      const r = spawnSync(process.execPath, [cliPath, "build", "--out", `plan-${threads}`, "--quiet"], { cwd: project, env: env(threads), timeout: 60_000 });
      expect(r.status).toBe(1);
    }
    const read = (threads: number, file: string): string => readFileSync(join(project, `plan-${threads}`, file), "utf8");
    expect(read(2, "manifest.json")).toBe(read(0, "manifest.json"));
    expect(read(2, "campaigns/big.ndjson") === read(0, "campaigns/big.ndjson")).toBe(true);
    expect(JSON.parse(read(2, "manifest.json")).campaigns[0]).toMatchObject({ rows: ROWS, complete: true });
  }, 120_000);
});
