/**
 * The send journal, attacked: races between runs of different shard layouts and between lock
 * takers, hostile journal lines (attempt numbers past 2^32, bytes that are not UTF-8), and the
 * compact replay state checked against a plain Map-based replay of the same random journals.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { send } from "../../src/runner/send/index.js";
import type { SendOptions, SendSummary } from "../../src/runner/send/index.js";
import { tryLock } from "../../src/runner/send/journal-lock.js";
import { JournalState } from "../../src/runner/send/journal-replay.js";
import type { KeyHistory } from "../../src/runner/send/journal-replay.js";
import { JournalWriter } from "../../src/runner/send/journal.js";
import type { OutcomeEntry } from "../../src/runner/send/journal.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import type { PlanItem } from "../../src/compiler/plan.js";
import { InputError } from "../../src/errors.js";
import { API_KEY, canMount, countByRecipient, makeItems, sendToSandbox, tempDir, useSandbox, useTmpfs } from "./helpers.js";

const sandboxWith = useSandbox(API_KEY);

function sendTo(box: Sandbox, items: PlanItem[], extra: Partial<SendOptions>): Promise<SendSummary> {
  return sendToSandbox(box, items, { concurrency: 8, journal: false, backoff: { baseMs: 1, capMs: 5 }, ...extra });
}

const HEADER = JSON.stringify({
  type: "header",
  version: 2,
  campaign: "spring",
  planHash: "sha256:0",
  startedAt: "2026-11-24T08:00:00.000Z",
  shard: null,
  resumed: false,
  origin: "http://127.0.0.1:9",
  businessId: "biz-1",
});

describe("runs of different shard layouts started together", () => {
  it("a fresh --shard 1/2 run is refused while an unsharded run of the campaign holds its lock but has not written its journal yet", async () => {
    const box = await sandboxWith();
    const items = makeItems(40);
    const dir = tempDir();
    let confirmed!: () => void;
    let asked!: () => void;
    const waiting = new Promise<void>((resolve) => (asked = resolve));
    // The unsharded run stops at its confirmation (a person reading the prompt): locked, no journal yet.
    const first = sendTo(box, items, {
      journal: join(dir, "spring.ndjson"),
      confirm: () => {
        asked();
        return new Promise<boolean>((resolve) => (confirmed = () => resolve(true)));
      },
    });
    await waiting;
    const second = await sendTo(box, items, { journal: join(dir, "spring.shard-1-of-2.ndjson"), shard: { index: 1, count: 2 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    confirmed();
    await first;
    expect(second).toBeInstanceOf(InputError);
    expect((second as Error).message).toBe(
      `another msgc send is using the journal ${join(dir, "spring.ndjson")} of the same campaign (unsharded); runs with different shard layouts cannot run at once`,
    );
    const counts = countByRecipient(box);
    expect(counts.size).toBe(40);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
  });

  it("a lock file left by a killed run (nobody holds it, no journal) refuses nothing", async () => {
    const box = await sandboxWith();
    const items = makeItems(10);
    const dir = tempDir();
    writeFileSync(join(dir, "spring.ndjson.lock"), "");
    const summary = await sendTo(box, items, { journal: join(dir, "spring.shard-1-of-2.ndjson"), shard: { index: 1, count: 2 } });
    expect(summary.stopped).toBeNull();
    expect(summary.sent).toBe(summary.total);
  });

  it("spring-sale's lock is not spring's: a run of spring is not refused by a run of spring-sale", () => {
    const dir = tempDir();
    const other = tryLock(join(dir, "spring-sale.ndjson"))!;
    try {
      const own = tryLock(join(dir, "spring.shard-1-of-2.ndjson"));
      expect(own).toBeDefined();
      own!();
    } finally {
      other();
    }
  });
});

describe("the journal lock against takers racing a release", () => {
  it("a taker that found no lock file, opened the one a run then released and removed, and locked it, does not hold the lock beside the run that locked the new file", () => {
    const dir = tempDir();
    const journal = join(dir, "spring.ndjson");
    writeFileSync(join(dir, "keep"), "");
    // Between opening the lock file and locking it (SQLite's pragma runs there), another run
    // takes the lock and releases it (removing the file), and a third takes a new one.
    const Database = createRequire(import.meta.url)("better-sqlite3") as { prototype: { pragma: (...args: unknown[]) => unknown } };
    const pragma = Database.prototype.pragma;
    let third: (() => void) | undefined;
    let interleaved = false;
    Database.prototype.pragma = function (this: unknown, ...args: unknown[]) {
      if (!interleaved) {
        interleaved = true;
        const second = tryLock(journal);
        expect(second).toBeDefined();
        second!();
        third = tryLock(journal);
      }
      return pragma.apply(this, args);
    };
    let first: (() => void) | undefined;
    try {
      first = tryLock(journal);
    } finally {
      Database.prototype.pragma = pragma;
    }
    expect(interleaved).toBe(true);
    expect(third).toBeDefined();
    // Two holders of one journal's lock would both send.
    expect(first).toBeUndefined();
    first?.();
    third?.();
  });
});

describe("hostile journal lines", () => {
  function replayOf(text: string | Buffer): JournalState {
    const path = join(tempDir(), "spring.ndjson");
    writeFileSync(path, text);
    const state = new JournalState();
    state.replay(path);
    return state;
  }

  it("an attempt number of 2^32 or more is refused with its line, not wrapped to a small one", () => {
    const line = JSON.stringify({ type: "intent", key: "spring/+16045550001", form: "template", attempt: 2 ** 32 + 1 });
    expect(() => replayOf(`${HEADER}\n${line}\n`)).toThrow(/is damaged at line 2 \(a malformed intent\); it cannot be resumed safely$/);
  });

  it("the largest attempt number a journal holds (2^32 - 1) replays exactly", () => {
    const line = JSON.stringify({ type: "intent", key: "spring/+16045550001", form: "template", attempt: 2 ** 32 - 1 });
    expect(replayOf(`${HEADER}\n${line}\n`).history("spring/+16045550001")?.attempts).toBe(2 ** 32 - 1);
  });

  it("a line whose bytes are not UTF-8 is refused with its line, not read with its bytes replaced", () => {
    const bad = Buffer.from(
      `${JSON.stringify({ type: "outcome", key: "spring/+1604555000X", form: "template", attempt: 1, result: "sent", status: 200, messageId: "m", errorCode: null, ambiguous: false })}\n`,
    );
    bad[bad.indexOf("X")] = 0xff;
    const text = Buffer.concat([Buffer.from(`${HEADER}\n${JSON.stringify({ type: "intent", key: "spring/+16045550001", form: "template", attempt: 1 })}\n`), bad]);
    expect(() => replayOf(text)).toThrow(/is damaged at line 3 \(not UTF-8\); it cannot be resumed safely$/);
  });

  it("a torn last line that is not UTF-8 (cut mid-character) is still only a torn line", () => {
    const torn = Buffer.from(JSON.stringify({ type: "intent", key: "spring/+16045550002é", form: "template", attempt: 1 }));
    const text = Buffer.concat([Buffer.from(`${HEADER}\n`), torn.subarray(0, torn.indexOf(0xc3) + 1)]);
    expect(replayOf(text).size).toBe(0);
  });
});

describe("the summary adds up on every stop path", () => {
  const settled = (s: SendSummary): number =>
    s.sent + s.failed + s.unknown + s.skipped + s.failedEarlier + s.interrupted + s.notAttempted;

  // A cancelled resume counts what it would have sent as not attempted, and the recipients the
  // journal already settles as it settles them (sent: skipped; unknown; failed earlier).
  it("a resume cancelled at its confirmation counts the recipients its journal settles", async () => {
    const box = await sandboxWith();
    const items = makeItems(10);
    const journal = join(tempDir(), "spring.ndjson");
    await sendTo(box, items.slice(0, 4), { journal });
    const cancelled = await sendTo(box, items, { journal, resume: true, force: true, confirm: () => Promise.resolve(false) });
    expect(cancelled).toMatchObject({ cancelled: true, notAttempted: 6, skipped: 4, total: 10 });
    expect(settled(cancelled)).toBe(cancelled.total);
  });

  it("a resume stopped by a refused key adds up", async () => {
    const box = await sandboxWith();
    const items = makeItems(10);
    const journal = join(tempDir(), "spring.ndjson");
    await sendTo(box, items.slice(0, 4), { journal });
    const stopped = await sendTo(box, items, { journal, resume: true, force: true, apiKey: "wrong-key", concurrency: 1 });
    expect(stopped.stopped).toMatch(/^stopped: the API refused the key/);
    expect(stopped.skipped).toBe(4);
    expect(settled(stopped)).toBe(stopped.total);
  });
});

describe.skipIf(!canMount)("a batch the disk cuts short (tmpfs; skipped unless root on Linux)", () => {
  const mountTmpfs = useTmpfs();

  it("leaves none of its lines in the journal: whole lines of a failed batch would read as unknown or as sent", async () => {
    const mountPoint = mountTmpfs("16k");
    const path = join(mountPoint, "spring.ndjson");
    const writer = await JournalWriter.open(path);
    await writer.writeDurable(JSON.parse(HEADER) as Parameters<JournalWriter["writeDurable"]>[0]);
    // The rest of the file system taken: the journal has what is left of its one page.
    try {
      writeFileSync(join(mountPoint, "filler"), Buffer.alloc(16 * 1024));
    } catch {
      // Full: as intended.
    }
    const writes = Array.from({ length: 100 }, (_, i) =>
      writer.writeDurable({ type: "intent", key: `spring/+1604555${String(i).padStart(4, "0")}`, form: "template", attempt: 1 }).then(
        () => "written",
        (e: unknown) => (e as Error).message,
      ),
    );
    const results = await Promise.all(writes);
    await writer.close().catch(() => undefined);
    expect(new Set(results)).toEqual(new Set([`cannot write the journal ${path}: ENOSPC`]));
    expect(readFileSync(path, "utf8")).toBe(`${HEADER}\n`);
  });
});

describe.skipIf(!canMount)("a disk that fills up while recipients are between retries (tmpfs; skipped unless root on Linux)", () => {
  const mountTmpfs = useTmpfs();

  // A recipient whose retry outcome (written lazily) was lost with the failed batch has no outcome
  // on disk after its last intent: the run counts it unknown, as the resume reads it.
  it("the run's summary says what its resume reads: unknown for unknown, sent for skipped", async () => {
    const mountPoint = mountTmpfs("16k");
    const items = makeItems(200);
    // Three runs: which recipients are between retries when the disk fills is up to the timing.
    for (let trial = 0; trial < 3; trial++) {
      const box = await sandboxWith({ failRate: 0.5, seed: 7 + trial });
      const journal = join(mountPoint, `spring-${trial}.ndjson`);
      execFileSync("mount", ["-o", "remount,size=16k", mountPoint]);
      const summary = await sendTo(box, items, { journal, concurrency: 16, maxAttempts: 50 });
      expect(summary.stopped).toMatch(/ENOSPC$/);
      execFileSync("mount", ["-o", "remount,size=4m", mountPoint]);
      const resumed = await sendTo(box, items, { journal, resume: true, dryRun: true });
      expect({ skipped: resumed.skipped, unknown: resumed.unknown }).toEqual({ skipped: summary.sent, unknown: summary.unknown });
      rmSync(journal);
    }
  });
});

// ---- The compact state against a plain replay -------------------------------------------------

/** What a journal says, replayed the obvious way: one object per key in a Map. */
function plainReplay(lines: readonly string[]): Map<string, KeyHistory & { lastOutcome: OutcomeEntry | undefined }> {
  const keys = new Map<string, KeyHistory & { lastOutcome: OutcomeEntry | undefined }>();
  for (const line of lines) {
    const entry = JSON.parse(line) as { type: string } & Record<string, unknown>;
    if (entry.type === "header") continue;
    const key = entry.key as string;
    let h = keys.get(key);
    if (!h) {
      h = { attempts: 0, sent: false, form: null, last: null, lastStatus: null, lastInvalidRequest: false, unknown: false, ambiguousAttempts: 0, fallback: false, suppressed: false, untracked: false, lastOutcome: undefined };
      keys.set(key, h);
    }
    if (entry.type === "suppressed") {
      h.suppressed = true;
      continue;
    }
    h.attempts = Math.max(h.attempts, entry.attempt as number);
    if (entry.type === "intent") {
      if (h.unknown) h.ambiguousAttempts++;
      h.unknown = true;
      h.form = entry.form as KeyHistory["form"];
      h.last = null;
    } else {
      const outcome = entry as unknown as OutcomeEntry;
      h.unknown = false;
      h.last = outcome.result;
      h.lastStatus = outcome.status;
      h.lastInvalidRequest = outcome.errorCode === "invalid-request";
      h.lastOutcome = outcome;
      if (outcome.ambiguous) h.ambiguousAttempts++;
      if (outcome.result === "fallback") h.fallback = true;
      if (outcome.result === "sent") {
        h.sent = true;
        h.form = outcome.form;
      }
    }
  }
  return keys;
}

