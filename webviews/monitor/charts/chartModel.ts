/**
 * Which charts to draw and which lines each holds: one chart per metric
 * (loss-like metrics first, then by name), one line per visible run and
 * split, runs in the runs list's order. The filter picks metrics by name:
 * text that is a valid regular expression is used as one (case-insensitive,
 * so `loss|acc` or `^val`), anything else (`acc(`) as plain text; plain
 * words match as substrings either way. Pure: no DOM.
 */
import { isLossMetric } from '../../../src/monitor/metricGoal';
import type { SeriesData } from '../../../src/protocol/monitorView';

/**
 * A series as the page hands it to the charts. `cuts` counts how often the
 * page cut it (a resumed or rewritten log): a new count means its points were
 * replaced, not extended, even if the last point looks the same.
 */
export type ChartSeries = SeriesData & { readonly cuts?: number };

export interface ChartRun {
  id: string;
  name: string;
  colour: string;
  visible: boolean;
  /** Unix seconds. */
  started?: number;
}

export type SplitKind = 'train' | 'val' | 'test' | 'other';

/** Line dash per split, in CSS px: train solid, validation dashed, test dotted. */
export const SPLIT_DASH: Record<SplitKind, number[]> = {
  train: [],
  val: [6, 4],
  test: [1.5, 3],
  other: [8, 3, 2, 3],
};

const SPLIT_NAMES: Record<string, SplitKind> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  eval: 'val',
  evaluation: 'val',
  dev: 'val',
  test: 'test',
  testing: 'test',
};

/** A series without a split is drawn like training (solid). */
export function splitKind(split: string | undefined): SplitKind {
  if (split === undefined || split === '') return 'train';
  return SPLIT_NAMES[split.toLowerCase()] ?? 'other';
}

const SPLIT_ORDER: Record<SplitKind, number> = { train: 0, val: 1, test: 2, other: 3 };

export interface ChartLine {
  /** The series' key: unique. */
  key: string;
  series: SeriesData;
  run: ChartRun;
  split?: string;
  dash: number[];
  /** `run name · split`. */
  label: string;
}

export interface ChartPlan {
  metric: string;
  lines: ChartLine[];
  /** All logged points of these lines (finite or not), before any x-axis mode drops some. */
  points: number;
}

export interface ChartsPlan {
  charts: ChartPlan[];
  /** Series of visible runs, before the filter. */
  visibleSeries: number;
  /** Metrics hidden by the filter. */
  filteredOut: number;
}

/** The metric-name test for a filter text; an empty filter matches everything. */
export function metricMatcher(filter: string): (metric: string) => boolean {
  const text = filter.trim();
  if (text === '') return () => true;
  try {
    const pattern = new RegExp(text, 'i');
    return (metric) => pattern.test(metric);
  } catch {
    const lower = text.toLowerCase();
    return (metric) => metric.toLowerCase().includes(lower);
  }
}

/** Loss-like metrics first, then by name (numbers in names in numeric order). */
export function compareMetrics(a: string, b: string): number {
  const rank = (metric: string): number => (isLossMetric(metric) ? 0 : 1);
  return rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Groups the visible runs' series into charts. Series of runs not in `runs` are drawn under their run id. */
export function planCharts(runs: readonly ChartRun[], series: readonly SeriesData[], filter: string): ChartsPlan {
  const runOrder = new Map(runs.map((run, index) => [run.id, index]));
  const runById = new Map(runs.map((run) => [run.id, run]));
  const matches = metricMatcher(filter);
  const byMetric = new Map<string, ChartLine[]>();
  const filtered = new Set<string>();
  let visibleSeries = 0;
  for (const item of series) {
    const run = runById.get(item.runId) ?? { id: item.runId, name: item.runId, colour: '', visible: true };
    if (!run.visible) continue;
    visibleSeries++;
    if (!matches(item.metric)) {
      filtered.add(item.metric);
      continue;
    }
    const kind = splitKind(item.split);
    const line: ChartLine = {
      key: item.key,
      series: item,
      run,
      split: item.split,
      dash: SPLIT_DASH[kind],
      label: item.split ? `${run.name} · ${item.split}` : run.name,
    };
    const lines = byMetric.get(item.metric);
    if (lines) lines.push(line);
    else byMetric.set(item.metric, [line]);
  }

  const charts: ChartPlan[] = [...byMetric.entries()]
    .sort(([a], [b]) => compareMetrics(a, b))
    .map(([metric, lines]) => {
      lines.sort(
        (a, b) =>
          (runOrder.get(a.run.id) ?? runs.length) - (runOrder.get(b.run.id) ?? runs.length) ||
          a.run.id.localeCompare(b.run.id) ||
          SPLIT_ORDER[splitKind(a.split)] - SPLIT_ORDER[splitKind(b.split)] ||
          (a.split ?? '').localeCompare(b.split ?? '') ||
          a.key.localeCompare(b.key),
      );
      return { metric, lines, points: lines.reduce((sum, line) => sum + line.series.values.length, 0) };
    });
  return { charts, visibleSeries, filteredOut: filtered.size };
}
