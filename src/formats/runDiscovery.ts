/**
 * Finds training runs: TensorBoard event files (a run per folder; the
 * `train/`, `validation/`… folders Keras writes belong to the run above
 * them), our JSONL run logs (`metrics.jsonl`; event files written beside one
 * are the same scalars again, not a second run), Lightning `metrics.csv`,
 * Keras CSVLogger files (`*.log`/`*.csv` whose header starts with `epoch`)
 * and MLflow file-store runs (`mlruns/<experiment>/<run>/`).
 *
 * `runsFromFiles` groups candidate files (what a workspace search found)
 * into runs; `findRuns` walks a folder, bounded in depth and entries and
 * skipping folders no run lives in, and hands what it found to it.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RunFormat } from '../protocol/monitor';
import { createKerasCsvReader, createLightningCsvReader } from './csvLog';
import { FormatError, errorText } from './errors';
import { createJsonlReader } from './jsonlLog';
import type { LogReader } from './logReader';
import { createMlflowReader } from './mlflowLog';
import { splitOfFolder } from './splitNames';
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
/** Files looked at (stat, a CSV's first bytes) at the same time. */
const CONCURRENCY = 16;
const RUN_LOG = 'metrics.jsonl';
const RUN_FACTS = 'run.json';
const LIGHTNING_CSV = 'metrics.csv';

const isEventFile = (name: string): boolean => name.startsWith('events.out.tfevents.');
const isTextLog = (name: string): boolean => /\.(log|csv)$/i.test(name) && name !== LIGHTNING_CSV;

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

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** An MLflow run folder: `metrics/` and `meta.yaml` in it. */
async function isMlflowRun(folder: string): Promise<boolean> {
  try {
    const [metrics, meta] = await Promise.all([fs.stat(path.join(folder, 'metrics')), fs.stat(path.join(folder, 'meta.yaml'))]);
    return metrics.isDirectory() && meta.isFile();
  } catch {
    return false;
  }
}

/** `check` of every item, at most CONCURRENCY at a time: the items it holds true for. */
async function filterAsync(items: Iterable<string>, check: (item: string) => Promise<boolean>): Promise<Set<string>> {
  const all = [...items];
  const kept = new Set<string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < all.length) {
      const item = all[next++]!;
      if (await check(item)) kept.add(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, all.length) }, worker));
  return kept;
}

/** The run folder `<…>/mlruns/<experiment>/<run>` a file lies in (the outermost), if any. */
function mlflowRunOf(file: string): string | undefined {
  const parts = file.split(path.sep);
  for (let i = 0; i + 3 < parts.length; i++) {
    if (parts[i] === 'mlruns' && !parts[i + 1]!.startsWith('.')) return parts.slice(0, i + 3).join(path.sep);
  }
  return undefined;
}

