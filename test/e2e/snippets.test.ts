import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openPaletteWith, openWorkbench } from '../../scripts/lib/browser.mjs';
import { e2eContext } from './context';

describe('snippets and tensor-shape highlighting (packaged VSIX in code-server)', () => {
  let page: Page;

  before(async () => {
    const { browser, url, workspace } = e2eContext();
    writeFileSync(join(workspace, 'model.py'), '');
    page = await openWorkbench(browser, url);
    // Quick Open the new file, as a user would.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('model.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'model.py' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines').first().waitFor();
  });

  after(async () => {
    await page?.context().close();
  });

  it('typing torch-cnn and accepting the suggestion inserts the whole model', async () => {
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.type('torch-cnn', { delay: 30 });
    await page.keyboard.press('Control+Space');
    const suggestion = page.locator('.suggest-widget .monaco-list-row', { hasText: 'torch-cnn' }).first();
    await suggestion.waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape'); // leave snippet mode with the defaults
    const lines = page.locator('.monaco-editor .view-lines').first();
    await lines.filter({ hasText: 'class ConvNet(nn.Module):' }).waitFor({ timeout: 10_000 });
    const text = (await lines.innerText()).replace(/\u00a0/g, ' ');
    assert.match(text, /import torch\.nn as nn/);
    assert.match(text, /# \(B, c_in, H, W\) -> \(B, c_out, H\/2, W\/2\)/);
    await page.screenshot({ path: join(e2eContext().resultsDir, 'snippet-torch-cnn.png') });
  });

  it('scopes a shape comment with the injected grammar (Inspect Editor Tokens)', async () => {
    // Put the cursor on the `c_in` of the first shape comment, then ask VS Code for its scopes.
    const commentLine = page.locator('.monaco-editor .view-line', { hasText: '# (B, c_in, H, W)' }).first();
    const token = commentLine.locator('span span', { hasText: /^c_in$/ }).first();
    await token.click();
    await openPaletteWith(page, 'Developer: Inspect Editor Tokens and Scopes', 'Inspect Editor Tokens and Scopes');
    await page.keyboard.press('Enter');
    const widget = page.locator('.token-inspect-widget');
    await widget.waitFor({ timeout: 15_000 });
    const scopes = await widget.innerText();
    assert.match(scopes, /meta\.tensor-shape\.python/);
    assert.match(scopes, /comment\.line\.number-sign\.python/);
    await page.screenshot({ path: join(e2eContext().resultsDir, 'tensor-shape-scopes.png') });
    await page.keyboard.press('Escape');
  });
});
