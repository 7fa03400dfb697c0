/**
 * Whole-model analysis on IRs written by hand: functional graphs,
 * Sequential chains, shared layers, nested models (checked against the same
 * models built in tfjs-layers), unknown classes, tied and frozen weights,
 * graph models, weights-only files, and malformed or huge IRs.
 */
import assert from 'node:assert/strict';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers/dist/index';
import { analyseModel } from '../../src/engine/analysis';
import { Findings } from '../../src/engine/analysis/findings';
import { inferShapes } from '../../src/engine/analysis/shapes';
import type { GraphNode, IRLayer, LayerSummary, ModelSummary, ParsedModelInfo, Shape, TensorRef, WeightTensor } from '../../src/protocol/model';

assert.ok(version_cpu, 'tfjs cpu backend loaded');

/** A layer name, or [layer, node, tensor]. */
type RefSpec = string | [string, number, number];
type Config = Record<string, unknown>;

const ref = (spec: RefSpec): TensorRef => (typeof spec === 'string' ? { layer: spec, node: 0, tensor: 0 } : { layer: spec[0], node: spec[1], tensor: spec[2] });

/** An IR layer; the id's '/'-separated path gives its name, depth and parent. `calls`: one list of inputs per call. */
function layer(id: string, className: string, config: Config = {}, calls: RefSpec[][] = [], extra: Partial<IRLayer> = {}): IRLayer {
  const parts = id.split('/');
  return {
    id,
    name: parts[parts.length - 1] ?? id,
    className,
    depth: parts.length - 1,
    ...(parts.length > 1 ? { parent: parts.slice(0, -1).join('/') } : {}),
    isModel: false,
    config,
    inboundNodes: calls.map((call) => call.map(ref)),
    weightPaths: [],
    trainable: true,
    ...extra,
  };
}

const inputLayer = (id: string, shape: Shape): IRLayer => layer(id, 'InputLayer', { batch_input_shape: shape, dtype: 'float32' });

function nested(id: string, className: string, calls: RefSpec[][], inputs: RefSpec[], outputs: RefSpec[]): IRLayer {
  return layer(id, className, {}, calls, { isModel: true, inputs: inputs.map(ref), outputs: outputs.map(ref) });
}

function weight(layerId: string, name: string, shape: number[], trainable = true, dtype = 'float32'): WeightTensor {
  const bytesPer = dtype === 'float16' ? 2 : 4;
  return { path: `${layerId}/${name}`, layer: layerId, name, shape, dtype, bytes: bytesPer * shape.reduce((a, b) => a * b, 1), trainable };
}

interface ModelOptions {
  className?: string;
  inputs?: RefSpec[];
  outputs?: RefSpec[];
  weights?: WeightTensor[];
}

function parsedModel(layers: IRLayer[], options: ModelOptions = {}): ParsedModelInfo {
  return {
    file: '/models/m.h5',
    fileBytes: 1234,
    format: 'keras-h5',
    formatLabel: 'Keras 2 HDF5 (full model)',
    framework: 'keras',
    producer: 'Keras 2.15.0',
    model: {
      className: options.className ?? 'Functional',
      name: 'model',
      layers,
      inputs: (options.inputs ?? []).map(ref),
      outputs: (options.outputs ?? []).map(ref),
    },
    weights: options.weights ?? [],
    warnings: [],
  };
}

const analyse = (layers: IRLayer[], options: ModelOptions = {}): ModelSummary => analyseModel(parsedModel(layers, options), 0);

function row(summary: ModelSummary, id: string): LayerSummary {
  const found = summary.layers.find((entry) => entry.id === id);
  assert.ok(found, `row ${id}`);
  return found;
}

/**
 * tfjs layer names in this file. All test bundles share one tfjs engine in
 * the test process, and it refuses two variables of the same name.
 */
const TFJS_PREFIX = 'analysis_model_';
const tfjsName = (name: string): string => `${TFJS_PREFIX}${name}`;

/** Weights of a tfjs model as a parser lists them: each tensor on the id of the layer that owns it. */
function weightsOfTfjs(model: tfl.LayersModel, prefix = ''): WeightTensor[] {
  const result: WeightTensor[] = [];
  for (const child of model.layers) {
    const id = `${prefix}${child.name.replace(TFJS_PREFIX, '')}`;
    if (child instanceof tfl.LayersModel) result.push(...weightsOfTfjs(child, `${id}/`));
    else for (const variable of child.weights) result.push(weight(id, variable.originalName, variable.shape as number[], variable.trainable));
  }
  return result;
}

const sizeOf = (variables: tfl.LayerVariable[]): number =>
  variables.reduce((total, variable) => total + variable.shape.reduce<number>((size, dim) => size * (dim ?? 1), 1), 0);

