/**
 * Finding runs (src/formats/runDiscovery.ts) in real folders: TensorBoard's
 * per-split folders joined to their run, a run log's folder as one run even
 * with event files beside it, MLflow runs, Keras CSV logs; `runsFromFiles`
 * from a search's file list (any files, thousands, some gone) agreeing with
 * `findRuns`; readers per file.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findRuns, readerForFile, readersFor, runsFromFiles, type RunSource } from '../../src/formats/runDiscovery';
import { event, record, simple } from './tfeventsWriter';

/** A TFRecord file with one Event {step, summary {value {tag, simple_value}}}. */
const eventFile = (tag: string, step: number, value: number): Buffer => record(event(step, 0, [simple(tag, value)]));

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'dlkit-discovery-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes `content` at `relative` under the root, making folders; returns the absolute path. */
function put(relative: string, content: string | Buffer = ''): string {
  const file = path.join(root, ...relative.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const summary = (runs: RunSource[]): [string, string, string[]][] => runs.map((run) => [run.name, run.format, run.files.map((file) => path.relative(root, file).split(path.sep).join('/'))]);

/** One of every kind, and things that are no run. */
function workspace(): string[] {
  return [
    put('logs/fit/20240101-120000/train/events.out.tfevents.1.host.v2', eventFile('epoch_loss', 0, 1)),
    put('logs/fit/20240101-120000/validation/events.out.tfevents.2.host.v2', eventFile('epoch_loss', 0, 2)),
    put('tb/own/events.out.tfevents.3.host', eventFile('loss', 1, 3)),
    put('tb/own/train/events.out.tfevents.4.host', eventFile('loss', 1, 4)),
    put('runs/scaffolded/metrics.jsonl', '{"step": 1, "epoch": 1, "split": "train", "time": 1, "loss": 1}\n'),
    put('runs/scaffolded/run.json', '{"name": "scaffolded", "status": "running", "config": {}}'),
    put('runs/scaffolded/events.out.tfevents.5.host', eventFile('train/loss', 1, 1)),
    put('lightning_logs/version_0/metrics.csv', 'epoch,step,train_loss\n0,9,1.5\n'),
    put('lightning_logs/version_0/hparams.yaml', 'lr: 0.1\n'),
    put('logs/keras.log', 'epoch,loss\n0,0.5\n'),
    put('logs/notes.csv', 'name,value\na,1\n'),
    put('mlruns/0/meta.yaml', 'name: Default\n'),
    put('mlruns/0/abc/meta.yaml', 'run_name: calm\nstatus: 3\n'),
    put('mlruns/0/abc/metrics/loss', '1700000000000 0.5 0\n'),
    put('mlruns/0/abc/params/lr', '0.1'),
    put('mlruns/0/abc/artifacts/tb/events.out.tfevents.6.host', eventFile('loss', 0, 1)),
    put('node_modules/pkg/runs/x/metrics.jsonl', '{"step": 1, "split": "train", "loss": 1}\n'),
    put('README.md', '# hello\n'),
  ];
}

const EXPECTED: [string, string, string[]][] = [
  ['lightning_logs/version_0', 'lightning-csv', ['lightning_logs/version_0/metrics.csv']],
  ['logs/fit/20240101-120000', 'tfevents', ['logs/fit/20240101-120000/train/events.out.tfevents.1.host.v2', 'logs/fit/20240101-120000/validation/events.out.tfevents.2.host.v2']],
  ['logs/keras.log', 'keras-csv', ['logs/keras.log']],
  ['mlruns/0/abc', 'mlflow', ['mlruns/0/abc']],
  ['runs/scaffolded', 'jsonl', ['runs/scaffolded/metrics.jsonl']],
  ['tb/own', 'tfevents', ['tb/own/events.out.tfevents.3.host']],
  ['tb/own/train', 'tfevents', ['tb/own/train/events.out.tfevents.4.host']],
];

describe('run discovery: findRuns', () => {
  it('finds one run per run folder, sorted by name', async () => {
    workspace();
    assert.deepEqual(summary(await findRuns(root)), EXPECTED);
  });

  it('reads the split of each file of a run from its own folder', async () => {
    workspace();
    const run = (await findRuns(root)).find((r) => r.name === 'logs/fit/20240101-120000')!;
    const updates = await Promise.all(readersFor(run).map((reader) => reader.poll()));
    assert.deepEqual(
      updates.flatMap((u) => u.scalars.map((s) => [s.tag, s.metric, s.split, [...s.values]])),
      [
        ['epoch_loss', 'loss', 'train', [1]],
        ['epoch_loss', 'loss', 'val', [2]],
      ],
    );
  });

  it('a folder with a run log is one jsonl run, event files beside it or not', async () => {
    put('runs/a/metrics.jsonl', '{"step": 1, "epoch": 1, "split": "train", "time": 1, "loss": 1}\n');
    put('runs/a/events.out.tfevents.1.host', eventFile('train/loss', 1, 1));
    put('runs/b/events.out.tfevents.1.host', eventFile('train/loss', 1, 1));
    put('runs/c/metrics.jsonl', '{"step": 1, "epoch": 1, "split": "train", "time": 1, "loss": 1}\n');
    put('runs/c/validation/events.out.tfevents.2.host', eventFile('loss', 1, 1));
    const expected = [
      ['runs/a', 'jsonl', ['runs/a/metrics.jsonl']],
      ['runs/b', 'tfevents', ['runs/b/events.out.tfevents.1.host']],
      ['runs/c', 'jsonl', ['runs/c/metrics.jsonl']],
    ];
    assert.deepEqual(summary(await findRuns(root)), expected);
    const files = ['runs/a/metrics.jsonl', 'runs/a/events.out.tfevents.1.host', 'runs/b/events.out.tfevents.1.host', 'runs/c/validation/events.out.tfevents.2.host', 'runs/c/metrics.jsonl'];
    assert.deepEqual(summary(await runsFromFiles(root, files.map((file) => path.join(root, file)))), expected);
    assert.deepEqual(summary(await findRuns(path.join(root, 'runs', 'a'))), [['a', 'jsonl', ['runs/a/metrics.jsonl']]]);
  });

  it('a split folder searched by itself is its own run; a log file is its own run', async () => {
    const file = put('logs/fit/x/train/events.out.tfevents.1.host', eventFile('loss', 1, 1));
    assert.deepEqual(summary(await findRuns(path.join(root, 'logs', 'fit', 'x', 'train'))), [['train', 'tfevents', ['logs/fit/x/train/events.out.tfevents.1.host']]]);
    assert.deepEqual(summary(await findRuns(file)), [['events.out.tfevents.1.host', 'tfevents', ['logs/fit/x/train/events.out.tfevents.1.host']]]);
  });
});

describe('run discovery: runsFromFiles', () => {
  it('groups what a search found exactly as findRuns does', async () => {
    const files = workspace();
    assert.deepEqual(summary(await runsFromFiles(root, files)), EXPECTED);
    assert.deepEqual(await runsFromFiles(root, files), await findRuns(root));
  });

  it('takes any order, relative paths, duplicates, and MLflow runs from any of their files', async () => {
    const files = workspace();
    const relative = files.map((file) => path.relative(process.cwd(), file));
    const shuffled = [...relative].reverse().concat(relative.slice(0, 3));
    assert.deepEqual(summary(await runsFromFiles(root, shuffled)), EXPECTED);
    const onlyMetric = await runsFromFiles(root, [path.join(root, 'mlruns', '0', 'abc', 'metrics', 'loss')]);
    assert.deepEqual(summary(onlyMetric), [['mlruns/0/abc', 'mlflow', ['mlruns/0/abc']]]);
  });

  it('a run.json alone stands for its run log only when the log is there', async () => {
    put('runs/new/run.json', '{"status": "running"}');
    put('runs/started/run.json', '{"status": "running"}');
    put('runs/started/metrics.jsonl', '');
    const runs = await runsFromFiles(root, [path.join(root, 'runs', 'new', 'run.json'), path.join(root, 'runs', 'started', 'run.json')]);
    assert.deepEqual(summary(runs), [['runs/started', 'jsonl', ['runs/started/metrics.jsonl']]]);
  });

  it('leaves out files that are gone, outside the root, or in folders no run lives in', async () => {
    const files = workspace();
    const gone = [
      path.join(root, 'runs', 'deleted', 'metrics.jsonl'),
      path.join(root, 'runs', 'deleted', 'events.out.tfevents.9.host'),
      path.join(root, 'lightning_logs', 'version_9', 'metrics.csv'),
      path.join(root, 'logs', 'gone.log'),
      path.join(root, 'mlruns', '0', 'gone', 'meta.yaml'),
    ];
    const outside = path.join(path.dirname(root), 'elsewhere', 'metrics.jsonl');
    const venv = put('.venv/lib/runs/metrics.jsonl', '{"step": 1, "split": "train", "loss": 1}\n');
    assert.deepEqual(summary(await runsFromFiles(root, [...files, ...gone, outside, venv])), EXPECTED);
  });

  it('copes with thousands of candidate files', async () => {
    const files = workspace();
    for (let i = 0; i < 40; i++) files.push(put(`runs/r${String(i).padStart(2, '0')}/metrics.jsonl`, '{"step": 1, "epoch": 1, "split": "train", "time": 1, "loss": 1}\n'));
    for (let i = 0; i < 3000; i++) files.push(path.join(root, 'data', `sample${i}.png`), path.join(root, 'cache', `missing${i}.csv`));
    const runs = await runsFromFiles(root, files);
    assert.equal(runs.length, EXPECTED.length + 40);
    assert.deepEqual(
      runs.filter((run) => /^runs\/r\d\d$/.test(run.name)).map((run) => run.name),
      Array.from({ length: 40 }, (_, i) => `runs/r${String(i).padStart(2, '0')}`),
    );
  });
});

describe('run discovery: readers', () => {
  it('gives a reader for a file a run gained, and one folder reader for MLflow', async () => {
    workspace();
    const runs = await findRuns(root);
    const own = runs.find((r) => r.name === 'tb/own')!;
    const later = put('tb/own/events.out.tfevents.7.host', eventFile('loss', 2, 7));
    const reader = readerForFile(own, later);
    assert.equal(reader.file, later);
    assert.deepEqual(
      (await reader.poll()).scalars.map((s) => [s.tag, [...s.steps], [...s.values]]),
      [['loss', [2], [7]]],
    );
    const mlflow = runs.find((r) => r.format === 'mlflow')!;
    const folderReader = readerForFile(mlflow, path.join(mlflow.path, 'metrics', 'loss'));
    assert.equal(folderReader.file, mlflow.path);
    const update = await folderReader.poll();
    assert.deepEqual(update.run, { name: 'calm', status: 'finished' });
    assert.deepEqual(
      update.scalars.map((s) => [s.tag, [...s.values]]),
      [['loss', [0.5]]],
    );
    assert.deepEqual(
      readersFor(runs.find((r) => r.format === 'keras-csv')!).map((r) => [r.format, r.file]),
      [['keras-csv', path.join(root, 'logs', 'keras.log')]],
    );
  });
});
