// `node bench/monitorLatency.mjs`: how long a point takes from the log file to the chart.
// A writer appends one run-log line at a time (at irregular intervals) to a run the monitor's
// real RunRegistry follows (src/monitor); each change is handed, as the panel does, to the
// page's real series store and charts in headless Chromium, which draw it. Measured per line:
// from just before the append to the chart showing the point. Two ways of noticing changes:
//   file events  fs.watch on the run folder tells the registry (as VS Code's watcher does)
//   polling only the registry's half-second poll of runs being written (network drives, WSL)
// The bridge into the page is Playwright's evaluate (a DevTools round trip, timed separately),
// where VS Code uses postMessage. Prints the machine and a table; asserts nothing about time.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { launchChromium } from '../scripts/lib/browser.mjs';
import { DARK_THEME_CSS, pageHtml } from './lib/pageHtml.mjs';
/* global window */

const root = resolve(import.meta.dirname, '..');
const LINES = 40;
const LIVE_POLL_MS = 500; // the registry's default pace for runs being written
const work = mkdtempSync(join(tmpdir(), 'dlkit-bench-latency-'));

await esbuild.build({ entryPoints: [join(root, 'bench', 'lib', 'latencyHost.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(work, 'host.mjs'), logLevel: 'error' });
const { RunRegistry, findRuns } = await import(pathToFileURL(join(work, 'host.mjs')).href);
const html = await pageHtml(join(root, 'bench', 'lib', 'latencyPage.mjs'), `${DARK_THEME_CSS} body { width: 1200px; }`);

const plain = (series) => series.map((s) => ({ ...s, steps: [...s.steps], values: [...s.values], wallTimes: [...s.wallTimes], epochs: [...s.epochs] }));
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function measure(browserPage, mode) {
  const runFolder = join(work, mode, 'runs', 'live');
  mkdirSync(runFolder, { recursive: true });
  const log = join(runFolder, 'metrics.jsonl');
  writeFileSync(join(runFolder, 'run.json'), JSON.stringify({ name: 'live', status: 'running', started: Date.now() / 1000, pid: null }));
  // A run with history: 100,000 points already logged.
  const history = [];
  for (let step = 1; step <= 100_000; step++) history.push(JSON.stringify({ step, epoch: 1, split: 'train', time: 1000 + step / 100, loss: 2 / (1 + step / 1000) }));
  writeFileSync(log, `${history.join('\n')}\n`);

  await browserPage.setContent(html);
  await browserPage.waitForFunction('typeof window.deliver === "function"');
  const folder = join(work, mode);
  const registry = new RunRegistry({ discover: async () => (await findRuns(folder)).map((source) => ({ source, name: relative(folder, source.path) })), livePollMs: LIVE_POLL_MS });
  await registry.refresh();
  const runs = registry.list().map((run) => ({ id: run.tracker.id, name: run.name, colour: run.colour, visible: true }));
  const series = registry.list().flatMap((run) => run.tracker.seriesData());
  registry.list().forEach((run) => run.tracker.markSent());
  let shown = await browserPage.evaluate((message) => window.deliver(message), { type: 'snapshot', runs, series: plain(series) });

  let waiting; // { points, started, resolve }
  registry.onDidChange(async () => {
    const appends = registry.list().flatMap((run) => run.tracker.takeAppends());
    if (appends.length === 0) return;
    shown = await browserPage.evaluate((message) => window.deliver(message), { type: 'append', series: plain(appends) });
    if (waiting && shown >= waiting.points) {
      waiting.resolve(performance.now() - waiting.started);
      waiting = undefined;
    }
  });
  const watcher = mode === 'file events' ? watch(runFolder, (event, name) => name && registry.fileChanged(join(runFolder, name))) : undefined;
  registry.start();
  await sleep(300);

  const latencies = [];
  for (let i = 1; i <= LINES; i++) {
    await sleep(150 + Math.random() * 400);
    const step = 100_000 + i;
    const arrived = new Promise((resolve) => {
      waiting = { points: shown + 1, started: performance.now(), resolve };
    });
    appendFileSync(log, `${JSON.stringify({ step, epoch: 1, split: 'train', time: Date.now() / 1000, loss: 2 / (1 + step / 1000) })}\n`);
    latencies.push(await arrived);
  }
  watcher?.close();
  registry.dispose();
  return latencies.sort((a, b) => a - b);
}

const browser = await launchChromium();
const rows = [];
let bridge;
try {
  const browserPage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  for (const mode of ['file events', 'polling only']) rows.push({ mode, latencies: await measure(browserPage, mode) });
  const trips = [];
  for (let i = 0; i < 21; i++) {
    const started = performance.now();
    await browserPage.evaluate(() => 0);
    trips.push(performance.now() - started);
  }
  bridge = trips.sort((a, b) => a - b)[10];
  console.log(`Machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}, Chromium ${browser.version()} (headless)`);
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}

const ms = (value) => `${value.toFixed(0)} ms`;
const header = ['noticed by', 'lines', 'median', 'p90', 'max', 'min'];
const table = rows.map(({ mode, latencies }) => [mode, String(latencies.length), ms(percentile(latencies, 0.5)), ms(percentile(latencies, 0.9)), ms(latencies.at(-1)), ms(latencies[0])]);
const widths = header.map((title, i) => Math.max(title.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
console.log(line(header));
console.log(line(widths.map((width) => '-'.repeat(width))));
for (const row of table) console.log(line(row));
console.log(`append → chart (100,000 points already shown; the registry polls runs being written every ${LIVE_POLL_MS} ms). Page bridge round trip (evaluate): ${bridge.toFixed(1)} ms median. Target: under 1 s.`);
