/**
 * The Training Monitor charts' logic without a DOM: which charts and lines
 * (chartModel), x-axis modes (axes), the per-series cache (lineCache), zoom
 * and pan (zoom), ignore-outliers ranges (outliers) and tick/read-out text (format).
 */
import assert from 'node:assert/strict';
import type { SeriesData } from '../../src/protocol/monitorView';
import { lineCoordinates, runOrigin, xExtent } from '../../webviews/monitor/charts/axes';
import { compareMetrics, metricMatcher, planCharts, SPLIT_DASH, splitKind, type ChartRun } from '../../webviews/monitor/charts/chartModel';
import { formatCompact, formatDuration, formatLogTick, formatTick, formatValue, formatX } from '../../webviews/monitor/charts/format';
import { LineCache } from '../../webviews/monitor/charts/lineCache';
import { quantileSorted, robustRange, strideSample } from '../../webviews/monitor/charts/outliers';
import { clampRange, coversFull, drawableRange, keepZoom, panBy, zoomAround } from '../../webviews/monitor/charts/zoom';

interface SeriesSpec {
  runId: string;
  metric: string;
  split?: string;
  steps: number[];
  values?: number[];
  wallTimes?: number[];
  epochs?: number[];
}

function series(spec: SeriesSpec): SeriesData {
  const n = spec.steps.length;
  const tag = spec.split ? `${spec.split}/${spec.metric}` : spec.metric;
  return {
    key: `${spec.runId}\u0000${tag}`,
    runId: spec.runId,
    tag,
    metric: spec.metric,
    split: spec.split,
    steps: Float64Array.from(spec.steps),
    values: Float64Array.from(spec.values ?? spec.steps.map((step) => 1 / (step + 1))),
    wallTimes: Float64Array.from(spec.wallTimes ?? new Array<number>(n).fill(NaN)),
    epochs: Float64Array.from(spec.epochs ?? new Array<number>(n).fill(NaN)),
  };
}

function appended(base: SeriesData, steps: number[], values: number[]): SeriesData {
  const grow = (array: Float64Array, extra: number[]): Float64Array => {
    const next = new Float64Array(array.length + extra.length);
    next.set(array);
    next.set(extra, array.length);
    return next;
  };
  const nan = steps.map(() => NaN);
  return { ...base, steps: grow(base.steps, steps), values: grow(base.values, values), wallTimes: grow(base.wallTimes, nan), epochs: grow(base.epochs, nan) };
}

const runs: ChartRun[] = [
  { id: 'b', name: 'runs/b', colour: '#f00', visible: true },
  { id: 'a', name: 'runs/a', colour: '#0f0', visible: true },
  { id: 'hidden', name: 'runs/hidden', colour: '#00f', visible: false },
];

describe('monitor chart plan', () => {
  it('draws one chart per metric, loss-like first, runs in list order and splits train, val, test', () => {
    const plan = planCharts(
      runs,
      [
        series({ runId: 'a', metric: 'accuracy', split: 'val', steps: [1, 2] }),
        series({ runId: 'a', metric: 'loss', split: 'val', steps: [1, 2] }),
        series({ runId: 'a', metric: 'loss', split: 'train', steps: [1, 2, 3] }),
        series({ runId: 'b', metric: 'loss', split: 'test', steps: [1] }),
        series({ runId: 'hidden', metric: 'loss', split: 'train', steps: [1, 2, 3, 4] }),
        series({ runId: 'hidden', metric: 'grad_norm', steps: [1] }),
        series({ runId: 'a', metric: 'lr', steps: [1, 2, 3] }),
        series({ runId: 'a', metric: 'val_loss', steps: [1] }),
      ],
      '',
    );
    assert.deepEqual(
      plan.charts.map((chart) => chart.metric),
      ['loss', 'val_loss', 'accuracy', 'lr'],
    );
    const loss = plan.charts[0];
    assert.ok(loss);
    assert.deepEqual(
      loss.lines.map((line) => line.label),
      ['runs/b · test', 'runs/a · train', 'runs/a · val'],
    );
    assert.deepEqual(
      loss.lines.map((line) => line.dash),
      [SPLIT_DASH.test, SPLIT_DASH.train, SPLIT_DASH.val],
    );
    assert.equal(loss.points, 1 + 3 + 2, 'hidden runs do not count');
    assert.equal(plan.visibleSeries, 6);
  });

  it('styles splits: train or none solid, validation dashed, test dotted', () => {
    assert.equal(splitKind(undefined), 'train');
    assert.equal(splitKind('Validation'), 'val');
    assert.equal(splitKind('eval'), 'val');
    assert.equal(splitKind('test'), 'test');
    assert.equal(splitKind('holdout'), 'other');
    assert.deepEqual(SPLIT_DASH.train, []);
    assert.ok(SPLIT_DASH.val.length > 0 && SPLIT_DASH.test.length > 0);
  });

  it('filters metrics by case-insensitive substring or regular expression', () => {
    assert.ok(metricMatcher('')('anything'));
    assert.ok(metricMatcher('  ')('anything'));
    assert.ok(metricMatcher('LOSS')('val_loss'));
    assert.ok(!metricMatcher('loss')('accuracy'));
    assert.ok(metricMatcher('^acc|lr$')('accuracy'));
    assert.ok(metricMatcher('^acc|lr$')('lr'));
    assert.ok(!metricMatcher('^acc|lr$')('top1_accuracy'));
    // Not a valid regular expression: plain text.
    assert.ok(metricMatcher('acc(')('acc(top1)'));
    assert.ok(!metricMatcher('acc(')('accuracy'));

    const plan = planCharts(runs, [series({ runId: 'a', metric: 'loss', steps: [1] }), series({ runId: 'a', metric: 'accuracy', steps: [1] })], 'acc');
    assert.deepEqual(
      plan.charts.map((chart) => chart.metric),
      ['accuracy'],
    );
    assert.equal(plan.filteredOut, 1);
  });

  it('orders metric names naturally', () => {
    assert.deepEqual(['layer10/loss', 'acc', 'layer2/loss', 'Loss'].sort(compareMetrics), ['layer2/loss', 'layer10/loss', 'Loss', 'acc']);
  });

  it('draws series of runs it was not told about under their id', () => {
    const plan = planCharts([], [series({ runId: 'new-run', metric: 'loss', steps: [1] })], '');
    assert.equal(plan.charts[0]?.lines[0]?.label, 'new-run');
    assert.equal(plan.charts[0]?.lines[0]?.run.colour, '');
  });
});

