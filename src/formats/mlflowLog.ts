/**
 * An MLflow run in the local file store (`mlruns/<experiment>/<run>/`), read
 * incrementally: every file under `metrics/` (a metric's name is its path
 * there, so `train/loss` is `metrics/train/loss`) holds lines
 * `<timestamp ms> <value> <step>` (old stores leave out the step: 0); the
 * files under `params/` are the hyper-parameters; of the tags only
 * `mlflow.runName` is kept (as the hyper-parameter `mlflow.runName`).
 * `meta.yaml` gives the run's facts: `run_name`, `status` (stored as the
 * RunStatus number: 1 RUNNING, 2 SCHEDULED, 3 FINISHED, 4 FAILED, 5 KILLED;
 * the name is accepted too), `start_time` and `end_time` (milliseconds).
 *
 * A bounded poll (`maxBytes`) counts the bytes read across the metric files
 * and stops between files or at a line boundary inside one; the next poll
 * starts with the file after the one it stopped in (round robin), so a file
 * that keeps growing cannot starve the rest.
 */
import type { Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { HyperParameters, LogUpdate, RunInfo } from '../protocol/monitor';
import { FormatError, asFormatError } from './errors';
import type { LogReader, PollLimit } from './logReader';
import { parseSimpleYaml } from './simpleYaml';
import { splitFromName } from './splitNames';
import { TextTail, UpdateBuilder, WarningLog, parseNumber, readSmallFile, scalarFromText } from './textTail';

/** Files per run this reader follows at most (metrics, and params). */
const MAX_FILES = 10_000;
const RUN_NAME_TAG = 'mlflow.runName';

/** MLflow's RunStatus, by number (as meta.yaml stores it) and by name. */
const RUN_STATUS: Record<string, RunInfo['status']> = {
  1: 'running',
  2: 'running',
  3: 'finished',
  4: 'failed',
  5: 'failed',
  RUNNING: 'running',
  SCHEDULED: 'running',
  FINISHED: 'finished',
  FAILED: 'failed',
  KILLED: 'failed',
};

/** The run's facts from its meta.yaml; `fallbackName` (the mlflow.runName tag) when it names none. */
export function mlflowRunInfo(meta: HyperParameters, fallbackName?: string): RunInfo {
  const info: RunInfo = {};
  const name = meta['run_name'];
  if ((typeof name === 'string' && name !== '') || typeof name === 'number') info.name = String(name);
  else if (fallbackName !== undefined && fallbackName !== '') info.name = fallbackName;
  const status = meta['status'];
  if (typeof status === 'number' || typeof status === 'string') {
    const known = RUN_STATUS[String(status)];
    if (known !== undefined) info.status = known;
  }
  const seconds = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value / 1000 : undefined);
  const started = seconds(meta['start_time']);
  if (started !== undefined) info.started = started;
  const ended = seconds(meta['end_time']);
  if (ended !== undefined) info.ended = ended;
  return info;
}

/** The files under `dir`, as `/`-joined paths relative to it; empty when the folder is missing. */
async function listFiles(dir: string, limit: number): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(path.join(dir, relative), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (found.length >= limit) return;
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(name);
      else if (entry.isFile()) found.push(name);
    }
  };
  await walk('');
  return found;
}

/** One metrics line: `timestamp value [step]`, or undefined when it is not one. */
export function parseMlflowMetricLine(line: string): { timestamp: number; value: number; step: number } | undefined {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 2 && parts.length !== 3) return undefined;
  const timestamp = parseNumber(parts[0]!);
  const value = parseNumber(parts[1]!);
  const step = parts.length === 3 ? parseNumber(parts[2]!) : 0;
  if (timestamp === undefined || !Number.isFinite(timestamp) || value === undefined || step === undefined || !Number.isInteger(step)) {
    return undefined;
  }
  return { timestamp, value, step };
}

class MlflowReader implements LogReader {
  readonly format = 'mlflow' as const;
  readonly file: string;
  private readonly warnings = new WarningLog();
  private readonly tails = new Map<string, TextTail>();
  private paramsSignature: string | undefined;
  private hparams: HyperParameters | undefined;
  private metaSignature: string | undefined;
  private run: RunInfo | undefined;
  private runText: string | undefined;
  /** The metric file the next poll starts with, after a bounded poll stopped. */
  private resumeAt: string | undefined;

  constructor(runDir: string) {
    this.file = runDir;
  }

  async poll(limit?: PollLimit): Promise<LogUpdate> {
    let stat;
    try {
      stat = await fs.stat(this.file);
    } catch (error) {
      throw asFormatError(this.file, 'cannot open the MLflow run folder', error);
    }
    if (!stat.isDirectory()) throw new FormatError(this.file, 'not a folder (an MLflow run is a folder with metrics/, params/, tags/)');

    const out = new UpdateBuilder(this.warnings);
    const maxBytes = limit?.maxBytes ?? Infinity;
    let metrics = await this.readMetrics(out, maxBytes);
    const restarted = metrics.restarted;
    if (restarted) {
      // One metrics file was rewritten: what the others gave before is void too, read everything again.
      for (const tail of this.tails.values()) tail.reset();
      this.resumeAt = undefined;
      out.clearPoints();
      metrics = await this.readMetrics(out, maxBytes);
      out.restarted = true;
    }
    out.more = metrics.more;
    const hparams = await this.readParams(out);
    if (hparams !== undefined) out.hparams = hparams;
    else if (restarted && this.hparams !== undefined) out.hparams = this.hparams;
    // The facts when they changed, and again after a restart (the consumer starts the run over).
    if ((await this.readMeta()) || (restarted && this.run !== undefined)) out.run = this.run;
    return out.build();
  }

