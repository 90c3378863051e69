import { describe, expect, test } from "vitest";
import type { PlanItem } from "../../src/compiler/plan.js";
import { explainForm, renderPlanItem } from "../../src/runner/preview/model.js";
import { formatTranscript } from "../../src/runner/preview/text.js";
import { CONTENT_KINDS, NOW } from "./items.js";

const campaign = CONTENT_KINDS.campaign as PlanItem;
const buttons = CONTENT_KINDS.buttons as PlanItem;

describe("render model", () => {
  test("numbers: masked by default in key, subject and both forms", () => {
    const m = renderPlanItem(campaign, { showNumbers: false, now: NOW });
    expect([m.key, m.session?.recipient, m.template?.recipient, m.subject]).toEqual([
      "spring-sale/+1604•••2331",
      "+1604•••2331",
      "+1604•••2331",
      { kind: "recipient", campaign: "spring-sale", recipient: "+1604•••2331" },
    ]);
  });

  test("numbers: shown with showNumbers", () => {
    const m = renderPlanItem(campaign, { showNumbers: true, now: NOW });
    expect([m.key, m.session?.recipient, m.template?.recipient]).toEqual(["spring-sale/+16045852331", "+16045852331", "+16045852331"]);
  });

  test("template: parameters sorted into header, body and buttons", () => {
    const m = renderPlanItem(buttons, { showNumbers: false, now: NOW });
    expect(m.template).toEqual({
      recipient: "{recipient}",
      sender: "+14151111234",
      name: "order_shipped_v2",
      language: "en_US",
      header: { kind: "text", text: "Shipped" },
      body: [
        { name: "body_1", label: "{{1}}", value: "Ana" },
        { name: "body_2", label: "{{2}}", value: "12345" },
      ],
      buttons: [{ name: "button_1_url", label: "button 1 URL", value: "12345" }],
      other: [],
    });
  });

  test("sample: subject parsed from the key", () => {
    expect(renderPlanItem(buttons, { showNumbers: false, now: NOW }).subject).toEqual({ kind: "sample", message: "order-shipped", sample: "ana" });
  });
});

describe("explainForm", () => {
  const at = (lastInboundAt: string | null, window: PlanItem["window"] = "auto"): PlanItem => ({ ...campaign, lastInboundAt, window });
  const cases: [string, PlanItem, string][] = [
    ["window session", at(null, "session"), "session: window: session, so always the session form"],
    ["window template", at(null, "template"), "template: window: template, so always the template form"],
    ["auto, unknown last inbound", at(null), "template: window: auto and no lastInboundAt, so outside the 24-hour window"],
    ["auto, 2 hours ago", at("2026-11-24T06:00:00Z"), "session: window: auto and the last inbound message was 2 h ago, inside the 24-hour window"],
    ["auto, 30 hours ago", at("2026-11-23T02:00:00Z"), "template: window: auto and the last inbound message was 30 h ago, outside the 24-hour window"],
    ["auto, 3 days ago", at("2026-11-21T08:00:00Z"), "template: window: auto and the last inbound message was 3 days ago, outside the 24-hour window"],
    ["auto, in the future", at("2026-11-25T08:00:00Z"), "template: window: auto and lastInboundAt 2026-11-25T08:00:00Z is in the future, so the template form"],
    ["auto, not a date", at("yesterday"), 'template: window: auto and lastInboundAt "yesterday" is not a date, so the template form'],
    ["auto, session only", { ...at(null), template: undefined } as PlanItem, "session: window: auto, but the message has only a session form"],
  ];
  test.each(cases)("%s", (_name, item, expected) => {
    const m = renderPlanItem(item, { showNumbers: false, now: NOW });
    expect(`${m.form}: ${m.reason}`).toBe(expected);
    expect(explainForm(item, m.form, NOW)).toBe(m.reason);
  });
});

describe("formatTranscript", () => {
  test("buttons: one fact per line, markers kept", () => {
    expect(formatTranscript(renderPlanItem(buttons, { showNumbers: false, now: NOW }))).toEqual([
      "form sent: template (window: auto and no lastInboundAt, so outside the 24-hour window)",
      "[session form · to {recipient} · from +14151111234]",
      "header: Shipped",
      "text: Hi Ana! Order #12345 is on its way.",
      "footer: Lucky Shrub",
      "buttons: [ Track ]  [ Help ]",
      "[template form · order_shipped_v2 (en_US) · to {recipient} · from +14151111234]",
      "header: Shipped",
      "{{1}} = Ana",
      "{{2}} = 12345",
      "button 1 URL = 12345",
    ]);
  });
});