describe('monitor x-axis modes', () => {
  const logged = series({
    runId: 'a',
    metric: 'loss',
    steps: [0, 10, 20, 30],
    values: [4, NaN, 0, 1],
    wallTimes: [1000, 1010, NaN, 1090],
    epochs: [NaN, 1, 1, 2],
  });

  it('uses steps as they are, without copying', () => {
    const coords = lineCoordinates(logged, 'step');
    assert.equal(coords.x, logged.steps);
    assert.equal(coords.y, logged.values);
    assert.equal(coords.nonFinite, 1);
    assert.equal(coords.nonPositive, 1);
  });

  it('drops the points a mode has no x for', () => {
    const epochs = lineCoordinates(logged, 'epoch');
    assert.deepEqual(Array.from(epochs.x), [1, 1, 2]);
    assert.deepEqual(Array.from(epochs.y), [NaN, 0, 1]);
    const wall = lineCoordinates(logged, 'wall');
    assert.deepEqual(Array.from(wall.x), [1000, 1010, 1090]);
    assert.deepEqual(Array.from(wall.y), [4, NaN, 1]);
  });

  it('measures relative time from the run’s start', () => {
    const relative = lineCoordinates(logged, 'relative', 990);
    assert.deepEqual(Array.from(relative.x), [10, 20, 100]);
    assert.equal(runOrigin([logged], 900), 900, 'the run’s start when known');
    const later = series({ runId: 'a', metric: 'acc', steps: [5], wallTimes: [995] });
    assert.equal(runOrigin([logged, later]), 995, 'else the earliest first wall time');
    assert.ok(Number.isNaN(runOrigin([series({ runId: 'a', metric: 'x', steps: [1] })])));
  });

  it('sorts out-of-order points by x, keeping the logged order of equal xs', () => {
    const shuffled = series({ runId: 'a', metric: 'loss', steps: [3, 1, 2, 1], values: [30, 10, 20, 11] });
    const coords = lineCoordinates(shuffled, 'step');
    assert.deepEqual(Array.from(coords.x), [1, 1, 2, 3]);
    assert.deepEqual(Array.from(coords.y), [10, 11, 20, 30]);
    assert.deepEqual(Array.from(shuffled.steps), [3, 1, 2, 1], 'the series is untouched');
  });

  it('spans the lines’ x-range', () => {
    assert.deepEqual(xExtent([lineCoordinates(logged, 'step'), lineCoordinates(series({ runId: 'b', metric: 'loss', steps: [-5, 7] }), 'step')]), { min: -5, max: 30 });
    assert.equal(xExtent([]), undefined);
  });
});