describe('analysis: model structure', () => {
  it('a Keras 2 Sequential without InputLayer: the first layer declares the input', () => {
    const summary = analyse(
      [
        layer('dense', 'Dense', { units: 16, batch_input_shape: [null, 8], activation: 'relu' }),
        layer('dropout', 'Dropout', { rate: 0.5 }, [['dense']]),
        layer('dense_1', 'Dense', { units: 3, activation: 'softmax' }, [['dropout']]),
      ],
      { className: 'Sequential', inputs: ['dense'], outputs: ['dense_1'] },
    );
    assert.equal(summary.modelClass, 'Sequential');
    assert.equal(summary.hasArchitecture, true);
    assert.deepEqual(summary.inputs, [{ name: 'dense_input', shape: [null, 8], dtype: 'float32' }]);
    assert.deepEqual(summary.outputs, [{ name: 'dense_1', shape: [null, 3], dtype: 'float32' }]);
    assert.deepEqual(
      summary.layers.map((entry) => [entry.id, entry.outputShapes, entry.connectedTo]),
      [
        ['dense', [[null, 16]], []],
        ['dropout', [[null, 16]], ['dense']],
        ['dense_1', [[null, 3]], ['dropout']],
      ],
    );
    assert.equal(summary.macs, 8 * 16 + 16 * 3);
    assert.equal(summary.macsComplete, true);
  });

  it('a functional diamond listed out of order is evaluated in dependency order', () => {
    const summary = analyse(
      [
        layer('add', 'Add', {}, [['left', 'right']]),
        layer('left', 'Conv2D', { filters: 4, kernel_size: 3, padding: 'same' }, [['stem']]),
        inputLayer('image', [null, 8, 8, 3]),
        layer('right', 'Conv2D', { filters: 4, kernel_size: 1 }, [['stem']]),
        layer('stem', 'Conv2D', { filters: 6, kernel_size: 3, strides: 2, padding: 'same' }, [['image']]),
        layer('head', 'GlobalAveragePooling2D', {}, [['add']]),
      ],
      { inputs: ['image'], outputs: ['head'] },
    );
    assert.deepEqual(row(summary, 'stem').outputShapes, [[null, 4, 4, 6]]);
    assert.deepEqual(row(summary, 'add').outputShapes, [[null, 4, 4, 4]]);
    assert.deepEqual(row(summary, 'add').connectedTo, ['left', 'right']);
    assert.deepEqual(summary.outputs, [{ name: 'head', shape: [null, 4], dtype: 'float32' }]);
    assert.equal(summary.macs, 4 * 4 * 3 * 3 * 3 * 6 + 4 * 4 * 3 * 3 * 6 * 4 + 4 * 4 * 1 * 1 * 6 * 4);
  });

  it('a shared layer called on two ranks: each call has its own shape, MACs of both, weights once (as tfjs)', () => {
    const shared = tfl.layers.dense({ units: 4, name: tfjsName('shared') });
    const first = tfl.input({ shape: [8], name: tfjsName('first') });
    const second = tfl.input({ shape: [5, 8], name: tfjsName('second') });
    const flat = tfl.layers.flatten({ name: tfjsName('flat') }).apply(shared.apply(second)) as tfl.SymbolicTensor;
    const joined = tfl.layers.concatenate({ name: tfjsName('joined') }).apply([shared.apply(first) as tfl.SymbolicTensor, flat]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [first, second], outputs: joined });

    const summary = analyse(
      [
        inputLayer('first', [null, 8]),
        inputLayer('second', [null, 5, 8]),
        // Call 0 on `second`, call 1 on `first`, as tfjs numbered them above.
        layer('shared', 'Dense', { units: 4 }, [['second'], ['first']]),
        layer('flat', 'Flatten', {}, [[['shared', 0, 0]]]),
        layer('joined', 'Concatenate', {}, [[['shared', 1, 0], 'flat']]),
      ],
      { inputs: ['first', 'second'], outputs: ['joined'], weights: weightsOfTfjs(model) },
    );
    assert.deepEqual(row(summary, 'flat').outputShapes, [flat.shape]);
    assert.deepEqual(summary.outputs[0]?.shape, joined.shape);
    assert.deepEqual(row(summary, 'shared').outputShapes, [[null, 5, 4]], 'the row shows the first call');
    assert.equal(row(summary, 'shared').macs, 5 * 8 * 4 + 8 * 4);
    assert.equal(row(summary, 'shared').params, shared.countParams());
    assert.equal(summary.totalParams, model.countParams());
  });

  it('Sequential inside Sequential: children take the outer input; params roll up as tfjs counts them', () => {
    const inner = tfl.sequential({
      name: 'inner',
      layers: [tfl.layers.dense({ units: 16, inputShape: [8], name: tfjsName('a') }), tfl.layers.batchNormalization({ name: tfjsName('bn') }), tfl.layers.dense({ units: 4, name: tfjsName('b') })],
    });
    const outer = tfl.sequential({ layers: [inner, tfl.layers.dense({ units: 2, name: tfjsName('c') })] });

    const summary = analyse(
      [
        nested('inner', 'Sequential', [], ['inner/a'], ['inner/b']),
        layer('inner/a', 'Dense', { units: 16, batch_input_shape: [null, 8] }),
        layer('inner/bn', 'BatchNormalization', {}, [['inner/a']]),
        layer('inner/b', 'Dense', { units: 4 }, [['inner/bn']]),
        layer('c', 'Dense', { units: 2 }, [['inner']]),
      ],
      { className: 'Sequential', inputs: ['inner'], outputs: ['c'], weights: weightsOfTfjs(outer) },
    );
    assert.deepEqual(row(summary, 'inner').outputShapes, [inner.outputs[0]?.shape]);
    assert.deepEqual(summary.outputs[0]?.shape, outer.outputs[0]?.shape);
    assert.equal(row(summary, 'inner').depth, 0);
    assert.equal(row(summary, 'inner/bn').depth, 1);
    assert.equal(row(summary, 'inner/bn').parent, 'inner');
    assert.equal(row(summary, 'inner').params, inner.countParams());
    assert.equal(row(summary, 'inner').trainableParams, sizeOf(inner.trainableWeights));
    assert.equal(row(summary, 'inner').nonTrainableParams, sizeOf(inner.nonTrainableWeights));
    assert.equal(summary.totalParams, outer.countParams());
    assert.equal(summary.trainableParams, sizeOf(outer.trainableWeights));
    assert.equal(summary.nonTrainableParams, sizeOf(outer.nonTrainableWeights));
    assert.equal(row(summary, 'inner').macs, 8 * 16 + 16 + 16 * 4, 'the nested row adds up its layers');
    assert.equal(summary.macs, 8 * 16 + 16 + 16 * 4 + 4 * 2, 'the model total counts each layer once');
  });

  it('a Keras 3 Sequential (with its own InputLayer) nested in a Sequential takes the shape it is called on', () => {
    const summary = analyse(
      [
        inputLayer('input', [null, 32, 32, 3]),
        nested('encoder', 'Sequential', [['input']], ['encoder/enc_in'], ['encoder/pool']),
        inputLayer('encoder/enc_in', [null, 32, 32, 3]),
        layer('encoder/conv', 'Conv2D', { filters: 8, kernel_size: 3, padding: 'same' }, [['encoder/enc_in']]),
        layer('encoder/pool', 'MaxPooling2D', {}, [['encoder/conv']]),
        nested('decoder', 'Sequential', [['encoder']], [], ['decoder/up']),
        layer('decoder/up', 'Conv2DTranspose', { filters: 3, kernel_size: 2, strides: 2 }),
      ],
      { className: 'Sequential', inputs: ['input'], outputs: ['decoder'] },
    );
    assert.deepEqual(row(summary, 'encoder').outputShapes, [[null, 16, 16, 8]]);
    assert.deepEqual(row(summary, 'decoder/up').outputShapes, [[null, 32, 32, 3]], "a nested Sequential's first layer takes the call's input");
    assert.deepEqual(summary.outputs[0]?.shape, [null, 32, 32, 3]);
  });

  it('a Functional model called twice inside a Functional (siamese): shapes as tfjs, MACs of both calls, weights once', () => {
    const encoderInput = tfl.input({ shape: [8], name: tfjsName('enc_in') });
    const encoder = tfl.model({ inputs: encoderInput, outputs: tfl.layers.dense({ units: 4, name: tfjsName('enc_dense') }).apply(encoderInput) as tfl.SymbolicTensor, name: tfjsName('encoder') });
    const left = tfl.input({ shape: [8], name: tfjsName('left') });
    const right = tfl.input({ shape: [8], name: tfjsName('right') });
    const joined = tfl.layers.concatenate({ name: tfjsName('cat') }).apply([encoder.apply(left) as tfl.SymbolicTensor, encoder.apply(right) as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
    const head = tfl.layers.dense({ units: 1, name: tfjsName('head') }).apply(joined) as tfl.SymbolicTensor;
    const siamese = tfl.model({ inputs: [left, right], outputs: head });

    const summary = analyse(
      [
        inputLayer('left', [null, 8]),
        inputLayer('right', [null, 8]),
        nested('encoder', 'Functional', [['left'], ['right']], ['encoder/enc_in'], ['encoder/enc_dense']),
        inputLayer('encoder/enc_in', [null, 8]),
        layer('encoder/enc_dense', 'Dense', { units: 4 }, [['encoder/enc_in']]),
        layer('cat', 'Concatenate', {}, [[['encoder', 0, 0], ['encoder', 1, 0]]]),
        layer('head', 'Dense', { units: 1 }, [['cat']]),
      ],
      { inputs: ['left', 'right'], outputs: ['head'], weights: weightsOfTfjs(siamese) },
    );
    assert.deepEqual(row(summary, 'cat').outputShapes, [joined.shape]);
    assert.deepEqual(summary.outputs[0]?.shape, head.shape);
    assert.equal(row(summary, 'encoder').params, encoder.countParams());
    assert.equal(summary.totalParams, siamese.countParams());
    assert.equal(row(summary, 'encoder/enc_dense').macs, 2 * (8 * 4));
    assert.equal(row(summary, 'encoder').macs, 2 * (8 * 4));
    assert.equal(summary.macs, 2 * (8 * 4) + 8 * 1);
  });

  it('multi-output layers: the model outputs name each tensor', () => {
    const summary = analyse(
      [inputLayer('seq', [null, 12, 3]), layer('lstm', 'LSTM', { units: 5, return_state: true }, [['seq']])],
      { inputs: ['seq'], outputs: [['lstm', 0, 0], ['lstm', 0, 1], ['lstm', 0, 2]] },
    );
    assert.deepEqual(
      summary.outputs.map((output) => [output.name, output.shape]),
      [
        ['lstm', [null, 5]],
        ['lstm:1', [null, 5]],
        ['lstm:2', [null, 5]],
      ],
    );
    assert.deepEqual(row(summary, 'lstm').outputShapes, [[null, 5], [null, 5], [null, 5]]);
  });
});

describe('analysis: unknown layers', () => {
  const model = () =>
    analyse(
      [
        inputLayer('x', [null, 16]),
        layer('custom', 'MyAttentionBlock', { units: 3 }, [['x']]),
        layer('after', 'Dense', { units: 4 }, [['custom']]),
        layer('drop', 'Dropout', { rate: 0.1 }, [['after']]),
        layer('custom_2', 'MyAttentionBlock', {}, [['x']]),
        layer('side', 'Dense', { units: 2 }, [['x']]),
        layer('joined', 'Concatenate', {}, [['drop', 'side']]),
      ],
      { inputs: ['x'], outputs: ['joined', 'side'] },
    );

  it('an unknown class has no shape, and nothing computed from it has one', () => {
    const summary = model();
    for (const id of ['custom', 'after', 'drop', 'joined']) assert.deepEqual(row(summary, id).outputShapes, [], id);
    assert.deepEqual(row(summary, 'side').outputShapes, [[null, 2]], 'the other branch is still known');
    assert.deepEqual(summary.outputs, [
      { name: 'joined', shape: [], dtype: 'float32' },
      { name: 'side', shape: [null, 2], dtype: 'float32' },
    ]);
  });

  it('one warning names the class and its layers', () => {
    const summary = model();
    const lines = summary.warnings.filter((warning) => warning.includes('MyAttentionBlock'));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /No shape rule for the layer class MyAttentionBlock \('custom', 'custom_2'\)/);
  });

  it('MACs: null where they need the unknown shape, 0 where they do not; the total is not complete', () => {
    const summary = model();
    assert.equal(row(summary, 'custom').macs, null);
    assert.equal(row(summary, 'after').macs, null);
    assert.equal(row(summary, 'drop').macs, 0);
    assert.equal(row(summary, 'side').macs, 16 * 2);
    assert.equal(summary.macs, 16 * 2);
    assert.equal(summary.macsComplete, false);
  });

  it('a nested model with an unknown layer inside: its row has no MACs and no output shape', () => {
    const summary = analyse(
      [
        inputLayer('x', [null, 4]),
        nested('block', 'Functional', [['x']], ['block/in'], ['block/odd']),
        inputLayer('block/in', [null, 4]),
        layer('block/dense', 'Dense', { units: 4 }, [['block/in']]),
        layer('block/odd', 'Oddity', {}, [['block/dense']]),
        layer('out', 'Dense', { units: 1 }, [['block']]),
      ],
      { inputs: ['x'], outputs: ['out'] },
    );
    assert.equal(row(summary, 'block/dense').macs, 4 * 4);
    assert.equal(row(summary, 'block').macs, null);
    assert.deepEqual(row(summary, 'block').outputShapes, []);
    assert.deepEqual(row(summary, 'out').outputShapes, []);
  });
});

