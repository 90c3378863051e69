/**
 * The parallel planner (worker threads) against the one-thread planner: for any CSV or NDJSON
 * audience, the same NDJSON bytes, the same diagnostics in the same order, the same stats. It
 * runs the built package (dist/): worker threads load JavaScript, not the TypeScript sources.
 */
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics.js";
import type * as PlanModule from "../../src/runner/plan.js";
import type * as ParallelModule from "../../src/runner/parallel-plan.js";
import type { ParallelOptions, ParallelPass } from "../../src/runner/parallel-plan.js";
import type { Project } from "../../src/project/project.js";
import { ensureBuilt, repoRoot } from "../cli/helpers.js";
import { campaignProject } from "./campaign-project.js";

let plan: typeof PlanModule;
beforeAll(async () => {
  ensureBuilt();
  plan = (await import(join(repoRoot, "dist", "runner", "plan.js"))) as typeof PlanModule;
});

const root = mkdtempSync(join(tmpdir(), "msgc-parallel-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let files = 0;
function projectWith(extension: string, content: string | Buffer): Project {
  return campaignProject(root, `audience-${files++}.${extension}`, content);
}

interface Run {
  text: string;
  diagnostics: Diagnostic[];
  stats: PlanModule.CampaignStats;
}

async function run(project: Project, parallel: ParallelOptions): Promise<Run> {
  const diagnostics: Diagnostic[] = [];
  const stats = plan.newCampaignStats();
  const chunks: Buffer[] = [];
  // A lent chunk is only good until the next one is asked for: copy it at once.
  for await (const chunk of plan.planCampaignNdjson(project, "spring", { stats, onDiagnostic: (d) => diagnostics.push(d), parallel })) {
    chunks.push(Buffer.from(chunk));
  }
  return { text: Buffer.concat(chunks).toString("utf8"), diagnostics, stats };
}

/** Both planners on the same file; returns the one-thread result and how the parallel run went. */
async function compare(
  project: Project,
  opts: { taskBytes: number; lendChunks?: boolean; threads?: number },
): Promise<{ reference: Run; tasks: number; handedOver: boolean }> {
  const reference = await run(project, { threads: 0 });
  let info = { tasks: 0, handedOver: false };
  const parallel = await run(project, {
    threads: opts.threads ?? 2,
    minBytes: 0,
    taskBytes: opts.taskBytes,
    lendChunks: opts.lendChunks ?? false,
    onFinish: (i) => (info = i),
  });
  expect(parallel.text).toBe(reference.text);
  expect(parallel.diagnostics).toEqual(reference.diagnostics);
  expect(parallel.stats).toEqual(reference.stats);
  return { reference, ...info };
}

const HEADER = "phone,first_name,order_id,last_seen";

/** Plain CSV rows: good ones, bad numbers, bad vars, wrong field counts, repeats across tasks. */
function plainRows(count: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = i % 97 === 5 ? 3 : i; // the number of row 4 again, every 97 rows
    let phone = `+1 604 ${String(2_000_000 + n).slice(0, 3)} ${String(2_000_000 + n).slice(3)}`;
    if (i % 101 === 7) phone = "+1 555";
    const order = i % 103 === 11 ? "12a" : String(10000 + i);
    lines.push(i % 149 === 13 ? `${phone},N${i}` : `${phone},Zoë${i % 10},${order},${i % 2 ? "2026-11-20T10:00:00Z" : ""}`);
  }
  return lines;
}

describe("parallel planner: the same output as one thread", () => {
  it("plain CSV, many small tasks: items, duplicates across tasks, row problems", async () => {
    const project = projectWith("csv", `${HEADER}\n${plainRows(3000).join("\n")}\n`);
    const { reference, tasks, handedOver } = await compare(project, { taskBytes: 700 });
    expect(tasks).toBeGreaterThan(100);
    expect(handedOver).toBe(false);
    expect(reference.stats.items).toBeGreaterThan(2700);
    // Row 4 (i = 3) is good; every good row with i % 97 === 5 repeats its number.
    const valid = (i: number): boolean => i % 101 !== 7 && i % 103 !== 11 && i % 149 !== 13;
    const repeats = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 97 === 5 && valid(i));
    expect(valid(3)).toBe(true);
    expect(reference.stats.duplicates).toBe(repeats.length);
    expect(new Set(reference.diagnostics.map((d) => d.code))).toEqual(
      new Set(["audience-row-invalid", "duplicate-recipient", "phone-invalid", "var-invalid"]),
    );
  });

  it("tasks whose output outgrows its slot (32 times the task size) give the same bytes", async () => {
    // Each task holds at least one whole line (about 50 bytes) and its item is over 600 bytes:
    // with 16-byte tasks the 512-byte slot is always too small, and the output is moved instead.
    const project = projectWith("csv", `${HEADER}\n${plainRows(200).join("\n")}\n`);
    for (const lendChunks of [false, true]) {
      const { reference, tasks } = await compare(project, { taskBytes: 16, lendChunks });
      expect(tasks).toBeGreaterThan(150);
      expect(reference.text.split("\n")[0]!.length).toBeGreaterThan(512);
    }
  });

  it("lent chunks (views of shared memory) give the same bytes", async () => {
    const project = projectWith("csv", `${HEADER}\n${plainRows(2000).join("\n")}\n`);
    const { tasks } = await compare(project, { taskBytes: 4096, lendChunks: true });
    expect(tasks).toBeGreaterThan(10);
  });

  it("one worker thread, and more workers than tasks", async () => {
    const project = projectWith("csv", `${HEADER}\n${plainRows(300).join("\n")}\n`);
    expect((await compare(project, { taskBytes: 1000, threads: 1 })).tasks).toBeGreaterThan(5);
    expect((await compare(project, { taskBytes: 1 << 20, threads: 3 })).tasks).toBe(1);
  });

  it("a BOM, CRLF line endings, blank lines and no line break at the end", async () => {
    const body = plainRows(500).join("\r\n").replace(/\r\n(?=\+1 604 200 0?1)/g, "\r\n\r\n");
    const { reference, tasks } = await compare(projectWith("csv", `\ufeff${HEADER}\r\n${body}`), { taskBytes: 512 });
    expect(tasks).toBeGreaterThan(10);
    expect(reference.stats.rows).toBe(500);
  });

  it("quoted fields half-way (a comma, a line break) are cut for the workers too: no hand-over", async () => {
    const rows = plainRows(600);
    rows[400] = '+16045550100,"Ana, Jr.",12345,';
    rows[450] = '+16045550101,"two\nlines",12346,';
    const { reference, tasks, handedOver } = await compare(projectWith("csv", `${HEADER}\n${rows.join("\n")}\n`), { taskBytes: 600 });
    expect(handedOver).toBe(false);
    expect(tasks).toBeGreaterThan(10);
    expect(reference.text).toContain('"text":"Hi Ana, Jr.! Order #12345 is on its way."');
  });

  it("a quote never closed: rows before it are planned, then the same unreadable diagnostic", async () => {
    const rows = plainRows(400);
    rows[300] = '+16045550100,"open,12345,';
    const { reference } = await compare(projectWith("csv", `${HEADER}\n${rows.join("\n")}\n`), { taskBytes: 500 });
    expect(reference.diagnostics.at(-1)).toMatchObject({ code: "audience-unreadable", row: 301 });
    expect(reference.stats.aborted).toBe(true);
  });

  it("a line over the 1 MiB record cap, in CSV and in NDJSON", async () => {
    const long = "x".repeat(1024 * 1024 + 10);
    const csvRows = plainRows(200);
    csvRows[150] = `+16045550100,${long},12345,`;
    const csv = await compare(projectWith("csv", `${HEADER}\n${csvRows.join("\n")}\n`), { taskBytes: 300 });
    expect(csv.reference.diagnostics.at(-1)).toMatchObject({ code: "audience-unreadable", row: 151 });
    const lines = plainRows(200).map((_, i) => JSON.stringify({ phone: `+1604${2_000_000 + i}`, first_name: "Ana", order_id: String(10000 + i) }));
    lines[120] = JSON.stringify({ phone: "+16045550100", first_name: long, order_id: "12345" });
    const ndjson = await compare(projectWith("ndjson", `${lines.join("\n")}\n`), { taskBytes: 300 });
    expect(ndjson.reference.diagnostics.at(-1)).toMatchObject({ code: "audience-unreadable", row: 121 });
    expect(ndjson.reference.stats.items).toBe(120);
  });

  it("a header that is quoted is read by csv-parse and the rows cut as usual; one that lacks a column stops the plan", async () => {
    const rows = plainRows(100).join("\n");
    const quoted = await compare(projectWith("csv", `"phone",first_name,order_id,last_seen\n${rows}\n`), { taskBytes: 300 });
    expect(quoted.tasks).toBeGreaterThan(10);
    expect(quoted.handedOver).toBe(false);
    expect(quoted.reference.stats.items).toBeGreaterThan(80);
    const missing = await compare(projectWith("csv", `phone,first_name,last_seen\n${rows}\n`), { taskBytes: 300 });
    expect(missing.reference.diagnostics).toEqual([
      expect.objectContaining({ code: "audience-missing-column", field: "order_id" }),
    ]);
  });

  it("a header and blank lines only, and NDJSON of blank lines only: audience-empty", async () => {
    const csv = await compare(projectWith("csv", `${HEADER}\n\n\n\n`), { taskBytes: 64 });
    expect(csv.reference.diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/has a header but no rows$/)]);
    const ndjson = await compare(projectWith("ndjson", "\n  \n\r\n\n"), { taskBytes: 64 });
    expect(ndjson.reference.diagnostics.map((d) => d.code)).toEqual(["audience-empty"]);
  });

  it("NDJSON: blank lines keep their numbers; bad JSON, non-objects, numbers as JSON types, CRLF", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 800; i++) {
      if (i % 50 === 3) lines.push("");
      else if (i % 71 === 9) lines.push("{not json");
      else if (i % 83 === 2) lines.push("[1,2]");
      else if (i % 89 === 4) lines.push(JSON.stringify({ phone: "+16045552000", first_name: "Ana", order_id: 12345 }));
      else lines.push(JSON.stringify({ phone: `+1604${2_000_000 + (i % 97 === 5 ? 3 : i)}`, first_name: `Zoë${i % 7}`, order_id: String(10000 + i), last_seen: null }));
    }
    const { reference, tasks } = await compare(projectWith("ndjson", `\ufeff${lines.join("\r\n")}`), { taskBytes: 900 });
    expect(tasks).toBeGreaterThan(50);
    expect(new Set(reference.diagnostics.map((d) => d.code))).toEqual(
      new Set(["audience-row-invalid", "duplicate-recipient", "var-invalid"]),
    );
  });

  it("any mix of plain and odd CSV lines, cut into tasks of any size (property)", async () => {
    const cell = fc.constantFrom("Ana", "Zoë", "", "x,y", '"q"', '"a\nb"', " ", "😀", "\r", "12345", "1234");
    const phone = fc.constantFrom("+16045552001", "+16045552002", "+1 604 555 2003", "+1 555", "", "+447400123456");
    const line = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(phone, cell, fc.constantFrom("12345", "99999", "12a"), fc.constantFrom("", "2026-11-20T10:00:00Z")).map((c) => c.join(",")) },
      { weight: 1, arbitrary: fc.constantFrom("", "+16045552009,Ana", "\r", '"') },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 60 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.integer({ min: 8, max: 400 }),
        async (lines, ending, finalBreak, taskBytes) => {
          const text = `${HEADER}${ending}${lines.join(ending)}${finalBreak ? ending : ""}`;
          await compare(projectWith("csv", text), { taskBytes });
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it("quoted cells, other delimiters, windows-1252, bytes that are not UTF-8, a quoted header (property)", async () => {
    const cell = fc.constantFrom("Ana", "Chloé", "", "x,y", "x;y", "x\ty", '"q"', '"a\nb"', '"a\r\nb"', '"say ""hi"""', '"Zoë; Jr."', "\u0000bad");
    const phone = fc.constantFrom("+16045552001", "+16045552002", '"+1 604 555 2003"', "+1 555", "+447400123456");
    const row = fc.tuple(phone, cell, fc.constantFrom("12345", '"99999"', "12a"), fc.constantFrom("", "2026-11-20T10:00:00Z"));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 9, arbitrary: row.map((r) => r as string[]) }, { weight: 1, arbitrary: fc.constant([] as string[]) }), { minLength: 1, maxLength: 50 }),
        fc.constantFrom(",", ";", "\t"),
        fc.constantFrom("utf-8", "windows-1252") as fc.Arbitrary<"utf-8" | "windows-1252">,
        fc.boolean(),
        fc.constantFrom("\n", "\r\n"),
        fc.integer({ min: 8, max: 400 }),
        async (rows, delimiter, encoding, quotedHeader, ending, taskBytes) => {
          const header = ["phone", "first_name", "order_id", "last_seen"].map((h) => (quotedHeader ? `"${h}"` : h)).join(delimiter);
          const text = `${header}${ending}${rows.map((r) => r.join(delimiter)).join(ending)}${ending}`;
          // "\u0000bad" stands for a byte that is not UTF-8 (é as windows-1252 writes it).
          const bytes = Buffer.concat(
            text.split("\u0000bad").flatMap((part, i) => [...(i > 0 ? [Buffer.from([0xe9])] : []), Buffer.from(part, encoding === "utf-8" ? "utf8" : "latin1")]),
          );
          const name = `audience-${files++}.csv`;
          const project = campaignProject(root, name, bytes, { audience: { file: name, lastInboundAt: "last_seen", delimiter, encoding } });
          await compare(project, { taskBytes });
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);

  it("1% of rows with a quoted cell, from row 50 on: every task on the workers, row and line as on one thread", async () => {
    const rows = plainRows(2000).map((r, i) => (i >= 50 && i % 100 === 0 ? r.replace(/Zoë\d/, '"Doe, Jane\nsecond line"') : r));
    const { reference, tasks, handedOver } = await compare(projectWith("csv", `${HEADER}\n${rows.join("\n")}\n`), { taskBytes: 2000 });
    expect(handedOver).toBe(false);
    expect(tasks).toBeGreaterThan(30);
    // Each quoted cell with a line break before a row adds a line to it, and the header one.
    const late = reference.diagnostics.find((d) => d.row! > 1500)!;
    expect(late.line).toBe(late.row! + 1 + rows.slice(0, late.row! - 1).filter((r) => r.includes("\n")).length);
  });

  it("NDJSON that starts with 64 KiB of blank lines: the same output (the row estimate is clamped)", async () => {
    const lines = plainRows(300).map((_, i) => JSON.stringify({ phone: `+1604${2_000_000 + i}`, first_name: "Ana", order_id: String(10000 + i) }));
    const { reference, tasks } = await compare(projectWith("ndjson", `${"\n".repeat(65536)}${lines.join("\n")}\n`), { taskBytes: 65536 });
    expect(tasks).toBeGreaterThan(1);
    expect(reference.stats.items).toBe(300);
    expect(reference.diagnostics).toEqual([]);
  });
});

