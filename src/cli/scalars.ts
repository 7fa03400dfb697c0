import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { findRuns, readersFor, type RunSource } from '../formats/runDiscovery';
import { UsageError, type CliCommand } from './command';

/** A value as JSON can carry it: non-finite numbers as the run log writes them. */
function jsonValue(value: number): number | string {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

interface SeriesReport {
  tag: string;
  metric: string;
  split?: string;
  points: number;
  first: { step: number; value: number | string };
  last: { step: number; value: number | string };
}

interface RunReport {
  name: string;
  path: string;
  format: string;
  series: SeriesReport[];
  skipped: number;
  warnings: string[];
}

/** One series of a run, gathered from every file and poll: its count and its ends. */
interface Gathered {
  tag: string;
  metric: string;
  split?: string;
  points: number;
  first?: { step: number; value: number };
  last?: { step: number; value: number };
}

const point = (p: { step: number; value: number }) => ({ step: p.step, value: jsonValue(p.value) });

/** Reads every file of a run once, to its end, and summarises each series. */
async function readRun(run: RunSource): Promise<RunReport> {
  const series = new Map<string, Gathered>();
  let skipped = 0;
  const warnings: string[] = [];
  // A first poll's rewinds concern only points earlier polls gave: none here.
  for (const reader of readersFor(run)) {
    const update = await reader.poll();
    skipped += update.skipped;
    warnings.push(...update.warnings);
    for (const found of update.scalars) {
      const count = found.steps.length;
      if (count === 0) continue;
      // Several files of one run (TensorBoard) may write the same tag: one series per tag and split.
      const key = `${found.tag}\u0000${found.split ?? ''}`;
      let entry = series.get(key);
      if (entry === undefined) {
        entry = { tag: found.tag, metric: found.metric, points: 0 };
        if (found.split !== undefined) entry.split = found.split;
        series.set(key, entry);
      }
      entry.first ??= { step: found.steps[0]!, value: found.values[0]! };
      entry.last = { step: found.steps[count - 1]!, value: found.values[count - 1]! };
      entry.points += count;
    }
  }
  const reports = [...series.values()].map((entry): SeriesReport => ({
    tag: entry.tag,
    metric: entry.metric,
    ...(entry.split !== undefined ? { split: entry.split } : {}),
    points: entry.points,
    first: point(entry.first!),
    last: point(entry.last!),
  }));
  return { name: run.name, path: run.path, format: run.format, series: reports, skipped, warnings };
}

function formatRuns(runs: RunReport[]): string {
  if (runs.length === 0) return 'No training runs found.';
  const lines: string[] = [];
  for (const run of runs) {
    lines.push(`${run.name}  (${run.format}${run.skipped ? `, ${run.skipped} damaged records skipped` : ''})`);
    const rows = run.series.map((s) => [
      `  ${s.tag}${s.split && !s.tag.includes(s.split) ? ` [${s.split}]` : ''}`,
      String(s.points),
      `${s.first.step}: ${s.first.value}`,
      `${s.last.step}: ${s.last.value}`,
    ]);
    const header = ['  tag', 'points', 'first (step: value)', 'last (step: value)'];
    const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
    for (const row of [header, ...rows]) lines.push(row.map((cell, i) => (i === 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
    for (const warning of run.warnings) lines.push(`  warning: ${warning}`);
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

export const scalarsCommand: CliCommand = {
  summary: 'training runs in a folder (or one log file): their metrics, points, first and last values',
  usage: `Usage: dlkit scalars PATH [--json]

Finds training runs under PATH (or reads PATH itself when it is a log file):
TensorBoard event files, Keras CSVLogger logs, Lightning metrics.csv, JSONL
run logs (metrics.jsonl) and MLflow file-store runs. For each run it prints
every metric with its number of points and its first and last (step, value).

  --json    print {"runs": [{name, path, format, series: [{tag, points, first, last}]}]}`,
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true, allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError('give exactly one folder or log file');
    const root = path.resolve(positionals[0]!);
    const runs = await Promise.all((await findRuns(root)).map(readRun));
    io.out(values.json ? JSON.stringify({ runs }, null, 2) : formatRuns(runs));
    return 0;
  },
};
