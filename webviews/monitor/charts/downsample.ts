/**
 * Which points of a line to hand to the chart, for drawing only: at most four
 * per pixel column of the visible x-range (the first, lowest, highest and last
 * point of each column, in their order), which draws the same picture as every
 * point. Values that are not finite are not line points: they come back as
 * markers, at most one of each kind per column. The caller's arrays are never
 * changed. downsample() reads every point in view; downsampleSummarised()
 * picks the same points from a LinePyramid of the line in O(columns · log n).
 * Pure: no DOM.
 */
import type { LinePyramid, RangeSummary } from './linePyramid';

export interface XRange {
  min: number;
  max: number;
}

export type MarkerKind = 'nan' | 'posInf' | 'negInf';

export interface Marker {
  x: number;
  kind: MarkerKind;
}

export interface DownsampleOptions {
  /** Log scale: values <= 0 cannot be drawn and are left out (not markers). */
  positiveOnly?: boolean;
}

export interface Downsampled {
  /** Ascending indices into the line's arrays. */
  indices: Uint32Array;
  markers: Marker[];
}

export const POINTS_PER_COLUMN = 4;

/** The first index whose x is >= value (xs ascending). */
export function lowerBound(xs: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = xs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((xs[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose x is > value (xs ascending). */
export function upperBound(xs: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = xs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((xs[middle] as number) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The index of the x closest to `value` (xs ascending; the first of equals); -1 when xs is empty. */
export function nearestIndex(xs: ArrayLike<number>, value: number): number {
  if (xs.length === 0) return -1;
  const after = lowerBound(xs, value);
  if (after === 0) return 0;
  if (after === xs.length) return xs.length - 1;
  const before = after - 1;
  return value - (xs[before] as number) <= (xs[after] as number) - value ? lowerBound(xs, xs[before] as number) : after;
}

/** The points inside `range` plus one neighbour on each side, so lines run on to the plot's edges. */
export function visibleSlice(xs: ArrayLike<number>, range: XRange): { from: number; to: number } {
  return {
    from: Math.max(0, lowerBound(xs, range.min) - 1),
    to: Math.min(xs.length, upperBound(xs, range.max) + 1),
  };
}

function markerKind(value: number): MarkerKind {
  if (value === Infinity) return 'posInf';
  if (value === -Infinity) return 'negInf';
  return 'nan';
}

const KIND_BIT: Record<MarkerKind, number> = { nan: 1, posInf: 2, negInf: 4 };

/** Few points in view: every drawable one, and a marker for each value that is not finite. */
function everyPoint(xs: Float64Array, ys: Float64Array, from: number, to: number, range: XRange, positiveOnly: boolean): Downsampled {
  const markers: Marker[] = [];
  const indices = new Uint32Array(Math.max(0, to - from));
  let count = 0;
  for (let i = from; i < to; i++) {
    const y = ys[i] as number;
    if (Number.isFinite(y)) {
      if (!positiveOnly || y > 0) indices[count++] = i;
    } else {
      const x = xs[i] as number;
      if (x >= range.min && x <= range.max) markers.push({ x, kind: markerKind(y) });
    }
  }
  return { indices: indices.slice(0, count), markers };
}

/**
 * The pixel column of x: -1 left of the range, `buckets` right of it, the
 * range's last x in the last column. Never decreases as x grows, so each
 * column is one run of indices of an ascending line.
 */
function columnOf(x: number, range: XRange, scale: number, buckets: number): number {
  const column = Math.floor((x - range.min) * scale);
  if (column < 0) return -1;
  if (column >= buckets) return x <= range.max ? buckets - 1 : buckets;
  return column;
}

/**
 * Reduces the line (xs ascending) to what `columns` pixel columns over
 * `range` can show. Lines with few points in view keep them all.
 */
export function downsample(xs: Float64Array, ys: Float64Array, range: XRange, columns: number, options: DownsampleOptions = {}): Downsampled {
  const { from, to } = visibleSlice(xs, range);
  const positiveOnly = options.positiveOnly ?? false;
  const buckets = Math.max(1, Math.floor(columns));
  const span = range.max - range.min;
  if (to - from <= POINTS_PER_COLUMN * buckets || !(span > 0)) return everyPoint(xs, ys, from, to, range, positiveOnly);

  // Columns -1 and `buckets` hold the neighbours outside the range.
  const markers: Marker[] = [];
  const indices = new Uint32Array(POINTS_PER_COLUMN * (buckets + 2));
  let count = 0;
  const scale = buckets / span;
  let bucket = NaN;
  let first = -1;
  let last = -1;
  let lowest = -1;
  let highest = -1;
  let lowValue = 0;
  let highValue = 0;
  let markerKinds = 0;
  const picked = [0, 0, 0, 0];
  const flush = (): void => {
    if (first < 0) return;
    // The four in index order, each once.
    picked[0] = first;
    picked[1] = lowest;
    picked[2] = highest;
    picked[3] = last;
    picked.sort((a, b) => a - b);
    let previous = -1;
    for (const index of picked) {
      if (index !== previous) indices[count++] = index;
      previous = index;
    }
  };

  for (let i = from; i < to; i++) {
    const x = xs[i] as number;
    const column = columnOf(x, range, scale, buckets);
    if (column !== bucket) {
      flush();
      bucket = column;
      first = -1;
      markerKinds = 0;
    }
    const y = ys[i] as number;
    if (y - y !== 0) {
      const kind = markerKind(y);
      if (!(markerKinds & KIND_BIT[kind]) && column >= 0 && column < buckets) {
        markerKinds |= KIND_BIT[kind];
        markers.push({ x, kind });
      }
      continue;
    }
    if (positiveOnly && y <= 0) continue;
    if (first < 0) {
      first = last = lowest = highest = i;
      lowValue = highValue = y;
      continue;
    }
    last = i;
    if (y < lowValue) {
      lowest = i;
      lowValue = y;
    } else if (y > highValue) {
      highest = i;
      highValue = y;
    }
  }
  flush();
  return { indices: indices.slice(0, count), markers };
}

const MARKER_KINDS: readonly MarkerKind[] = ['nan', 'posInf', 'negInf'];

/**
 * The points downsample() picks, found through `pyramid` (built over `ys`
 * with the same positiveOnly): per column, a binary search for where it ends
 * and one pyramid query, so the cost does not grow with the points in view.
 */
export function downsampleSummarised(xs: Float64Array, ys: Float64Array, pyramid: LinePyramid, range: XRange, columns: number): Downsampled {
  const { from, to } = visibleSlice(xs, range);
  const buckets = Math.max(1, Math.floor(columns));
  const span = range.max - range.min;
  if (to - from <= POINTS_PER_COLUMN * buckets || !(span > 0)) return everyPoint(xs, ys, from, to, range, pyramid.positiveOnly);

  const markers: Marker[] = [];
  const indices = new Uint32Array(POINTS_PER_COLUMN * (buckets + 2));
  let count = 0;
  const scale = buckets / span;
  const withMarkers = pyramid.hasNonFinite();
  const found: RangeSummary = { first: -1, last: -1, low: -1, high: -1 };
  const picked = [0, 0, 0, 0];
  const markerAt = [0, 0, 0];
  let start = from;
  while (start < to) {
    const column = columnOf(xs[start] as number, range, scale, buckets);
    // The column's end: the first index past `start` in a later column.
    let low = start + 1;
    let high = to;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (columnOf(xs[middle] as number, range, scale, buckets) > column) high = middle;
      else low = middle + 1;
    }
    const end = low;
    if (withMarkers && column >= 0 && column < buckets) {
      // The first of each kind in the column, in index order.
      let kinds = 0;
      for (const kind of MARKER_KINDS) {
        const at = pyramid.firstNonFinite(kind, start, end);
        if (at < 0) continue;
        let slot = kinds++;
        while (slot > 0 && (markerAt[slot - 1] as number) > at) {
          markerAt[slot] = markerAt[slot - 1] as number;
          slot--;
        }
        markerAt[slot] = at;
      }
      for (let k = 0; k < kinds; k++) {
        const at = markerAt[k] as number;
        markers.push({ x: xs[at] as number, kind: markerKind(ys[at] as number) });
      }
    }
    pyramid.query(ys, start, end, found);
    if (found.first >= 0) {
      picked[0] = found.first;
      picked[1] = found.low;
      picked[2] = found.high;
      picked[3] = found.last;
      // The four in index order, each once.
      for (let a = 1; a < 4; a++) {
        const value = picked[a] as number;
        let b = a;
        while (b > 0 && (picked[b - 1] as number) > value) {
          picked[b] = picked[b - 1] as number;
          b--;
        }
        picked[b] = value;
      }
      let previous = -1;
      for (let k = 0; k < 4; k++) {
        const index = picked[k] as number;
        if (index !== previous) indices[count++] = index;
        previous = index;
      }
    }
    start = end;
  }
  return { indices: indices.slice(0, count), markers };
}
