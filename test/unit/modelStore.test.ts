/** The engine's open files: parsed once, parsed again when the file changes, a few kept open. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { copyFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ModelStore } from '../../src/engine/modelStore';
import { realFixture } from './realFixtures';

const fixtures = realFixture('keras_h5');
const CNN = path.join(fixtures, 'k2_1_3_cnn_batchnorm.h5');
const LSTM = path.join(fixtures, 'k2_0_8_functional_lstm.h5');

describe('ModelStore', () => {
  let scratch: string;
  let store: ModelStore;

  before(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'dlkit-store-'));
    store = new ModelStore(2);
  });
  afterEach(() => {
    store.closeAll();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('answers a second request for an unchanged file from the same parse', async () => {
    const first = await store.summary(CNN);
    const second = await store.summary(CNN);
    assert.equal(second, first, 'the same summary object: the file was not parsed again');
  });

  it('parses the file again when it changes on disk', async () => {
    const file = path.join(scratch, 'model.h5');
    copyFileSync(CNN, file);
    const before = await store.summary(file);
    assert.equal(before.layers.at(-1)?.className, 'Dense');
    assert.ok(before.layers.some((layer) => layer.className === 'Conv2D'));

    copyFileSync(LSTM, file);
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    const after = await store.summary(file);
    assert.notEqual(after, before);
    assert.ok(after.layers.some((layer) => layer.className === 'LSTM'), 'the new content is shown');
  });

  it('runs a model and reuses the rebuilt model for the next run', async () => {
    const options = { input: 'zeros' as const, batchSize: 1, unknownDim: 4 };
    const first = await store.run(CNN, options);
    const second = await store.run(CNN, { ...options, batchSize: 3 });
    assert.deepEqual(second.inputShapes, [[3, 10, 10, 3]]);
    assert.equal(second.rebuildMs, first.rebuildMs, 'rebuilt once');
  });

  it('keeps at most its capacity of files open, closing the least recently used', async () => {
    const files = ['a.h5', 'b.h5', 'c.h5'].map((name) => path.join(scratch, name));
    for (const file of files) copyFileSync(CNN, file);
    const a = await store.summary(files[0]!);
    await store.summary(files[1]!);
    await store.summary(files[0]!); // a is now the most recent
    await store.summary(files[2]!); // evicts b
    assert.equal(await store.summary(files[0]!), a, 'a stayed open');
  });
});
