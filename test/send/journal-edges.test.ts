/**
 * The journal at its edges (issue 9, items 1 to 7): possible duplicates counted across runs, a
 * disk that fills up mid-write, other targets, damaged entries, --force that is not sticky, and
 * replay of journals too big to read whole.
 */
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { send, summaryExitCode } from "../../src/runner/send/index.js";
import type { SendOptions, SendSummary } from "../../src/runner/send/index.js";
import { JournalState } from "../../src/runner/send/journal-replay.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import type { PlanItem } from "../../src/compiler/plan.js";
import { InputError, UsageError } from "../../src/errors.js";
import { API_KEY, canMount, countByRecipient, journalHeader as header, journalIntent as intent, journalOutcome as outcome, makeItems, numberOf, planHashOf, sendToSandbox, tempDir, useSandbox, useTmpfs } from "./helpers.js";

const sandboxWith = useSandbox(API_KEY);

function sendTo(box: Sandbox, items: PlanItem[], extra: Partial<SendOptions> = {}): Promise<SendSummary> {
  return sendToSandbox(box, items, { concurrency: 8, backoff: { baseMs: 1, capMs: 5 }, ...extra });
}

const lines = (...entries: string[]): string => `${entries.join("\n")}\n`;

describe("possible duplicates are reported by every run, not only the one that made them", () => {
  it("a 5xx then a success, then killed: the resume counts it as possibly duplicated in an earlier run", async () => {
    const items = makeItems(3);
    const [k0, k1] = items.map((i) => i.key);
    const box = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    writeFileSync(
      journal,
      lines(
        header(await planHashOf(items), box),
        intent(k0!),
        outcome(k0!, "retry", { status: 503, messageId: null, errorCode: "HTTP_503", ambiguous: true }),
        intent(k0!, 2),
        outcome(k0!, "sent", { attempt: 2, messageId: "m-k0" }),
        intent(k1!),
        outcome(k1!, "sent"),
      ),
    );
    const report = join(tempDir(), "report.json");
    const summary = await sendTo(box, items, { journal, resume: true, report });
    expect(summary).toMatchObject({ skipped: 2, sent: 1, possiblyDuplicated: 1, possiblyDuplicatedEarlier: 1, possiblyDuplicatedKeys: [k0] });
    const recipients = (JSON.parse(readFileSync(report, "utf8")) as { recipients: Array<Record<string, unknown>> }).recipients;
    expect(recipients.find((r) => r["key"] === k0)).toEqual({
      key: k0,
      form: "template",
      status: "skipped",
      fallback: false,
      messageId: "m-k0",
      errorCode: null,
      errorMessage: null,
      httpStatus: 200,
      attempts: 2,
      ambiguousAttempts: 1,
      possiblyDuplicated: true,
    });
    // The count holds run after run.
    const again = await sendTo(box, items, { journal, resume: true });
    expect(again).toMatchObject({ skipped: 3, sent: 0, possiblyDuplicated: 1, possiblyDuplicatedEarlier: 1, possiblyDuplicatedKeys: [k0] });
  });

  it("two unanswered intents, then a final failure: possibly duplicated although never seen sent", async () => {
    const items = makeItems(1);
    const [k0] = items.map((i) => i.key);
    const box = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    writeFileSync(journal, lines(header(await planHashOf(items), box), intent(k0!), intent(k0!, 2), outcome(k0!, "failed", { attempt: 3, status: 400, messageId: null, errorCode: "ERROR_CODE_BAD" })));
    const summary = await sendTo(box, items, { journal, resume: true });
    expect(summary).toMatchObject({ failedEarlier: 1, failedEarlierByCode: { ERROR_CODE_BAD: 1 }, possiblyDuplicated: 0 });
    writeFileSync(journal, lines(header(await planHashOf(items), box), intent(k0!), intent(k0!, 2), intent(k0!, 3)));
    const unknown = await sendTo(box, items, { journal, resume: true });
    expect(unknown).toMatchObject({ unknown: 1, possiblyDuplicated: 1, possiblyDuplicatedEarlier: 1 });
    expect(box.stats().requests).toBe(0);
  });
});

