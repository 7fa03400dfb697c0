/**
 * Which way is better for a metric, from its name: the host (status bar,
 * divergence notices) and the Training Monitor page (best values, chart
 * order) decide it the same way. Pure: no vscode, no DOM.
 */

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

/** Losses and errors: where up means worse (and a climb past the start means divergence). */
export function isLossMetric(name: string): boolean {
  return metricGoal(name) === 'min';
}