describe('monitor line cache', () => {
  it('recomputes only the series that changed when points are appended', () => {
    const cache = new LineCache();
    const first = series({ runId: 'a', metric: 'loss', steps: [0, 1, 2], values: [3, 2, 1] });
    const second = series({ runId: 'b', metric: 'loss', steps: [0, 1, 2], values: [5, 4, 3] });
    const smoothing = { kind: 'ema' as const, weight: 0.6 };
    const pass = (a: SeriesData, b: SeriesData, span: number): void => {
      for (const item of [a, b]) {
        cache.coords(item, 'step', NaN);
        cache.smoothed(item.key, smoothing, span);
      }
    };
    const counts = (): number[] => [cache.computed.coords, cache.computed.coordsExtended, cache.computed.smoothed, cache.computed.smoothedExtended];
    pass(first, second, 2);
    assert.deepEqual(counts(), [2, 0, 2, 0]);
    pass(first, second, 2);
    assert.deepEqual(counts(), [2, 0, 2, 0], 'nothing changed: nothing recomputed');

    const grown = appended(first, [3, 4], [0.5, 0.25]);
    pass(grown, second, 2);
    assert.deepEqual(counts(), [2, 1, 2, 1], 'only the appended series, continued over its new points');
    assert.deepEqual(Array.from(cache.coords(grown, 'step', NaN).x), [0, 1, 2, 3, 4]);

    cache.smoothed(second.key, { kind: 'ema', weight: 0.9 }, 2);
    assert.deepEqual(counts(), [2, 1, 3, 1], 'a new weight re-smooths without re-reading');
    cache.coords(second, 'epoch', NaN);
    assert.equal(cache.computed.coords, 3, 'a new x mode re-reads');
  });

  it('notices a series cut and refilled to the same length (new arrays)', () => {
    const cache = new LineCache();
    const before = series({ runId: 'a', metric: 'loss', steps: [0, 1, 2], values: [3, 2, 1] });
    cache.coords(before, 'step', NaN);
    const after = series({ runId: 'a', metric: 'loss', steps: [0, 1, 2], values: [9, 9, 9] });
    assert.deepEqual(Array.from(cache.coords(after, 'step', NaN).y), [9, 9, 9]);
  });

  it('forgets series that are gone', () => {
    const cache = new LineCache();
    const item = series({ runId: 'a', metric: 'loss', steps: [0] });
    cache.coords(item, 'step', NaN);
    cache.retain(new Set());
    assert.throws(() => cache.smoothed(item.key, { kind: 'ema', weight: 0.5 }, 1), /No coordinates/);
  });
});

describe('monitor zoom and pan', () => {
  const full = { min: 0, max: 1000 };

  it('zooms around the pointer, keeping the x under it in place', () => {
    const zoomed = zoomAround(full, 250, 0.5, full);
    assert.ok(zoomed);
    assert.equal(zoomed.max - zoomed.min, 500);
    assert.equal((250 - zoomed.min) / (zoomed.max - zoomed.min), 0.25, 'the anchor stays at a quarter of the width');
  });

  it('returns to the full range (undefined: follow the data) when zoomed out far enough', () => {
    const zoomed = { min: 400, max: 600 };
    assert.equal(zoomAround(zoomed, 500, 10, full), undefined);
    const out = zoomAround(zoomed, 450, 2, full);
    assert.deepEqual(out, { min: 350, max: 750 });
    assert.deepEqual(zoomAround({ min: 0, max: 200 }, 0, 2, full), { min: 0, max: 400 }, 'kept inside the data');
  });

  it('pans within the data', () => {
    assert.deepEqual(panBy({ min: 100, max: 200 }, 50, full), { min: 150, max: 250 });
    assert.deepEqual(panBy({ min: 100, max: 200 }, -500, full), { min: 0, max: 100 });
    assert.deepEqual(panBy({ min: 800, max: 950 }, 500, full), { min: 850, max: 1000 });
  });

  it('keeps a zoom across appends and follows the data at the full range', () => {
    assert.equal(keepZoom(undefined, { min: 0, max: 2000 }), undefined, 'the full view follows');
    assert.deepEqual(keepZoom({ min: 100, max: 200 }, { min: 0, max: 2000 }), { min: 100, max: 200 }, 'a zoom stays');
    assert.equal(keepZoom({ min: 1500, max: 1800 }, { min: 0, max: 100 }), undefined, 'data restarted below the zoom: dropped');
    assert.deepEqual(keepZoom({ min: 50, max: 300 }, { min: 0, max: 200 }), { min: 50, max: 200 }, 'clipped to the data');
  });

  it('clamps ranges and gives one point room', () => {
    assert.equal(clampRange({ min: -10, max: 2000 }, full), undefined);
    assert.deepEqual(clampRange({ min: -10, max: 90 }, full), { min: 0, max: 100 });
    assert.ok(coversFull({ min: 0, max: 1000 }, full));
    assert.ok(!coversFull({ min: 1, max: 1000 }, full));
    const single = drawableRange({ min: 5, max: 5 });
    assert.ok(single.min < 5 && single.max > 5);
    assert.deepEqual(drawableRange({ min: 0, max: 0 }), { min: -1, max: 1 });
  });
});

