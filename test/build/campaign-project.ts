/**
 * A hand-built project (no loader) with one message, "shipped", and one campaign, "spring", whose
 * audience is a file written into `root`: what the planner tests run on.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Project } from "../../src/project/project.js";
import type { CampaignSpec } from "../../src/types/campaign.generated.js";
import type { MessageSpec } from "../../src/types/message.generated.js";

export const shippedMessage: MessageSpec = {
  kind: "Message",
  name: "shipped",
  vars: {
    first_name: { type: "string", maxLength: 12 },
    order_id: { type: "string", pattern: "^[0-9]{5,}$" },
  },
  session: { text: "Hi {{first_name}}! Order #{{order_id}} is on its way." },
  template: { name: "order_shipped_v2", language: "en_US", body: ["{{first_name}}", "{{order_id}}"] },
};

export function campaignProject(root: string, audienceFile: string, content: string | Buffer, campaign: Partial<CampaignSpec> = {}): Project {
  writeFileSync(join(root, audienceFile), content);
  const campaignSpec: CampaignSpec = {
    kind: "Campaign",
    name: "spring",
    message: "shipped",
    audience: { file: audienceFile, lastInboundAt: "last_seen" },
    ...campaign,
  };
  const noRange = (): undefined => undefined;
  const messageSpec = { file: "m.yaml", absPath: join(root, "m.yaml"), source: "", kind: "Message", name: "shipped", data: shippedMessage, locate: noRange };
  const campaignLoaded = { file: "c.yaml", absPath: join(root, "c.yaml"), source: "", kind: "Campaign", name: "spring", data: campaignSpec, locate: noRange };
  return {
    config: { root, specsDir: root, outDir: join(root, ".msgc"), baseUrl: "", rate: 50, concurrency: 16, window: "auto" },
    specs: [messageSpec, campaignLoaded],
    messages: new Map([["shipped", messageSpec]]),
    campaigns: new Map([["spring", campaignLoaded]]),
    diagnostics: [],
    sources: new Map(),
  } as unknown as Project;
}
