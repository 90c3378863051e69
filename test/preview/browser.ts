import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";

/**
 * Real headless Chromium (Debian's package) for the HTML pages msgc writes (preview, status).
 * Without the browser those tests are skipped locally, and fail under CI=true so that a missing
 * browser is never silent.
 */
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const inCi = process.env.CI === "true";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/**
 * A page showing `html`, with every console error or warning, page error and dialog collected in
 * `problems`, and every request the page tries (all aborted) in `requests`: a self-contained page
 * leaves both empty.
 */
export async function openPage(browser: Browser, html: string, width: number): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("request", (r) => requests.push(r.url()));
  await page.route("**/*", (route) => {
    requests.push(`routed ${route.request().url()}`);
    return route.abort();
  });
  await page.setContent(html, { waitUntil: "load" });
  return { page, problems, requests };
}
