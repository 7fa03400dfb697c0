/**
 * A multiresolution summary of one line's values, so a chart can downsample
 * any x-range without reading every point in it. Level 1 summarises blocks
 * of BRANCH points, level 2 blocks of BRANCH level-1 entries, and so on until
 * a level has at most BRANCH entries; each entry holds the indices of its
 * block's first, last, lowest and highest drawable value (ties: the first).
 * A query for an index range reads at most 2·BRANCH entries per level:
 * O(BRANCH · log n) instead of O(n). Appended points rebuild only the last
 * entry or two of each level. Values that are not finite are kept as index
 * lists per kind, for the charts' markers. Pure: no DOM.
 */
import { ensureInt32 } from './buffers';
import type { MarkerKind } from './downsample';

export const BRANCH = 32;

/** One level's entries; -1 where a block has no drawable value. */
interface Level {
  first: Int32Array;
  last: Int32Array;
  low: Int32Array;
  high: Int32Array;
  count: number;
}

function emptyLevel(): Level {
  const none = new Int32Array(0);
  return { first: none, last: none, low: none, high: none, count: 0 };
}

/** Indices of one kind of non-finite value, ascending. */
class IndexList {
  items: Int32Array = new Int32Array(0);
  count = 0;

  push(index: number): void {
    this.items = ensureInt32(this.items, this.count + 1, this.count);
    this.items[this.count++] = index;
  }

  /** The first index in [from, to), or -1. */
  firstIn(from: number, to: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.items[middle] as number) < from) low = middle + 1;
      else high = middle;
    }
    const found = low < this.count ? (this.items[low] as number) : -1;
    return found >= 0 && found < to ? found : -1;
  }
}

/** What a query found in an index range: indices into the line, -1 for none. */
export interface RangeSummary {
  first: number;
  last: number;
  low: number;
  high: number;
}

export class LinePyramid {
  /** Points summarised so far. */
  length = 0;
  private readonly levels: Level[] = [];
  private readonly nonFinite: Record<MarkerKind, IndexList> = { nan: new IndexList(), posInf: new IndexList(), negInf: new IndexList() };
  /** How many times a pyramid was built from the first point, and how many times one was extended (for tests and the bench). */
  readonly counts = { built: 0, extended: 0 };

  /** positiveOnly: only values > 0 are drawable (log scale). */
  constructor(readonly positiveOnly: boolean) {}

  /** Summarises ys from its first point. */
  build(ys: Float64Array): void {
    this.length = 0;
    for (const list of Object.values(this.nonFinite)) list.count = 0;
    this.counts.built++;
    this.summarise(ys, 0);
  }

  /** Summarises the points appended to ys since the last build or extend (the first `length` must be unchanged). */
  extend(ys: Float64Array): void {
    if (ys.length < this.length) throw new Error('A line cannot shrink: build it again');
    if (ys.length === this.length) return;
    this.counts.extended++;
    this.summarise(ys, this.length);
  }

  hasNonFinite(): boolean {
    return this.nonFinite.nan.count + this.nonFinite.posInf.count + this.nonFinite.negInf.count > 0;
  }

  /** The first index in [from, to) whose value is of `kind`, or -1. */
  firstNonFinite(kind: MarkerKind, from: number, to: number): number {
    return this.nonFinite[kind].firstIn(from, to);
  }

  /** The first, last, lowest and highest drawable value among ys[from, to) (ys: the line summarised). */
  query(ys: Float64Array, from: number, to: number, into: RangeSummary): RangeSummary {
    // Left part (ascending) and right part (collected right to left), joined at the end.
    let leftFirst = -1;
    let leftLast = -1;
    let leftLow = -1;
    let leftHigh = -1;
    let rightFirst = -1;
    let rightLast = -1;
    let rightLow = -1;
    let rightHigh = -1;
    const positiveOnly = this.positiveOnly;
    let l = from;
    let r = Math.min(to, this.length);
    // Level 0: single points.
    const top = this.levels.length;
    const leftEnd = top === 0 ? r : Math.min(r, Math.ceil(l / BRANCH) * BRANCH);
    for (; l < leftEnd; l++) {
      const y = ys[l] as number;
      if (y - y !== 0 || (positiveOnly && !(y > 0))) continue;
      if (leftFirst < 0) {
        leftFirst = leftLast = leftLow = leftHigh = l;
        continue;
      }
      leftLast = l;
      if (y < (ys[leftLow] as number)) leftLow = l;
      else if (y > (ys[leftHigh] as number)) leftHigh = l;
    }
    if (top > 0) {
      const rightStart = Math.max(l, r - (r % BRANCH));
      while (r > rightStart) {
        const i = --r;
        const y = ys[i] as number;
        if (y - y !== 0 || (positiveOnly && !(y > 0))) continue;
        if (rightFirst < 0) {
          rightFirst = rightLast = rightLow = rightHigh = i;
          continue;
        }
        rightFirst = i;
        if (y <= (ys[rightLow] as number)) rightLow = i;
        if (y >= (ys[rightHigh] as number)) rightHigh = i;
      }
    }
    // Levels 1 and up: whole blocks.
    for (let k = 0; k < top && l < r; k++) {
      const level = this.levels[k] as Level;
      l /= BRANCH;
      r /= BRANCH;
      const isTop = k === top - 1;
      const leftStop = isTop ? r : Math.min(r, Math.ceil(l / BRANCH) * BRANCH);
      for (; l < leftStop; l++) {
        const first = level.first[l] as number;
        if (first < 0) continue;
        if (leftFirst < 0) {
          leftFirst = first;
          leftLast = level.last[l] as number;
          leftLow = level.low[l] as number;
          leftHigh = level.high[l] as number;
          continue;
        }
        leftLast = level.last[l] as number;
        const low = level.low[l] as number;
        const high = level.high[l] as number;
        if ((ys[low] as number) < (ys[leftLow] as number)) leftLow = low;
        if ((ys[high] as number) > (ys[leftHigh] as number)) leftHigh = high;
      }
      if (isTop) break;
      const rightStop = Math.max(l, r - (r % BRANCH));
      while (r > rightStop) {
        const i = --r;
        const first = level.first[i] as number;
        if (first < 0) continue;
        if (rightFirst < 0) {
          rightFirst = first;
          rightLast = level.last[i] as number;
          rightLow = level.low[i] as number;
          rightHigh = level.high[i] as number;
          continue;
        }
        rightFirst = first;
        const low = level.low[i] as number;
        const high = level.high[i] as number;
        if ((ys[low] as number) <= (ys[rightLow] as number)) rightLow = low;
        if ((ys[high] as number) >= (ys[rightHigh] as number)) rightHigh = high;
      }
    }
    if (leftFirst < 0) {
      into.first = rightFirst;
      into.last = rightLast;
      into.low = rightLow;
      into.high = rightHigh;
    } else {
      into.first = leftFirst;
      into.last = rightFirst < 0 ? leftLast : rightLast;
      into.low = rightFirst >= 0 && (ys[rightLow] as number) < (ys[leftLow] as number) ? rightLow : leftLow;
      into.high = rightFirst >= 0 && (ys[rightHigh] as number) > (ys[leftHigh] as number) ? rightHigh : leftHigh;
    }
    return into;
  }