describe("a journal belongs to one target", () => {
  it("a resume against another API or business is refused, and nothing is sent", async () => {
    const items = makeItems(4);
    const trial = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    expect((await sendTo(trial, items, { journal })).sent).toBe(4);
    const header = JSON.parse(readFileSync(journal, "utf8").split("\n")[0]!) as Record<string, unknown>;
    expect(header).toMatchObject({ version: 2, origin: new URL(trial.url).origin, businessId: "biz-1" });

    const real = await sandboxWith();
    const error = await sendTo(real, items, { journal, resume: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      `the journal ${journal} was written sending to ${new URL(trial.url).origin} (business biz-1), not ${new URL(real.url).origin} (business biz-1): what it says was sent went to that target`,
    );
    const otherBusiness = await sendTo(real, items, { journal, resume: true, baseUrl: trial.url, businessId: "biz-2" }).catch((e: unknown) => e);
    expect((otherBusiness as Error).message).toContain("(business biz-1), not");
    expect(real.stats().requests).toBe(0);
  });
});

describe("a damaged journal is refused with its line, never trusted", () => {
  const cases: Array<[string, (k: string) => string, string]> = [
    ["a null line", () => "null", "not an entry"],
    ["a number", () => "42", "not an entry"],
    ["an array", () => "[]", "not an entry"],
    ["junk", () => "hello there", "not JSON"],
    ["an unknown type", (k) => JSON.stringify({ type: "note", key: k }), "an entry of no known type"],
    ["an outcome with no form", (k) => JSON.stringify({ type: "outcome", key: k, attempt: 1, result: "sent", status: 200, messageId: null, errorCode: null, ambiguous: false }), "a malformed outcome"],
    ["a fractional attempt", (k) => outcome(k, "sent", { attempt: 1.5 }), "a malformed outcome"],
    ["attempt 0", (k) => outcome(k, "sent", { attempt: 0 }), "a malformed outcome"],
    ["an unknown result", (k) => outcome(k, "ok"), "a malformed outcome"],
    ["a status out of range", (k) => outcome(k, "sent", { status: 42 }), "a malformed outcome"],
    ["ambiguous as a string", (k) => outcome(k, "sent", { ambiguous: "no" }), "a malformed outcome"],
    ["an extra field", (k) => outcome(k, "sent", { sent: true }), "a malformed outcome"],
    ["an empty key", () => intent(""), "a malformed intent"],
    ["an intent with a bad form", (k) => JSON.stringify({ type: "intent", key: k, form: "sms", attempt: 1 }), "a malformed intent"],
    ["a header of another version", () => JSON.stringify({ type: "header", version: 1 }), "version 1; this msgc reads version 2"],
  ];
  it.each(cases)("%s", async (_name, entry, reason) => {
    const items = makeItems(2);
    const [k0, k1] = items.map((i) => i.key);
    const box = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    writeFileSync(journal, lines(header(await planHashOf(items), box), intent(k0!), entry(k0!), intent(k1!), outcome(k1!, "sent")));
    const error = await sendTo(box, items, { journal, resume: true }).catch((e: unknown) => e);
    expect(error).toEqual(new InputError(`the journal ${journal} is damaged at line 3 (${reason}); it cannot be resumed safely`));
    expect(box.stats().requests).toBe(0);
  });

  it("a line too long to be an entry is refused, not buffered", async () => {
    const items = makeItems(1);
    const box = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    writeFileSync(journal, lines(header(await planHashOf(items), box), `{"type":"intent","key":"${"x".repeat(200 * 1024)}"}`, intent(items[0]!.key)));
    const error = await sendTo(box, items, { journal, resume: true }).catch((e: unknown) => e);
    expect(error).toEqual(new InputError(`the journal ${journal} is damaged at line 2 (a line over 64 KiB); it cannot be resumed safely`));
  });

  it("a journal that is not a regular file is refused (a FIFO would hang, a device never ends)", async () => {
    const items = makeItems(1);
    const box = await sandboxWith();
    const dir = tempDir();
    const fifo = join(dir, "spring.ndjson");
    execFileSync("mkfifo", [fifo]);
    const error = await sendTo(box, items, { journal: fifo, resume: true }).catch((e: unknown) => e);
    expect(error).toEqual(new InputError(`the journal ${fifo} is not a regular file`));
    const device = await sendTo(box, items, { journal: "/dev/zero", resume: true, dryRun: true }).catch((e: unknown) => e);
    expect(device).toEqual(new InputError("the journal /dev/zero is not a regular file"));
    expect(box.stats().requests).toBe(0);
  });
});

describe("--force is not sticky", () => {
  it("after one --resume --force, the next plain --resume of the unchanged campaign goes on", async () => {
    const items = makeItems(3);
    const box = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    writeFileSync(journal, lines(header("sha256:old", box), intent(items[0]!.key), outcome(items[0]!.key, "sent")));
    await expect(sendTo(box, items, { journal, resume: true })).rejects.toThrow(UsageError);
    const forced = await sendTo(box, items, { journal, resume: true, force: true });
    expect(forced).toMatchObject({ skipped: 1, sent: 2 });
    const plain = await sendTo(box, items, { journal, resume: true });
    expect(plain).toMatchObject({ skipped: 3, sent: 0 });
    expect(summaryExitCode(plain)).toBe(0);
    // Changed again since the forced run: refused again.
    await expect(sendTo(box, makeItems(4), { journal, resume: true })).rejects.toThrow(UsageError);
  });
});

describe("replay streams journals of any size into compact state", () => {
  it("entries across read chunks, torn tails and many keys replay exactly", () => {
    const dir = tempDir();
    const path = join(dir, "big.ndjson");
    const count = 30_000;
    const parts = ['{"type":"header","version":2,"campaign":"c","planHash":"h","startedAt":"t","shard":null,"resumed":false,"origin":"http://x","businessId":"b"}'];
    for (let i = 0; i < count; i++) {
      const key = `c/${numberOf(i)}`;
      parts.push(intent(key));
      if (i % 3 === 0) parts.push(outcome(key, "sent", { messageId: `m-${i}-${"p".repeat(i % 50)}` }));
      else if (i % 3 === 1) parts.push(outcome(key, "failed", { status: 404, messageId: null, errorCode: `E${i}` }));
    }
    // Keys that are not a campaign's E.164 numbers still replay.
    parts.push(intent("other/key"), outcome("other/key", "sent", { messageId: "m-other" }));
    writeFileSync(path, `${parts.join("\n")}\n{"type":"outcome","key":"c/+16045550002","fo`);
    expect(readFileSync(path).length).toBeGreaterThan(2 * 1024 * 1024);
    const state = new JournalState();
    expect(state.replay(path)).toBe(true);
    expect(state.size).toBe(count + 1);
    for (const i of [0, 1, 2, 4_999, 17_476, count - 1]) {
      const key = `c/${numberOf(i)}`;
      const history = state.history(key)!;
      if (i % 3 === 0) {
        expect(history).toMatchObject({ sent: true, last: "sent", unknown: false });
        expect(state.lastOutcome(key)!.messageId).toBe(`m-${i}-${"p".repeat(i % 50)}`);
      } else if (i % 3 === 1) {
        expect(history).toMatchObject({ sent: false, last: "failed", lastStatus: 404 });
        expect(state.lastOutcome(key)!.errorCode).toBe(`E${i}`);
      } else {
        // The torn outcome at the end does not count: still unknown.
        expect(history).toMatchObject({ sent: false, last: null, unknown: true });
      }
    }
    expect(state.lastOutcome("other/key")!.messageId).toBe("m-other");
    expect(state.history(`c/${numberOf(count)}`)).toBeUndefined();
    state.close();
  });
});

// A disk that fills up mid-batch: a real small file system (tmpfs), which needs root to mount.
describe.skipIf(!canMount)("a full disk (tmpfs; skipped unless root on Linux)", () => {
  const mountTmpfs = useTmpfs();

  it("no request leaves without its whole intent on disk; the summary adds up; the resume sends each once", async () => {
    const mountPoint = mountTmpfs("16k");
    const items = makeItems(200);
    const box = await sandboxWith({ latencyMs: 2 });
    const journal = join(mountPoint, "journal", "spring.ndjson");
    mkdirSync(join(mountPoint, "journal"));
    const report = join(tempDir(), "report.json");
    const summary = await sendTo(box, items, { journal, report, concurrency: 16 });
    expect(summary.stopped).toMatch(/^stopped: cannot write the journal .*: ENOSPC$/);
    expect(summaryExitCode(summary)).toBe(1);
    expect(summary.sent + summary.failed + summary.unknown + summary.interrupted + summary.notAttempted).toBe(200);
    expect(summary.sent).toBeGreaterThan(0);
    // Every request that reached the sandbox has its intent on disk, whole.
    const journaled = new Set(
      readFileSync(journal, "utf8")
        .split("\n")
        .filter((l) => l.endsWith("}"))
        .map((l) => JSON.parse(l) as { type: string; key?: string })
        .filter((e) => e.type === "intent")
        .map((e) => e.key!.slice("spring/".length)),
    );
    const reached = countByRecipient(box);
    for (const [number, times] of reached) {
      expect(journaled.has(number)).toBe(true);
      expect(times).toBe(1);
    }
    expect((JSON.parse(readFileSync(report, "utf8")) as { summary: SendSummary }).summary).toMatchObject({ sent: summary.sent, unknown: summary.unknown });

    // Room again: the resume sends what was not sent, and leaves the unknowns alone.
    execFileSync("mount", ["-o", "remount,size=4m", mountPoint]);
    const resumed = await sendTo(box, items, { journal, resume: true });
    expect(resumed).toMatchObject({ skipped: summary.sent, unknown: summary.unknown, failed: 0 });
    expect(resumed.sent).toBe(200 - summary.sent - summary.unknown);
    const after = countByRecipient(box);
    const unknown = new Set(resumed.unknownKeys.map((k) => k.slice("spring/".length)));
    for (let i = 0; i < 200; i++) {
      if (unknown.has(numberOf(i))) expect(after.get(numberOf(i)) ?? 0).toBeLessThanOrEqual(1);
      else expect(after.get(numberOf(i))).toBe(1);
    }
    expect(existsSync(`${journal}.lock`)).toBe(false);
  });
});
