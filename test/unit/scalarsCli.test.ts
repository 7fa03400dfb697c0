/** `dlkit scalars` as users run it: the real dist/cli.js on the demo workspace and real logs. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { realFixture } from './realFixtures';

const root = process.cwd();

interface Series {
  tag: string;
  metric: string;
  split?: string;
  points: number;
  first: { step: number; value: number | string };
  last: { step: number; value: number | string };
}
interface Run {
  name: string;
  format: string;
  series: Series[];
}

function scalars(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'scalars', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function runsOf(...args: string[]): Run[] {
  const result = scalars(...args, '--json');
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { runs: Run[] }).runs;
}

describe('dlkit scalars (dist/cli.js)', () => {
  it('finds every kind of run in demo/ with its format', () => {
    const runs = runsOf('demo');
    assert.deepEqual(
      runs.map((run) => [run.name, run.format]).sort(),
      [
        ['lightning_logs/version_0', 'lightning-csv'],
        ['logs/keras_csvlogger/training.log', 'keras-csv'],
        ['runs/cnn-baseline', 'jsonl'],
        ['runs/cnn-wider', 'jsonl'],
      ],
    );
  });

  it('counts the points of a JSONL run log as the file has them, per split', () => {
    const lines = readFileSync(path.join(root, 'demo', 'runs', 'cnn-baseline', 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { step: number; split: string; loss: number });
    const run = runsOf('demo/runs/cnn-baseline')[0]!;
    for (const split of ['train', 'val']) {
      const rows = lines.filter((line) => line.split === split);
      const loss = run.series.find((series) => series.metric === 'loss' && series.split === split)!;
      assert.equal(loss.points, rows.length);
      assert.deepEqual(loss.first, { step: rows[0]!.step, value: rows[0]!.loss });
      assert.deepEqual(loss.last, { step: rows.at(-1)!.step, value: rows.at(-1)!.loss });
    }
  });

  it('reads a TensorBoard event file given by path: 100 points of strict/foo', () => {
    const folder = realFixture('tfevents', 'strict_run_1');
    const runs = runsOf(folder);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.format, 'tfevents');
    const foo = runs[0]!.series.find((series) => series.tag === 'strict/foo');
    assert.equal(foo?.points, 100);
  });

  it('prints a table without --json, and exits 1 naming a path that does not exist', () => {
    const table = scalars('demo/runs');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^runs\/cnn-baseline|^cnn-baseline/m);
    assert.match(table.stdout, /points\s+first \(step: value\)/);
    const missing = scalars('no/such/folder');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /folder: cannot read/);
  });
});
