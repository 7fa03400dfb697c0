/** The status-bar line of the active run: `cnn-baseline · epoch 3/20 · loss 0.412 · ETA 2m`. */
import type { RunView } from '../protocol/monitorView';
import { isLossMetric } from './metricGoal';
import type { RunTracker, TrackedSeries } from './runTracker';

/** `45s`, `2m`, `1h 05m`: coarse on purpose, it changes every second otherwise. */
export function shortDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds - hours * 3600) / 60);
  return `${hours}h ${String(minutes).padStart(2, '0')}m`;
}

export function shortValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(2);
  return String(Number(value.toPrecision(3)));
}

/** The training loss if the run logs one (`loss` on train or no split), else its first loss-like series. */
export function mainLoss(run: RunTracker): TrackedSeries | undefined {
  const all = [...run.series.values()].filter((series) => series.columns.length > 0);
  const isTrain = (series: TrackedSeries) => series.split === undefined || series.split === 'train';
  return (
    all.find((series) => series.metric === 'loss' && isTrain(series)) ??
    all.find((series) => isLossMetric(series.metric) && isTrain(series)) ??
    all.find((series) => isLossMetric(series.metric))
  );
}

export function statusText(view: RunView, loss: TrackedSeries | undefined): string {
  const parts = [view.name.split('/').pop() ?? view.name];
  if (view.epoch !== undefined) parts.push(view.plannedEpochs !== undefined ? `epoch ${view.epoch}/${view.plannedEpochs}` : `epoch ${view.epoch}`);
  else if (view.step !== undefined) parts.push(view.plannedSteps !== undefined ? `step ${view.step}/${view.plannedSteps}` : `step ${view.step}`);
  if (loss) parts.push(`${loss.metric} ${shortValue(loss.columns.valueAt(loss.columns.length - 1))}`);
  if (view.etaSeconds !== undefined) parts.push(`ETA ${shortDuration(view.etaSeconds)}`);
  return parts.join(' · ');
}
