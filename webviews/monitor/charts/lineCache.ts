/**
 * Per-series memory of the work behind a line: its points in the current x
 * mode, its smoothed values and its pyramid for downsampling. A series whose
 * arrays (by identity) and length are unchanged costs nothing. One that only
 * grew (at least as long as before, with the same last old point in every
 * column) is continued over its new points: O(new) for the coordinates, the
 * smoothing and the pyramid. Anything else (another x mode or origin, a
 * shorter series, a changed last point, new points that go back in x) starts
 * that series over. The store hands over new arrays when a series changes
 * and never rewrites points it keeps, except when it cuts a series, which
 * the last-point check notices unless the refilled point is identical.
 * Pure: no DOM.
 */
import { lineCoordinates, xSource, type LineCoords, type XAxisMode } from './axes';
import type { ChartSeries } from './chartModel';
import { ensureFloat64 } from './buffers';
import { LinePyramid } from './linePyramid';
import { LineSmoother, type SmoothedValues } from './lineSmoother';
import type { Smoothing } from './smoothing';

interface Entry {
  steps: Float64Array;
  values: Float64Array;
  wallTimes: Float64Array;
  epochs: Float64Array;
  length: number;
  /** The page's count of cuts of the series when read: another count means replaced points, not added ones. */
  cuts: number;
  /** The series' last point when read (steps, values, wall time, epoch), kept as numbers: its arrays may be rewritten in place. */
  last: [number, number, number, number];
  mode: XAxisMode;
  origin: number;
  /** Points of the x column read so far. */
  read: number;
  coords: LineCoords;
  /** Growable copies behind coords, when they are not views of the series' own columns (points dropped or shifted). */
  copy?: { x: Float64Array; y: Float64Array };
  /** Bumped whenever coords start over; what was built on an older generation starts over too. */
  generation: number;
  smoother: LineSmoother;
  smoothedGeneration: number;
  /** Pyramids for linear [0] and log [1] scales, built lazily. */
  pyramids: [Summary | undefined, Summary | undefined];
}

interface Summary {
  pyramid: LinePyramid;
  generation: number;
}

function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function lastPoint(series: ChartSeries): [number, number, number, number] {
  const i = series.values.length - 1;
  return [series.steps[i] as number, series.values[i] as number, series.wallTimes[i] as number, series.epochs[i] as number];
}

/** Whether `series` holds the points `entry` read, and maybe more after them. */
function grewFrom(entry: Entry, series: ChartSeries): boolean {
  if ((series.cuts ?? 0) !== entry.cuts) return false;
  const n = series.values.length;
  if (n < entry.length) return false;
  if (entry.length === 0) return true;
  const i = entry.length - 1;
  const [step, value, wallTime, epoch] = entry.last;
  return (
    sameNumber(series.steps[i] as number, step) &&
    sameNumber(series.values[i] as number, value) &&
    sameNumber(series.wallTimes[i] as number, wallTime) &&
    sameNumber(series.epochs[i] as number, epoch)
  );
}

export class LineCache {
  private readonly entries = new Map<string, Entry>();
  /** How many times each kind of work was done, from scratch or continued over new points (for tests and the bench). */
  readonly computed = { coords: 0, coordsExtended: 0, smoothed: 0, smoothedExtended: 0, summarised: 0, summariesExtended: 0 };

  /** The series' points in `mode` (`origin`: the run's start, for 'relative'). */
  coords(series: ChartSeries, mode: XAxisMode, origin: number): LineCoords {
    const entry = this.entries.get(series.key);
    const sameView = entry !== undefined && entry.mode === mode && (mode !== 'relative' || sameNumber(entry.origin, origin));
    if (
      entry &&
      sameView &&
      entry.steps === series.steps &&
      entry.values === series.values &&
      entry.wallTimes === series.wallTimes &&
      entry.epochs === series.epochs &&
      entry.length === series.values.length
    ) {
      return entry.coords;
    }
    if (entry && sameView && grewFrom(entry, series) && this.extend(entry, series)) {
      this.computed.coordsExtended++;
      this.remember(entry, series);
      return entry.coords;
    }

    this.computed.coords++;
    const coords = lineCoordinates(series, mode, origin);
    const source = xSource(series, mode);
    const isView = coords.x.buffer === source.buffer && coords.x.byteOffset === source.byteOffset;
    const fresh: Entry = {
      steps: series.steps,
      values: series.values,
      wallTimes: series.wallTimes,
      epochs: series.epochs,
      length: series.values.length,
      cuts: series.cuts ?? 0,
      last: lastPoint(series),
      mode,
      origin,
      read: Math.min(source.length, series.values.length),
      coords,
      generation: (entry?.generation ?? 0) + 1,
      // Their buffers are reused; the new generation makes them start over.
      smoother: entry?.smoother ?? new LineSmoother(),
      smoothedGeneration: -1,
      pyramids: entry?.pyramids ?? [undefined, undefined],
    };
    if (!isView) fresh.copy = { x: coords.x, y: coords.y };
    this.entries.set(series.key, fresh);
    return coords;
  }