describe("parallel planner: a shard's SMS totals", () => {
  it("countsSms: on worker threads as on one thread, only the shard's keys, and the two shards add up to the whole", async () => {
    // Every other row by SMS: GSM-7 (1 segment) or, every third, UCS-2 (1 segment).
    const rows = Array.from({ length: 400 }, (_, i) => `+1604${String(5550000 + i)},${i % 3 === 0 ? "Дом" : "Ann"},${10000 + i},,${i % 2 === 0 ? "sms" : "whatsapp"}`);
    const project = projectWith("csv", `${HEADER},channel\n${rows.join("\n")}\n`);
    const message = project.messages.get("shipped")!;
    message.data = { ...message.data, sms: { text: "Hi {{first_name}}! Order #{{order_id}}.", sender: "+14155550100" } };
    project.campaigns.get("spring")!.data.audience.channel = "channel";
    const policy = (await import(join(repoRoot, "dist", "runner", "send", "policy.js"))) as typeof import("../../src/runner/send/policy.js");
    const totalsOf = async (parallel: ParallelOptions, shard?: number): Promise<unknown> => {
      const stats = plan.newCampaignStats();
      const countsSms = shard === undefined ? {} : { countsSms: (key: string) => policy.shardOf(key, 2) === shard };
      for await (const chunk of plan.planCampaignNdjson(project, "spring", { stats, ...countsSms, onDiagnostic() {}, parallel })) void chunk;
      expect(stats.items).toBe(400);
      return stats.sms;
    };
    const inShard = (shard: number, sms: boolean): number[] => rows.map((_, i) => i).filter((i) => (i % 2 === 0) === sms && policy.shardOf(`spring/+1604${5550000 + i}`, 2) === shard);
    // Neither shard is empty, so a filter that kept everything or nothing would show.
    expect([inShard(1, true).length > 50, inShard(2, true).length > 50]).toEqual([true, true]);
    const workers = { threads: 2, minBytes: 0, taskBytes: 1000 };
    for (const shard of [1, 2]) {
      const sms = inShard(shard, true);
      const want = { recipients: { whatsapp: inShard(shard, false).length, sms: sms.length }, segments: sms.length, ucs2: sms.filter((i) => i % 3 === 0).length };
      expect(await totalsOf({ threads: 0 }, shard)).toEqual(want);
      expect(await totalsOf(workers, shard)).toEqual(want);
    }
    expect(await totalsOf(workers)).toEqual({ recipients: { whatsapp: 200, sms: 200 }, segments: 200, ucs2: 67 });
  });
});

