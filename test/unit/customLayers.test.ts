/**
 * src/engine/layers: the class choices, shape rules, configs (read from
 * untrusted files, round-tripped through modelFromJSON / toJSON), Keras weight
 * layouts and tensor hygiene of our TF.js layers. Their numbers are proven
 * against PyTorch in test/python/test_tfjs_layers.py.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { INFERENCE_IDENTITIES, registerCustomLayers, SUPPORTED_CUSTOM, tfjsClassFor } from '../../src/engine/layers';
import { DlkitAttention } from '../../src/engine/layers/attention';
import { LayerConfigError } from '../../src/engine/layers/config';
import { DlkitConv1DTranspose } from '../../src/engine/layers/conv1dTranspose';
import { DlkitGRU } from '../../src/engine/layers/gru';
import { DlkitMultiHeadAttention } from '../../src/engine/layers/multiHeadAttention';
import { DlkitGroupNormalization } from '../../src/engine/layers/normalization';
import { DlkitMaxPooling3D } from '../../src/engine/layers/pooling3d';
import { DlkitCropping1D, DlkitCropping3D, DlkitUpSampling1D, DlkitUpSampling3D, DlkitZeroPadding1D, DlkitZeroPadding3D } from '../../src/engine/layers/spatial';
import { DlkitSubtract } from '../../src/engine/layers/subtract';

type Json = Record<string, unknown>;

function layer(className: string, name: string, config: Json = {}): Json {
  return { class_name: className, config: { name, trainable: true, dtype: 'float32', ...config } };
}

function sequential(inputShape: number[], ...layers: Json[]): Json {
  const [first, ...rest] = layers as [Json, ...Json[]];
  const withInput = { ...first, config: { ...(first['config'] as Json), batch_input_shape: [null, ...inputShape] } };
  return { class_name: 'Sequential', config: { name: 'sequential', layers: [withInput, ...rest] } };
}

/** A Keras 2 functional config: `calls` are [layer, inbound names, kwargs?]. */
function functional(inputs: Array<[string, number[]]>, calls: Array<[Json, string[], Json?]>, outputs: Array<[string, number]>): Json {
  const layers: Json[] = inputs.map(([name, shape]) => ({
    class_name: 'InputLayer',
    name,
    inbound_nodes: [],
    config: { name, batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false },
  }));
  for (const [spec, inbound, kwargs] of calls) {
    const name = (spec['config'] as Json)['name'];
    layers.push({ ...spec, name, inbound_nodes: [inbound.map((source) => [source, 0, 0, kwargs ?? {}])] });
  }
  return {
    class_name: 'Model',
    config: { name: 'model', layers, input_layers: inputs.map(([name]) => [name, 0, 0]), output_layers: outputs.map(([name, index]) => [name, 0, index]) },
  };
}

/** Builds a topology the engine's way: Keras class names replaced by ours, then modelFromJSON. */
async function build(topology: Json, kerasVersion?: string): Promise<tfl.LayersModel> {
  const copy = structuredClone(topology);
  const visit = (object: Json): void => {
    const config = object['config'] as Json | undefined;
    if (!config || typeof config !== 'object') return;
    const replacement = tfjsClassFor(object['class_name'] as string, config, kerasVersion);
    if (replacement) object['class_name'] = replacement;
    for (const child of [config['layer'], ...((config['layers'] as Json[] | undefined) ?? [])]) {
      if (child && typeof child === 'object') visit(child as Json);
    }
  };
  visit(copy);
  return tfl.models.modelFromJSON({ modelTopology: copy } as unknown as tf.io.ModelJSON);
}

/** Deterministic, non-trivial weights for every layer of a model. */
function seedWeights(model: tfl.LayersModel): void {
  let seed = 1;
  for (const target of model.layers) {
    const values = target.weights.map((weight) => tf.randomUniform(weight.shape as number[], -0.5, 0.5, 'float32', seed++));
    target.setWeights(values);
    tf.dispose(values);
  }
}

