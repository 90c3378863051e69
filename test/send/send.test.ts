import { beforeAll, describe, expect, it } from "vitest";
import { dirname, join } from "node:path";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { send, shardOf, summaryExitCode } from "../../src/runner/send/index.js";
import type { SendOptions, SendSummary } from "../../src/runner/send/index.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import type { PlanItem } from "../../src/compiler/plan.js";
import { InputError, UsageError } from "../../src/cli/io.js";
import { ensureBuilt, repoRoot } from "../cli/helpers.js";
import { API_KEY, countByRecipient, journalHeader as header, journalIntent as intent, journalOutcome as outcome, makeItem, makeItems, numberOf, planHashOf, sendToSandbox, tempDir, useSandbox, withoutToken } from "./helpers.js";

const sandboxWith = useSandbox(API_KEY);

beforeAll(() => ensureBuilt());

const sendTo = sendToSandbox;

function readReport(path: string): { recipients: Array<Record<string, unknown>>; summary: SendSummary } {
  return JSON.parse(readFileSync(path, "utf8")) as { recipients: Array<Record<string, unknown>>; summary: SendSummary };
}

const HOUR = 60 * 60 * 1000;

describe("send: delivery", () => {
  it("delivers each recipient exactly once with the exact compiled body", async () => {
    const box = await sandboxWith();
    const items = makeItems(300);
    const summary = await sendTo(box, items);
    expect(summary).toMatchObject({ total: 300, sent: 300, failed: 0, requests: 300, fallbacks: 0, unknown: 0, skipped: 0 });
    expect(summaryExitCode(summary)).toBe(0);
    const messages = box.messages();
    expect(messages).toHaveLength(300);
    const byNumber = new Map(messages.map((m) => [(m.body as { number: string }).number, m]));
    for (let i = 0; i < 300; i++) {
      const message = byNumber.get(numberOf(i))!;
      expect(message.endpoint).toBe("whatsapp_templated_messages");
      expect(message.businessId).toBe("biz-1");
      expect(withoutToken(message.body)).toEqual(items[i]!.template!.body);
    }
  });

  it("retries 500s and connection resets until everything is sent, and never sends twice", async () => {
    const box = await sandboxWith({ failRate: 0.3, resetRate: 0.1, seed: 7 });
    const items = makeItems(200);
    const journal = join(tempDir(), "spring.ndjson");
    let summary = await sendTo(box, items, { journal, maxAttempts: 5 });
    let sent = summary.sent;
    // 0.4 ** 5 of the recipients exhaust their attempts; resuming retries exactly those.
    for (let run = 0; run < 5 && sent < 200; run++) {
      summary = await sendTo(box, items, { journal, resume: true });
      expect(summary.skipped).toBe(sent);
      sent += summary.sent;
    }
    expect(sent).toBe(200);
    const counts = countByRecipient(box);
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(box.stats().resets).toBeGreaterThan(0);
    expect(box.stats().byStatus["500"]).toBeGreaterThan(0);
  });

  it("accept-then-fail: every recipient the server has twice is reported as possibly duplicated", async () => {
    const box = await sandboxWith({ acceptThenFail: 0.3, seed: 3 });
    const items = makeItems(150);
    const report = join(tempDir(), "report.json");
    const summary = await sendTo(box, items, { report, maxAttempts: 5 });
    const counts = countByRecipient(box);
    const twice = [...counts].filter(([, n]) => n > 1).map(([number]) => `spring/${number}`);
    expect(twice.length).toBeGreaterThan(0);
    expect(counts.size).toBe(150);
    expect(summary.possiblyDuplicatedKeys.sort()).toEqual(twice.sort());
    const flagged = readReport(report).recipients.filter((r) => r["possiblyDuplicated"]).map((r) => r["key"]);
    expect(flagged.sort()).toEqual(twice.sort());
  });

  it("accept-then-fail on every request: attempts stop at maxAttempts and every copy is reported", async () => {
    const box = await sandboxWith({ acceptThenFail: true });
    const report = join(tempDir(), "report.json");
    const summary = await sendTo(box, makeItems(10), { report, maxAttempts: 3 });
    expect(summary).toMatchObject({ sent: 0, failed: 10, failedByCode: { ERROR_CODE_UNSPECIFIED: 10 }, possiblyDuplicated: 10 });
    expect([...countByRecipient(box).values()]).toEqual(Array(10).fill(3));
    const first = readReport(report).recipients[0]!;
    expect(first).toMatchObject({ status: "failed", attempts: 3, ambiguousAttempts: 3, possiblyDuplicated: true, httpStatus: 500, errorCode: "ERROR_CODE_UNSPECIFIED" });
  });

  it("a 429 storm slows the whole run down and it finishes with no failures", async () => {
    const box = await sandboxWith({ rate: 20 });
    const summary = await sendTo(box, makeItems(60), { rate: 60, concurrency: 8 });
    expect(summary.failed).toBe(0);
    expect(summary.sent).toBe(60);
    expect(summary.rateLimited).toBeGreaterThan(0);
    expect(box.stats().byStatus["429"]).toBe(summary.rateLimited);
    expect([...countByRecipient(box).values()].every((n) => n === 1)).toBe(true);
  });

  it("times out a request that never gets an answer and retries it", async () => {
    const box = await sandboxWith({ hangRate: 0.2, seed: 5 });
    const summary = await sendTo(box, makeItems(40), { timeoutMs: 150, maxAttempts: 8 });
    expect(summary.sent).toBe(40);
    expect(box.stats().hangs).toBeGreaterThan(0);
  });
});

