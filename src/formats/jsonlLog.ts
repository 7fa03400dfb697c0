/**
 * JSONL training logs, read incrementally:
 *
 * - our run log (docs/run-log-format.md): `metrics.jsonl` rows with `step`,
 *   `epoch`, `split`, `time` and metrics, non-finite values as the strings
 *   `"NaN"`/`"Infinity"`/`"-Infinity"` or as Python's bare tokens; `run.json`
 *   beside it gives the hyper-parameters (its `config`, flattened), the run's
 *   facts (name, status, times, plan, pid) and whether it has ended (then a
 *   last line without `\n` is taken if it is a whole object). A step lower
 *   than its split's last one is a resumed run: `rewinds`.
 * - any JSONL of numbers: each object's numeric fields are metrics (`val_loss`,
 *   `train/loss`: src/formats/splitNames.ts); x is `step`, `global_step` or
 *   `iteration`, else the line's index.
 *
 * The first object decides: one with a string `split` makes the file a run
 * log, whose later rows must have an integral `step` and a `split`.
 */
import * as path from 'node:path';
import type { HyperParameters, LogUpdate, RunInfo } from '../protocol/monitor';
import type { LogReader, PollLimit } from './logReader';
import { splitFromName } from './splitNames';
import { TextTail, UpdateBuilder, WarningLog, readSmallFile } from './textTail';

const RUN_KEYS = new Set(['step', 'epoch', 'split', 'time']);
const STEP_KEYS = ['step', 'global_step', 'iteration'] as const;
const TIME_KEYS = ['time', 'timestamp', 'wall_time', 'walltime'] as const;
const NON_FINITE_TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const;
const KNOWN_RUN_FORMAT = 1;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/** Python's bare `NaN`, `Infinity`, `-Infinity` where a value stands, turned into JSON strings. */
export function quoteNonFiniteTokens(line: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    if (c !== 'N' && c !== 'I' && c !== '-') continue;
    const token = NON_FINITE_TOKENS.find((t) => line.startsWith(t, i));
    if (token === undefined) continue;
    let before = i - 1;
    while (before >= 0 && isSpace(line[before])) before--;
    let after = i + token.length;
    while (after < line.length && isSpace(line[after])) after++;
    const prev = line[before];
    const next = line[after];
    if ((prev === ':' || prev === ',' || prev === '[') && (next === ',' || next === '}' || next === ']')) {
      out += `${line.slice(last, i)}"${token}"`;
      last = i + token.length;
      i = last - 1;
    }
  }
  return last === 0 ? line : out + line.slice(last);
}

/** A parsed line as an object, or undefined when it is not a JSON object. */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    const quoted = quoteNonFiniteTokens(line);
    if (quoted === line) return undefined;
    try {
      value = JSON.parse(quoted);
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A metric value: a number, or one of the three non-finite strings; undefined for `null` and anything else. */
export function metricValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return undefined;
}

function integral(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** `config` of run.json as flat hyper-parameters: nested keys joined by `.`, arrays as JSON text. */
export function flattenConfig(value: unknown, prefix = '', into: HyperParameters = {}): HyperParameters {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return into;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (item === null || typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') into[name] = item;
    else if (Array.isArray(item)) into[name] = JSON.stringify(item);
    else if (typeof item === 'object') flattenConfig(item, name, into);
  }
  return into;
}

/** What run.json says about the run itself (docs/run-log-format.md); fields of the wrong type are left out. */
export function runInfoOf(run: Record<string, unknown>): RunInfo {
  const info: RunInfo = {};
  const name = run['name'];
  if (typeof name === 'string' && name !== '') info.name = name;
  const status = run['status'];
  if (status === 'running' || status === 'finished' || status === 'failed') info.status = status;
  const seconds = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);
  const started = seconds(run['started']);
  if (started !== undefined) info.started = started;
  const ended = seconds(run['ended']);
  if (ended !== undefined) info.ended = ended;
  const plannedEpochs = count(run['planned_epochs']);
  if (plannedEpochs !== undefined) info.plannedEpochs = plannedEpochs;
  const plannedSteps = count(run['planned_steps']);
  if (plannedSteps !== undefined) info.plannedSteps = plannedSteps;
  const pid = count(run['pid']);
  if (pid !== undefined && pid > 0) info.pid = pid;
  const format = run['format'];
  if (typeof format === 'number' && format > KNOWN_RUN_FORMAT) info.newerFormat = true;
  return info;
}

class JsonlReader implements LogReader {
  readonly format = 'jsonl' as const;
  readonly file: string;
  private readonly tail: TextTail;
  private readonly warnings = new WarningLog();
  private mode: 'run' | 'generic' | undefined;
  private lineIndex = 0;
  private runSignature: string | undefined;
  private hparams: HyperParameters | undefined;
  private run: RunInfo | undefined;
  private runText: string | undefined;
  private ended = false;
  /** Run log: the last step of each split, and the metrics each split has had (rule 4, resumed runs). */
  private readonly lastSteps = new Map<string, number>();
  private readonly splitTags = new Map<string, Set<string>>();

  constructor(file: string) {
    this.file = file;
    this.tail = new TextTail(file);
  }

