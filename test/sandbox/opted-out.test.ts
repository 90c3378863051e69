import { describe, expect, it } from "vitest";
import { parseSandboxArgs } from "../../src/cli/commands/sandbox.js";
import { startSandbox } from "../../src/sandbox/index.js";

describe("sandbox: customers who opted out", () => {
  it("a template send to one is refused with ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT; a session send and other numbers are not", async () => {
    const box = await startSandbox({ apiKey: "k", rate: 0, optedOut: ["+16045550001"], inbound: [{ from: "+16045550001" }] });
    try {
      const post = async (endpoint: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
        const res = await fetch(`${box.url}/v1/businesses/b/send/${endpoint}`, { method: "POST", headers: { "x-api-key": "k", "content-type": "application/json" }, body: JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const template = (number: string): unknown => ({ number, templateName: "t", language: "en" });
      expect(await post("whatsapp_templated_messages", template("+16045550001"))).toMatchObject({
        status: 400,
        body: { type: "ERROR_TYPE_INVALID_REQUEST", code: "ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT", details: { field: "number" } },
      });
      expect((await post("whatsapp_templated_messages", template("+16045550002"))).status).toBe(200);
      expect((await post("messages", { recipient: { id: "+16045550001", channelType: "whatsapp" }, message: { text: "hi" } })).status).toBe(200);
      expect(box.messages()).toHaveLength(2);
    } finally {
      await box.close();
    }
  });

  it("--opted-out takes E.164 numbers separated by commas", () => {
    expect(parseSandboxArgs(["--opted-out", "+16045550001, +447400123456"], {}, "/").options.optedOut).toEqual(["+16045550001", "+447400123456"]);
    expect(() => parseSandboxArgs(["--opted-out", "+16045550001,0604"], {}, "/")).toThrow('msgc sandbox: --opted-out takes E.164 numbers separated by commas, got "0604"');
  });
});
