/** Summary statistics of a tensor's values: one pass, NaN and Inf counted apart from the rest. */
import type { ValueStats } from '../protocol/model';

export function valueStats(values: ArrayLike<number>): ValueStats {
  let count = 0;
  // Welford's running mean and sum of squared deviations: exact enough far from zero too.
  let mean = 0;
  let squaredDeviations = 0;
  let min = Infinity;
  let max = -Infinity;
  let zeros = 0;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (Number.isNaN(value)) {
      nan++;
      continue;
    }
    if (!Number.isFinite(value)) {
      inf++;
      continue;
    }
    count++;
    const delta = value - mean;
    mean += delta / count;
    squaredDeviations += delta * (value - mean);
    if (value < min) min = value;
    if (value > max) max = value;
    if (value === 0) zeros++;
  }
  if (count === 0) return { mean: 0, std: 0, min: 0, max: 0, zeros: 0, nan, inf };
  return { mean, std: Math.sqrt(squaredDeviations / count), min, max, zeros: zeros / values.length, nan, inf };
}
