/**
 * One run as the monitor keeps it on the host: a reader per log file, the
 * whole history of every series, what the log says about the run, its
 * images and problems. `poll()` reads what was appended; `takeAppends()`
 * hands out what changed since it was last asked, so the panel receives
 * every point once, in order.
 */
import * as path from 'node:path';
import { errorText } from '../formats/errors';
import type { LogReader } from '../formats/logReader';
import { readerForFile, type RunSource } from '../formats/runDiscovery';
import type { HyperParameters, ImageRecord, LogUpdate, RunInfo, ScalarSeries } from '../protocol/monitor';
import type { GalleryImage, SeriesAppend, SeriesData } from '../protocol/monitorView';
import { GALLERY_LIMIT, SampleImages } from './sampleImages';
import { SeriesColumns } from './seriesColumns';

const MAX_WARNINGS = 50;
/** Bytes one reader poll may read before its points are stored: bounds what a huge file holds in flight. */
export const POLL_BYTES = 16 * 1024 * 1024;
/** Points kept per series (32 bytes each); beyond, older points are thinned for the charts. */
export const MAX_SERIES_POINTS = 2_000_000;
/** Bounded reads per file in one poll (1 GB): a file growing faster than it is read cannot hold a poll forever. */
const MAX_READS_PER_POLL = 64;

export interface TrackedSeries {
  key: string;
  tag: string;
  metric: string;
  split?: string;
  columns: SeriesColumns;
  /** The files whose points it holds: a rewritten file voids them. */
  files: Set<string>;
  /** The first index not yet handed out by takeAppends() (Infinity: nothing new). */
  dirtyFrom: number;
  /** Older points were thinned to keep memory bounded: the series no longer holds every point logged. */
  thinned: boolean;
}

/** What one poll changed. */
export interface PollResult {
  /** Series that received points (or lost some), with the index their new points start at. */
  grown: { series: TrackedSeries; from: number }[];
  /** Run facts, hyper-parameters, images or warnings changed. */
  metaChanged: boolean;
}

export interface TrackerOptions {
  now?: () => number;
  /**
   * The run appeared while the monitor watched, so even its first poll reads
   * points written live (alerts look at those).
   */
  watchedFromStart?: boolean;
  maxSeriesPoints?: number;
}

export function seriesKey(runId: string, tag: string, split: string | undefined): string {
  return `${runId}\u0000${tag}\u0000${split ?? ''}`;
}

export class RunTracker {
  readonly id: string;
  readonly series = new Map<string, TrackedSeries>();
  info: RunInfo = {};
  hparams: HyperParameters = {};
  warnings: string[] = [];
  skipped = 0;
  /** Date.now() when points last arrived, and when the run was first polled. */
  lastGrowthMs: number | undefined;
  readonly firstPolledMs: number;
  /** The largest step and epoch seen, and the wall time of the newest point. */
  step: number | undefined;
  epoch: number | undefined;
  lastWallTime: number | undefined;
  firstWallTime: number | undefined;
  /** The last poll stopped before the end of a file: poll again soon. */
  behind = false;
  private readonly readers = new Map<string, LogReader>();
  private readonly samples: SampleImages | undefined;
  private sampleImages: GalleryImage[] = [];
  private eventImages: GalleryImage[] = [];
  private polls = 0;
  private busy: Promise<PollResult> | undefined;

  private readonly now: () => number;
  private readonly watchedFromStart: boolean;
  private readonly maxSeriesPoints: number;

  constructor(
    public source: RunSource,
    options: TrackerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.watchedFromStart = options.watchedFromStart ?? false;
    this.maxSeriesPoints = options.maxSeriesPoints ?? MAX_SERIES_POINTS;
    this.id = source.path;
    this.firstPolledMs = this.now();
    const folder = source.format === 'keras-csv' ? path.dirname(source.path) : source.path;
    if (source.format !== 'keras-csv') this.samples = new SampleImages(path.join(folder, 'samples'));
    this.syncFiles(source.files);
  }

  /** Whether the last poll read points written while the monitor watched (alerts look only at those). */
  get live(): boolean {
    return this.watchedFromStart || this.polls > 1;
  }

  get images(): GalleryImage[] {
    return [...this.sampleImages, ...this.eventImages]
      .sort((a, b) => (b.wallTime ?? 0) - (a.wallTime ?? 0) || (b.step ?? 0) - (a.step ?? 0))
      .slice(0, GALLERY_LIMIT);
  }

