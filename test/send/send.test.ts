import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { send } from "../../src/runner/send/index.js";
import type { SendOptions } from "../../src/runner/send/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/index.js";
import type { PlanItem } from "../../src/compiler/plan.js";
import { API_KEY, countByRecipient, makeItems, numberOf, tempDir } from "./helpers.js";

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function sandboxWith(options: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox({ apiKey: API_KEY, rate: 0, ...options });
  return sandbox;
}

function sendTo(box: Sandbox, items: PlanItem[], extra: Partial<SendOptions> = {}): ReturnType<typeof send> {
  return send({
    plan: () => items,
    campaign: "spring",
    baseUrl: box.url,
    businessId: "biz-1",
    apiKey: API_KEY,
    rate: Infinity,
    concurrency: 16,
    journal: join(tempDir(), "spring.ndjson"),
    backoff: { baseMs: 5, capMs: 50 },
    ...extra,
  });
}

describe("send against the sandbox", () => {
  it("delivers each recipient exactly once with the exact compiled body", async () => {
    const box = await sandboxWith();
    const items = makeItems(300);
    const summary = await sendTo(box, items);
    expect(summary.sent).toBe(300);
    expect(summary.failed).toBe(0);
    const messages = box.messages();
    expect(messages).toHaveLength(300);
    const byNumber = new Map(messages.map((m) => [(m.body as { number: string }).number, m]));
    for (let i = 0; i < 300; i++) {
      const message = byNumber.get(numberOf(i))!;
      expect(message.endpoint).toBe("whatsapp_templated_messages");
      expect(message.businessId).toBe("biz-1");
      expect(message.body).toEqual(items[i]!.template!.body);
    }
  });
});
