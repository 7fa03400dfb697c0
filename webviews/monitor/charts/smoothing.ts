/**
 * Smoothing of one line for drawing: TensorBoard's debiased exponential
 * moving average, or a trailing running average, both measured in x units
 * rather than in points. The weight picks a time constant as a fraction of
 * `span` (the chart's x-range), so a metric logged every step and the same
 * metric logged every tenth step give nearly the same curve; with 1,000
 * evenly spaced points over the span the EMA equals TensorBoard's per-point
 * EMA of the same weight (charts pass smoothingSpan() of their x-range, up to
 * 9% more than the range). Both run from a state object that later points
 * continue, so a line that grows is smoothed over its new points only
 * (lineSmoother.ts). Pure: no DOM, typed arrays in and out.
 */

export type SmoothingKind = 'ema' | 'average' | 'none';

export interface Smoothing {
  kind: SmoothingKind;
  /** 0 (none) to MAX_WEIGHT (heaviest). */
  weight: number;
}

/** The point count at which the EMA matches TensorBoard's per-point EMA with the same weight. */
export const REFERENCE_POINTS = 1000;
export const MAX_WEIGHT = 0.999;

export function clampWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) return 0;
  return Math.min(weight, MAX_WEIGHT);
}

/** Whether these settings change the line at all. */
export function smoothingActive(smoothing: Smoothing): boolean {
  return smoothing.kind !== 'none' && clampWeight(smoothing.weight) > 0;
}

/** Steps per doubling of the span smoothing uses: 8 (each step 9% wider). */
const SPAN_STEPS_PER_DOUBLING = 8;

/**
 * The span to smooth a chart with: its x-range rounded up to the next of a
 * fixed ladder of values 9% apart. A growing run then leaves the smoothing
 * window where it is until the range passes the next rung, so appending
 * points re-smooths only the lines that changed, not every line of the chart.
 */
export function smoothingSpan(range: number): number {
  if (!(range > 0) || !Number.isFinite(range)) return 0;
  const rung = Math.ceil(Math.log2(range) * SPAN_STEPS_PER_DOUBLING - 1e-9);
  return 2 ** (rung / SPAN_STEPS_PER_DOUBLING);
}

/**
 * The EMA's time constant τ in x units: points spaced span/(REFERENCE_POINTS - 1)
 * apart decay by `weight` each, e^(-Δ/τ) = weight. 0 for no smoothing.
 */
export function timeConstant(weight: number, span: number): number {
  const w = clampWeight(weight);
  if (w === 0 || !(span > 0) || !Number.isFinite(span)) return 0;
  return -(span / (REFERENCE_POINTS - 1)) / Math.log(w);
}

/**
 * The running average's trailing window in x units: 2τ, so it lags the signal
 * as much as the EMA does (an EMA lags by τ, a trailing window of width L by L/2).
 */
export function averageWindow(weight: number, span: number): number {
  return 2 * timeConstant(weight, span);
}

/**
 * The smoothed line, one value per input point. `xs` should ascend (equal xs
 * are fine: they count as one point, their mean). Points whose x or y is not
 * finite are skipped: their smoothed value is NaN and they do not move the
 * average. A weight of 0 or kind 'none' returns the values unchanged.
 */
export function smoothLine(xs: Float64Array, ys: Float64Array, smoothing: Smoothing, span: number): Float64Array {
  const out = new Float64Array(ys.length);
  const weight = clampWeight(smoothing.weight);
  if (smoothing.kind === 'none' || weight === 0) finiteRun(xs, ys, out, 0, ys.length);
  else if (smoothing.kind === 'ema') emaRun(emaStart(xs, ys, timeConstant(weight, span)), xs, ys, out, 0, ys.length);
  else averageRun(averageStart(averageWindow(weight, span)), xs, ys, out, 0, ys.length);
  return out;
}

/** Copies ys[from, to) to out, NaN where x or y is not finite (no smoothing). */
function finiteRun(xs: Float64Array, ys: Float64Array, out: Float64Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const x = xs[i] as number;
    const y = ys[i] as number;
    out[i] = x - x === 0 && y - y === 0 ? y : NaN;
  }
}

/** x - x is 0 exactly when x is finite (NaN for NaN and ±Infinity); cheaper than Number.isFinite in hot loops. */
function finite(value: number): boolean {
  return value - value === 0;
}

/**
 * Where an irregularly spaced EMA stands after some points: runs continue it
 * point by point, so appended points cost O(new) and give the very numbers a
 * run over the whole line gives.
 */
export interface EmaState {
  tau: number;
  /** The first usable x (NaN before one), and whether a later, larger x fixed the leading spacing. */
  firstX: number;
  leadingKnown: boolean;
  delta: number;
  alpha: number;
  keep: number;
  numerator: number;
  denominator: number;
  baseNumerator: number;
  baseDenominator: number;
  groupX: number;
  groupSum: number;
  groupCount: number;
}

/**
 * The spacing to assume before the first point: the distance from the first
 * usable x to the next larger one (the spacing of evenly logged points).
 */
function leadingSpacing(xs: Float64Array, ys: Float64Array): { firstX: number; spacing: number } {
  let first = NaN;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    if (!finite(x) || !finite(ys[i] as number)) continue;
    if (Number.isNaN(first)) first = x;
    else if (x > first) return { firstX: first, spacing: x - first };
  }
  return { firstX: first, spacing: 0 };
}

