/**
 * The Training Monitor charts' incremental paths: smoothing continued over
 * appended points (lineSmoother), pyramids extended by appends and the
 * downsampling read from them (linePyramid, downsampleSummarised), and the
 * line cache that decides between continuing and starting over (lineCache).
 * Each must give what computing from scratch gives.
 */
import assert from 'node:assert/strict';
import type { SeriesData } from '../../src/protocol/monitorView';
import { lineCoordinates, type XAxisMode } from '../../webviews/monitor/charts/axes';
import { downsample, downsampleSummarised, type XRange } from '../../webviews/monitor/charts/downsample';
import { LineCache } from '../../webviews/monitor/charts/lineCache';
import { BRANCH, LinePyramid, type RangeSummary } from '../../webviews/monitor/charts/linePyramid';
import { CHECKPOINT_SPACING, LineSmoother, type SmoothedValues } from '../../webviews/monitor/charts/lineSmoother';
import { smoothLine, type Smoothing } from '../../webviews/monitor/charts/smoothing';

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** An ascending line with repeated xs, NaN and infinite values, zeros and negatives, and runs of equal values (ties). */
function awkwardLine(count: number, seed: number): { xs: Float64Array; ys: Float64Array } {
  const next = random(seed);
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  let x = 100;
  for (let i = 0; i < count; i++) {
    const r = next();
    if (r > 0.15) x += r < 0.9 ? 1 : next() * 40;
    xs[i] = x;
    const kind = next();
    if (kind < 0.01) ys[i] = NaN;
    else if (kind < 0.015) ys[i] = Infinity;
    else if (kind < 0.02) ys[i] = -Infinity;
    else if (kind < 0.1 && i > 0) ys[i] = ys[i - 1] as number;
    else if (kind < 0.13) ys[i] = 0;
    else ys[i] = Math.round((Math.sin(i / 50) + next() - 0.3) * 64) / 16;
  }
  return { xs, ys };
}

/** Chunk sizes that cover `count`: single points, small and large chunks, across block boundaries. */
function chunks(count: number, seed: number): number[] {
  const next = random(seed);
  const sizes: number[] = [];
  let total = 0;
  while (total < count) {
    const r = next();
    const size = Math.min(count - total, r < 0.3 ? 1 : r < 0.6 ? Math.ceil(next() * BRANCH) : Math.ceil(next() * 5 * BRANCH * BRANCH));
    sizes.push(size);
    total += size;
  }
  return sizes;
}