describe('analysis: parameters', () => {
  it('tied weights count once, on their owner', () => {
    const embedding = weight('embed', 'embeddings', [1000, 64]);
    embedding.sharedWith = ['logits'];
    const summary = analyse(
      [
        inputLayer('tokens', [null, 20]),
        layer('embed', 'Embedding', { input_dim: 1000, output_dim: 64 }, [['tokens']]),
        layer('logits', 'Dense', { units: 1000 }, [['embed']]),
      ],
      { inputs: ['tokens'], outputs: ['logits'], weights: [embedding, weight('logits', 'bias', [1000])] },
    );
    assert.equal(row(summary, 'embed').params, 1000 * 64);
    assert.equal(row(summary, 'logits').params, 1000);
    assert.equal(row(summary, 'logits').settings['shares weights of'], 'embed');
    assert.equal(summary.totalParams, 1000 * 64 + 1000);
    assert.equal(summary.weightBytes, (1000 * 64 + 1000) * 4);
  });

  it('a frozen layer and BatchNormalization statistics are non-trainable, as in tfjs', () => {
    const frozen = tfl.layers.dense({ units: 4, inputShape: [8], name: tfjsName('frozen') });
    const model = tfl.sequential({ layers: [frozen, tfl.layers.batchNormalization({ name: tfjsName('bn') }), tfl.layers.dense({ units: 2, name: tfjsName('out') })] });
    frozen.trainable = false;
    // As a parser lists them from a file: only the moving statistics are stored as non-trainable.
    const weights = [
      weight('frozen', 'kernel', [8, 4]),
      weight('frozen', 'bias', [4]),
      weight('bn', 'gamma', [4]),
      weight('bn', 'beta', [4]),
      weight('bn', 'moving_mean', [4], false),
      weight('bn', 'moving_variance', [4], false),
      weight('out', 'kernel', [4, 2]),
      weight('out', 'bias', [2]),
    ];
    const summary = analyse(
      [
        layer('frozen', 'Dense', { units: 4, batch_input_shape: [null, 8] }, [], { trainable: false }),
        layer('bn', 'BatchNormalization', {}, [['frozen']]),
        layer('out', 'Dense', { units: 2 }, [['bn']]),
      ],
      { className: 'Sequential', inputs: ['frozen'], outputs: ['out'], weights },
    );
    assert.equal(summary.totalParams, model.countParams());
    assert.equal(summary.trainableParams, sizeOf(model.trainableWeights));
    assert.equal(summary.nonTrainableParams, sizeOf(model.nonTrainableWeights));
    assert.equal(row(summary, 'frozen').trainable, false);
    assert.equal(row(summary, 'frozen').nonTrainableParams, 8 * 4 + 4);
    assert.equal(row(summary, 'bn').nonTrainableParams, 4 + 4);
    assert.equal(summary.weights.find((entry) => entry.path === 'frozen/kernel')?.trainable, false);
  });

  it('a frozen nested model freezes every layer in it', () => {
    const summary = analyse(
      [
        inputLayer('x', [null, 3]),
        { ...nested('base', 'Functional', [['x']], ['base/in'], ['base/d']), trainable: false },
        inputLayer('base/in', [null, 3]),
        layer('base/d', 'Dense', { units: 2 }, [['base/in']]),
        layer('top', 'Dense', { units: 1 }, [['base']]),
      ],
      { inputs: ['x'], outputs: ['top'], weights: [weight('base/d', 'kernel', [3, 2]), weight('base/d', 'bias', [2]), weight('top', 'kernel', [2, 1]), weight('top', 'bias', [1])] },
    );
    assert.equal(row(summary, 'base/d').trainableParams, 0);
    assert.equal(row(summary, 'base').nonTrainableParams, 8);
    assert.equal(summary.trainableParams, 3);
  });

  it('bytes by dtype, and a weight no layer claims still counts in the totals', () => {
    const summary = analyse([inputLayer('x', [null, 2]), layer('d', 'Dense', { units: 2 }, [['x']])], {
      inputs: ['x'],
      outputs: ['d'],
      weights: [weight('d', 'kernel', [2, 2], true, 'float16'), weight('d', 'bias', [2]), { ...weight('', 'orphan', [5]), path: 'orphan' }],
    });
    assert.deepEqual(summary.weightBytesByDtype, { float16: 8, float32: 8 + 20 });
    assert.equal(row(summary, 'd').params, 6);
    assert.equal(row(summary, 'd').weightBytes, 16);
    assert.equal(summary.totalParams, 11);
  });
});

