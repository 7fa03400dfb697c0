/** webviews/monitor/charts/smoothing.ts: density-independent debiased EMA and running average. */
import assert from 'node:assert/strict';
import { averageWindow, REFERENCE_POINTS, smoothingSpan, smoothLine, timeConstant, type Smoothing } from '../../webviews/monitor/charts/smoothing';

const ema = (weight: number): Smoothing => ({ kind: 'ema', weight });
const average = (weight: number): Smoothing => ({ kind: 'average', weight });

function evenly(count: number, step: number, f: (x: number) => number): { xs: Float64Array; ys: Float64Array } {
  const xs = Float64Array.from({ length: count }, (_, i) => i * step);
  return { xs, ys: xs.map(f) };
}

/** TensorBoard's per-point debiased EMA, as its line chart computes it. */
function perPointEma(ys: Float64Array, weight: number): Float64Array {
  const out = new Float64Array(ys.length);
  let last = 0;
  ys.forEach((value, i) => {
    last = last * weight + (1 - weight) * value;
    out[i] = last / (1 - weight ** (i + 1));
  });
  return out;
}

function maxDifferenceAtSharedX(sparse: { xs: Float64Array; out: Float64Array }, dense: { xs: Float64Array; out: Float64Array }): number {
  const denseIndex = new Map<number, number>();
  dense.xs.forEach((x, i) => denseIndex.set(x, i));
  let worst = 0;
  sparse.xs.forEach((x, i) => {
    const j = denseIndex.get(x);
    assert.ok(j !== undefined, `x=${x} is in both samplings`);
    worst = Math.max(worst, Math.abs((sparse.out[i] as number) - (dense.out[j] as number)));
  });
  return worst;
}

