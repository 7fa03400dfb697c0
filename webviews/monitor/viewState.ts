/**
 * The Training Monitor page's own UI state (smoothing, x-axis, scale, hidden
 * runs, filter, tab), saved with setState so a reload of the webview
 * restores it. Restoring validates field by field: a damaged or older state
 * falls back to defaults instead of breaking the page.
 */
import type { MonitorViewState } from '../../src/protocol/monitorView';

export const SMOOTHING_KINDS = ['ema', 'average', 'none'] as const;
export const X_AXES = ['step', 'epoch', 'relative', 'wall'] as const;
export const MONITOR_TABS = ['charts', 'runs', 'images', 'hparams'] as const;

export type SmoothingKind = MonitorViewState['smoothing']['kind'];
export type XAxis = MonitorViewState['xAxis'];
export type MonitorTab = MonitorViewState['tab'];

export const MAX_SMOOTHING_WEIGHT = 0.99;
const MAX_FILTER_LENGTH = 200;
/** Ids of hidden runs kept across reloads; runs that come back later stay hidden. */
const MAX_HIDDEN_RUNS = 1000;

export function defaultMonitorViewState(): MonitorViewState {
  return {
    smoothing: { kind: 'ema', weight: 0.6 },
    xAxis: 'step',
    logScale: false,
    ignoreOutliers: false,
    hiddenRuns: [],
    filter: '',
    tab: 'charts',
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function oneOf<T extends string>(choices: readonly T[], value: unknown, fallback: T): T {
  return choices.includes(value as T) ? (value as T) : fallback;
}

/** A smoothing weight within [0, 0.99]; undefined when the input is not a number. */
export function clampSmoothingWeight(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) return undefined;
  return Math.min(MAX_SMOOTHING_WEIGHT, Math.max(0, number));
}

/** The state to start from, given what getState returned (anything, or nothing). */
export function restoreMonitorViewState(saved: unknown): MonitorViewState {
  const state = defaultMonitorViewState();
  if (!isRecord(saved)) return state;
  if (isRecord(saved.smoothing)) {
    state.smoothing = {
      kind: oneOf(SMOOTHING_KINDS, saved.smoothing.kind, state.smoothing.kind),
      weight: clampSmoothingWeight(saved.smoothing.weight) ?? state.smoothing.weight,
    };
  }
  state.xAxis = oneOf(X_AXES, saved.xAxis, state.xAxis);
  if (typeof saved.logScale === 'boolean') state.logScale = saved.logScale;
  if (typeof saved.ignoreOutliers === 'boolean') state.ignoreOutliers = saved.ignoreOutliers;
  if (Array.isArray(saved.hiddenRuns)) {
    const ids = saved.hiddenRuns.filter((id): id is string => typeof id === 'string');
    state.hiddenRuns = [...new Set(ids)].slice(-MAX_HIDDEN_RUNS);
  }
  if (typeof saved.filter === 'string') state.filter = saved.filter.slice(0, MAX_FILTER_LENGTH);
  state.tab = oneOf(MONITOR_TABS, saved.tab, state.tab);
  return state;
}

/** The ids of the runs shown, in run-list order. */
export function visibleRunIds(runs: ReadonlyArray<{ id: string }>, hiddenRuns: readonly string[]): string[] {
  const hidden = new Set(hiddenRuns);
  return runs.filter((run) => !hidden.has(run.id)).map((run) => run.id);
}

/** Shows or hides one run; returns the new hidden list (at most MAX_HIDDEN_RUNS, newest kept). */
export function setRunHidden(hiddenRuns: readonly string[], runId: string, hidden: boolean): string[] {
  const rest = hiddenRuns.filter((id) => id !== runId);
  if (hidden) rest.push(runId);
  return rest.slice(-MAX_HIDDEN_RUNS);
}

/** Hides every run but one (runs not in the list keep their setting). */
export function showOnlyRun(hiddenRuns: readonly string[], runs: ReadonlyArray<{ id: string }>, runId: string): string[] {
  const listed = new Set(runs.map((run) => run.id));
  const others = runs.filter((run) => run.id !== runId).map((run) => run.id);
  return [...hiddenRuns.filter((id) => !listed.has(id)), ...others].slice(-MAX_HIDDEN_RUNS);
}
