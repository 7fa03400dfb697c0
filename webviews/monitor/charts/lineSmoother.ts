/**
 * One line's smoothing, kept between redraws. It stores no value per point:
 * it keeps the EMA's or running average's state every CHECKPOINT_SPACING
 * points and re-runs at most that many points to read a value, which is
 * enough for the few thousand points a chart draws and its read-out, and
 * spares the webview a fresh million-double array per line (slow to touch).
 * When the line only grew and the smoothing (kind, weight, span) is the
 * same, it continues from where it stopped, over the new points only; any
 * other change runs the line again, reusing the checkpoint buffer. Values
 * read are exactly those smoothLine gives for the whole line. Pure: no DOM.
 */
import { ensureFloat64 } from './buffers';
import {
  averageRun,
  averageStart,
  averageWindow,
  clampWeight,
  emaLeadingChanges,
  emaAlpha,
  emaRun,
  emaStart,
  timeConstant,
  type AverageState,
  type EmaState,
  type Smoothing,
  type SmoothingKind,
} from './smoothing';

/** Points between saved states: reading one value re-runs at most this many. */
export const CHECKPOINT_SPACING = 128;
/** delta, numerator, denominator, baseNumerator, baseDenominator, groupX, groupSum, groupCount (alpha and keep follow from delta). */
const EMA_FIELDS = 8;
/** left, sum, count, previousX. */
const AVERAGE_FIELDS = 4;

/** A line's smoothed values, read on demand. */
export interface SmoothedValues {
  readonly length: number;
  /** The smoothed value of point `index`; NaN where its x or y is not finite. */
  at(index: number): number;
  /** out[j] = at(indices[j]) for each j < out.length; fastest for ascending indices. */
  gather(indices: ArrayLike<number>, out: Float64Array): void;
}

export class LineSmoother implements SmoothedValues {
  /** Points smoothed so far. */
  length = 0;
  private xs: Float64Array = new Float64Array(0);
  private ys: Float64Array = new Float64Array(0);
  private kind: SmoothingKind = 'none';
  private weight = NaN;
  private span = NaN;
  /** The state after the last point smoothed. */
  private ema: EmaState | undefined;
  private average: AverageState | undefined;
  /** The state before point c · CHECKPOINT_SPACING, at c · fields. */
  private checkpoints: Float64Array = new Float64Array(0);
  /** A state for reading values, and the point it would take next (-1: not set). */
  private readonly readingEma = emaStart(new Float64Array(0), new Float64Array(0), 1);
  private readonly readingAverage = averageStart(0);
  private cursor = -1;
  /** How many times a line was smoothed from its first point, and how many times one was continued (for tests and the bench). */
  readonly counts = { full: 0, continued: 0 };

  /**
   * Smooths xs/ys (kept by reference for reading). `grown`: the caller
   * vouches that the first points are the ones smoothed last time.
   */
  smooth(xs: Float64Array, ys: Float64Array, smoothing: Smoothing, span: number, grown: boolean): SmoothedValues {
    const n = Math.min(xs.length, ys.length);
    const weight = clampWeight(smoothing.weight);
    const kind: SmoothingKind = weight === 0 ? 'none' : smoothing.kind;
    const same = grown && kind === this.kind && weight === this.weight && Object.is(span, this.span) && n >= this.length;
    this.xs = xs;
    this.ys = ys;
    this.cursor = -1;
    if (same && n === this.length) return this;
    if (same && !(this.ema && emaLeadingChanges(this.ema, xs, ys, this.length, n))) {
      this.counts.continued++;
      this.advance(this.length, n);
    } else {
      this.counts.full++;
      this.kind = kind;
      this.weight = weight;
      this.span = span;
      this.ema = kind === 'ema' ? emaStart(xs.subarray(0, n), ys.subarray(0, n), timeConstant(weight, span)) : undefined;
      this.average = kind === 'average' ? averageStart(averageWindow(weight, span)) : undefined;
      this.advance(0, n);
    }
    this.length = n;
    return this;
  }

