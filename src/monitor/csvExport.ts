/**
 * Every scalar of the chosen runs as one long CSV table (`run,tag,metric,
 * split,step,epoch,wall_time,value`): all points, never the drawn subset,
 * written in chunks so a million points do not build one giant string. A run
 * too large to keep whole in memory (thinned) is read again from its files.
 */
import * as fs from 'node:fs';
import { readerForFile } from '../formats/runDiscovery';
import { POLL_BYTES, type RunTracker } from './runTracker';
import type { Columns } from './seriesColumns';

export const CSV_HEADER = 'run,tag,metric,split,step,epoch,wall_time,value';
const ROWS_PER_CHUNK = 10_000;

export function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvNumber(value: number): string {
  return Number.isNaN(value) ? '' : String(value);
}

interface SeriesRows {
  tag: string;
  metric: string;
  split?: string | undefined;
}

/** Counts the rows written. */
export interface RowCount {
  rows: number;
}

/** The rows of some points of one series, in chunks of lines. */
function* rows(runName: string, series: SeriesRows, columns: Columns, count: RowCount): Generator<string> {
  const prefix = `${csvField(runName)},${csvField(series.tag)},${csvField(series.metric)},${csvField(series.split ?? '')},`;
  let lines: string[] = [];
  for (let i = 0; i < columns.steps.length; i++) {
    // The value keeps NaN/Infinity spelled out: an empty cell would read as "not measured".
    lines.push(`${prefix}${columns.steps[i]},${csvNumber(columns.epochs[i]!)},${csvNumber(columns.wallTimes[i]!)},${columns.values[i]}`);
    if (lines.length === ROWS_PER_CHUNK) {
      count.rows += lines.length;
      yield `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  count.rows += lines.length;
  if (lines.length > 0) yield `${lines.join('\n')}\n`;
}

/** A thinned run's points as its files hold them, read in bounded steps (rows of a resumed run's superseded steps included). */
async function* rowsFromFiles(name: string, run: RunTracker, count: RowCount): AsyncGenerator<string> {
  for (const file of run.files) {
    const reader = readerForFile(run.source, file);
    for (let more = true; more; ) {
      const update = await reader.poll({ maxBytes: POLL_BYTES });
      for (const series of update.scalars) yield* rows(name, series, series, count);
      more = update.more === true;
    }
  }
}

/** The file's text in chunks of lines, header first. */
export async function* csvChunks(runs: { name: string; run: RunTracker }[], count: RowCount = { rows: 0 }): AsyncGenerator<string> {
  yield `${CSV_HEADER}\n`;
  for (const { name, run } of runs) {
    if (run.thinned) {
      yield* rowsFromFiles(name, run, count);
      continue;
    }
    for (const series of [...run.series.values()].sort((a, b) => a.tag.localeCompare(b.tag) || (a.split ?? '').localeCompare(b.split ?? ''))) {
      yield* rows(name, series, series.columns.copy(), count);
    }
  }
}

/** Writes the CSV to `file`; resolves with the number of rows written. */
export async function writeCsv(file: string, runs: { name: string; run: RunTracker }[]): Promise<number> {
  const out = fs.createWriteStream(file, { encoding: 'utf8' });
  const finished = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  const count: RowCount = { rows: 0 };
  for await (const chunk of csvChunks(runs, count)) {
    if (!out.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        out.once('drain', resolve);
        out.once('error', reject);
      });
    }
  }
  out.end();
  await finished;
  return count.rows;
}