  /** Records the points from `from` on and rebuilds every entry they fall in. */
  private summarise(ys: Float64Array, from: number): void {
    const n = ys.length;
    for (let i = from; i < n; i++) {
      const y = ys[i] as number;
      if (y - y === 0) continue;
      this.nonFinite[y === Infinity ? 'posInf' : y === -Infinity ? 'negInf' : 'nan'].push(i);
    }
    this.length = n;
    let childCount = n;
    let changedFrom = from;
    let depth = 0;
    while (childCount > BRANCH) {
      let level = this.levels[depth];
      if (!level) {
        level = emptyLevel();
        this.levels.push(level);
        changedFrom = 0;
      }
      const count = Math.ceil(childCount / BRANCH);
      const start = Math.min(Math.floor(changedFrom / BRANCH), level.count);
      level.first = ensureInt32(level.first, count, start);
      level.last = ensureInt32(level.last, count, start);
      level.low = ensureInt32(level.low, count, start);
      level.high = ensureInt32(level.high, count, start);
      if (depth === 0) this.summarisePoints(level, ys, start, count);
      else this.summariseEntries(level, this.levels[depth - 1] as Level, ys, start, count);
      level.count = count;
      changedFrom = start;
      childCount = count;
      depth++;
    }
    // A line can only grow here, so levels never need dropping; a rebuilt shorter line drops the extra ones.
    this.levels.length = depth;
  }

  private summarisePoints(level: Level, ys: Float64Array, start: number, count: number): void {
    const positiveOnly = this.positiveOnly;
    const n = ys.length;
    for (let b = start; b < count; b++) {
      const end = Math.min(n, (b + 1) * BRANCH);
      let first = -1;
      let last = -1;
      let low = -1;
      let high = -1;
      let lowValue = 0;
      let highValue = 0;
      for (let i = b * BRANCH; i < end; i++) {
        const y = ys[i] as number;
        if (y - y !== 0 || (positiveOnly && !(y > 0))) continue;
        if (first < 0) {
          first = last = low = high = i;
          lowValue = highValue = y;
          continue;
        }
        last = i;
        if (y < lowValue) {
          low = i;
          lowValue = y;
        } else if (y > highValue) {
          high = i;
          highValue = y;
        }
      }
      level.first[b] = first;
      level.last[b] = last;
      level.low[b] = low;
      level.high[b] = high;
    }
  }

  private summariseEntries(level: Level, children: Level, ys: Float64Array, start: number, count: number): void {
    const childCount = children.count;
    for (let b = start; b < count; b++) {
      const end = Math.min(childCount, (b + 1) * BRANCH);
      let first = -1;
      let last = -1;
      let low = -1;
      let high = -1;
      for (let c = b * BRANCH; c < end; c++) {
        const childFirst = children.first[c] as number;
        if (childFirst < 0) continue;
        const childLow = children.low[c] as number;
        const childHigh = children.high[c] as number;
        if (first < 0) {
          first = childFirst;
          low = childLow;
          high = childHigh;
        } else {
          if ((ys[childLow] as number) < (ys[low] as number)) low = childLow;
          if ((ys[childHigh] as number) > (ys[high] as number)) high = childHigh;
        }
        last = children.last[c] as number;
      }
      level.first[b] = first;
      level.last[b] = last;
      level.low[b] = low;
      level.high[b] = high;
    }
  }
}
