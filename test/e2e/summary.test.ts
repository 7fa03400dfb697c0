import assert from 'node:assert/strict';
import { copyFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { openPaletteWith, openWorkbench } from '../../scripts/lib/browser.mjs';
import { e2eContext } from './context';

/**
 * demo/models/keras_cnn_mnist.h5 (scripts/demo/make_demo.py): Conv2D 3x3x1->32 (26x26), MaxPooling2D
 * (13x13), Conv2D 3x3x32->64 (11x11), Flatten, Dropout, Dense 7744->10.
 */
const CNN_PARAMS = 3 * 3 * 1 * 32 + 32 + (3 * 3 * 32 * 64 + 64) + (11 * 11 * 64 * 10 + 10);

describe('Model Summary (packaged VSIX in code-server)', () => {
  let page: Page;

  before(async () => {
    const { browser, url } = e2eContext();
    page = await openWorkbench(browser, url);
    // A file opened before the window has read the extensions' contributions gets the text
    // editor: wait until our commands are known, as a user would see them in the palette.
    await openPaletteWith(page, 'Deep Learning: Open Model Summary', 'Deep Learning: Open Model Summary');
    await page.keyboard.press('Escape');
  });

  after(async () => {
    await page?.context().close();
  });

  /** Expands `folder` in the Explorer and opens `file` in it by a double click, as a user does. */
  async function openFromExplorer(folder: string, file: string): Promise<void> {
    const explorer = page.locator('.explorer-folders-view');
    await explorer.waitFor({ timeout: 60_000 });
    const folderRow = explorer.locator('.monaco-list-row', { hasText: folder }).first();
    await folderRow.waitFor();
    if ((await folderRow.getAttribute('aria-expanded')) !== 'true') await folderRow.click();
    const fileRow = explorer.locator('.monaco-list-row', { hasText: file }).first();
    await fileRow.waitFor();
    await fileRow.dblclick();
  }

  /**
   * The Model Summary page for `fileName` once it shows its table or its error. The first
   * summary starts the engine, so this waits generously; on a timeout it saves a screenshot
   * and reports what the page showed instead.
   */
  async function summaryFrame(fileName: string, timeoutMs = 150_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    let seen = '(no Model Summary page)';
    while (Date.now() < deadline) {
      for (const frame of page.frames()) {
        if (frame === page.mainFrame()) continue;
        try {
          if ((await frame.locator('#root').count()) === 0) continue;
          const text = await frame.locator('#root').innerText();
          if (!text.includes(fileName)) continue;
          seen = text.slice(0, 300);
          if ((await frame.locator('[data-testid="layer-table"], [data-testid="summary-error"]').count()) > 0) return frame;
        } catch {
          /* the frame navigated away meanwhile */
        }
      }
      await page.waitForTimeout(500);
    }
    await page.screenshot({ path: join(e2eContext().resultsDir, `summary-timeout-${fileName}.png`) });
    throw new Error(`The Model Summary of ${fileName} showed no table or error within ${timeoutMs / 1000} s; it showed: ${seen}`);
  }

  it('opens a Keras .h5 from the Explorer with the layer table and the right total', async () => {
    await openFromExplorer('models', 'keras_cnn_mnist.h5');
    const frame = await summaryFrame('keras_cnn_mnist.h5');
    const total = frame.locator('[data-testid="total-params"]');
    await total.waitFor({ timeout: 60_000 });
    assert.equal((await total.innerText()).replace(/[^\d]/g, ''), String(CNN_PARAMS));
    const rows = frame.locator('[data-testid="layer-row"]');
    assert.ok((await rows.count()) >= 7, 'every layer has a row');
    const table = await frame.locator('[data-testid="layer-table"]').innerText();
    for (const expected of ['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', '(None, 26, 26, 32)', '(None, 10)']) {
      assert.ok(table.includes(expected), `the table shows ${expected}:\n${table}`);
    }
    await page.screenshot({ path: join(e2eContext().resultsDir, 'summary-keras-h5.png') });
  });

  it('runs the model in the engine and shows the backend and the output shape', async () => {
    const frame = await summaryFrame('keras_cnn_mnist.h5');
    await frame.locator('[data-testid="tab-run"]').click();
    await frame.locator('[data-testid="run-button"]').click();
    const backend = frame.locator('[data-testid="run-backend"]');
    await backend.waitFor({ timeout: 120_000 });
    assert.match(await backend.innerText(), /wasm/i);
    assert.match(await frame.locator('[data-testid="run-output-shape"]').innerText(), /\(1, 10\)/);
    await page.screenshot({ path: join(e2eContext().resultsDir, 'summary-keras-h5-run.png') });
  });

  it('opens a TF.js model.json from its text editor with the title-bar action', async () => {
    await openFromExplorer('tfjs_mlp', 'model.json');
    const action = page.locator('.editor-actions .action-label[aria-label="Open Model Summary"]');
    await action.waitFor({ timeout: 30_000 });
    await action.click();
    const frame = await summaryFrame('model.json');
    await frame.locator('[data-testid="total-params"]').waitFor({ timeout: 60_000 });
    assert.match(await frame.locator('body').innerText(), /TF\.js layers model/);
    await page.screenshot({ path: join(e2eContext().resultsDir, 'summary-tfjs-model-json.png') });
  });

  it('shows a clear error naming a truncated file', async () => {
    const { workspace, resultsDir } = e2eContext();
    const broken = join(workspace, 'models', 'broken_download.h5');
    copyFileSync(join(workspace, 'models', 'keras_cnn_mnist.h5'), broken);
    truncateSync(broken, 100_000);
    await openFromExplorer('models', 'broken_download.h5');
    const frame = await summaryFrame('broken_download.h5');
    const error = frame.locator('[data-testid="summary-error"]');
    await error.waitFor({ timeout: 60_000 });
    assert.match(await error.innerText(), /broken_download\.h5: .*truncated/i);
    await page.screenshot({ path: join(resultsDir, 'summary-truncated-file.png') });
  });

  it('opens a PyTorch state_dict as its module tree, saying nothing was run', async () => {
    const { resultsDir } = e2eContext();
    await openFromExplorer('models', 'mnist_cnn.pt');
    const frame = await summaryFrame('mnist_cnn.pt');
    // demo/models/mnist_cnn.pt (scripts/demo/make_demo.py): conv1 1->8 3x3, bn1 (8), conv2 8->16 3x3,
    // fc1 784->16, fc2 16->10; torch counts parameters, not BatchNorm's running statistics.
    const params = 8 * 9 + 8 + 2 * 8 + (16 * 8 * 9 + 16) + (784 * 16 + 16) + (16 * 10 + 10);
    await frame.locator('[data-testid="total-params"]').waitFor({ timeout: 60_000 });
    assert.equal((await frame.locator('[data-testid="total-params"]').innerText()).replace(/[^\d]/g, ''), String(params));
    assert.match(await frame.locator('[data-testid="pytorch-notice"]').innerText(), /Nothing in the file was executed/);
    const table = await frame.locator('[data-testid="layer-table"]').innerText();
    for (const expected of ['conv1', 'Conv2d', 'bn1', 'BatchNorm', 'fc1', 'Linear', 'out_channels=16']) {
      assert.ok(table.includes(expected), `the module table shows ${expected}:\n${table}`);
    }
    assert.equal(await frame.locator('[data-testid="tab-run"]').count(), 0, 'PyTorch files are read, not run');
    await page.screenshot({ path: join(resultsDir, 'summary-pytorch-state-dict.png') });
  });
});