  get files(): string[] {
    return [...this.readers.keys()];
  }

  /** Adds readers for files the run gained (a second event file after a restart). */
  syncFiles(files: readonly string[]): void {
    for (const file of files) if (!this.readers.has(file)) this.readers.set(file, readerForFile(this.source, file));
  }

  /** Reads what every file gained. Concurrent calls share one read. */
  poll(): Promise<PollResult> {
    if (!this.busy) this.busy = this.readAll().finally(() => (this.busy = undefined));
    return this.busy;
  }

  private async readAll(): Promise<PollResult> {
    this.polls++;
    const result: PollResult = { grown: [], metaChanged: false };
    const starts = new Map<TrackedSeries, number>();
    this.behind = false;
    for (const [file, reader] of this.readers) {
      // In bounded steps: a huge file never holds more than POLL_BYTES of points in flight.
      for (let more = true, reads = 0; more; reads++) {
        if (reads === MAX_READS_PER_POLL) {
          this.behind = true;
          break;
        }
        let update: LogUpdate;
        try {
          update = await reader.poll({ maxBytes: POLL_BYTES });
        } catch (error) {
          // A file that is not what its name says: named once, then left alone.
          this.readers.delete(file);
          this.warn(errorText(error).startsWith(path.basename(file)) ? errorText(error) : `${path.basename(file)}: ${errorText(error)}`);
          result.metaChanged = true;
          break;
        }
        if (this.apply(file, update, starts)) result.metaChanged = true;
        if (this.keepWithinBounds(starts)) result.metaChanged = true;
        more = update.more === true;
      }
    }
    if (this.samples) {
      const images = await this.samples.poll((line) => this.warn(line));
      if (images) {
        this.sampleImages = images;
        result.metaChanged = true;
      }
    }
    for (const [series, from] of starts) {
      result.grown.push({ series, from });
      series.dirtyFrom = Math.min(series.dirtyFrom, from);
    }
    // History read on opening is not growth: a finished run must not look like it is running.
    if (result.grown.length > 0 && this.live) this.lastGrowthMs = this.now();
    return result;
  }

  /** Applies one reader's update; true when run facts, hparams, images or warnings changed. */
  private apply(file: string, update: LogUpdate, starts: Map<TrackedSeries, number>): boolean {
    let metaChanged = false;
    const touch = (series: TrackedSeries, from: number): void => {
      starts.set(series, Math.min(starts.get(series) ?? Infinity, from));
    };
    if (update.restarted) {
      for (const series of this.series.values()) {
        if (!series.files.has(file)) continue;
        series.columns.truncate(0);
        series.files.delete(file);
        touch(series, 0);
      }
      this.eventImages = this.eventImages.filter((image) => !image.id.startsWith(`${file}\u0000`));
      metaChanged = true;
    }
    for (const rewind of update.rewinds ?? []) {
      for (const series of this.series.values()) {
        if (series.tag !== rewind.tag || (rewind.split !== undefined && series.split !== rewind.split)) continue;
        const index = series.columns.indexOfStepFromEnd(rewind.fromStep);
        if (index < series.columns.length) {
          series.columns.truncate(index);
          touch(series, index);
        }
      }
    }
    for (const points of update.scalars) {
      if (points.steps.length === 0) continue;
      const series = this.seriesFor(points);
      touch(series, series.columns.length);
      series.columns.append(points);
      series.files.add(file);
      this.noteProgress(points);
    }
    if (update.images.length > 0) {
      this.eventImages = [...update.images.map((image, i) => galleryImage(file, image, i)), ...this.eventImages]
        .sort((a, b) => (b.wallTime ?? 0) - (a.wallTime ?? 0) || (b.step ?? 0) - (a.step ?? 0))
        .slice(0, GALLERY_LIMIT);
      metaChanged = true;
    }
    if (update.hparams) {
      this.hparams = { ...this.hparams, ...update.hparams };
      metaChanged = true;
    }
    if (update.run) {
      this.info = { ...update.run };
      metaChanged = true;
    }
    if (update.skipped > 0) {
      this.skipped += update.skipped;
      metaChanged = true;
    }
    for (const line of update.warnings) {
      this.warn(line);
      metaChanged = true;
    }
    return metaChanged;
  }