describe('monitor smoothing', () => {
  it('keeps a constant line constant, however irregular the spacing', () => {
    const xs = Float64Array.from([0, 1, 1.5, 7, 7, 30, 31, 200, 201, 1000]);
    const ys = new Float64Array(xs.length).fill(0.4375);
    for (const smoothing of [ema(0.6), ema(0.999), average(0.6), average(0.999)]) {
      const out = smoothLine(xs, ys, smoothing, 1000);
      out.forEach((value) => assert.ok(Math.abs(value - 0.4375) < 1e-12, `${smoothing.kind} ${smoothing.weight}: ${value}`));
    }
  });

  it('starts at the first point (debiased), even with the heaviest weight', () => {
    const { xs, ys } = evenly(50, 1, (x) => 10 + Math.sin(x));
    for (const smoothing of [ema(0.999), average(0.999), ema(0.3)]) {
      assert.equal(smoothLine(xs, ys, smoothing, 49)[0], ys[0]);
    }
  });

  it('equals TensorBoard’s per-point EMA for 1,000 evenly spaced points over the span', () => {
    const { xs, ys } = evenly(REFERENCE_POINTS, 3, (x) => Math.exp(-x / 900) + 0.1 * Math.sin(x));
    for (const weight of [0.3, 0.6, 0.9, 0.99]) {
      const expected = perPointEma(ys, weight);
      const actual = smoothLine(xs, ys, ema(weight), 3 * (REFERENCE_POINTS - 1));
      actual.forEach((value, i) => assert.ok(Math.abs(value - (expected[i] as number)) < 1e-9, `weight ${weight}, point ${i}: ${value} vs ${expected[i]}`));
    }
  });

  it('gives nearly the same curve whether a signal is logged every step or every tenth step', () => {
    const signal = (x: number): number => Math.sin((2 * Math.PI * x) / 5000) + x / 10000;
    const dense = evenly(10001, 1, signal);
    const sparse = evenly(1001, 10, signal);
    const span = 10000;
    for (const smoothing of [ema(0.9), ema(0.99), average(0.9), average(0.99)]) {
      const worst = maxDifferenceAtSharedX(
        { xs: sparse.xs, out: smoothLine(sparse.xs, sparse.ys, smoothing, span) },
        { xs: dense.xs, out: smoothLine(dense.xs, dense.ys, smoothing, span) },
      );
      assert.ok(worst < 0.01, `${smoothing.kind} ${smoothing.weight}: sparse and dense differ by ${worst}`);
      // The smoothing does something (the same comparison against the raw signal fails).
      const lag = maxDifferenceAtSharedX({ xs: sparse.xs, out: sparse.ys }, { xs: dense.xs, out: smoothLine(dense.xs, dense.ys, smoothing, span) });
      assert.ok(lag > 0.05, `${smoothing.kind} ${smoothing.weight} smooths (raw differs by ${lag})`);
    }
    // A per-point EMA, by contrast, smooths the dense line ten times less.
    const perPoint = maxDifferenceAtSharedX({ xs: sparse.xs, out: perPointEma(sparse.ys, 0.99) }, { xs: dense.xs, out: perPointEma(dense.ys, 0.99) });
    assert.ok(perPoint > 0.1, `per-point EMA depends on density (${perPoint})`);
  });

  it('returns the values unchanged for weight 0 or kind none', () => {
    const xs = Float64Array.from([0, 1, 2, 4, 8]);
    const ys = Float64Array.from([3, -1, 4, 1, 5]);
    assert.deepEqual(smoothLine(xs, ys, ema(0), 8), ys);
    assert.deepEqual(smoothLine(xs, ys, average(0), 8), ys);
    assert.deepEqual(smoothLine(xs, ys, { kind: 'none', weight: 0.9 }, 8), ys);
    assert.equal(timeConstant(0, 8), 0);
    assert.equal(averageWindow(0, 8), 0);
  });

  it('skips NaN and infinite values: NaN out, and the rest as if they were never logged', () => {
    const xs = Float64Array.from([0, 1, 2, 3, 4, 5, 6]);
    const ys = Float64Array.from([1, 2, NaN, 4, Infinity, 6, -Infinity]);
    const keep = [0, 1, 3, 5];
    const cleanXs = Float64Array.from(keep, (i) => xs[i] as number);
    const cleanYs = Float64Array.from(keep, (i) => ys[i] as number);
    for (const smoothing of [ema(0.95), average(0.95)]) {
      const out = smoothLine(xs, ys, smoothing, 6);
      const clean = smoothLine(cleanXs, cleanYs, smoothing, 6);
      assert.ok(Number.isNaN(out[2]) && Number.isNaN(out[4]) && Number.isNaN(out[6]), `${smoothing.kind}: NaN where the value is not finite`);
      keep.forEach((i, j) => assert.equal(out[i], clean[j], `${smoothing.kind} at ${i}`));
    }
  });

  it('counts points logged at the same x once, with their mean', () => {
    // Every point logged twice (Δx = 0 between the copies) gives the same curve as once.
    const once = evenly(200, 1, (x) => Math.cos(x / 7));
    const twiceXs = Float64Array.from({ length: 400 }, (_, i) => Math.floor(i / 2));
    const twiceYs = twiceXs.map((x) => Math.cos(x / 7));
    for (const smoothing of [ema(0.9), average(0.9)]) {
      const a = smoothLine(once.xs, once.ys, smoothing, 199);
      const b = smoothLine(twiceXs, twiceYs, smoothing, 199);
      a.forEach((value, i) => assert.ok(Math.abs(value - (b[2 * i + 1] as number)) < 1e-12, `${smoothing.kind} at x=${i}`));
    }
    // Two different values at one x: that x contributes their mean.
    const xs = Float64Array.from([0, 1, 1, 2]);
    const ys = Float64Array.from([1, 2, 4, 3]);
    const grouped = smoothLine(xs, ys, ema(0.8), 2);
    const meaned = smoothLine(Float64Array.from([0, 1, 2]), Float64Array.from([1, 3, 3]), ema(0.8), 2);
    assert.ok(Math.abs((grouped[2] as number) - (meaned[1] as number)) < 1e-12);
    assert.ok(Math.abs((grouped[3] as number) - (meaned[2] as number)) < 1e-12);
    grouped.forEach((value) => assert.ok(Number.isFinite(value)));
  });

  it('averages exactly the points in the trailing x-window', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const xs = new Float64Array(500);
    for (let i = 1; i < xs.length; i++) xs[i] = (xs[i - 1] as number) + (random() < 0.2 ? 0 : random() * 5);
    const ys = xs.map(() => (random() < 0.05 ? NaN : random() * 10));
    const span = (xs[xs.length - 1] as number) - (xs[0] as number);
    const weight = 0.97;
    const window = averageWindow(weight, span);
    const out = smoothLine(xs, ys, average(weight), span);
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(ys[i])) continue;
      let sum = 0;
      let count = 0;
      for (let j = 0; j <= i; j++) {
        if (Number.isFinite(ys[j]) && (xs[j] as number) >= (xs[i] as number) - window) {
          sum += ys[j] as number;
          count++;
        }
      }
      assert.ok(Math.abs((out[i] as number) - sum / count) < 1e-9, `point ${i}`);
    }
  });

  it('keeps the smoothing span on a ladder 9% apart, so a growing run rarely changes it', () => {
    const spans = [1000, 1001, 1010, 1020, 1030].map(smoothingSpan);
    assert.equal(new Set(spans.slice(0, 4)).size, 1, 'small growth keeps the span');
    assert.ok((spans[0] as number) >= 1000 && (spans[0] as number) < 1000 * 2 ** (1 / 8) + 1e-9, `${spans[0]}`);
    assert.ok((spans[4] as number) > (spans[0] as number), 'it moves on past a rung');
    assert.equal(smoothingSpan(1024), 1024, 'a rung maps to itself');
    assert.equal(smoothingSpan(0), 0);
    assert.equal(smoothingSpan(NaN), 0);
  });

  it('survives x going backwards and degenerate spans', () => {
    const xs = Float64Array.from([0, 5, 3, 3, 9, NaN, 10]);
    const ys = Float64Array.from([1, 2, 3, 4, 5, 6, 7]);
    for (const smoothing of [ema(0.9), average(0.9)]) {
      const out = smoothLine(xs, ys, smoothing, 10);
      [0, 1, 2, 3, 4, 6].forEach((i) => assert.ok(Number.isFinite(out[i]), `${smoothing.kind} at ${i}`));
      assert.ok(Number.isNaN(out[5]));
      // All points at one x (a zero span): one group, so the running mean of its values.
      const flat = smoothLine(Float64Array.from([4, 4, 4]), Float64Array.from([1, 2, 6]), smoothing, 0);
      assert.deepEqual(Array.from(flat), [1, 1.5, 3]);
    }
  });
});