describe('analysis: settings and connections', () => {
  it('shows the key config values as strings, and leaves quiet defaults out', () => {
    const summary = analyse(
      [
        inputLayer('x', [null, 20, 3]),
        layer('conv', 'Conv1D', { filters: 32, kernel_size: [3], strides: [1], padding: 'causal', dilation_rate: [1], activation: 'relu', use_bias: true, data_format: 'channels_last' }, [['x']]),
        layer('bi', 'Bidirectional', { layer: { class_name: 'LSTM', config: { units: 16, return_sequences: true, go_backwards: false } }, merge_mode: 'concat' }, [['conv']]),
        layer('mha', 'MultiHeadAttention', { num_heads: 4, key_dim: 8, use_bias: false }, [['bi', 'bi']]),
        layer('drop', 'Dropout', { rate: 0.25 }, [['mha']]),
      ],
      { inputs: ['x'], outputs: ['drop'] },
    );
    assert.deepEqual(row(summary, 'conv').settings, { filters: '32', kernel_size: '3', strides: '1', padding: 'causal', activation: 'relu' });
    assert.deepEqual(row(summary, 'bi').settings, { merge_mode: 'concat', layer: 'LSTM(units=16, return_sequences=true)' });
    assert.deepEqual(row(summary, 'mha').settings, { use_bias: 'false', num_heads: '4', key_dim: '8' });
    assert.deepEqual(row(summary, 'mha').connectedTo, ['bi']);
    assert.deepEqual(row(summary, 'drop').settings, { rate: '0.25' });
    assert.deepEqual(row(summary, 'mha').outputShapes, [[null, 20, 32]]);
  });
});

