import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadProject } from "../../src/project/project.js";
import { planCampaign } from "../../src/runner/plan.js";
import type { PlanItem } from "../../src/compiler/plan.js";
import { ensureBuilt } from "../cli/helpers.js";
import { notesProject, runCli, startCli } from "./cli-helpers.js";
import type { RunResult } from "./cli-helpers.js";
import { countByRecipient, NOTE_TEMPLATE, recipientOf, useSandbox, whenRequests } from "./helpers.js";

const KEY = "ck_live_9f8e7d6c5b4a3210";
const outputs: string[] = [];
const sandboxWith = useSandbox(KEY, { templates: [NOTE_TEMPLATE] });

beforeAll(() => ensureBuilt());

async function msgc(args: string[], cwd: string, env: NodeJS.ProcessEnv = { CONNECTLY_API_KEY: KEY }): Promise<RunResult> {
  const result = await runCli(["send", ...args], { cwd, env });
  outputs.push(result.stdout, result.stderr);
  return result;
}

function jsonSummary(result: RunResult): Record<string, unknown> & { unknownKeys: string[]; possiblyDuplicatedKeys: string[] } {
  return (JSON.parse(result.stdout) as { summary: Record<string, unknown> & { unknownKeys: string[]; possiblyDuplicatedKeys: string[] } }).summary;
}

async function planOf(dir: string): Promise<PlanItem[]> {
  const project = await loadProject({ cwd: dir });
  const items: PlanItem[] = [];
  for await (const item of planCampaign(project, "notes")) items.push(item);
  return items;
}

