/**
 * Per-series memory of the work behind a line: its points in the current x
 * mode and its smoothed values. A series is recomputed only when its arrays
 * (by identity) or length, the x mode, the run's origin or the smoothing
 * change, so when training appends points to one series the others cost
 * nothing. The store must hand over new arrays when a series' contents
 * change (typed arrays cannot grow in place, so appends do). Pure: no DOM.
 */
import { lineCoordinates, type LineCoords, type XAxisMode } from './axes';
import type { SeriesData } from '../../../src/protocol/monitorView';
import { smoothLine, type Smoothing } from './smoothing';

interface Entry {
  steps: Float64Array;
  values: Float64Array;
  wallTimes: Float64Array;
  epochs: Float64Array;
  length: number;
  mode: XAxisMode;
  origin: number;
  coords: LineCoords;
  smoothed?: { coords: LineCoords; kind: Smoothing['kind']; weight: number; span: number; values: Float64Array };
}

function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

export class LineCache {
  private readonly entries = new Map<string, Entry>();
  /** How many times each kind of work was done (for tests and the bench). */
  readonly computed = { coords: 0, smoothed: 0 };

  /** The series' points in `mode` (`origin`: the run's start, for 'relative'). */
  coords(series: SeriesData, mode: XAxisMode, origin: number): LineCoords {
    const entry = this.entries.get(series.key);
    if (
      entry &&
      entry.steps === series.steps &&
      entry.values === series.values &&
      entry.wallTimes === series.wallTimes &&
      entry.epochs === series.epochs &&
      entry.length === series.values.length &&
      entry.mode === mode &&
      (mode !== 'relative' || sameNumber(entry.origin, origin))
    ) {
      return entry.coords;
    }
    this.computed.coords++;
    const coords = lineCoordinates(series, mode, origin);
    this.entries.set(series.key, {
      steps: series.steps,
      values: series.values,
      wallTimes: series.wallTimes,
      epochs: series.epochs,
      length: series.values.length,
      mode,
      origin,
      coords,
    });
    return coords;
  }

  /** The smoothed values of the series' current coords (call coords() first). */
  smoothed(key: string, smoothing: Smoothing, span: number): Float64Array {
    const entry = this.entries.get(key);
    if (!entry) throw new Error(`No coordinates cached for ${key}`);
    const cached = entry.smoothed;
    if (cached && cached.coords === entry.coords && cached.kind === smoothing.kind && cached.weight === smoothing.weight && cached.span === span) {
      return cached.values;
    }
    this.computed.smoothed++;
    const values = smoothLine(entry.coords.x, entry.coords.y, smoothing, span);
    entry.smoothed = { coords: entry.coords, kind: smoothing.kind, weight: smoothing.weight, span, values };
    return values;
  }

  /** Forgets every series not in `keys`. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.entries.keys()) if (!keys.has(key)) this.entries.delete(key);
  }
}
