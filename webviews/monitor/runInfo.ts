/** Pure facts about a run or a training process for the runs table: progress, duration, the file to open. */
import type { RunView, TrainingProcessView } from '../../src/protocol/monitorView';
import { formatCount } from './format';

/** Joins a file name to a folder path written with either separator. */
function joinPath(folder: string, name: string): string {
  const separator = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return folder.endsWith(separator) ? `${folder}${name}` : `${folder}${separator}${name}`;
}

/**
 * The text file that describes a run, to open from its name: run.json of our
 * JSONL logs, the CSV itself, Lightning's metrics.csv, MLflow's meta.yaml;
 * none for TensorBoard (its event files are binary).
 */
export function runFileToOpen(run: Pick<RunView, 'format' | 'path'>): string | undefined {
  if (!run.path) return undefined;
  switch (run.format) {
    case 'jsonl':
      return joinPath(run.path, 'run.json');
    case 'keras-csv':
      return run.path;
    case 'lightning-csv':
      return joinPath(run.path, 'metrics.csv');
    case 'mlflow':
      return joinPath(run.path, 'meta.yaml');
    default:
      return undefined;
  }
}

export interface RunProgress {
  /** `epoch 3/20`, `epoch 3`, or '' when the run says nothing of epochs. */
  epochText: string;
  /** `step 1,200/6,400`, `step 1,200`, or ''. */
  stepText: string;
  /** Done so far, 0–1, from steps (else epochs) against the plan; undefined without a plan. */
  fraction: number | undefined;
}

const isCount = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value) && value >= 0;
const isPlan = (value: number | undefined): value is number => isCount(value) && value > 0;

export function runProgress(run: Pick<RunView, 'epoch' | 'plannedEpochs' | 'step' | 'plannedSteps'>): RunProgress {
  const epochText = isCount(run.epoch) ? `epoch ${formatCount(run.epoch)}${isPlan(run.plannedEpochs) ? `/${formatCount(run.plannedEpochs)}` : ''}` : '';
  const stepText = isCount(run.step) ? `step ${formatCount(run.step)}${isPlan(run.plannedSteps) ? `/${formatCount(run.plannedSteps)}` : ''}` : '';
  let fraction: number | undefined;
  if (isCount(run.step) && isPlan(run.plannedSteps)) fraction = run.step / run.plannedSteps;
  else if (isCount(run.epoch) && isPlan(run.plannedEpochs)) fraction = run.epoch / run.plannedEpochs;
  return { epochText, stepText, fraction: fraction === undefined ? undefined : Math.min(1, Math.max(0, fraction)) };
}

/**
 * Seconds from start to end: to `ended`, else to now while running, else to
 * the last update (a run that stopped without saying when).
 */
export function runDuration(run: Pick<RunView, 'started' | 'ended' | 'lastUpdate' | 'status'>, nowSeconds: number): number | undefined {
  if (run.started === undefined || !Number.isFinite(run.started)) return undefined;
  const end = run.ended ?? (run.status === 'running' ? nowSeconds : (run.lastUpdate ?? nowSeconds));
  if (!Number.isFinite(end)) return undefined;
  return Math.max(0, end - run.started);
}

/** `running`, `exited with code 1`, `killed by SIGTERM`, `exited`. */
export function processState(process: Pick<TrainingProcessView, 'exitCode' | 'signal'>): { running: boolean; text: string } {
  if (process.exitCode === undefined && process.signal === undefined) return { running: true, text: 'running' };
  if (typeof process.signal === 'string' && process.signal) return { running: false, text: `killed by ${process.signal}` };
  if (typeof process.exitCode === 'number') return { running: false, text: `exited with code ${process.exitCode}` };
  return { running: false, text: 'exited' };
}
