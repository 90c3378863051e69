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
});
