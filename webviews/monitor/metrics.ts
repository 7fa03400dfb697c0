/**
 * Which way is better for a metric, and the last and best values the runs
 * table shows for a run's main metric.
 */
import type { SeriesData } from '../../src/protocol/monitorView';
import { metricGoal, type MetricGoal } from '../../src/monitor/metricGoal';
import type { Extremes } from './seriesStore';

export { metricGoal, type MetricGoal };

const SPLIT_ORDER = ['train', 'training', 'val', 'valid', 'validation', 'test', 'eval', 'evaluation'];

function splitRank(split: string | undefined): number {
  if (split === undefined || split === '') return -1;
  const rank = SPLIT_ORDER.indexOf(split.toLowerCase());
  return rank < 0 ? SPLIT_ORDER.length : rank;
}

/**
 * The series the runs table summarises for one run: every split of `loss`
 * when the run logs it, else of the run's first metric (in arrival order);
 * train before val before test.
 */
export function mainMetricSeries<Series extends Pick<SeriesData, 'metric' | 'split'>>(runSeries: readonly Series[]): Series[] {
  const first = runSeries[0];
  if (!first) return [];
  const metric = runSeries.some((series) => series.metric === 'loss') ? 'loss' : first.metric;
  return runSeries
    .map((series, index) => ({ series, index }))
    .filter(({ series }) => series.metric === metric)
    .sort((a, b) => splitRank(a.series.split) - splitRank(b.series.split) || a.index - b.index)
    .map(({ series }) => series);
}

export interface MetricSummary {
  /** `val loss`, or the metric alone when the series has no split. */
  label: string;
  /** The latest value (NaN and ±Infinity included); undefined when the series is empty. */
  last: number | undefined;
  /** The best finite value so far; undefined when the goal is unknown or nothing is finite. */
  best: number | undefined;
  goal: MetricGoal | undefined;
}

/** The last value and the best one (the lowest of a loss, the highest of a score). */
export function summariseSeries(series: Pick<SeriesData, 'metric' | 'split' | 'values'>, extremes: Extremes): MetricSummary {
  const goal = metricGoal(series.metric);
  const length = series.values.length;
  const best = goal === 'min' ? extremes.min : goal === 'max' ? extremes.max : Number.NaN;
  return {
    label: series.split ? `${series.split} ${series.metric}` : series.metric,
    last: length > 0 ? series.values[length - 1] : undefined,
    best: Number.isFinite(best) ? best : undefined,
    goal,
  };
}

