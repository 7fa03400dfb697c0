/**
 * Which way is better for a metric, and the last and best values the runs
 * table shows for a run's main metric.
 */
import type { SeriesData } from '../../src/protocol/monitorView';
import type { Extremes } from './seriesStore';

export type MetricGoal = 'min' | 'max';

/** Losses and errors: lower is better. These win over MAXIMISED (`dice_loss` is a loss). */
const MINIMISED = new Set([
  'loss', 'losses', 'error', 'errors', 'err', 'mae', 'mse', 'rmse', 'msle', 'rmsle', 'mape', 'smape',
  'nll', 'crossentropy', 'xent', 'ce', 'bce', 'perplexity', 'ppl', 'wer', 'cer', 'ter', 'fid', 'kld', 'kl', 'divergence', 'hinge', 'huber',
]);

/** Scores: higher is better. */
const MAXIMISED = new Set([
  'acc', 'accuracy', 'auc', 'auroc', 'auprc', 'f1', 'fscore', 'fbeta', 'precision', 'recall', 'iou', 'miou', 'dice', 'jaccard',
  'ap', 'map', 'bleu', 'rouge', 'meteor', 'r2', 'psnr', 'ssim', 'mcc', 'kappa', 'specificity', 'sensitivity', 'top', 'reward', 'return',
]);

/** The words of a metric name: `val_loss` → val, loss; `meanIoU` → mean, io, u; `top5Acc` → top5, acc. */
function words(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

function wordGoal(word: string): MetricGoal | undefined {
  // `acc1`, `top5`, `ap50`: the word without its number counts too (but `r2`, `f1` are names of their own).
  const bare = word.replace(/\d+$/, '');
  const candidates = bare && bare !== word ? [word, bare] : [word];
  if (candidates.some((candidate) => MINIMISED.has(candidate))) return 'min';
  if (candidates.some((candidate) => MAXIMISED.has(candidate))) return 'max';
  return undefined;
}

/**
 * Whether lower (`min`) or higher (`max`) values of a metric are better,
 * from its name; undefined when the name does not say (`lr`, `grad_norm`).
 * Losses and errors (loss, error, mae, mse, rmse, nll, cross-entropy,
 * perplexity, wer/cer, fid, kl…) are minimised; scores (acc, accuracy, auc,
 * f1, precision, recall, iou, dice, jaccard, ap/map, bleu, rouge, r2, psnr,
 * ssim, reward…) maximised. A name with both is a loss (`dice_loss`).
 */
export function metricGoal(name: string): MetricGoal | undefined {
  const goals = words(name).map(wordGoal);
  if (goals.includes('min')) return 'min';
  if (goals.includes('max')) return 'max';
  // Written as one word: `valloss`, `trainacc`, `meaniou` (but not `accumulated`).
  const compact = name.toLowerCase();
  if (/(loss|error|perplexity|entropy)\d*$/.test(compact)) return 'min';
  if (/(acc|accuracy|precision|recall|iou|dice|auc|f1)\d*$/.test(compact)) return 'max';
  return undefined;
}

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