  /** Re-reads meta.yaml when it changed; true when it says something new about the run. */
  private async readMeta(): Promise<boolean> {
    const read = await readSmallFile(path.join(this.file, 'meta.yaml'), this.metaSignature, 1024 * 1024);
    if (read === undefined || read === 'unchanged') return false;
    this.metaSignature = read.signature;
    const tagName = this.hparams?.[RUN_NAME_TAG];
    const info = mlflowRunInfo(parseSimpleYaml(read.text), typeof tagName === 'string' ? tagName : undefined);
    const text = JSON.stringify(info);
    if (text === this.runText) return false;
    this.run = info;
    this.runText = text;
    return true;
  }

  /**
   * Reads what the metrics files gained, from where the last bounded poll
   * stopped, until `maxBytes` were read: whether one of them was rewritten,
   * and whether the poll stopped with more to read.
   */
  private async readMetrics(out: UpdateBuilder, maxBytes: number): Promise<{ restarted: boolean; more: boolean }> {
    const metricsDir = path.join(this.file, 'metrics');
    const names = await listFiles(metricsDir, MAX_FILES);
    if (names.length >= MAX_FILES) out.warn(metricsDir, 'many', `more than ${MAX_FILES} metric files: the rest are not read`);
    let restarted = false;
    const present = new Set(names);
    for (const name of [...this.tails.keys()]) {
      if (!present.has(name)) {
        this.tails.delete(name);
        restarted = true;
      }
    }
    const first = this.resumeAt === undefined ? 0 : Math.max(0, names.indexOf(this.resumeAt));
    this.resumeAt = undefined;
    let used = 0;
    for (let k = 0; k < names.length; k++) {
      const name = names[(first + k) % names.length]!;
      if (used > 0 && used >= maxBytes) {
        this.resumeAt = name;
        return { restarted, more: await this.anyUnread(metricsDir, names, first + k, first + names.length) };
      }
      const file = path.join(metricsDir, ...name.split('/'));
      let tail = this.tails.get(name);
      if (!tail) {
        tail = new TextTail(file);
        this.tails.set(name, tail);
      }
      const { metric, split } = splitFromName(name);
      try {
        const read = await tail.read(
          (line) => {
            if (line.trim() === '') return;
            const parsed = parseMlflowMetricLine(line);
            if (!parsed) {
              out.skip(file, 'line', 'lines that are not "timestamp value step" skipped');
              return;
            }
            out.add(name, metric, split, parsed.step, parsed.value, parsed.timestamp / 1000, NaN);
          },
          { maxBytes: maxBytes - used },
        );
        out.skip(file, 'long', 'lines longer than 1 MB skipped', read.oversized);
        if (read.restarted) restarted = true;
        used += read.consumed;
        if (read.more) {
          this.resumeAt = names[(first + k + 1) % names.length];
          return { restarted, more: true };
        }
      } catch (error) {
        if (error instanceof FormatError && /ENOENT/.test(error.message)) {
          // Deleted between listing and reading.
          this.tails.delete(name);
          continue;
        }
        throw error;
      }
    }
    return { restarted, more: false };
  }

  /** Whether a metrics file of `names[from, to)` (indices taken round) holds bytes not read yet, or was cut short. */
  private async anyUnread(metricsDir: string, names: string[], from: number, to: number): Promise<boolean> {
    for (let i = from; i < to; i++) {
      const name = names[i % names.length]!;
      try {
        const stat = await fs.stat(path.join(metricsDir, ...name.split('/')));
        if (stat.size !== (this.tails.get(name)?.offset ?? 0)) return true;
      } catch {
        // Deleted since the listing: the next poll notices.
        return true;
      }
    }
    return false;
  }

  /** The params (and run name) when they changed since the last poll. */
  private async readParams(out: UpdateBuilder): Promise<HyperParameters | undefined> {
    const paramsDir = path.join(this.file, 'params');
    const names = await listFiles(paramsDir, MAX_FILES);
    const signatures: string[] = [];
    const values: HyperParameters = {};
    const files = names.map((name) => ({ name, file: path.join(paramsDir, ...name.split('/')) }));
    files.push({ name: RUN_NAME_TAG, file: path.join(this.file, 'tags', RUN_NAME_TAG) });
    for (const { name, file } of files) {
      const read = await readSmallFile(file, undefined, 1024 * 1024);
      if (read === undefined || read === 'unchanged') {
        if (name !== RUN_NAME_TAG) out.warn(file, 'param', 'a parameter file that cannot be read left out');
        continue;
      }
      signatures.push(`${name}=${read.signature}`);
      values[name] = name === RUN_NAME_TAG ? read.text.replace(/\r?\n$/, '') : scalarFromText(read.text);
    }
    const signature = signatures.join('\n');
    if (signature === this.paramsSignature) return undefined;
    this.paramsSignature = signature;
    if (this.hparams !== undefined && JSON.stringify(values) === JSON.stringify(this.hparams)) return undefined;
    if (Object.keys(values).length === 0 && this.hparams === undefined) return undefined;
    this.hparams = values;
    return values;
  }
}

/** A reader of one MLflow run folder of the local file store (`mlruns/<experiment>/<run>`). */
export function createMlflowReader(runDir: string): LogReader {
  return new MlflowReader(runDir);
}
