/**
 * The template commands' pure parts: the creation pacer (Meta's 100 an hour, never exceeded),
 * the component reader that plan and pull share (every example Template spec read back from its
 * create request is the spec), pulled file names and the new-name hint.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { languageFromComponents } from "../../src/connectly/components.js";
import { templateCreateRequest } from "../../src/compiler/template-create.js";
import { loadSpecSource } from "../../src/project/load.js";
import { createConnectlyClient } from "../../src/connectly/client.js";
import { InputError } from "../../src/errors.js";
import { createCreationPacer, recentCreations, waitForReview } from "../../src/runner/templates/apply.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { Clock } from "../../src/runner/templates/apply.js";
import { categoryOf, nextName } from "../../src/runner/templates/plan.js";
import { formatPlanMarkdown } from "../../src/runner/templates/format.js";
import { pullFileName } from "../../src/runner/templates/pull.js";
import type { TemplateSpec } from "../../src/types/template.generated.js";
import { repoRoot } from "../cli/helpers.js";

/** A clock that moves only when slept on, and says how long each sleep was. */
function fakeClock(start = 0): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const HOUR = 3_600_000;

describe("creation pacer", () => {
  test("pacer: the first 100 go at once, the 101st waits for the first to leave the hour", async () => {
    const clock = fakeClock(1_000);
    const pace = createCreationPacer({ clock });
    const times: number[] = [];
    for (let i = 0; i < 205; i++) {
      await pace();
      times.push(clock.now());
    }
    expect(times.slice(0, 100).every((t) => t === 1_000)).toBe(true);
    expect(times[100]).toBe(1_000 + HOUR);
    expect(times[200]).toBe(1_000 + 2 * HOUR);
    // No window of an hour ever holds more than 100 creations.
    for (const [i, t] of times.entries()) expect(times.filter((u) => u >= t && u < t + HOUR).length, `from creation ${i}`).toBeLessThanOrEqual(100);
  });

  test("pacer: creations of an earlier run in the last hour count; older ones and ones ahead of this clock do not exceed it", async () => {
    const clock = fakeClock(10 * HOUR);
    const earlier = [...Array.from({ length: 99 }, () => 10 * HOUR - 60_000), 9 * HOUR - 1, 11 * HOUR];
    const waits: number[] = [];
    const pace = createCreationPacer({ clock, earlier, onWait: (ms) => waits.push(ms) });
    // 99 a minute ago and one "in the future" (counted as now): the hour is full.
    await pace();
    expect(clock.sleeps).toEqual([HOUR - 60_000]);
    expect(waits).toEqual([HOUR - 60_000]);
  });

  test("recentCreations: the list's createdAt within the last hour, unreadable ones left out", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    const group = (createdAt: string | null) => ({ id: null, name: "n", category: null, templates: [{ id: null, language: "en", status: "x", rejectionReason: null, templateComponents: [], createdAt, updatedAt: null }] });
    expect(recentCreations([group("2026-12-01T11:30:00Z"), group("2026-12-01T10:59:59Z"), group(null), group("yesterday")], now)).toEqual([Date.parse("2026-12-01T11:30:00Z")]);
  });
});

describe("components read back into a Template spec's language", () => {
  const dir = join(repoRoot, "specs/templates");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
    test(`round trip: ${file} → create request → read back is the spec`, () => {
      const { spec } = loadSpecSource(readFileSync(join(dir, file), "utf8"), file, join(dir, file));
      const data = spec!.data as TemplateSpec;
      for (const [code, language] of Object.entries(data.languages)) {
        expect(languageFromComponents(templateCreateRequest(data, code).template_components)).toEqual(language);
      }
    });
  }

  test("authentication: the otp fields come back from body, footer and button", () => {
    const data: TemplateSpec = { kind: "Template", name: "login_code", category: "authentication", languages: { en: { otp: { type: "one_tap", text: "Autofill", codeExpirationMinutes: 10, addSecurityRecommendation: true } } } };
    expect(languageFromComponents(templateCreateRequest(data, "en").template_components)).toEqual(data.languages["en"]);
  });

  test("the list's camelCase spelling reads the same", () => {
    expect(languageFromComponents([{ body: { text: { text: "Hi {{1}}", example: ["Ana"] } } }, { buttons: { buttons: [{ phoneNumber: { text: "Call", phoneNumber: "+14155550100" } }, { quickReply: { text: "Stop" } }] } }])).toEqual({
      body: { text: "Hi {{1}}", examples: ["Ana"] },
      buttons: [{ type: "phone", text: "Call", phone: "+14155550100" }, { type: "quick_reply", text: "Stop" }],
    });
  });

  test.each([
    ["no body", [{ footer: { text: { text: "x" } } }]],
    ["a component kind not known", [{ body: { text: { text: "x" } } }, { carousel: {} }]],
    ["a button kind not known", [{ body: { text: { text: "x" } } }, { buttons: { buttons: [{ flow: { text: "x" } }] } }]],
    ["two keys in one component", [{ body: { text: { text: "x" } }, footer: { text: { text: "y" } } }]],
    ["a media header of a kind not known", [{ header: { media: { type: "TYPE_STICKER" } } }, { body: { text: { text: "x" } } }]],
  ])("unreadable: %s (nothing guessed)", (_what, components) => {
    expect(languageFromComponents(components)).toBeUndefined();
  });
});

