/**
 * The whole loop over real HTTP and a real store, as a team runs it: `msgc webhooks serve` on the
 * project's store, the sandbox posting signed webhooks to it, customers writing through
 * `/__sandbox/inbound`, and the next `msgc send` reading what the receiver learned: an inbound
 * STOP skips that number, an inbound "hi" opens the 24-hour window (session form with no
 * audience column), and `msgc status` shows the funnel from the webhooks.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { notesProject, runCli, useReceiver } from "../send/cli-helpers.js";
import { API_KEY, NOTE_TEMPLATE, numberOf, useSandbox } from "../send/helpers.js";
import type { Sandbox } from "../../src/sandbox/index.js";

const SECRET = "whsec-end-to-end-4c1f9a";
const startSandbox = useSandbox(API_KEY, { templates: [NOTE_TEMPLATE] });
const serve = useReceiver(SECRET);

beforeAll(() => ensureBuilt(), 120_000);

async function inbound(box: Sandbox, from: string, text: string): Promise<void> {
  const r = await fetch(`${box.url}/__sandbox/inbound`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ from, text }) });
  expect(r.status).toBe(200);
}

describe("webhooks serve + the sandbox's webhooks + the next send", () => {
  it("an inbound STOP is skipped by the next campaign, an inbound hi gets the session form, status shows the funnel", async () => {
    const dir = notesProject(3);
    const url = await serve(dir);
    const box = await startSandbox({ webhookUrl: url, webhookSecret: SECRET, deliverMs: 10, readRate: 1 });
    await inbound(box, numberOf(0), "  stop ");
    await inbound(box, numberOf(2), "hi, where is my order?");
    await box.drainWebhooks();

    const sent = await runCli(["send", "notes", "--base-url", box.url, "--yes"], { cwd: dir, env: { CONNECTLY_API_KEY: API_KEY } });
    expect([sent.code, sent.stderr, sent.stdout]).toEqual([0, "", expect.any(String)]);
    expect(sent.stdout).toContain("\n  suppressed  1  opted out (the suppression list); not requested\n");
    expect(sent.stdout).toContain("\nDelivery: msgc status notes\n");
    // Nothing went to the number that wrote STOP; the one that wrote got the session form.
    const sentTo = box
      .messages()
      .map((m) => [(m.body as { number?: string; recipient?: { id?: string } }).number ?? (m.body as { recipient?: { id?: string } }).recipient?.id, m.endpoint])
      .sort();
    expect(sentTo).toEqual([
      [numberOf(1), "whatsapp_templated_messages"],
      [numberOf(2), "messages"],
    ]);
    await box.drainWebhooks();

    const status = await runCli(["status", "notes", "--format", "json"], { cwd: dir });
    expect(status.code).toBe(0);
    const model = JSON.parse(status.stdout) as { funnel: Record<string, number> };
    expect(model.funnel).toEqual({ planned: 3, sent: 2, delivered: 2, read: 2, failed: 0, noStatus: 0, unknown: 0, notFinished: 0, suppressed: 1 });

    // START lifts it: the list is empty again.
    await inbound(box, numberOf(0), "START");
    await box.drainWebhooks();
    const list = await runCli(["suppress", "list", "--format", "json"], { cwd: dir });
    expect(JSON.parse(list.stdout)).toEqual({ count: 0, suppressions: [] });
  });
});