describe("send: the 24-hour window", () => {
  it("chooses the form per recipient and falls back once to the template form", async () => {
    const now = Date.now();
    const box = await sandboxWith({
      inbound: [
        { from: numberOf(1), at: now - 1 * HOUR },
        { from: numberOf(2), at: now - 25 * HOUR },
      ],
    });
    const items = [
      makeItem(0, { lastInboundAt: null }), // never wrote: template
      makeItem(1, { lastInboundAt: new Date(now - 1 * HOUR).toISOString() }), // 1 h ago: session
      makeItem(2, { lastInboundAt: new Date(now - 25 * HOUR).toISOString() }), // 25 h ago: template
      // The audience thinks 3 wrote an hour ago; the API knows better: session refused, template sent.
      makeItem(3, { lastInboundAt: new Date(now - 1 * HOUR).toISOString() }),
      // Session only: refused, nothing to fall back to.
      makeItem(4, { window: "session", template: false }),
    ];
    const report = join(tempDir(), "report.json");
    const journal = join(tempDir(), "spring.ndjson");
    const summary = await sendTo(box, items, { report, journal, now: () => now, maxFailures: { kind: "count", count: 100 } });
    expect(summary).toMatchObject({ sent: 4, failed: 1, fallbacks: 1, requests: 6, failedByCode: { ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION: 1 } });
    const endpoints = new Map(box.messages().map((m) => [m.endpoint === "messages" ? (m.body as { recipient: { id: string } }).recipient.id : (m.body as { number: string }).number, m.endpoint]));
    expect(Object.fromEntries(endpoints)).toEqual({
      [numberOf(0)]: "whatsapp_templated_messages",
      [numberOf(1)]: "messages",
      [numberOf(2)]: "whatsapp_templated_messages",
      [numberOf(3)]: "whatsapp_templated_messages",
    });
    const rows = readReport(report).recipients.map((r) => [r["key"], r["form"], r["status"], r["fallback"], r["errorCode"]]);
    expect(rows.sort()).toEqual(
      [
        [`spring/${numberOf(0)}`, "template", "sent", false, null],
        [`spring/${numberOf(1)}`, "session", "sent", false, null],
        [`spring/${numberOf(2)}`, "template", "sent", false, null],
        [`spring/${numberOf(3)}`, "template", "sent", true, null],
        [`spring/${numberOf(4)}`, "session", "failed", false, "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION"],
      ].sort(),
    );
    const fallbackLine = readFileSync(journal, "utf8").split("\n").filter((l) => l.includes('"fallback"'));
    expect(fallbackLine.map((l) => JSON.parse(l))).toEqual([
      { type: "outcome", key: `spring/${numberOf(3)}`, form: "session", attempt: 1, result: "fallback", status: 400, messageId: null, errorCode: "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION", ambiguous: false },
    ]);
  });
});

