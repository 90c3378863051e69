/**
 * msgc send at the edges (issue 9 items 8 to 15, issue 10 item 20): hostile answers, secrets,
 * bounded inputs, what a person at the terminal sees.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { send } from "../../src/runner/send/index.js";
import type { ProgressSnapshot, SendOptions, SendSummary } from "../../src/runner/send/index.js";
import { formatProgress } from "../../src/runner/send/format.js";
import { MAX_ANSWER_BYTES, readAnswerBody } from "../../src/runner/send/policy.js";
import { scrubOutput, scrubValue } from "../../src/runner/send/scrub.js";
import { createTransport, isLoopbackHost, sendsKeyInClear } from "../../src/connectly/transport.js";
import { InputError, UsageError } from "../../src/errors.js";
import { loadProject } from "../../src/project/project.js";
import { gatherValues, MAX_VARS_FILE_BYTES, planSingleMessage } from "../../src/runner/single-message.js";
import { cliPath, ensureBuilt } from "../cli/helpers.js";
import { hasPty, notesProject, runCli, runOnTerminal } from "./cli-helpers.js";
import type { RunResult, TerminalAction } from "./cli-helpers.js";
import { makeItems, NOTE_TEMPLATE, tempDir, useSandbox } from "./helpers.js";

const KEY = "ck_live_edge_5e4d3c2b1a09";
const sandboxWith = useSandbox(KEY, { templates: [NOTE_TEMPLATE] });

beforeAll(() => ensureBuilt(), 180_000);

function msgc(args: string[], cwd: string, env: NodeJS.ProcessEnv = { CONNECTLY_API_KEY: KEY }): Promise<RunResult> {
  return runCli(["send", ...args], { cwd, env });
}

/** A local HTTP server answering with `handler`; closed (connections too) by the returned close. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => handler(req, res, n++));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => n,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** `count` template-only recipients to a test server, one request at a time unless told. */
function sendTemplates(url: string, count: number, extra: Partial<SendOptions>): Promise<SendSummary> {
  return send({ plan: () => makeItems(count, { session: false }), campaign: "spring", baseUrl: url, businessId: "b", apiKey: KEY, concurrency: 1, journal: false, ...extra });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

describe("item 8: answers are read and stored within bounds", () => {
  it("an answer without end is cut at MAX_ANSWER_BYTES, and the next request still goes through", async () => {
    const chunk = Buffer.alloc(16 * 1024, "x");
    const server = await serve((_req, res, n) => {
      if (n > 0) return answer(res, 200, { id: "01OK" });
      res.writeHead(500, { "content-type": "application/json" });
      // Writes as long as the client reads, for ever.
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    const transport = createTransport({ baseUrl: server.url, apiKey: "k", connections: 1, timeoutMs: 5000 });
    try {
      const first = await transport.post("/v1/x", "{}");
      expect(first.kind === "answer" && { status: first.status, length: first.body.length, truncated: first.truncated }).toEqual({
        status: 500,
        length: MAX_ANSWER_BYTES,
        truncated: true,
      });
      expect(await transport.post("/v1/x", "{}")).toEqual({ kind: "answer", status: 200, body: '{"id":"01OK"}', retryAfterMs: undefined, truncated: false });
    } finally {
      await transport.close();
      await server.close();
    }
  });

  it("a huge error body and a huge code make short journal lines and report entries", async () => {
    const server = await serve((_req, res, n) => {
      if (n % 2 === 0) return answer(res, 400, { code: "E".repeat(3_000_000), message: "M".repeat(3_000_000) });
      answer(res, 400, { code: `ERROR_${"C".repeat(20_000)}`, message: `Bad ${"m".repeat(20_000)}`, id: "i".repeat(20_000) });
    });
    const dir = tempDir();
    try {
      const summary = await sendTemplates(server.url, 2, { journal: join(dir, "j.ndjson"), report: join(dir, "r.json") });
      expect(summary.failed).toBe(2);
      const codes = Object.keys(summary.failedByCode).sort();
      expect(codes).toEqual([`ERROR_${"C".repeat(121)}…`, "HTTP_400"]);
      for (const line of readFileSync(join(dir, "j.ndjson"), "utf8").trimEnd().split("\n")) expect(line.length).toBeLessThan(600);
      const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { recipients: Array<{ errorCode: string; errorMessage: string | null }> };
      expect(report.recipients.map((r) => [r.errorCode.length, r.errorMessage?.length ?? null]).sort()).toEqual([
        [128, 512],
        [8, null],
      ]);
    } finally {
      await server.close();
    }
  });

  it("readAnswerBody: control characters replaced, secrets cut out, lengths bounded", () => {
    expect(readAnswerBody('{"code":"A\\u001b[31mB\\nC","message":"x\\u2028y","id":"sk-1 id"}', ["sk-1"])).toEqual({
      id: "[redacted] id",
      code: "A?[31mB?C",
      type: null,
      message: "x?y",
    });
    expect(readAnswerBody(JSON.stringify({ error: { code: "k".repeat(200), message: "sk-1" } }), ["sk-1"])).toEqual({
      id: null,
      code: `${"k".repeat(127)}…`,
      type: null,
      message: "[redacted]",
    });
    expect(readAnswerBody(JSON.stringify({ code: `k=${encodeURIComponent('sk"1')}` }), ['sk"1']).code).toBe("k=[redacted]");
    // A character outside the BMP is never cut in half.
    expect(readAnswerBody(JSON.stringify({ code: `${"k".repeat(126)}😀x` })).code).toBe(`${"k".repeat(126)}…`);
  });
});

describe("item 9: the key is in no output, file or report", () => {
  it("an API that echoes a key with quote and backslash leaves it in no journal, report, JSON or text", async () => {
    const key = 'ck_"live\\9f8e7d6c5b4a3210';
    const server = await serve((_req, res, n) => {
      if (n % 3 === 0) return answer(res, 200, { id: `id-${key}` });
      if (n % 3 === 1) return answer(res, 400, { code: `BAD_${key}`, message: `key ${key} refused`, type: "ERROR_TYPE_INVALID_REQUEST" });
      answer(res, 500, { code: `OOPS_${key}` });
    });
    try {
      const dir = notesProject(6);
      const env = { CONNECTLY_API_KEY: key };
      const json = await msgc(["notes", "--base-url", server.url, "--yes", "--no-preflight", "--format", "json", "--report", "r.json", "--max-attempts", "1"], dir, env);
      const text = await msgc(["notes", "--base-url", server.url, "--yes", "--no-preflight", "--journal", "j2.ndjson", "--max-attempts", "1"], dir, env);
      expect([json.code, text.code]).toEqual([1, 1]);
      const files = [readFileSync(join(dir, "r.json"), "utf8"), readFileSync(join(dir, ".msgc/journal/notes.ndjson"), "utf8"), readFileSync(join(dir, "j2.ndjson"), "utf8")];
      const escaped = JSON.stringify(key).slice(1, -1);
      for (const output of [json.stdout, json.stderr, text.stdout, text.stderr, ...files]) {
        expect(output).not.toContain(key);
        expect(output).not.toContain(escaped);
        expect(output).not.toContain("9f8e7d6c5b4a3210");
      }
      expect((JSON.parse(json.stdout) as { summary: { failedByCode: Record<string, number> } }).summary.failedByCode).toEqual({
        "BAD_[redacted]": 2,
        "OOPS_[redacted]": 2,
      });
      const report = JSON.parse(files[0]!) as { recipients: Array<{ status: string; messageId: string | null; errorCode: string | null; errorMessage: string | null }> };
      expect(new Set(report.recipients.map((r) => JSON.stringify([r.status, r.messageId, r.errorCode, r.errorMessage])))).toEqual(
        new Set([
          JSON.stringify(["sent", "id-[redacted]", null, null]),
          JSON.stringify(["failed", null, "BAD_[redacted]", "key [redacted] refused"]),
          JSON.stringify(["failed", null, "OOPS_[redacted]", null]),
        ]),
      );
    } finally {
      await server.close();
    }
  });

  it("a short key (the sandbox's default, sandbox) does not mangle msgc's own paths", async () => {
    const box = await sandboxWith({ apiKey: "sandbox" });
    const dir = notesProject(2);
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--journal", "msgc-sandbox-journal/notes.ndjson"], dir, { CONNECTLY_API_KEY: "sandbox" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`  journal     ${join(dir, "msgc-sandbox-journal/notes.ndjson")}\n`);
    expect(result.stdout + result.stderr).not.toContain("[redacted]");
  });

  it("scrubOutput and scrubValue: long keys out of every string and object key; short ones left to the answer scrub", () => {
    const key = 'sk_"long\\key_123';
    expect(scrubValue({ [`a${key}`]: [`x${key}y`, 1, null, { n: "+16045550001" }] }, [key], false)).toEqual({ "a[redacted]": ["x[redacted]y", 1, null, { n: "+1604•••0001" }] });
    expect(scrubOutput("/tmp/msgc-sandbox-journal-1/x", ["sandbox"], false)).toBe("/tmp/msgc-sandbox-journal-1/x");
  });
});

describe("item 10: flags and key files that could never work are usage errors", () => {
  it("--timeout 0.5 is a usage error, nothing is sent", async () => {
    const box = await sandboxWith();
    const dir = notesProject(2);
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--timeout", "0.5"], dir);
    expect([result.code, result.stdout, result.stderr]).toEqual([64, "", 'msgc send: --timeout must be a whole number above 0, got "0.5"\n']);
    expect(box.stats().requests).toBe(0);
    await expect(send({ plan: () => [], campaign: "c", baseUrl: box.url, businessId: "b", apiKey: KEY, journal: false, timeoutMs: 0.5 })).rejects.toThrow(
      new UsageError("timeout must be a whole number of milliseconds from 1 to 3600000, got 0.5"),
    );
  });

  it("--api-key-file reads only a regular file of at most 4096 bytes: /dev/zero, a FIFO and a big file are refused", async () => {
    const box = await sandboxWith();
    const dir = notesProject(2);
    execFileSync("mkfifo", [join(dir, "fifo")]);
    writeFileSync(join(dir, "big.txt"), "k".repeat(5000));
    const cases: Array<[string, string]> = [
      ["/dev/zero", "msgc send: the API key file /dev/zero is not a regular file"],
      ["fifo", "msgc send: the API key file fifo is not a regular file"],
      ["big.txt", "msgc send: the API key file big.txt is larger than 4096 bytes: not an API key"],
      ["missing.txt", "msgc send: cannot read the API key file missing.txt (ENOENT)"],
    ];
    for (const [file, message] of cases) {
      const result = await msgc(["notes", "--base-url", box.url, "--yes", "--api-key-file", file], dir, {});
      expect([file, result.code, result.stderr]).toEqual([file, 64, `${message}\n`]);
    }
    expect(box.stats().requests).toBe(0);
  });
});

describe("issue 10 item 20: no key in clear text to another machine", () => {
  it("plain http:// to a host that is not loopback is refused without --insecure-http", async () => {
    const dir = notesProject(2);
    const refused = await msgc(["notes", "--base-url", "http://192.0.2.10:8080", "--yes"], dir);
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([
      64,
      "",
      "msgc send: the base URL is plain http:// to 192.0.2.10:8080, which would send the API key in clear text; use https://, or add --insecure-http if this network is yours\n",
    ]);
    const config = notesProject(2, { config: "businessId: b\nbaseUrl: http://api.example.test/\n" });
    expect((await msgc(["notes", "--dry-run"], config, {})).code).toBe(64);
    // Allowed when asked for (a dry run makes no connection).
    const allowed = await msgc(["notes", "--base-url", "http://192.0.2.10:8080", "--insecure-http", "--dry-run"], dir, {});
    expect([allowed.code, allowed.stdout.split("\n")[0]]).toEqual([0, "Dry run: notes -> 192.0.2.10:8080, nothing sent"]);
    await expect(send({ plan: () => [], campaign: "c", baseUrl: "http://api.example.test", businessId: "b", apiKey: KEY, journal: false })).rejects.toThrow(UsageError);
  });

  it("isLoopbackHost and sendsKeyInClear", () => {
    expect(["localhost", "127.0.0.1", "127.9.8.7", "[::1]", "app.localhost", "LOCALHOST"].map(isLoopbackHost)).toEqual([true, true, true, true, true, true]);
    expect(["128.0.0.1", "10.0.0.1", "localhost.example.com", "127.0.0.1.nip.io", "[::2]"].map(isLoopbackHost)).toEqual([false, false, false, false, false]);
    expect(["http://10.1.1.1", "https://10.1.1.1", "http://127.0.0.1:4010", "not a url"].map(sendsKeyInClear)).toEqual([true, false, false, false]);
  });
});

describe("item 14: retries and 5xx as they happen, the API's message in the report", () => {
  it("the progress snapshot counts a 5xx and its retry before the run ends; the report keeps the message", async () => {
    let read: (() => ProgressSnapshot) | undefined;
    const seen: ProgressSnapshot[] = [];
    const server = await serve((_req, res, n) => {
      if (read) seen.push(read());
      if (n < 2) return answer(res, 503, { code: "ERROR_CODE_UNAVAILABLE", message: "Try again later" });
      answer(res, 400, { code: "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", message: "Template order_shipped was not found" });
    });
    const dir = tempDir();
    try {
      await sendTemplates(server.url, 1, {
        backoff: { baseMs: 1, capMs: 2 },
        report: join(dir, "r.json"),
        progress: { start: (reader) => (read = reader), stop: () => undefined },
      });
    } finally {
      await server.close();
    }
    expect(seen.map((s) => [s.serverErrors, s.retries])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { recipients: Array<Record<string, unknown>> };
    expect(report.recipients.map((r) => [r.errorCode, r.errorMessage, r.attempts])).toEqual([["ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", "Template order_shipped was not found", 3]]);
  });

  it("formatProgress shows 5xx and retries once there are any", () => {
    const snapshot = { total: 400, sent: 118, failed: 2, fallbacks: 3, skipped: 0, suppressed: 0, unknown: 0, inFlight: 4, requests: 131, rateLimited: 2, retries: 9, serverErrors: 7, rate: 50, elapsedMs: 2400 };
    expect(formatProgress(snapshot, { bar: false })).toBe("send: 120/400  sent 118  failed 2  fallbacks 3  429s 2  5xx 7  retries 9  50.0/s  ETA 5.6 s");
  });
});

describe("item 12: a report that cannot be written", () => {
  // A report that fails mid-run (a full disk) is test/send/whole-reports.test.ts's.
  it("--report /dev/full or a FIFO nobody reads: refused before anything is sent (a device or a FIFO is not a report), one line, exit 1", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    execFileSync("mkfifo", [join(dir, "r.fifo")]);
    for (const [given, shown] of [["/dev/full", "/dev/full"], ["r.fifo", join(dir, "r.fifo")]]) {
      const result = await msgc(["notes", "--base-url", box.url, "--yes", "--report", given!], dir);
      expect([result.code, result.stdout, result.stderr]).toEqual([1, "", `msgc send: cannot write the report ${shown}: not a regular file\n`]);
    }
    // The requests are the preflight's reads of the template list; no message was sent.
    expect(box.stats().requests).toBe(2);
    expect(box.messages()).toEqual([]);
  });
});

async function onTerminal(args: string[], cwd: string, env: NodeJS.ProcessEnv, action: TerminalAction): Promise<{ code: number | "hang"; output: string }> {
  return runOnTerminal(["send", ...args], cwd, env, action);
}

describe.skipIf(!hasPty)("item 11: Ctrl-C at the [y/N] question (needs python3 for a pseudo-terminal)", () => {
  it("against a remote target: says so, exits 130, sends nothing and leaves no lock", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    for (const action of ["ctrl-c", "sigint"] as const) {
      const result = await onTerminal(["notes", "--base-url", box.url], dir, { CONNECTLY_API_KEY: KEY }, action);
      expect([action, result.code]).toEqual([action, 130]);
      expect(result.output).toContain("Send 3 messages of notes to ");
      expect(result.output.endsWith("\r\nCancelled, nothing sent\r\n")).toBe(true);
      // Not even the journal folder the lock was taken in.
      expect(existsSync(join(dir, ".msgc", "journal"))).toBe(false);
    }
    // The end of input is a no, not a Ctrl-C.
    const eof = await onTerminal(["notes", "--base-url", box.url], dir, { CONNECTLY_API_KEY: KEY }, "ctrl-d");
    expect([eof.code, eof.output.endsWith(`Cancelled: notes -> 127.0.0.1:${box.port}, nothing sent\r\n`)]).toEqual([1, true]);
    expect(existsSync(join(dir, ".msgc", "journal"))).toBe(false);
    expect(box.stats().requests).toBe(0);
  });

  it("with --sandbox: no hang, exit 130, and no temporary journal folder left", async () => {
    const tmp = tempDir();
    const dir = notesProject(3);
    const result = await onTerminal(["notes", "--sandbox"], dir, { TMPDIR: tmp }, "ctrl-c");
    expect(result.code).toBe(130);
    expect(result.output).toContain("Cancelled, nothing sent\r\n");
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe("item 15: --sandbox keeps no journal with full numbers", () => {
  it("the temporary journal folder is gone when the run ends, and the summary does not point at it", async () => {
    const tmp = tempDir();
    const dir = notesProject(3);
    const result = await msgc(["notes", "--sandbox", "--yes"], dir, { TMPDIR: tmp });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/^  journal /m);
    expect(readdirSync(tmp)).toEqual([]);
    // Spec errors end the run early: nothing is left either.
    writeFileSync(join(dir, "specs/audiences/notes.csv"), "phone,first_name,order_id,last_seen\n+1 604 555 0001,Ana,1,\n");
    const failed = await msgc(["notes", "--sandbox", "--yes"], dir, { TMPDIR: tmp });
    expect(failed.code).toBe(1);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe("item 13: a broken spec elsewhere does not block a valid campaign", () => {
  function withDrafts(dir: string): void {
    mkdirSync(join(dir, "specs/drafts"), { recursive: true });
    writeFileSync(join(dir, "specs/drafts/wip.yaml"), "kind: Message\nname: [broken\n");
    writeFileSync(join(dir, "specs/foreign.yaml"), "services:\n  web: { image: nginx }\n");
  }

  it("send and dry run go ahead; the other specs' errors are warnings with their place", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    withDrafts(dir);
    const dry = await msgc(["notes", "--base-url", box.url, "--dry-run"], dir, {});
    expect([dry.code, dry.stdout.split("\n")[1]]).toEqual([0, "  would send  3  (0 session, 3 template)"]);
    expect(dry.stderr).toMatch(/^specs\/drafts\/wip\.yaml:3:1 warning yaml-syntax /m);
    expect(dry.stderr).toMatch(/^specs\/foreign\.yaml:1:1 warning missing-field /m);
    expect(dry.stderr).toContain("not needed to send notes: 0 errors, 2 warnings\n");
    const sent = await msgc(["notes", "--base-url", box.url, "--yes", "--format", "json"], dir);
    const document = JSON.parse(sent.stdout) as { ok: boolean; summary: { sent: number }; diagnostics: Array<{ file: string; severity: string }> };
    expect([sent.code, document.ok, document.summary.sent]).toEqual([0, true, 3]);
    expect(document.diagnostics.map((d) => [d.file, d.severity])).toEqual([
      ["specs/drafts/wip.yaml", "warning"],
      ["specs/foreign.yaml", "warning"],
    ]);
    const one = await msgc(["note", "--to", "+16045550199", "--var", "first_name=Ana", "--var", "order_id=12345", "--base-url", box.url, "--yes"], dir);
    expect(one.code).toBe(0);
    expect(box.messages()).toHaveLength(4);
  });

  it("the campaign's own message must be valid: its error blocks, the others stay warnings", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    withDrafts(dir);
    const note = readFileSync(join(dir, "specs/messages/note.yaml"), "utf8");
    writeFileSync(join(dir, "specs/messages/note.yaml"), note.replace("order {{order_id}}", "order {{order_number}}"));
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--format", "json"], dir);
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as { diagnostics: Array<{ file: string; severity: string }> };
    expect(document.diagnostics.map((d) => `${d.file} ${d.severity}`)).toEqual(["specs/drafts/wip.yaml warning", "specs/foreign.yaml warning", "specs/messages/note.yaml error"]);
    // A message that does not even load may be any of the broken files: every error stays one.
    writeFileSync(join(dir, "specs/messages/note.yaml"), note.replace("vars:", "varz:"));
    const unloaded = await msgc(["notes", "--base-url", box.url, "--yes", "--format", "json"], dir);
    expect(unloaded.code).toBe(1);
    const severities = (JSON.parse(unloaded.stdout) as { diagnostics: Array<{ severity: string }> }).diagnostics.map((d) => d.severity);
    expect(new Set(severities)).toEqual(new Set(["error"]));
    expect(box.stats().requests).toBe(0);
  });
});

describe("structure: one message to one number is a library call", () => {
  it("planSingleMessage: the item, the number, the checked values and the send id a program gets", async () => {
    const project = await loadProject({ cwd: notesProject(1) });
    const { plan, diagnostics } = planSingleMessage(project, "note", { to: "+1 (604) 555-0199", values: { order_id: "55555", first_name: "Zoë" }, fromStrings: true });
    expect(diagnostics).toEqual([]);
    expect(plan!.recipient).toBe("+16045550199");
    expect(plan!.item.key).toBe("note/+16045550199");
    expect(plan!.item.template!.body).toEqual({
      number: "+16045550199",
      templateName: "order_shipped",
      language: "en",
      parameters: [
        { name: "body_1", value: "Zoë" },
        { name: "body_2", value: "55555" },
      ],
    });
    expect(plan!.sendId).toMatch(/^[0-9a-f]{12}-[0-9a-f]{12}$/);
    const same = planSingleMessage(project, "note", { to: "+16045550199", values: { first_name: "Zoë", order_id: "55555" } });
    const other = planSingleMessage(project, "note", { to: "+16045550199", values: { first_name: "Zoë", order_id: "55556" } });
    expect([same.plan!.sendId === plan!.sendId, other.plan!.sendId === plan!.sendId]).toEqual([true, false]);
    const bad = planSingleMessage(project, "note", { to: "+16045550199", values: { first_name: "Zoë", order_id: "12" }, sourceOf: () => "vars.yaml" });
    expect([bad.plan, bad.diagnostics.map((d) => [d.file, d.path, d.severity])]).toEqual([undefined, [["vars.yaml", ["order_id"], "error"]]]);
    expect(() => planSingleMessage(project, "note", { to: " 604 555 0199", values: {} })).toThrow(
      new UsageError('--to •••99 is not a phone number: "•••99" is not in international format: start it with + and the country code'),
    );
  });

  it("gatherValues: a file's typed values, --var pairs as text winning, bounded files only", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "vars.yaml"), "first_name: Ana\norder_id: 12345\n");
    expect(gatherValues({ path: join(dir, "vars.yaml"), shownAs: "vars.yaml" }, [])).toEqual({ values: { first_name: "Ana", order_id: 12345 }, fromStrings: false });
    expect(gatherValues({ path: join(dir, "vars.yaml"), shownAs: "vars.yaml" }, ["first_name=Zoë=1"])).toEqual({ values: { first_name: "Zoë=1", order_id: "12345" }, fromStrings: true });
    expect(() => gatherValues({ path: "/dev/zero", shownAs: "/dev/zero" }, [])).toThrow(new InputError("--vars /dev/zero: is not a regular file"));
    writeFileSync(join(dir, "big.yaml"), `a: "${"x".repeat(MAX_VARS_FILE_BYTES)}"\n`);
    expect(() => gatherValues({ path: join(dir, "big.yaml"), shownAs: "big.yaml" }, [])).toThrow(new InputError(`--vars big.yaml: is larger than ${MAX_VARS_FILE_BYTES} bytes`));
    expect(() => gatherValues(undefined, ["=x"])).toThrow(new UsageError('--var must be name=value, got "=x"'));
  });
});

describe("item 8: error codes a server makes up", () => {
  it("at most 50 distinct codes are counted one by one; __proto__ and constructor are codes like any other", async () => {
    const server = await serve((_req, res, n) => answer(res, 400, { code: n === 0 ? "__proto__" : n === 1 ? "constructor" : `E${n}` }));
    try {
      const summary = await sendTemplates(server.url, 80, { maxFailures: { kind: "count", count: 1000 } });
      expect(summary.failed).toBe(80);
      expect(Object.keys(summary.failedByCode)).toHaveLength(51);
      expect([summary.failedByCode["__proto__"], summary.failedByCode["constructor"], summary.failedByCode["E2"], summary.failedByCode["(other codes)"]]).toEqual([1, 1, 1, 30]);
      expect(JSON.parse(JSON.stringify(summary)).failedByCode["__proto__"]).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe("item 15: Ctrl-C while --sandbox sends", () => {
  it("SIGINT mid-run: the run stops gracefully and the temporary journal folder is gone", async () => {
    const tmp = tempDir();
    const dir = notesProject(400, { rate: 40 });
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [cliPath, "send", "notes", "--sandbox", "--yes"], { cwd: dir, env: { PATH: process.env.PATH, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    // Signalled once the sandbox listens: whatever the run is doing then, it must clean up.
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (stderr.includes("sandbox: listening")) child.kill("SIGINT");
    });
    const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
    const result = { code, signal, stdout };
    expect([result.code, result.signal]).toEqual([1, null]);
    expect(result.stdout).toContain("  interrupted: what was in flight finished, the rest is left for --resume\n");
    expect(readdirSync(tmp)).toEqual([]);
  });
});
