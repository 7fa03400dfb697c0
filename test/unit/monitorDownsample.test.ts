/** webviews/monitor/charts/downsample.ts and align.ts: what a chart draws of a long line, and lines on one x column. */
import assert from 'node:assert/strict';
import { alignTables } from '../../webviews/monitor/charts/align';
import { downsample, nearestIndex, POINTS_PER_COLUMN, visibleSlice } from '../../webviews/monitor/charts/downsample';

function noisyLine(count: number): { xs: Float64Array; ys: Float64Array } {
  let seed = 42;
  const xs = Float64Array.from({ length: count }, (_, i) => i);
  const ys = xs.map((x) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.exp(-x / count) + (seed / 2 ** 31 - 0.5) * 0.2;
  });
  return { xs, ys };
}

/** Per pixel column: [min, max] of the finite values in it. */
function columnExtremes(xs: ArrayLike<number>, ys: ArrayLike<number>, indices: ArrayLike<number>, min: number, max: number, columns: number): Map<number, [number, number]> {
  const result = new Map<number, [number, number]>();
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    const x = xs[i] as number;
    const y = ys[i] as number;
    if (x < min || x > max || !Number.isFinite(y)) continue;
    const column = Math.min(columns - 1, Math.floor(((x - min) / (max - min)) * columns));
    const seen = result.get(column);
    result.set(column, seen ? [Math.min(seen[0], y), Math.max(seen[1], y)] : [y, y]);
  }
  return result;
}

describe('monitor downsampling', () => {
  it('keeps every point of a short line, and its non-finite values as markers', () => {
    const xs = Float64Array.from([0, 1, 2, 3, 4]);
    const ys = Float64Array.from([1, NaN, 3, Infinity, -Infinity]);
    const result = downsample(xs, ys, { min: 0, max: 4 }, 100);
    assert.deepEqual(Array.from(result.indices), [0, 2]);
    assert.deepEqual(result.markers, [
      { x: 1, kind: 'nan' },
      { x: 3, kind: 'posInf' },
      { x: 4, kind: 'negInf' },
    ]);
  });

  it('reduces 1,000,000 points to at most four per pixel column with the same extremes per column', () => {
    const { xs, ys } = noisyLine(1_000_000);
    const before = { xs: xs.slice(), ys: ys.slice() };
    const columns = 600;
    const range = { min: 0, max: 999_999 };
    const { indices } = downsample(xs, ys, range, columns);
    assert.ok(indices.length <= POINTS_PER_COLUMN * (columns + 2), `${indices.length} points`);
    assert.ok(indices.length >= 2 * columns, 'at least the min and max of each column');
    for (let k = 1; k < indices.length; k++) assert.ok((indices[k] as number) > (indices[k - 1] as number), 'ascending, no repeats');
    assert.equal(indices[0], 0, 'the first point');
    assert.equal(indices[indices.length - 1], 999_999, 'the last point');
    const all = Uint32Array.from({ length: xs.length }, (_, i) => i);
    assert.deepEqual(columnExtremes(xs, ys, indices, range.min, range.max, columns), columnExtremes(xs, ys, all, range.min, range.max, columns));
    assert.deepEqual(xs, before.xs, 'xs untouched');
    assert.deepEqual(ys, before.ys, 'ys untouched');
  });

  it('draws only the zoomed range plus one neighbour each side, at full resolution again', () => {
    const { xs, ys } = noisyLine(100_000);
    const range = { min: 50_000.5, max: 50_100.5 };
    const { indices } = downsample(xs, ys, range, 400);
    assert.equal(indices[0], 50_000, 'the neighbour before');
    assert.equal(indices[indices.length - 1], 50_101, 'the neighbour after');
    assert.equal(indices.length, 102, 'few points in view: all of them');
    assert.deepEqual(visibleSlice(xs, range), { from: 50_000, to: 50_102 });
  });

  it('keeps one marker per kind per column for long lines, at their x', () => {
    const { xs, ys } = noisyLine(200_000);
    ys[1000] = NaN;
    ys[1001] = NaN; // same column: one marker
    ys[150_000] = Infinity;
    ys[150_001] = -Infinity;
    const { indices, markers } = downsample(xs, ys, { min: 0, max: 199_999 }, 500);
    assert.deepEqual(markers, [
      { x: 1000, kind: 'nan' },
      { x: 150_000, kind: 'posInf' },
      { x: 150_001, kind: 'negInf' },
    ]);
    for (const i of indices) assert.ok(Number.isFinite(ys[i]), `index ${i} is drawable`);
  });

  it('leaves out values a log scale cannot draw', () => {
    const xs = Float64Array.from({ length: 10 }, (_, i) => i);
    const ys = Float64Array.from([1, 0, -2, 3, 4, 0.5, -1, 2, 1e-9, 0]);
    const { indices, markers } = downsample(xs, ys, { min: 0, max: 9 }, 50, { positiveOnly: true });
    assert.deepEqual(Array.from(indices), [0, 3, 4, 5, 7, 8]);
    assert.deepEqual(markers, []);
    const long = noisyLine(50_000);
    long.ys[10] = -5;
    const picked = downsample(long.xs, long.ys, { min: 0, max: 49_999 }, 100, { positiveOnly: true });
    for (const i of picked.indices) assert.ok((long.ys[i] as number) > 0);
  });

  it('finds the nearest x', () => {
    const xs = Float64Array.from([0, 10, 10, 20]);
    assert.equal(nearestIndex(xs, -5), 0);
    assert.equal(nearestIndex(xs, 4), 0);
    assert.equal(nearestIndex(xs, 6), 1);
    assert.equal(nearestIndex(xs, 14), 1, 'the first of equal xs');
    assert.equal(nearestIndex(xs, 16), 3);
    assert.equal(nearestIndex(xs, 99), 3);
    assert.equal(nearestIndex(new Float64Array(0), 1), -1);
  });
});

describe('monitor line alignment', () => {
  it('puts lines with different xs on one ascending x column', () => {
    const aligned = alignTables([
      { x: [0, 2, 4], columns: [[1, 2, 3]] },
      { x: [1, 2, 3], columns: [[10, 20, 30], [11, 21, NaN]] },
    ]);
    assert.deepEqual(Array.from(aligned.x), [0, 1, 2, 3, 4]);
    assert.deepEqual(aligned.columns, [
      [1, undefined, 2, undefined, 3],
      [undefined, 10, 20, 30, undefined],
      [undefined, 11, 21, undefined, undefined],
    ]);
  });

  it('keeps repeated xs of one line as separate rows (vertical steps)', () => {
    const aligned = alignTables([
      { x: [0, 1, 1, 2], columns: [[5, 6, 7, 8]] },
      { x: [1], columns: [[100]] },
    ]);
    assert.deepEqual(Array.from(aligned.x), [0, 1, 1, 2]);
    assert.deepEqual(aligned.columns, [
      [5, 6, 7, 8],
      [undefined, 100, undefined, undefined],
    ]);
  });

  it('skips points without a usable x instead of stalling', () => {
    const aligned = alignTables([{ x: [NaN, 1, Infinity], columns: [[1, 2, 3]] }, { x: [], columns: [[]] }]);
    assert.deepEqual(Array.from(aligned.x), [1]);
    assert.deepEqual(aligned.columns, [[2], [undefined]]);
  });
});
