import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { openPaletteWith, openWorkbench, webviewFrame } from '../../scripts/lib/browser.mjs';
import { e2eContext } from './context';

describe('Deep Learning: New Project… (packaged VSIX in code-server)', () => {
  let page: Page;

  before(async () => {
    const { browser, url } = e2eContext();
    page = await openWorkbench(browser, url);
  });

  after(async () => {
    await page?.context().close();
  });

  // The workbench keeps more than one quick input around: use the one showing.
  const input = () => page.locator('.quick-input-widget input:visible');
  const row = (text: string | RegExp) => page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();

  /** Waits for the row that proves the next step is showing, narrows the list to it, and accepts it. */
  async function choose(label: string, filter = label): Promise<void> {
    await row(label).waitFor({ timeout: 15_000 });
    await input().fill(filter);
    await row(label).waitFor();
    await page.keyboard.press('Enter');
  }

  it('lists New Project… and the per-architecture commands under Deep Learning', async () => {
    await openPaletteWith(page, 'Deep Learning: New', 'Deep Learning: New Project…');
    for (const title of ['New CNN Project…', 'New RNN Project…', 'New GAN Project…', 'New Transformer Project…', 'New Autoencoder Project…']) {
      await row(`Deep Learning: ${title}`).waitFor({ timeout: 10_000 });
    }
    // Add Model to File… belongs to Python editors: no Python file is open.
    await input().fill('>Deep Learning: Add Model');
    await page.waitForTimeout(1_500); // a negative: give the list time to filter
    const labels = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    assert.ok(!labels.some((label) => label.includes('Add Model to File')), `palette shows: ${labels.join(' | ')}`);
    await page.keyboard.press('Escape');
  });

  it('walks CNN → PyTorch → Synthetic → the workspace → a name, then shows the project and its README', async () => {
    const { workspace, resultsDir } = e2eContext();
    // The palette ranks "New Autoencoder Project…" first for this query: click the row itself.
    const command = await openPaletteWith(page, 'Deep Learning: New Project…', 'Deep Learning: New Project…');
    await command.click();
    await choose('CNN');
    await choose('PyTorch');
    await choose('Synthetic images', 'Synthetic');
    await choose(basename(workspace));
    // The name box proposes cnn_pytorch; type another.
    await page.locator('.quick-input-widget', { hasText: 'Project name' }).waitFor({ timeout: 15_000 });
    assert.equal(await input().inputValue(), 'cnn_pytorch');
    await input().fill('e2e_cnn');
    await page.screenshot({ path: join(resultsDir, 'new-project-name.png') });
    await page.keyboard.press('Enter');

    // The explorer shows the new folder (revealed and selected); expand it to see train.py.
    const folder = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^e2e_cnn$/ }).first();
    await folder.waitFor({ timeout: 30_000 });
    if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^train\.py$/ }).first().waitFor({ timeout: 15_000 });

    // README.md opens (as a Markdown preview).
    await page.locator('.tabs-container .tab.active', { hasText: 'README.md' }).waitFor({ timeout: 30_000 });
    const project = join(workspace, 'e2e_cnn');
    for (const file of ['README.md', 'train.py', 'model.py', 'config.toml']) assert.ok(existsSync(join(project, file)), `${file} was not written`);
    assert.match(readFileSync(join(project, 'config.toml'), 'utf8'), /"synthetic"/);
    // …and renders: the preview's heading is the project's title.
    const preview = await webviewFrame(page, 'h1', 30_000);
    assert.match(await preview.locator('h1').first().innerText(), /E2e CNN|e2e_cnn/);
    await page.screenshot({ path: join(resultsDir, 'new-project.png') });
  });
});
