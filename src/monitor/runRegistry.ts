/**
 * Every run the monitor knows, found by a discovery function and kept up to
 * date: runs that are being written are polled every half second (new points
 * show within a second even where file events never come: network drives,
 * WSL mounts, some containers), the rest every few seconds; a file event
 * polls its run at once. Pure Node: the vscode side supplies discovery and
 * file events.
 */
import type { RunSource } from '../formats/runDiscovery';
import { RUN_COLOURS } from './runView';
import { RunTracker, type PollResult, type TrackedSeries } from './runTracker';

/** Points kept across all runs (32 bytes each: ~380 MB); beyond, the largest series are thinned. */
export const MAX_TOTAL_POINTS = 12_000_000;

export interface DiscoveredRun {
  source: RunSource;
  /** The name shown: relative to its workspace folder (prefixed by the folder when there are several). */
  name: string;
}

export interface TrackedRun {
  tracker: RunTracker;
  name: string;
  colour: string;
}

export interface RegistryChange {
  /** Runs came or went (discovery). */
  runsChanged: boolean;
  /** Per run id: what its last poll changed. */
  polled: Map<string, PollResult>;
}

export interface RegistryOptions {
  discover: () => Promise<DiscoveredRun[]>;
  /** Colour slots by run id, kept across sessions by the caller. */
  colourSlots?: Map<string, number>;
  onColourSlotsChanged?: (slots: Map<string, number>) => void;
  log?: (line: string) => void;
  now?: () => number;
  livePollMs?: number;
  idlePollMs?: number;
  /** Runs that grew this recently, or say they run, are polled at the live pace. */
  liveWindowMs?: number;
  maxTotalPoints?: number;
  maxSeriesPoints?: number;
}

export class RunRegistry {
  private readonly runs = new Map<string, TrackedRun>();
  private readonly listeners = new Set<(change: RegistryChange) => void>();
  private readonly colourSlots: Map<string, number>;
  private readonly now: () => number;
  private timers: NodeJS.Timeout[] = [];
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private readonly pending = new Set<string>();
  private pendingTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastIdlePollMs = 0;
  /** After the first discovery, new runs are new: their whole log was written while we watched. */
  private discoveredOnce = false;
  private disposed = false;

  constructor(private readonly options: RegistryOptions) {
    this.colourSlots = options.colourSlots ?? new Map();
    this.now = options.now ?? Date.now;
  }

