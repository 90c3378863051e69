/**
 * Sending a campaign whose audience mixes channels: SMS items go to the session endpoint with
 * the SMS channel, no window and no template fallback; the totals are in the dry run, the
 * summary and the report.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { runCli } from "./cli-helpers.js";
import { useSandbox, withoutToken } from "./helpers.js";
import { PICKUP_CAMPAIGN } from "../sms/specs.js";

const KEY = "ck_live_5a4b3c2d1e0f9876";
// The template the WhatsApp row may send, listed for the CLI's template preflight.
const sandboxWith = useSandbox(KEY, { templates: [{ name: "pickup_ready_v1", language: "en_US", body: 2 }] });

beforeAll(() => ensureBuilt());

const MESSAGE = `kind: Message
name: pickup
vars:
  first_name: { type: string }
  store: { type: string }
session: { text: "Hi {{first_name}}! Your order is ready at {{store}}." }
template: { name: pickup_ready_v1, language: en_US, body: ["{{first_name}}", "{{store}}"] }
sms:
  text: "Hi {{first_name}}! Your order is ready for pickup at {{store}}. Reply STOP to opt out."
  sender: "+14155550100"
`;

const CAMPAIGN = PICKUP_CAMPAIGN;

const AUDIENCE = "phone,first_name,store,channel\n+16045550001,Ana,Main St,whatsapp\n+16045550002,Bo,Main St,sms\n+16045550003,Cy,Дом,sms\n";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "msgc-send-sms-"));
  const files: Record<string, string> = {
    "msgc.config.yaml": "businessId: biz-test\n",
    "specs/messages/pickup.yaml": MESSAGE,
    "specs/campaigns/pickup-day.yaml": CAMPAIGN,
    "specs/audiences/pickup.csv": AUDIENCE,
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe("msgc send with SMS recipients", () => {
  it("--dry-run shows the SMS totals before anything is sent", async () => {
    const dir = project();
    const r = await runCli(["send", "pickup-day", "--dry-run"], { cwd: dir, env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("  would send  3  (0 session, 1 template, 2 SMS)\n  channels    1 WhatsApp, 2 SMS (2 segments, 1 UCS-2)\n");
  });

  it("sends SMS to the session endpoint with the SMS channel and no window, WhatsApp rows as before", async () => {
    const dir = project();
    const box = await sandboxWith();
    const report = join(dir, "report.json");
    const r = await runCli(["send", "pickup-day", "--base-url", box.url, "--yes", "--report", report, "--insecure-http"], { cwd: dir, env: { CONNECTLY_API_KEY: KEY } });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("  sent        3\n");
    expect(r.stdout).toContain("  channels    1 WhatsApp, 2 SMS (2 segments, 1 UCS-2)\n");
    const messages = box.messages();
    expect(messages.map((m) => m.endpoint).sort()).toEqual(["messages", "messages", "whatsapp_templated_messages"]);
    const sms = messages.filter((m) => m.endpoint === "messages").map((m) => withoutToken(m.body)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(sms).toEqual([
      {
        sender: { id: "+14155550100", channelType: "sms" },
        recipient: { id: "+16045550002", channelType: "sms" },
        message: { text: "Hi Bo! Your order is ready for pickup at Main St. Reply STOP to opt out." },
        campaignName: "pickup-day",
      },
      {
        sender: { id: "+14155550100", channelType: "sms" },
        recipient: { id: "+16045550003", channelType: "sms" },
        message: { text: "Hi Cy! Your order is ready for pickup at Дом. Reply STOP to opt out." },
        campaignName: "pickup-day",
      },
    ]);
    expect(box.stats().sms).toEqual({ accepted: 2, segments: 2 });
    const doc = JSON.parse(readFileSync(report, "utf8")) as { summary: { sms: unknown } };
    expect(doc.summary.sms).toEqual({ recipients: { whatsapp: 1, sms: 2 }, segments: 2, ucs2: 1 });
  });

  it("a business without SMS refuses the SMS rows, with the API's code, and sends the WhatsApp ones", async () => {
    const dir = project();
    const box = await sandboxWith({ channels: ["whatsapp"] });
    const r = await runCli(["send", "pickup-day", "--base-url", box.url, "--yes", "--insecure-http"], { cwd: dir, env: { CONNECTLY_API_KEY: KEY } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("  sent        1\n  failed      2\n    ERROR_CODE_BUSINESS_MISSES_MATCHING_CHANNEL  2\n");
  });

  it("--shard I/N: the summary, the dry run and the report count the shard's own SMS, not the campaign's", async () => {
    // pickup-day/+16045550002 (SMS, GSM-7) hashes to shard 1; +16045550001 (WhatsApp) and
    // +16045550003 (SMS, UCS-2) to shard 2.
    const dir = project();
    const box = await sandboxWith();
    const dry = await runCli(["send", "pickup-day", "--dry-run", "--shard", "1/2"], { cwd: dir, env: {} });
    expect([dry.code, dry.stdout]).toEqual([0, expect.stringContaining("  would send  1  (0 session, 0 template, 1 SMS)\n  channels    0 WhatsApp, 1 SMS (1 segment, 0 UCS-2)\n")]);
    const expected = { "1/2": ["  channels    0 WhatsApp, 1 SMS (1 segment, 0 UCS-2)\n", { recipients: { whatsapp: 0, sms: 1 }, segments: 1, ucs2: 0 }], "2/2": ["  channels    1 WhatsApp, 1 SMS (1 segment, 1 UCS-2)\n", { recipients: { whatsapp: 1, sms: 1 }, segments: 1, ucs2: 1 }] } as const;
    for (const [shard, [line, totals]] of Object.entries(expected)) {
      const report = join(dir, `report-${shard[0]}.json`);
      const r = await runCli(["send", "pickup-day", "--base-url", box.url, "--yes", "--shard", shard, "--report", report, "--insecure-http"], { cwd: dir, env: { CONNECTLY_API_KEY: KEY } });
      expect([shard, r.code]).toEqual([shard, 0]);
      expect(r.stdout).toContain(line);
      expect((JSON.parse(readFileSync(report, "utf8")) as { summary: { sms: unknown } }).summary.sms).toEqual(totals);
    }
    // What the two shards said adds up to what the sandbox took.
    expect(box.stats().sms).toEqual({ accepted: 2, segments: 2 });
  });
});
