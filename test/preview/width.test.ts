import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { outputColumns } from "../../src/cli/common.js";
import { renderPlanItem } from "../../src/runner/preview/model.js";
import { displayWidth } from "../../src/runner/preview/terminal.js";
import { formatPreviewText, PREVIEW_WIDTH } from "../../src/runner/preview/text.js";
import { ensureBuilt, makeProject, msgc } from "../cli/helpers.js";
import { expectGolden } from "./golden-file.js";
import { CONTENT_KINDS, NOW } from "./items.js";

/** The text preview fits the terminal: its rules are the width, its bubbles 4 narrower. */

const models = Object.entries(CONTENT_KINDS).map(([kind, item]) => [kind, renderPlanItem(item, { showNumbers: false, now: NOW })] as const);

function fitted(width: number): number {
  return Math.min(PREVIEW_WIDTH.max, Math.max(PREVIEW_WIDTH.min, Math.floor(width)));
}

/** Widths of the bubbles' lines (top, sides, bottom) in a text preview. */
function bubbleWidths(text: string): number[] {
  return text.split("\n").filter((line) => /^[╭│╰]/.test(line)).map(displayWidth);
}

describe("preview text width", () => {
  test.each([40, PREVIEW_WIDTH.min])("golden: list and buttons at %i columns", (width) => {
    const text = formatPreviewText(models.filter(([kind]) => kind === "list" || kind === "buttons").map(([, m]) => m), { color: false, width });
    expectGolden(`preview/width/${width}.txt`, text);
  });

  test("every bubble line of every content kind is 4 narrower than the width, from the minimum to the maximum", () => {
    for (const width of [1, 23, 24, 25, 40, 59, 60, 61, 80, 99, 100, 101, 1000, 40.7]) {
      for (const [kind, model] of models) {
        for (const color of [false, true]) {
          const text = formatPreviewText([model], { color, width }).replace(/\u001b\[[0-9;]*m/g, "");
          const widths = new Set(bubbleWidths(text));
          expect([...widths], `${kind} at ${width}`).toEqual([fitted(width) - 4]);
          const rule = text.split("\n")[0]!;
          if (displayWidth(rule) > fitted(width)) expect(rule.endsWith(" ━━━"), `${kind} at ${width}: a long title keeps 3 rule marks`).toBe(true);
          else expect(displayWidth(rule), `${kind} at ${width}`).toBe(fitted(width));
        }
      }
    }
  });

  test("no width, or one that is not a number, is the default: the golden files' 60", () => {
    const [, model] = models[0]!;
    const standard = formatPreviewText([model], { color: false });
    expect(bubbleWidths(standard)[0]).toBe(56);
    expect(formatPreviewText([model], { color: false, width: Number.NaN })).toBe(standard);
    expect(formatPreviewText([model], { color: false, width: PREVIEW_WIDTH.default })).toBe(standard);
  });

  test.each([
    ["COLUMNS wins", { isTTY: true, columns: 120 }, { COLUMNS: "44" }, 44],
    ["a terminal's width", { isTTY: true, columns: 132 }, {}, 132],
    ["a pipe: the default", { isTTY: false, columns: 132 }, {}, undefined],
    ["COLUMNS not a whole number is ignored", { isTTY: true, columns: 90 }, { COLUMNS: "wide" }, 90],
    ["COLUMNS 0 is ignored", {}, { COLUMNS: "0" }, undefined],
    ["a terminal that reports 0 columns", { isTTY: true, columns: 0 }, {}, undefined],
  ] as const)("outputColumns: %s", (_name, stream, env, expected) => {
    expect(outputColumns(stream, env)).toBe(expected);
  });
});

describe("msgc preview in a narrow terminal", () => {
  let dir = "";
  beforeAll(() => {
    ensureBuilt();
    dir = makeProject({
      "specs/messages/hello.yaml": `kind: Message
name: hello
session:
  text: "Hi! Our spring collection is here: ferns, palms and a dozen kinds of succulents."
  buttons:
    - { id: shop, text: Shop now }
`,
    });
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("COLUMNS=36: rules 36 wide, bubbles 32, the text wrapped inside", () => {
    const r = msgc(["preview"], { cwd: dir, env: { NO_COLOR: "1", COLUMNS: "36" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`━━ hello · sample default ━━━━━━━━━━
specs/messages/hello.yaml
sends the session form: window: session, so always the session form

session form · to {recipient}  ◀ goes out
╭──────────────────────────────╮
│ Hi! Our spring collection is │
│ here: ferns, palms and a     │
│ dozen kinds of succulents.   │
╰──────────────────────────────╯
 [ Shop now ]
`);
  });

  test("--out FILE is not a terminal: the default width whatever COLUMNS says", () => {
    const r = msgc(["preview", "--out", "preview.txt"], { cwd: dir, env: { NO_COLOR: "1", COLUMNS: "36" } });
    expect(r.code).toBe(0);
    expect(bubbleWidths(readFileSync(join(dir, "preview.txt"), "utf8"))).toEqual([56, 56, 56, 56]);
  });
});
