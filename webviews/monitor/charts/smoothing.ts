/**
 * Smoothing of one line for drawing: TensorBoard's debiased exponential
 * moving average, or a trailing running average, both measured in x units
 * rather than in points. The weight picks a time constant as a fraction of
 * `span` (the chart's x-range), so a metric logged every step and the same
 * metric logged every tenth step give nearly the same curve; with 1,000
 * evenly spaced points over the span the EMA equals TensorBoard's per-point
 * EMA of the same weight (charts pass smoothingSpan() of their x-range, up to
 * 9% more than the range). Pure: no DOM, typed arrays in and out.
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
  const weight = clampWeight(smoothing.weight);
  if (smoothing.kind === 'none' || weight === 0) return finiteCopy(xs, ys);
  if (smoothing.kind === 'ema') return emaLine(xs, ys, timeConstant(weight, span));
  return runningAverageLine(xs, ys, averageWindow(weight, span));
}

function finiteCopy(xs: Float64Array, ys: Float64Array): Float64Array {
  const out = new Float64Array(ys.length);
  for (let i = 0; i < ys.length; i++) out[i] = Number.isFinite(xs[i]) && Number.isFinite(ys[i]) ? (ys[i] as number) : NaN;
  return out;
}

/** x - x is 0 exactly when x is finite (NaN for NaN and ±Infinity); cheaper than Number.isFinite in hot loops. */
function finite(value: number): boolean {
  return value - value === 0;
}

/**
 * The spacing to assume before the first point: the distance from the first
 * usable x to the next distinct one (the spacing of evenly logged points).
 */
function leadingSpacing(xs: Float64Array, ys: Float64Array): number {
  let first = NaN;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    if (!finite(x) || !finite(ys[i] as number)) continue;
    if (Number.isNaN(first)) first = x;
    else if (x > first) return x - first;
  }
  return 0;
}

/**
 * Irregularly spaced EMA: each point's weight is 1 - e^(-Δx/τ), Δx being the
 * distance to the previous point, and the result is divided by the total
 * weight so far (the debiasing), so the first value is the first point.
 * Points at the same x form a group that enters once, with the group's mean.
 * Where x goes back (unsorted input) the previous spacing stands in for Δx.
 */
function emaLine(xs: Float64Array, ys: Float64Array, tau: number): Float64Array {
  const n = ys.length;
  const out = new Float64Array(n);
  let delta = leadingSpacing(xs, ys);
  let alpha = delta > 0 ? -Math.expm1(-delta / tau) : 1;
  let keep = 1 - alpha;
  let numerator = 0;
  let denominator = 0;
  let baseNumerator = 0;
  let baseDenominator = 0;
  let groupX = NaN;
  let groupSum = 0;
  let groupCount = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i] as number;
    const y = ys[i] as number;
    if (!finite(x) || !finite(y)) {
      out[i] = NaN;
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
        alpha = -Math.expm1(-delta / tau);
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
    out[i] = numerator / denominator;
  }
  return out;
}

/** The mean of the usable points with x in [x - window, x] up to this one (two pointers, O(n)). */
function runningAverageLine(xs: Float64Array, ys: Float64Array, window: number): Float64Array {
  const out = new Float64Array(ys.length).fill(NaN);
  const usable = (i: number): boolean => finite(xs[i] as number) && finite(ys[i] as number);
  let left = 0;
  let sum = 0;
  let count = 0;
  let previousX = -Infinity;
  for (let i = 0; i < ys.length; i++) {
    if (!usable(i)) continue;
    const x = xs[i] as number;
    if (x < previousX) {
      // x went back (unsorted input): start a new window here.
      left = i;
      sum = 0;
      count = 0;
    }
    previousX = x;
    sum += ys[i] as number;
    count++;
    while (left < i && (!usable(left) || (xs[left] as number) < x - window)) {
      if (usable(left)) {
        sum -= ys[left] as number;
        count--;
      }
      left++;
    }
    out[i] = sum / count;
  }
  return out;
}
