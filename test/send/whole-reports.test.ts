/**
 * `send --report FILE`, `status --out FILE` and `status --report FILE` are written whole or not
 * at all (src/runner/atomic-file.ts): a kill or a full disk mid-write leaves the previous file as
 * it was, a FIFO or a device is refused with one line, and a link is written where it points.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { notesProject, runCli, startCli } from "./cli-helpers.js";
import { canMount, NOTE_TEMPLATE, useSandbox, useTmpfs, whenRequests } from "./helpers.js";

const KEY = "ck_live_whole_reports_6f5e4d";
const env = { CONNECTLY_API_KEY: KEY };
const sandboxWith = useSandbox(KEY, { templates: [NOTE_TEMPLATE] });
const TEMPORARY = /^\.r\.json\.\d+\.tmp$/;

beforeAll(() => ensureBuilt());

function sendArgs(url: string, ...more: string[]): string[] {
  return ["send", "notes", "--base-url", url, "--yes", ...more];
}

describe("send --report: whole or not at all", () => {
  it("kill -9 mid-send: the previous report is as it was (the temporary beside it); a resume writes it whole", async () => {
    const box = await sandboxWith();
    const dir = notesProject(200);
    writeFileSync(join(dir, "r.json"), "earlier\n");
    const run = startCli(sendArgs(box.url, "--report", "r.json"), { cwd: dir, env });
    const watch = whenRequests(box, 50, () => run.kill("SIGKILL"));
    expect((await run.result).signal).toBe("SIGKILL");
    await watch;
    expect(readFileSync(join(dir, "r.json"), "utf8")).toBe("earlier\n");
    expect(readdirSync(dir).filter((n) => TEMPORARY.test(n))).toHaveLength(1);
    // Its exit code says whether what was in flight at the kill is unknown: not what this is about.
    const resumed = await runCli(sendArgs(box.url, "--resume", "--report", "r.json"), { cwd: dir, env });
    expect(resumed.stderr).toBe("");
    // Every recipient, one entry each (sent now, skipped as sent before, or unknown from the kill).
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { recipients: { key: string }[]; summary: { total: number } };
    expect([report.recipients.length, new Set(report.recipients.map((r) => r.key)).size, report.summary.total]).toEqual([200, 200, 200]);
  });

  it("SIGINT: the run stops, the report is whole (what it reached, the summary), no temporary left", async () => {
    const box = await sandboxWith();
    const dir = notesProject(200);
    const run = startCli(sendArgs(box.url, "--report", "r.json"), { cwd: dir, env });
    const watch = whenRequests(box, 50, () => run.kill("SIGINT"));
    const result = await run.result;
    await watch;
    expect(result.stdout).toContain("interrupted");
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { recipients: unknown[]; summary: { stopped: string } };
    expect(report.recipients.length).toBeGreaterThan(0);
    expect(report.summary.stopped).toMatch(/^interrupted/);
    expect(readdirSync(dir).filter((n) => TEMPORARY.test(n))).toEqual([]);
  });

  it("an existing report keeps its mode; a link to one is written where it points and stays a link", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    writeFileSync(join(dir, "r.json"), "earlier\n");
    chmodSync(join(dir, "r.json"), 0o600);
    mkdirSync(join(dir, "reports"));
    writeFileSync(join(dir, "reports", "real.json"), "earlier\n");
    symlinkSync(join(dir, "reports", "real.json"), join(dir, "link.json"));
    const r = await runCli(sendArgs(box.url, "--report", "r.json"), { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(statSync(join(dir, "r.json")).mode & 0o777).toBe(0o600);
    const linked = await runCli(sendArgs(box.url, "--report", "link.json", "--journal", "j2.ndjson"), { cwd: dir, env });
    expect(linked.code).toBe(0);
    expect(lstatSync(join(dir, "link.json")).isSymbolicLink()).toBe(true);
    expect((JSON.parse(readFileSync(join(dir, "reports", "real.json"), "utf8")) as { recipients: unknown[] }).recipients).toHaveLength(3);
  });
});

describe("send --report over what the send reads", () => {
  it("the journal, the store or a file in the journal folder: exit 64, one line, nothing sent, nothing replaced", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    expect((await runCli(sendArgs(box.url), { cwd: dir, env })).code).toBe(0);
    writeFileSync(join(dir, ".msgc", "msgc.db"), "");
    const journal = readFileSync(join(dir, ".msgc", "journal", "notes.ndjson"), "utf8");
    const sent = box.messages().length;
    for (const [given, what] of [
      [".msgc/journal/notes.ndjson", "is the journal"],
      [".msgc/msgc.db", "is the store"],
      [".msgc/journal/r.json", "is in the journal folder"],
    ]) {
      const r = await runCli(sendArgs(box.url, "--resume", "--report", given!), { cwd: dir, env });
      expect([r.code, r.stdout, r.stderr]).toEqual([64, "", `msgc send: --report ${given} ${what} that send reads; write it to another file\n`]);
    }
    expect(readFileSync(join(dir, ".msgc", "journal", "notes.ndjson"), "utf8")).toBe(journal);
    expect(box.messages()).toHaveLength(sent);
  });
});

describe("status --out: whole or not at all", () => {
  it("a FIFO inside the project: refused at once with one line (no hang), exit 1, nothing left", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    expect((await runCli(sendArgs(box.url), { cwd: dir, env })).code).toBe(0);
    execFileSync("mkfifo", [join(dir, "s.fifo")]);
    const r = await runCli(["status", "notes", "--out", "s.fifo"], { cwd: dir });
    expect([r.code, r.stdout, r.stderr]).toEqual([1, "", "msgc status: cannot write s.fifo (not a regular file)\n"]);
    const report = await runCli(["status", "notes", "--report", "s.fifo"], { cwd: dir });
    expect([report.code, report.stderr]).toEqual([1, `msgc status: cannot write the report ${join(dir, "s.fifo")} (not a regular file)\n`]);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});

describe.skipIf(!canMount)("a full disk (tmpfs; skipped unless root on Linux)", () => {
  const mountTmpfs = useTmpfs();

  /** Fills the tmpfs at `at` to the last byte. */
  function fill(at: string): void {
    try {
      writeFileSync(join(at, "filler"), Buffer.alloc(1024 * 1024));
    } catch {
      // Full: as intended.
    }
  }

  it("send --report: every message sent, one line, exit 1, the previous report untouched, no temporary left", async () => {
    const box = await sandboxWith();
    const dir = notesProject(300);
    const reports = mountTmpfs("16k", join(dir, "reports"));
    writeFileSync(join(reports, "r.json"), "earlier\n");
    const r = await runCli(sendArgs(box.url, "--report", "reports/r.json"), { cwd: dir, env });
    const path = join(dir, "reports", "r.json");
    expect([r.code, r.stderr]).toEqual([1, `msgc send: cannot write the report ${path}: ENOSPC\n`]);
    expect(r.stdout).toContain("\n  sent        300\n");
    expect(r.stdout).toContain(`\n  report      not written: cannot write the report ${path}: ENOSPC\n`);
    expect(box.messages()).toHaveLength(300);
    expect(readFileSync(path, "utf8")).toBe("earlier\n");
    expect(readdirSync(reports)).toEqual(["r.json"]);
  });

  it("status --out and --report: one line each, exit 1, the previous file untouched, no temporary left", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    expect((await runCli(sendArgs(box.url), { cwd: dir, env })).code).toBe(0);
    const out = mountTmpfs("16k", join(dir, "out"));
    writeFileSync(join(out, "s.html"), "earlier\n");
    writeFileSync(join(out, "r.ndjson"), "earlier\n");
    fill(out);
    const page = await runCli(["status", "notes", "--format", "html", "--out", "out/s.html"], { cwd: dir });
    expect([page.code, page.stdout, page.stderr]).toEqual([1, "", "msgc status: cannot write out/s.html (ENOSPC)\n"]);
    const report = await runCli(["status", "notes", "--report", "out/r.ndjson"], { cwd: dir });
    expect([report.code, report.stderr]).toEqual([1, `msgc status: cannot write the report ${join(dir, "out", "r.ndjson")} (ENOSPC)\n`]);
    expect(readFileSync(join(out, "s.html"), "utf8")).toBe("earlier\n");
    expect(readFileSync(join(out, "r.ndjson"), "utf8")).toBe("earlier\n");
    expect(readdirSync(out).sort()).toEqual(["filler", "r.ndjson", "s.html"]);
  });
});
