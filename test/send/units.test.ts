import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  backoffDelay,
  classifyStatus,
  fnv1a,
  parseMaxFailures,
  parseShard,
  readAnswerBody,
  shardOf,
  tooManyFailures,
} from "../../src/runner/send/policy.js";
import { classifyError, createTransport, parseRetryAfter } from "../../src/connectly/transport.js";
import { createServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { JournalWriter } from "../../src/runner/send/journal.js";
import { JournalState } from "../../src/runner/send/journal-replay.js";
import { RateGovernor } from "../../src/runner/send/rate-governor.js";
import { formatProgress, formatSummary } from "../../src/runner/send/format.js";
import { createProgress } from "../../src/runner/send/progress.js";
import type { SendSummary } from "../../src/runner/send/index.js";
import { scrubOutput, summaryExitCode } from "../../src/runner/send/index.js";
import { InputError, UsageError } from "../../src/cli/io.js";
import { tempDir } from "./helpers.js";

describe("policy", () => {
  it.each([
    ["1/3", { index: 1, count: 3 }],
    ["3/3", { index: 3, count: 3 }],
    [" 2/5 ", { index: 2, count: 5 }],
  ])("parseShard: %s", (text, shard) => expect(parseShard(text)).toEqual(shard));

  it.each(["0/3", "4/3", "1/0", "a/b", "1", "1/3/4", "-1/3"])("parseShard: %s is a usage error", (text) => {
    expect(() => parseShard(text)).toThrow(UsageError);
  });

  it("fnv1a: the published test vectors", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("shardOf: every key lands in exactly one shard of N, spread evenly", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(`c/+1604555${String(i).padStart(4, "0")}`, 4) - 1]!++;
    expect(counts.reduce((a, b) => a + b)).toBe(4000);
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });

  it.each([
    ["50", { kind: "count", count: 50 }],
    ["5%", { kind: "percent", percent: 5 }],
    ["0.5%", { kind: "percent", percent: 0.5 }],
  ])("parseMaxFailures: %s", (text, policy) => expect(parseMaxFailures(text)).toEqual(policy));

  it.each(["0", "-1", "0%", "101%", "ten", "5 %x"])("parseMaxFailures: %s is a usage error", (text) => {
    expect(() => parseMaxFailures(text)).toThrow(UsageError);
  });

  it.each([
    ["default: 19 of 50 failed", { kind: "default" }, 19, 50, false],
    ["default: 20 of 50 failed", { kind: "default" }, 20, 50, true],
    ["default: 20 of 100 failed", { kind: "default" }, 20, 100, true],
    ["default: 25 of 200 failed (past the first 100)", { kind: "default" }, 25, 200, false],
    ["count: 4 of 5", { kind: "count", count: 5 }, 4, 10, false],
    ["count: 5 of 5", { kind: "count", count: 5 }, 5, 10, true],
    ["percent: 3 of 10 (sample too small)", { kind: "percent", percent: 10 }, 3, 10, false],
    ["percent: 2 of 20 is exactly 10%", { kind: "percent", percent: 10 }, 2, 20, false],
    ["percent: 3 of 20 is above 10%", { kind: "percent", percent: 10 }, 3, 20, true],
  ] as const)("tooManyFailures: %s", (_, policy, failed, finished, stop) => {
    expect(tooManyFailures(policy, failed, finished)).toBe(stop);
  });

  it("backoffDelay: full jitter under an exponential ceiling with a cap", () => {
    const backoff = { baseMs: 100, capMs: 1000 };
    expect(backoffDelay(backoff, 1, () => 0.999)).toBe(99);
    expect(backoffDelay(backoff, 3, () => 0.5)).toBe(200);
    expect(backoffDelay(backoff, 10, () => 0.5)).toBe(500);
    expect(backoffDelay(backoff, 4, () => 0)).toBe(0);
  });

  it.each([
    [200, "sent"],
    [201, "sent"],
    [429, "rate-limited"],
    [500, "retryable"],
    [503, "retryable"],
    [400, "final"],
    [401, "final"],
    [404, "final"],
    [302, "final"],
  ] as const)("classifyStatus: %i is %s", (status, kind) => expect(classifyStatus(status)).toBe(kind));

  it("readAnswerBody: the id of a success, the code of an error, nothing from garbage", () => {
    expect(readAnswerBody('{"id":"01ARZ"}')).toEqual({ id: "01ARZ", code: null, type: null, message: null });
    expect(readAnswerBody('{"code":"ERROR_CODE_X","type":"T"}')).toEqual({ id: null, code: "ERROR_CODE_X", type: "T", message: null });
    expect(readAnswerBody('{"error":{"code":"ERROR_CODE_Y"}}')).toEqual({ id: null, code: "ERROR_CODE_Y", type: null, message: null });
    expect(readAnswerBody("<html>")).toEqual({ id: null, code: null, type: null, message: null });
    expect(readAnswerBody("null")).toEqual({ id: null, code: null, type: null, message: null });
  });
});

