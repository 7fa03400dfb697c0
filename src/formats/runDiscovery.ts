/**
 * Finds training runs under a folder: TensorBoard event files (a run per
 * folder), our JSONL run logs (`metrics.jsonl`), Lightning `metrics.csv`,
 * Keras CSVLogger files (`*.log`/`*.csv` whose header starts with `epoch`)
 * and MLflow file-store runs (`mlruns/<experiment>/<run>/metrics`). The walk
 * is bounded in depth and entries and skips folders no run lives in.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunFormat } from '../protocol/monitor';
import { createKerasCsvReader, createLightningCsvReader } from './csvLog';
import { FormatError, errorText } from './errors';
import { createJsonlReader } from './jsonlLog';
import type { LogReader } from './logReader';
import { createMlflowReader } from './mlflowLog';
import { createTfeventsReader } from './tfevents';

export interface RunSource {
  /** The run folder relative to the searched root (`runs/cnn-baseline`), or the file's name. */
  name: string;
  /** The run folder (MLflow, TensorBoard, JSONL, Lightning) or the log file (Keras CSV). */
  path: string;
  format: RunFormat;
  /** The files read for this run (for MLflow: the run folder). */
  files: string[];
}

const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '__pycache__', '.venv', 'venv', '.mypy_cache', '.pytest_cache', 'site-packages']);
const MAX_DEPTH = 8;
const MAX_ENTRIES = 50_000;

const isEventFile = (name: string): boolean => name.startsWith('events.out.tfevents.');

/** Whether a text file is a Keras CSVLogger log: its first line is a header starting with `epoch`. */
async function isKerasCsv(file: string): Promise<boolean> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const head = Buffer.alloc(256);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return /^\uFEFF?epoch[,;\t]/.test(head.subarray(0, bytesRead).toString('utf8'));
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/** The runs under `root` (a folder), or the one run a log file is. */
export async function findRuns(root: string): Promise<RunSource[]> {
  let stat;
  try {
    stat = await fs.stat(root);
  } catch (error) {
    throw new FormatError(root, `cannot read: ${errorText(error)}`);
  }
  if (!stat.isDirectory()) return [await runOfFile(root)];
  const runs: RunSource[] = [];
  let entries = 0;
  const walk = async (folder: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH || entries > MAX_ENTRIES) return;
    let children;
    try {
      children = await fs.readdir(folder, { withFileTypes: true });
    } catch {
      return; // unreadable folders hold no runs we can show
    }
    entries += children.length;
    const names = new Set(children.map((child) => child.name));
    const relative = path.relative(root, folder) || path.basename(folder);
    const events = children.filter((child) => child.isFile() && isEventFile(child.name)).map((child) => path.join(folder, child.name));
    if (events.length > 0) runs.push({ name: relative, path: folder, format: 'tfevents', files: events.sort() });
    if (names.has('metrics.jsonl')) runs.push({ name: relative, path: folder, format: 'jsonl', files: [path.join(folder, 'metrics.jsonl')] });
    if (names.has('metrics.csv')) runs.push({ name: relative, path: folder, format: 'lightning-csv', files: [path.join(folder, 'metrics.csv')] });
    if (names.has('metrics') && names.has('meta.yaml') && path.basename(path.dirname(path.dirname(folder))) === 'mlruns') {
      runs.push({ name: relative, path: folder, format: 'mlflow', files: [folder] });
      return;
    }
    for (const child of children) {
      if (child.isFile() && /\.(log|csv)$/i.test(child.name) && child.name !== 'metrics.csv' && (await isKerasCsv(path.join(folder, child.name)))) {
        const file = path.join(folder, child.name);
        runs.push({ name: path.relative(root, file), path: file, format: 'keras-csv', files: [file] });
      }
    }
    for (const child of children) {
      if (child.isDirectory() && !SKIPPED_FOLDERS.has(child.name)) await walk(path.join(folder, child.name), depth + 1);
    }
  };
  await walk(root, 0);
  return runs;
}

async function runOfFile(file: string): Promise<RunSource> {
  const name = path.basename(file);
  const single = (format: RunFormat): RunSource => ({ name, path: file, format, files: [file] });
  if (isEventFile(name)) return single('tfevents');
  if (name.endsWith('.jsonl')) return single('jsonl');
  if (name === 'metrics.csv') return single('lightning-csv');
  if (await isKerasCsv(file)) return single('keras-csv');
  throw new FormatError(file, 'not a training log this extension reads (TensorBoard events, Keras CSVLogger, Lightning metrics.csv, JSONL, an MLflow run folder)');
}

/** One reader per file of the run. */
export function readersFor(run: RunSource): LogReader[] {
  switch (run.format) {
    case 'tfevents':
      return run.files.map(createTfeventsReader);
    case 'jsonl':
      return run.files.map(createJsonlReader);
    case 'lightning-csv':
      return run.files.map(createLightningCsvReader);
    case 'keras-csv':
      return run.files.map(createKerasCsvReader);
    case 'mlflow':
      return [createMlflowReader(run.path)];
  }
}