function assertSameValues(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what} at ${i}: ${a} should be NaN`);
    else assert.ok(a === e || Math.abs(a - e) <= 1e-12 * Math.abs(e), `${what} at ${i}: ${a} vs ${e}`);
  }
}

/** Every value of a smoothed line, read in order. */
function valuesOf(smoothed: SmoothedValues): Float64Array {
  const out = new Float64Array(smoothed.length);
  smoothed.gather(Uint32Array.from({ length: smoothed.length }, (_, i) => i), out);
  return out;
}

const SMOOTHINGS: Smoothing[] = [
  { kind: 'ema', weight: 0.6 },
  { kind: 'ema', weight: 0.99 },
  { kind: 'average', weight: 0.6 },
  { kind: 'average', weight: 0.97 },
  { kind: 'none', weight: 0.9 },
];

describe('monitor incremental smoothing', () => {
  it('continues the EMA and running average over appended points to what smoothing the whole line gives', () => {
    const { xs, ys } = awkwardLine(20_000, 3);
    const span = (xs[xs.length - 1] as number) - (xs[0] as number);
    for (const smoothing of SMOOTHINGS) {
      const expected = smoothLine(xs, ys, smoothing, span);
      const smoother = new LineSmoother();
      const sizes = chunks(xs.length, 11);
      let length = 0;
      for (const size of sizes) {
        length += size;
        const values = valuesOf(smoother.smooth(xs.subarray(0, length), ys.subarray(0, length), smoothing, span, true));
        assertSameValues(values, expected.subarray(0, length), `${smoothing.kind} ${smoothing.weight} after ${length} points`);
      }
      assert.equal(smoother.counts.full, 1, `${smoothing.kind}: smoothed from the start once`);
      assert.equal(smoother.counts.continued, sizes.length - 1, `${smoothing.kind}: continued over every later chunk`);
      assert.ok(sizes.length > 10);
    }
  });

  it('starts over when the first points had a single x and a larger one arrives (the leading spacing changes)', () => {
    const xs = Float64Array.from([5, 5, 5, 3, 5, 6, 7, 7, 9]);
    const ys = Float64Array.from([1, 2, NaN, 4, 3, 8, 2, 6, 5]);
    for (const smoothing of [SMOOTHINGS[0], SMOOTHINGS[2]] as Smoothing[]) {
      const smoother = new LineSmoother();
      for (let length = 1; length <= xs.length; length++) {
        const values = valuesOf(smoother.smooth(xs.subarray(0, length), ys.subarray(0, length), smoothing, 4, true));
        assertSameValues(values, smoothLine(xs.subarray(0, length), ys.subarray(0, length), smoothing, 4), `${smoothing.kind} at ${length}`);
      }
    }
  });

  it('smooths again when the settings change or the caller cannot vouch for the prefix', () => {
    const { xs, ys } = awkwardLine(5000, 8);
    const smoother = new LineSmoother();
    smoother.smooth(xs, ys, SMOOTHINGS[0] as Smoothing, 5000, false);
    for (const smoothing of SMOOTHINGS) {
      const values = valuesOf(smoother.smooth(xs, ys, smoothing, 5000, true));
      assertSameValues(values, smoothLine(xs, ys, smoothing, 5000), `${smoothing.kind} ${smoothing.weight}`);
    }
    assert.equal(smoother.counts.full, SMOOTHINGS.length, 'every change of settings started over');
    const wider = valuesOf(smoother.smooth(xs, ys, SMOOTHINGS[0] as Smoothing, 6000, true));
    assertSameValues(wider, smoothLine(xs, ys, SMOOTHINGS[0] as Smoothing, 6000), 'a new span');
    const changed = ys.slice();
    changed[10] = 99;
    const anew = valuesOf(smoother.smooth(xs, changed, SMOOTHINGS[0] as Smoothing, 6000, false));
    assertSameValues(anew, smoothLine(xs, changed, SMOOTHINGS[0] as Smoothing, 6000), 'not vouched: from scratch');
    assert.equal(smoother.counts.continued, 0);
  });

  it('reads single values in any order, as the read-out does, and NaN outside the line', () => {
    const { xs, ys } = awkwardLine(3000, 9);
    const next = random(5);
    for (const smoothing of SMOOTHINGS) {
      const expected = smoothLine(xs, ys, smoothing, 2000);
      const smoothed = new LineSmoother().smooth(xs, ys, smoothing, 2000, false);
      const order = [0, CHECKPOINT_SPACING - 1, CHECKPOINT_SPACING, CHECKPOINT_SPACING, 2999, 5, ...Array.from({ length: 300 }, () => Math.floor(next() * 3000))];
      for (const i of order) {
        const value = smoothed.at(i);
        const wanted = expected[i] as number;
        assert.ok(Object.is(value, wanted) || value === wanted, `${smoothing.kind} at ${i}: ${value} vs ${wanted}`);
      }
      assert.ok(Number.isNaN(smoothed.at(-1)) && Number.isNaN(smoothed.at(3000)));
    }
  });
});

/** The first, last, lowest and highest drawable value of ys[from, to), read point by point. */
function bruteSummary(ys: Float64Array, from: number, to: number, positiveOnly: boolean): RangeSummary {
  const result: RangeSummary = { first: -1, last: -1, low: -1, high: -1 };
  for (let i = from; i < to; i++) {
    const y = ys[i] as number;
    if (!Number.isFinite(y) || (positiveOnly && !(y > 0))) continue;
    if (result.first < 0) {
      result.first = result.last = result.low = result.high = i;
      continue;
    }
    result.last = i;
    if (y < (ys[result.low] as number)) result.low = i;
    if (y > (ys[result.high] as number)) result.high = i;
  }
  return result;
}

describe('monitor line pyramid', () => {
  it('answers every range as reading its points does, built at once or by appends', () => {
    const { ys } = awkwardLine(3 * BRANCH * BRANCH + 77, 21);
    for (const positiveOnly of [false, true]) {
      const scratch = new LinePyramid(positiveOnly);
      scratch.build(ys);
      const grown = new LinePyramid(positiveOnly);
      let length = 0;
      for (const size of chunks(ys.length, 5)) {
        length += size;
        grown.extend(ys.subarray(0, length));
      }
      assert.equal(grown.length, ys.length);
      const next = random(99);
      const into: RangeSummary = { first: 0, last: 0, low: 0, high: 0 };
      const ranges: Array<[number, number]> = [
        [0, ys.length],
        [0, 0],
        [BRANCH, BRANCH * BRANCH],
        [BRANCH * BRANCH - 1, 2 * BRANCH * BRANCH + 1],
        [ys.length - 1, ys.length],
      ];
      for (let k = 0; k < 400; k++) {
        const a = Math.floor(next() * ys.length);
        const b = Math.floor(next() * ys.length);
        ranges.push([Math.min(a, b), Math.max(a, b) + 1]);
      }
      for (const [from, to] of ranges) {
        const expected = bruteSummary(ys, from, to, positiveOnly);
        assert.deepEqual({ ...scratch.query(ys, from, to, into) }, expected, `built, [${from}, ${to}) positiveOnly=${positiveOnly}`);
        assert.deepEqual({ ...grown.query(ys, from, to, into) }, expected, `appended, [${from}, ${to}) positiveOnly=${positiveOnly}`);
      }
    }
  });

  it('keeps each kind of non-finite value, in order', () => {
    const ys = Float64Array.from([1, NaN, Infinity, 2, -Infinity, NaN, 3]);
    const pyramid = new LinePyramid(false);
    pyramid.extend(ys.subarray(0, 3));
    pyramid.extend(ys);
    assert.ok(pyramid.hasNonFinite());
    assert.equal(pyramid.firstNonFinite('nan', 0, 7), 1);
    assert.equal(pyramid.firstNonFinite('nan', 2, 7), 5);
    assert.equal(pyramid.firstNonFinite('nan', 2, 5), -1);
    assert.equal(pyramid.firstNonFinite('posInf', 0, 7), 2);
    assert.equal(pyramid.firstNonFinite('negInf', 0, 4), -1);
    pyramid.build(Float64Array.from([1, 2]));
    assert.ok(!pyramid.hasNonFinite(), 'a rebuild forgets them');
    assert.throws(() => pyramid.extend(Float64Array.from([1])), /cannot shrink/);
  });
});

describe('monitor downsampling from a pyramid', () => {
  it('picks exactly the points and markers that reading every point picks', () => {
    const { xs, ys } = awkwardLine(60_000, 4);
    const first = xs[0] as number;
    const last = xs[xs.length - 1] as number;
    const width = last - first;
    const ranges: XRange[] = [
      { min: first, max: last },
      { min: first - width, max: last + width },
      { min: first + width * 0.3, max: first + width * 0.31 },
      { min: first + width * 0.5, max: first + width * 0.9 },
      { min: xs[1000] as number, max: xs[1000] as number },
      { min: last + 1, max: last + 100 },
      { min: first + 0.5, max: last - 0.5 },
    ];
    for (const positiveOnly of [false, true]) {
      const pyramid = new LinePyramid(positiveOnly);
      pyramid.build(ys);
      for (const range of ranges) {
        for (const columns of [1, 7, 390, 1201]) {
          const expected = downsample(xs, ys, range, columns, { positiveOnly });
          const actual = downsampleSummarised(xs, ys, pyramid, range, columns);
          const what = `[${range.min}, ${range.max}] × ${columns} positiveOnly=${positiveOnly}`;
          assert.deepEqual(Array.from(actual.indices), Array.from(expected.indices), what);
          assert.deepEqual(actual.markers, expected.markers, what);
        }
      }
    }
  });

  it('stays exact on a line whose pyramid grew by appends, with the range following the data', () => {
    const { xs, ys } = awkwardLine(40_000, 12);
    const pyramid = new LinePyramid(false);
    let length = 0;
    let checked = 0;
    for (const size of chunks(xs.length, 17)) {
      length += size;
      const x = xs.subarray(0, length);
      const y = ys.subarray(0, length);
      pyramid.extend(y);
      if (length < 2000 && size === 1) continue;
      const range = { min: x[0] as number, max: x[length - 1] as number };
      const expected = downsample(x, y, range, 300);
      const actual = downsampleSummarised(x, y, pyramid, range, 300);
      assert.deepEqual(Array.from(actual.indices), Array.from(expected.indices), `after ${length} points`);
      assert.deepEqual(actual.markers, expected.markers, `after ${length} points`);
      checked++;
    }
    assert.ok(checked > 20, `${checked} states checked`);
  });
});

function seriesOf(runId: string, columns: { steps: Float64Array; values: Float64Array; wallTimes: Float64Array; epochs: Float64Array }): SeriesData {
  return { key: `${runId}\u0000loss`, runId, tag: 'loss', metric: 'loss', ...columns };
}

/** A training log of `count` points as the page's store holds it: views of the first `length` points of growing buffers. */
function growingLog(count: number, seed: number): { view(length: number): SeriesData; columns: Record<'steps' | 'values' | 'wallTimes' | 'epochs', Float64Array> } {
  const { ys } = awkwardLine(count, seed);
  const next = random(seed + 1);
  const columns = {
    steps: Float64Array.from({ length: count }, (_, i) => Math.floor(i / 2)),
    values: ys,
    wallTimes: Float64Array.from({ length: count }, (_, i) => (next() < 0.05 ? NaN : 1.7e9 + i * 0.5)),
    epochs: Float64Array.from({ length: count }, (_, i) => Math.floor(i / 4) / 250),
  };
  const view = (length: number): SeriesData =>
    seriesOf('run', {
      steps: columns.steps.subarray(0, length),
      values: columns.values.subarray(0, length),
      wallTimes: columns.wallTimes.subarray(0, length),
      epochs: columns.epochs.subarray(0, length),
    });
  return { view, columns };
}

describe('monitor line cache on appends', () => {
  const smoothing: Smoothing = { kind: 'ema', weight: 0.9 };

  it('continues coordinates, smoothing and pyramid over appends in every x mode, as a fresh cache computes them', () => {
    const log = growingLog(12_000, 31);
    const modes: Array<[XAxisMode, number]> = [
      ['step', NaN],
      ['epoch', NaN],
      ['wall', NaN],
      ['relative', 1.7e9 - 10],
    ];
    // A first chunk with two distinct xs: after a single x, the EMA's leading spacing is not known yet (tested above).
    const sizes = [100, ...chunks(11_900, 41)];
    assert.ok(sizes.length > 10);
    for (const [mode, origin] of modes) {
      const cache = new LineCache();
      let length = 0;
      for (const size of sizes) {
        length += size;
        const series = log.view(length);
        const coords = cache.coords(series, mode, origin);
        const expected = lineCoordinates(series, mode, origin);
        assertSameValues(coords.x, expected.x, `${mode} x after ${length}`);
        assertSameValues(coords.y, expected.y, `${mode} y after ${length}`);
        assert.equal(coords.nonFinite, expected.nonFinite);
        assert.equal(coords.nonPositive, expected.nonPositive);
        assertSameValues(valuesOf(cache.smoothed(series.key, smoothing, 5000)), smoothLine(expected.x, expected.y, smoothing, 5000), `${mode} smoothed after ${length}`);
        const pyramid = cache.summary(series.key, false);
        const range = { min: expected.x[0] as number, max: expected.x[expected.x.length - 1] as number };
        if (expected.x.length > 0) assert.deepEqual(downsampleSummarised(coords.x, coords.y, pyramid, range, 200), downsample(expected.x, expected.y, range, 200), `${mode} drawn after ${length}`);
      }
      const { computed } = cache;
      assert.equal(computed.coords, 1, `${mode}: read from scratch once`);
      assert.equal(computed.smoothed, 1, `${mode}: smoothed from scratch once`);
      const later = sizes.length - 1;
      assert.deepEqual([computed.coordsExtended, computed.smoothedExtended, computed.summariesExtended], [later, later, later], `${mode}: continued over every later chunk`);
    }
  });

  it('starts over when a series was cut: shorter, or its last old point changed', () => {
    const log = growingLog(3000, 5);
    const cache = new LineCache();
    cache.coords(log.view(2000), 'step', NaN);
    cache.smoothed('run\u0000loss', smoothing, 1000);
    cache.coords(log.view(1500), 'step', NaN);
    assert.equal(cache.computed.coords, 2, 'shorter');

    // A resumed run rewrites its last points (in place, as the store does) and logs on.
    const old = log.view(1500).values[1499] as number;
    log.columns.values[1499] = old + 1;
    const rewritten = log.view(2500);
    const coords = cache.coords(rewritten, 'step', NaN);
    assert.equal(cache.computed.coords, 3, 'the last old point changed');
    assert.equal(coords.y[1499], old + 1);
    const values = valuesOf(cache.smoothed(rewritten.key, smoothing, 1000));
    assertSameValues(values, smoothLine(coords.x, coords.y, smoothing, 1000), 'smoothed anew');
    assert.equal(cache.computed.smoothedExtended, 0);
  });

  it('starts over when the page counted a cut, even if the last old point came back the same', () => {
    const log = growingLog(3000, 9);
    const cache = new LineCache();
    cache.coords(log.view(2000), 'step', NaN);
    // Points 1000.. were cut and written again (a resumed run); the last old point is bit-identical, others are not.
    log.columns.values[1500] = (log.columns.values[1500] as number) + 1;
    const refilled = { ...log.view(2500), cuts: 1 };
    const coords = cache.coords(refilled, 'step', NaN);
    assert.equal(cache.computed.coords, 2, 'read from scratch');
    assert.equal(coords.y[1500], log.columns.values[1500]);
    cache.coords({ ...log.view(2600), cuts: 1 }, 'step', NaN);
    assert.equal(cache.computed.coords, 2, 'the same count: continued');
  });

  it('starts over when new points go back in x, or a view gains points without an x', () => {
    const steps = Float64Array.from([0, 1, 2, 3, 4, 2, 6]);
    const values = Float64Array.from([5, 4, 3, 2, 1, 9, 0.5]);
    const nan = new Float64Array(7).fill(NaN);
    const cut = (length: number, x = steps): SeriesData =>
      seriesOf('run', { steps: x.subarray(0, length), values: values.subarray(0, length), wallTimes: nan.subarray(0, length), epochs: nan.subarray(0, length) });
    const cache = new LineCache();
    cache.coords(cut(5), 'step', NaN);
    const back = cache.coords(cut(7), 'step', NaN);
    assert.equal(cache.computed.coords, 2);
    assert.deepEqual(Array.from(back.x), [0, 1, 2, 2, 3, 4, 6], 'sorted, as from scratch');
    cache.coords(cut(7), 'step', NaN);
    assert.equal(cache.computed.coords, 2, 'the same series again: nothing to do');

    const holes = Float64Array.from([0, 1, 2, 3, 4, NaN, 6]);
    const fresh = new LineCache();
    fresh.coords(cut(5, holes), 'step', NaN);
    const dropped = fresh.coords(cut(7, holes), 'step', NaN);
    assert.equal(fresh.computed.coords, 2, 'the coords were views of the columns; now a point is dropped');
    assert.deepEqual(Array.from(dropped.x), [0, 1, 2, 3, 4, 6]);
  });
});
