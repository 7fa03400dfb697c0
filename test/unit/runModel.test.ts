/** The layer-by-layer run on models built with tfjs-layers itself (the cpu backend, in this process). */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { runModel } from '../../src/engine/run';
import type { RunOptions } from '../../src/protocol/model';

const NORMAL: RunOptions = { input: 'normal', batchSize: 2, unknownDim: 7 };

function nestedAutoencoder(): tfl.Sequential {
  const encoder = tfl.sequential({ name: 'encoder', layers: [tfl.layers.dense({ units: 4, inputShape: [8], activation: 'relu', name: 'squeeze' })] });
  const decoder = tfl.sequential({ name: 'decoder', layers: [tfl.layers.dense({ units: 8, inputShape: [4], activation: 'softmax', name: 'expand' })] });
  return tfl.sequential({ layers: [encoder, decoder] });
}

/** An LSTM over a sequence of unknown length, a Dense used twice, and two outputs. */
function sharedLayerModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [null, 3], name: 'sequence' });
  const lstm = tfl.layers.lstm({ units: 5, returnSequences: true, name: 'lstm' }).apply(input) as tfl.SymbolicTensor;
  const shared = tfl.layers.dense({ units: 5, name: 'shared' });
  const once = shared.apply(lstm) as tfl.SymbolicTensor;
  const twice = shared.apply(once) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: 'sum' }).apply([once, twice]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [sum, once] });
}

describe('runModel (layer by layer)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('names nested layers by path, in execution order, with their actual shapes', () => {
    const model = nestedAutoencoder();
    const result = runModel({ kind: 'layers', model }, NORMAL, 12);
    assert.deepEqual(
      result.layers.map((layer) => [layer.id, layer.outputShapes]),
      [
        ['encoder/squeeze', [[2, 4]]],
        ['encoder', [[2, 4]]],
        ['decoder/expand', [[2, 8]]],
        ['decoder', [[2, 8]]],
      ],
    );
    assert.equal(result.backend, 'cpu');
    assert.equal(result.rebuildMs, 12);
    assert.deepEqual(result.inputShapes, [[2, 8]]);
    assert.deepEqual(result.outputShapes, [[2, 8]]);
    model.dispose();
  });

  it('gives the same outputs as predict on the same seeded input', () => {
    const model = sharedLayerModel();
    const result = runModel({ kind: 'layers', model }, { input: 'uniform', batchSize: 1, unknownDim: 6 }, 0);
    assert.deepEqual(result.inputShapes, [[1, 6, 3]]);
    // The run's input: seeded uniform, as src/engine/run.ts generates it.
    const input = tf.randomUniform([1, 6, 3], 0, 1, 'float32', 1234);
    const expected = model.predict(input) as tf.Tensor[];
    result.outputs.forEach((output, i) => {
      const reference = Array.from(expected[i]!.dataSync()).slice(0, output.values.length);
      assert.deepEqual(output.values, reference);
    });
    tf.dispose([input, ...expected]);
    model.dispose();
  });

  it('reports a shared layer once per call and sums live activations for the peak', () => {
    const model = sharedLayerModel();
    const result = runModel({ kind: 'layers', model }, NORMAL, 0);
    assert.deepEqual(
      result.layers.map((layer) => layer.id),
      ['lstm', 'shared', 'shared#2', 'sum'],
    );
    // batch 2 x 7 steps x 5 units x 4 bytes: input (2*7*3) + lstm + once + twice live at once at least.
    const step = 2 * 7 * 5 * 4;
    assert.ok(result.peakActivationBytes >= 2 * 7 * 3 * 4 + 3 * step, `peak ${result.peakActivationBytes}`);
    for (const layer of result.layers) {
      assert.ok(layer.firstMs >= 0 && layer.warmMs >= 0);
      assert.ok(layer.stats.std > 0, `${layer.id} has varied activations`);
    }
    model.dispose();
  });

  it('previews the top 5 of a softmax output and leaks no tensors', () => {
    const model = nestedAutoencoder();
    const before = tf.memory().numTensors;
    const result = runModel({ kind: 'layers', model }, NORMAL, 0);
    assert.equal(tf.memory().numTensors, before);
    const [output] = result.outputs;
    assert.ok(output?.top5);
    assert.equal(output.top5.length, 5);
    const sorted = [...output.top5].sort((a, b) => b.value - a.value);
    assert.deepEqual(output.top5, sorted);
    assert.equal(output.top5[0]!.value, Math.max(...output.values.slice(0, 8)));
    model.dispose();
  });

  it('flags NaN in the layer that first produces it', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2], name: 'broken' }), tfl.layers.dense({ units: 2, name: 'after' })] });
    const [kernel, bias] = model.layers[0]!.getWeights();
    model.layers[0]!.setWeights([tf.fill(kernel!.shape, NaN), bias!]);
    const result = runModel({ kind: 'layers', model }, NORMAL, 0);
    assert.equal(result.layers[0]!.stats.nan, 6);
    assert.ok(result.warnings.some((warning) => warning.includes('broken')), result.warnings.join('; '));
    model.dispose();
  });
});