describe("parallel planner: callers of the library", () => {
  /** Lines received before the first row error is thrown (no onDiagnostic: the error is thrown). */
  async function linesBeforeThrow(project: Project, parallel: ParallelOptions): Promise<{ lines: number; error: string }> {
    let text = "";
    try {
      for await (const chunk of plan.planCampaignNdjson(project, "spring", { parallel })) text += Buffer.from(chunk).toString("utf8");
    } catch (e) {
      return { lines: text.split("\n").length - 1, error: (e as Error).message };
    }
    throw new Error("no error was thrown");
  }

  it("without onDiagnostic, the items before the first bad row are all delivered, then the error", async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `+1604${2_000_000 + i},Ana,${10000 + i},`);
    rows[150] = "+1 555,Ana,12345,";
    const project = projectWith("csv", `${HEADER}\n${rows.join("\n")}\n`);
    const one = await linesBeforeThrow(project, { threads: 0 });
    expect(one.lines).toBe(150);
    expect(one.error).toMatch(/:151: /);
    for (const lendChunks of [false, true]) {
      expect(await linesBeforeThrow(project, { threads: 2, minBytes: 0, taskBytes: 700, lendChunks })).toEqual(one);
    }
  });

  it("a caller that drops the plan after one chunk does not keep the process alive", () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `+1604${2_000_000 + i},Ana,${10000 + i},`);
    const project = projectWith("csv", `${HEADER}\n${rows.join("\n")}\n`);
    const script = `
      const plan = await import(${JSON.stringify(join(repoRoot, "dist", "runner", "plan.js"))});
      const project = JSON.parse(process.argv[1]);
      project.messages = new Map(project.messages); project.campaigns = new Map(project.campaigns);
      for (const spec of [...project.messages.values(), ...project.campaigns.values()]) spec.locate = () => undefined;
      const it = plan.planCampaignNdjson(project, "spring", { onDiagnostic() {}, parallel: { threads: 2, minBytes: 0, taskBytes: 1000 } })[Symbol.asyncIterator]();
      await it.next();
      console.log("dropped");`;
    const plain = JSON.stringify({ ...project, messages: [...project.messages], campaigns: [...project.campaigns] });
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, plain], { encoding: "utf8", timeout: 20_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("dropped\n");
    expect(r.status).toBe(0);
  });

  it("a worker that fails ends the plan with one plain message, not a hang or a stack trace", async () => {
    const { planInParallel } = (await import(join(repoRoot, "dist", "runner", "parallel-plan.js"))) as typeof ParallelModule;
    const file = join(root, "worker-fails.csv");
    writeFileSync(file, `${HEADER}\n${Array.from({ length: 500 }, (_, i) => `+1604${2_000_000 + i},Ana,${10000 + i},`).join("\n")}\n`);
    const pass: ParallelPass = {
      audiencePath: file,
      audienceFile: "worker-fails.csv",
      maxRecordBytes: 1024 * 1024,
      requiredColumns: [{ column: "phone", setting: "phone" }],
      encoding: "utf-8",
      delimiter: ",",
      // A message the worker cannot compile (the main thread never would have started it).
      setup: { message: { spec: { kind: "Message", name: "broken" } as never, file: "m.yaml" }, campaign: { spec: { kind: "Campaign", name: "c", message: "broken", audience: { file: "x.csv" } }, file: "c.yaml", audienceFile: "worker-fails.csv" } },
      stats: { rows: 0, invalidRows: 0 },
      reportRow: () => {},
      expectRecipients: () => {},
      admitValue: () => true,
      admit: () => true,
      countSms: () => {},
      keyOf: (number) => `c/${number}`,
    };
    const run = async (): Promise<void> => {
      for await (const _ of planInParallel(pass, { threads: 2, minBytes: 0, taskBytes: 1000 })) void _;
    };
    const error = await run().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe("InputError");
    expect(error?.message).toBe(
      "A worker thread compiling the audience failed (the campaign does not compile in the plan worker); MSGC_THREADS=0 compiles on one thread",
    );
  });
});
