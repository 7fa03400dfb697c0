/**
 * The Training Monitor page's pure parts: which way a metric improves, the
 * runs table's last/best values, number and time formatting, progress and
 * duration, the hyper-parameter comparison and the gallery's order.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createJsonlReader } from '../../src/formats/jsonlLog';
import type { HyperParameters } from '../../src/protocol/monitor';
import type { GalleryImage, SeriesData } from '../../src/protocol/monitorView';
import { formatCount, formatDuration, formatRelativeTime, formatValue } from '../../webviews/monitor/format';
import { galleryItems } from '../../webviews/monitor/galleryItems';
import { formatHyperValue, hparamRows, splitByHparams } from '../../webviews/monitor/hparamRows';
import { mainMetricSeries, metricGoal, summariseSeries } from '../../webviews/monitor/metrics';
import { processState, runDuration, runFileToOpen, runProgress } from '../../webviews/monitor/runInfo';
import { SeriesStore } from '../../webviews/monitor/seriesStore';

describe('monitor view: metric goals', () => {
  it('minimises losses and errors, whatever the prefix, suffix or case', () => {
    for (const name of ['loss', 'val_loss', 'train/loss', 'loss_epoch', 'valLoss', 'mean_absolute_error', 'mae', 'mse', 'val_rmse', 'perplexity', 'ppl', 'nll', 'sparse_categorical_crossentropy', 'wer', 'top5_error', 'KLD', 'valloss']) {
      assert.equal(metricGoal(name), 'min', name);
    }
  });

  it('maximises scores', () => {
    for (const name of ['acc', 'accuracy', 'val_accuracy', 'categorical_accuracy', 'acc1', 'top5', 'auc', 'val_auc', 'f1', 'f1_score', 'precision', 'recall', 'iou', 'meanIoU', 'mAP', 'dice_coef', 'r2', 'psnr', 'episode_reward', 'trainacc']) {
      assert.equal(metricGoal(name), 'max', name);
    }
  });

  it('calls a name with both a loss and a score a loss', () => {
    assert.equal(metricGoal('dice_loss'), 'min');
    assert.equal(metricGoal('iou_loss'), 'min');
    assert.equal(metricGoal('accuracy_error'), 'min');
  });

  it('has no goal for names that do not say', () => {
    for (const name of ['lr', 'learning_rate', 'grad_norm', 'epoch_time', 'accumulated_steps', 'throughput', 'gpu_mem', '']) {
      assert.equal(metricGoal(name), undefined, name);
    }
  });
});

function data(metric: string, values: number[], split?: string): SeriesData {
  const result: SeriesData = {
    key: `r\u0000${split ?? ''}/${metric}`,
    runId: 'r',
    tag: metric,
    metric,
    steps: Float64Array.from(values, (_, index) => index),
    values: Float64Array.from(values),
    wallTimes: new Float64Array(values.length).fill(Number.NaN),
    epochs: new Float64Array(values.length).fill(Number.NaN),
  };
  if (split) result.split = split;
  return result;
}

describe('monitor view: the runs table main metric', () => {
  it('summarises every split of loss, train before val before test', () => {
    const series = [data('accuracy', [0.5], 'train'), data('loss', [1], 'test'), data('loss', [2], 'val'), data('lr', [0.1], 'train'), data('loss', [3], 'train')];
    assert.deepEqual(
      mainMetricSeries(series).map((item) => item.split),
      ['train', 'val', 'test'],
    );
  });

  it('falls back to the first metric when there is no loss', () => {
    const series = [data('accuracy', [0.5], 'val'), data('lr', [0.1]), data('accuracy', [0.4], 'train'), data('accuracy', [0.6])];
    assert.deepEqual(
      mainMetricSeries(series).map((item) => `${item.metric}:${item.split ?? '-'}`),
      ['accuracy:-', 'accuracy:train', 'accuracy:val'],
    );
    assert.deepEqual(mainMetricSeries([]), []);
  });

  it('gives the last value and the best one by the metric goal', () => {
    const loss = data('loss', [2, 0.5, 0.7], 'val');
    assert.deepEqual(summariseSeries(loss, { min: 0.5, max: 2 }), { label: 'val loss', last: 0.7, best: 0.5, goal: 'min' });
    const accuracy = data('accuracy', [0.2, 0.9, 0.8]);
    assert.deepEqual(summariseSeries(accuracy, { min: 0.2, max: 0.9 }), { label: 'accuracy', last: 0.8, best: 0.9, goal: 'max' });
    const lr = data('lr', [0.1, 0.01]);
    assert.deepEqual(summariseSeries(lr, { min: 0.01, max: 0.1 }), { label: 'lr', last: 0.01, best: undefined, goal: undefined });
  });

  it('shows a diverged last value as it is, and no best without a finite value', () => {
    const diverged = summariseSeries(data('loss', [1, Number.NaN]), { min: 1, max: 1 });
    assert.ok(Number.isNaN(diverged.last));
    assert.equal(diverged.best, 1);
    const never = summariseSeries(data('loss', [Number.POSITIVE_INFINITY]), { min: Number.NaN, max: Number.NaN });
    assert.equal(never.last, Number.POSITIVE_INFINITY);
    assert.equal(never.best, undefined);
    assert.equal(summariseSeries(data('loss', []), { min: Number.NaN, max: Number.NaN }).last, undefined);
  });

  it('finds the best validation loss of a real run log', async () => {
    const file = path.resolve('demo/runs/cnn-baseline/metrics.jsonl');
    const update = await createJsonlReader(file).poll();
    const series: SeriesData[] = update.scalars.map((scalar) => ({ ...scalar, key: `run\u0000${scalar.split}/${scalar.tag}`, runId: 'run' }));
    const store = new SeriesStore();
    store.applySnapshot(series);
    const main = mainMetricSeries(store.all());
    assert.deepEqual(
      main.map((item) => `${item.split} ${item.metric}`),
      ['train loss', 'val loss'],
    );
    const val = main[1] as SeriesData;
    const summary = summariseSeries(val, store.extremes(val.key) ?? { min: Number.NaN, max: Number.NaN });
    // The demo's validation losses, one per epoch, straight from the file.
    const { readFileSync } = await import('node:fs');
    const rows = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"split": "val"'))
      .map((line) => JSON.parse(line) as { loss: number });
    assert.equal(rows.length, 5);
    assert.equal(summary.best, Math.min(...rows.map((row) => row.loss)));
    assert.equal(summary.last, rows[rows.length - 1]?.loss);
  });
});

describe('monitor view: formatting', () => {
  it('formats values with 4 significant digits', () => {
    assert.equal(formatValue(0.123456), '0.1235');
    assert.equal(formatValue(2.5), '2.5');
    assert.equal(formatValue(1234.56), '1235');
    assert.equal(formatValue(-0.0012344), '-0.001234');
    assert.equal(formatValue(0.0001), '0.0001');
    assert.equal(formatValue(123456789), '1.235e8');
    assert.equal(formatValue(100000), '1e5');
    assert.equal(formatValue(0.000012), '1.2e-5');
    assert.equal(formatValue(0), '0');
    assert.equal(formatValue(-0), '0');
    assert.equal(formatValue(3), '3');
  });

  it('shows NaN and infinities as such', () => {
    assert.equal(formatValue(Number.NaN), 'NaN');
    assert.equal(formatValue(Number.POSITIVE_INFINITY), 'Infinity');
    assert.equal(formatValue(Number.NEGATIVE_INFINITY), '-Infinity');
  });

  it('formats counts with separators', () => {
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatCount(12), '12');
    assert.equal(formatCount(Number.NaN), 'NaN');
  });

  it('formats durations from seconds to days', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(42.4), '42s');
    assert.equal(formatDuration(125), '2m 05s');
    assert.equal(formatDuration(59.6), '1m 00s');
    assert.equal(formatDuration(3720), '1h 02m');
    assert.equal(formatDuration(86400 * 3 + 3600 * 4 + 59), '3d 04h');
    assert.equal(formatDuration(undefined), '—');
    assert.equal(formatDuration(-1), '—');
    assert.equal(formatDuration(Number.NaN), '—');
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), '—');
  });

  it('formats how long ago something happened', () => {
    const now = 1_717_236_000;
    assert.equal(formatRelativeTime(now - 2, now), 'just now');
    assert.equal(formatRelativeTime(now + 30, now), 'just now', 'a clock slightly ahead');
    assert.equal(formatRelativeTime(now - 12, now), '12s ago');
    assert.equal(formatRelativeTime(now - 300, now), '5m ago');
    assert.equal(formatRelativeTime(now - 3 * 3600, now), '3h ago');
    assert.equal(formatRelativeTime(now - 2 * 86400, now), '2d ago');
    assert.equal(formatRelativeTime(undefined, now), '');
    assert.equal(formatRelativeTime(Number.NaN, now), '');
  });
});

describe('monitor view: run facts', () => {
  it('reports progress against the plan, steps first', () => {
    assert.deepEqual(runProgress({ epoch: 3, plannedEpochs: 20, step: 1200, plannedSteps: 6400 }), { epochText: 'epoch 3/20', stepText: 'step 1,200/6,400', fraction: 1200 / 6400 });
    assert.deepEqual(runProgress({ epoch: 3, plannedEpochs: 4 }), { epochText: 'epoch 3/4', stepText: '', fraction: 0.75 });
    assert.deepEqual(runProgress({ step: 50 }), { epochText: '', stepText: 'step 50', fraction: undefined });
    assert.deepEqual(runProgress({ step: 700, plannedSteps: 320 }).fraction, 1, 'clamped');
    assert.deepEqual(runProgress({ epoch: 2, plannedEpochs: 0 }), { epochText: 'epoch 2', stepText: '', fraction: undefined });
    assert.deepEqual(runProgress({}), { epochText: '', stepText: '', fraction: undefined });
  });

  it('measures a run from start to end, or to now while it runs', () => {
    assert.equal(runDuration({ started: 100, ended: 160, status: 'finished' }, 1000), 60);
    assert.equal(runDuration({ started: 100, status: 'running', lastUpdate: 150 }, 400), 300);
    assert.equal(runDuration({ started: 100, status: 'stopped', lastUpdate: 150 }, 400), 50, 'a stopped run ends at its last update');
    assert.equal(runDuration({ status: 'running' }, 400), undefined);
    assert.equal(runDuration({ started: 500, status: 'running' }, 400), 0, 'a clock ahead of ours is not negative');
  });

  it('opens the file that describes a run', () => {
    assert.equal(runFileToOpen({ format: 'jsonl', path: '/w/runs/cnn' }), '/w/runs/cnn/run.json');
    assert.equal(runFileToOpen({ format: 'jsonl', path: 'C:\\w\\runs\\cnn' }), 'C:\\w\\runs\\cnn\\run.json');
    assert.equal(runFileToOpen({ format: 'keras-csv', path: '/w/training.log' }), '/w/training.log');
    assert.equal(runFileToOpen({ format: 'lightning-csv', path: '/w/lightning_logs/version_0/' }), '/w/lightning_logs/version_0/metrics.csv');
    assert.equal(runFileToOpen({ format: 'mlflow', path: '/w/mlruns/0/abc' }), '/w/mlruns/0/abc/meta.yaml');
    assert.equal(runFileToOpen({ format: 'tfevents', path: '/w/logs/train' }), undefined);
  });

  it('tells a running process from one that ended', () => {
    assert.deepEqual(processState({}), { running: true, text: 'running' });
    assert.deepEqual(processState({ exitCode: 0, signal: null }), { running: false, text: 'exited with code 0' });
    assert.deepEqual(processState({ exitCode: null, signal: 'SIGTERM' }), { running: false, text: 'killed by SIGTERM' });
    assert.deepEqual(processState({ exitCode: null, signal: null }), { running: false, text: 'exited' });
  });
});

describe('monitor view: hyper-parameters', () => {
  it('lines up the union of keys, sorted, and flags where runs differ', () => {
    const rows = hparamRows([{ hparams: { lr: 0.001, layer10: 1, batch_size: 32, optimizer: 'adam' } }, { hparams: { lr: 0.01, layer2: 1, batch_size: 32, optimizer: 'adam', dropout: null } }]);
    assert.deepEqual(
      rows.map((row) => row.key),
      ['batch_size', 'dropout', 'layer2', 'layer10', 'lr', 'optimizer'],
    );
    const byKey = Object.fromEntries(rows.map((row) => [row.key, row]));
    assert.equal(byKey.batch_size?.differs, false);
    assert.equal(byKey.optimizer?.differs, false);
    assert.equal(byKey.lr?.differs, true);
    assert.deepEqual(byKey.lr?.values, [0.001, 0.01]);
    assert.deepEqual(byKey.lr?.standsOut, [true, true], 'two runs, two values: both stand out');
    assert.deepEqual(byKey.batch_size?.standsOut, [false, false]);
    assert.equal(byKey.dropout?.differs, true, 'a key only one run has differs');
    assert.deepEqual(byKey.dropout?.values, [undefined, null]);
  });

  it('compares by type: 1 and "1" differ, true and "true" differ', () => {
    const rows = hparamRows([{ hparams: { a: 1, b: true, c: 'x' } }, { hparams: { a: '1', b: 'true', c: 'x' } }]);
    assert.deepEqual(
      rows.map((row) => [row.key, row.differs]),
      [
        ['a', true],
        ['b', true],
        ['c', false],
      ],
    );
  });

  it('marks the values that depart from what most runs share', () => {
    const rows = hparamRows([{ hparams: { lr: 0.003, seed: 1 } }, { hparams: { lr: 0.003, seed: 2 } }, { hparams: { lr: 0.001, seed: 3 } }, { hparams: { lr: 0.003 } }]);
    const lr = rows.find((row) => row.key === 'lr');
    assert.deepEqual(lr?.standsOut, [false, false, true, false]);
    const seed = rows.find((row) => row.key === 'seed');
    assert.deepEqual(seed?.standsOut, [true, true, true, true], 'no common value: all stand out, the missing one too');
  });

  it('has nothing to differ with one run, and no rows with none', () => {
    assert.ok(hparamRows([{ hparams: { lr: 1 } }]).every((row) => !row.differs));
    assert.deepEqual(hparamRows([]), []);
  });

  it('compares the two demo runs as their run.json files state them', async () => {
    const hparamsOf = async (run: string): Promise<Record<string, string | number | boolean | null>> => {
      const update = await createJsonlReader(path.resolve('demo/runs', run, 'metrics.jsonl')).poll();
      assert.ok(update.hparams, `${run} states hyper-parameters`);
      return update.hparams;
    };
    const rows = hparamRows([{ hparams: await hparamsOf('cnn-baseline') }, { hparams: await hparamsOf('cnn-wider') }]);
    assert.deepEqual(
      rows.filter((row) => row.differs).map((row) => row.key),
      ['params', 'width'],
    );
    assert.ok(rows.length >= 10);
  });

  it('leaves runs that state no hyper-parameters out of the comparison', () => {
    const runs: Array<{ name: string; hparams: HyperParameters }> = [{ name: 'a', hparams: { lr: 0.1 } }, { name: 'csv', hparams: {} }, { name: 'b', hparams: { lr: 0.1 } }];
    const { stated, none } = splitByHparams(runs);
    assert.deepEqual(
      stated.map((run) => run.name),
      ['a', 'b'],
    );
    assert.deepEqual(
      none.map((run) => run.name),
      ['csv'],
    );
    assert.equal(hparamRows(stated)[0]?.differs, false, 'the run without settings does not make lr differ');
    assert.equal(hparamRows(runs)[0]?.differs, true);
  });

  it('shows values as written', () => {
    assert.equal(formatHyperValue(0.003), '0.003');
    assert.equal(formatHyperValue(13994), '13994');
    assert.equal(formatHyperValue(true), 'true');
    assert.equal(formatHyperValue(null), 'null');
    assert.equal(formatHyperValue(undefined), '—');
    assert.equal(formatHyperValue('cosine'), 'cosine');
  });
});

describe('monitor view: gallery order', () => {
  const image = (id: string, wallTime?: number, step?: number, dataUri = 'data:image/png;base64,AAAA'): GalleryImage => {
    const result: GalleryImage = { id, tag: 'samples', dataUri };
    if (wallTime !== undefined) result.wallTime = wallTime;
    if (step !== undefined) result.step = step;
    return result;
  };

  it('merges the visible runs, newest first by wall time then step', () => {
    const runs = [
      { id: 'a', name: 'runs/a', images: [image('a1', 100, 1), image('a2', 300, 2), image('a3', undefined, 9)] },
      { id: 'b', name: 'runs/b', images: [image('b1', 200, 5), image('b2', 300, 7)] },
      { id: 'c', name: 'runs/c', images: [image('c1', 999, 1)] },
    ];
    const items = galleryItems(runs, new Set(['a', 'b']), 100);
    assert.deepEqual(
      items.map((item) => item.image.id),
      ['b2', 'a2', 'b1', 'a1', 'a3'],
    );
    assert.equal(items[0]?.runName, 'runs/b');
    assert.equal(items[0]?.key, 'b\u0000b2');
  });

  it('keeps only image data URIs and at most the limit', () => {
    const runs = [{ id: 'a', name: 'a', images: [image('x', 1, 1, 'javascript:alert(1)'), image('y', 2, 1, 'file:///tmp/x.png'), image('z', 3), image('w', 4)] }];
    assert.deepEqual(
      galleryItems(runs, new Set(['a']), 1).map((item) => item.image.id),
      ['w'],
    );
    assert.deepEqual(galleryItems(runs, new Set(['a']), 10).length, 2);
  });
});
