// Headless Chromium (the system's, e.g. Debian's `chromium`) driven by
// playwright-core, and the few workbench gestures tests and scripts need.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The browser to drive: $CHROMIUM_PATH, else the first system Chromium found. */
export function chromiumPath() {
  const found = [process.env.CHROMIUM_PATH, ...CANDIDATES].find((candidate) => candidate && existsSync(candidate));
  if (!found) {
    throw new Error(
      'No Chromium found (looked at $CHROMIUM_PATH and ' + CANDIDATES.join(', ') + '). ' +
        'Install it (Debian/Ubuntu: `apt-get install chromium`) or set CHROMIUM_PATH.',
    );
  }
  return found;
}

export function launchChromium() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Opens VS Code at `url` and waits until the workbench is there. */
export async function openWorkbench(browser, url, { width = 1400, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  return page;
}

/**
 * Opens the command palette on `>query` and waits until a row containing
 * `expected` shows. Extensions register their commands a few seconds after the
 * workbench appears, so it retries until `timeout`. Leaves the palette open.
 */
export async function openPaletteWith(page, query, expected, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  const input = page.locator('.quick-input-widget input');
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${query}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: expected }) }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 3_000 });
      return row;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`The command palette never showed "${expected}" for "${query}": ${error.message}`);
      await page.waitForTimeout(1_000);
    }
  }
}

/** Runs a command by its palette title, as a user would: F1, type, then pick its row. */
export async function runCommand(page, title) {
  const row = await openPaletteWith(page, title, title);
  // The palette may rank another command first (e.g. "New CNN Project…" for "New Project…").
  await row.click();
}

/**
 * Finds the innermost frame of a webview whose document contains `selector`.
 * Webviews are nested iframes (the host iframe, then the content frame).
 */
export async function webviewFrame(page, selector, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      try {
        if ((await frame.locator(selector).count()) > 0) return frame;
      } catch {
        /* the frame navigated away meanwhile */
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`No webview showed ${selector} within ${timeout / 1000} s`);
}