function predict(model: tfl.LayersModel, inputs: tf.Tensor[]): number[][] {
  return tf.tidy(() => {
    const output = model.predict(inputs.length === 1 ? (inputs[0] as tf.Tensor) : inputs);
    return (Array.isArray(output) ? output : [output]).map((tensor) => Array.from(tensor.dataSync()));
  });
}

function assertClose(actual: number[], expected: number[], tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, 'lengths differ');
  actual.forEach((value, i) => assert.ok(Math.abs(value - (expected[i] as number)) <= tolerance, `element ${i}: ${value} vs ${String(expected[i])}`));
}

describe('custom TF.js layers', () => {
  before(async () => {
    assert.ok(version_cpu, 'the cpu backend is bundled');
    await tf.setBackend('cpu');
    registerCustomLayers();
  });

  describe('registration and tfjsClassFor', () => {
    it('registers every class once, and again without harm', () => {
      registerCustomLayers();
      registerCustomLayers();
      const registered = tf.serialization.SerializationMap.getMap().classNameMap;
      for (const keras of SUPPORTED_CUSTOM) {
        const ours = tfjsClassFor(keras, { reset_after: true });
        assert.ok(ours !== undefined && ours.startsWith('Dlkit'), `${keras} maps to one of our classes, got ${String(ours)}`);
        assert.ok(ours in registered, `${ours} is registered`);
      }
      assert.ok('DlkitGRUCell' in registered);
    });

    it('chooses our GRU exactly when the config means reset_after=True', () => {
      assert.equal(tfjsClassFor('GRU', { units: 4, reset_after: true }), 'DlkitGRU');
      assert.equal(tfjsClassFor('GRU', { units: 4, reset_after: false }), undefined);
      assert.equal(tfjsClassFor('GRU', { units: 4, reset_after: false }, 3), undefined, 'an explicit False wins over the version');
      // No reset_after key: the default of the Keras that wrote the file.
      assert.equal(tfjsClassFor('GRU', { units: 4 }, '2.3.0'), 'DlkitGRU');
      assert.equal(tfjsClassFor('GRU', { units: 4 }, '2.15.0'), 'DlkitGRU');
      assert.equal(tfjsClassFor('GRU', { units: 4 }, '3.4.1'), 'DlkitGRU');
      assert.equal(tfjsClassFor('GRU', { units: 4 }, 3), 'DlkitGRU');
      assert.equal(tfjsClassFor('GRU', { units: 4 }, '2.2.4-tf'), undefined);
      assert.equal(tfjsClassFor('GRU', { units: 4 }, '2.1.3'), undefined);
      assert.equal(tfjsClassFor('GRU', { units: 4 }, 2), undefined, 'a major version 2 alone cannot say 2.3+');
      assert.equal(tfjsClassFor('GRU', { units: 4 }), undefined);
      assert.equal(tfjsClassFor('GRU', { units: 4 }, 'not a version'), undefined);
    });

    it('leaves the layers tfjs-layers runs itself to tfjs', () => {
      for (const keras of ['Dense', 'LSTM', 'Conv2D', 'Cropping2D', 'ZeroPadding2D', 'UpSampling2D', 'Dropout', 'SpatialDropout1D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout', 'Add', 'Bidirectional', 'MaxPooling2D', 'AveragePooling3D']) {
        assert.equal(tfjsClassFor(keras, {}), undefined, keras);
        assert.ok(!SUPPORTED_CUSTOM.has(keras), keras);
      }
      assert.equal(tfjsClassFor('Lambda', {}), undefined, 'nothing can run a Lambda');
      assert.equal(tfjsClassFor('SomethingElse', {}), undefined);
    });

    it('maps the layers tfjs lacks, and MaxPooling3D whose WebAssembly kernel is wrong', () => {
      const expected: Record<string, string> = {
        MultiHeadAttention: 'DlkitMultiHeadAttention',
        Attention: 'DlkitAttention',
        AdditiveAttention: 'DlkitAdditiveAttention',
        Subtract: 'DlkitSubtract',
        GroupNormalization: 'DlkitGroupNormalization',
        'Addons>GroupNormalization': 'DlkitGroupNormalization',
        'Addons>InstanceNormalization': 'DlkitInstanceNormalization',
        UnitNormalization: 'DlkitUnitNormalization',
        Conv1DTranspose: 'DlkitConv1DTranspose',
        ZeroPadding1D: 'DlkitZeroPadding1D',
        ZeroPadding3D: 'DlkitZeroPadding3D',
        Cropping1D: 'DlkitCropping1D',
        Cropping3D: 'DlkitCropping3D',
        UpSampling1D: 'DlkitUpSampling1D',
        UpSampling3D: 'DlkitUpSampling3D',
        GlobalAveragePooling3D: 'DlkitGlobalAveragePooling3D',
        GlobalMaxPooling3D: 'DlkitGlobalMaxPooling3D',
        MaxPooling3D: 'DlkitMaxPooling3D',
        SpatialDropout2D: 'DlkitSpatialDropout2D',
        SpatialDropout3D: 'DlkitSpatialDropout3D',
        ActivityRegularization: 'DlkitActivityRegularization',
        Identity: 'DlkitIdentity',
        RandomFlip: 'DlkitRandomFlip',
        RandomWidth: 'DlkitRandomWidth',
      };
      for (const [keras, ours] of Object.entries(expected)) assert.equal(tfjsClassFor(keras, {}), ours, keras);
    });

    it('lists the inference identities among the supported classes, without the dropouts tfjs runs', () => {
      for (const name of ['SpatialDropout2D', 'SpatialDropout3D', 'ActivityRegularization', 'Identity', 'RandomFlip', 'RandomRotation', 'RandomZoom']) {
        assert.ok(INFERENCE_IDENTITIES.has(name), name);
      }
      for (const name of INFERENCE_IDENTITIES) assert.ok(SUPPORTED_CUSTOM.has(name), name);
      for (const name of ['Dropout', 'GaussianDropout', 'SpatialDropout1D', 'GRU', 'Attention']) assert.ok(!INFERENCE_IDENTITIES.has(name), name);
    });
  });

  describe('shape rules', () => {
    it('pads, crops and upsamples the spatial axes only, in both data formats, keeping unknown sizes unknown', () => {
      assert.deepEqual(new DlkitZeroPadding1D({ padding: [1, 2] }).computeOutputShape([null, 5, 3]), [null, 8, 3]);
      assert.deepEqual(new DlkitZeroPadding1D({ padding: 2 }).computeOutputShape([null, null, 3]), [null, null, 3]);
      assert.deepEqual(new DlkitZeroPadding3D({ padding: [[1, 0], [0, 2], [1, 1]] }).computeOutputShape([null, 2, 3, 4, 5]), [null, 3, 5, 6, 5]);
      assert.deepEqual(new DlkitZeroPadding3D({ padding: 1, dataFormat: 'channelsFirst' }).computeOutputShape([null, 5, 2, 3, 4]), [null, 5, 4, 5, 6]);
      assert.deepEqual(new DlkitCropping1D({ cropping: [1, 2] }).computeOutputShape([null, 6, 3]), [null, 3, 3]);
      assert.deepEqual(new DlkitCropping3D({ cropping: 1, dataFormat: 'channels_first' }).computeOutputShape([null, 2, 4, 3, 5]), [null, 2, 2, 1, 3]);
      assert.deepEqual(new DlkitUpSampling1D({ size: 3 }).computeOutputShape([null, 4, 2]), [null, 12, 2]);
      assert.deepEqual(new DlkitUpSampling3D({ size: [2, 1, 3] }).computeOutputShape([null, 2, 3, 2, 7]), [null, 4, 3, 6, 7]);
      assert.deepEqual(new DlkitUpSampling3D({}).computeOutputShape([null, 1, 1, 1, 2]), [null, 2, 2, 2, 2], 'Keras default size 2');
    });

    it('gives Conv1DTranspose Keras’ output lengths', () => {
      const shape = (config: Json, input: Array<number | null>) => new DlkitConv1DTranspose({ filters: 4, kernelSize: [3], ...config }).computeOutputShape(input);
      assert.deepEqual(shape({ strides: [2], padding: 'valid' }, [null, 5, 3]), [null, 11, 4]);
      assert.deepEqual(shape({ strides: [2], padding: 'same' }, [null, 5, 3]), [null, 10, 4]);
      assert.deepEqual(shape({ strides: [2], padding: 'same', outputPadding: [1] }, [null, 5, 3]), [null, 10, 4]);
      assert.deepEqual(shape({ strides: [3], padding: 'valid', outputPadding: [2] }, [null, 5, 3]), [null, 17, 4]);
      assert.deepEqual(shape({ kernelSize: [2], strides: [3], padding: 'valid' }, [null, 5, 3]), [null, 15, 4], 'kernel below stride');
      assert.deepEqual(shape({ dilationRate: [2], padding: 'valid' }, [null, 5, 3]), [null, 9, 4]);
      assert.deepEqual(shape({ strides: [2], dataFormat: 'channelsFirst' }, [null, 3, 5]), [null, 4, 11]);
      assert.deepEqual(shape({}, [null, null, 3]), [null, null, 4]);
    });

    it('gives pooling, attention, GRU and Subtract their Keras shapes', () => {
      assert.deepEqual(new DlkitMaxPooling3D({ poolSize: [2, 2, 2] }).computeOutputShape([null, 5, 4, 3, 2]), [null, 2, 2, 1, 2]);
      assert.deepEqual(new DlkitMaxPooling3D({ poolSize: 3, strides: 2, padding: 'same', dataFormat: 'channelsFirst' }).computeOutputShape([null, 2, 5, 4, 3]), [null, 2, 3, 2, 2]);
      const mha = new DlkitMultiHeadAttention({ numHeads: 2, keyDim: 3 });
      assert.deepEqual(mha.computeOutputShape([[null, 4, 6], [null, 7, 5]]), [null, 4, 6]);
      assert.deepEqual(new DlkitMultiHeadAttention({ numHeads: 2, keyDim: 3, outputShape: [3, 2] }).computeOutputShape([[null, 4, 6], [null, 7, 5]]), [null, 4, 3, 2]);
      assert.deepEqual(new DlkitAttention({}).computeOutputShape([[null, 4, 6], [null, 7, 5]]), [null, 4, 5]);
      assert.deepEqual(new DlkitGRU({ units: 5, returnSequences: true, returnState: true }).computeOutputShape([null, 7, 3]), [[null, 7, 5], [null, 5]]);
      assert.deepEqual(new DlkitGRU({ units: 5 }).computeOutputShape([null, 7, 3]), [null, 5]);
      assert.deepEqual(new DlkitSubtract().computeOutputShape([[null, 4, 3], [null, 1, 3]]), [null, 4, 3]);
      assert.throws(() => new DlkitSubtract().computeOutputShape([[null, 4, 3], [null, 5, 3]]), /do not broadcast/);
      assert.throws(() => new DlkitSubtract().computeOutputShape([[null, 4, 3]]), /takes 2 inputs, got 1/);
    });

    it('agrees with the shapes TF.js computes in a built model, attention scores included', async () => {
      const model = await build(
        functional(
          [['x', [5, 4]]],
          [[layer('MultiHeadAttention', 'mha', { num_heads: 3, key_dim: 2, value_dim: 4, output_shape: 6 }), ['x', 'x'], { return_attention_scores: true, use_causal_mask: true }]],
          [['mha', 0], ['mha', 1]],
        ),
      );
      assert.deepEqual(model.outputs.map((output) => output.shape), [[null, 5, 6], [null, 3, 5, 5]]);
      const results = tf.tidy(() => (model.predict(tf.ones([2, 5, 4])) as tf.Tensor[]).map((output) => output.shape));
      assert.deepEqual(results, [[2, 5, 6], [2, 3, 5, 5]]);
      model.dispose();
    });
  });

  describe('Keras weight layouts', () => {
    it('creates each layer’s weights in Keras order and shape, so the file’s weights fit setWeights', async () => {
      const model = await build(
        functional(
          [['q', [4, 6]], ['v', [7, 5]], ['k', [7, 3]]],
          [
            [layer('MultiHeadAttention', 'mha', { num_heads: 2, key_dim: 3, value_dim: 4, output_shape: [8] }), ['q', 'v', 'k']],
            [layer('GRU', 'gru', { units: 5, reset_after: true }), ['q']],
            [layer('Attention', 'att', { use_scale: true, score_mode: 'concat' }), ['q', 'k']],
            [layer('GroupNormalization', 'gn', { groups: 3 }), ['q']],
            [layer('Conv1DTranspose', 'deconv', { filters: 4, kernel_size: [3], strides: [2] }), ['v']],
            [layer('AdditiveAttention', 'add_att', { use_scale: true }), ['q', 'k']],
          ],
          [['mha', 0], ['gru', 0], ['att', 0], ['gn', 0], ['deconv', 0], ['add_att', 0]],
        ),
      );
      const shapes = (name: string) => model.getLayer(name).weights.map((weight) => weight.shape);
      assert.deepEqual(shapes('mha'), [[6, 2, 3], [2, 3], [3, 2, 3], [2, 3], [5, 2, 4], [2, 4], [2, 4, 8], [8]]);
      assert.deepEqual(shapes('gru'), [[6, 15], [5, 15], [2, 15]]);
      assert.deepEqual(shapes('att'), [[], []]);
      assert.deepEqual(shapes('gn'), [[6], [6]]);
      assert.deepEqual(shapes('deconv'), [[3, 4, 5], [4]]);
      assert.deepEqual(shapes('add_att'), [[6]]);
      model.dispose();
    });

    it('drops the weights Keras drops: no biases without use_bias, no gamma or beta without scale or center', async () => {
      const model = await build(
        functional(
          [['x', [4, 6]]],
          [
            [layer('MultiHeadAttention', 'mha', { num_heads: 2, key_dim: 3, use_bias: false }), ['x', 'x']],
            [layer('GRU', 'gru', { units: 2, use_bias: false }), ['x']],
            [layer('GroupNormalization', 'gn', { groups: 2, center: false }), ['x']],
            [layer('Attention', 'att', {}), ['x', 'x']],
          ],
          [['mha', 0], ['gru', 0], ['gn', 0], ['att', 0]],
        ),
        '3.4.1',
      );
      assert.deepEqual(model.getLayer('mha').weights.map((w) => w.shape), [[6, 2, 3], [6, 2, 3], [6, 2, 3], [2, 3, 6]]);
      assert.deepEqual(model.getLayer('gru').weights.map((w) => w.shape), [[6, 6], [2, 6]]);
      assert.deepEqual(model.getLayer('gn').weights.map((w) => w.shape), [[6]]);
      assert.deepEqual(model.getLayer('att').weights, []);
      model.dispose();
    });
  });

  describe('configs', () => {
    it('survive toJSON and modelFromJSON: same classes, same configs, same outputs', async () => {
      const topology = sequential(
        [6, 3],
        layer('ZeroPadding1D', 'pad', { padding: [1, 2] }),
        layer('Conv1DTranspose', 'deconv', { filters: 4, kernel_size: [3], strides: [2], padding: 'same', output_padding: [1], activation: 'tanh' }),
        layer('GroupNormalization', 'gn', { groups: 2, epsilon: 0.01 }),
        layer('UpSampling1D', 'up', { size: 2 }),
        layer('Cropping1D', 'crop', { cropping: [2, 1] }),
        layer('SpatialDropout2D', 'drop', { rate: 0.5, noise_shape: null, seed: 7 }),
        layer('GRU', 'gru', { units: 3, reset_after: true, return_sequences: true, go_backwards: true, recurrent_activation: 'hard_sigmoid', stateful: true }),
      );
      const first = await build(topology);
      seedWeights(first);
      const saved = structuredClone(first.toJSON(null, false));
      const second = await tfl.models.modelFromJSON({ modelTopology: saved } as unknown as tf.io.ModelJSON);
      assert.deepEqual(second.layers.map((l) => l.getClassName()), first.layers.map((l) => l.getClassName()));
      assert.deepEqual(second.layers.map((l) => l.getConfig()), first.layers.map((l) => l.getConfig()));
      const gru = second.getLayer('gru').getConfig();
      assert.equal(gru['stateful'], true, 'the file’s stateful flag is kept');
      assert.equal(gru['recurrentActivation'], 'hardSigmoid');
      assert.equal(second.getLayer('drop').getConfig()['seed'], 7, 'pass-through layers keep their Keras config');
      for (const target of second.layers) target.setWeights(first.getLayer(target.name).getWeights());
      const x = tf.randomNormal([2, 6, 3], 0, 1, 'float32', 3);
      assertClose(predict(second, [x])[0] as number[], predict(first, [x])[0] as number[], 0);
      x.dispose();
      first.dispose();
      second.dispose();
    });

    it('survive the round trip for multi-input layers, self-attention wiring included', async () => {
      const topology = functional(
        [['x', [5, 4]], ['y', [3, 4]]],
        [
          [layer('Attention', 'self_att', { use_scale: true }), ['x', 'x']],
          [layer('MultiHeadAttention', 'mha', { num_heads: 2, key_dim: 2, attention_axes: [1] }), ['x', 'y']],
          [layer('Subtract', 'sub', {}), ['self_att', 'mha']],
          [layer('Add', 'add', {}), ['x', 'sub']],
        ],
        [['add', 0]],
      );
      const first = await build(topology);
      seedWeights(first);
      const second = await tfl.models.modelFromJSON({ modelTopology: structuredClone(first.toJSON(null, false)) } as unknown as tf.io.ModelJSON);
      for (const target of second.layers) target.setWeights(first.getLayer(target.name).getWeights());
      const inputs = [tf.randomNormal([2, 5, 4], 0, 1, 'float32', 1), tf.randomNormal([2, 3, 4], 0, 1, 'float32', 2)];
      assertClose(predict(second, inputs)[0] as number[], predict(first, inputs)[0] as number[], 0);
      tf.dispose(inputs);
      first.dispose();
      second.dispose();
    });

    it('runs Bidirectional around our GRU, with forward then backward weights', async () => {
      const model = await build(
        sequential([4, 3], layer('Bidirectional', 'bi', { merge_mode: 'concat', layer: layer('GRU', 'gru', { units: 2, return_sequences: true }) })),
        '2.11.0',
      );
      const bi = model.getLayer('bi');
      assert.deepEqual(bi.weights.map((w) => w.shape), [[3, 6], [2, 6], [2, 6], [3, 6], [2, 6], [2, 6]]);
      assert.deepEqual(model.outputs[0]?.shape, [null, 4, 4]);
      model.dispose();
    });
  });

  describe('untrusted configs', () => {
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['GRU without units', () => new DlkitGRU({}), /GRU: config units must be given/],
      ['GRU with a string for units', () => new DlkitGRU({ units: '4' }), /GRU: config units must be an integer >= 1, got "4"/],
      ['GRU with absurd units', () => new DlkitGRU({ units: 2 ** 40 }), /GRU: config units must be an integer/],
      ['GRU with reset_after false', () => new DlkitGRU({ units: 2, resetAfter: false }), /reset_after=True/],
      ['GRU with time_major', () => new DlkitGRU({ units: 2, timeMajor: true }), /time_major/],
      ['GRU with an unknown activation', () => new DlkitGRU({ units: 2, activation: 'wobble' }), /GRU: unknown activation "wobble"/],
      ['negative padding', () => new DlkitZeroPadding1D({ padding: -1 }), /ZeroPadding1D: config padding must be/],
      ['padding of the wrong arity', () => new DlkitZeroPadding3D({ padding: [1, 2] }), /ZeroPadding3D: config padding must be/],
      ['a bad data format', () => new DlkitCropping3D({ dataFormat: 'channels_middle' }), /data_format|dataFormat/],
      ['cropping everything', () => new DlkitCropping1D({ cropping: [3, 3] }).computeOutputShape([null, 6, 2]), /leaves nothing/],
      ['output_padding not below the stride', () => new DlkitConv1DTranspose({ filters: 2, kernelSize: [3], strides: [2], outputPadding: [2] }), /output_padding/],
      ['Conv1DTranspose without kernel_size', () => new DlkitConv1DTranspose({ filters: 2 }), /kernelSize must be given/],
      ['attention axes at the batch', () => new DlkitMultiHeadAttention({ numHeads: 2, keyDim: 2, attentionAxes: [0] }), /attention_axes/],
      ['attention axes beyond the input', () => new DlkitMultiHeadAttention({ numHeads: 2, keyDim: 2, attentionAxes: [3] }).computeOutputShape([[null, 4, 6], [null, 4, 6]]), /do not fit/],
      ['a score mode Keras lacks', () => new DlkitAttention({ scoreMode: 'bilinear' }), /scoreMode must be one of dot, concat/],
      ['attention weights too large to allocate', () => new DlkitMultiHeadAttention({ numHeads: 4096, keyDim: 4096 }).build([[null, 4, 4096], [null, 4, 4096]]), /query kernel of shape \[4096, 4096, 4096\]/],
      ['a GRU too large to allocate', () => new DlkitGRU({ units: 2 ** 20 }).build([null, 3, 8]), /GRU: its config asks for a recurrent_kernel of shape \[1048576, 3145728\]/],
      ['groups that do not divide the channels', () => new DlkitGroupNormalization({ groups: 4 }).build([null, 3, 6]), /6 channels cannot be split into 4 groups/],
    ];
    for (const [what, make, message] of cases) {
      it(`rejects ${what} with a LayerConfigError naming the layer`, () => {
        assert.throws(make, (error: unknown) => error instanceof LayerConfigError && message.test(error.message));
      });
    }

    it('refuses tensors recorded as call keyword arguments instead of quietly attending to the query', async () => {
      // Keras 2 saves mha(query=x, value=y) with value as a keyword argument holding a layer reference.
      const keywordValue = functional(
        [['x', [4, 3]], ['y', [5, 3]]],
        [[layer('MultiHeadAttention', 'mha', { num_heads: 2, key_dim: 2 }), ['x'], { value: ['y', 0, 0] }]],
        [['mha', 0]],
      );
      await assert.rejects(build(keywordValue), /MultiHeadAttention: value given as call keyword arguments/);
      // The same wiring naming the query itself is Keras 2's self-attention, mha(x, x): that one runs.
      const selfAttention = await build(
        functional([['x', [4, 3]]], [[layer('MultiHeadAttention', 'multi_head', { num_heads: 2, key_dim: 2 }), ['x'], { value: ['x', 0, 0], key: ['x', 0, 0] }]], [['multi_head', 0]]),
      );
      assert.deepEqual(selfAttention.getLayer('multi_head').weights.map((w) => w.shape), [[3, 2, 2], [2, 2], [3, 2, 2], [2, 2], [3, 2, 2], [2, 2], [2, 2, 3], [3]]);
      selfAttention.dispose();
      const keywordMask = functional(
        [['q', [4, 3]], ['v', [5, 3]], ['m', [5]]],
        [[layer('Attention', 'att', {}), ['q', 'v'], { mask: [null, ['m', 0, 0]] }]],
        [['att', 0]],
      );
      await assert.rejects(build(keywordMask), /Attention: mask given as call keyword arguments/);
    });

    it('turns a bad config inside a model file into an error, not a crash or a hang', async () => {
      await assert.rejects(build(sequential([4, 3], layer('UpSampling1D', 'up', { size: 0 }))), /UpSampling1D: config size must be an integer >= 1/);
      await assert.rejects(build(sequential([4, 3], layer('GRU', 'gru', { units: 3, reset_after: true, activation: { class_name: 'Evil' } }))), /unknown activation/);
    });
  });

  describe('tensor hygiene', () => {
    it('leaves no tensor behind when a model with every custom layer predicts and is disposed', async () => {
      const before = tf.memory().numTensors;
      const model = await build(
        functional(
          [['x', [6, 4]], ['v', [3, 4]], ['cube', [4, 4, 4, 2]]],
          [
            [layer('Masking', 'masking', { mask_value: 0 }), ['x']],
            [layer('GRU', 'gru', { units: 4, return_sequences: true, reset_after: true, zero_output_for_mask: true }), ['masking']],
            [layer('Attention', 'att', { score_mode: 'concat', use_scale: true }), ['gru', 'gru'], { use_causal_mask: true }],
            [layer('AdditiveAttention', 'additive', {}), ['x', 'v']],
            [layer('MultiHeadAttention', 'mha', { num_heads: 2, key_dim: 2 }), ['att', 'v', 'v']],
            [layer('Subtract', 'sub', {}), ['mha', 'additive']],
            [layer('GroupNormalization', 'gn', { groups: 2 }), ['sub']],
            [layer('UnitNormalization', 'unit', {}), ['gn']],
            [layer('Conv1DTranspose', 'deconv', { filters: 2, kernel_size: [3], strides: [2], dilation_rate: [1] }), ['unit']],
            [layer('ZeroPadding1D', 'pad', { padding: 1 }), ['deconv']],
            [layer('Cropping1D', 'crop', { cropping: [1, 1] }), ['pad']],
            [layer('UpSampling1D', 'up', { size: 2 }), ['crop']],
            [layer('ZeroPadding3D', 'pad3', { padding: 1 }), ['cube']],
            [layer('MaxPooling3D', 'pool3', { pool_size: [2, 2, 2], padding: 'same' }), ['pad3']],
            [layer('UpSampling3D', 'up3', { size: 2 }), ['pool3']],
            [layer('Cropping3D', 'crop3', { cropping: 1 }), ['up3']],
            [layer('SpatialDropout3D', 'drop3', { rate: 0.2 }), ['crop3']],
            [layer('GlobalMaxPooling3D', 'gmax', {}), ['drop3']],
            [layer('GlobalAveragePooling3D', 'gavg', { keepdims: true }), ['drop3']],
          ],
          [['up', 0], ['gmax', 0], ['gavg', 0]],
        ),
        '2.13.1',
      );
      seedWeights(model);
      const inputs = [tf.randomNormal([2, 6, 4]), tf.randomNormal([2, 3, 4]), tf.randomNormal([2, 4, 4, 4, 2])];
      const during = tf.memory().numTensors;
      const outputs = predict(model, inputs);
      assert.equal(outputs.length, 3);
      assert.ok(outputs.every((values) => values.every(Number.isFinite)));
      assert.equal(tf.memory().numTensors, during, 'predict keeps nothing but its outputs');
      tf.dispose(inputs);
      model.dispose();
      assert.equal(tf.memory().numTensors, before);
    });

    it('keeps a tensor self-attention takes twice alive for the layers after it (tfjs frees it too early otherwise)', async () => {
      const model = await build(
        functional(
          [['x', [4, 3]]],
          [
            [layer('Dense', 'dense', { units: 3, activation: 'linear', use_bias: true }), ['x']],
            [layer('Attention', 'att', {}), ['dense', 'dense']],
            [layer('Add', 'residual', {}), ['dense', 'att']],
          ],
          [['residual', 0]],
        ),
      );
      seedWeights(model);
      const x = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 9);
      const [actual] = predict(model, [x]);
      const expected = tf.tidy(() => {
        const [kernel, bias] = model.getLayer('dense').getWeights() as [tf.Tensor2D, tf.Tensor1D];
        const hidden = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [8, 3]), kernel), bias), [2, 4, 3]) as tf.Tensor3D;
        const weights = tf.softmax(tf.matMul(hidden, hidden, false, true));
        return Array.from(tf.add(hidden, tf.matMul(weights, hidden)).dataSync());
      });
      assertClose(actual as number[], expected);
      x.dispose();
      model.dispose();
    });

    it('leaves no tensor behind when a layer is called directly, including a failed call', () => {
      const gru = new DlkitGRU({ units: 3, returnSequences: true });
      const x = tf.ones([2, 4, 2]);
      const first = gru.apply(x) as tf.Tensor;
      first.dispose();
      const before = tf.memory().numTensors;
      const again = gru.apply(x) as tf.Tensor;
      assert.deepEqual(again.shape, [2, 4, 3]);
      again.dispose();
      assert.throws(() => new DlkitSubtract().apply([x]));
      assert.equal(tf.memory().numTensors, before);
      x.dispose();
      gru.dispose();
    });
  });
});
