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
 * One metric of one run. Splits of the same metric share the metric name
 * (`loss`) and differ in `split` (`train`, `val`, `test`), so the monitor
 * draws them in one chart; TensorBoard's `<logdir>/train` and `/validation`
 * folders, Keras' `val_` prefix and Lightning's `_step`/`_epoch` suffixes map
 * onto this.
 */
export interface ScalarSeries {
  /** The tag exactly as the log writes it (`val_loss`, `train/loss`, `loss_epoch`). */
  tag: string;
  metric: string;
  split?: string;
  points: ScalarPoint[];
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
  /** Set when the file shrank or was replaced: the reader started over, earlier points are void. */
  restarted?: boolean;
  /** Records, rows or lines skipped as damaged (a bad CRC, a ragged row, a broken line), this poll. */
  skipped: number;
  /** One line each, naming the file; a reader warns once per file and kind of problem. */
  warnings: string[];
}
