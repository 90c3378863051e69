import { describe, expect, test } from "vitest";
import type { DiffReport, MessageDiff } from "../../src/runner/diff/index.js";
import { formatDiffMarkdown, GITHUB_COMMENT_LIMIT, summaryLine } from "../../src/runner/diff/format.js";
import { jsonChanges } from "../../src/runner/diff/json-changes.js";
import { diffLines } from "../../src/runner/diff/line-diff.js";

describe("jsonChanges", () => {
  const cases: [string, unknown, unknown, ReturnType<typeof jsonChanges>][] = [
    ["equal: nothing", { a: [1, { b: "x" }] }, { a: [1, { b: "x" }] }, []],
    ["leaf changed", { m: { buttons: [{ text: "Track" }] } }, { m: { buttons: [{ text: "Track order" }] } }, [{ path: "m.buttons[0].text", before: "Track", after: "Track order" }]],
    ["field added", { a: 1 }, { a: 1, b: 2 }, [{ path: "b", after: 2 }]],
    ["field removed", { a: 1, b: 2 }, { a: 1 }, [{ path: "b", before: 2 }]],
    ["array grew", { l: [1] }, { l: [1, 2] }, [{ path: "l[1]", after: 2 }]],
    ["odd key quoted", { "a-b": 1 }, { "a-b": 2 }, [{ path: '["a-b"]', before: 1, after: 2 }]],
    ["type changed", { a: "1" }, { a: 1 }, [{ path: "a", before: "1", after: 1 }]],
    ["object became scalar", { a: { b: 1 } }, { a: null }, [{ path: "a", before: { b: 1 }, after: null }]],
    ["whole value", 1, 2, [{ path: "(whole value)", before: 1, after: 2 }]],
  ];
  test.each(cases)("%s", (_name, before, after, expected) => {
    expect(jsonChanges(before, after)).toEqual(expected);
  });
});

describe("diffLines", () => {
  test("one line changed between common lines", () => {
    expect(diffLines(["a", "b", "c"], ["a", "B", "c"])).toEqual([
      { op: " ", text: "a" },
      { op: "-", text: "b" },
      { op: "+", text: "B" },
      { op: " ", text: "c" },
    ]);
  });
  test("added and removed at the ends", () => {
    expect(diffLines(["x", "a"], ["a", "y"])).toEqual([
      { op: "-", text: "x" },
      { op: " ", text: "a" },
      { op: "+", text: "y" },
    ]);
  });
  test("from nothing", () => {
    expect(diffLines([], ["a"])).toEqual([{ op: "+", text: "a" }]);
  });
});

function bigReport(messages: number, textLength: number): DiffReport {
  const diffs: MessageDiff[] = Array.from({ length: messages }, (_, i) => ({
    name: `message-${String(i).padStart(3, "0")}`,
    file: `specs/messages/message-${i}.yaml`,
    status: "changed",
    broken: [],
    specFields: [],
    samples: [{
      sample: "a",
      status: "changed",
      before: ["form sent: session", `text: ${"x".repeat(textLength)}`],
      after: ["form sent: session", `text: ${"y".repeat(textLength)}`],
      fields: [{ path: "session.body.message.text", before: "x".repeat(textLength), after: "y".repeat(textLength) }],
    }],
  }));
  return {
    base: "origin/main",
    baseCommit: "0123456789abcdef0123456789abcdef01234567",
    messages: diffs,
    campaigns: [],
    templates: [],
    otherProblems: [],
    diagnostics: [],
    summary: {
      messages: { added: 0, removed: 0, changed: messages, unchanged: 0, broken: 0 },
      campaigns: { added: 0, removed: 0, changed: 0, unchanged: 0, broken: 0 },
      templates: { added: 0, removed: 0, changed: 0, unchanged: 0, broken: 0 },
      samples: { added: 0, removed: 0, changed: messages, },
      recipients: { added: 0, removed: 0, changed: 0 },
      otherProblems: 0,
    },
    changed: true,
    ok: true,
    numbersMasked: true,
  };
}

describe("formatDiffMarkdown size limit", () => {
  test("small: everything, no note", () => {
    const md = formatDiffMarkdown(bigReport(2, 10));
    expect(md.split("\n")[0]).toBe("**msgc diff**: 2 messages (2 changed).");
    expect(md.match(/<details>/g)).toHaveLength(2);
    expect(md).not.toContain("Cut to stay under");
  });

  test("far over the limit: cut under 65,536 characters, and the note names what was left out", () => {
    const report = bigReport(300, 4000);
    const md = formatDiffMarkdown(report);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT - 12_000);
    const shown = md.match(/<details>/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(300);
    const note = md.slice(md.lastIndexOf("> **Cut"));
    expect(note).toMatch(new RegExp(`^> \\*\\*Cut to stay under GitHub's 65,536-character comment limit\\.\\*\\* ${300 - shown} changed specs not shown: \`message-${String(shown).padStart(3, "0")}\`, `));
    // When full sections stop fitting, the next ones are shown in short form while they fit.
    const short = md.match(/_Details left out to keep this comment under GitHub's size limit\._/g)?.length ?? 0;
    expect(short).toBeGreaterThan(0);
    expect(note).toMatch(new RegExp(` and \\d+ more\\. ${short} specs shown without the rendered text and fields\\. Run \`msgc diff --base origin/main\` for the full report\\.\\n$`));
  });

  test("one huge message: shown in short form, with a note", () => {
    const md = formatDiffMarkdown(bigReport(1, 70_000));
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md).toContain("_Details left out to keep this comment under GitHub's size limit._");
    expect(md).toContain("1 spec shown without the rendered text and fields.");
  });

  test("summary: no changes", () => {
    const report = bigReport(0, 0);
    report.summary.messages.changed = 0;
    expect(summaryLine(report)).toBe("No message or campaign changes.");
  });
});

describe("a change the customer cannot see", () => {
  test("text and markdown say it renders the same and list the field", async () => {
    const { formatDiffText } = await import("../../src/runner/diff/format.js");
    const report = bigReport(1, 3);
    const sample = report.messages[0]!.samples[0]!;
    sample.after = sample.before;
    sample.fields = [{ path: "session.body.message.replyButtonMessage.buttons[0].id", before: "track", after: "track-order" }];
    expect(formatDiffText(report, { color: false }).split("\n").slice(2)).toEqual([
      "~ message message-000 (specs/messages/message-0.yaml): changed",
      "  sample a: changed (renders the same; only payload fields changed)",
      "    fields:",
      '      session.body.message.replyButtonMessage.buttons[0].id: "track" → "track-order"',
      "",
    ]);
    expect(formatDiffMarkdown(report)).toContain("**sample `a`**: changed (renders the same; only payload fields changed)\n\n| field | before | after |");
  });
});
