// The page side of bench/monitorLatency.mjs: the Training Monitor's own series store and charts.
// `window.deliver(message)` does what the page does with the host's snapshot and append
// messages, draws, and resolves with the points the loss chart shows once the tasks the draw
// queued have run.
/* global document, window, setTimeout */
import { createChartsView } from '../../webviews/monitor/charts/chartsView';
import { SeriesStore } from '../../webviews/monitor/seriesStore';

const store = new SeriesStore();
const charts = createChartsView(document.getElementById('root'));
const settings = { smoothing: { kind: 'ema', weight: 0.6 }, xAxis: 'step', logScale: false, ignoreOutliers: false, filter: '' };
let runs = [];

/** Typed arrays arrive as plain arrays through the bench's bridge; the host posts Float64Arrays. */
function columns(series) {
  return { ...series, steps: Float64Array.from(series.steps), values: Float64Array.from(series.values), wallTimes: Float64Array.from(series.wallTimes), epochs: Float64Array.from(series.epochs) };
}

window.deliver = async (message) => {
  if (message.type === 'snapshot') {
    runs = message.runs;
    store.applySnapshot(message.series.map(columns));
  } else {
    store.applyAppend(message.series.map(columns));
  }
  charts.update({ runs, series: store.all(), settings });
  await new Promise((done) => setTimeout(done, 0));
  const chart = document.querySelector('[data-testid="chart"][data-metric="loss"]');
  return Number(chart?.getAttribute('data-points') ?? 0);
};