  async poll(limit?: PollLimit): Promise<LogUpdate> {
    const out = new UpdateBuilder(this.warnings);
    const changed = await this.readRunJson(out);
    const read = await this.tail.read((line) => this.line(line, out), {
      onRestart: () => {
        this.mode = undefined;
        this.lineIndex = 0;
        this.lastSteps.clear();
        this.splitTags.clear();
      },
      takeUnterminated: (line) => {
        if (!this.ended) return false;
        if (parseJsonObject(line) !== undefined) return true;
        out.skip(this.file, 'unterminated', 'a last line left unfinished by an ended run dropped');
        return false;
      },
      maxBytes: limit?.maxBytes,
    });
    if (read.restarted) out.restarted = true;
    out.more = read.more;
    out.skip(this.file, 'long', 'lines longer than 1 MB skipped', read.oversized);
    // Both again after a restart: the consumer starts the run over.
    if (this.hparams && (changed.hparams || read.restarted)) out.hparams = this.hparams;
    if (this.run && (changed.run || read.restarted)) out.run = this.run;
    return out.build();
  }

  /** Re-reads run.json when it changed; says whether the hyper-parameters and the run facts are new. */
  private async readRunJson(out: UpdateBuilder): Promise<{ hparams: boolean; run: boolean }> {
    const unchanged = { hparams: false, run: false };
    const file = path.join(path.dirname(this.file), 'run.json');
    const read = await readSmallFile(file, this.runSignature);
    if (read === undefined || read === 'unchanged') return unchanged;
    let run: unknown;
    try {
      run = JSON.parse(read.text);
    } catch {
      // Caught halfway through a rewrite: keep what was read before, try again next poll.
      return unchanged;
    }
    if (typeof run !== 'object' || run === null || Array.isArray(run)) return unchanged;
    this.runSignature = read.signature;
    const fields = run as Record<string, unknown>;
    this.ended = fields['status'] === 'finished' || fields['status'] === 'failed';
    const format = fields['format'];
    if (typeof format === 'number' && format > KNOWN_RUN_FORMAT) {
      out.warn(file, 'format', `written in run-log format ${format}, newer than this reader knows (${KNOWN_RUN_FORMAT}); showing what it can`);
    }
    const info = runInfoOf(fields);
    const infoText = JSON.stringify(info);
    const runChanged = infoText !== this.runText;
    this.run = info;
    this.runText = infoText;
    const hparams = flattenConfig(fields['config']);
    const hparamsChanged = this.hparams === undefined || JSON.stringify(hparams) !== JSON.stringify(this.hparams);
    if (hparamsChanged) this.hparams = hparams;
    return { hparams: hparamsChanged, run: runChanged };
  }

  private line(line: string, out: UpdateBuilder): void {
    if (line.charCodeAt(0) !== 0x7b && line.trim() === '') return;
    const index = this.lineIndex++;
    const row = parseJsonObject(line);
    if (row === undefined) {
      out.skip(this.file, 'json', 'lines that are not JSON objects skipped');
      return;
    }
    if (this.mode === undefined) this.mode = typeof row['split'] === 'string' ? 'run' : 'generic';
    if (this.mode === 'run') this.runRow(row, out);
    else this.genericRow(row, index, out);
  }

  private runRow(row: Record<string, unknown>, out: UpdateBuilder): void {
    const step = integral(row['step']);
    const split = row['split'];
    if (step === undefined || typeof split !== 'string') {
      out.skip(this.file, 'row', 'rows without an integer step and a split skipped');
      return;
    }
    const last = this.lastSteps.get(split);
    if (last !== undefined && step < last) this.resumed(split, step, out);
    this.lastSteps.set(split, step);
    let tags = this.splitTags.get(split);
    if (tags === undefined) {
      tags = new Set();
      this.splitTags.set(split, tags);
    }
    const epoch = integral(row['epoch']) ?? NaN;
    const time = row['time'];
    const wallTime = typeof time === 'number' ? time : NaN;
    for (const key in row) {
      if (RUN_KEYS.has(key)) continue;
      const value = metricValue(row[key]);
      if (value === undefined) continue;
      tags.add(key);
      out.add(key, key, split, step, value, wallTime, epoch);
    }
  }

  /** Rule 4: the run was resumed from an earlier checkpoint; every metric of `split` goes back to `fromStep`. */
  private resumed(split: string, fromStep: number, out: UpdateBuilder): void {
    for (const tag of this.splitTags.get(split) ?? []) out.rewind(tag, split, fromStep);
  }

  private genericRow(row: Record<string, unknown>, index: number, out: UpdateBuilder): void {
    const used = new Set<string>();
    let step = index;
    for (const key of STEP_KEYS) {
      const value = integral(row[key]);
      if (value !== undefined) {
        step = value;
        used.add(key);
        break;
      }
    }
    const epoch = integral(row['epoch']) ?? NaN;
    if (!Number.isNaN(epoch)) used.add('epoch');
    let wallTime = NaN;
    for (const key of TIME_KEYS) {
      const value = row[key];
      if (typeof value === 'number') {
        wallTime = value;
        used.add(key);
        break;
      }
    }
    for (const key in row) {
      if (used.has(key)) continue;
      const value = metricValue(row[key]);
      if (value === undefined) continue;
      const { metric, split } = splitFromName(key);
      out.add(key, metric, split, step, value, wallTime, epoch);
    }
  }
}

/** A reader of a JSONL log: our run log's `metrics.jsonl` (with `run.json` beside it), or any JSONL of numbers. */
export function createJsonlReader(file: string): LogReader {
  return new JsonlReader(file);
}