describe("send: stopping early", () => {
  const sessionOnly = (n: number): PlanItem[] => makeItems(n, { window: "session", template: false });

  it("the default stops after 20 of the first 100 recipients fail", async () => {
    const box = await sandboxWith();
    const summary = await sendTo(box, sessionOnly(300), { concurrency: 4 });
    expect(summary.stopped).toBe("stopped early: 20 of the first 100 recipients failed");
    expect(summary.failed).toBeGreaterThanOrEqual(20);
    expect(summary.failed).toBeLessThanOrEqual(23);
    expect(summary.requests).toBe(summary.failed);
    expect(summary.failed + summary.notAttempted + summary.interrupted).toBe(300);
    expect(summaryExitCode(summary)).toBe(1);
  });

  it("--max-failures N stops after N", async () => {
    const box = await sandboxWith();
    const summary = await sendTo(box, sessionOnly(50), { concurrency: 1, maxFailures: { kind: "count", count: 5 } });
    expect(summary).toMatchObject({ failed: 5, requests: 5, notAttempted: 45, stopped: "stopped early: 5 recipients failed" });
  });
});

describe("send: a refused key", () => {
  it("stops the run at the first 401 instead of failing every recipient", async () => {
    const box = await sandboxWith();
    const summary = await sendTo(box, makeItems(100), { apiKey: "not-the-key", concurrency: 1 });
    expect(summary).toMatchObject({ failed: 1, requests: 1, notAttempted: 99, failedByCode: { ERROR_CODE_UNAUTHENTICATED: 1 } });
    expect(summary.stopped).toBe("stopped: the API refused the key (HTTP 401 ERROR_CODE_UNAUTHENTICATED)");
  });
});