  /** Thins every series past maxSeriesPoints; true when one was. */
  private keepWithinBounds(starts: Map<TrackedSeries, number>): boolean {
    let thinned = false;
    for (const series of this.series.values()) {
      if (series.columns.length <= this.maxSeriesPoints) continue;
      const before = series.columns.length;
      while (series.columns.length > this.maxSeriesPoints) this.thin(series);
      // The new points moved down with the removed ones (alerts look from here; the panel gets it all anew).
      const from = starts.get(series);
      if (from !== undefined) starts.set(series, Math.max(0, from - (before - series.columns.length)));
      thinned = true;
    }
    return thinned;
  }

  /** Halves the older points of `series` (see SeriesColumns.thinOlderHalf); the panel gets it anew. */
  thin(series: TrackedSeries): void {
    series.columns.thinOlderHalf();
    series.dirtyFrom = 0;
    if (!series.thinned) {
      series.thinned = true;
      const name = series.split ? `${series.split} ${series.metric}` : series.tag;
      this.warn(`${name}: too many points to keep them all in memory; older ones are thinned for the charts (Export CSV reads the log files in full)`);
    }
  }

  get pointCount(): number {
    let count = 0;
    for (const series of this.series.values()) count += series.columns.length;
    return count;
  }

  /** Whether any series was thinned. */
  get thinned(): boolean {
    return [...this.series.values()].some((series) => series.thinned);
  }

  private seriesFor(points: ScalarSeries): TrackedSeries {
    const key = seriesKey(this.id, points.tag, points.split);
    let series = this.series.get(key);
    if (!series) {
      series = { key, tag: points.tag, metric: points.metric, columns: new SeriesColumns(), files: new Set(), dirtyFrom: Infinity, thinned: false };
      if (points.split !== undefined) series.split = points.split;
      this.series.set(key, series);
    }
    return series;
  }

  private noteProgress(points: ScalarSeries): void {
    const last = points.steps.length - 1;
    const step = points.steps[last]!;
    if (this.step === undefined || step > this.step) this.step = step;
    for (let i = 0; i <= last; i++) {
      const epoch = points.epochs[i]!;
      if (!Number.isNaN(epoch) && (this.epoch === undefined || epoch > this.epoch)) this.epoch = epoch;
      const wall = points.wallTimes[i]!;
      if (Number.isNaN(wall)) continue;
      if (this.lastWallTime === undefined || wall > this.lastWallTime) this.lastWallTime = wall;
      if (this.firstWallTime === undefined || wall < this.firstWallTime) this.firstWallTime = wall;
    }
  }

  private warn(line: string): void {
    if (this.warnings.length < MAX_WARNINGS && !this.warnings.includes(line)) this.warnings.push(line);
  }

  /** Every series in full (for a snapshot). */
  seriesData(): SeriesData[] {
    return [...this.series.values()].map((series) => this.data(series, 0));
  }

  /** What changed since the last call, each from the index its change starts at. */
  takeAppends(): SeriesAppend[] {
    const appends: SeriesAppend[] = [];
    for (const series of this.series.values()) {
      if (series.dirtyFrom === Infinity) continue;
      const from = Math.min(series.dirtyFrom, series.columns.length);
      appends.push({ ...this.data(series, from), from });
      series.dirtyFrom = Infinity;
    }
    return appends;
  }

  /** Marks everything handed out (a snapshot was just sent). */
  markSent(): void {
    for (const series of this.series.values()) series.dirtyFrom = Infinity;
  }

  private data(series: TrackedSeries, from: number): SeriesData {
    const data: SeriesData = { key: series.key, runId: this.id, tag: series.tag, metric: series.metric, ...series.columns.copy(from) };
    if (series.split !== undefined) data.split = series.split;
    return data;
  }
}

function galleryImage(file: string, image: ImageRecord, index: number): GalleryImage {
  const gallery: GalleryImage = {
    id: `${file}\u0000${image.tag}\u0000${image.step}\u0000${index}`,
    tag: image.tag,
    step: image.step,
    dataUri: `data:${image.mime};base64,${image.base64}`,
  };
  if (image.wallTime !== undefined) gallery.wallTime = image.wallTime;
  if (image.width !== undefined) gallery.width = image.width;
  if (image.height !== undefined) gallery.height = image.height;
  return gallery;
}