describe("transport helpers", () => {
  it("parseRetryAfter: seconds, an HTTP date, or nothing", () => {
    const now = Date.parse("2026-11-24T08:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("0.5", now)).toBe(500);
    expect(parseRetryAfter("Tue, 24 Nov 2026 08:00:03 GMT", now)).toBe(3000);
    expect(parseRetryAfter("Tue, 24 Nov 2026 07:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });

  it("classifyError: a request that never left is not ambiguous; one that may have is", () => {
    expect(classifyError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toEqual({ code: "connection-refused", ambiguous: false, final: false });
    expect(classifyError(Object.assign(new Error("x"), { code: "UND_ERR_CONNECT_TIMEOUT" }))).toEqual({ code: "connect-timeout", ambiguous: false, final: false });
    expect(classifyError(Object.assign(new Error("x"), { code: "UND_ERR_HEADERS_TIMEOUT" }))).toEqual({ code: "timeout", ambiguous: true, final: false });
    expect(classifyError(Object.assign(new Error("x"), { code: "UND_ERR_SOCKET" }))).toEqual({ code: "connection-reset", ambiguous: true, final: false });
    expect(classifyError(Object.assign(new Error("x"), { cause: { code: "ECONNRESET" } }))).toEqual({ code: "connection-reset", ambiguous: true, final: false });
    expect(classifyError(new Error("who knows"))).toEqual({ code: "network-error", ambiguous: true, final: false });
    // Broken before the whole request was handed to the socket: the server cannot have it.
    expect(classifyError(new Error("who knows"), false)).toEqual({ code: "network-error", ambiguous: false, final: false });
    expect(classifyError(Object.assign(new Error("x"), { code: "UND_ERR_INVALID_ARG" }))).toEqual({ code: "invalid-request", ambiguous: false, final: true });
  });
});

describe("transport", () => {
  it("posts JSON with the key header under the base path, and reads status, body and Retry-After", async () => {
    const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: string }> = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (seen.length === 1) {
          res.writeHead(429, { "retry-after": "7", "content-type": "application/json" });
          res.end('{"code":"ERROR_CODE_RATE_LIMIT_EXCEEDED"}');
        } else {
          res.writeHead(200, { "content-type": "application/json" });
          res.end('{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}');
        }
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const transport = createTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/proxy/`, apiKey: "k-1", connections: 2, timeoutMs: 5000 });
    try {
      expect(await transport.post("/v1/x", '{"a":1}')).toEqual({ kind: "answer", status: 429, body: '{"code":"ERROR_CODE_RATE_LIMIT_EXCEEDED"}', retryAfterMs: 7000, truncated: false });
      expect(await transport.post("/v1/y", "{}")).toEqual({ kind: "answer", status: 200, body: '{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}', retryAfterMs: undefined, truncated: false });
    } finally {
      await transport.close();
      server.close();
    }
    expect(seen.map((r) => [r.method, r.url, r.body, r.headers["x-api-key"], r.headers["content-type"], r.headers["accept"]])).toEqual([
      ["POST", "/proxy/v1/x", '{"a":1}', "k-1", "application/json", "application/json"],
      ["POST", "/proxy/v1/y", "{}", "k-1", "application/json", "application/json"],
    ]);
    // One keep-alive connection served both.
    expect(new Set(seen.map((r) => r.headers.connection))).toEqual(new Set(["keep-alive"]));
  });

  it("a refused connection is an error that certainly sent nothing", async () => {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    server.close();
    await once(server, "close");
    const transport = createTransport({ baseUrl: `http://127.0.0.1:${port}`, apiKey: "k", connections: 1, timeoutMs: 1000 });
    expect(await transport.post("/", "{}")).toEqual({ kind: "error", code: "connection-refused", ambiguous: false, final: false });
    await transport.close();
  });

  it("a key no header can carry is a final error that sent nothing, and its text is kept nowhere", async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end("{}");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const transport = createTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: "ck_live\nsecret", connections: 1, timeoutMs: 1000 });
    try {
      expect(await transport.post("/", "{}")).toEqual({ kind: "error", code: "invalid-request", ambiguous: false, final: true });
    } finally {
      await transport.close();
      server.close();
    }
    expect(requests).toBe(0);
  });
});

describe("journal", () => {
  const header = '{"type":"header","version":2,"campaign":"c","planHash":"sha256:x","startedAt":"t","shard":null,"resumed":false,"origin":"https://api.connectly.ai","businessId":"b"}';
  function replayJournal(path: string): JournalState | undefined {
    const state = new JournalState();
    return state.replay(path) ? state : undefined;
  }

  it("replay: sent, unknown, retried and ambiguous histories", () => {
    const path = join(tempDir(), "j.ndjson");
    writeFileSync(
      path,
      [
        header,
        '{"type":"intent","key":"a","form":"session","attempt":1}',
        '{"type":"outcome","key":"a","form":"session","attempt":1,"result":"fallback","status":400,"messageId":null,"errorCode":"ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW","ambiguous":false}',
        '{"type":"intent","key":"a","form":"template","attempt":2}',
        '{"type":"outcome","key":"a","form":"template","attempt":2,"result":"sent","status":200,"messageId":"m-a","errorCode":null,"ambiguous":false}',
        '{"type":"intent","key":"b","form":"template","attempt":1}',
        '{"type":"intent","key":"c","form":"template","attempt":1}',
        '{"type":"outcome","key":"c","form":"template","attempt":1,"result":"retry","status":500,"messageId":null,"errorCode":"ERROR_CODE_UNSPECIFIED","ambiguous":true}',
        '{"type":"intent","key":"c","form":"template","attempt":2}',
        "",
      ].join("\n"),
    );
    const state = replayJournal(path)!;
    expect(state.files[0]!.headers[0]!.planHash).toBe("sha256:x");
    expect(state.history("a")).toEqual({ sent: true, form: "template", fallback: true, attempts: 2, unknown: false, ambiguousAttempts: 0, last: "sent", lastStatus: 200, lastInvalidRequest: false, suppressed: false, untracked: false });
    expect(state.lastOutcome("a")).toMatchObject({ messageId: "m-a", errorCode: null });
    expect(state.history("b")).toEqual({ sent: false, form: "template", fallback: false, unknown: true, attempts: 1, ambiguousAttempts: 0, last: null, lastStatus: null, lastInvalidRequest: false, suppressed: false, untracked: false });
    expect(state.history("c")).toMatchObject({ sent: false, unknown: true, attempts: 2, ambiguousAttempts: 1, last: null, lastStatus: 500 });
    expect(state.lastOutcome("c")).toMatchObject({ errorCode: "ERROR_CODE_UNSPECIFIED" });
    expect(state.history("d")).toBeUndefined();
    state.close();
  });

  it("replay: an intent without a token is untracked; untracked other than true is damage", () => {
    const path = join(tempDir(), "j.ndjson");
    writeFileSync(path, `${header}\n{"type":"intent","key":"a","form":"template","attempt":1,"untracked":true}\n{"type":"intent","key":"b","form":"template","attempt":1}\n`);
    const state = replayJournal(path)!;
    expect(state.history("a")).toMatchObject({ unknown: true, untracked: true });
    expect(state.history("b")).toMatchObject({ unknown: true, untracked: false });
    state.close();
    writeFileSync(path, `${header}\n{"type":"intent","key":"a","form":"template","attempt":1,"untracked":false}\n`);
    expect(() => replayJournal(path)).toThrow(new InputError(`the journal ${path} is damaged at line 2 (a malformed intent); it cannot be resumed safely`));
  });

  it("replay: a torn last line is ignored, damage elsewhere is refused", () => {
    const path = join(tempDir(), "j.ndjson");
    writeFileSync(path, `${header}\n{"type":"intent","key":"a","form":"template","attempt":1}\n{"type":"outc`);
    expect(replayJournal(path)!.history("a")).toMatchObject({ unknown: true });
    writeFileSync(path, `${header}\n{"type":"outc\n{"type":"intent","key":"a","form":"template","attempt":1}\n`);
    expect(() => replayJournal(path)).toThrow(new InputError(`the journal ${path} is damaged at line 2 (not JSON); it cannot be resumed safely`));
    writeFileSync(path, `{"type":"intent","key":"a","form":"template","attempt":1}\n`);
    expect(() => replayJournal(path)).toThrow(InputError);
    // Killed while writing its header: an empty journal.
    writeFileSync(path, `{"type":"head`);
    expect(replayJournal(path)).toBeUndefined();
  });

  it("group commit: every durable write resolves once on disk, in order", async () => {
    const path = join(tempDir(), "j.ndjson");
    const writer = await JournalWriter.open(path);
    const writes = Array.from({ length: 200 }, (_, i) => writer.writeDurable({ type: "intent", key: `k${i}`, form: "template", attempt: 1 }));
    await Promise.all(writes);
    const onDisk = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(onDisk).toHaveLength(200);
    expect(onDisk[199]).toBe('{"type":"intent","key":"k199","form":"template","attempt":1}');
    writer.write({ type: "outcome", key: "k0", form: "template", attempt: 1, result: "sent", status: 200, messageId: "m", errorCode: null, ambiguous: false });
    await writer.close();
    expect(readFileSync(path, "utf8").trimEnd().split("\n")).toHaveLength(201);
  });
});

describe("rate governor", () => {
  it("paces to the rate with a fake clock and pauses everyone after a 429", async () => {
    let now = 0;
    const governor = new RateGovernor(10, () => now);
    // The bucket starts with one token (a tenth of a second at 10/s).
    expect(governor.take()).toBeUndefined();
    expect(governor.take()).toBeInstanceOf(Promise);
    governor.release();
    now = 1000;
    expect(governor.take()).toBeUndefined();
    governor.onRateLimited(2000);
    expect(governor.rate).toBe(7);
    now = 2500;
    expect(governor.take()).toBeInstanceOf(Promise);
    governor.release();
    now = 3001;
    expect(governor.take()).toBeUndefined();
    for (let i = 0; i < 500; i++) governor.onAnswered();
    expect(governor.rate).toBe(10);
  });

  it("an unlimited governor never waits until a 429, then falls to what it observed", () => {
    let now = 0;
    const governor = new RateGovernor(Infinity, () => now);
    for (let i = 0; i < 1000; i++) expect(governor.take()).toBeUndefined();
    now = 1000;
    expect(governor.take()).toBeUndefined();
    governor.onRateLimited(1000);
    expect(governor.rate).toBe(700);
  });
});

function summary(overrides: Partial<SendSummary> = {}): SendSummary {
  return {
    campaign: "spring",
    target: "api.connectly.ai",
    dryRun: false,
    cancelled: false,
    shard: null,
    journal: ".msgc/journal/spring.ndjson",
    planHash: "sha256:x",
    total: 10,
    sent: 7,
    failed: 2,
    failedByCode: { ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND: 1, timeout: 1 },
    failedEarlier: 0,
    failedEarlierByCode: {},
    fallbacks: 1,
    unknown: 1,
    unknownKeys: ["spring/+1604•••0001"],
    skipped: 0,
    possiblyDuplicated: 0,
    possiblyDuplicatedEarlier: 0,
    possiblyDuplicatedKeys: [],
    resolvedSent: 0,
    duplicated: 0,
    notDuplicated: 0,
    store: null,
    interrupted: 0,
    notAttempted: 0,
    forms: { session: 0, template: 0 },
    requests: 12,
    retries: 2,
    rateLimited: 1,
    stopped: null,
    reportError: null,
    durationMs: 2500,
    messagesPerSecond: 2.8,
    ...overrides,
  };
}

describe("formatting", () => {
  it("formatSummary: every count, failures by code, unknown keys listed", () => {
    expect(formatSummary(summary())).toBe(
      [
        "Send summary: spring -> api.connectly.ai",
        "  sent        7  (1 as the template form after the 24-hour window refused the session form)",
        "  failed      2",
        "    ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND  1",
        "    timeout  1",
        "  fallbacks   1",
        "  unknown     1  outcome unknown (the run that sent them died); not resent, add --resume --retry-unknown to send them anyway",
        "    spring/+1604•••0001",
        "  skipped     0  already sent (journal)",
        "  10 recipients in 2.5 s, 2.8 msgs/s, 12 requests (2 retried, 1 rate-limited)",
        "  journal     .msgc/journal/spring.ndjson",
        "",
      ].join("\n"),
    );
  });

  it("formatSummary: unknowns resolved from webhooks, duplicates resolved, the store and what it missed", () => {
    const text = formatSummary(
      summary({
        unknown: 1,
        resolvedSent: 2,
        possiblyDuplicated: 3,
        possiblyDuplicatedEarlier: 3,
        duplicated: 1,
        notDuplicated: 2,
        possiblyDuplicatedKeys: ["a", "b", "c"],
        store: { location: ".msgc/msgc.db", missed: 4 },
      }),
    );
    expect(text).toContain(
      "\n  unknown     3 (2 resolved as sent from webhooks)  outcome unknown (the run that sent them died); not resent, add --resume --retry-unknown to send them anyway\n",
    );
    expect(text).toContain("\n  possibly duplicated  3 (all in an earlier run) (from webhooks: 1 duplicated, 2 not duplicated)  an attempt may have been accepted");
    expect(text).toContain("\n  store       .msgc/msgc.db  missed 4 sends (it failed; the journal has them)\n");
    const allResolved = formatSummary(summary({ unknown: 0, unknownKeys: [], resolvedSent: 2, store: { location: ".msgc/msgc.db", missed: 0 } }));
    expect(allResolved).toContain("\n  unknown     2 (2 resolved as sent from webhooks)\n");
    expect(allResolved).toContain("\n  store       .msgc/msgc.db\n");
  });

  it("formatSummary: recipients refused for good in an earlier run, by code", () => {
    const text = formatSummary(summary({ failedEarlier: 3, failedEarlierByCode: { HTTP_404: 1, ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND: 2 } }));
    expect(text.split("\n").slice(5, 9)).toEqual([
      "  failed earlier (final)  3  refused for good in an earlier run; not resent, add --retry-failed to send them again",
      "    ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND  2",
      "    HTTP_404  1",
      "  fallbacks   1",
    ]);
  });

  it("formatSummary: possible duplicates, with those an earlier run made", () => {
    const keys = ["spring/+1604•••0003", "spring/+1604•••0004"];
    const some = formatSummary(summary({ possiblyDuplicated: 2, possiblyDuplicatedEarlier: 1, possiblyDuplicatedKeys: keys }));
    expect(some).toContain("  possibly duplicated  2 (1 in an earlier run)  an attempt may have been accepted before the one that answered (5xx, timeout, unknown)\n    spring/+1604•••0003\n    spring/+1604•••0004\n");
    const all = formatSummary(summary({ possiblyDuplicated: 2, possiblyDuplicatedEarlier: 2, possiblyDuplicatedKeys: keys }));
    expect(all).toContain("  possibly duplicated  2 (all in an earlier run)  ");
    expect(formatSummary(summary({ possiblyDuplicated: 2, possiblyDuplicatedKeys: keys }))).toContain("  possibly duplicated  2  an attempt");
  });

  it("formatProgress: a bar on a terminal, a plain line in CI", () => {
    const snapshot = { total: 400, sent: 118, failed: 2, fallbacks: 3, skipped: 0, suppressed: 0, unknown: 0, inFlight: 4, requests: 125, rateLimited: 0, retries: 0, serverErrors: 0, rate: 50, elapsedMs: 2400 };
    expect(formatProgress(snapshot, { bar: true, width: 10 })).toBe("[###-------] 120/400  sent 118  failed 2  fallbacks 3  50.0/s  ETA 5.6 s");
    expect(formatProgress(snapshot, { bar: false })).toBe("send: 120/400  sent 118  failed 2  fallbacks 3  50.0/s  ETA 5.6 s");
  });

  it("createProgress: plain lines at the interval when not on a terminal", async () => {
    const written: string[] = [];
    const stream = Object.assign(new (await import("node:stream")).Writable({ write: (chunk, _, done) => (written.push(String(chunk)), done()) }), { isTTY: false });
    const progress = createProgress({ stream, intervalMs: 20 });
    progress.start(() => ({ total: 4, sent: 1, failed: 0, fallbacks: 0, skipped: 0, suppressed: 0, unknown: 0, inFlight: 1, requests: 1, rateLimited: 0, retries: 0, serverErrors: 0, rate: 50, elapsedMs: 1000 }));
    // Waits for two lines however slow the machine is: a fixed sleep made this depend on timing.
    while (written.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    progress.stop();
    expect(new Set(written)).toEqual(new Set(["send: 1/4  sent 1  failed 0  fallbacks 0  1.0/s  ETA 3.0 s\n"]));
  });

  it("summaryExitCode: 0 only when nothing failed, is unknown or was left out", () => {
    expect(summaryExitCode(summary())).toBe(1);
    expect(summaryExitCode(summary({ failed: 0, unknown: 0 }))).toBe(0);
    expect(summaryExitCode(summary({ failed: 0, unknown: 0, possiblyDuplicated: 3 }))).toBe(0);
    expect(summaryExitCode(summary({ failed: 0, unknown: 0, notAttempted: 1 }))).toBe(1);
    expect(summaryExitCode(summary({ failed: 0, unknown: 0, failedEarlier: 1 }))).toBe(1);
    expect(summaryExitCode(summary({ failed: 0, unknown: 0, reportError: "cannot write the report r.json: ENOSPC" }))).toBe(1);
  });

  it("scrubOutput: the key is removed and numbers masked unless shown", () => {
    expect(scrubOutput("key sk_123456789012 for spring/+16045550001 (env sk_env_abcdefgh)", ["sk_123456789012", "sk_env_abcdefgh", undefined], false)).toBe("key [redacted] for spring/+1604•••0001 (env [redacted])");
    expect(scrubOutput("spring/+16045550001", ["sk_123"], true)).toBe("spring/+16045550001");
  });
});