/** The weight of a point `delta` after the previous one: 1 - e^(-Δx/τ); 1 (no memory) while no spacing is known. */
export function emaAlpha(delta: number, tau: number): number {
  return delta > 0 ? -Math.expm1(-delta / tau) : 1;
}

/** A fresh EMA over the line xs/ys (its leading spacing read from them), before its first point. */
export function emaStart(xs: Float64Array, ys: Float64Array, tau: number): EmaState {
  const { firstX, spacing } = leadingSpacing(xs, ys);
  const alpha = emaAlpha(spacing, tau);
  return {
    tau,
    firstX,
    leadingKnown: spacing > 0,
    delta: spacing,
    alpha,
    keep: 1 - alpha,
    numerator: 0,
    denominator: 0,
    baseNumerator: 0,
    baseDenominator: 0,
    groupX: NaN,
    groupSum: 0,
    groupCount: 0,
  };
}

/**
 * Whether points [from, to) would have changed the leading spacing an EMA
 * started with (it had at most one distinct x then): if so it must start over.
 */
export function emaLeadingChanges(state: EmaState, xs: Float64Array, ys: Float64Array, from: number, to: number): boolean {
  if (state.leadingKnown) return false;
  for (let i = from; i < to; i++) {
    const x = xs[i] as number;
    if (!finite(x) || !finite(ys[i] as number)) continue;
    if (Number.isNaN(state.firstX)) state.firstX = x;
    else if (x > state.firstX) return true;
  }
  return false;
}

/**
 * Irregularly spaced EMA over points [from, to), continuing `state`, each
 * point's value written to `out` (when given): numerator / denominator. Each
 * point's weight is 1 - e^(-Δx/τ), Δx being the distance to the previous
 * point, and the result is divided by the total weight so far (the
 * debiasing), so the first value is the first point. Points at the same x
 * form a group that enters once, with the group's mean. Where x goes back
 * (unsorted input) the previous spacing stands in for Δx.
 */
export function emaRun(state: EmaState, xs: Float64Array, ys: Float64Array, out: Float64Array | null, from: number, to: number): void {
  const tau = state.tau;
  let { delta, alpha, keep, numerator, denominator, baseNumerator, baseDenominator, groupX, groupSum, groupCount } = state;
  for (let i = from; i < to; i++) {
    const x = xs[i] as number;
    const y = ys[i] as number;
    if (x - x !== 0 || y - y !== 0) {
      if (out) out[i] = NaN;
      continue;
    }
    if (x === groupX) {
      groupSum += y;
      groupCount++;
      numerator = keep * baseNumerator + alpha * (groupSum / groupCount);
      denominator = keep * baseDenominator + alpha;
    } else {
      if (groupCount > 0 && x > groupX && x - groupX !== delta) {
        delta = x - groupX;
        alpha = emaAlpha(delta, tau);
        keep = 1 - alpha;
      }
      baseNumerator = numerator;
      baseDenominator = denominator;
      groupX = x;
      groupSum = y;
      groupCount = 1;
      numerator = keep * baseNumerator + alpha * y;
      denominator = keep * baseDenominator + alpha;
    }
    if (out) out[i] = numerator / denominator;
  }
  state.delta = delta;
  state.alpha = alpha;
  state.keep = keep;
  state.numerator = numerator;
  state.denominator = denominator;
  state.baseNumerator = baseNumerator;
  state.baseDenominator = baseDenominator;
  state.groupX = groupX;
  state.groupSum = groupSum;
  state.groupCount = groupCount;
}

/** Where a trailing running average stands: its window's first index, sum and count. */
export interface AverageState {
  window: number;
  left: number;
  sum: number;
  count: number;
  previousX: number;
}

export function averageStart(window: number): AverageState {
  return { window, left: 0, sum: 0, count: 0, previousX: -Infinity };
}

/**
 * The mean of the usable points with x in [x - window, x] up to each point of
 * [from, to), continuing `state` (two pointers, O(n) over the line). Reads
 * the points the window still holds, so xs/ys must keep the points before
 * `from`. Each point's value (sum / count) is written to `out` when given.
 */
export function averageRun(state: AverageState, xs: Float64Array, ys: Float64Array, out: Float64Array | null, from: number, to: number): void {
  const window = state.window;
  let { left, sum, count, previousX } = state;
  for (let i = from; i < to; i++) {
    const x = xs[i] as number;
    const y = ys[i] as number;
    if (x - x !== 0 || y - y !== 0) {
      if (out) out[i] = NaN;
      continue;
    }
    if (x < previousX) {
      // x went back (unsorted input): start a new window here.
      left = i;
      sum = 0;
      count = 0;
    }
    previousX = x;
    sum += y;
    count++;
    const start = x - window;
    while (left < i) {
      const leftX = xs[left] as number;
      const leftY = ys[left] as number;
      if (leftX - leftX === 0 && leftY - leftY === 0) {
        if (leftX >= start) break;
        sum -= leftY;
        count--;
      }
      left++;
    }
    if (out) out[i] = sum / count;
  }
  state.left = left;
  state.sum = sum;
  state.count = count;
  state.previousX = previousX;
}