describe('analysis: big and malformed models', () => {
  it('a 5,000-layer chain', () => {
    const count = 5000;
    const layers: IRLayer[] = [layer('d0', 'Dense', { units: 4, batch_input_shape: [null, 4] })];
    const weights: WeightTensor[] = [];
    for (let index = 0; index < count; index++) {
      if (index > 0) layers.push(layer(`d${index}`, index % 2 ? 'Dense' : 'LayerNormalization', index % 2 ? { units: 4 } : {}, [[`d${index - 1}`]]));
      weights.push(...(index % 2 || index === 0 ? [weight(`d${index}`, 'kernel', [4, 4]), weight(`d${index}`, 'bias', [4])] : [weight(`d${index}`, 'gamma', [4]), weight(`d${index}`, 'beta', [4])]));
    }
    const summary = analyse(layers, { className: 'Sequential', inputs: ['d0'], outputs: [`d${count - 1}`], weights });
    assert.equal(summary.layers.length, count);
    assert.ok(summary.layers.every((entry) => entry.outputShapes.length === 1 && entry.outputShapes[0]?.[1] === 4));
    assert.deepEqual(summary.outputs[0]?.shape, [null, 4]);
    const denses = count / 2 + 1;
    const norms = count - denses;
    assert.equal(summary.totalParams, denses * (16 + 4) + norms * 8);
    assert.equal(summary.macs, denses * 4 * 4 + norms * 4);
    assert.equal(summary.macsComplete, true);
    assert.deepEqual(summary.warnings, []);
  });

  it('a cycle, refs to missing layers, calls and outputs: warnings, never an exception', () => {
    const summary = analyse(
      [
        inputLayer('x', [null, 4]),
        layer('a', 'Dense', { units: 4 }, [['b']]),
        layer('b', 'Dense', { units: 4 }, [['a']]),
        layer('ghost_input', 'Dense', { units: 4 }, [['nowhere']]),
        layer('bad_call', 'Dense', { units: 4 }, [[['x', 3, 0]]]),
        layer('bad_tensor', 'Dense', { units: 4 }, [[['x', 0, 2]]]),
        layer('fine', 'Dense', { units: 2 }, [['x']]),
      ],
      { inputs: ['x'], outputs: ['fine'] },
    );
    for (const id of ['a', 'b', 'ghost_input', 'bad_call', 'bad_tensor']) assert.deepEqual(row(summary, id).outputShapes, [], id);
    assert.deepEqual(row(summary, 'fine').outputShapes, [[null, 2]]);
    const text = summary.warnings.join('\n');
    assert.match(text, /'a', 'b' feed each other in a cycle/);
    assert.match(text, /'ghost_input' takes its input from 'nowhere', which is not in the file/);
    assert.match(text, /'bad_call' takes its input from call 3 of 'x', which has no such call/);
    assert.match(text, /'bad_tensor' takes output 2 of 'x', which has 1/);
  });

  it('config values of the wrong type give a warning for that layer only', () => {
    const summary = analyse(
      [
        inputLayer('x', [null, 8, 8, 3]),
        layer('conv', 'Conv2D', { filters: -4, kernel_size: 3 }, [['x']]),
        layer('pool', 'MaxPooling2D', { pool_size: 'big' }, [['x']]),
        layer('pad', 'ZeroPadding2D', { padding: [[1, 2, 3]] }, [['x']]),
        layer('ok', 'Flatten', {}, [['x']]),
        layer('input_without_shape', 'InputLayer', {}),
      ],
      { inputs: ['x'], outputs: ['ok'] },
    );
    assert.deepEqual(row(summary, 'ok').outputShapes, [[null, 8 * 8 * 3]]);
    const text = summary.warnings.join('\n');
    assert.match(text, /'conv' \(Conv2D\) 'filters' is -4, not a whole number/);
    assert.match(text, /'pool' \(MaxPooling2D\) 'pool_size' is "big"/);
    assert.match(text, /'pad' \(ZeroPadding2D\) 'padding' is \[\[1,2,3\]\]/);
    assert.match(text, /'input_without_shape' is an input of its model but declares no input shape/);
  });

  it('models nested 100 deep stop at the depth limit with a warning', () => {
    const layers: IRLayer[] = [inputLayer('x', [null, 2])];
    let path = '';
    for (let depth = 0; depth < 100; depth++) {
      const id = `${path}m${depth}`;
      const child = `${id}/m${depth + 1}`;
      layers.push(nested(id, 'Sequential', depth === 0 ? [['x']] : [], [], [depth === 99 ? `${id}/d` : child]));
      path = `${id}/`;
    }
    layers.push(layer(`${path}d`, 'Dense', { units: 3 }));
    const summary = analyse(layers, { inputs: ['x'], outputs: ['m0'] });
    assert.deepEqual(row(summary, 'm0').outputShapes, []);
    assert.ok(summary.warnings.some((warning) => /nested more than 64 deep/.test(warning)));
  });

  it('a model called twice in a model called twice, 20 levels down, stops at the call budget', () => {
    const layers: IRLayer[] = [inputLayer('x', [null, 2])];
    let parent = '';
    for (let level = 0; level < 20; level++) {
      const id = `${parent}m${level}`;
      const inner = `${id}/m${level + 1}`;
      // Each model calls the next one twice in a chain: m(x) -> m(m(x)).
      const calls: RefSpec[][] = level === 0 ? [['x'], [['m0', 0, 0]]] : [[`${parent}in`], [[id, 0, 0]]];
      layers.push(nested(id, 'Functional', calls, [`${id}/in`], [[inner, 1, 0]]));
      layers.push(inputLayer(`${id}/in`, [null, 2]));
      parent = `${id}/`;
    }
    const last = `${parent}m20`;
    layers.push(layer(last, 'Dense', { units: 2 }, [[`${parent}in`], [[last, 0, 0]]]));
    // 2^20 calls of the innermost Dense; a small budget keeps the test quick (the default is 200,000).
    const findings = new Findings();
    const shapes = inferShapes(parsedModel(layers, { inputs: ['x'], outputs: [['m0', 1, 0]] }).model!, findings, { maxCalls: 1000, maxDepth: 64 });
    const calls = [...shapes.calls.values()].flat();
    const computed = calls.filter((call) => call.outputs.length > 0).length;
    assert.ok(computed <= 1000, `${computed} calls computed`);
    assert.ok(calls.length < 1100, `${calls.length} calls recorded: the walk stopped descending`);
    assert.deepEqual(shapes.outputs[0]?.shape, [], 'what was not computed is unknown');
    assert.ok(findings.list().some((warning) => /more than 1000 layer calls/.test(warning)), findings.list().join('\n'));
  });
});

