/**
 * Every run's series as the page holds them: a snapshot replaces all, an
 * append cuts a series to `from` points and adds the new ones. Columns grow
 * by doubling, so an append of a few points costs a few writes, not a copy
 * of a million-point array; readers get exact-length subarray views. The
 * store takes ownership of the arrays it is given (it may write into them).
 */
import type { SeriesAppend, SeriesData } from '../../src/protocol/monitorView';
import type { ChartSeries } from './charts/chartModel';

/** The smallest and largest finite value of a series; NaN when it has none. */
export interface Extremes {
  min: number;
  max: number;
}

const MIN_CAPACITY = 16;
const COLUMNS = ['steps', 'values', 'wallTimes', 'epochs'] as const;
type ColumnName = (typeof COLUMNS)[number];

/**
 * A typed column from a message. The host posts Float64Arrays; a JSON round
 * trip turns one into an array or an index-keyed object, read here the same.
 */
function toFloat64(value: unknown, length: number | undefined): Float64Array | undefined {
  if (value instanceof Float64Array) return value;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return undefined;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Float64Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return Float64Array.from(value, (item) => (typeof item === 'number' ? item : Number.NaN));
  if (typeof value === 'object' && value !== null && length !== undefined) {
    const record = value as Record<string, unknown>;
    return Float64Array.from({ length }, (_, index) => {
      const item = record[index];
      return typeof item === 'number' ? item : Number.NaN;
    });
  }
  return undefined;
}

/** The number of index keys of a JSON-shaped column, counted without building anything large. */
function objectLength(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return undefined;
  let length = 0;
  while (Object.prototype.hasOwnProperty.call(value, length)) length += 1;
  return length;
}

interface Columns {
  steps: Float64Array;
  values: Float64Array;
  wallTimes: Float64Array;
  epochs: Float64Array;
  length: number;
}

/** The four columns of a message's series, equal in length; undefined when steps or values are missing. */
function readColumns(series: SeriesData): Columns | undefined {
  const steps = toFloat64(series.steps, objectLength(series.steps));
  const values = toFloat64(series.values, objectLength(series.values));
  if (!steps || !values) return undefined;
  const length = Math.min(steps.length, values.length);
  const optional = (column: unknown): Float64Array => {
    const data = toFloat64(column, objectLength(column));
    if (data && data.length >= length) return data;
    const padded = new Float64Array(length).fill(Number.NaN);
    if (data) padded.set(data);
    return padded;
  };
  return { steps, values, wallTimes: optional(series.wallTimes), epochs: optional(series.epochs), length };
}

function isSeriesHeader(series: unknown): series is SeriesData {
  if (typeof series !== 'object' || series === null) return false;
  const candidate = series as Partial<SeriesData>;
  return typeof candidate.key === 'string' && typeof candidate.runId === 'string' && typeof candidate.tag === 'string' && typeof candidate.metric === 'string';
}

function extremesOf(values: Float64Array, start: number, end: number, into: Extremes): void {
  for (let index = start; index < end; index++) {
    const value = values[index] as number;
    if (!Number.isFinite(value)) continue;
    if (!(value >= into.min)) into.min = value;
    if (!(value <= into.max)) into.max = value;
  }
}

class StoredSeries {
  readonly key: string;
  readonly runId: string;
  tag: string;
  metric: string;
  split: string | undefined;
  length = 0;
  private columns: Record<ColumnName, Float64Array>;
  readonly extremes: Extremes = { min: Number.NaN, max: Number.NaN };
  private view: ChartSeries | undefined;
  /** How often points were cut (the charts then start the series over). */
  private cuts = 0;

  constructor(header: SeriesData, columns?: Columns) {
    this.key = header.key;
    this.runId = header.runId;
    this.tag = header.tag;
    this.metric = header.metric;
    this.split = typeof header.split === 'string' ? header.split : undefined;
    if (columns) {
      this.columns = { steps: columns.steps, values: columns.values, wallTimes: columns.wallTimes, epochs: columns.epochs };
      this.length = columns.length;
      extremesOf(columns.values, 0, this.length, this.extremes);
    } else {
      this.columns = { steps: new Float64Array(0), values: new Float64Array(0), wallTimes: new Float64Array(0), epochs: new Float64Array(0) };
    }
  }

  get capacity(): number {
    return this.columns.steps.length;
  }

  updateHeader(header: SeriesData): void {
    if (header.tag !== this.tag || header.metric !== this.metric || header.split !== this.split) {
      this.tag = header.tag;
      this.metric = header.metric;
      this.split = typeof header.split === 'string' ? header.split : undefined;
      this.view = undefined;
    }
  }

