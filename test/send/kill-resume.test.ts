/**
 * The send promise under kills, races and layout changes, with the real binary against the real
 * sandbox: every recipient gets the message once or is named (possibly duplicated, unknown), and
 * nothing is lost. MSGC_KILL_TRIALS and MSGC_KILL_RECIPIENTS make the kill test larger than the
 * suite's; it then prints its figures.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt } from "../cli/helpers.js";
import { notesProject, runCli, startCli } from "./cli-helpers.js";
import type { RunResult } from "./cli-helpers.js";
import { createRandom } from "../../src/sandbox/prng.js";
import { countByRecipient, NOTE_TEMPLATE, useSandbox, whenRequests } from "./helpers.js";

const KEY = "ck_live_kill_test_5a4b3c2d1e";
const sandboxWith = useSandbox(KEY, { templates: [NOTE_TEMPLATE] });
const env = { CONNECTLY_API_KEY: KEY };

beforeAll(() => ensureBuilt());

interface Summary {
  sent: number;
  skipped: number;
  unknown: number;
  unknownKeys: string[];
  possiblyDuplicated: number;
  possiblyDuplicatedKeys: string[];
}

function summaryOf(result: RunResult): Summary {
  return (JSON.parse(result.stdout) as { summary: Summary }).summary;
}

describe("kill -9 at random points, with accept-then-fail and resets on", () => {
  const trials = Number(process.env["MSGC_KILL_TRIALS"] ?? 3);
  const recipients = Number(process.env["MSGC_KILL_RECIPIENTS"] ?? 120);

  it(`${trials} trials of ${recipients} recipients: 0 lost, every recipient held twice is flagged`, async () => {
    const totals = { trials: 0, recipients: 0, kills: 0, duplicated: 0, flagged: 0, unflagged: 0, lost: 0 };
    for (let trial = 0; trial < trials; trial++) {
      const random = createRandom(1000 + trial); // seeded, so that a failing trial can be replayed
      const box = await sandboxWith({ latencyMs: 3, jitterMs: 3, acceptThenFailRate: 0.08, resetRate: 0.05, seed: trial + 1 });
      const dir = notesProject(recipients);
      const args = ["notes", "--base-url", box.url, "--yes", "--rate", "200", "--concurrency", "8", "--format", "json", "--show-numbers", "--max-failures", "100%"];
      // Up to three killed runs, each after a random number of requests, then runs to the end.
      let resume = false;
      const kills = 1 + Math.floor(random() * 3);
      for (let k = 0; k < kills; k++) {
        const before = box.stats().requests;
        const run = startCli(["send", ...args, ...(resume ? ["--resume", "--retry-unknown"] : [])], { cwd: dir, env });
        const killAt = before + 1 + Math.floor(random() * recipients * 0.6);
        let killed = false;
        const watch = whenRequests(box, killAt, () => {
          killed = true;
          run.kill("SIGKILL");
        });
        const result = await run.result;
        if (!killed) expect(result.stderr).toBe("");
        await Promise.race([watch, new Promise((r) => setTimeout(r, 10))]);
        if (result.signal === "SIGKILL") totals.kills++;
        resume = true;
      }
      let final: Summary | undefined;
      for (let round = 0; round < 5 && (final === undefined || final.unknown > 0 || final.sent + final.skipped < recipients); round++) {
        const result = await runCli(["send", ...args, "--resume", "--retry-unknown"], { cwd: dir, env });
        expect(result.stderr).toBe("");
        final = summaryOf(result);
      }
      const counts = countByRecipient(box);
      const flagged = new Set(final!.possiblyDuplicatedKeys.map((k) => k.slice("notes/".length)));
      const twice = [...counts].filter(([, n]) => n > 1).map(([number]) => number);
      const unflagged = twice.filter((number) => !flagged.has(number));
      totals.trials++;
      totals.recipients += recipients;
      totals.duplicated += twice.length;
      totals.flagged += twice.length - unflagged.length;
      totals.unflagged += unflagged.length;
      totals.lost += recipients - counts.size;
      expect(unflagged).toEqual([]);
      expect(counts.size).toBe(recipients);
      expect(final!.unknown).toBe(0);
    }
    if (process.env["MSGC_KILL_TRIALS"]) console.log(`kill trials: ${JSON.stringify(totals)}`);
  }, 300_000);
});

describe("only one run holds a journal", () => {
  it("two resumes started together, again and again: one sends, the other is refused; nobody twice", async () => {
    for (let trial = 0; trial < 4; trial++) {
      const box = await sandboxWith({ latencyMs: 5 });
      const dir = notesProject(80);
      const args = ["notes", "--base-url", box.url, "--yes", "--rate", "200", "--concurrency", "4", "--format", "json", "--show-numbers"];
      const first = startCli(["send", ...args], { cwd: dir, env });
      await Promise.race([whenRequests(box, 10, () => first.kill("SIGKILL")), first.result]);
      expect((await first.result).signal).toBe("SIGKILL");
      const [a, b] = await Promise.all([runCli(["send", ...args, "--resume"], { cwd: dir, env }), runCli(["send", ...args, "--resume"], { cwd: dir, env })]);
      const refused = [a, b].filter((r) => r.code === 1 && r.stderr.includes("another msgc send is using the journal"));
      // Both may succeed only one after the other (the second finds everything done).
      if (refused.length === 0) expect([summaryOf(a).sent, summaryOf(b).sent].sort()).toEqual([0, summaryOf(a).sent + summaryOf(b).sent]);
      else expect(refused[0]!.stderr).toBe(`msgc send: another msgc send is using the journal ${join(dir, ".msgc/journal/notes.ndjson")}; wait for it to finish\n`);
      expect([...countByRecipient(box).values()].every((n) => n === 1)).toBe(true);
      expect(existsSync(join(dir, ".msgc/journal/notes.ndjson.lock"))).toBe(false);
    }
  }, 120_000);
});

describe("a changed shard layout is refused or replayed, never sent blind", () => {
  it("after --shard 1/3..3/3, unsharded is refused; --resume unsharded or --shard 1/2 sends nobody again", async () => {
    const box = await sandboxWith();
    const dir = notesProject(60);
    const base = ["notes", "--base-url", box.url, "--yes", "--format", "json"];
    for (const shard of ["1/3", "2/3", "3/3"]) expect((await runCli(["send", ...base, "--shard", shard], { cwd: dir, env })).code).toBe(0);
    const blind = await runCli(["send", ...base], { cwd: dir, env });
    expect(blind.code).toBe(64);
    expect(blind.stderr).toBe(
      "msgc send: this campaign was sent (or started) before with another shard layout (--shard 1/3, --shard 2/3, --shard 3/3): sending again from scratch would send twice\n" +
        "Add --resume to send only what none of its journals knows to be sent (the journals of every layout are read).\n",
    );
    const halves = await runCli(["send", ...base, "--shard", "1/2"], { cwd: dir, env });
    expect(halves.code).toBe(64);
    const resumed = await runCli(["send", ...base, "--resume"], { cwd: dir, env });
    expect(summaryOf(resumed)).toMatchObject({ sent: 0, skipped: 60 });
    const half = await runCli(["send", ...base, "--shard", "1/2", "--resume"], { cwd: dir, env });
    expect(half.code).toBe(0);
    expect(summaryOf(half).sent).toBe(0);
    expect([...countByRecipient(box).values()]).toEqual(Array(60).fill(1));
    expect(readdirSync(join(dir, ".msgc/journal")).sort()).toEqual(["notes.ndjson", "notes.shard-1-of-2.ndjson", "notes.shard-1-of-3.ndjson", "notes.shard-2-of-3.ndjson", "notes.shard-3-of-3.ndjson"]);
  });

  it("one shard of three sent, then unsharded --resume sends exactly the other two thirds", async () => {
    const box = await sandboxWith();
    const dir = notesProject(60);
    const base = ["notes", "--base-url", box.url, "--yes", "--format", "json"];
    const one = summaryOf(await runCli(["send", ...base, "--shard", "1/3"], { cwd: dir, env }));
    const rest = summaryOf(await runCli(["send", ...base, "--resume"], { cwd: dir, env }));
    expect(rest).toMatchObject({ skipped: one.sent, sent: 60 - one.sent });
    expect([...countByRecipient(box).values()]).toEqual(Array(60).fill(1));
  });
});
