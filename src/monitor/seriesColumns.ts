/**
 * The growing history of one series on the host: four Float64Array columns
 * that double when full, so appending a few points to a million costs a few
 * writes, not a copy.
 */
import type { ScalarSeries } from '../protocol/monitor';

export interface Columns {
  steps: Float64Array;
  values: Float64Array;
  wallTimes: Float64Array;
  epochs: Float64Array;
}

const INITIAL_CAPACITY = 64;

export class SeriesColumns {
  private steps: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private values: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private wallTimes: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private epochs: Float64Array = new Float64Array(INITIAL_CAPACITY);
  length = 0;

  append(points: ScalarSeries): void {
    const count = points.steps.length;
    this.reserve(this.length + count);
    this.steps.set(points.steps, this.length);
    this.values.set(points.values, this.length);
    this.wallTimes.set(points.wallTimes, this.length);
    this.epochs.set(points.epochs, this.length);
    this.length += count;
  }

  /** Keeps the first `length` points. */
  truncate(length: number): void {
    this.length = Math.max(0, Math.min(this.length, length));
  }

  /**
   * The index of the first point of the trailing run of points whose step is
   * at least `step` (a resumed run drops them): scans back from the end, so
   * the usual case, a few points, is cheap.
   */
  indexOfStepFromEnd(step: number): number {
    let index = this.length;
    while (index > 0 && this.steps[index - 1]! >= step) index--;
    return index;
  }

  stepAt(index: number): number {
    return this.steps[index]!;
  }

  valueAt(index: number): number {
    return this.values[index]!;
  }

  wallTimeAt(index: number): number {
    return this.wallTimes[index]!;
  }

  epochAt(index: number): number {
    return this.epochs[index]!;
  }

  /**
   * Halves the resolution of the older half of the series in place: of its
   * points every other one stays, and every NaN/±Inf value. The newer half is
   * kept whole, so repeated thinning keeps recent points exact and old ones
   * ever coarser. Returns the new length.
   */
  thinOlderHalf(): number {
    const half = Math.floor(this.length / 2);
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      if (i < half && i % 2 === 1 && Number.isFinite(this.values[i]!)) continue;
      if (kept !== i) {
        this.steps[kept] = this.steps[i]!;
        this.values[kept] = this.values[i]!;
        this.wallTimes[kept] = this.wallTimes[i]!;
        this.epochs[kept] = this.epochs[i]!;
      }
      kept++;
    }
    this.length = kept;
    return kept;
  }

  /** The values so far, as a view (valid until the next append). */
  valueView(): Float64Array {
    return this.values.subarray(0, this.length);
  }

  /** Copies of the points from `from` on (copies: a posted view would carry the whole buffer). */
  copy(from = 0): Columns {
    const start = Math.max(0, Math.min(from, this.length));
    return {
      steps: this.steps.slice(start, this.length),
      values: this.values.slice(start, this.length),
      wallTimes: this.wallTimes.slice(start, this.length),
      epochs: this.epochs.slice(start, this.length),
    };
  }

  private reserve(capacity: number): void {
    if (capacity <= this.steps.length) return;
    let size = this.steps.length;
    while (size < capacity) size *= 2;
    const grow = (old: Float64Array): Float64Array => {
      const bigger = new Float64Array(size);
      bigger.set(old.subarray(0, this.length));
      return bigger;
    };
    this.steps = grow(this.steps);
    this.values = grow(this.values);
    this.wallTimes = grow(this.wallTimes);
    this.epochs = grow(this.epochs);
  }
}
