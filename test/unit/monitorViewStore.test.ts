/**
 * webviews/monitor/seriesStore.ts: the page's copy of every series follows
 * snapshots and appends (cuts, rewrites, missed messages, vanished runs)
 * and grows without copying whole arrays per append.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createJsonlReader } from '../../src/formats/jsonlLog';
import type { ScalarSeries } from '../../src/protocol/monitor';
import type { SeriesAppend, SeriesData } from '../../src/protocol/monitorView';
import { SeriesStore } from '../../webviews/monitor/seriesStore';

function series(runId: string, tag: string, steps: number[], values: number[] = steps.map((step) => step / 10)): SeriesData {
  return {
    key: `${runId}\u0000${tag}`,
    runId,
    tag,
    metric: tag,
    steps: Float64Array.from(steps),
    values: Float64Array.from(values),
    wallTimes: Float64Array.from(steps, (step) => 1_700_000_000 + step),
    epochs: new Float64Array(steps.length).fill(Number.NaN),
  };
}

function append(from: number, data: SeriesData): SeriesAppend {
  return { ...data, from };
}

const list = (array: Float64Array): number[] => Array.from(array);

describe('monitor series store', () => {
  it('takes a snapshot as it is, with exact-length views and no copy', () => {
    const store = new SeriesStore();
    const loss = series('a', 'loss', [1, 2, 3]);
    store.applySnapshot([loss, series('b', 'loss', [5])]);
    assert.equal(store.size, 2);
    const held = store.get(loss.key);
    assert.ok(held);
    assert.deepEqual(list(held.steps), [1, 2, 3]);
    assert.equal(held.values.buffer, loss.values.buffer, 'the snapshot column is kept, not copied');
    assert.equal(held.runId, 'a');
    // A second snapshot replaces everything.
    store.applySnapshot([series('c', 'acc', [7, 8])]);
    assert.equal(store.size, 1);
    assert.equal(store.get(loss.key), undefined);
  });

  it('appends the points that follow on, in all four columns', () => {
    const store = new SeriesStore();
    store.applySnapshot([series('a', 'loss', [1, 2])]);
    const result = store.applyAppend([append(2, series('a', 'loss', [3, 4], [0.5, 0.25]))]);
    assert.deepEqual(result, { changed: true, resync: false });
    const held = store.get('a\u0000loss');
    assert.ok(held);
    assert.deepEqual(list(held.steps), [1, 2, 3, 4]);
    assert.deepEqual(list(held.values), [0.1, 0.2, 0.5, 0.25]);
    assert.deepEqual(list(held.wallTimes), [1_700_000_001, 1_700_000_002, 1_700_000_003, 1_700_000_004]);
    assert.equal(held.epochs.length, 4);
    assert.ok(held.epochs.every(Number.isNaN));
  });

  it('cuts a series to `from` before appending (a resumed run, a rewritten file)', () => {
    const store = new SeriesStore();
    store.applySnapshot([series('a', 'loss', [1, 2, 3, 4, 5])]);
    store.applyAppend([append(3, series('a', 'loss', [3, 4], [9, 8]))]);
    const resumed = store.get('a\u0000loss');
    assert.ok(resumed);
    assert.deepEqual(list(resumed.steps), [1, 2, 3, 3, 4]);
    assert.deepEqual(list(resumed.values), [0.1, 0.2, 0.3, 9, 8]);
    assert.equal(resumed.cuts, 1, 'the charts learn that points were replaced');

    store.applyAppend([append(0, series('a', 'loss', [10], [1]))]);
    const rewritten = store.get('a\u0000loss');
    assert.ok(rewritten);
    assert.deepEqual(list(rewritten.steps), [10], 'from 0 after a rewrite keeps nothing of before');
    assert.equal(rewritten.cuts, 2);
    store.applyAppend([append(1, series('a', 'loss', [11]))]);
    assert.equal(store.get('a\u0000loss')?.cuts, 2, 'an append that follows on is no cut');

    // A bare cut: no new points, fewer old ones.
    store.applyAppend([append(1, series('a', 'loss', [11, 12]))]);
    const cut = store.applyAppend([append(1, series('a', 'loss', []))]);
    assert.equal(cut.changed, true);
    assert.deepEqual(list(store.get('a\u0000loss')?.steps ?? new Float64Array()), [10]);
    assert.equal(store.applyAppend([append(1, series('a', 'loss', []))]).changed, false, 'nothing to cut, nothing to add');
  });

  it('asks for a resync once when an append does not follow on, and skips it', () => {
    const store = new SeriesStore();
    store.applySnapshot([series('a', 'loss', [1, 2])]);
    const missed = store.applyAppend([append(3, series('a', 'loss', [4]))]);
    assert.deepEqual(missed, { changed: false, resync: true });
    assert.deepEqual(list(store.get('a\u0000loss')?.steps ?? new Float64Array()), [1, 2], 'the gap is not papered over');
    assert.equal(store.applyAppend([append(4, series('a', 'loss', [5]))]).resync, false, 'one request until the snapshot comes');
    assert.equal(store.applyAppend([append(1, series('b', 'acc', [2]))]).resync, false, 'an unknown series starting past 0 is a miss too, still asked once');
    store.applySnapshot([series('a', 'loss', [1, 2, 3, 4, 5])]);
    assert.equal(store.applyAppend([append(9, series('a', 'loss', [10]))]).resync, true, 'after a snapshot a new miss asks again');
  });

  it('still applies the appends of other series in the message that missed', () => {
    const store = new SeriesStore();
    store.applySnapshot([series('a', 'loss', [1]), series('a', 'acc', [1])]);
    const result = store.applyAppend([append(5, series('a', 'loss', [6])), append(1, series('a', 'acc', [2]))]);
    assert.deepEqual(result, { changed: true, resync: true });
    assert.deepEqual(list(store.get('a\u0000acc')?.steps ?? new Float64Array()), [1, 2]);
  });

  it('starts a new series from an append at 0', () => {
    const store = new SeriesStore();
    store.applySnapshot([]);
    const result = store.applyAppend([append(0, { ...series('a', 'val_loss', [1, 2]), metric: 'loss', split: 'val' })]);
    assert.deepEqual(result, { changed: true, resync: false });
    const held = store.get('a\u0000val_loss');
    assert.equal(held?.metric, 'loss');
    assert.equal(held?.split, 'val');
    assert.equal(held?.steps.length, 2);
  });

  it('drops the series of runs that left the run list', () => {
    const store = new SeriesStore();
    store.applySnapshot([series('a', 'loss', [1]), series('b', 'loss', [1]), series('b', 'acc', [1])]);
    assert.equal(store.retainRuns(['a', 'c']), true);
    assert.deepEqual(
      store.all().map((item) => item.key),
      ['a\u0000loss'],
    );
    assert.equal(store.retainRuns(['a']), false);
  });

  it('grows by doubling: few reallocations, capacity within twice the points', () => {
    const store = new SeriesStore();
    store.applySnapshot([series('a', 'loss', [0])]);
    const buffers = new Set<ArrayBufferLike>();
    let length = 1;
    for (let index = 0; index < 5000; index++) {
      const steps = [length, length + 1, length + 2];
      store.applyAppend([append(length, series('a', 'loss', steps))]);
      length += steps.length;
      buffers.add(store.get('a\u0000loss')?.steps.buffer as ArrayBufferLike);
    }
    const held = store.get('a\u0000loss');
    assert.equal(held?.steps.length, 15_001);
    assert.equal(held?.steps[15_000], 15_000);
    assert.ok(buffers.size <= Math.ceil(Math.log2(15_001 / 16)) + 2, `${buffers.size} reallocations for 5000 appends`);
    const capacity = store.capacity('a\u0000loss');
    assert.ok(capacity >= 15_001 && capacity <= 2 * 15_001, `capacity ${capacity}`);
  });

  it('hands out the same object for a series until it changes', () => {
    const store = new SeriesStore();
    store.applySnapshot([series('a', 'loss', [1]), series('a', 'acc', [1])]);
    const [loss, acc] = store.all();
    store.applyAppend([append(1, series('a', 'loss', [2]))]);
    const [lossAfter, accAfter] = store.all();
    assert.notEqual(lossAfter, loss);
    assert.equal(accAfter, acc, 'an unchanged series keeps its views, so readers can skip it');
  });

  it('keeps the finite extremes as points arrive and after a cut', () => {
    const store = new SeriesStore();
    store.applySnapshot([series('a', 'loss', [1, 2, 3], [2, Number.NaN, 1.5])]);
    assert.deepEqual(store.extremes('a\u0000loss'), { min: 1.5, max: 2 });
    store.applyAppend([append(3, series('a', 'loss', [4, 5], [Number.POSITIVE_INFINITY, 0.5]))]);
    assert.deepEqual(store.extremes('a\u0000loss'), { min: 0.5, max: 2 }, 'Infinity is not a best value');
    store.applyAppend([append(1, series('a', 'loss', [2], [3]))]);
    assert.deepEqual(store.extremes('a\u0000loss'), { min: 2, max: 3 }, 'cut points no longer count');
    store.applyAppend([append(0, series('a', 'loss', [1], [Number.NaN]))]);
    const none = store.extremes('a\u0000loss');
    assert.ok(none && Number.isNaN(none.min) && Number.isNaN(none.max), 'no finite value, no extremes');
  });

  it('reads columns that went through JSON, and skips series it cannot read', () => {
    const store = new SeriesStore();
    const viaJson = JSON.parse(JSON.stringify({ ...series('a', 'loss', [1, 2], [0.5, 0.25]) })) as SeriesData;
    assert.deepEqual(viaJson.steps, { 0: 1, 1: 2 } as unknown, 'JSON turns a Float64Array into an index-keyed object');
    const asArrays = { ...series('b', 'loss', []), steps: [1, 2, 3], values: [3, 'x', 1], wallTimes: [5] } as unknown as SeriesData;
    const broken = [{ key: 7 }, { ...series('c', 'loss', [1]), steps: 'nope' }, null] as unknown as SeriesData[];
    store.applySnapshot([viaJson, asArrays, ...broken]);
    assert.equal(store.size, 2);
    assert.equal(store.skipped, 3);
    assert.deepEqual(list(store.get('a\u0000loss')?.values ?? new Float64Array()), [0.5, 0.25]);
    const arrays = store.get('b\u0000loss');
    assert.deepEqual(list(arrays?.values ?? new Float64Array()), [3, Number.NaN, 1]);
    assert.deepEqual(list(arrays?.wallTimes ?? new Float64Array()), [5, Number.NaN, Number.NaN], 'a short column is padded with NaN');
    assert.equal(store.applyAppend([{ ...append(0, series('d', 'x', [1])), from: -1 }]).resync, true, 'a negative from is a miss');
  });

  it('follows a real run log read in two parts as it would in one', async () => {
    const file = path.resolve('demo/runs/cnn-baseline/metrics.jsonl');
    const update = await createJsonlReader(file).poll();
    const asData = (scalar: ScalarSeries, start: number, end: number): SeriesData => ({
      key: `run\u0000${scalar.split ?? ''}/${scalar.tag}`,
      runId: 'run',
      tag: scalar.tag,
      metric: scalar.metric,
      ...(scalar.split ? { split: scalar.split } : {}),
      steps: scalar.steps.slice(start, end),
      values: scalar.values.slice(start, end),
      wallTimes: scalar.wallTimes.slice(start, end),
      epochs: scalar.epochs.slice(start, end),
    });
    assert.ok(update.scalars.length >= 4);
    const store = new SeriesStore();
    store.applySnapshot(update.scalars.map((scalar) => asData(scalar, 0, 10)));
    // Appends of 3 points at a time, as a live run would send them.
    for (const scalar of update.scalars) {
      for (let start = Math.min(10, scalar.steps.length); start < scalar.steps.length; start += 3) {
        const result = store.applyAppend([{ ...asData(scalar, start, start + 3), from: start }]);
        assert.equal(result.resync, false);
      }
    }
    for (const scalar of update.scalars) {
      const held = store.get(`run\u0000${scalar.split ?? ''}/${scalar.tag}`);
      assert.deepEqual(list(held?.steps ?? new Float64Array()), list(scalar.steps));
      assert.deepEqual(list(held?.values ?? new Float64Array()), list(scalar.values));
      assert.deepEqual(list(held?.epochs ?? new Float64Array()), list(scalar.epochs));
    }
  });
});
