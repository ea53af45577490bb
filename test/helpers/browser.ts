/**
 * A report page in a real headless browser: Debian's Chromium (installed by .ci/run), driven by
 * playwright-core through its executablePath (no browser download). Collects what a reader would
 * meet: console errors, uncaught page errors, failed requests, images that did not load, the tables
 * present; writes a full-page screenshot.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (p): p is string => !!p,
);
export const CHROMIUM = CANDIDATES.find((p) => existsSync(p));
export const CHROMIUM_MISSING: string | false = CHROMIUM
  ? false
  : `no Chromium at ${CANDIDATES.join(', ')} (apt-get install -y chromium, as .ci/run does; or set CHROMIUM_PATH)`;

/** Where browser tests leave their screenshots (ignored by git: out/). */
export const BROWSER_OUTPUT = path.resolve(__dirname, '..', '..', 'out', 'test-output', 'browser');

export interface PageCheck {
  consoleErrors: string[];
  pageErrors: string[];
  failedRequests: string[];
  images: Array<{ src: string; loaded: boolean; width: number; height: number }>;
  /** Per requested <h2> heading: the number of <table> elements between it and the next heading (-1: no such heading). */
  tables: Record<string, number>;
  svgs: number;
  title: string;
  screenshot: string;
}

export async function checkPageInBrowser(htmlFile: string, headings: string[], name: string): Promise<PageCheck> {
  if (!CHROMIUM) throw new Error(CHROMIUM_MISSING as string);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    const failedRequests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('requestfailed', (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText ?? 'failed'}`));
    page.on('response', (r) => {
      if (r.status() >= 400) failedRequests.push(`${r.url()}: HTTP ${r.status()}`);
    });
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    // Page-side code as strings: the project compiles without the DOM library.
    const images = (await page.evaluate(`[...document.images].map((img) => ({
      src: img.getAttribute('src') ?? '',
      loaded: img.complete && img.naturalWidth > 0,
      width: img.naturalWidth,
      height: img.naturalHeight,
    }))`)) as PageCheck['images'];
    const tables = (await page.evaluate(`((wanted) => {
      const out = {};
      const h2s = [...document.querySelectorAll('h2')];
      for (const w of wanted) {
        const h = h2s.find((e) => e.textContent.trim().startsWith(w));
        if (!h) { out[w] = -1; continue; }
        let n = 0;
        for (let e = h.nextElementSibling; e && e.tagName !== 'H2'; e = e.nextElementSibling)
          n += e.tagName === 'TABLE' ? 1 : e.querySelectorAll('table').length;
        out[w] = n;
      }
      return out;
    })(${JSON.stringify(headings)})`)) as Record<string, number>;
    const svgs = await page.locator('svg').count();
    mkdirSync(BROWSER_OUTPUT, { recursive: true });
    const screenshot = path.join(BROWSER_OUTPUT, `${name}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { consoleErrors, pageErrors, failedRequests, images, tables, svgs, title: await page.title(), screenshot };
  } finally {
    await browser.close();
  }
}

/** No console or page errors, no failed requests, every image loaded, a table under every heading, a screenshot. */
export function assertCleanPage(check: PageCheck, expectImages: number, headings: string[]): void {
  assert.deepEqual(check.consoleErrors, [], 'console errors');
  assert.deepEqual(check.pageErrors, [], 'page errors');
  assert.deepEqual(check.failedRequests, [], 'failed requests');
  assert.equal(check.images.length, expectImages, `images: ${JSON.stringify(check.images)}`);
  for (const img of check.images) assert.ok(img.loaded && img.width > 0, `image ${img.src} did not load`);
  for (const h of headings) assert.ok(check.tables[h] >= 1, `a table under "${h}": ${JSON.stringify(check.tables)}`);
  assert.ok(statSync(check.screenshot).size > 1000, 'screenshot written');
}