/**
 * Numbers that differ in one digit, first or last: the key table scrambles them apart, and a
 * table that did not would put them side by side.
 */
const collidingNumbers = ((): string[] => {
  const found: string[] = [];
  for (let d = 0; d < 6; d++) found.push(`+1604555000${d}`, `+${d + 2}6045550000`);
  return found;
})();

const keyArb = fc.oneof(
  fc.constantFrom(...collidingNumbers).map((n) => `spring/${n}`),
  fc.constantFrom(...collidingNumbers.slice(0, 3)).map((n) => `spring-sale/${n}`),
  fc.constantFrom(...collidingNumbers.slice(0, 3)),
  fc.constantFrom("spring/+0123", "spring/+1604555000a", "spring/+16045550001/2", "spring/", "spring/é+1", "sprin/+16045550001", "spring/+1234567890123456", "spring/+999999999999999"),
);

const entryArb = fc.oneof(
  fc.record({ type: fc.constant("intent"), key: keyArb, form: fc.constantFrom("session", "template"), attempt: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(2 ** 32 - 1)) }),
  fc.record({
    type: fc.constant("outcome"),
    key: keyArb,
    form: fc.constantFrom("session", "template"),
    attempt: fc.integer({ min: 1, max: 6 }),
    result: fc.constantFrom("sent", "retry", "failed", "fallback"),
    status: fc.constantFrom(null, 200, 400, 429, 500),
    messageId: fc.constantFrom(null, "m-1", "ü-2"),
    errorCode: fc.constantFrom(null, "invalid-request", "HTTP_500"),
    ambiguous: fc.boolean(),
  }),
  fc.record({ type: fc.constant("suppressed"), key: keyArb, reason: fc.constantFrom("keyword", "manual") }),
);

