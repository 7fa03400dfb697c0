/**
 * "Ignore outliers": the y-range from robust quantiles instead of min/max.
 * Like TensorBoard's "Ignore outliers in chart scaling" (its linear scale
 * keeps the values between the 5th and 95th percentile, linear
 * interpolation as d3.quantile), then padded by 10% of that span on each side
 * so the band does not touch the plot's edges. On a log scale the same is
 * done on log10 of the values. Spikes beyond the range are clipped by the
 * plot. Quantiles come from an evenly strided sample of the visible points
 * (at most SAMPLE_LIMIT per chart) so 1M points cost no more than 20k.
 * Pure: no DOM.
 */

export const LOWER_QUANTILE = 0.05;
export const UPPER_QUANTILE = 0.95;
export const PADDING = 0.1;
export const SAMPLE_LIMIT = 20_000;

/** The q-quantile of ascending values, interpolating linearly between ranks. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const position = (n - 1) * Math.min(Math.max(q, 0), 1);
  const below = Math.floor(position);
  const lower = sorted[below] as number;
  if (below + 1 >= n) return lower;
  return lower + (position - below) * ((sorted[below + 1] as number) - lower);
}

/**
 * Appends up to `limit` of the finite values in ys[from, to) to `into`, taken
 * at an even stride. With `positiveOnly` (log scale) only values > 0 count.
 */
export function strideSample(ys: ArrayLike<number>, from: number, to: number, limit: number, positiveOnly: boolean, into: number[]): void {
  const count = to - from;
  if (count <= 0 || limit <= 0) return;
  const stride = Math.max(1, Math.ceil(count / limit));
  for (let i = from; i < to; i += stride) {
    const value = ys[i] as number;
    if (Number.isFinite(value) && (!positiveOnly || value > 0)) into.push(value);
  }
}

/** The robust y-range of the sampled values, or undefined when there are none. */
export function robustRange(samples: readonly number[], log: boolean): { min: number; max: number } | undefined {
  const values = Float64Array.from(log ? samples.filter((value) => value > 0).map(Math.log10) : samples).sort();
  if (values.length === 0) return undefined;
  const low = quantileSorted(values, LOWER_QUANTILE);
  const high = quantileSorted(values, UPPER_QUANTILE);
  const span = high - low;
  const pad = span > 0 ? span * PADDING : Math.abs(low) * PADDING || (log ? 0.5 : 1);
  const min = low - pad;
  const max = high + pad;
  return log ? { min: 10 ** min, max: 10 ** max } : { min, max };
}
