/**
 * `dlkit scalars` as users run it: the real dist/cli.js (or the bundle
 * DLKIT_CLI names) on the demo workspace, real logs and folders made here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { realFixture } from './realFixtures';

const root = process.cwd();
const cliPath = process.env['DLKIT_CLI'] ? path.resolve(process.env['DLKIT_CLI']) : path.join(root, 'dist', 'cli.js');

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
  const result = spawnSync(process.execPath, [cliPath, 'scalars', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
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

  it('one run for a scaffolded folder (run log and event files) and one for Keras train/validation folders', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'dlkit-scalars-'));
    try {
      const scaffolded = path.join(work, 'runs', 'cnn-baseline');
      mkdirSync(scaffolded, { recursive: true });
      for (const name of ['metrics.jsonl', 'run.json']) copyFileSync(path.join(root, 'demo', 'runs', 'cnn-baseline', name), path.join(scaffolded, name));
      const lightning = realFixture('tfevents', 'lightning_lstm');
      const events = readdirSync(lightning).find((name) => name.startsWith('events.out.tfevents.'))!;
      copyFileSync(path.join(lightning, events), path.join(scaffolded, events));
      for (const split of ['train', 'validation']) {
        mkdirSync(path.join(work, 'logs', 'fit', 'x', split), { recursive: true });
        copyFileSync(path.join(lightning, events), path.join(work, 'logs', 'fit', 'x', split, events));
      }
      writeFileSync(path.join(work, 'notes.txt'), 'not a log\n');
      const runs = runsOf(work);
      assert.deepEqual(
        runs.map((run) => [run.name, run.format]),
        [
          ['logs/fit/x', 'tfevents'],
          ['runs/cnn-baseline', 'jsonl'],
        ],
      );
      const trainLoss = runs[0]!.series.filter((series) => series.tag === 'train_loss');
      assert.deepEqual(
        trainLoss.map((series) => [series.metric, series.split, series.points]),
        [
          ['train_loss', 'train', 7691],
          ['train_loss', 'val', 7691],
        ],
        'a folder split wins over the tag prefix, and each folder keeps its series',
      );
      const valLoss = runs[1]!.series.find((series) => series.metric === 'loss' && series.split === 'val')!;
      assert.deepEqual([valLoss.points, valLoss.first, valLoss.last], [5, { step: 64, value: 1.07368 }, { step: 320, value: 0.600759 }]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
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
