/**
 * Problems worth one notification while a run trains: a metric became NaN
 * or infinite, or the training loss diverged. Looked for only in points
 * written while the monitor watched, never in history read on opening.
 */
import { isLossMetric } from './metricGoal';
import type { PollResult, RunTracker, TrackedSeries } from './runTracker';

export interface TrainingProblem {
  kind: 'non-finite' | 'diverging';
  metric: string;
  split?: string;
  step: number;
  value: number;
}

/** Points before a climb counts: early noise is not divergence. */
const MIN_POINTS = 10;
/** The last points, all of them above the threshold. */
const CONFIRM_POINTS = 3;

/**
 * A loss diverges when its last CONFIRM_POINTS finite values all exceed both
 * 1.5 × its first value (worse than the untrained model) and 3 × its best
 * value so far (not just noise around a plateau).
 */
export function isDiverging(values: ArrayLike<number>, length: number): boolean {
  let first: number | undefined;
  let best = Infinity;
  let finite = 0;
  for (let i = 0; i < length; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value)) continue;
    finite++;
    first ??= value;
    if (value < best) best = value;
  }
  if (first === undefined || finite < MIN_POINTS + CONFIRM_POINTS || !(first > 0) || !(best > 0)) return false;
  const threshold = Math.max(1.5 * first, 3 * best);
  let confirmed = 0;
  for (let i = length - 1; i >= 0 && confirmed < CONFIRM_POINTS; i--) {
    const value = values[i]!;
    if (!Number.isFinite(value)) continue;
    if (value <= threshold) return false;
    confirmed++;
  }
  return confirmed === CONFIRM_POINTS;
}

/** The first problem in the points of `series` from index `from` on, if any. */
export function findProblem(series: TrackedSeries, from: number): TrainingProblem | undefined {
  const columns = series.columns;
  const base = { metric: series.metric, ...(series.split !== undefined ? { split: series.split } : {}) };
  for (let i = from; i < columns.length; i++) {
    const value = columns.valueAt(i);
    if (!Number.isFinite(value)) return { kind: 'non-finite', ...base, step: columns.stepAt(i), value };
  }
  if (isLossMetric(series.metric) && series.split !== 'val' && series.split !== 'test' && columns.length > from) {
    if (isDiverging(columns.valueView(), columns.length)) {
      const last = columns.length - 1;
      return { kind: 'diverging', ...base, step: columns.stepAt(last), value: columns.valueAt(last) };
    }
  }
  return undefined;
}

export function problemMessage(runName: string, problem: TrainingProblem): string {
  const what = problem.split && problem.split !== 'train' ? `${problem.split} ${problem.metric}` : problem.metric;
  if (problem.kind === 'non-finite') return `Run ${runName}: ${what} became ${problem.value} at step ${problem.step}.`;
  return `Run ${runName}: ${what} is diverging (${problem.value.toPrecision(4)} at step ${problem.step}, above where it started).`;
}

/** Remembers which problems were told, so each run gets at most one notice per kind. */
export class ProblemWatch {
  private readonly told = new Set<string>();

  /** Messages for problems in points this poll added to a run watched live, each told once. */
  check(runName: string, tracker: RunTracker, result: PollResult): string[] {
    if (!tracker.live) return [];
    const messages: string[] = [];
    for (const { series, from } of result.grown) {
      const problem = findProblem(series, from);
      if (!problem) continue;
      const key = `${tracker.id}\u0000${problem.kind}`;
      if (this.told.has(key)) continue;
      this.told.add(key);
      messages.push(problemMessage(runName, problem));
    }
    return messages;
  }
}
