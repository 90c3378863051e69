import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, msgc } from "../cli/helpers.js";
import { TempRepo } from "./git-repo.js";
import { CONFIG } from "./project-fixture.js";

/** msgc diff on an SMS message and a campaign whose rows move between channels. */
const message = (text: string): string => `kind: Message
name: pickup
vars:
  first_name: { type: string }
samples:
  ana: { first_name: Ana }
template: { name: pickup_ready_v1, language: en_US, body: ["{{first_name}}"] }
sms:
  text: "${text}"
channel: sms
`;

const CAMPAIGN = `kind: Campaign
name: pickup-day
message: pickup
audience:
  file: ../audiences/pickup.csv
  channel: channel
`;

describe("msgc diff with SMS", () => {
  const repo = new TempRepo();
  beforeAll(() => {
    ensureBuilt();
    repo.write({
      "msgc.config.yaml": CONFIG,
      "specs/messages/pickup.yaml": message("Hi {{first_name}}, your order is ready. Reply STOP to opt out."),
      "specs/campaigns/pickup-day.yaml": CAMPAIGN,
      "specs/audiences/pickup.csv": "phone,first_name,channel\n+16045550001,Ana,whatsapp\n+16045550002,Bo,\n",
    });
    repo.commit("base");
    repo.write({
      "specs/messages/pickup.yaml": message("Hi {{first_name}}, your order’s ready. Reply STOP to opt out."),
      "specs/audiences/pickup.csv": "phone,first_name,channel\n+16045550001,Ana,sms\n+16045550002,Bo,sms\n",
    });
    repo.commit("head");
  });
  afterAll(() => repo.remove());

  test("a change of encoding is its own line, and the campaign's channels are shown before → after", () => {
    const r = msgc(["diff", "--base", "HEAD~1"], { cwd: repo.dir, env: { NO_COLOR: "1" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(
      "    - text: Hi Ana, your order is ready. Reply STOP to opt out.\n    - SMS · 1 segment · GSM-7 · 51 characters\n" +
        "    + text: Hi Ana, your order’s ready. Reply STOP to opt out.\n    + SMS · 1 segment · UCS-2 · 50 characters\n    + UCS-2 because of: ’ (U+2019)\n",
    );
    expect(r.stdout).toContain("  channels: 1 WhatsApp, 1 SMS (1 segment, 0 UCS-2) → 0 WhatsApp, 2 SMS (2 segments, 2 UCS-2)\n");
  });
});