  at(index: number): number {
    if (!(index >= 0 && index < this.length)) return NaN;
    const x = this.xs[index] as number;
    const y = this.ys[index] as number;
    if (x - x !== 0 || y - y !== 0) return NaN;
    const ema = this.ema;
    const average = this.average;
    if (!ema && !average) return y;
    const segment = index - (index % CHECKPOINT_SPACING);
    if (!(this.cursor >= segment && this.cursor <= index)) {
      this.restore(segment / CHECKPOINT_SPACING);
      this.cursor = segment;
    }
    if (ema) {
      const state = this.readingEma;
      emaRun(state, this.xs, this.ys, null, this.cursor, index + 1);
      this.cursor = index + 1;
      return state.numerator / state.denominator;
    }
    const state = this.readingAverage;
    averageRun(state, this.xs, this.ys, null, this.cursor, index + 1);
    this.cursor = index + 1;
    return state.sum / state.count;
  }

  gather(indices: ArrayLike<number>, out: Float64Array): void {
    for (let j = 0; j < out.length; j++) out[j] = this.at(indices[j] as number);
  }

  /** Runs points [from, to), saving the state at each checkpoint. */
  private advance(from: number, to: number): void {
    const ema = this.ema;
    const average = this.average;
    if (!ema && !average) return;
    const fields = ema ? EMA_FIELDS : AVERAGE_FIELDS;
    // Room for every checkpoint up to `to`, keeping those before `from`.
    this.checkpoints = ensureFloat64(this.checkpoints, Math.ceil(to / CHECKPOINT_SPACING) * fields, Math.ceil(from / CHECKPOINT_SPACING) * fields);
    let point = from;
    while (point < to) {
      if (point % CHECKPOINT_SPACING === 0) this.save(point / CHECKPOINT_SPACING);
      const end = Math.min(to, point - (point % CHECKPOINT_SPACING) + CHECKPOINT_SPACING);
      if (ema) emaRun(ema, this.xs, this.ys, null, point, end);
      else if (average) averageRun(average, this.xs, this.ys, null, point, end);
      point = end;
    }
  }

  private save(checkpoint: number): void {
    if (this.ema) {
      const at = checkpoint * EMA_FIELDS;
      const saved = this.checkpoints;
      const state = this.ema;
      saved[at] = state.delta;
      saved[at + 1] = state.numerator;
      saved[at + 2] = state.denominator;
      saved[at + 3] = state.baseNumerator;
      saved[at + 4] = state.baseDenominator;
      saved[at + 5] = state.groupX;
      saved[at + 6] = state.groupSum;
      saved[at + 7] = state.groupCount;
    } else if (this.average) {
      const at = checkpoint * AVERAGE_FIELDS;
      const saved = this.checkpoints;
      const state = this.average;
      saved[at] = state.left;
      saved[at + 1] = state.sum;
      saved[at + 2] = state.count;
      saved[at + 3] = state.previousX;
    }
  }

  /** Sets the reading state to the one saved at `checkpoint`. */
  private restore(checkpoint: number): void {
    const saved = this.checkpoints;
    if (this.ema) {
      const at = checkpoint * EMA_FIELDS;
      const state = this.readingEma;
      state.tau = this.ema.tau;
      state.delta = saved[at] as number;
      state.alpha = emaAlpha(state.delta, state.tau);
      state.keep = 1 - state.alpha;
      state.numerator = saved[at + 1] as number;
      state.denominator = saved[at + 2] as number;
      state.baseNumerator = saved[at + 3] as number;
      state.baseDenominator = saved[at + 4] as number;
      state.groupX = saved[at + 5] as number;
      state.groupSum = saved[at + 6] as number;
      state.groupCount = saved[at + 7] as number;
    } else if (this.average) {
      const at = checkpoint * AVERAGE_FIELDS;
      const state = this.readingAverage;
      state.window = this.average.window;
      state.left = saved[at] as number;
      state.sum = saved[at + 1] as number;
      state.count = saved[at + 2] as number;
      state.previousX = saved[at + 3] as number;
    }
  }
}