  onDidChange(listener: (change: RegistryChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  list(): TrackedRun[] {
    return [...this.runs.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(id: string): TrackedRun | undefined {
    return this.runs.get(id);
  }

  /** Starts the timers: a first discovery now, then polling. */
  start(): void {
    if (this.timers.length > 0 || this.disposed) return;
    void this.refresh();
    this.timers.push(setInterval(() => void this.tick(), this.options.livePollMs ?? 500));
  }

  /** Discovers runs again; concurrent calls share one discovery (and one more after it). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.discoverAndPoll().finally(() => {
      this.refreshing = undefined;
      if (this.refreshAgain && !this.disposed) {
        this.refreshAgain = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  /** A file changed: poll its run soon, or look for a new run when no run owns it. */
  fileChanged(file: string): void {
    const run = this.owner(file);
    if (run) {
      this.pending.add(run.tracker.id);
      this.pendingTimer ??= setTimeout(() => {
        this.pendingTimer = undefined;
        const ids = [...this.pending];
        this.pending.clear();
        void this.pollRuns(ids.map((id) => this.runs.get(id)).filter((r): r is TrackedRun => r !== undefined));
      }, 50);
    } else {
      this.refreshTimer ??= setTimeout(() => {
        this.refreshTimer = undefined;
        void this.refresh();
      }, 300);
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    clearTimeout(this.pendingTimer);
    clearTimeout(this.refreshTimer);
    this.listeners.clear();
  }

  private owner(file: string): TrackedRun | undefined {
    let best: TrackedRun | undefined;
    for (const run of this.runs.values()) {
      const root = run.tracker.source.path;
      if (file !== root && !file.startsWith(`${root}/`) && !file.startsWith(`${root}\\`)) continue;
      if (!best || root.length > best.tracker.source.path.length) best = run;
    }
    return best;
  }

  private isLive(run: TrackedRun): boolean {
    const tracker = run.tracker;
    if (tracker.info.status === 'running' || tracker.behind) return true;
    const window = this.options.liveWindowMs ?? 10 * 60_000;
    return tracker.lastGrowthMs !== undefined && this.now() - tracker.lastGrowthMs < window;
  }

  private async tick(): Promise<void> {
    if (this.refreshing) return;
    const idleDue = this.now() - this.lastIdlePollMs >= (this.options.idlePollMs ?? 5_000);
    if (idleDue) this.lastIdlePollMs = this.now();
    await this.pollRuns([...this.runs.values()].filter((run) => idleDue || this.isLive(run)));
  }

  private async discoverAndPoll(): Promise<void> {
    let found: DiscoveredRun[];
    try {
      found = await this.options.discover();
    } catch (error) {
      this.options.log?.(`looking for training runs failed: ${String(error)}`);
      return;
    }
    if (this.disposed) return;
    let runsChanged = false;
    const seen = new Set<string>();
    for (const { source, name } of found) {
      seen.add(source.path);
      const known = this.runs.get(source.path);
      if (known && known.tracker.source.format === source.format) {
        known.tracker.syncFiles(source.files);
        if (known.name !== name) {
          known.name = name;
          runsChanged = true;
        }
        continue;
      }
      this.runs.set(source.path, { tracker: new RunTracker(source, { now: this.now, watchedFromStart: this.discoveredOnce, maxSeriesPoints: this.options.maxSeriesPoints }), name, colour: this.colourFor(source.path) });
      runsChanged = true;
    }
    for (const id of [...this.runs.keys()]) {
      if (seen.has(id)) continue;
      this.runs.delete(id);
      runsChanged = true;
    }
    if (runsChanged) this.options.onColourSlotsChanged?.(this.colourSlots);
    await this.pollRuns([...this.runs.values()], runsChanged);
    this.discoveredOnce = true;
  }

  private async pollRuns(runs: TrackedRun[], runsChanged = false): Promise<void> {
    const polled = new Map<string, PollResult>();
    await Promise.all(
      runs.map(async (run) => {
        const result = await run.tracker.poll();
        if (result.grown.length > 0 || result.metaChanged) polled.set(run.tracker.id, result);
      }),
    );
    this.keepWithinBudget(polled);
    if (this.disposed || (!runsChanged && polled.size === 0)) return;
    for (const listener of this.listeners) listener({ runsChanged, polled });
  }

  /** Thins the largest series of all runs until every run together holds at most maxTotalPoints. */
  private keepWithinBudget(polled: Map<string, PollResult>): void {
    const budget = this.options.maxTotalPoints ?? MAX_TOTAL_POINTS;
    let total = 0;
    for (const run of this.runs.values()) total += run.tracker.pointCount;
    while (total > budget) {
      let largest: { run: TrackedRun; series: TrackedSeries } | undefined;
      for (const run of this.runs.values()) {
        for (const series of run.tracker.series.values()) {
          if (!largest || series.columns.length > largest.series.columns.length) largest = { run, series };
        }
      }
      if (!largest || largest.series.columns.length < 2) return;
      const before = largest.series.columns.length;
      largest.run.tracker.thin(largest.series);
      total -= before - largest.series.columns.length;
      const id = largest.run.tracker.id;
      polled.set(id, { grown: polled.get(id)?.grown ?? [], metaChanged: true });
    }
  }

  /** The run's remembered colour, else the first one no current run has. */
  private colourFor(id: string): string {
    let slot = this.colourSlots.get(id);
    if (slot === undefined) {
      const used = new Set([...this.runs.keys()].map((runId) => this.colourSlots.get(runId)));
      slot = 0;
      while (used.has(slot % RUN_COLOURS.length) && slot < RUN_COLOURS.length) slot++;
      slot %= RUN_COLOURS.length;
      this.colourSlots.set(id, slot);
    }
    return RUN_COLOURS[slot % RUN_COLOURS.length]!;
  }
}
