/**
 * Every scalar of the chosen runs as one long CSV table (`run,tag,metric,
 * split,step,epoch,wall_time,value`): all points, never the drawn subset,
 * written in chunks so a million points do not build one giant string.
 */
import * as fs from 'node:fs';
import type { RunTracker } from './runTracker';

export const CSV_HEADER = 'run,tag,metric,split,step,epoch,wall_time,value';
const ROWS_PER_CHUNK = 10_000;

export function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvNumber(value: number): string {
  return Number.isNaN(value) ? '' : String(value);
}

/** The file's text in chunks of lines, header first. */
export function* csvChunks(runs: { name: string; run: RunTracker }[]): Generator<string> {
  yield `${CSV_HEADER}\n`;
  for (const { name, run } of runs) {
    for (const series of [...run.series.values()].sort((a, b) => a.tag.localeCompare(b.tag) || (a.split ?? '').localeCompare(b.split ?? ''))) {
      const prefix = `${csvField(name)},${csvField(series.tag)},${csvField(series.metric)},${csvField(series.split ?? '')},`;
      const columns = series.columns;
      let lines: string[] = [];
      for (let i = 0; i < columns.length; i++) {
        // The value keeps NaN/Infinity spelled out: an empty cell would read as "not measured".
        const value = columns.valueAt(i);
        lines.push(`${prefix}${columns.stepAt(i)},${csvNumber(columns.epochAt(i))},${csvNumber(columns.wallTimeAt(i))},${value}`);
        if (lines.length === ROWS_PER_CHUNK) {
          yield `${lines.join('\n')}\n`;
          lines = [];
        }
      }
      if (lines.length > 0) yield `${lines.join('\n')}\n`;
    }
  }
}

/** Writes the CSV to `file`; resolves with the number of points written. */
export async function writeCsv(file: string, runs: { name: string; run: RunTracker }[]): Promise<number> {
  const out = fs.createWriteStream(file, { encoding: 'utf8' });
  const finished = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  let points = 0;
  for (const { run } of runs) for (const series of run.series.values()) points += series.columns.length;
  for (const chunk of csvChunks(runs)) {
    if (!out.write(chunk)) await new Promise<void>((resolve, reject) => {
      out.once('drain', resolve);
      out.once('error', reject);
    });
  }
  out.end();
  await finished;
  return points;
}
