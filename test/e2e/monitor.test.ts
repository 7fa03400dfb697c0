import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { openWorkbench, runCommand, webviewFrame } from '../../scripts/lib/browser.mjs';
import { e2eContext } from './context';

/**
 * The Training Monitor on demo/: its four runs (two JSONL run logs, a Keras CSVLogger file, a
 * Lightning metrics.csv) as charts; a background process appending to a run log while the
 * panel watches.
 */
/** A 3×2 red PNG (zlib-encoded, valid CRCs). */
const PNG_3x2 = 'iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGP4z8AAQQxwFgBB0gX7h/C5SAAAAABJRU5ErkJggg==';

describe('Training Monitor (packaged VSIX in code-server)', () => {
  let page: Page;
  let writer: ChildProcess | undefined;

  before(async () => {
    const { browser, url, workspace } = e2eContext();
    // The Python with PyTorch (the one on PATH may lack it), chosen the way a user would: the
    // setting. Written before the window opens, so that it is read with the workspace.
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'deepLearningKit.training.pythonPath': process.env['DLKIT_PYTHON'] ?? '/usr/bin/python3' }));
    page = await openWorkbench(browser, url);
  });

  after(async () => {
    writer?.kill();
    await page?.context().close();
  });

  /** The monitor page's frame once it shows charts. */
  async function monitorFrame(): Promise<Frame> {
    return webviewFrame(page, '[data-testid="chart"]', 90_000);
  }

  /** Points in the chart of `metric`, as the page counts them (`data-points`). */
  async function pointsIn(frame: Frame, metric: string): Promise<number> {
    const chart = frame.locator(`[data-testid="chart"][data-metric="${metric}"]`).first();
    return Number(await chart.getAttribute('data-points', { timeout: 10_000 }));
  }

  // The workbench keeps more than one quick input around: use the one showing.
  const quickRow = (text: string) => page.locator('.quick-input-widget:visible .quick-input-list .monaco-list-row', { hasText: text }).first();

  /** Waits for a quick-pick row containing `label` and picks it. */
  async function choose(label: string): Promise<void> {
    await quickRow(label).waitFor({ timeout: 30_000 });
    await quickRow(label).click();
  }

  async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) {
        await page.screenshot({ path: join(e2eContext().resultsDir, 'monitor-timeout.png') });
        throw new Error(`timed out waiting for ${what}`);
      }
      await page.waitForTimeout(250);
    }
  }

  it('opens from the palette and draws every demo run', async () => {
    await runCommand(page, 'Deep Learning: Open Training Monitor');
    const frame = await monitorFrame();
    const metrics = await frame.locator('[data-testid="chart"]').evaluateAll((charts) => charts.map((chart) => chart.getAttribute('data-metric')));
    for (const metric of ['loss', 'accuracy']) assert.ok(metrics.includes(metric), `charts: ${metrics.join(', ')}`);
    await frame.locator('[data-testid="tab-runs"]').click();
    const rows = frame.locator('[data-testid="run-row"]');
    await waitFor('four runs in the table', async () => (await rows.count()) >= 4);
    const names = await rows.allInnerTexts();
    for (const run of ['cnn-baseline', 'cnn-wider', 'training.log', 'version_0']) assert.ok(names.some((name) => name.includes(run)), `runs: ${names.join(' | ')}`);
    await page.screenshot({ path: join(e2eContext().resultsDir, 'monitor-runs.png') });
    // The two run-log runs side by side: they differ in the width of the network.
    await frame.locator('[data-testid="tab-hparams"]').click();
    const width = frame.locator('[data-testid="hparam-row"]', { hasText: 'width' }).first();
    await width.waitFor({ timeout: 10_000 });
    assert.equal(await width.getAttribute('data-differs'), 'true');
    await page.screenshot({ path: join(e2eContext().resultsDir, 'monitor-hparams.png') });
    await frame.locator('[data-testid="tab-charts"]').click();
    await page.screenshot({ path: join(e2eContext().resultsDir, 'monitor-charts.png') });
  });

  it('shows points a background process appends, within seconds, and keeps them through a reload', async () => {
    const { workspace, resultsDir } = e2eContext();
    const run = join(workspace, 'runs', 'e2e-live');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'run.json'), JSON.stringify({ name: 'e2e-live', status: 'running', started: Date.now() / 1000, planned_steps: 400, pid: null }));
    const frame = await monitorFrame();
    const before = await pointsIn(frame, 'loss');
    // Another process writes, as training would: one row every 100 ms.
    const script = `
      const fs = require('fs');
      let step = 0;
      const timer = setInterval(() => {
        step += 1;
        fs.appendFileSync(${JSON.stringify(join(run, 'metrics.jsonl'))}, JSON.stringify({ step, epoch: 1, split: 'train', time: Date.now() / 1000, loss: 3 / (1 + step / 20) }) + '\\n');
        if (step === 200) clearInterval(timer);
      }, 100);`;
    writer = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    await waitFor('the loss chart to gain points', async () => (await pointsIn(frame, 'loss')) >= before + 10);
    const early = await pointsIn(frame, 'loss');
    await waitFor('more points to arrive', async () => (await pointsIn(frame, 'loss')) >= early + 20);
    await page.screenshot({ path: join(resultsDir, 'monitor-live.png') });

    // A sample image the run writes shows in the gallery.
    mkdirSync(join(run, 'samples'));
    writeFileSync(join(run, 'samples', 'epoch-001.png'), Buffer.from(PNG_3x2, 'base64'));
    await frame.locator('[data-testid="tab-images"]').click();
    await frame.locator('[data-testid="gallery-image"]', { hasText: 'epoch-001.png' }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(resultsDir, 'monitor-images.png') });
    await frame.locator('[data-testid="tab-charts"]').click();

    // The page holds no history of its own: a reload asks the host, and nothing is lost.
    const beforeReload = await pointsIn(frame, 'loss');
    await runCommand(page, 'Developer: Reload Webviews');
    const reloaded = await monitorFrame();
    await waitFor('the reloaded page to show at least as many points', async () => {
      try {
        return (await pointsIn(reloaded, 'loss')) >= beforeReload;
      } catch {
        return false;
      }
    });
  });

  it('runs a scaffolded PyTorch project from the panel and draws its curves as it trains', async function () {
    this.timeout(240_000);
    const { workspace, resultsDir } = e2eContext();
    execFileSync(process.execPath, [join(process.cwd(), 'dist', 'cli.js'), 'scaffold', '--arch', 'cnn', '--style', 'pytorch', '--out', workspace, '--name', 'e2e_monitor'], { stdio: 'ignore' });
    const frame = await monitorFrame();
    await frame.locator('[data-testid="tab-runs"]').click();
    await frame.locator('[data-testid="start-training"]').first().click();
    // The host asks which script, then how to run it (the choices come from the script's docstring).
    await choose('e2e_monitor');
    await choose('python train.py --smoke');
    await page.screenshot({ path: join(resultsDir, 'monitor-training-started.png') });
    const row = frame.locator('[data-testid="run-row"]', { hasText: 'e2e_monitor' }).first();
    await waitFor('the new run in the runs table', async () => (await row.count()) > 0, 90_000);
    await page.screenshot({ path: join(resultsDir, 'monitor-training.png') });
    await waitFor('the run to finish', async () => (await row.locator('[data-testid="run-status"]').getAttribute('data-status')) === 'finished', 180_000);
    const runs = readdirSync(join(workspace, 'e2e_monitor', 'runs'));
    assert.equal(runs.length, 1, `runs: ${runs.join(', ')}`);
    const lines = readFileSync(join(workspace, 'e2e_monitor', 'runs', runs[0]!, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.ok(lines.length > 0);
    await frame.locator('[data-testid="tab-charts"]').click();
    await page.screenshot({ path: join(resultsDir, 'monitor-trained.png') });
    // The output channel shows the training's own lines, and how it ended.
    const output = page.locator('.part.panel .monaco-editor', { hasText: 'exited with code 0' }).first();
    await output.waitFor({ timeout: 30_000 });
    assert.match(await output.innerText(), /epoch\s\d+\/\d+/); // the editor renders spaces as no-break spaces
  });
});
