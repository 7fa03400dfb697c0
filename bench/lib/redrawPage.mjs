// The page bench/monitorRedraw.mjs loads in headless Chromium: the Training Monitor's charts
// (webviews/monitor/charts) on generated loss curves, timed in the page with performance.now().
// Each timing runs the action, waits for the tasks it queued (uPlot commits in a microtask) and
// reads one pixel of every canvas, which makes the browser rasterise what was drawn.
/* global document, window, MessageChannel, MouseEvent */
import uPlot from 'uplot';
import { alignTables } from '../../webviews/monitor/charts/align';
import { createChartsView } from '../../webviews/monitor/charts/chartsView';
import { downsample } from '../../webviews/monitor/charts/downsample';

const ROUNDS = 5;

/** A noisy, decaying loss curve of `count` steps (deterministic). */
function lossSeries(runId, count, seed) {
  let state = seed;
  const steps = new Float64Array(count);
  const values = new Float64Array(count);
  const wallTimes = new Float64Array(count);
  const epochs = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    steps[i] = i;
    values[i] = 2.3 * Math.exp(-i / (count / 5)) + 0.05 + (state / 2 ** 31 - 0.5) * 0.2;
    wallTimes[i] = 1.7e9 + i * 0.05;
    epochs[i] = Math.floor(i / 10_000);
  }
  return { key: `${runId}\u0000train/loss`, runId, tag: 'train/loss', metric: 'loss', split: 'train', steps, values, wallTimes, epochs };
}

/** The series with `extra` more steps, in new arrays (as the page's store hands them over). */
function withAppended(series, extra) {
  const count = series.steps.length + extra;
  const grow = (array, fill) => {
    const next = new Float64Array(count);
    next.set(array);
    for (let i = array.length; i < count; i++) next[i] = fill(i);
    return next;
  };
  return {
    ...series,
    steps: grow(series.steps, (i) => i),
    values: grow(series.values, (i) => 0.05 + 0.1 * Math.sin(i)),
    wallTimes: grow(series.wallTimes, (i) => 1.7e9 + i * 0.05),
    epochs: grow(series.epochs, (i) => Math.floor(i / 10_000)),
  };
}

const settle = () =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });

function rasterise(container) {
  for (const canvas of container.querySelectorAll('canvas')) canvas.getContext('2d')?.getImageData(0, 0, 1, 1);
}

async function timed(container, action) {
  const started = performance.now();
  action();
  await settle();
  rasterise(container);
  return performance.now() - started;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function baseInput(runCount, pointsPerRun) {
  const colours = ['#4e9af1', '#f1a34e', '#5ec26a', '#d9534f'];
  const runs = Array.from({ length: runCount }, (_, i) => ({ id: `run${i}`, name: `runs/run${i}`, colour: colours[i % colours.length], visible: true, started: 1.7e9 }));
  const series = runs.map((run, i) => lossSeries(run.id, pointsPerRun, 17 + i));
  return { runs, series, settings: { smoothing: { kind: 'ema', weight: 0.6 }, xAxis: 'step', logScale: false, ignoreOutliers: false, filter: '' } };
}

/** Drags across the middle fifth of the plot as a user selecting a range would. */
function dragSelect(container) {
  const over = container.querySelector('.u-over');
  const rect = over.getBoundingClientRect();
  const y = rect.top + rect.height / 2;
  let lastX = 0;
  const fire = (target, type, x) => {
    target.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, clientX: x, clientY: y, movementX: x - lastX, button: 0, buttons: type === 'mouseup' ? 0 : 1, view: window }));
    lastX = x;
  };
  fire(over, 'mousedown', rect.left + rect.width * 0.4);
  fire(over, 'mousemove', rect.left + rect.width * 0.5);
  fire(over, 'mousemove', rect.left + rect.width * 0.6);
  fire(document, 'mouseup', rect.left + rect.width * 0.6);
}