describe('analysis: graph models and weights-only files', () => {
  function node(name: string, op: string, inputs: string[] = [], attributes: Record<string, string> = {}): GraphNode {
    return { name, op, inputs, attributes };
  }
  const constant = (name: string, shape: number[], dtype = 'float32'): WeightTensor => ({ path: name, layer: '', name, shape, dtype, bytes: 4 * shape.reduce((a, b) => a * b, 1), trainable: false });

  function graphModel(nodes: GraphNode[], weights: WeightTensor[], inputShape: Shape): ModelSummary {
    return analyseModel(
      {
        file: '/models/model.json',
        fileBytes: 100,
        format: 'tfjs-graph',
        formatLabel: 'TF.js graph model',
        framework: 'tensorflow.js',
        producer: 'TensorFlow.js Converter v4.22.0',
        weights,
        graph: { nodes, inputs: [{ name: 'x:0', shape: inputShape, dtype: 'float32' }], outputs: [{ name: 'Identity:0', shape: [null, 10], dtype: 'float32' }] },
        warnings: [],
      },
      5,
    );
  }

  it('a converted CNN: shapes from the signature and constants, MACs of the conv and the matmul', () => {
    const summary = graphModel(
      [
        node('conv/kernel', 'Const'),
        node('conv/bias', 'Const'),
        node('flat/shape', 'Const'),
        node('dense/kernel', 'Const'),
        node('dense/bias', 'Const'),
        node('x', 'Placeholder', [], { dtype: 'float32', shape: '[-1,28,28,1]' }),
        node('conv', '_FusedConv2D', ['x', 'conv/kernel', 'conv/bias'], { T: 'float32', strides: '[1,1,1,1]', padding: 'VALID', data_format: 'NHWC', dilations: '[1,1,1,1]', fused_ops: '[BiasAdd, Relu]' }),
        node('pool', 'MaxPool', ['conv'], { ksize: '[1,2,2,1]', strides: '[1,2,2,1]', padding: 'VALID' }),
        node('flat', 'Reshape', ['pool', 'flat/shape']),
        node('dense', '_FusedMatMul', ['flat', 'dense/kernel', 'dense/bias'], { transpose_a: 'false', transpose_b: 'false' }),
        node('softmax', 'Softmax', ['dense']),
        node('Identity', 'Identity', ['softmax', '^pool']),
      ],
      [constant('conv/kernel', [3, 3, 1, 32]), constant('conv/bias', [32]), { ...constant('flat/shape', [2]), dtype: 'int32' }, constant('dense/kernel', [5408, 10]), constant('dense/bias', [10])],
      [null, 28, 28, 1],
    );
    assert.equal(summary.modelClass, 'GraphModel');
    assert.equal(summary.hasArchitecture, true);
    assert.equal(summary.parseMs, 5);
    assert.deepEqual(summary.layers.map((entry) => entry.id), ['x', 'conv', 'pool', 'flat', 'dense', 'softmax', 'Identity']);
    assert.deepEqual(row(summary, 'conv').outputShapes, [[null, 26, 26, 32]]);
    assert.deepEqual(row(summary, 'pool').outputShapes, [[null, 13, 13, 32]]);
    assert.deepEqual(row(summary, 'flat').outputShapes, [], 'a Reshape target is a value, not stored as a shape');
    assert.deepEqual(row(summary, 'conv').connectedTo, ['x']);
    assert.deepEqual(row(summary, 'Identity').connectedTo, ['softmax']);
    assert.deepEqual(row(summary, 'conv').settings, { strides: '[1,1,1,1]', padding: 'VALID', data_format: 'NHWC', dilations: '[1,1,1,1]', fused_ops: '[BiasAdd, Relu]' });
    assert.equal(row(summary, 'conv').params, 3 * 3 * 1 * 32 + 32);
    assert.equal(row(summary, 'dense').params, 5408 * 10 + 10);
    assert.equal(row(summary, 'conv').macs, 26 * 26 * 3 * 3 * 1 * 32);
    assert.equal(row(summary, 'dense').macs, 5408 * 10);
    assert.equal(summary.macs, 26 * 26 * 3 * 3 * 1 * 32 + 5408 * 10);
    assert.equal(summary.macsComplete, true);
    assert.equal(summary.totalParams, 3 * 3 * 32 + 32 + 2 + 5408 * 10 + 10);
    assert.deepEqual(summary.inputs, [{ name: 'x:0', shape: [null, 28, 28, 1], dtype: 'float32' }]);
  });

  it('a heavy op whose shapes are unknown has null MACs', () => {
    const summary = graphModel(
      [node('x', 'Placeholder'), node('y', 'Placeholder'), node('scores', 'BatchMatMulV2', ['x', 'y']), node('dw', 'DepthwiseConv2dNative', ['scores', 'k'], { padding: 'SAME' }), node('k', 'Const')],
      [constant('k', [3, 3, 8, 1])],
      [null, null, 8],
    );
    assert.equal(row(summary, 'scores').macs, null);
    assert.equal(row(summary, 'dw').macs, null);
    assert.equal(summary.macsComplete, false);
  });

  it('depthwise convolution in NHWC from a known input', () => {
    const summary = graphModel(
      [node('x', 'Placeholder'), node('k', 'Const'), node('dw', 'DepthwiseConv2dNative', ['x', 'k'], { strides: '[1,2,2,1]', padding: 'SAME', dilations: '[1,1,1,1]' })],
      [constant('k', [3, 3, 8, 2])],
      [null, 16, 16, 8],
    );
    assert.deepEqual(row(summary, 'dw').outputShapes, [[null, 8, 8, 16]]);
    assert.equal(row(summary, 'dw').macs, 8 * 8 * 3 * 3 * 8 * 2);
  });

  it('a weights-only file: a row per layer that owns weights, no architecture, no MACs', () => {
    const summary = analyseModel(
      {
        file: '/models/weights.h5',
        fileBytes: 55224,
        format: 'keras-h5-weights',
        formatLabel: 'Keras 2 HDF5 (weights only)',
        framework: 'keras',
        producer: 'Keras 2.0.8',
        weights: [
          weight('dense_1', 'kernel', [16, 64]),
          weight('dense_1', 'bias', [64]),
          weight('batch_normalization_1', 'gamma', [64]),
          weight('batch_normalization_1', 'beta', [64]),
          weight('batch_normalization_1', 'moving_mean', [64], false),
          weight('batch_normalization_1', 'moving_variance', [64], false),
        ],
        warnings: ['The file holds weights only.'],
      },
      1,
    );
    assert.equal(summary.hasArchitecture, false);
    assert.equal(summary.modelClass, '');
    assert.equal(summary.macsComplete, false);
    assert.deepEqual(summary.warnings, ['The file holds weights only.']);
    assert.deepEqual(
      summary.layers.map((entry) => [entry.id, entry.params, entry.trainableParams, entry.nonTrainableParams]),
      [
        ['dense_1', 16 * 64 + 64, 16 * 64 + 64, 0],
        ['batch_normalization_1', 4 * 64, 2 * 64, 2 * 64],
      ],
    );
    assert.equal(summary.totalParams, 16 * 64 + 64 + 4 * 64);
  });
});
