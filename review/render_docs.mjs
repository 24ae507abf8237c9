// Opens the built API reference in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core, which downloads no browser), with every non-file request blocked so
// the page must render offline. Expands each section Redoc folds behind "+ Show", saves a
// full-page screenshot, and prints what it saw as JSON for tests/review/test_docs.py.
//
// usage: node review/render_docs.mjs <index.html> <screenshot.png>
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [htmlPath, screenshotPath] = process.argv.slice(2);
if (!htmlPath || !screenshotPath) {
  console.error('usage: node review/render_docs.mjs <index.html> <screenshot.png>');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // The sandbox's network refuses Chromium's own background connections without these.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const seen = { blocked: [], pageErrors: [], sections: {}, screenshots: [], text: '' };
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (/^(file|data|blob|about):/.test(url)) return route.continue();
    seen.blocked.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => seen.pageErrors.push(String(err.message ?? err)));
  await page.goto(pathToFileURL(resolve(htmlPath)).href, { waitUntil: 'load' });
  await page.locator('#redoc h1').first().waitFor({ timeout: 15000 });
  // Redoc 3 mounts a section only near the viewport, and shows the body of one tag
  // section at a time: "+ Show" routes to that section and unfolds it. So the viewport is
  // made as tall as the page (every section mounted at once), and each folded section is
  // opened in turn; the text and a screenshot are kept per section.
  const fitViewport = async () => {
    for (let i = 0; i < 5; i++) {
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      const size = page.viewportSize();
      if (size && size.height >= Math.min(height, 30000)) break;
      await page.setViewportSize({ width: 1400, height: Math.min(height, 30000) });
      await page.waitForTimeout(200);
    }
  };
  const foldedSections = () => page.evaluate(() => [...document.querySelectorAll('#redoc button')]
    .filter((b) => /^\+\s*Show$/.test(b.textContent.trim()))
    .map((b) => b.closest('[data-section-id]')?.id)
    .filter(Boolean));
  await fitViewport();
  const sections = await foldedSections();
  const isFolded = (sectionId) => page.evaluate((sid) => [...document.getElementById(sid)?.querySelectorAll('button') ?? []]
    .some((b) => /^\+\s*Show$/.test(b.textContent.trim())), sectionId);
  const pageText = () => page.evaluate(() => document.getElementById('redoc').innerText);
  for (const id of sections) {
    await page.evaluate((sectionId) => {
      const button = [...document.getElementById(sectionId).querySelectorAll('button')]
        .find((b) => /^\+\s*Show$/.test(b.textContent.trim()));
      button?.click();
    }, id);
    // Wait until the section has unfolded and its text stops growing (lazy blocks mount
    // as the viewport grows to fit them). On a loaded machine a mount can pause for more
    // than one poll, so the text must hold still for a full second, not one interval.
    let previous = -1;
    let still = 0;
    for (let tries = 0; tries < 120 && still < 4; tries++) {
      await page.waitForTimeout(250);
      await fitViewport();
      const length = (await pageText()).length;
      still = !(await isFolded(id)) && length === previous ? still + 1 : 0;
      previous = length;
    }
    seen.sections[id] = await pageText();
    const shot = screenshotPath.replace(/\.png$/, '') + `-${id}.png`;
    await page.screenshot({ path: shot, fullPage: true });
    seen.screenshots.push(shot);
  }
  seen.text = await page.evaluate(() => document.getElementById('redoc').innerText);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(200);
  await page.screenshot({ path: screenshotPath });
  seen.screenshots.push(screenshotPath);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(seen));