async function scenario(runCount, pointsPerRun) {
  const container = document.getElementById('root');
  const input = baseInput(runCount, pointsPerRun);
  const last = pointsPerRun - 1;
  const times = { first: [], zoom: [], drag: [], smoothing: [], append: [] };

  let view;
  for (let round = 0; round < ROUNDS; round++) {
    view?.destroy();
    times.first.push(
      await timed(container, () => {
        view = createChartsView(container);
        view.update(input);
      }),
    );
  }
  const chart = container.querySelector('[data-testid="chart"]');
  const plotWidth = chart.querySelector('.u-over').clientWidth;

  for (let round = 0; round < ROUNDS; round++) {
    const from = last * (0.1 + round * 0.1);
    times.zoom.push(await timed(container, () => view.zoomX({ min: from, max: from + last * 0.1 })));
    await timed(container, () => view.zoomX(undefined));
  }

  const resetButton = chart.querySelector('[data-testid="chart-reset-zoom"]');
  let dragZoomed = true;
  for (let round = 0; round < ROUNDS; round++) {
    times.drag.push(await timed(container, () => dragSelect(container)));
    dragZoomed &&= !resetButton.hidden;
    await timed(container, () => view.zoomX(undefined));
  }

  for (let round = 0; round < ROUNDS; round++) {
    const smoothing = round % 2 === 0 ? { kind: 'ema', weight: 0.9 } : { kind: 'average', weight: 0.6 };
    times.smoothing.push(await timed(container, () => view.update({ ...input, settings: { ...input.settings, smoothing } })));
  }
  await timed(container, () => view.update(input));

  let current = input;
  for (let round = 0; round < ROUNDS; round++) {
    // The store's copy is not the chart's work: made before the clock starts. One run is training.
    const next = { ...current, series: [withAppended(current.series[0], 1000), ...current.series.slice(1)] };
    times.append.push(await timed(container, () => view.update(next)));
    current = next;
  }
  const points = Number(chart.getAttribute('data-points'));
  const canvases = container.querySelectorAll('canvas').length;
  view.destroy();
  return { runs: runCount, pointsPerRun, plotWidth, points, canvases, dragZoomed, ...Object.fromEntries(Object.entries(times).map(([name, list]) => [name, median(list)])) };
}

/** Aligning the downsampled lines: alignTables (k-way merge) against uPlot.join, median of 21. */
function alignmentCost(runCount, pointsPerRun, columns) {
  const input = baseInput(runCount, pointsPerRun);
  const range = { min: 0, max: pointsPerRun - 1 };
  const tables = input.series.map((series, i) => {
    const { indices } = downsample(series.steps, series.values, range, columns);
    // Offset each run's xs a little so they do not coincide, as real runs' steps do not.
    const x = Float64Array.from(indices, (index) => (series.steps[index] ?? 0) + i * 0.25);
    const raw = Float64Array.from(indices, (index) => series.values[index] ?? 0);
    return { x, columns: [raw, raw] };
  });
  const ours = [];
  const theirs = [];
  for (let round = 0; round < 21; round++) {
    let started = performance.now();
    alignTables(tables);
    ours.push(performance.now() - started);
    started = performance.now();
    uPlot.join(tables.map((table) => [table.x, ...table.columns]));
    theirs.push(performance.now() - started);
  }
  return { rows: tables.reduce((sum, table) => sum + table.x.length, 0), alignTables: median(ours), uPlotJoin: median(theirs) };
}

/** What one plain pass over 1,000,000 numbers costs on this machine now (fill a new array, then sum it), median of 5: a yardstick for the rest. */
function onePass() {
  const times = [];
  let checksum = 0; // returned, so the sums are not optimised away
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    const values = new Float64Array(1_000_000);
    for (let i = 0; i < values.length; i++) values[i] = i * 0.5;
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i];
    checksum += sum;
    times.push(performance.now() - started);
  }
  return { ms: median(times), checksum };
}

window.runRedrawBench = async () => ({
  onePass: onePass(),
  scenarios: [await scenario(1, 1_000_000), await scenario(4, 250_000)],
  alignment: alignmentCost(4, 250_000, 450),
});