  /** Drops the points from `length` on. */
  cut(length: number): void {
    if (length >= this.length) return;
    this.length = length;
    this.cuts++;
    this.extremes.min = Number.NaN;
    this.extremes.max = Number.NaN;
    extremesOf(this.columns.values, 0, length, this.extremes);
    this.view = undefined;
  }

  append(columns: Columns): void {
    if (columns.length === 0) return;
    const needed = this.length + columns.length;
    if (needed > this.capacity) this.grow(needed);
    for (const name of COLUMNS) this.columns[name].set(columns[name].subarray(0, columns.length), this.length);
    extremesOf(this.columns.values, this.length, needed, this.extremes);
    this.length = needed;
    this.view = undefined;
  }

  private grow(needed: number): void {
    const capacity = Math.max(needed, this.capacity * 2, MIN_CAPACITY);
    for (const name of COLUMNS) {
      const grown = new Float64Array(capacity);
      grown.set(this.columns[name].subarray(0, this.length));
      this.columns[name] = grown;
    }
  }

  /** The series with exact-length views of its columns; the same object until the series changes. */
  data(): ChartSeries {
    if (!this.view) {
      const view: ChartSeries = {
        cuts: this.cuts,
        key: this.key,
        runId: this.runId,
        tag: this.tag,
        metric: this.metric,
        steps: this.columns.steps.subarray(0, this.length),
        values: this.columns.values.subarray(0, this.length),
        wallTimes: this.columns.wallTimes.subarray(0, this.length),
        epochs: this.columns.epochs.subarray(0, this.length),
      };
      if (this.split !== undefined) view.split = this.split;
      this.view = view;
    }
    return this.view;
  }
}

export interface AppendResult {
  /** Whether any series changed. */
  changed: boolean;
  /** Post a `resync` now: an append did not follow on, and none was asked for since the last snapshot. */
  resync: boolean;
}

export class SeriesStore {
  private readonly byKey = new Map<string, StoredSeries>();
  private resyncRequested = false;
  /** Messages' series skipped as malformed (no key, no steps or values). */
  skipped = 0;

  /** Replaces every series. */
  applySnapshot(series: readonly SeriesData[]): void {
    this.byKey.clear();
    this.resyncRequested = false;
    for (const item of series) {
      const columns = isSeriesHeader(item) ? readColumns(item) : undefined;
      if (!columns) {
        this.skipped += 1;
        continue;
      }
      this.byKey.set(item.key, new StoredSeries(item, columns));
    }
  }

  /** Applies appends in order; an append that starts past a series' end is skipped and asks for a resync. */
  applyAppend(appends: readonly SeriesAppend[]): AppendResult {
    let changed = false;
    let missed = false;
    for (const item of appends) {
      const columns = isSeriesHeader(item) ? readColumns(item) : undefined;
      if (!columns) {
        this.skipped += 1;
        continue;
      }
      let stored = this.byKey.get(item.key);
      const from = item.from;
      if (typeof from !== 'number' || !Number.isInteger(from) || from < 0 || from > (stored?.length ?? 0)) {
        missed = true;
        continue;
      }
      if (!stored) {
        stored = new StoredSeries(item);
        this.byKey.set(item.key, stored);
      } else {
        stored.updateHeader(item);
      }
      if (from < stored.length || columns.length > 0) changed = true;
      stored.cut(from);
      stored.append(columns);
    }
    const resync = missed && !this.resyncRequested;
    if (resync) this.resyncRequested = true;
    return { changed, resync };
  }

  /** Keeps only the series of these runs (the run list was replaced). Returns whether any were dropped. */
  retainRuns(runIds: Iterable<string>): boolean {
    const keep = new Set(runIds);
    let dropped = false;
    for (const [key, stored] of this.byKey) {
      if (keep.has(stored.runId)) continue;
      this.byKey.delete(key);
      dropped = true;
    }
    return dropped;
  }

  /** Every series, in the order they first arrived. */
  all(): ChartSeries[] {
    return [...this.byKey.values()].map((stored) => stored.data());
  }

  get(key: string): ChartSeries | undefined {
    return this.byKey.get(key)?.data();
  }

  extremes(key: string): Extremes | undefined {
    const stored = this.byKey.get(key);
    return stored ? { ...stored.extremes } : undefined;
  }

  /** Allocated points of a series (for tests of the growth policy). */
  capacity(key: string): number {
    return this.byKey.get(key)?.capacity ?? 0;
  }

  get size(): number {
    return this.byKey.size;
  }
}
