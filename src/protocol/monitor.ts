/**
 * What the training-log readers report, as plain JSON: scalar series per
 * tag, images, text, hyper-parameters. The monitor, the CLI (`dlkit
 * scalars`) and the tests share these types.
 */

export type RunFormat = 'tfevents' | 'keras-csv' | 'lightning-csv' | 'jsonl' | 'mlflow';

export interface ScalarPoint {
  step: number;
  /** NaN and ±Infinity are kept: the monitor flags them. */
  value: number;
  /** Unix seconds, when the log says. */
  wallTime?: number;
  /** The epoch, when the log says (Keras CSV, Lightning, our JSONL). */
  epoch?: number;
}

/**
 * New points of one metric of one run, column by column: one typed array per
 * field keeps millions of points cheap to gather, store and post to a webview.
 * Splits of the same metric share the metric name (`loss`) and differ in
 * `split` (`train`, `val`, `test`), so the monitor draws them in one chart;
 * TensorBoard's `<logdir>/train` and `/validation` folders, `train/`/`val/`
 * tag prefixes, Keras' `val_` prefix and Lightning's `_step`/`_epoch`
 * suffixes map onto this. All four arrays have the same length.
 */
export interface ScalarSeries {
  /** The tag exactly as the log writes it (`val_loss`, `train/loss`, `loss_epoch`). */
  tag: string;
  metric: string;
  split?: string;
  steps: Float64Array;
  /** NaN and ±Infinity are kept: the monitor flags them. */
  values: Float64Array;
  /** Unix seconds; NaN where the log does not say. */
  wallTimes: Float64Array;
  /** The epoch (Keras CSV, Lightning, our JSONL); NaN where the log does not say. */
  epochs: Float64Array;
}

/** What a log says about the run itself (run.json, MLflow's meta.yaml). */
export interface RunInfo {
  name?: string;
  /** As the log states it; the monitor decides "stopped" from a dead pid. */
  status?: 'running' | 'finished' | 'failed';
  /** Unix seconds. */
  started?: number;
  ended?: number;
  plannedEpochs?: number;
  plannedSteps?: number;
  /** The process writing the run, while it runs. */
  pid?: number;
  /** Written by a newer version of the format than this reader knows. */
  newerFormat?: boolean;
}

export interface ImageRecord {
  tag: string;
  step: number;
  wallTime?: number;
  /** image/png, image/jpeg, image/gif */
  mime: string;
  width?: number;
  height?: number;
  /** The encoded image, base64. */
  base64: string;
}

export interface TextRecord {
  tag: string;
  step: number;
  text: string;
}

export type HyperParameters = Record<string, string | number | boolean | null>;

/** What one poll of a reader found since the previous one (the first poll: everything so far). */
export interface LogUpdate {
  /** Only the new points of each series that grew. */
  scalars: ScalarSeries[];
  images: ImageRecord[];
  texts: TextRecord[];
  /** Set when the log states hyper-parameters (hparams plugin, run.json, hparams.yaml, MLflow params). */
  hparams?: HyperParameters;
  /** Set when the log states facts about the run (run.json, MLflow meta.yaml); the latest wins. */
  run?: RunInfo;
  /**
   * A resumed run (a step lower than the last one of its series): before this
   * update's points are added, drop the points of the series `tag` (of
   * `split`, when set) whose step is at least `fromStep`.
   */
  rewinds?: { tag: string; split?: string; fromStep: number }[];
  /**
   * Set when the poll stopped at its byte limit (`poll({ maxBytes })`) with
   * more already in the file: poll again to go on.
   */
  more?: boolean;
  /** Set when the file shrank or was replaced: the reader started over, earlier points are void. */
  restarted?: boolean;
  /** Records, rows or lines skipped as damaged (a bad CRC, a ragged row, a broken line), this poll. */
  skipped: number;
  /** One line each, naming the file; a reader warns once per file and kind of problem. */
  warnings: string[];
}
