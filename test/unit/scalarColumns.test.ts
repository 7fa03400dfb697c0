/**
 * The column builders every log reader fills (src/formats/scalarColumns.ts)
 * and the split names they share (src/formats/splitNames.ts): points in
 * order across block boundaries, exact lengths, NaN for what a log does not
 * say, rewinds of a resumed run, `val_loss` / `val/loss` / `loss/val`.
 */
import assert from 'node:assert/strict';
import { ScalarColumns, SeriesCollector, pointsOf } from '../../src/formats/scalarColumns';
import { splitFromName, splitOfFolder } from '../../src/formats/splitNames';

/** n points: step i, value i / 2, wall time 1000 + i, epoch every 100 steps. */
function filled(n: number): ScalarColumns {
  const columns = new ScalarColumns();
  for (let i = 0; i < n; i++) columns.push(i, i / 2, 1000 + i, Math.floor(i / 100));
  return columns;
}

describe('scalar columns', () => {
  it('keeps every point in order, at its exact length, below and across block boundaries', () => {
    for (const n of [0, 1, 63, 64, 65, 16383, 16384, 16385, 40000, 3 * 16384]) {
      const series = filled(n).toSeries('loss', 'loss', 'train');
      assert.equal(series.steps.length, n, `${n} steps`);
      for (const column of [series.values, series.wallTimes, series.epochs]) assert.equal(column.length, n);
      let ok = true;
      for (let i = 0; i < n; i++) {
        ok &&= series.steps[i] === i && series.values[i] === i / 2 && series.wallTimes[i] === 1000 + i && series.epochs[i] === Math.floor(i / 100);
      }
      assert.ok(ok, `${n} points, every field of every point`);
      assert.deepEqual([series.tag, series.metric, series.split], ['loss', 'loss', 'train']);
    }
  });

  it('leaves split out when there is none', () => {
    assert.equal('split' in filled(3).toSeries('lr', 'lr', undefined), false);
  });

  it('drops the points from a step on, keeping the rest in order, then takes more', () => {
    const columns = filled(40000);
    columns.dropFrom(30000);
    assert.equal(columns.length, 30000);
    columns.push(30000, -1, NaN, NaN);
    const series = columns.toSeries('x', 'x', undefined);
    assert.equal(series.steps.length, 30001);
    assert.deepEqual([series.steps[29999], series.values[29999], series.steps[30000], series.values[30000]], [29999, 29999 / 2, 30000, -1]);
    assert.ok(Number.isNaN(series.wallTimes[30000]!));
    const unsorted = new ScalarColumns();
    for (const step of [5, 1, 7, 3, 9]) unsorted.push(step, step, NaN, NaN);
    unsorted.dropFrom(5);
    assert.deepEqual([...unsorted.toSeries('y', 'y', undefined).steps], [1, 3]);
  });

  it('turns columns into points, with wallTime and epoch only where known and NaN values kept', () => {
    const columns = new ScalarColumns();
    columns.push(1, NaN, NaN, NaN);
    columns.push(2, 0.5, 17.25, NaN);
    columns.push(3, -Infinity, NaN, 4);
    assert.deepEqual(pointsOf(columns.toSeries('t', 't', undefined)), [
      { step: 1, value: NaN },
      { step: 2, value: 0.5, wallTime: 17.25 },
      { step: 3, value: -Infinity, epoch: 4 },
    ]);
  });
});

describe('series collector', () => {
  it('keeps one series per tag and split, in the order first seen, and leaves out emptied ones', () => {
    const collector = new SeriesCollector();
    collector.columns('loss', 'loss', 'train').push(1, 1, NaN, NaN);
    collector.columns('loss', 'loss', 'val').push(1, 2, NaN, NaN);
    collector.columns('acc', 'acc', undefined).push(1, 3, NaN, NaN);
    collector.columns('loss', 'loss', 'train').push(2, 4, NaN, NaN);
    collector.columns('gone', 'gone', 'train').push(9, 9, NaN, NaN);
    collector.dropFrom('gone', 'train', 0);
    const built = collector.build();
    assert.deepEqual(
      built.map((s) => [s.tag, s.split, [...s.values]]),
      [
        ['loss', 'train', [1, 4]],
        ['loss', 'val', [2]],
        ['acc', undefined, [3]],
      ],
    );
  });

  it('drops points of one split only', () => {
    const collector = new SeriesCollector();
    for (const split of ['train', 'val']) for (const step of [1, 2, 3]) collector.columns('loss', 'loss', split).push(step, step, NaN, NaN);
    collector.dropFrom('loss', 'train', 2);
    collector.dropFrom('loss', 'test', 0);
    assert.deepEqual(
      collector.build().map((s) => [s.split, [...s.steps]]),
      [
        ['train', [1]],
        ['val', [1, 2, 3]],
      ],
    );
  });
});

describe('split names', () => {
  it('reads prefixes with _ or /, and / suffixes, as a metric and a split', () => {
    const cases: [string, string, string | undefined][] = [
      ['val_loss', 'loss', 'val'],
      ['train_loss', 'loss', 'train'],
      ['validation_accuracy', 'accuracy', 'val'],
      ['valid_loss', 'loss', 'val'],
      ['eval_loss', 'loss', 'val'],
      ['test_acc', 'acc', 'test'],
      ['training_loss', 'loss', 'train'],
      ['train/loss', 'loss', 'train'],
      ['val/loss', 'loss', 'val'],
      ['validation/acc', 'acc', 'val'],
      ['eval/loss', 'loss', 'val'],
      ['evaluation/loss', 'loss', 'val'],
      ['test/accuracy', 'accuracy', 'test'],
      ['Train/Loss', 'Loss', 'train'],
      ['loss/train', 'loss', 'train'],
      ['loss/val', 'loss', 'val'],
      ['Loss/test', 'Loss', 'test'],
      ['Accuracy/validation', 'Accuracy', 'val'],
    ];
    for (const [name, metric, split] of cases) assert.deepEqual(splitFromName(name), { metric, split }, name);
  });

  it('leaves other names whole: more slashes, no split word, an empty part', () => {
    for (const name of ['Loss/train/step', 'train/loss/step', 'strict/foo', 'avg_test_acc', 'loss', 'lr', 'train', 'train_', '_loss', 'train/', '/train', 'trainer/loss', 'validate_x']) {
      assert.deepEqual(splitFromName(name), { metric: name }, name);
    }
  });

  it('names splits by folder only for the folders writers use', () => {
    assert.deepEqual(['train', 'validation', 'val', 'eval', 'test'].map(splitOfFolder), ['train', 'val', 'val', 'val', 'test']);
    assert.deepEqual(['training', 'runs', 'Train', 'valid'].map(splitOfFolder), [undefined, undefined, undefined, undefined]);
  });
});
