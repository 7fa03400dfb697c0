/**
 * JSONL training logs, read incrementally:
 *
 * - our run log (docs/run-log-format.md): `metrics.jsonl` rows with `step`,
 *   `epoch`, `split`, `time` and metrics, non-finite values as the strings
 *   `"NaN"`/`"Infinity"`/`"-Infinity"` or as Python's bare tokens; `run.json`
 *   beside it gives the hyper-parameters (its `config`, flattened) and says
 *   whether the run has ended (then a last line without `\n` is taken if it is
 *   a whole object).
 * - any JSONL of numbers: each object's numeric fields are metrics; x is
 *   `step`, `global_step` or `iteration`, else the line's index.
 *
 * The first object decides: one with a string `split` makes the file a run
 * log, whose later rows must have an integral `step` and a `split`.
 */
import * as path from 'node:path';
import type { HyperParameters, LogUpdate, ScalarPoint } from '../protocol/monitor';
import type { LogReader } from './logReader';
import { TextTail, UpdateBuilder, WarningLog, readSmallFile, splitFromPrefix } from './textTail';

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
    try {
      value = JSON.parse(quoteNonFiniteTokens(line));
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

class JsonlReader implements LogReader {
  readonly format = 'jsonl' as const;
  readonly file: string;
  private readonly tail: TextTail;
  private readonly warnings = new WarningLog();
  private mode: 'run' | 'generic' | undefined;
  private lineIndex = 0;
  private runSignature: string | undefined;
  private hparams: HyperParameters | undefined;
  private ended = false;

  constructor(file: string) {
    this.file = file;
    this.tail = new TextTail(file);
  }

  async poll(): Promise<LogUpdate> {
    const out = new UpdateBuilder(this.warnings);
    const hparamsChanged = await this.readRunJson(out);
    const read = await this.tail.read((line) => this.line(line, out), {
      onRestart: () => {
        this.mode = undefined;
        this.lineIndex = 0;
      },
      takeUnterminated: (line) => {
        if (!this.ended) return false;
        if (parseJsonObject(line) !== undefined) return true;
        out.skip(this.file, 'unterminated', 'a last line left unfinished by an ended run dropped');
        return false;
      },
    });
    if (read.restarted) out.restarted = true;
    out.skip(this.file, 'long', 'lines longer than 1 MB skipped', read.oversized);
    if (this.hparams && (hparamsChanged || read.restarted)) out.hparams = this.hparams;
    return out.build();
  }

  /** Re-reads run.json when it changed; true when the hyper-parameters are new. */
  private async readRunJson(out: UpdateBuilder): Promise<boolean> {
    const file = path.join(path.dirname(this.file), 'run.json');
    const read = await readSmallFile(file, this.runSignature);
    if (read === undefined || read === 'unchanged') return false;
    let run: unknown;
    try {
      run = JSON.parse(read.text);
    } catch {
      // Caught halfway through a rewrite: keep what was read before, try again next poll.
      return false;
    }
    if (typeof run !== 'object' || run === null || Array.isArray(run)) return false;
    this.runSignature = read.signature;
    const info = run as Record<string, unknown>;
    this.ended = info['status'] === 'finished' || info['status'] === 'failed';
    const format = info['format'];
    if (typeof format === 'number' && format > KNOWN_RUN_FORMAT) {
      out.warn(file, 'format', `written in run-log format ${format}, newer than this reader knows (${KNOWN_RUN_FORMAT}); showing what it can`);
    }
    const hparams = flattenConfig(info['config']);
    if (this.hparams !== undefined && JSON.stringify(hparams) === JSON.stringify(this.hparams)) return false;
    this.hparams = hparams;
    return true;
  }

  private line(line: string, out: UpdateBuilder): void {
    if (line.trim() === '') return;
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
    const point: Omit<ScalarPoint, 'value'> = { step };
    const epoch = integral(row['epoch']);
    if (epoch !== undefined) point.epoch = epoch;
    const time = row['time'];
    if (typeof time === 'number') point.wallTime = time;
    for (const [key, raw] of Object.entries(row)) {
      if (RUN_KEYS.has(key)) continue;
      const value = metricValue(raw);
      if (value !== undefined) out.add(key, key, split, { ...point, value });
    }
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
    const point: Omit<ScalarPoint, 'value'> = { step };
    const epoch = integral(row['epoch']);
    if (epoch !== undefined) {
      point.epoch = epoch;
      used.add('epoch');
    }
    for (const key of TIME_KEYS) {
      const value = row[key];
      if (typeof value === 'number') {
        point.wallTime = value;
        used.add(key);
        break;
      }
    }
    for (const [key, raw] of Object.entries(row)) {
      if (used.has(key)) continue;
      const value = metricValue(raw);
      if (value === undefined) continue;
      const { metric, split } = splitFromPrefix(key);
      out.add(key, metric, split, { ...point, value });
    }
  }
}

/** A reader of a JSONL log: our run log's `metrics.jsonl` (with `run.json` beside it), or any JSONL of numbers. */
export function createJsonlReader(file: string): LogReader {
  return new JsonlReader(file);
}