describe('monitor ignore-outliers range', () => {
  it('interpolates quantiles like d3.quantile', () => {
    const values = Float64Array.from({ length: 101 }, (_, i) => i);
    assert.equal(quantileSorted(values, 0.05), 5);
    assert.equal(quantileSorted(values, 0.95), 95);
    assert.equal(quantileSorted(Float64Array.from([1, 2]), 0.5), 1.5);
    assert.ok(Number.isNaN(quantileSorted(new Float64Array(0), 0.5)));
  });

  it('ignores a spike that min/max would stretch the axis for', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1 + Math.sin(i) * 0.1);
    values[500] = 1e6;
    values[501] = -1e6;
    const range = robustRange(values, false);
    assert.ok(range);
    assert.ok(range.min > 0.8 && range.min < 0.95, `min ${range.min}`);
    assert.ok(range.max > 1.05 && range.max < 1.2, `max ${range.max}`);
    assert.equal(robustRange([], false), undefined);
    const flat = robustRange([3, 3, 3], false);
    assert.ok(flat && flat.min < 3 && flat.max > 3, 'a flat line gets room');
  });

  it('works in log space on a log scale, ignoring values it cannot draw', () => {
    const values = Array.from({ length: 100 }, (_, i) => 10 ** (i / 33)); // 1 … 1000
    values.push(0, -4);
    const range = robustRange(values, true);
    assert.ok(range);
    assert.ok(range.min > 0.5 && range.min < 2, `min ${range.min}`);
    assert.ok(range.max > 500 && range.max < 2000, `max ${range.max}`);
  });

  it('samples evenly within a limit', () => {
    const values = Float64Array.from({ length: 100_000 }, (_, i) => (i === 7 ? NaN : i));
    const sample: number[] = [];
    strideSample(values, 0, values.length, 1000, false, sample);
    assert.ok(sample.length <= 1000 && sample.length >= 999);
    assert.equal(sample[0], 0);
    const positive: number[] = [];
    strideSample(Float64Array.from([-1, 0, 2, 3]), 0, 4, 10, true, positive);
    assert.deepEqual(positive, [2, 3]);
  });
});

describe('monitor chart text', () => {
  it('writes relative time as 45s, 1m 30s, 2h', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(2.5), '2.5s');
    assert.equal(formatDuration(45), '45s');
    assert.equal(formatDuration(59.6), '1m');
    assert.equal(formatDuration(90), '1m 30s');
    assert.equal(formatDuration(7200), '2h');
    assert.equal(formatDuration(3900), '1h 5m');
    assert.equal(formatDuration(86400 + 4 * 3600 + 30), '1d 4h');
    assert.equal(formatDuration(-90), '-1m 30s');
  });

  it('writes step ticks compactly', () => {
    assert.equal(formatCompact(950), '950');
    assert.equal(formatCompact(2500), '2.5k');
    assert.equal(formatCompact(250_000), '250k');
    assert.equal(formatCompact(1_000_000), '1M');
    assert.equal(formatCompact(1_250_000), '1.25M');
  });

  it('writes y ticks with the decimals their spacing needs', () => {
    assert.deepEqual(
      [0.0002, 0.0004, 0.0006].map((value) => formatTick(value, 0.0002)),
      ['0.0002', '0.0004', '0.0006'],
    );
    assert.equal(formatTick(1.5, 0.5), '1.5');
    assert.equal(formatTick(2, 1), '2');
    assert.equal(formatTick(40, 10), '40');
    assert.equal(formatTick(1_200_000, 200_000), '1.2M');
    assert.equal(formatTick(5e-6, 1e-6), '5e-6');
    assert.equal(formatTick(1.5e-5, 5e-6), '1.5e-5');
    assert.equal(formatTick(2.7755575615628914e-17, 0.1), '0', 'rounding noise at zero');
    assert.deepEqual([0.001, 0.002, 5, 20_000, 1e-6].map(formatLogTick), ['0.001', '0.002', '5', '20k', '1e-6']);
  });

  it('writes values and x for the read-out', () => {
    assert.equal(formatValue(0.123456789), '0.12346');
    assert.equal(formatValue(1234.5678), '1234.6');
    assert.equal(formatValue(0.00001234), '1.234e-5');
    assert.equal(formatValue(NaN), 'NaN');
    assert.equal(formatValue(Infinity), '+Inf');
    assert.equal(formatValue(-Infinity), '-Inf');
    assert.equal(formatValue(0), '0');
    assert.equal(formatX(1234567, 'step'), '1,234,567');
    assert.equal(formatX(2.5, 'epoch'), '2.5');
    assert.equal(formatX(90, 'relative'), '1m 30s');
    assert.match(formatX(1.7e9, 'wall'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});
