/**
 * Scalar points gathered column by column: one Float64Array per field (step,
 * value, wall time, epoch), so millions of points cost a few arrays, not
 * millions of objects. NaN marks a wall time or epoch the log does not state.
 *
 * A series starts small and doubles up to BLOCK points; past that it fills
 * whole blocks, never copying what it holds, and is copied once, into arrays
 * of its exact length, when the poll ends. (Fresh memory is what costs in a
 * big catch-up read: every page written for the first time faults, so each
 * point should be written twice at most.)
 */
import type { ScalarPoint, ScalarSeries } from '../protocol/monitor';

const INITIAL_CAPACITY = 64;
/** Points per block, once a series has outgrown doubling. */
const BLOCK = 16384;

type Block = [steps: Float64Array, values: Float64Array, wallTimes: Float64Array, epochs: Float64Array];

const newBlock = (capacity: number): Block => [new Float64Array(capacity), new Float64Array(capacity), new Float64Array(capacity), new Float64Array(capacity)];

/** The points of one series gathered during one poll. */
export class ScalarColumns {
  /** The block being filled. */
  private steps: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private values: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private wallTimes: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private epochs: Float64Array = new Float64Array(INITIAL_CAPACITY);
  /** Points in the block being filled. */
  private used = 0;
  /** Full blocks before it, BLOCK points each. */
  private full: Block[] = [];
  length = 0;

  push(step: number, value: number, wallTime: number, epoch: number): void {
    if (this.used === this.steps.length) this.makeRoom();
    const i = this.used;
    this.steps[i] = step;
    this.values[i] = value;
    this.wallTimes[i] = wallTime;
    this.epochs[i] = epoch;
    this.used = i + 1;
    this.length++;
  }

  /** Drops the points whose step is at least `fromStep`, keeping the order of the rest (a resumed run: rare). */
  dropFrom(fromStep: number): void {
    const [steps, values, wallTimes, epochs] = this.take();
    this.reset();
    for (let i = 0; i < steps.length; i++) {
      if (!(steps[i]! >= fromStep)) this.push(steps[i]!, values[i]!, wallTimes[i]!, epochs[i]!);
    }
  }

  /** The points as a series; the builder must not be used afterwards. */
  toSeries(tag: string, metric: string, split: string | undefined): ScalarSeries {
    const [steps, values, wallTimes, epochs] = this.take();
    const series: ScalarSeries = { tag, metric, steps, values, wallTimes, epochs };
    if (split !== undefined) series.split = split;
    return series;
  }

  /** The four columns at their exact length. */
  private take(): Block {
    const current: Block = [this.steps, this.values, this.wallTimes, this.epochs];
    if (this.full.length === 0) {
      return this.used === this.steps.length ? current : (current.map((column) => column.slice(0, this.used)) as Block);
    }
    const all = newBlock(this.length);
    let at = 0;
    for (const block of [...this.full, current]) {
      const count = Math.min(BLOCK, this.length - at);
      for (let c = 0; c < 4; c++) all[c]!.set(block[c]!.subarray(0, count), at);
      at += count;
    }
    return all;
  }

  private reset(): void {
    [this.steps, this.values, this.wallTimes, this.epochs] = newBlock(INITIAL_CAPACITY);
    this.used = 0;
    this.full = [];
    this.length = 0;
  }

  private makeRoom(): void {
    const capacity = this.steps.length;
    if (capacity < BLOCK) {
      const larger = (column: Float64Array): Float64Array => {
        const grown = new Float64Array(capacity * 2);
        grown.set(column);
        return grown;
      };
      this.steps = larger(this.steps);
      this.values = larger(this.values);
      this.wallTimes = larger(this.wallTimes);
      this.epochs = larger(this.epochs);
      return;
    }
    this.full.push([this.steps, this.values, this.wallTimes, this.epochs]);
    [this.steps, this.values, this.wallTimes, this.epochs] = newBlock(BLOCK);
    this.used = 0;
  }
}

interface CollectedSeries {
  tag: string;
  metric: string;
  split: string | undefined;
  columns: ScalarColumns;
}

/** One poll's series by tag and split, in the order they were first seen. */
export class SeriesCollector {
  /** split ('' for none) -> tag -> series: two plain lookups, no key built per point. */
  private readonly bySplit = new Map<string, Map<string, CollectedSeries>>();
  private readonly order: CollectedSeries[] = [];

  /** The columns of a series, created on first use. */
  columns(tag: string, metric: string, split: string | undefined): ScalarColumns {
    const splitKey = split ?? '';
    let byTag = this.bySplit.get(splitKey);
    if (byTag === undefined) {
      byTag = new Map();
      this.bySplit.set(splitKey, byTag);
    }
    let found = byTag.get(tag);
    if (found === undefined) {
      found = { tag, metric, split, columns: new ScalarColumns() };
      byTag.set(tag, found);
      this.order.push(found);
    }
    return found.columns;
  }

  /** Drops the gathered points of one series whose step is at least `fromStep`. */
  dropFrom(tag: string, split: string | undefined, fromStep: number): void {
    this.bySplit.get(split ?? '')?.get(tag)?.columns.dropFrom(fromStep);
  }

  clear(): void {
    this.bySplit.clear();
    this.order.length = 0;
  }

  /** The series that have points. */
  build(): ScalarSeries[] {
    return this.order.filter((s) => s.columns.length > 0).map((s) => s.columns.toSeries(s.tag, s.metric, s.split));
  }
}

/** The points of a series as objects (tests, the CLI); wallTime and epoch only where the log states them. */
export function pointsOf(series: ScalarSeries): ScalarPoint[] {
  const points: ScalarPoint[] = [];
  for (let i = 0; i < series.steps.length; i++) {
    const point: ScalarPoint = { step: series.steps[i]!, value: series.values[i]! };
    const wallTime = series.wallTimes[i]!;
    const epoch = series.epochs[i]!;
    if (!Number.isNaN(wallTime)) point.wallTime = wallTime;
    if (!Number.isNaN(epoch)) point.epoch = epoch;
    points.push(point);
  }
  return points;
}
