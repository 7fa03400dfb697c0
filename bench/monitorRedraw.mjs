// `node bench/monitorRedraw.mjs`: how fast the Training Monitor's charts (webviews/monitor/charts)
// draw 1,000,000 points, in headless Chromium (the system's, through playwright-core):
//   - one run, one metric, 1,000,000 steps
//   - four runs of 250,000 steps each, on one chart
// For each, the median of 5 of: first render (view created, data set, drawn), zoom to a tenth of
// the range through the view's zoomX (downsampled again for the new range), a drag-select zoom
// with mouse events (uPlot's own setScale path), a smoothing change, and 1,000 points appended to
// one run. Times are taken in the page with performance.now() and include rasterising the canvas.
// Also compares aligning the downsampled lines with alignTables against uPlot.join, and times one
// plain pass over 1,000,000 numbers as a yardstick for how busy the machine is.
// Target: redraws under 50 ms. Prints the machine and a table; asserts nothing about time.
import { cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromium } from '../scripts/lib/browser.mjs';
import { pageHtml } from './lib/pageHtml.mjs';

const root = resolve(import.meta.dirname, '..');
const html = await pageHtml(join(root, 'bench', 'lib', 'redrawPage.mjs'));

const browser = await launchChromium();
let result;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.setContent(html);
  // Strings: they run in the page, not here.
  await page.waitForFunction('typeof window.runRedrawBench === "function"');
  result = await page.evaluate('window.runRedrawBench()');
  result.chromium = browser.version();
  if (problems.length > 0) throw new Error(`The bench page failed: ${problems.join('; ')}`);
} finally {
  await browser.close();
}

const ms = (value) => `${value.toFixed(1)} ms`;
const header = ['lines × points', 'plot px', 'first render', 'zoom (zoomX)', 'drag-select zoom', 'smoothing change', 'append 1,000'];
const rows = result.scenarios.map((s) => [
  `${s.runs} × ${s.pointsPerRun.toLocaleString('en-US')}`,
  String(s.plotWidth),
  ms(s.first),
  ms(s.zoom),
  s.dragZoomed ? ms(s.drag) : `${ms(s.drag)} (did not zoom!)`,
  ms(s.smoothing),
  ms(s.append),
]);
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
console.log(`Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}, Chromium ${result.chromium} (headless, software rendering)`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
const { alignment } = result;
console.log(`median of 5; target: redraws under 50 ms. Yardstick: one plain pass over 1,000,000 numbers in the page took ${ms(result.onePass.ms)}.`);
console.log(
  `aligning 4 downsampled runs (${alignment.rows.toLocaleString('en-US')} points, raw + smoothed): alignTables ${ms(alignment.alignTables)}, uPlot.join ${ms(alignment.uPlotJoin)} (median of 21)`,
);