describe("pulled file names", () => {
  test.each([
    ["order_shipped_v2", "order-shipped-v2.yaml"],
    ["con", "con-template.yaml"],
    ["lpt1", "lpt1-template.yaml"],
    ["nul_notice", "nul-notice.yaml"],
    ["../../etc/passwd", "etc-passwd.yaml"],
    ["___", "template.yaml"],
    ["a\u0000b\u001bc", "a-b-c.yaml"],
  ])("pullFileName: %j → %s", (name, file) => {
    expect(pullFileName(name)).toBe(file);
  });

  test("pullFileName: a 512-character name is cut to 100 with a hash that tells names apart", () => {
    const a = pullFileName(`a${"b".repeat(511)}`);
    const b = pullFileName(`a${"b".repeat(510)}c`);
    expect(a).toMatch(/^ab{90}-[0-9a-f]{8}\.yaml$/);
    expect(a.length).toBe(105);
    expect(a).not.toBe(b);
  });
});

describe("plan helpers", () => {
  test.each([
    ["order_shipped_v2", [], "order_shipped_v3"],
    ["welcome", [], "welcome_v2"],
    ["welcome", ["welcome_v2", "welcome_v3"], "welcome_v4"],
    ["promo_v9", ["promo_v10"], "promo_v11"],
  ])("nextName: %s, taken %j → %s", (name, taken, next) => {
    expect(nextName(name, new Set(taken))).toBe(next);
  });

  test.each([
    ["MARKETING", "marketing"],
    ["MESSAGE_TEMPLATE_GROUP_CATEGORY_UTILITY", "utility"],
    ["ACCOUNT_UPDATE", "utility"],
    ["TRANSACTIONAL", "utility"],
    ["OTP", "authentication"],
    ["SOMETHING_NEW", undefined],
    [null, undefined],
  ])("categoryOf: %s → %s", (remote, category) => {
    expect(categoryOf(remote)).toBe(category);
  });
});

describe("plan as a pull-request comment", () => {
  test("formatPlanMarkdown: thousands of remote-only templates are cut under GitHub's limit, with a note, the marker first", () => {
    const entries = Array.from({ length: 5000 }, (_v, i) => ({ name: `legacy_${"x".repeat(100)}_${i}`, language: "en_US", action: "remote-only" as const, status: "approved" }));
    const text = formatPlanMarkdown({ businessId: "b", entries: [{ name: "welcome", language: "en", action: "create" }, ...entries], counts: { create: 1, "in-sync": 0, differs: 0, "remote-only": 5000 } });
    expect(text.length).toBeLessThanOrEqual(65_536);
    expect(text.split("\n").slice(0, 3)).toEqual(["<!-- msgc-templates-plan -->", "<!-- msgc-templates-plan: create=1 differs=0 -->", "**msgc templates plan**: 1 to create, 0 in sync, 0 differ, 5000 remote only."]);
    expect(text).toContain("| ➕ | `welcome` | en | create |  |");
    expect(text).toMatch(/\n<\/details>\n\n> \*\*Cut to stay under GitHub's 65,536-character comment limit\*\* \(\d+ lines not shown\)\. Run `msgc templates plan` for the full plan\.\n$/);
  });
});

describe("waitForReview", () => {
  test("a list that cannot be read mid-wait is one line that says the templates were created", async () => {
    const box = await startSandbox({ apiKey: "the-sandbox-key-0123" });
    const client = createConnectlyClient({ baseUrl: box.url, apiKey: "another-key-0123456789", businessId: "biz-test" });
    try {
      const waiting = waitForReview(client, [{ name: "welcome", language: "en", status: "pending" }], { timeoutMs: 60_000, clock: fakeClock(), command: "templates apply" });
      await expect(waiting).rejects.toThrow(
        new InputError(
          "msgc templates apply: could not read the business's templates (HTTP 401 ERROR_CODE_UNAUTHENTICATED: The X-API-Key header is missing or does not match the sandbox's API key); the templates were created: msgc templates status shows their review",
        ),
      );
      await expect(waiting.catch((e: unknown) => e)).resolves.toBeInstanceOf(InputError);
    } finally {
      await client.close();
      await box.close();
    }
  });
});
