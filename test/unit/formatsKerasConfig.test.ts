/**
 * Keras config normalisation: Keras 3 and Keras 1 spellings into the IR and
 * into the topology tfjs-layers 4.22 accepts. The topologies are handed to
 * the real tfjs-layers `modelFromJSON` (and, for the real Keras 3 and TF.js
 * fixtures, given their stored weights and run), so "accepts" is proven,
 * not assumed.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { FormatError } from '../../src/formats/errors';
import { normaliseKerasModel } from '../../src/formats/kerasConfig';
import { openModel } from '../../src/formats/open';
import type { IRLayer } from '../../src/protocol/model';
import { realFixture } from './realFixtures';

const FILE = '/models/model.keras';
const policy = (name: string) => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null, shared_object_id: 140 });
const tensor = (layer: string, node = 0, index = 0) => ({ class_name: '__keras_tensor__', config: { shape: [null, 8], dtype: 'float32', keras_history: [layer, node, index] } });
const keras3Layer = (className: string, name: string, config: Record<string, unknown>, inbound: unknown[]) => ({
  module: 'keras.layers',
  class_name: className,
  config: { name, trainable: true, dtype: policy('float32'), ...config },
  registered_name: null,
  build_config: { input_shape: [null, 8] },
  name,
  inbound_nodes: inbound,
});

/** A Keras 3 functional model: one flat input, a list argument, a silu activation, a mixed-precision layer. */
const KERAS3_FUNCTIONAL = {
  module: 'keras.src.models.functional',
  class_name: 'Functional',
  config: {
    name: 'functional',
    trainable: true,
    layers: [
      { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 8], dtype: 'float32', sparse: false, name: 'input_layer' }, registered_name: null, name: 'input_layer', inbound_nodes: [] },
      keras3Layer('Dense', 'dense', {
        units: 4,
        activation: 'silu',
        use_bias: true,
        kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null },
        kernel_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 }, registered_name: null },
      }, [{ args: [tensor('input_layer')], kwargs: {} }]),
      keras3Layer('Dense', 'dense_1', { units: 4, activation: 'relu', dtype: policy('mixed_float16') }, [{ args: [tensor('input_layer')], kwargs: {} }]),
      keras3Layer('Concatenate', 'concatenate', { axis: -1 }, [{ args: [[tensor('dense'), tensor('dense_1')]], kwargs: {} }]),
    ],
    input_layers: ['input_layer', 0, 0],
    output_layers: ['concatenate', 0, 0],
  },
  registered_name: 'Functional',
  build_config: { input_shape: null },
  compile_config: { optimizer: 'adam', loss: 'mse' },
};

function ids(layers: IRLayer[]): string[] {
  return layers.map((layer) => layer.id);
}

function edges(layers: IRLayer[], id: string): string[][] {
  const layer = layers.find((candidate) => candidate.id === id);
  assert.ok(layer, id);
  return layer.inboundNodes.map((node) => node.map((ref) => `${ref.layer}:${ref.node}:${ref.tensor}`));
}

async function buildInTfjs(topology: unknown): Promise<tfl.LayersModel> {
  return tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
}

