/**
 * SMS through the CLI: channel per row, the aggregated look-alike warning, the totals in
 * validate's and build's summaries (text and JSON) and in the manifest.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, makeProject, msgc, STACK_TRACE } from "./helpers.js";
import { PICKUP_CAMPAIGN } from "../sms/specs.js";

beforeAll(ensureBuilt, 120_000);

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const MESSAGE = `kind: Message
name: pickup
vars:
  first_name: { type: string, maxLength: 40 }
  store: { type: string }
samples:
  ana: { first_name: Ana, store: Main St }
session: { text: "Hi {{first_name}}! Your order is ready at {{store}}." }
template: { name: pickup_ready_v1, language: en_US, body: ["{{first_name}}", "{{store}}"] }
sms:
  text: "Hi {{first_name}}! Your order is ready for pickup at {{store}}. Reply STOP to opt out."
  maxSegments: 2
`;

const CAMPAIGN = PICKUP_CAMPAIGN;

function project(audience: string, files: Record<string, string> = {}): string {
  const dir = makeProject({
    "specs/messages/pickup.yaml": MESSAGE,
    "specs/campaigns/pickup-day.yaml": CAMPAIGN,
    "specs/audiences/pickup.csv": audience,
    ...files,
  });
  made.push(dir);
  return dir;
}

const MIXED = [
  "phone,first_name,store,channel",
  "+16045852331,Ana,Main St,whatsapp",
  "+16045852332,Bo,Main St,sms",
  "+16045852333,Cy,Joe’s,sms",
  "+16045852334,Di,Main St,",
  "+16045852335,Ed,Дом,sms",
].join("\n") + "\n";

describe("SMS campaigns in validate and build", () => {
  it("validate counts recipients by channel, segments and UCS-2 rows (text)", () => {
    const dir = project(MIXED);
    const r = msgc(["validate"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "specs/audiences/pickup.csv warning sms-unicode-lookalike sms.text is UCS-2 only because of ’ (character 45): 1 segment as UCS-2, 1 segment in GSM-7 (1 row: row 3)\n" +
        "2 specs, 1 sample, 5 recipients (2 WhatsApp, 3 SMS (3 segments, 2 UCS-2)): 0 errors, 1 warning\n",
    );
  });

  it("validate --format json has the totals in its summary", () => {
    const dir = project(MIXED);
    const r = msgc(["validate", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { summary: unknown };
    expect(doc.summary).toEqual({ specs: 2, errors: 0, warnings: 1, sms: { recipients: { whatsapp: 2, sms: 3 }, segments: 3, ucs2: 2 } });
  });

  it("build writes the SMS items and the totals into the manifest and its summary", () => {
    const dir = project(MIXED);
    const r = msgc(["build"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1 sample, 5 recipients \(2 WhatsApp, 3 SMS \(3 segments, 2 UCS-2\)\) written to .*: 0 errors, 1 warning\n$/m);
    const manifest = JSON.parse(readFileSync(join(dir, ".msgc", "manifest.json"), "utf8")) as { campaigns: Array<{ sms?: unknown }> };
    expect(manifest.campaigns[0]!.sms).toEqual({ recipients: { whatsapp: 2, sms: 3 }, segments: 3, ucs2: 2 });
    const lines = readFileSync(join(dir, ".msgc", "campaigns", "pickup-day.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { key: string; channel?: string; sms?: { body: unknown } });
    expect(lines.map((l) => l.channel ?? "whatsapp")).toEqual(["whatsapp", "sms", "sms", "whatsapp", "sms"]);
    expect(lines[1]!.sms!.body).toEqual({
      recipient: { id: "+16045852332", channelType: "sms" },
      message: { text: "Hi Bo! Your order is ready for pickup at Main St. Reply STOP to opt out." },
      campaignName: "pickup-day",
    });
  });

  it("a channel cell that is not whatsapp or sms is an error at its row", () => {
    const dir = project("phone,first_name,store,channel\n+16045852331,Ana,Main St,email\n+16045852332,Bo,Main St,SMS\n");
    const r = msgc(["validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(STACK_TRACE);
    expect(r.stdout).toContain('specs/audiences/pickup.csv row 1 (line 2) error audience-row-invalid channel "email" is not a channel: whatsapp or sms\n');
    expect(r.stdout).toContain('specs/audiences/pickup.csv row 2 (line 3) error audience-row-invalid channel "SMS" is not a channel: whatsapp or sms\n');
  });

  it("a row on a channel the message has no form for is an error at its row", () => {
    const dir = project("phone,first_name,store,channel\n+16045852331,Ana,Main St,sms\n", {
      "specs/messages/pickup.yaml": MESSAGE.replace(/^sms:[\s\S]*$/m, ""),
    });
    const r = msgc(["validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("specs/audiences/pickup.csv row 1 (line 2) error channel-needs-form channel is sms but message pickup has no sms form\n");
  });

  it("too many segments is an error at its row", () => {
    const long = "x".repeat(300);
    const dir = project(`phone,first_name,store,channel\n+16045852331,Ana,${long},sms\n`);
    const r = msgc(["validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("specs/audiences/pickup.csv row 1 (line 2) error sms-too-many-segments 3 segments (GSM-7, 366 characters); at most 2 (sms.text)\n");
  });

  it("the look-alike warning is reported once for many rows, with the count and the first rows", () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `+1604585${String(i).padStart(4, "0")},A,${i % 2 === 0 ? "Joe’s" : "Main"},sms`);
    const dir = project(`phone,first_name,store,channel\n${rows.join("\n")}\n`);
    const r = msgc(["validate"], { cwd: dir });
    expect(r.code).toBe(0);
    const warnings = r.stdout.split("\n").filter((l) => l.includes("sms-unicode-lookalike"));
    expect(warnings).toEqual([
      "specs/audiences/pickup.csv warning sms-unicode-lookalike sms.text is UCS-2 only because of ’ (character 44): 1 segment as UCS-2, 1 segment in GSM-7 (1,000 rows: rows 1, 3, 5 and 997 more)",
    ]);
  });
});

describe("SMS totals in preview", () => {
  it("every format shows the campaign's totals over its whole audience, beside its first rows", () => {
    const dir = project(MIXED);
    const campaign = "specs/campaigns/pickup-day.yaml";
    const text = msgc(["preview", campaign, "--rows", "1"], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n").slice(0, 2)).toEqual(['Campaign "pickup-day": 2 WhatsApp, 3 SMS (3 segments, 2 UCS-2)', ""]);
    const markdown = msgc(["preview", campaign, "--rows", "1", "--format", "markdown"], { cwd: dir });
    expect(markdown.stdout.split("\n").slice(0, 5)).toEqual(["## msgc preview", "", "2 messages rendered.", "", "- Campaign `pickup-day`: 2 WhatsApp, 3 SMS \\(3 segments, 2 UCS\\-2\\)"]);
    const html = msgc(["preview", campaign, "--rows", "1", "--format", "html"], { cwd: dir });
    expect(html.stdout).toContain('<section class="totals"><p>Campaign <code>pickup-day</code>: 2 WhatsApp, 3 SMS (3 segments, 2 UCS-2)</p></section>');
    const json = JSON.parse(msgc(["preview", campaign, "--rows", "1", "--format", "json"], { cwd: dir }).stdout) as { campaigns: unknown; messages: unknown[] };
    // The message's sample (its spec comes with the campaign) and the campaign's first row.
    expect(json.messages).toHaveLength(2);
    expect(json.campaigns).toEqual([{ campaign: "pickup-day", spec: campaign, sms: { recipients: { whatsapp: 2, sms: 3 }, segments: 3, ucs2: 2 } }]);
  });

  it("a campaign whose message has no SMS form shows no totals", () => {
    const dir = project("phone,first_name,store,channel\n+16045852331,Ana,Main St,\n", { "specs/messages/pickup.yaml": MESSAGE.slice(0, MESSAGE.indexOf("sms:")) });
    const json = JSON.parse(msgc(["preview", "--format", "json"], { cwd: dir }).stdout) as { campaigns: unknown };
    expect(json.campaigns).toEqual([]);
  });
});

describe("SMS samples", () => {
  it("a literal look-alike is reported at its line and column", () => {
    const dir = project("phone,first_name,store,channel\n", {
      "specs/messages/otp.yaml": 'kind: Message\nname: otp\nsms:\n  text: "Your code is ready — enter it now."\n',
    });
    const r = msgc(["validate", "specs/messages/otp.yaml"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("specs/messages/otp.yaml:4:29 warning sms-unicode-lookalike sms.text is UCS-2 only because of — (character 20): 1 segment as UCS-2, 1 segment in GSM-7\n");
  });
});

describe("SMS totals with worker threads", () => {
  it("a large mixed audience gives the same plan, totals and warning on threads as on one thread", () => {
    const rows: string[] = ["phone,first_name,store,channel"];
    // Over 4 MiB, so that the build goes to worker threads.
    for (let i = 0; i < 70_000; i++) {
      const store = i % 7 === 0 ? "Joe’s Corner Store on the main street" : i % 11 === 0 ? "Дом книги на Невском проспекте" : "Main Street Store by the old market";
      rows.push(`+1604${String(5_550_000 + i)},Customer${i},${store},${i % 3 === 0 ? "whatsapp" : "sms"}`);
    }
    expect(rows.join("\n").length).toBeGreaterThan(4 * 1024 * 1024);
    const dir = project(`${rows.join("\n")}\n`);
    const run = (threads: string): { summary: unknown; diagnostics: unknown; out: string } => {
      const r = msgc(["build", "--out", "-", "--format", "json"], { cwd: dir, env: { PATH: process.env.PATH, MSGC_THREADS: threads } });
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stderr) as { summary: unknown; diagnostics: unknown };
      return { summary: doc.summary, diagnostics: doc.diagnostics, out: r.stdout };
    };
    const one = run("0");
    const threads = run("2");
    expect(threads.summary).toEqual(one.summary);
    expect(threads.diagnostics).toEqual(one.diagnostics);
    expect(threads.out === one.out).toBe(true);
    expect(one.summary).toEqual({
      specs: 2,
      errors: 0,
      warnings: 1,
      sms: { recipients: { whatsapp: 23_334, sms: 46_666 }, segments: expect.any(Number), ucs2: expect.any(Number) },
    });
  }, 120_000);
});
