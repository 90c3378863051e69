import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { ensureBuilt, makeProject, msgc, STACK_TRACE } from "../cli/helpers.js";
import { API_KEY, makeItem, numberOf, sendToSandbox, useSandbox } from "../send/helpers.js";

const startSandbox = useSandbox(API_KEY);
const CONFIG = "specs: specs\nout: .msgc\n";

/** A project whose journal comes from a real send: 0 and 1 sent, 4 refused at send. */
async function projectWithJournal(): Promise<string> {
  const root = makeProject({ "msgc.config.yaml": CONFIG, "specs/.keep": "" });
  const box = await startSandbox();
  await sendToSandbox(box, [makeItem(0), makeItem(1), makeItem(4, { window: "session", template: false })], {
    journal: join(root, ".msgc", "journal", "spring.ndjson"),
    maxFailures: { kind: "count", count: 100 },
  });
  await box.close();
  return root;
}

describe("msgc status (the built CLI)", () => {
  let root: string;
  // Built when missing or stale: a binary test that skips itself would pass without testing.
  beforeAll(ensureBuilt, 120_000);
  beforeAll(async () => {
    root = await projectWithJournal();
    // The store a receiver fills: <out>/msgc.db is found without configuration.
    const store = await openSqliteStore(join(root, ".msgc", "msgc.db"), { create: true });
    const journal = readFileSync(join(root, ".msgc", "journal", "spring.ndjson"), "utf8");
    const accepted = journal.split("\n").filter((l) => l.includes('"result":"sent"')).map((l) => JSON.parse(l) as { key: string; messageId: string; form: "template" | "session" });
    await store.recordSends(accepted.map((o) => ({ key: o.key, campaign: "spring", channel: "whatsapp", form: o.form, attempt: 1, messageId: o.messageId, token: null, at: "2026-12-01T09:00:00.000Z" })));
    await store.commitEvent({
      topic: "delivery_status", deliveryId: "d1", messageId: accepted.find((o) => o.key === `spring/${numberOf(0)}`)!.messageId, status: "delivered", errorCode: null, errorMessage: null,
      customer: null, campaign: "spring", token: null, occurredAt: "2026-12-01T09:01:00.000Z", receivedAt: "2026-12-01T09:01:01.000Z", raw: "{}",
    });
    await store.close();
  });

  test("text: the funnel from the journal and the store found at <out>/msgc.db", () => {
    const r = msgc(["status", "spring"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Campaign spring
  journal: .msgc/journal/spring.ndjson
  store: ${join(root, ".msgc", "msgc.db")}

Funnel (3 recipients)
  planned       3
  sent          2   66.7%
  delivered     1   33.3%
  read          0    0.0%
  failed        1   33.3%
  no status yet 1   33.3%
  unknown       0    0.0%
  not finished  0    0.0%
  suppressed    0    0.0%

Failed by code
  1  ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION (at send): the customer never wrote: send a template first

Fallbacks to the template form: 0
SMS: 0 recipients (segments not recorded)
Unknown outcomes: 0 (0 resolved as sent, 0 still uncertain)
Possibly duplicated: 0 (0 duplicated, 0 not duplicated, 0 still uncertain)
Resolved from webhook events

Delivered and read per 1 minute (UTC)
  2026-12-01 09:01  delivered 1  read 0
`);
  });

  test("--format html --out FILE: the page written, a line on stderr", () => {
    const r = msgc(["status", "spring", "--format", "html", "--out", "reports/spring.html"], { cwd: root });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "", "msgc status: wrote the html status to reports/spring.html\n"]);
    const html = readFileSync(join(root, "reports", "spring.html"), "utf8");
    expect(html).toContain('<svg class="funnel"');
    expect(html).toContain('<path class="line line-delivered"');
  });

  test("--format json: the documented model", () => {
    const r = msgc(["status", "spring", "--format", "json", "--journal", ".msgc/journal/spring.ndjson"], { cwd: root });
    expect(r.code).toBe(0);
    const model = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(model)).toEqual(["campaign", "sources", "funnel", "failures", "fallbacks", "sms", "possiblyDuplicated", "resolution", "timeline"]);
    expect(model["funnel"]).toEqual({ planned: 3, sent: 2, delivered: 1, read: 0, failed: 1, noStatus: 1, unknown: 0, notFinished: 0, suppressed: 0 });
  });

  test("--report: one NDJSON line per recipient, numbers masked unless --show-numbers", () => {
    const masked = msgc(["status", "spring", "--report", "out/report.ndjson", "-q"], { cwd: root });
    expect([masked.code, masked.stderr]).toEqual([0, ""]);
    const text = readFileSync(join(root, "out", "report.ndjson"), "utf8");
    for (const i of [0, 1, 4]) expect(text).not.toContain(numberOf(i));
    const rows = text.trimEnd().split("\n").map((l) => JSON.parse(l) as { key: string; state: string; errorCode: string | null });
    expect(rows.map((r) => [r.key, r.state, r.errorCode])).toEqual([
      ["spring/+1604•••0000", "delivered", null],
      ["spring/+1604•••0001", "no-status", null],
      ["spring/+1604•••0004", "failed", "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION"],
    ]);
    // Written whole or not at all: no temporary file is left beside it.
    expect(readdirSync(join(root, "out"))).toEqual(["report.ndjson"]);

    const shown = msgc(["status", "spring", "--report", "out/report.ndjson", "--show-numbers", "-q"], { cwd: root });
    expect(shown.code).toBe(0);
    expect(readFileSync(join(root, "out", "report.ndjson"), "utf8")).toContain(`"key":"spring/${numberOf(4)}"`);
  });

  test.each([
    [["status"], 64, "msgc status: which campaign?"],
    [["status", "a", "b"], 64, "msgc status: one campaign at a time, got 2"],
    [["status", "../spring"], 64, 'msgc status: "../spring" is not a campaign name'],
    [["status", "spring", "--format", "csv"], 64, 'msgc status: unknown format "csv"'],
    [["status", "spring", "--out", join(tmpdir(), "x.html")], 64, `msgc status: --out ${join(tmpdir(), "x.html")} is outside the project`],
    [["status", "spring", "--report", "../r.ndjson"], 64, "msgc status: --report ../r.ndjson is outside the project"],
    [["status", "winter"], 1, `msgc status: no campaign "winter" was sent: no journal at .msgc/journal/winter.ndjson, and the store`],
  ])("%j: exit %i, one line", (args, code, first) => {
    const r = msgc(args, { cwd: root });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr.startsWith(first)).toBe(true);
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  test("--help: usage and exit codes; msgc --help lists status", () => {
    const r = msgc(["status", "--help"], { cwd: root });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^Usage: msgc status CAMPAIGN \[options\]\n/);
    expect(r.stdout).toContain("Exit codes: 0 shown, 1 unknown campaign");
    expect(msgc(["--help"], { cwd: root }).stdout).toContain("  status    a campaign's delivery funnel from its journal and the store\n");
  });

  test("an output linked outside the project is refused", () => {
    const outside = join(makeProject({}), "target");
    mkdirSync(outside);
    symlinkSync(outside, join(root, "linked"));
    const r = msgc(["status", "spring", "--out", "linked/status.txt"], { cwd: root });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^msgc status: --out linked\/status\.txt is outside the project \(.*\) \(a symlink leads out of it\)\n/);
    expect(existsSync(join(outside, "status.txt"))).toBe(false);
  });

  test("an output that is the store or a journal it reads is refused, links and all; both are left whole", () => {
    const db = join(root, ".msgc", "msgc.db");
    const journal = join(root, ".msgc", "journal", "spring.ndjson");
    const before = [readFileSync(db), readFileSync(journal)];
    symlinkSync(db, join(root, "store-link.txt"));
    const cases: [string[], string][] = [
      [["--out", ".msgc/msgc.db"], "msgc status: --out .msgc/msgc.db is the store that status reads; write it to another file\n"],
      [["--report", ".msgc/msgc.db-wal"], "msgc status: --report .msgc/msgc.db-wal is the store that status reads; write it to another file\n"],
      [["--out", "store-link.txt"], "msgc status: --out store-link.txt is the store that status reads; write it to another file\n"],
      [["--report", ".msgc/journal/spring.ndjson"], "msgc status: --report .msgc/journal/spring.ndjson is in the journal folder that status reads; write it to another file\n"],
      [["--out", ".msgc/journal/spring.shard-1-of-2.ndjson"], "msgc status: --out .msgc/journal/spring.shard-1-of-2.ndjson is in the journal folder that status reads; write it to another file\n"],
      [["--journal", ".msgc/journal/spring.ndjson", "--out", "./.msgc/journal/spring.ndjson"], "msgc status: --out ./.msgc/journal/spring.ndjson is the journal that status reads; write it to another file\n"],
      [["--out", "s.txt", "--report", "s.txt"], "msgc status: --out and --report are the same file s.txt; give each its own\n"],
    ];
    for (const [args, stderr] of cases) expect(msgc(["status", "spring", ...args], { cwd: root })).toMatchObject({ code: 64, stdout: "", stderr });
    expect([readFileSync(db), readFileSync(journal)]).toEqual(before);
    expect(existsSync(join(root, "s.txt"))).toBe(false);
  });

  test("--journal elsewhere: an output over it is refused", () => {
    writeFileSync(join(root, "copy.ndjson"), readFileSync(join(root, ".msgc", "journal", "spring.ndjson")));
    const r = msgc(["status", "spring", "--journal", "copy.ndjson", "--report", "copy.ndjson"], { cwd: root });
    expect(r).toMatchObject({ code: 64, stdout: "", stderr: "msgc status: --report copy.ndjson is the journal that status reads; write it to another file\n" });
  });

  test("a config with an error: exit 1, its diagnostic on stderr, nothing on stdout", () => {
    const bad = makeProject({ "msgc.config.yaml": "specs: [\n" });
    expect(msgc(["status", "spring"], { cwd: bad })).toEqual({
      code: 1,
      stdout: "",
      stderr: "msgc.config.yaml:2:1 error yaml-syntax Flow sequence in block collection must be sufficiently indented and end with a ]\n",
    });
  });

  test("no store and no journal: exit 1 saying how to configure one", () => {
    const empty = makeProject({ "msgc.config.yaml": CONFIG });
    const r = msgc(["status", "spring"], { cwd: empty });
    expect([r.code, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toBe(
      'msgc status: no journal for campaign "spring" at .msgc/journal/spring.ndjson, and no store is configured; set "store:" in msgc.config.yaml or MSGC_STORE (sends record into .msgc/msgc.db when it exists)\n',
    );
  });

  test("a PostgreSQL store that cannot be reached: one line, the password nowhere", () => {
    const empty = makeProject({ "msgc.config.yaml": CONFIG });
    const r = msgc(["status", "spring"], { cwd: empty, env: { MSGC_STORE: "postgres://msgc:s3cret-pw@127.0.0.1:1/msgc" } });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain("s3cret-pw");
  });

  test("a damaged journal: exit 1, one line with where", () => {
    const damaged = makeProject({ "msgc.config.yaml": CONFIG, ".msgc/journal/spring.ndjson": "{not a header}\n" });
    const r = msgc(["status", "spring"], { cwd: damaged });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^msgc: the journal \/.*\/\.msgc\/journal\/spring\.ndjson is damaged at line 1 \(not JSON\)/);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  test("--report when the run fails: FILE untouched, no temporary file left", () => {
    const damaged = makeProject({ "msgc.config.yaml": CONFIG, ".msgc/journal/spring.ndjson": "{not a header}\n", "out/report.ndjson": "earlier\n" });
    const r = msgc(["status", "spring", "--report", "out/report.ndjson"], { cwd: damaged });
    expect(r.code).toBe(1);
    expect(readdirSync(join(damaged, "out"))).toEqual(["report.ndjson"]);
    expect(readFileSync(join(damaged, "out", "report.ndjson"), "utf8")).toBe("earlier\n");
  });

  test("--report naming a folder: exit 1, one line", () => {
    mkdirSync(join(root, "a-folder"), { recursive: true });
    const r = msgc(["status", "spring", "--report", "a-folder"], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^msgc status: cannot write the report .*a-folder \(not a regular file\)\n$/);
    expect(readdirSync(join(root, "a-folder"))).toEqual([]);
    expect(readdirSync(root).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  test("a store file that is not a database: exit 1, one line", () => {
    const bad = makeProject({ "msgc.config.yaml": CONFIG, ".msgc/msgc.db": "not a database at all".repeat(100) });
    writeFileSync(join(bad, ".msgc", "journal.txt"), "");
    const r = msgc(["status", "spring"], { cwd: bad });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("msgc.db");
  });
});