describe("send: an unusable key", () => {
  it("a key with a line break is a usage error before anything is sent, without the key in it", async () => {
    const box = await sandboxWith();
    const error = await sendTo(box, makeItems(3), { apiKey: `${API_KEY}\nx` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      "the API key has characters an HTTP header cannot carry (spaces, line breaks or non-ASCII); check how it was copied",
    );
    expect(box.stats().requests).toBe(0);
  });
});

describe("send: shards", () => {
  it("shards 1/3, 2/3 and 3/3 together cover the audience exactly once", async () => {
    const box = await sandboxWith();
    const items = makeItems(90);
    const dir = tempDir();
    const totals: number[] = [];
    for (const index of [1, 2, 3]) {
      const summary = await sendTo(box, items, { shard: { index, count: 3 }, journal: join(dir, `spring.shard-${index}-of-3.ndjson`) });
      expect(summary.shard).toBe(`${index}/3`);
      expect(summary.sent).toBe(items.filter((i) => shardOf(i.key, 3) === index).length);
      totals.push(summary.sent);
    }
    expect(totals.every((t) => t > 15)).toBe(true);
    const counts = countByRecipient(box);
    expect(counts.size).toBe(90);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});

describe("send: journal, resume and lock", () => {
  it("resume skips what was sent, retries what failed, and lists unknowns without resending them", async () => {
    const items = makeItems(4);
    const [k0, k1, k2] = items.map((i) => i.key);
    const journal = join(tempDir(), "spring.ndjson");
    const box = await sandboxWith();
    writeFileSync(
      journal,
      [header(await planHashOf(items), box), intent(k0!), outcome(k0!, "sent"), intent(k1!), intent(k2!), outcome(k2!, "failed", { status: 500, messageId: null, errorCode: "ERROR_CODE_UNSPECIFIED", ambiguous: true })].join("\n") + "\n",
    );
    const summary = await sendTo(box, items, { journal, resume: true, showNumbers: false });
    // k2's 500 may have been accepted: its success now is reported as a possible duplicate.
    expect(summary).toMatchObject({ skipped: 1, unknown: 1, sent: 2, unknownKeys: ["spring/+1604•••0001"], possiblyDuplicatedKeys: ["spring/+1604•••0002"] });
    expect(summaryExitCode(summary)).toBe(1);
    expect([...countByRecipient(box).keys()].sort()).toEqual([numberOf(2), numberOf(3)]);

    const again = await sendTo(box, items, { journal, resume: true, retryUnknown: true });
    // k2's possible duplicate was made by the run before: this run counts it too (in an earlier run).
    expect(again).toMatchObject({ skipped: 3, unknown: 0, sent: 1, possiblyDuplicated: 2, possiblyDuplicatedEarlier: 1 });
    expect(again.possiblyDuplicatedKeys.sort()).toEqual([k1, k2]);
    expect(summaryExitCode(again)).toBe(0);
    // The retried unknown continues the attempt numbering.
    expect(readFileSync(journal, "utf8")).toContain(`{"type":"intent","key":"${k1}","form":"template","attempt":2}`);
  });

  it("a torn last line: a torn intent was never sent, and the journal stays resumable run after run", async () => {
    const items = makeItems(3);
    const [k0, k1] = items.map((i) => i.key);
    const journal = join(tempDir(), "spring.ndjson");
    // Killed while writing k1's intent: its request cannot have left (it goes after the newline).
    const torn = intent(k1!).slice(0, 30);
    const box = await sandboxWith();
    writeFileSync(journal, [header(await planHashOf(items), box), intent(k0!), outcome(k0!, "sent"), torn].join("\n"));
    const first = await sendTo(box, items, { journal, resume: true });
    expect(first).toMatchObject({ skipped: 1, unknown: 0, sent: 2, possiblyDuplicated: 0 });
    const lines = readFileSync(journal, "utf8").split("\n");
    expect(lines.includes(torn)).toBe(false);
    expect(lines).toContain(`{"type":"intent","key":"${k1}","form":"template","attempt":1}`);
    const second = await sendTo(box, items, { journal, resume: true });
    expect(second).toMatchObject({ skipped: 3, unknown: 0, sent: 0 });
    expect([...countByRecipient(box).keys()].sort()).toEqual([numberOf(1), numberOf(2)]);
  });

  it("resume leaves recipients refused for good (a final 4xx) alone, and --retry-failed sends them", async () => {
    const items = makeItems(6);
    const [k0, k1, k2, k3, k4] = items.map((i) => i.key);
    const failed = (key: string, status: number, errorCode: string): string =>
      outcome(key, "failed", { status, messageId: null, errorCode, ambiguous: status >= 500 });
    const journal = join(tempDir(), "spring.ndjson");
    const box = await sandboxWith();
    writeFileSync(
      journal,
      [
        header(await planHashOf(items), box),
        intent(k0!),
        failed(k0!, 400, "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND"),
        intent(k1!),
        failed(k1!, 401, "ERROR_CODE_UNAUTHENTICATED"),
        intent(k2!),
        failed(k2!, 429, "ERROR_CODE_RATE_LIMIT_EXCEEDED"),
        intent(k3!),
        failed(k3!, 408, "HTTP_408"),
        intent(k4!),
        failed(k4!, 404, "HTTP_404"),
      ].join("\n") + "\n",
    );
    const report = join(tempDir(), "report.json");
    const summary = await sendTo(box, items, { journal, resume: true, report });
    expect(summary).toMatchObject({
      sent: 4,
      failed: 0,
      skipped: 0,
      failedEarlier: 2,
      failedEarlierByCode: { ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND: 1, HTTP_404: 1 },
    });
    expect(summaryExitCode(summary)).toBe(1);
    expect([...countByRecipient(box).keys()].sort()).toEqual([numberOf(1), numberOf(2), numberOf(3), numberOf(5)]);
    const earlier = readReport(report).recipients.filter((r) => r["status"] === "failed-earlier");
    expect(earlier.map((r) => [r["key"], r["errorCode"], r["httpStatus"], r["attempts"]])).toEqual([
      [k0, "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", 400, 1],
      [k4, "HTTP_404", 404, 1],
    ]);

    const again = await sendTo(box, items, { journal, resume: true, retryFailed: true });
    expect(again).toMatchObject({ sent: 2, skipped: 4, failedEarlier: 0 });
    expect(summaryExitCode(again)).toBe(0);
    expect([...countByRecipient(box).values()]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("refuses to resume a changed plan without force, and resumes it with force", async () => {
    const items = makeItems(3);
    const journal = join(tempDir(), "spring.ndjson");
    const box = await sandboxWith();
    writeFileSync(journal, `${header("sha256:old", box)}\n`);
    await expect(sendTo(box, items, { journal, resume: true })).rejects.toThrow(UsageError);
    expect(box.stats().requests).toBe(0);
    const summary = await sendTo(box, items, { journal, resume: true, force: true });
    expect(summary.sent).toBe(3);
  });

  it("refuses an existing journal without --resume", async () => {
    const box = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    await sendTo(box, makeItems(2), { journal });
    const error = await sendTo(box, makeItems(2), { journal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`the journal ${journal} already exists: this campaign was sent (or started) before`);
    expect(box.messages()).toHaveLength(2);
  });

  it("refuses a second send while another process holds the lock, and takes it once that process is killed", async () => {
    const box = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    const lockModule = pathToFileURL(join(repoRoot, "dist/runner/send/journal-lock.js")).href;
    // Another run: takes the journal's lock, says so, and holds it until it is killed.
    const holder = spawn(process.execPath, ["--input-type=module", "-e", `const { acquireLock } = await import(${JSON.stringify(lockModule)}); acquireLock(${JSON.stringify(journal)}); console.log("locked"); setTimeout(() => {}, 20000);`]);
    try {
      await once(holder.stdout!, "data");
      const error = await sendTo(box, makeItems(2), { journal }).catch((e: unknown) => e);
      expect(error).toEqual(new InputError(`another msgc send is using the journal ${journal}; wait for it to finish`));
      expect(box.stats().requests).toBe(0);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((resolve) => holder.once("exit", resolve));
    }
    // Killed: the kernel let go of its lock, and the lock file it left (and nothing else: no
    // rollback journal of SQLite's beside it) is taken over.
    expect(readdirSync(dirname(journal))).toEqual(["spring.ndjson.lock"]);
    const summary = await sendTo(box, makeItems(2), { journal });
    expect(summary.sent).toBe(2);
    expect(existsSync(`${journal}.lock`)).toBe(false);
  });

  it("writes intents before requests and never writes the API key", async () => {
    const box = await sandboxWith();
    const dir = tempDir();
    const journal = join(dir, "spring.ndjson");
    const report = join(dir, "report.json");
    await sendTo(box, makeItems(20), { journal, report, showNumbers: false });
    const lines = readFileSync(journal, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as { type: string; key?: string });
    expect(lines[0]!.type).toBe("header");
    for (const key of makeItems(20).map((i) => i.key)) {
      const kinds = lines.filter((l) => l.key === key).map((l) => l.type);
      expect(kinds).toEqual(["intent", "outcome"]);
    }
    expect(readFileSync(journal, "utf8")).not.toContain(API_KEY);
    const reportText = readFileSync(report, "utf8");
    expect(reportText).not.toContain(API_KEY);
    expect(reportText).not.toContain(numberOf(3));
    expect(reportText).toContain("spring/+1604•••0003");
  });

  it("every request's intent is in the journal file before the request reaches the server", async () => {
    const journal = join(tempDir(), "spring.ndjson");
    const missing: string[] = [];
    let seen = 0;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen++;
        const number = (JSON.parse(body) as { number: string }).number;
        const intent = `{"type":"intent","key":"spring/${number}","form":"template","attempt":1}`;
        if (!readFileSync(journal, "utf8").includes(intent)) missing.push(number);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(`{"id":"m-${number}"}`);
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const summary = await send({
        plan: () => makeItems(60),
        campaign: "spring",
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        businessId: "b",
        apiKey: API_KEY,
        rate: Infinity,
        concurrency: 8,
        journal,
      });
      expect(summary.sent).toBe(60);
    } finally {
      server.close();
    }
    expect(seen).toBe(60);
    expect(missing).toEqual([]);
  });

  it("a dry run makes no request and writes no journal", async () => {
    const box = await sandboxWith();
    const journal = join(tempDir(), "spring.ndjson");
    const now = Date.now();
    const items = [makeItem(0), makeItem(1, { lastInboundAt: new Date(now - HOUR).toISOString() })];
    const summary = await sendTo(box, items, { journal, dryRun: true, apiKey: undefined, now: () => now });
    expect(summary).toMatchObject({ dryRun: true, total: 2, sent: 0, requests: 0, forms: { session: 1, template: 1 } });
    expect(box.stats().requests).toBe(0);
    expect(existsSync(journal)).toBe(false);
  });
});