describe('formats/kerasConfig', () => {
  // TF.js keeps one engine per process: leave it on the backend other tests chose.
  let previousBackend: string | undefined;
  before(async () => {
    previousBackend = tf.engine().backendName ?? undefined;
    await tf.setBackend('cpu');
  });
  after(async () => {
    if (previousBackend && previousBackend !== 'cpu') await tf.setBackend(previousBackend);
  });

  it('Keras 3 functional: IR edges from __keras_tensor__ args, flat input_layers, Keras 2 spelling in configs', () => {
    const { ir, warnings } = normaliseKerasModel(FILE, KERAS3_FUNCTIONAL);
    assert.deepEqual(warnings, []);
    assert.equal(ir.className, 'Functional');
    assert.equal(ir.name, 'functional');
    assert.deepEqual(ids(ir.layers), ['input_layer', 'dense', 'dense_1', 'concatenate']);
    assert.deepEqual(edges(ir.layers, 'dense'), [['input_layer:0:0']]);
    assert.deepEqual(edges(ir.layers, 'concatenate'), [['dense:0:0', 'dense_1:0:0']]);
    assert.deepEqual(ir.inputs, [{ layer: 'input_layer', node: 0, tensor: 0 }]);
    assert.deepEqual(ir.outputs, [{ layer: 'concatenate', node: 0, tensor: 0 }]);
    const input = ir.layers[0]!.config;
    assert.deepEqual(input.batch_input_shape, [null, 8]);
    assert.ok(!('batch_shape' in input));
    assert.equal(ir.layers[1]!.config.dtype, 'float32');
    assert.equal(ir.layers[2]!.config.dtype, 'mixed_float16');
    // Nested objects are kept as found in the IR.
    assert.equal((ir.layers[1]!.config.kernel_initializer as { module: string }).module, 'keras.initializers');
  });

  it('Keras 3 functional: the TF.js topology is stripped, wrapped and renamed, and tfjs-layers builds and runs it', async () => {
    const { topology } = normaliseKerasModel(FILE, KERAS3_FUNCTIONAL);
    const text = JSON.stringify(topology);
    assert.doesNotMatch(text, /"module"|registered_name|build_config|compile_config|shared_object_id|__keras_tensor__|DTypePolicy|mixed_float16|"silu"/);
    const config = topology.config as { input_layers: unknown; output_layers: unknown; layers: Array<Record<string, unknown>> };
    assert.deepEqual(config.input_layers, [['input_layer', 0, 0]]);
    assert.deepEqual(config.output_layers, [['concatenate', 0, 0]]);
    const [, dense, dense1, concat] = config.layers;
    assert.deepEqual(dense!.inbound_nodes, [[['input_layer', 0, 0, {}]]]);
    assert.deepEqual(concat!.inbound_nodes, [[['dense', 0, 0, {}], ['dense_1', 0, 0, {}]]]);
    const denseConfig = dense!.config as Record<string, unknown>;
    assert.equal(denseConfig.activation, 'swish');
    assert.equal(denseConfig.kernel_regularizer, null);
    assert.equal((dense1!.config as Record<string, unknown>).dtype, 'float32');
    const model = await buildInTfjs(topology);
    assert.deepEqual(model.outputs[0]!.shape, [null, 8]);
    const out = model.predict(tf.ones([2, 8])) as tf.Tensor;
    assert.deepEqual(out.shape, [2, 8]);
    model.dispose();
  });

  it('Keras 3 keyword tensors (attention value=) are inputs in the IR and [layer, node, tensor] kwargs in the topology', () => {
    const config = structuredClone(KERAS3_FUNCTIONAL);
    config.config.layers.push(
      keras3Layer('MultiHeadAttention', 'mha', { num_heads: 2, key_dim: 4 }, [{ args: [tensor('dense')], kwargs: { value: tensor('dense_1'), training: false } }]),
    );
    const { ir, topology } = normaliseKerasModel(FILE, config);
    assert.deepEqual(edges(ir.layers, 'mha'), [['dense:0:0', 'dense_1:0:0']]);
    const mha = (topology.config.layers as Array<Record<string, unknown>>)[4]!;
    assert.deepEqual(mha.inbound_nodes, [[['dense', 0, 0, { value: ['dense_1', 0, 0], training: false }]]]);
    assert.equal(mha.class_name, 'MultiHeadAttention');
  });

  it('Keras 1: Merge modes, Convolution and recurrent keys, Dropout p, 3-element refs; tfjs-layers builds it', async () => {
    const keras1 = {
      class_name: 'Model',
      config: {
        name: 'keras1',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 4], input_dtype: 'float32', sparse: false, name: 'input_1' }, inbound_nodes: [], name: 'input_1' },
          {
            class_name: 'LSTM',
            config: { name: 'lstm_1', output_dim: 5, init: 'glorot_uniform', inner_init: 'orthogonal', inner_activation: 'hard_sigmoid', activation: 'tanh', return_sequences: false, dropout_W: 0.1, dropout_U: 0.2, consume_less: 'gpu', forget_bias_init: 'one', W_regularizer: null, U_regularizer: null, b_regularizer: null, trainable: true },
            inbound_nodes: [[['input_1', 0, 0]]],
            name: 'lstm_1',
          },
          { class_name: 'Dense', config: { name: 'dense_1', output_dim: 5, init: 'glorot_uniform', activation: 'linear', bias: true, W_regularizer: null, b_regularizer: null }, inbound_nodes: [[['lstm_1', 0, 0]]], name: 'dense_1' },
          { class_name: 'Merge', config: { name: 'merge_1', mode: 'concat', concat_axis: -1, dot_axes: -1, mode_type: 'raw', output_shape: null }, inbound_nodes: [[['lstm_1', 0, 0], ['dense_1', 0, 0]]], name: 'merge_1' },
          { class_name: 'Dropout', config: { name: 'dropout_1', p: 0.25 }, inbound_nodes: [[['merge_1', 0, 0]]], name: 'dropout_1' },
        ],
        input_layers: [['input_1', 0, 0]],
        output_layers: [['dropout_1', 0, 0]],
      },
    };
    const { ir, topology, warnings } = normaliseKerasModel(FILE, keras1);
    assert.deepEqual(ir.layers.map((l) => l.className), ['InputLayer', 'LSTM', 'Dense', 'Concatenate', 'Dropout']);
    const lstm = ir.layers[1]!.config;
    assert.deepEqual(
      [lstm.units, lstm.kernel_initializer, lstm.recurrent_initializer, lstm.recurrent_activation, lstm.dropout, lstm.recurrent_dropout, lstm.implementation, lstm.unit_forget_bias],
      [5, 'glorot_uniform', 'orthogonal', 'hard_sigmoid', 0.1, 0.2, 2, true],
    );
    assert.equal(ir.layers[0]!.config.dtype, 'float32');
    assert.equal(ir.layers[2]!.config.use_bias, true);
    assert.equal(ir.layers[3]!.config.axis, -1);
    assert.ok(!('mode' in ir.layers[3]!.config));
    assert.equal(ir.layers[4]!.config.rate, 0.25);
    assert.deepEqual(edges(ir.layers, 'merge_1'), [['lstm_1:0:0', 'dense_1:0:0']]);
    assert.ok(warnings.some((warning) => /Merge\(mode='concat'\) → Concatenate/.test(warning)));
    const model = await buildInTfjs(topology);
    assert.deepEqual(model.outputs[0]!.shape, [null, 10]);
    model.dispose();
  });

  it('Keras 1 Sequential as a bare list with Convolution2D, th ordering and pooling keys', () => {
    const { ir, warnings, topology } = normaliseKerasModel(FILE, {
      class_name: 'Sequential',
      config: [
        { class_name: 'Convolution2D', config: { name: 'c', nb_filter: 8, nb_row: 3, nb_col: 3, border_mode: 'same', subsample: [2, 2], dim_ordering: 'th', batch_input_shape: [null, 1, 28, 28] } },
        { class_name: 'MaxPooling1D', config: { name: 'p', pool_length: 2, stride: 2, border_mode: 'valid' } },
        { class_name: 'Convolution1D', config: { name: 'c1', nb_filter: 4, filter_length: 5, subsample_length: 1 } },
      ],
    });
    assert.equal(ir.className, 'Sequential');
    assert.equal(ir.name, 'sequential');
    const [conv, pool, conv1] = ir.layers.map((l) => l.config);
    assert.deepEqual([conv!.filters, conv!.kernel_size, conv!.padding, conv!.strides, conv!.data_format], [8, [3, 3], 'same', [2, 2], 'channels_first']);
    assert.deepEqual([pool!.pool_size, pool!.strides, pool!.padding], [[2], [2], 'valid']);
    assert.deepEqual([conv1!.kernel_size, conv1!.strides], [[5], [1]]);
    assert.deepEqual(edges(ir.layers, 'p'), [['c:0:0']]);
    assert.ok(warnings.some((warning) => /'th'/.test(warning)));
    assert.deepEqual((topology.config.layers as Array<{ class_name: string }>).map((l) => l.class_name), ['Conv2D', 'MaxPooling1D', 'Conv1D']);
  });

  it('wrapped layers (Bidirectional, TimeDistributed) are normalised inside, old class names renamed', async () => {
    const { ir, topology } = normaliseKerasModel(FILE, {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { batch_shape: [null, 5, 3], dtype: 'float32', name: 'in' } },
          {
            module: 'keras.layers',
            class_name: 'Bidirectional',
            config: { name: 'bi', merge_mode: 'concat', layer: { module: 'keras.layers', class_name: 'UnifiedLSTM', config: { name: 'l', units: 2, return_sequences: true, dtype: policy('float32') }, registered_name: null } },
          },
          { class_name: 'TimeDistributed', config: { name: 'td', layer: { class_name: 'Dense', config: { name: 'd', output_dim: 1, init: 'uniform' } } } },
        ],
      },
    });
    const bi = ir.layers[1]!.config.layer as { class_name: string; config: Record<string, unknown> };
    assert.equal(bi.class_name, 'LSTM');
    assert.equal(bi.config.dtype, 'float32');
    assert.equal((ir.layers[2]!.config.layer as { config: Record<string, unknown> }).config.units, 1);
    const model = await buildInTfjs(topology);
    assert.deepEqual(model.outputs[0]!.shape, [null, 5, 1]);
    model.dispose();
  });

  it('a Keras 2 functional model nesting a Sequential (called as node 1): ids, parents, edges; tfjs-layers builds it', async () => {
    const nested = {
      class_name: 'Functional',
      config: {
        name: 'outer',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'x' }, name: 'x', inbound_nodes: [] },
          {
            class_name: 'Sequential',
            config: { name: 'block', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'block_in' } }, { class_name: 'Dense', config: { name: 'inner', units: 3 } }] },
            name: 'block',
            inbound_nodes: [[['x', 0, 0, {}]]],
          },
          { class_name: 'Dense', config: { name: 'head', units: 2 }, name: 'head', inbound_nodes: [[['block', 1, 0, {}]]] },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['head', 0, 0]],
      },
    };
    const { ir, topology } = normaliseKerasModel(FILE, nested);
    assert.deepEqual(ir.layers.map((l) => [l.id, l.parent ?? '', l.depth]), [
      ['x', '', 0],
      ['block', '', 0],
      ['block/block_in', 'block', 1],
      ['block/inner', 'block', 1],
      ['head', '', 0],
    ]);
    assert.deepEqual(edges(ir.layers, 'head'), [['block:1:0']]);
    assert.deepEqual(edges(ir.layers, 'block/inner'), [['block/block_in:0:0']]);
    const model = await buildInTfjs(topology);
    assert.deepEqual(model.outputs[0]!.shape, [null, 2]);
    model.dispose();
  });

  it('refs to layers that do not exist are dropped from the TF.js topology (tfjs-layers would wait for them forever)', async () => {
    const config = structuredClone(KERAS3_FUNCTIONAL);
    config.config.layers[3] = keras3Layer('Concatenate', 'concatenate', { axis: -1 }, [{ args: [[tensor('dense'), tensor('dense_1'), tensor('ghost')]], kwargs: {} }]);
    const { ir, topology, warnings } = normaliseKerasModel(FILE, config);
    assert.deepEqual(edges(ir.layers, 'concatenate'), [['dense:0:0', 'dense_1:0:0']]);
    assert.ok(warnings.some((warning) => /ghost/.test(warning)));
    const model = await buildInTfjs(topology);
    assert.deepEqual(model.outputs[0]!.shape, [null, 8]);
    model.dispose();
  });

  it('refuses what is not a model config, and absurd nesting, naming the file', () => {
    assert.throws(() => normaliseKerasModel(FILE, [1, 2]), (error: unknown) => error instanceof FormatError && error.message.startsWith('model.keras: '));
    assert.throws(() => normaliseKerasModel(FILE, { class_name: 'Sequential', config: { name: 'x' } }), /has no list of layers/);
    let deep: Record<string, unknown> = { class_name: 'Sequential', config: { name: 'leaf', layers: [] } };
    for (let i = 0; i < 40; i++) deep = { class_name: 'Sequential', config: { name: `s${i}`, layers: [deep] } };
    assert.throws(() => normaliseKerasModel(FILE, deep), /nested more than 32 deep/);
  });

  for (const file of [realFixture('keras_v3', 'k341_stock_lstm.keras'), realFixture('tfjs_layers', 'keras3_autoencoder_nested', 'model.json')]) {
    it(`${file.split('/').slice(-2).join('/')}: tfjs-layers rebuilds the topology, takes every stored weight in weightPaths order, and runs`, async () => {
      const parsed = await openModel(file);
      try {
        const model = await buildInTfjs(parsed.kerasTopology);
        const byId = new Map(parsed.model!.layers.map((layer) => [layer.id, layer]));
        let set = 0;
        const visit = async (layers: tfl.layers.Layer[], prefix: string) => {
          for (const layer of layers) {
            const ir = byId.get(prefix + layer.name);
            assert.ok(ir, `tfjs layer ${prefix}${layer.name} is in the IR`);
            if (ir.isModel) {
              await visit((layer as unknown as tfl.LayersModel).layers, `${ir.id}/`);
              continue;
            }
            const values = await Promise.all(ir.weightPaths.map((weightPath) => parsed.readTensor(weightPath)));
            assert.equal(values.length, layer.weights.length, `${ir.id} weight count`);
            layer.setWeights(values.map((value, i) => tf.tensor(value as Float32Array, layer.weights[i]!.shape as number[])));
            set += values.length;
          }
        };
        await visit(model.layers, '');
        assert.equal(set, parsed.weights.length);
        const input = tf.ones(model.inputs[0]!.shape.map((dim) => dim ?? 1));
        const output = model.predict(input) as tf.Tensor;
        assert.ok(Array.from(output.dataSync()).every(Number.isFinite));
        model.dispose();
      } finally {
        parsed.close();
      }
    });
  }
});
