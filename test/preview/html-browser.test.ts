import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { formatPreviewHtml } from "../../src/runner/preview/html.js";
import { renderPlanItem } from "../../src/runner/preview/model.js";
import { CHROMIUM, hasChromium, inCi, launchChromium, openPage } from "./browser.js";
import { decodePng, inkStats } from "./png.js";
import { CONTENT_KINDS, NOW } from "./items.js";
import { templateFormModels } from "./template-fixtures.js";

/** The HTML preview in a real headless Chromium (see browser.ts). */
if (!hasChromium && !inCi) {
  console.warn(`html-browser: skipped, ${CHROMIUM} is missing (apt-get install -y chromium); under CI=true this fails instead`);
}

test.runIf(!hasChromium && inCi)("chromium is installed (required under CI=true)", () => {
  expect.fail(`${CHROMIUM} is missing; .ci/run installs it with apt-get`);
});

describe.runIf(hasChromium)("html preview in headless Chromium", () => {
  const models = Object.values(CONTENT_KINDS).map((item) => renderPlanItem(item, { showNumbers: false, now: NOW }));
  const html = formatPreviewHtml(models);
  const shots = mkdtempSync(join(tmpdir(), "msgc-preview-shots-"));
  console.log(`html-browser: screenshots in ${shots}`);
  writeFileSync(join(shots, "preview.html"), html);
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test.each([390, 1280])("width %i px: every message visible, no errors, no requests, drawn", async (width) => {
    const { page, problems, requests } = await openPage(browser, html, width);

    // One round trip for every article: shown (not hidden by CSS) and of a real size.
    const boxes = await page.evaluate(() =>
      [...document.querySelectorAll("article.message")].map((a) => {
        const r = a.getBoundingClientRect();
        return { visible: a.checkVisibility({ opacityProperty: true, visibilityProperty: true }), wide: r.width > 200, tall: r.height > 100 };
      }),
    );
    expect(boxes).toEqual(models.map(() => ({ visible: true, wide: true, tall: true })));
    // Readable on a phone: nothing wider than the window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);

    const text = await page.locator("body").innerText();
    expect(text).toContain(`<script>alert(1)</script> "><img src=x onerror=alert(2)>`);
    expect(text).toContain("</div><script>alert(4)</script>");
    expect(text).toContain("<img src=x onerror=alert(5)>");
    expect(await page.evaluate(() => document.querySelectorAll("script, img, iframe, a[href], link, object, embed").length)).toBe(0);

    // The first screenful: enough to tell a drawn page from a blank one, and quick.
    const png = await page.screenshot();
    writeFileSync(join(shots, `preview-${width}.png`), png);
    const stats = inkStats(decodePng(png));
    expect(stats.ink).toBeGreaterThan(0.3);
    expect(stats.colors).toBeGreaterThan(50);

    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  test("template forms with their Template spec: header, body, footer with the values in, and the buttons, as rendered", async () => {
    const page = formatPreviewHtml(templateFormModels());
    writeFileSync(join(shots, "template-forms.html"), page);
    const opened = await openPage(browser, page, 390);
    const png = await opened.page.screenshot({ fullPage: true });
    writeFileSync(join(shots, "template-forms-390.png"), png);
    // What each template form shows, read from the rendered page (innerText: what is on screen).
    const forms = await opened.page.evaluate(() =>
      [...document.querySelectorAll("section.form-template .chat")].map((chat) => {
        const squash = (t: string) => t.replace(/\s+/g, " ").trim();
        const text = (selector: string) => [...chat.querySelectorAll<HTMLElement>(selector)].map((e) => squash(e.innerText));
        // A button's label and its value are side-by-side boxes: their texts, one by one.
        const leaves = (e: HTMLElement): string => (e.children.length === 0 ? squash(e.innerText) : [...e.children].map((c) => leaves(c as HTMLElement)).join(" "));
        const parts = (selector: string) => [...chat.querySelectorAll<HTMLElement>(selector)].map(leaves);
        const bubble = chat.querySelector<HTMLElement>(".bubble")!;
        const r = bubble.getBoundingClientRect();
        return {
          name: text(".tpl-name"),
          header: text(".header-text"),
          media: parts(".media"),
          body: text(".body"),
          footer: text(".footer"),
          buttons: parts(".tpl-button"),
          shown: bubble.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && r.width > 150 && r.height > 40,
          // A button's value is drawn under its label, not run on after it ("Track ithttps://…").
          stacked: [...chat.querySelectorAll(".tpl-button")].every((b) => {
            const [label, value] = [...b.children].map((c) => c.getBoundingClientRect());
            return value === undefined || value.top >= label!.bottom - 1;
          }),
        };
      }),
    );
    expect(forms).toEqual([
      {
        name: ["template order_shipped_v2 en_US · utility"],
        header: ["Order Shipped"],
        media: [],
        body: ["Hi Ana, your order #12345 is on its way."],
        footer: ["Lucky Shrub"],
        buttons: ["↗ Track it https://t.example/track/12345", "↩ Talk to us", "☎ Call us +14155550100"],
        shown: true,
        stacked: true,
      },
      {
        name: ["template appointment_reminder es · utility"],
        header: [],
        media: ["▤ DOCUMENT cita.pdf https://cdn.example.com/a.pdf"],
        body: ["Hola Ana, tu cita es el martes 10:00."],
        footer: [],
        buttons: ["↗ Cambiar https://t.example/r/abc", "↗ Cancelar https://t.example/c/def"],
        shown: true,
        stacked: true,
      },
      {
        name: ["template spring_sale en · marketing"],
        header: [],
        media: [],
        body: ["Hi Bo, 20% off everything this week."],
        footer: [],
        buttons: ["❐ Copy offer code SPRING20"],
        shown: true,
        stacked: true,
      },
    ]);
    // WhatsApp's *bold* is drawn bold, not shown with its asterisks.
    expect(await opened.page.evaluate(() => document.querySelector("section.form-template .body strong")?.textContent)).toBe("#12345");
    expect(await opened.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(inkStats(decodePng(png)).ink).toBeGreaterThan(0.3);
    expect(opened.problems).toEqual([]);
    expect(opened.requests).toEqual([]);
    await opened.page.close();
  });
});
