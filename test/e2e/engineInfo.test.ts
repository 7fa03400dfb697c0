import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openPaletteWith, openWorkbench, runCommand, webviewFrame } from '../../scripts/lib/browser.mjs';
import { e2eContext } from './context';

describe('Deep Learning: Show Engine Info (packaged VSIX in code-server)', () => {
  let page: Page;

  before(async () => {
    const { browser, url } = e2eContext();
    page = await openWorkbench(browser, url);
  });

  after(async () => {
    await page?.context().close();
  });

  it('lists the command in the palette under the Deep Learning category', async () => {
    // The palette shows "Install Native…" only once its enablement (workspace trust) is known,
    // and an open palette does not refresh: reopen until the row is there.
    await openPaletteWith(page, 'Deep Learning:', 'Deep Learning: Install Native TensorFlow Backend');
    const labels = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    assert.ok(labels.some((label) => label.includes('Deep Learning: Show Engine Info')), `palette shows: ${labels.join(' | ')}`);
    assert.ok(labels.some((label) => label.includes("Deep Learning: Install Native TensorFlow Backend")), `palette shows: ${labels.join(" | ")}`);
    await page.keyboard.press('Escape');
  });

  it('answers from the worker naming the WASM backend', async () => {
    await runCommand(page, 'Deep Learning: Show Engine Info');
    const frame = await webviewFrame(page, '[data-testid="backend"]');
    const backend = frame.locator('[data-testid="backend"]');
    await backend.filter({ hasText: 'wasm' }).waitFor({ timeout: 60_000 });
    const text = await frame.locator('#root').innerText();
    // vscode-tag renders its text in capitals.
    assert.match(text, /Backend:\s*wasm\s+WebAssembly \(WASM\)/i);
    assert.match(text, /TensorFlow\.js\s+4\.22\.0/);
    const pid = /Worker pid\s+(\d+)/.exec(text)?.[1];
    assert.ok(pid && Number(pid) > 0, `no worker pid in:\n${text}`);
    assert.match(text, /Node\.js\s+v\d+/);
    await page.screenshot({ path: join(e2eContext().resultsDir, 'engine-info.png') });
  });
});
