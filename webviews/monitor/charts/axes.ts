/**
 * The x-axis modes: which column of a series becomes x, and the points each
 * mode can place. 'step' and 'epoch' use those columns; 'relative' is seconds
 * since the run's first wall time; 'wall' is the wall time itself (Unix
 * seconds, uPlot's time scale). Points without the needed field are dropped
 * for that mode; values that are not finite stay (they become markers).
 * Pure: no DOM.
 */
import type { MonitorViewState, SeriesData } from '../../../src/protocol/monitorView';

export type XAxisMode = MonitorViewState['xAxis'];

/** One line's points in the current x mode: x ascending and finite, y as logged. */
export interface LineCoords {
  x: Float64Array;
  y: Float64Array;
  /** Values that are NaN or infinite (drawn as markers). */
  nonFinite: number;
  /** Finite values <= 0 (a log scale cannot draw them). */
  nonPositive: number;
}

export const X_AXIS_LABELS: Record<XAxisMode, string> = {
  step: 'Step',
  epoch: 'Epoch',
  relative: 'Relative time',
  wall: 'Wall time',
};

/** The column a mode takes x from. */
export function xSource(series: SeriesData, mode: XAxisMode): Float64Array {
  switch (mode) {
    case 'step':
      return series.steps;
    case 'epoch':
      return series.epochs;
    case 'relative':
    case 'wall':
      return series.wallTimes;
  }
}

/** The first finite value of a column (logs are written in time order), else NaN. */
export function firstFinite(values: Float64Array): number {
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) return values[i] as number;
  return NaN;
}

/** Where 'relative' time starts for a run: its start time when known, else the earliest first wall time of its series. */
export function runOrigin(seriesOfRun: readonly SeriesData[], started?: number): number {
  if (started !== undefined && Number.isFinite(started)) return started;
  let origin = NaN;
  for (const series of seriesOfRun) {
    const first = firstFinite(series.wallTimes);
    if (Number.isFinite(first) && !(first >= origin)) origin = first;
  }
  return origin;
}

/**
 * The line's points for `mode`. `origin` is the run's start for 'relative'
 * (ignored otherwise). Reuses the series' own arrays when nothing is dropped
 * or reordered; never changes them.
 */
export function lineCoordinates(series: SeriesData, mode: XAxisMode, origin = 0): LineCoords {
  const source = xSource(series, mode);
  const n = Math.min(source.length, series.values.length);
  const shift = mode === 'relative' ? origin : 0;
  // One pass to learn what to keep and count; a second only when points must be dropped or moved.
  let kept = 0;
  let sorted = true;
  let previous = -Infinity;
  let nonFinite = 0;
  let nonPositive = 0;
  for (let i = 0; i < n; i++) {
    const x = (source[i] as number) - shift;
    if (x - x !== 0) continue; // not finite
    kept++;
    if (x < previous) sorted = false;
    previous = x;
    const value = series.values[i] as number;
    if (value - value !== 0) nonFinite++;
    else if (value <= 0) nonPositive++;
  }

  let x: Float64Array;
  let y: Float64Array;
  if (kept === n && sorted && shift === 0) {
    x = source.length === n ? source : source.subarray(0, n);
    y = series.values.length === n ? series.values : series.values.subarray(0, n);
  } else if (sorted) {
    x = new Float64Array(kept);
    y = new Float64Array(kept);
    let j = 0;
    for (let i = 0; i < n; i++) {
      const value = (source[i] as number) - shift;
      if (value - value !== 0) continue;
      x[j] = value;
      y[j++] = series.values[i] as number;
    }
  } else {
    const order = new Uint32Array(kept);
    let k = 0;
    for (let i = 0; i < n; i++) if (Number.isFinite((source[i] as number) - shift)) order[k++] = i;
    // Stable: equal xs keep their logged order.
    order.sort((a, b) => (source[a] as number) - (source[b] as number) || a - b);
    x = new Float64Array(kept);
    y = new Float64Array(kept);
    for (let j = 0; j < kept; j++) {
      const i = order[j] as number;
      x[j] = (source[i] as number) - shift;
      y[j] = series.values[i] as number;
    }
  }
  return { x, y, nonFinite, nonPositive };
}

/** The x-extent of several lines (each ascending); undefined when none has a point. */
export function xExtent(lines: readonly LineCoords[]): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const line of lines) {
    if (line.x.length === 0) continue;
    min = Math.min(min, line.x[0] as number);
    max = Math.max(max, line.x[line.x.length - 1] as number);
  }
  return min <= max ? { min, max } : undefined;
}

/** Nice tick spacings for relative time, in seconds. */
export const DURATION_INCREMENTS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
  86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000,
];
