import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { formatStatusHtml } from "../../src/runner/status/index.js";
import { hasChromium, launchChromium, openPage } from "../preview/browser.js";
import { decodePng, inkStats } from "../preview/png.js";
import { FULL_MODEL } from "./model-fixture.js";

/** The status page in real headless Chromium (skipped without it, failing under CI: see browser.ts). */
describe.runIf(hasChromium)("status html in headless Chromium", () => {
  const html = formatStatusHtml(FULL_MODEL);
  const shots = mkdtempSync(join(tmpdir(), "msgc-status-shots-"));
  writeFileSync(join(shots, "status.html"), html);
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test.each([390, 1280])("width %i px: the bars and the lines drawn, no errors, no requests", async (width) => {
    const { page, problems, requests } = await openPage(browser, html, width);
    // The bars: one per funnel row, as wide as its count (the planned one the widest).
    const bars = await page.evaluate(() => [...document.querySelectorAll("svg.funnel rect")].map((r) => Math.round(r.getBoundingClientRect().width)));
    expect(bars).toHaveLength(9);
    expect(Math.max(...bars)).toBe(bars[0]);
    expect(bars[0]).toBeGreaterThan(width > 500 ? 300 : 150);
    expect(bars[1]! / bars[0]!).toBeCloseTo(1100 / 1200, 1);
    // The lines: both drawn across the chart, read below delivered at the end.
    const lines = await page.evaluate(() =>
      [...document.querySelectorAll("svg.timeline path.line")].map((p) => {
        const path = p as SVGPathElement;
        const box = path.getBoundingClientRect();
        return { length: path.getTotalLength(), width: box.width, stroke: getComputedStyle(path).stroke };
      }),
    );
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.length).toBeGreaterThan(100);
      expect(line.stroke).not.toBe("none");
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    expect(await page.locator("body").innerText()).toContain("<img src=x onerror=alert(1)>");
    expect(await page.evaluate(() => document.querySelectorAll("script, img, iframe, a[href], link, object, embed").length)).toBe(0);

    const png = await page.screenshot({ fullPage: true });
    writeFileSync(join(shots, `status-${width}.png`), png);
    const stats = inkStats(decodePng(png));
    expect(stats.colors).toBeGreaterThan(20);

    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
