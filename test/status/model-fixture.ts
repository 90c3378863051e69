import type { StatusModel } from "../../src/runner/status/index.js";

/**
 * A campaign model with every part filled, for the formats' golden files: one failure code of
 * each stage, a code msgc does not know (markup in it, as a hostile webhook could send), and a
 * timeline of three 15-minute buckets with an empty one between.
 */
export const FULL_MODEL: StatusModel = {
  campaign: "spring-sale",
  sources: { journals: [".msgc/journal/spring-sale.ndjson"], store: ".msgc/msgc.db" },
  funnel: { planned: 1200, sent: 1100, delivered: 1000, read: 640, failed: 72, noStatus: 30, unknown: 12, notFinished: 6, suppressed: 10 },
  failures: [
    { code: "ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW", meaning: "more than 24 hours since the customer last wrote: send a template", stage: "send", count: 40 },
    { code: "ERROR_CODE_UNSPECIFIED", meaning: "Connectly gave no reason (internal error)", stage: "delivery", count: 30 },
    { code: "<img src=x onerror=alert(1)>", meaning: null, stage: "delivery", count: 2 },
  ],
  fallbacks: 25,
  sms: { recipients: 0, segments: null },
  possiblyDuplicated: 3,
  resolution: { source: "journal", unknown: { sent: 0, uncertain: 12 }, possiblyDuplicated: { duplicated: 1, notDuplicated: 0, uncertain: 2 } },
  timeline: {
    bucket: "15 minutes",
    bucketMs: 15 * 60 * 1000,
    points: [
      { at: "2026-11-30T10:00:00.000Z", delivered: 700, read: 300 },
      { at: "2026-11-30T10:15:00.000Z", delivered: 0, read: 0 },
      { at: "2026-11-30T10:30:00.000Z", delivered: 300, read: 340 },
    ],
  },
};