/** Whether `target` is `root` or inside it. */
function within(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The runs candidate files belong to, grouped by run folder as `findRuns`
 * groups them, named relative to `root` and sorted by name. Any file may be
 * given: those that are no part of a run, lie outside `root` or in a folder
 * no run lives in (node_modules, .git, virtual environments), or are gone
 * by now, are left out.
 */
export async function runsFromFiles(searchRoot: string, files: string[]): Promise<RunSource[]> {
  const root = path.resolve(searchRoot);
  const mlflowFolders = new Set<string>();
  const events = new Set<string>();
  const runLogFolders = new Set<string>();
  const lightning = new Set<string>();
  const textLogs = new Set<string>();
  const candidates: { file: string; mlflow: string | undefined }[] = [];
  for (const given of files) {
    const file = path.resolve(given);
    if (!within(root, file) || path.relative(root, file).split(path.sep).some((part) => SKIPPED_FOLDERS.has(part))) continue;
    const mlflow = mlflowRunOf(file);
    if (mlflow !== undefined && within(root, mlflow)) mlflowFolders.add(mlflow);
    candidates.push({ file, mlflow });
  }
  const mlflowRuns = await filterAsync(mlflowFolders, isMlflowRun);
  for (const { file, mlflow } of candidates) {
    // Nothing inside an MLflow run is a run of its own (its artifacts may hold logs).
    if (mlflow !== undefined && mlflowRuns.has(mlflow)) continue;
    const name = path.basename(file);
    if (isEventFile(name)) events.add(file);
    else if (name === RUN_LOG || name === RUN_FACTS) runLogFolders.add(path.dirname(file));
    else if (name === LIGHTNING_CSV) lightning.add(file);
    else if (isTextLog(name)) textLogs.add(file);
  }
  const [liveEvents, liveRunLogs, liveLightning, kerasLogs] = await Promise.all([
    filterAsync(events, isFile),
    filterAsync(runLogFolders, (folder) => isFile(path.join(folder, RUN_LOG))),
    filterAsync(lightning, isFile),
    filterAsync(textLogs, isKerasCsv),
  ]);

  const runs: RunSource[] = [];
  const nameOf = (target: string): string => path.relative(root, target) || path.basename(target);
  const folderRun = (folder: string, format: RunFormat, runFiles: string[]): RunSource => ({ name: nameOf(folder), path: folder, format, files: runFiles.sort() });
  for (const folder of liveRunLogs) runs.push(folderRun(folder, 'jsonl', [path.join(folder, RUN_LOG)]));
  for (const [folder, eventFiles] of groupEventFiles(root, liveEvents)) {
    if (!liveRunLogs.has(folder)) runs.push(folderRun(folder, 'tfevents', eventFiles));
  }
  for (const file of liveLightning) runs.push(folderRun(path.dirname(file), 'lightning-csv', [file]));
  for (const file of kerasLogs) runs.push({ name: path.relative(root, file), path: file, format: 'keras-csv', files: [file] });
  for (const folder of mlflowRuns) runs.push({ name: nameOf(folder), path: folder, format: 'mlflow', files: [folder] });
  return runs.sort((a, b) => compare(a.name, b.name) || compare(a.format, b.format));
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Event files by run folder: their own folder, or the one above it when
 * theirs is named after a split (`<run>/train`, `<run>/validation`) and the
 * one above holds no event files itself.
 */
function groupEventFiles(root: string, files: Set<string>): Map<string, string[]> {
  const folders = new Set([...files].map((file) => path.dirname(file)));
  const groups = new Map<string, string[]>();
  for (const file of files) {
    let folder = path.dirname(file);
    const parent = path.dirname(folder);
    if (splitOfFolder(path.basename(folder)) !== undefined && folder !== root && within(root, parent) && !folders.has(parent)) folder = parent;
    const group = groups.get(folder);
    if (group) group.push(file);
    else groups.set(folder, [file]);
  }
  return groups;
}

/** The files under `root` that may belong to a run (for MLflow, a run folder's meta.yaml). */
async function candidateFiles(root: string): Promise<string[]> {
  const found: string[] = [];
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
    if (names.has('metrics') && names.has('meta.yaml') && path.basename(path.dirname(path.dirname(folder))) === 'mlruns') {
      found.push(path.join(folder, 'meta.yaml'));
      return;
    }
    for (const child of children) {
      const name = child.name;
      if (child.isFile() && (isEventFile(name) || name === RUN_LOG || name === LIGHTNING_CSV || isTextLog(name))) found.push(path.join(folder, name));
    }
    for (const child of children) {
      if (child.isDirectory() && !SKIPPED_FOLDERS.has(child.name)) await walk(path.join(folder, child.name), depth + 1);
    }
  };
  await walk(root, 0);
  return found;
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
  return runsFromFiles(root, await candidateFiles(root));
}

async function runOfFile(file: string): Promise<RunSource> {
  const name = path.basename(file);
  const single = (format: RunFormat): RunSource => ({ name, path: file, format, files: [file] });
  if (isEventFile(name)) return single('tfevents');
  if (name.endsWith('.jsonl')) return single('jsonl');
  if (name === LIGHTNING_CSV) return single('lightning-csv');
  if (await isKerasCsv(file)) return single('keras-csv');
  throw new FormatError(file, 'not a training log this extension reads (TensorBoard events, Keras CSVLogger, Lightning metrics.csv, JSONL, an MLflow run folder)');
}

/** The reader of one file of a run (a run that gained a file: a second event file after a restart). MLflow: the run folder's reader. */
export function readerForFile(run: RunSource, file: string): LogReader {
  switch (run.format) {
    case 'tfevents':
      return createTfeventsReader(file);
    case 'jsonl':
      return createJsonlReader(file);
    case 'lightning-csv':
      return createLightningCsvReader(file);
    case 'keras-csv':
      return createKerasCsvReader(file);
    case 'mlflow':
      return createMlflowReader(run.path);
  }
}

/** One reader per file of the run (MLflow: one for the run folder). */
export function readersFor(run: RunSource): LogReader[] {
  return run.format === 'mlflow' ? [createMlflowReader(run.path)] : run.files.map((file) => readerForFile(run, file));
}