function checkAgainstPlain(lines: string[], torn: string, path: string): void {
  writeFileSync(path, `${lines.join("\n")}\n${torn}`);
  const state = new JournalState();
  try {
    state.replay(path);
    const plain = plainReplay(lines);
    expect(state.size).toBe(plain.size);
    for (const [key, { lastOutcome, ...history }] of plain) {
      expect(state.history(key), key).toEqual(history);
      expect(state.lastOutcome(key), key).toEqual(lastOutcome);
    }
    expect(state.history("spring/+16045559999")).toBeUndefined();
  } finally {
    state.close();
  }
}

describe("the compact replay state gives exactly what a plain Map-based replay gives", () => {
  it("random journals: mixed key prefixes, colliding numbers, a torn last line", () => {
    const dir = tempDir();
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 60 }), fc.string({ maxLength: 30 }), (entries, torn) => {
        const lines = [HEADER, ...entries.map((e) => JSON.stringify(e))];
        checkAgainstPlain(lines, torn.replace(/\n/g, ""), join(dir, "spring.ndjson"));
      }),
      { numRuns: 300 },
    );
  });

  it("random journals of long lines that straddle the 1 MiB read chunk", () => {
    const dir = tempDir();
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 30, maxLength: 40 }), fc.integer({ min: 30_000, max: 60_000 }), (entries, width) => {
        // Long message ids make lines of tens of KiB, so that several fall across chunk ends.
        const lines = [HEADER, ...entries.map((e, i) => JSON.stringify(e.type === "outcome" ? { ...e, messageId: `${i}`.padEnd(width, "x") } : e))];
        checkAgainstPlain(lines, "", join(dir, "spring.ndjson"));
      }),
      { numRuns: 8 },
    );
  });

  it("thousands of numbers through the table's growth, with other prefixes between them", () => {
    const lines = [HEADER];
    for (let i = 0; i < 5000; i++) {
      const key = i % 7 === 0 ? `spring-sale/+1604555${String(i).padStart(4, "0")}` : `spring/+1604555${String(i).padStart(4, "0")}`;
      lines.push(JSON.stringify({ type: "intent", key, form: "session", attempt: 1 }));
      if (i % 3 !== 0) lines.push(JSON.stringify({ type: "outcome", key, form: "session", attempt: 1, result: i % 5 ? "sent" : "retry", status: i % 5 ? 200 : 500, messageId: `m${i}`, errorCode: null, ambiguous: i % 5 === 0 }));
    }
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    checkAgainstPlain(lines, "", join(dir, "spring.ndjson"));
  });
});