  /** The smoothed values of the series' current coords (call coords() first); valid until the next call for this series. */
  smoothed(key: string, smoothing: Smoothing, span: number): SmoothedValues {
    const entry = this.entry(key);
    const counts = entry.smoother.counts;
    const full = counts.full;
    const continued = counts.continued;
    const values = entry.smoother.smooth(entry.coords.x, entry.coords.y, smoothing, span, entry.smoothedGeneration === entry.generation);
    entry.smoothedGeneration = entry.generation;
    this.computed.smoothed += counts.full - full;
    this.computed.smoothedExtended += counts.continued - continued;
    return values;
  }

  /** The pyramid of the series' current values (call coords() first); `positiveOnly` for a log scale. */
  summary(key: string, positiveOnly: boolean): LinePyramid {
    const entry = this.entry(key);
    const slot = positiveOnly ? 1 : 0;
    let summary = entry.pyramids[slot];
    if (!summary) {
      summary = { pyramid: new LinePyramid(positiveOnly), generation: -1 };
      entry.pyramids[slot] = summary;
    }
    const ys = entry.coords.y;
    if (summary.generation !== entry.generation) {
      summary.pyramid.build(ys);
      summary.generation = entry.generation;
      this.computed.summarised++;
    } else if (summary.pyramid.length < ys.length) {
      summary.pyramid.extend(ys);
      this.computed.summariesExtended++;
    }
    return summary.pyramid;
  }

  /** Forgets every series not in `keys`. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.entries.keys()) if (!keys.has(key)) this.entries.delete(key);
  }

  private entry(key: string): Entry {
    const entry = this.entries.get(key);
    if (!entry) throw new Error(`No coordinates cached for ${key}`);
    return entry;
  }

  private remember(entry: Entry, series: ChartSeries): void {
    entry.steps = series.steps;
    entry.values = series.values;
    entry.wallTimes = series.wallTimes;
    entry.epochs = series.epochs;
    entry.length = series.values.length;
    entry.cuts = series.cuts ?? 0;
    entry.last = lastPoint(series);
  }

  /**
   * Adds the series' points past those read to the coords. False (start
   * over) when a new x goes back, or when coords are views of the series'
   * columns and a new point has no x.
   */
  private extend(entry: Entry, series: ChartSeries): boolean {
    const source = xSource(series, entry.mode);
    const values = series.values;
    const n = Math.min(source.length, values.length);
    const from = entry.read;
    if (n < from) return false;
    const shift = entry.mode === 'relative' ? entry.origin : 0;
    const coords = entry.coords;
    let previous = coords.x.length > 0 ? (coords.x[coords.x.length - 1] as number) : -Infinity;
    let kept = 0;
    let nonFinite = 0;
    let nonPositive = 0;
    for (let i = from; i < n; i++) {
      const x = (source[i] as number) - shift;
      if (x - x !== 0) continue;
      if (x < previous) return false;
      previous = x;
      kept++;
      const value = values[i] as number;
      if (value - value !== 0) nonFinite++;
      else if (value <= 0) nonPositive++;
    }
    let x: Float64Array;
    let y: Float64Array;
    const copy = entry.copy;
    if (!copy) {
      if (kept !== n - from) return false;
      x = source.length === n ? source : source.subarray(0, n);
      y = values.length === n ? values : values.subarray(0, n);
    } else {
      const had = coords.x.length;
      const total = had + kept;
      copy.x = ensureFloat64(copy.x, total, had);
      copy.y = ensureFloat64(copy.y, total, had);
      let j = had;
      for (let i = from; i < n; i++) {
        const value = (source[i] as number) - shift;
        if (value - value !== 0) continue;
        copy.x[j] = value;
        copy.y[j++] = values[i] as number;
      }
      x = copy.x.subarray(0, total);
      y = copy.y.subarray(0, total);
    }
    entry.coords = { x, y, nonFinite: coords.nonFinite + nonFinite, nonPositive: coords.nonPositive + nonPositive };
    entry.read = n;
    return true;
  }
}