describe("msgc send: usage", () => {
  it("a missing API key is a usage error before any spec is compiled", async () => {
    const dir = notesProject(3);
    writeFileSync(join(dir, "specs/messages/note.yaml"), "kind: Message\nname: [broken");
    const result = await msgc(["notes", "--base-url", "http://127.0.0.1:9", "--yes"], dir, {});
    expect(result.code).toBe(64);
    expect(result.stderr).toBe(
      "msgc send: no API key: set CONNECTLY_API_KEY or pass --api-key-file PATH\nThe key is never taken from a flag value, a spec or the config file.\n",
    );
  });

  it("a missing business id is a usage error", async () => {
    const dir = notesProject(3, { config: "rate: 10\n" });
    const result = await msgc(["notes", "--base-url", "http://127.0.0.1:9", "--yes"], dir);
    expect(result.code).toBe(64);
    expect(result.stderr.split("\n")[0]).toBe("msgc send: no business id: set businessId in msgc.config.yaml or pass --business-id");
  });

  it("--dry-run needs no business id either (a newcomer has no account yet); a real send says where the id comes from", async () => {
    const dir = notesProject(3, { config: "rate: 10\n" });
    const dry = await msgc(["notes", "--dry-run"], dir, {});
    expect(dry).toMatchObject({ code: 0, stdout: "Dry run: notes -> api.connectly.ai, nothing sent\n  would send  3  (0 session, 3 template)\n" });
    const real = await msgc(["notes", "--base-url", "http://127.0.0.1:9", "--yes"], dir);
    expect(real.stderr.split("\n")[1]).toBe("Connectly issues it (a UUID) with your API key. Without an account: --dry-run, or send to a local API with --sandbox.");
  });

  it("flags out of range are usage errors", async () => {
    const dir = notesProject(3);
    const cases: Array<[string[], string]> = [
      [["notes", "--rate", "500"], "msgc send: --rate is at most 200, got 500"],
      [["notes", "--max-failures", "0"], 'msgc send: --max-failures must be a count of at least 1 (like 50) or a percentage (like 5%), got "0"'],
      [[], "msgc send: which campaign (or message) to send?"],
      [["note"], 'msgc send: "note" is a message; send it to one number with --to NUMBER'],
    ];
    for (const [args, first] of cases) {
      const result = await msgc(args, dir);
      expect([result.code, result.stderr.split("\n")[0]]).toEqual([64, first]);
    }
  });

  it("a key file with a second line is a usage error that never quotes the key", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    writeFileSync(join(dir, "key.txt"), `${KEY}\nck_live_second_line\n`);
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--api-key-file", "key.txt"], dir, {});
    expect([result.code, result.stdout, result.stderr]).toEqual([
      64,
      "",
      "msgc send: the API key in key.txt has characters an HTTP header cannot carry (spaces, line breaks or non-ASCII)\nCheck how the key was copied: it is printable ASCII only.\n",
    ]);
    expect(box.stats().requests).toBe(0);
  });

  it("a campaign named with --to is a usage error that says so", async () => {
    const dir = notesProject(3);
    const result = await msgc(["notes", "--to", "+16045550199", "--base-url", "http://127.0.0.1:9", "--yes"], dir);
    expect([result.code, result.stdout, result.stderr]).toEqual([
      64,
      "",
      'msgc send: "notes" is a campaign; --to sends a message\nTo send its message to one number: msgc send note --to NUMBER\n',
    ]);
  });

  it("an unknown name is said before a missing business id or key", async () => {
    const dir = notesProject(3, { config: "rate: 10\n" });
    const result = await msgc(["no-such-campaign", "--dry-run"], dir, {});
    expect([result.code, result.stdout, result.stderr]).toEqual([
      1,
      "",
      'msgc send: there is no campaign or message named "no-such-campaign" (known: note, notes)\n',
    ]);
  });

  it("refuses to send without --yes when there is no terminal to ask on", async () => {
    const box = await sandboxWith();
    const dir = notesProject(5);
    const result = await msgc(["notes", "--base-url", box.url], dir);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(`msgc send: about to send 5 messages of notes to 127.0.0.1:${box.port}, but there is no terminal to confirm on\nAdd --yes to send without asking.\n`);
    expect(box.stats().requests).toBe(0);
  });

  it("--dry-run needs no key, sends nothing and writes no journal", async () => {
    const box = await sandboxWith();
    const dir = notesProject(4);
    const result = await msgc(["notes", "--base-url", box.url, "--dry-run"], dir, {});
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Dry run: notes -> 127.0.0.1:${box.port}, nothing sent\n  would send  4  (0 session, 4 template)\n`);
    expect(box.stats().requests).toBe(0);
    expect(existsSync(join(dir, ".msgc/journal/notes.ndjson"))).toBe(false);
  });
});

describe("msgc send: campaigns against the sandbox", () => {
  it("sends a few hundred recipients, each once, with the exact compiled body", async () => {
    const box = await sandboxWith();
    const dir = notesProject(250);
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--concurrency", "32"], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Send summary: notes -> 127\.0\.0\.1:\d+\n  sent        250\n  failed      0\n/);
    const plan = await planOf(dir);
    expect(plan).toHaveLength(250);
    const accepted = new Map(box.messages().map((m) => [recipientOf(m), m]));
    expect(accepted.size).toBe(250);
    expect(box.messages()).toHaveLength(250);
    for (const item of plan) {
      const body = item.template!.body;
      const message = accepted.get(body.number)!;
      expect([message.businessId, message.endpoint, message.body]).toEqual(["biz-test", "whatsapp_templated_messages", body]);
    }
    const journal = readFileSync(join(dir, ".msgc/journal/notes.ndjson"), "utf8");
    expect(journal.trimEnd().split("\n")).toHaveLength(1 + 2 * 250);
  });

  it("survives SIGKILL at several points: resume reaches everyone once and lists unknowns", async () => {
    let unknownSeen = 0;
    for (const killAfter of [1, 60]) {
      const box = await sandboxWith({ latencyMs: 20 });
      const dir = notesProject(120);
      const args = ["notes", "--base-url", box.url, "--yes", "--rate", "150", "--concurrency", "8", "--format", "json", "--show-numbers"];
      const first = startCli(["send", ...args], { cwd: dir, env: { CONNECTLY_API_KEY: KEY } });
      await whenRequests(box, killAfter, () => first.kill("SIGKILL"));
      const killed = await first.result;
      outputs.push(killed.stdout, killed.stderr);
      expect(killed.signal).toBe("SIGKILL");
      const beforeResume = box.messages().length;
      expect(beforeResume).toBeLessThan(120);

      const resumed = await msgc([...args, "--resume"], dir);
      const summary = jsonSummary(resumed);
      const counts = countByRecipient(box);
      // Nobody twice; everyone either reached or listed as unknown.
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      const unknown = new Set(summary.unknownKeys.map((k) => k.slice("notes/".length)));
      const plan = await planOf(dir);
      const missing = plan.map((i) => i.template!.body.number).filter((n) => !counts.has(n));
      expect(missing.every((n) => unknown.has(n))).toBe(true);
      expect(summary.sent as number).toBe(120 - (summary.skipped as number) - unknown.size);
      expect(resumed.code).toBe(unknown.size > 0 ? 1 : 0);
      unknownSeen += unknown.size;

      if (unknown.size > 0) {
        const retried = await msgc([...args, "--resume", "--retry-unknown"], dir);
        const again = jsonSummary(retried);
        expect(retried.code).toBe(0);
        expect(again.sent).toBe(unknown.size);
        const after = countByRecipient(box);
        expect(after.size).toBe(120);
        const twice = [...after].filter(([, n]) => n > 1).map(([n]) => `notes/${n}`);
        expect(twice.every((k) => again.possiblyDuplicatedKeys.includes(k))).toBe(true);
      }
    }
    // Killed with requests in flight: their intents are journaled, their outcomes are not.
    expect(unknownSeen).toBeGreaterThan(0);
  }, 120_000);

  it("Ctrl-C stops gracefully: nothing in flight is lost, and --resume finishes the rest", async () => {
    const box = await sandboxWith({ latencyMs: 20 });
    const dir = notesProject(100);
    const args = ["notes", "--base-url", box.url, "--yes", "--rate", "100", "--concurrency", "4", "--format", "json"];
    const first = startCli(["send", ...args], { cwd: dir, env: { CONNECTLY_API_KEY: KEY } });
    await whenRequests(box, 20, () => first.kill("SIGINT"));
    const stopped = await first.result;
    outputs.push(stopped.stdout, stopped.stderr);
    expect(stopped.code).toBe(1);
    const summary = jsonSummary(stopped);
    expect(summary.stopped).toBe("interrupted: what was in flight finished, the rest is left for --resume");
    expect(summary.sent).toBe(box.messages().length);
    expect((summary.sent as number) + (summary.notAttempted as number) + (summary.interrupted as number)).toBe(100);
    const resumed = jsonSummary(await msgc([...args, "--resume"], dir));
    expect(resumed).toMatchObject({ unknown: 0, skipped: summary.sent, sent: 100 - (summary.sent as number) });
    const counts = countByRecipient(box);
    expect(counts.size).toBe(100);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it("shards 1/3, 2/3 and 3/3 cover the audience exactly once, each with its own journal", async () => {
    const box = await sandboxWith();
    const dir = notesProject(60);
    let total = 0;
    for (const shard of ["1/3", "2/3", "3/3"]) {
      const result = await msgc(["notes", "--base-url", box.url, "--yes", "--shard", shard], dir);
      expect(result.code).toBe(0);
      total += Number(/ {2}sent {8}(\d+)/.exec(result.stdout)![1]);
      expect(existsSync(join(dir, `.msgc/journal/notes.shard-${shard.replace("/", "-of-")}.ndjson`))).toBe(true);
    }
    expect(total).toBe(60);
    const counts = countByRecipient(box);
    expect(counts.size).toBe(60);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it("a second send on the same journal is refused with a hint", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    expect((await msgc(["notes", "--base-url", box.url, "--yes"], dir)).code).toBe(0);
    const again = await msgc(["notes", "--base-url", box.url, "--yes"], dir);
    expect(again.code).toBe(64);
    expect(again.stderr).toBe(
      `msgc send: the journal ${join(dir, ".msgc/journal/notes.ndjson")} already exists: this campaign was sent (or started) before\n` +
        "Add --resume to send only what is not known to be sent, or remove the journal to start over (which can send twice).\n",
    );
    const resumed = await msgc(["notes", "--base-url", box.url, "--yes", "--resume"], dir);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("  skipped     3  already sent (journal)\n");
    expect(box.messages()).toHaveLength(3);
  });

  it("one message to one number: the same values are refused a second time, other values are a new send", async () => {
    const box = await sandboxWith();
    const dir = notesProject(1);
    const to = ["note", "--to", "+1 604 555 2331", "--base-url", box.url, "--yes", "--var", "first_name=Ana"];
    expect((await msgc([...to, "--var", "order_id=55555"], dir)).code).toBe(0);
    const journals = readdirSync(join(dir, ".msgc/journal")).filter((f) => f.endsWith(".ndjson"));
    expect(journals).toHaveLength(1);
    const journal = join(dir, ".msgc/journal", journals[0]!);
    const startedAt = (JSON.parse(readFileSync(journal, "utf8").split("\n")[0]!) as { startedAt: string }).startedAt;

    const again = await msgc([...to, "--var", "order_id=55555"], dir);
    expect([again.code, again.stdout, again.stderr]).toEqual([
      64,
      "",
      `msgc send: this message with these values was already sent to +1604•••2331 at ${startedAt}; --resume to finish it or --journal FILE to start over\nIts journal: ${journal}\n`,
    ]);
    expect((await msgc([...to, "--var", "order_id=55556"], dir)).code).toBe(0);
    const resumed = await msgc([...to, "--var", "order_id=55555", "--resume"], dir);
    expect([resumed.code, resumed.stdout.includes("  skipped     1  already sent (journal)\n")]).toEqual([0, true]);
    expect(box.messages().map((m) => (m.body as { parameters: Array<{ value: string }> }).parameters[1]!.value)).toEqual(["55555", "55556"]);
  });

  it("--max-failures stops a run whose every request fails with a 400", async () => {
    const box = await sandboxWith({ templates: [{ name: "another_template", language: "en" }] as never });
    const dir = notesProject(120);
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--no-preflight", "--concurrency", "2", "--max-failures", "10", "--report", "report.json"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("  stopped early: 10 recipients failed\n");
    expect(box.stats().requests).toBeLessThanOrEqual(11);
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as { recipients: Array<{ key: string; errorCode: string; httpStatus: number }> };
    expect(report.recipients[0]).toMatchObject({ errorCode: "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND", httpStatus: 400 });
    expect(report.recipients[0]!.key).toMatch(/^notes\/\+1604•••\d{4}$/);
  });

  it("sends the good rows of an audience with a bad one, reports the bad row, and exits 1", async () => {
    const box = await sandboxWith();
    const dir = notesProject(4);
    const csv = join(dir, "specs/audiences/notes.csv");
    writeFileSync(csv, `${readFileSync(csv, "utf8")}+1 604 555 0099,Bad,12a,\n`);
    const result = await msgc(["notes", "--base-url", box.url, "--yes"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Send summary: notes -> 127\.0\.0\.1:\d+\n {2}sent {8}4\n {2}failed {6}0\n/);
    expect(result.stderr).toContain("specs/audiences/notes.csv row 5 (line 6) error var-invalid");
    expect(result.stderr).toContain("notes: 1 audience row not sent");
    expect(box.messages()).toHaveLength(4);
  });

  it("--format json reports a bad audience row in validate's diagnostic shape", async () => {
    const box = await sandboxWith();
    const dir = notesProject(2);
    const csv = join(dir, "specs/audiences/notes.csv");
    writeFileSync(csv, `${readFileSync(csv, "utf8")}+1 604 555 0099,Bad,12a,\n`);
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--format", "json"], dir);
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as { ok: boolean; diagnostics: unknown[] };
    expect(document.ok).toBe(false);
    expect(document.diagnostics).toEqual([
      { file: "specs/audiences/notes.csv", row: 3, line: 4, severity: "error", code: "var-invalid", message: 'order_id "12a" does not match ^[0-9]{5,}$' },
    ]);
    expect(box.messages()).toHaveLength(2);
  });

  it("bad --var and --vars values are diagnostics (JSON or one line each), where they came from, and nothing is sent", async () => {
    const box = await sandboxWith();
    const dir = notesProject(1);
    writeFileSync(join(dir, "vals.yaml"), "first_name: Ana\nnickname: A\n");
    const base = ["note", "--to", "+16045550199", "--base-url", box.url, "--yes"];
    const json = await msgc([...base, "--var", "first_name=Zoë", "--var", "order_id=12a", "--format", "json"], dir);
    expect([json.code, JSON.parse(json.stdout)]).toEqual([
      1,
      {
        ok: false,
        diagnostics: [{ file: "--var", severity: "error", code: "var-invalid", message: 'order_id "12a" does not match ^[0-9]{5,}$' }],
        summary: { specs: 2, errors: 1, warnings: 0 },
      },
    ]);
    const text = await msgc([...base, "--vars", "vals.yaml"], dir);
    expect([text.code, text.stdout]).toEqual([
      1,
      [
        "vals.yaml error var-unknown nickname is not a declared var",
        "vals.yaml error var-missing order_id is required but has no value",
        "nothing sent: 2 errors, 0 warnings",
        "",
      ].join("\n"),
    ]);
    const missing = await msgc([...base, "--var", "first_name=Zoë", "--format", "json"], dir);
    expect((JSON.parse(missing.stdout) as { diagnostics: unknown[] }).diagnostics).toEqual([
      { file: "--var", severity: "error", code: "var-missing", message: "order_id is required but has no value" },
    ]);
    expect(box.stats().requests).toBe(0);
  });

  it("--quiet says nothing when every recipient was sent", async () => {
    const box = await sandboxWith();
    const dir = notesProject(3);
    const result = await msgc(["notes", "--base-url", box.url, "--yes", "--quiet"], dir);
    expect([result.code, result.stdout, result.stderr]).toEqual([0, "", ""]);
    expect(box.messages()).toHaveLength(3);
  });

  it("sends one message to one number with --to and --var, the key read from --api-key-file", async () => {
    const box = await sandboxWith();
    const dir = notesProject(1);
    writeFileSync(join(dir, "key.txt"), `${KEY}\n`);
    const result = await msgc(
      ["note", "--to", "+1 (604) 555-0199", "--var", "first_name=Zoë", "--var", "order_id=55555", "--base-url", box.url, "--yes", "--api-key-file", "key.txt"],
      dir,
      {},
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Send summary: note -> ");
    expect(box.messages().map((m) => m.body)).toEqual([
      { number: "+16045550199", templateName: "order_shipped", language: "en", parameters: [{ name: "body_1", value: "Zoë" }, { name: "body_2", value: "55555" }] },
    ]);
  });

  it("npm run demo's command sends the demo campaign to the in-process sandbox", async () => {
    const repo = join(__dirname, "..", "..");
    const result = await runCli(["send", "demo-campaign", "--sandbox", "--yes"], { cwd: repo });
    outputs.push(result.stdout, result.stderr);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Send summary: demo-campaign -> 127\.0\.0\.1:\d+\n {2}sent {8}20/);
  });
});

afterAll(() => {
  // Every output of every run above, killed ones included.
  expect(outputs.length).toBeGreaterThan(0);
  for (const output of outputs) expect(output).not.toContain(KEY);
});
