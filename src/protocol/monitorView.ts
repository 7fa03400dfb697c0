/**
 * Messages between the Training Monitor panel (webviews/monitor) and the
 * extension host (src/monitor). The host owns every run's history; the page
 * asks for it on `ready` and then receives appends, so hiding, moving or
 * reloading the panel loses nothing.
 */
import type { HyperParameters, RunFormat, ScalarSeries } from './monitor';

/**
 * `running`: the log says so and the writer lives (or the files still grow);
 * `stopped`: the log says running but its process is gone;
 * `idle`: no status in the log and nothing new for a while.
 */
export type RunStatus = 'running' | 'finished' | 'failed' | 'stopped' | 'idle';

/** One image of a run's gallery: a `samples/*.png` file or a TensorBoard image summary. */
export interface GalleryImage {
  /** Unique within the run. */
  id: string;
  tag: string;
  step?: number;
  /** Unix seconds (the file's mtime for samples/ files). */
  wallTime?: number;
  /**
   * `data:image/png;base64,…`; empty when an earlier message since the page's
   * last `ready` carried this image's id (the page keeps images by id).
   */
  dataUri: string;
  width?: number;
  height?: number;
  /** The image file, for samples/ images. */
  file?: string;
}

export interface RunView {
  /** Stable: the run folder's (or log file's) path. */
  id: string;
  /** Relative to its workspace folder (`runs/cnn-baseline`). */
  name: string;
  path: string;
  format: RunFormat;
  /** A CSS colour, the same for this run across reloads. */
  colour: string;
  status: RunStatus;
  /** Unix seconds. */
  started?: number;
  ended?: number;
  /** When the last point was written (Unix seconds), else when a file last changed. */
  lastUpdate?: number;
  /** The latest step and epoch seen. */
  step?: number;
  epoch?: number;
  plannedSteps?: number;
  plannedEpochs?: number;
  /** Seconds left, from progress so far; absent when unknown. */
  etaSeconds?: number;
  hparams: HyperParameters;
  /** Newest first, at most a few dozen. */
  images: GalleryImage[];
  /** Damaged records skipped so far, and one line per problem (naming the file). */
  skipped: number;
  warnings: string[];
  /** Set while a training process started from this window writes this run. */
  processId?: number;
  /** Written by a newer run-log format than this version knows. */
  newerFormat?: boolean;
}

/** All points of one series of one run, column by column (typed arrays travel cheaply). */
export interface SeriesData extends ScalarSeries {
  /** `${runId}\u0000${tag}\u0000${split}`: unique. */
  key: string;
  runId: string;
}

/**
 * New points of a series. The page first cuts the series to `from` points
 * (a resumed run drops its later points; 0 after a file was rewritten),
 * then appends these. A `from` larger than what the page holds means it
 * missed a message: it asks for a `resync`.
 */
export interface SeriesAppend extends SeriesData {
  from: number;
}

/** A training script the panel can start (scaffolded projects' `train.py` first). */
export interface TrainingScript {
  path: string;
  /** Relative to its workspace folder. */
  label: string;
  /** A scaffolded project's train.py (it writes the run log the monitor reads). */
  scaffolded: boolean;
}

/** A training process started from this window. */
export interface TrainingProcessView {
  id: number;
  script: string;
  label: string;
  /** Unix seconds. */
  started: number;
  /** Set once the process has ended. */
  exitCode?: number | null;
  signal?: string | null;
}

export type MonitorToView =
  | { type: 'snapshot'; runs: RunView[]; series: SeriesData[]; scripts: TrainingScript[]; processes: TrainingProcessView[]; roots: string[] }
  | { type: 'runs'; runs: RunView[] }
  | { type: 'append'; series: SeriesAppend[] }
  | { type: 'scripts'; scripts: TrainingScript[] }
  | { type: 'processes'; processes: TrainingProcessView[] }
  | { type: 'notice'; level: 'info' | 'error'; text: string };

export type ViewToMonitor =
  | { type: 'ready' }
  /** The page lost track (an append did not follow on): send a snapshot. */
  | { type: 'resync' }
  /** Write every point of these runs' series to a CSV file the user picks. */
  | { type: 'exportCsv'; runIds: string[] }
  /** Start a training script (ask which when absent). */
  | { type: 'startTraining'; script?: string }
  | { type: 'stopTraining'; processId: number }
  /** Show a file (run.json, an image, a log) in an editor. */
  | { type: 'openFile'; path: string }
  /** Look for runs again now. */
  | { type: 'refresh' };

/** What the page keeps across reloads (vscode.setState); the host never reads it. */
export interface MonitorViewState {
  smoothing: { kind: 'ema' | 'average' | 'none'; weight: number };
  xAxis: 'step' | 'epoch' | 'relative' | 'wall';
  logScale: boolean;
  ignoreOutliers: boolean;
  hiddenRuns: string[];
  /** Metric filter text. */
  filter: string;
  tab: 'charts' | 'runs' | 'images' | 'hparams';
}
