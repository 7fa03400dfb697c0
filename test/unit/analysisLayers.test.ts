/**
 * Per-layer rules, one Keras layer class at a time. Output shapes: the independent
 * check is tfjs-layers 4.22: the same snake_case Keras config goes to its
 * deserializer and the layer is applied to symbolic inputs. Classes tfjs
 * lacks (or gets wrong) are checked against the Keras documentation's
 * examples and formulas, written out below. MACs: hand-derived counts,
 * written as the arithmetic they come from.
 */
import assert from 'node:assert/strict';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers/dist/index';
import { deserialize } from '@tensorflow/tfjs-layers/dist/layers/serialization';
import { convertPythonicToTs } from '@tensorflow/tfjs-layers/dist/utils/serialization_utils';
import { EinsumDense } from '@tensorflow/tfjs-layers/dist/layers/nlp/einsum_dense';
import { MultiHeadAttention } from '@tensorflow/tfjs-layers/dist/layers/nlp/multihead_attention';
import type { PyJsonValue } from '@tensorflow/tfjs-layers/dist/keras_format/types';
import { analyseModel } from '../../src/engine/analysis';
import type { IRLayer, LayerSummary, ModelSummary, Shape } from '../../src/protocol/model';

// Referencing the backend keeps its registration in the bundle (the package says it has no side effects).
assert.ok(version_cpu, 'tfjs cpu backend loaded');

type Config = Record<string, unknown>;

const RECURRENT = new Set(['LSTM', 'GRU', 'SimpleRNN', 'ConvLSTM2D']);

/**
 * All test bundles share one tfjs engine in the test process, and it refuses
 * two variables of the same name: every tfjs layer here gets its own name.
 */
let tfjsLayers = 0;
const tfjsName = (): string => `analysis_layers_${++tfjsLayers}`;

/**
 * tfjs' Orthogonal initializer (the recurrent default) fails in this bundle;
 * initial values never change shapes, so recurrent kernels start at zero.
 */
function forTfjs(className: string, config: Config): Config {
  const copy: Config = { ...config, name: tfjsName() };
  if (RECURRENT.has(className)) copy['recurrent_initializer'] = { class_name: 'Zeros', config: {} };
  const inner = copy['layer'] as { class_name: string; config: Config } | undefined;
  if (inner) copy['layer'] = { class_name: inner.class_name, config: forTfjs(inner.class_name, inner.config) };
  return copy;
}

/** What tfjs-layers says the layer outputs for these batch-first input shapes. */
function tfjsShapes(className: string, config: Config, inputs: Shape[]): Shape[] {
  const pythonic = { class_name: className, config: forTfjs(className, config) } as unknown as PyJsonValue;
  const layer = deserialize(convertPythonicToTs(pythonic) as never, {}, true) as unknown as tfl.layers.Layer;
  const symbolic = inputs.map((shape) => tfl.input({ batchShape: shape }));
  const output = layer.apply(symbolic.length === 1 ? symbolic[0]! : symbolic) as tfl.SymbolicTensor | tfl.SymbolicTensor[];
  return (Array.isArray(output) ? output : [output]).map((tensor) => tensor.shape);
}

/** A functional IR: one InputLayer per input, then the probed layer on all of them. */
function analyseOne(className: string, config: Config, inputs: Shape[]): { row: LayerSummary; summary: ModelSummary } {
  const inputLayers: IRLayer[] = inputs.map((shape, index) => ({
    id: `in${index}`,
    name: `in${index}`,
    className: 'InputLayer',
    depth: 0,
    isModel: false,
    config: { batch_input_shape: shape, dtype: 'float32' },
    inboundNodes: [],
    weightPaths: [],
    trainable: true,
  }));
  const probe: IRLayer = {
    id: 'probe',
    name: 'probe',
    className,
    depth: 0,
    isModel: false,
    config,
    inboundNodes: [inputs.map((_, index) => ({ layer: `in${index}`, node: 0, tensor: 0 }))],
    weightPaths: [],
    trainable: true,
  };
  const summary = analyseModel(
    {
      file: 'probe.h5',
      fileBytes: 0,
      format: 'keras-h5',
      formatLabel: 'test',
      framework: 'keras',
      producer: 'test',
      model: {
        className: 'Functional',
        name: 'm',
        layers: [...inputLayers, probe],
        inputs: inputLayers.map((layer) => ({ layer: layer.id, node: 0, tensor: 0 })),
        outputs: [{ layer: 'probe', node: 0, tensor: 0 }],
      },
      weights: [],
      warnings: [],
    },
    0,
  );
  const row = summary.layers.find((layer) => layer.id === 'probe');
  assert.ok(row);
  return { row, summary };
}

function shapesOf(className: string, config: Config, inputs: Shape[]): Shape[] {
  const { row, summary } = analyseOne(className, config, inputs);
  assert.deepEqual(summary.warnings, [], `no warnings for ${className}`);
  return row.outputShapes;
}

interface Case {
  label: string;
  className: string;
  config: Config;
  inputs: Shape[];
}

const lstm = (config: Config) => ({ class_name: 'LSTM', config: { units: 4, ...config } });

/** Cases where tfjs-layers 4.22 has the class and computes the shape as Keras does. */
const TFJS_CASES: Case[] = [
  { label: 'rank 2', className: 'Dense', config: { units: 7 }, inputs: [[null, 5]] },
  { label: 'rank 4', className: 'Dense', config: { units: 7 }, inputs: [[null, 3, 4, 5]] },
  { label: 'valid', className: 'Conv1D', config: { filters: 2, kernel_size: 3 }, inputs: [[null, 10, 3]] },
  { label: 'same, stride 3', className: 'Conv1D', config: { filters: 2, kernel_size: 4, padding: 'same', strides: 3 }, inputs: [[null, 10, 3]] },
  { label: 'unknown length', className: 'Conv1D', config: { filters: 2, kernel_size: 3 }, inputs: [[null, null, 3]] },
  { label: '28×28 valid', className: 'Conv2D', config: { filters: 32, kernel_size: [3, 3] }, inputs: [[null, 28, 28, 1]] },
  { label: 'same, strides 2', className: 'Conv2D', config: { filters: 8, kernel_size: 3, strides: [2, 2], padding: 'same' }, inputs: [[null, 15, 16, 3]] },
  { label: 'channels_first, dilation 2', className: 'Conv2D', config: { filters: 4, kernel_size: [3, 3], data_format: 'channels_first', dilation_rate: 2 }, inputs: [[null, 3, 17, 15]] },
  { label: 'strided valid', className: 'Conv3D', config: { filters: 4, kernel_size: [3, 2, 1], strides: [1, 2, 3] }, inputs: [[null, 9, 8, 7, 2]] },
  { label: 'valid, strides 2', className: 'Conv2DTranspose', config: { filters: 4, kernel_size: 3, strides: 2 }, inputs: [[null, 5, 5, 3]] },
  { label: 'same, strides 2', className: 'Conv2DTranspose', config: { filters: 4, kernel_size: 3, strides: 2, padding: 'same' }, inputs: [[null, 5, 6, 3]] },
  { label: 'channels_first', className: 'Conv2DTranspose', config: { filters: 4, kernel_size: 2, strides: 2, data_format: 'channels_first' }, inputs: [[null, 3, 5, 6]] },
  { label: 'same, strides 2', className: 'Conv3DTranspose', config: { filters: 2, kernel_size: 3, strides: 2, padding: 'same' }, inputs: [[null, 4, 5, 6, 3]] },
  { label: 'depth multiplier 2', className: 'SeparableConv2D', config: { filters: 2, kernel_size: 3, depth_multiplier: 2 }, inputs: [[null, 10, 10, 3]] },
  { label: 'depth multiplier 2', className: 'DepthwiseConv2D', config: { kernel_size: 3, depth_multiplier: 2 }, inputs: [[null, 10, 7, 3]] },
  { label: 'same, strides 2', className: 'DepthwiseConv2D', config: { kernel_size: 3, strides: 2, padding: 'same' }, inputs: [[null, 9, 7, 3]] },
  { label: 'default window', className: 'MaxPooling1D', config: {}, inputs: [[null, 9, 3]] },
  { label: 'same, strides 1', className: 'AveragePooling1D', config: { pool_size: 3, strides: 1, padding: 'same' }, inputs: [[null, 9, 3]] },
  { label: 'same, strides 2', className: 'MaxPooling2D', config: { pool_size: 3, strides: 2, padding: 'same' }, inputs: [[null, 10, 7, 1]] },
  { label: 'channels_first', className: 'AveragePooling2D', config: { pool_size: [2, 3], data_format: 'channels_first' }, inputs: [[null, 4, 10, 9]] },
  { label: 'default', className: 'MaxPooling3D', config: {}, inputs: [[null, 10, 7, 5, 1]] },
  { label: 'pool 2', className: 'AveragePooling3D', config: { pool_size: 2 }, inputs: [[null, 10, 7, 5, 1]] },
  { label: '', className: 'GlobalAveragePooling1D', config: {}, inputs: [[null, 9, 3]] },
  { label: '', className: 'GlobalMaxPooling1D', config: {}, inputs: [[null, null, 3]] },
  { label: '', className: 'GlobalAveragePooling2D', config: {}, inputs: [[null, 7, 5, 3]] },
  { label: 'channels_first', className: 'GlobalMaxPooling2D', config: { data_format: 'channels_first' }, inputs: [[null, 3, 7, 5]] },
  { label: 'rank 3', className: 'Flatten', config: {}, inputs: [[null, 10, 3]] },
  { label: 'rank 5', className: 'Flatten', config: {}, inputs: [[null, 2, 3, 4, 5]] },
  { label: 'fixed', className: 'Reshape', config: { target_shape: [5, 6] }, inputs: [[null, 10, 3]] },
  { label: '', className: 'Permute', config: { dims: [2, 1] }, inputs: [[null, 10, 3]] },
  { label: 'rank 4', className: 'Permute', config: { dims: [3, 1, 2] }, inputs: [[null, 2, 3, 4]] },
  { label: '', className: 'RepeatVector', config: { n: 5 }, inputs: [[null, 3]] },
  { label: '', className: 'Embedding', config: { input_dim: 100, output_dim: 8 }, inputs: [[null, 10]] },
  { label: 'return_sequences', className: 'SimpleRNN', config: { units: 5, return_sequences: true }, inputs: [[null, 7, 3]] },
  { label: 'return_state, unknown steps', className: 'SimpleRNN', config: { units: 5, return_state: true }, inputs: [[null, null, 3]] },
  { label: 'sequences and state', className: 'LSTM', config: { units: 5, return_sequences: true, return_state: true }, inputs: [[null, 7, 3]] },
  { label: 'last output', className: 'LSTM', config: { units: 5 }, inputs: [[null, 7, 3]] },
  { label: 'reset_after false, state', className: 'GRU', config: { units: 5, reset_after: false, return_state: true }, inputs: [[null, 7, 3]] },
  { label: 'concat', className: 'Bidirectional', config: { layer: lstm({ return_sequences: true }), merge_mode: 'concat' }, inputs: [[null, 7, 3]] },
  { label: 'sum', className: 'Bidirectional', config: { layer: lstm({}), merge_mode: 'sum' }, inputs: [[null, 7, 3]] },
  { label: 'None with states', className: 'Bidirectional', config: { layer: lstm({ return_state: true }), merge_mode: null }, inputs: [[null, 7, 3]] },
  { label: 'concat with states', className: 'Bidirectional', config: { layer: lstm({ return_state: true, return_sequences: true }) }, inputs: [[null, 7, 3]] },
  { label: 'Dense', className: 'TimeDistributed', config: { layer: { class_name: 'Dense', config: { units: 6 } } }, inputs: [[null, 5, 3]] },
  { label: 'Conv2D', className: 'TimeDistributed', config: { layer: { class_name: 'Conv2D', config: { filters: 4, kernel_size: 3 } } }, inputs: [[null, 5, 9, 9, 3]] },
  { label: 'sequences and state, strides 2', className: 'ConvLSTM2D', config: { filters: 4, kernel_size: 3, return_sequences: true, return_state: true, padding: 'same', strides: 2 }, inputs: [[null, 5, 9, 9, 3]] },
  { label: 'last output, valid', className: 'ConvLSTM2D', config: { filters: 4, kernel_size: 3 }, inputs: [[null, 5, 9, 8, 3]] },
  ...['Dropout', 'SpatialDropout1D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout', 'Activation', 'Masking', 'Softmax', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'BatchNormalization', 'LayerNormalization', 'Rescaling'].map(
    (className): Case => ({
      label: 'keeps the shape',
      className,
      config: { Dropout: { rate: 0.5 }, SpatialDropout1D: { rate: 0.5 }, GaussianDropout: { rate: 0.5 }, GaussianNoise: { stddev: 0.1 }, AlphaDropout: { rate: 0.5 }, Activation: { activation: 'relu' }, Rescaling: { scale: 0.5, offset: 0 } }[className] ?? {},
      inputs: [[null, 10, 3]],
    }),
  ),
  { label: 'broadcast (4,3)+(1,3)', className: 'Add', config: {}, inputs: [[null, 4, 3], [null, 1, 3]] },
  { label: 'broadcast (4,3)+(3)', className: 'Add', config: {}, inputs: [[null, 4, 3], [null, 3]] },
  { label: 'three inputs', className: 'Multiply', config: {}, inputs: [[null, 4, 3], [null, 4, 3], [null, 4, 3]] },
  { label: '', className: 'Average', config: {}, inputs: [[null, 1, 3], [null, 5, 1]] },
  { label: '', className: 'Maximum', config: {}, inputs: [[null, 8], [null, 8]] },
  { label: '', className: 'Minimum', config: {}, inputs: [[null, null, 8], [null, 6, 8]] },
  { label: 'last axis', className: 'Concatenate', config: {}, inputs: [[null, 4, 3], [null, 4, 5]] },
  { label: 'axis 1', className: 'Concatenate', config: { axis: 1 }, inputs: [[null, 4, 3], [null, 5, 3]] },
  { label: 'unknown along the axis', className: 'Concatenate', config: { axis: 1 }, inputs: [[null, null, 3], [null, 5, 3]] },
  { label: 'axes (2, 2)', className: 'Dot', config: { axes: [2, 2] }, inputs: [[null, 4, 3], [null, 6, 3]] },
  { label: 'axes 1 on vectors', className: 'Dot', config: { axes: 1 }, inputs: [[null, 5], [null, 5]] },
  { label: 'axes -1, normalize', className: 'Dot', config: { axes: -1, normalize: true }, inputs: [[null, 4, 3], [null, 6, 3]] },
  { label: 'symmetric', className: 'ZeroPadding2D', config: { padding: [1, 2] }, inputs: [[null, 10, 3, 1]] },
  { label: 'pairs, channels_first', className: 'ZeroPadding2D', config: { padding: [[1, 0], [2, 3]], data_format: 'channels_first' }, inputs: [[null, 2, 10, 3]] },
  { label: 'pairs', className: 'Cropping2D', config: { cropping: [[1, 2], [3, 4]] }, inputs: [[null, 10, 10, 3]] },
  { label: 'size (2, 3)', className: 'UpSampling2D', config: { size: [2, 3] }, inputs: [[null, 10, 3, 1]] },
  { label: 'channels_first', className: 'UpSampling2D', config: { size: [2, 3], data_format: 'channels_first' }, inputs: [[null, 1, 10, 3]] },
  { label: '', className: 'CenterCrop', config: { height: 4, width: 5 }, inputs: [[null, 10, 10, 3]] },
];

describe('analysis: output shapes match tfjs-layers', () => {
  for (const { label, className, config, inputs } of TFJS_CASES) {
    it(`${className}${label ? ` (${label})` : ''}`, () => {
      assert.deepEqual(shapesOf(className, config, inputs), tfjsShapes(className, config, inputs));
    });
  }

  it('EinsumDense (tfjs source class): ab,bc->ac / abc,cd->abd / ...b,bc->...c / ab...,bc->ac...', () => {
    const check = (equation: string, outputShape: number | number[], input: Shape, biasAxes?: string) => {
      const layer = new EinsumDense({ equation, outputShape, name: tfjsName(), ...(biasAxes ? { biasAxes } : {}) });
      const expected = (layer.apply(tfl.input({ batchShape: input })) as tfl.SymbolicTensor).shape;
      const config = { equation, output_shape: outputShape, ...(biasAxes ? { bias_axes: biasAxes } : {}) };
      assert.deepEqual(shapesOf('EinsumDense', config, [input]), [expected], equation);
    };
    check('ab,bc->ac', 64, [null, 32], 'c');
    check('abc,cd->abd', [10, 64], [null, 10, 32]);
    check('...b,bc->...c', 64, [null, 7, 32], 'c');
    check('ab...,bc->ac...', 64, [null, 32, 7]);
    check('abc,cde->abde', [10, 4, 8], [null, 10, 32]);
  });

  it('MultiHeadAttention (tfjs source class): output follows the query', () => {
    const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 8, name: tfjsName() });
    const query = tfl.input({ batchShape: [null, 10, 16] });
    const value = tfl.input({ batchShape: [null, 7, 16] });
    const expected = (layer.apply(query, { value }) as tfl.SymbolicTensor).shape;
    assert.deepEqual(shapesOf('MultiHeadAttention', { num_heads: 2, key_dim: 8 }, [[null, 10, 16], [null, 7, 16]]), [expected]);
  });
});

describe('analysis: output shapes from the Keras documentation', () => {
  const cases: Array<[string, string, Config, Shape[], Shape[]]> = [
    // keras.layers.MultiHeadAttention docs: target [8, 16], source [4, 16] -> (None, 8, 16).
    ['MultiHeadAttention', 'cross attention', { num_heads: 2, key_dim: 2 }, [[null, 8, 16], [null, 4, 16]], [[null, 8, 16]]],
    // ... and attention_axes=(2, 3) on [5, 3, 4, 16] -> (None, 5, 3, 4, 16).
    ['MultiHeadAttention', '2D attention', { num_heads: 2, key_dim: 2, attention_axes: [2, 3] }, [[null, 5, 3, 4, 16], [null, 5, 3, 4, 16]], [[null, 5, 3, 4, 16]]],
    ['MultiHeadAttention', 'output_shape 32, key', { num_heads: 4, key_dim: 8, value_dim: 6, output_shape: 32 }, [[null, 8, 16], [null, 4, 12], [null, 4, 10]], [[null, 8, 32]]],
    // Attention / AdditiveAttention: query [batch, Tq, dim], value [batch, Tv, dim] -> [batch, Tq, dim].
    ['Attention', 'query and value', {}, [[null, 8, 16], [null, 4, 16]], [[null, 8, 16]]],
    // On rank-2 tensors Keras' matmuls make the batch the sequence (a real tf.keras 2.11 file does this): (None, 32).
    ['Attention', 'rank 2', {}, [[null, 32], [null, 32]], [[null, 32]]],
    ['AdditiveAttention', 'query, value and key', {}, [[null, 8, 16], [null, 4, 16], [null, 4, 16]], [[null, 8, 16]]],
    // EinsumDense docs: "abc,cd->abd", output_shape=(None, 64) on [32, 128] -> (None, 32, 64).
    ['EinsumDense', 'None in output_shape', { equation: 'abc,cd->abd', output_shape: [null, 64], bias_axes: 'd' }, [[null, 32, 128]], [[null, 32, 64]]],
    // With three elided axes the sizes keep their order (einsum's result), not Keras' reported order.
    ['EinsumDense', 'three elided axes', { equation: '...b,bc->...c', output_shape: 64 }, [[null, 10, 7, 32]], [[null, 10, 7, 64]]],
    // GlobalAveragePooling2D(keepdims=True): (batch_size, 1, 1, channels).
    ['GlobalAveragePooling2D', 'keepdims', { keepdims: true }, [[null, 7, 5, 3]], [[null, 1, 1, 3]]],
    ['GlobalMaxPooling1D', 'keepdims, channels_first', { keepdims: true, data_format: 'channels_first' }, [[null, 3, 9]], [[null, 3, 1]]],
    ['GlobalMaxPooling3D', '', {}, [[null, 4, 3, 3, 2]], [[null, 2]]],
    ['GlobalAveragePooling3D', 'keepdims', { keepdims: true }, [[null, 4, 3, 3, 2]], [[null, 1, 1, 1, 2]]],
    // Reshape docs: Reshape((-1, 2, 2)) on (None, 3, 4) -> (None, 3, 2, 2).
    ['Reshape', '-1', { target_shape: [-1, 2, 2] }, [[null, 3, 4]], [[null, 3, 2, 2]]],
    ['Reshape', '-1 after an unknown axis', { target_shape: [-1, 2] }, [[null, null, 4]], [[null, null, 2]]],
    // Resizing: (batch, height, width, channels).
    ['Resizing', '', { height: 4, width: 5 }, [[null, 10, 10, 3]], [[null, 4, 5, 3]]],
    ['Subtract', '', {}, [[null, 16], [null, 16]], [[null, 16]]],
    // ZeroPadding1D docs: (2, 2, 3) padded by 2 -> (2, 6, 3); ZeroPadding3D: (1, 1, 2, 2, 3) by 2 -> (1, 5, 6, 6, 3).
    ['ZeroPadding1D', '', { padding: 2 }, [[2, 2, 3]], [[2, 6, 3]]],
    ['ZeroPadding1D', '(left, right)', { padding: [1, 3] }, [[null, 2, 3]], [[null, 6, 3]]],
    ['ZeroPadding3D', '', { padding: 2 }, [[1, 1, 2, 2, 3]], [[1, 5, 6, 6, 3]]],
    // Cropping1D docs: (2, 3, 2) cropped by 1 -> (2, 1, 2); Cropping3D: (2, 28, 28, 10, 3) by (2, 4, 2) -> (2, 24, 20, 6, 3).
    ['Cropping1D', '', { cropping: 1 }, [[2, 3, 2]], [[2, 1, 2]]],
    ['Cropping3D', '', { cropping: [2, 4, 2] }, [[2, 28, 28, 10, 3]], [[2, 24, 20, 6, 3]]],
    // UpSampling1D docs: (2, 2, 3) size 2 -> (2, 4, 3); UpSampling3D: (2, 1, 2, 1, 3) size 2 -> (2, 2, 4, 2, 3).
    ['UpSampling1D', '', { size: 2 }, [[2, 2, 3]], [[2, 4, 3]]],
    ['UpSampling3D', '', { size: 2 }, [[2, 1, 2, 1, 3]], [[2, 2, 4, 2, 3]]],
    ['GroupNormalization', '', { groups: 2 }, [[null, 8, 4]], [[null, 8, 4]]],
    ['UnitNormalization', '', {}, [[null, 8, 4]], [[null, 8, 4]]],
    ['SpatialDropout2D', '', { rate: 0.2 }, [[null, 8, 8, 4]], [[null, 8, 8, 4]]],
    ['SpatialDropout3D', '', { rate: 0.2 }, [[null, 8, 8, 8, 4]], [[null, 8, 8, 8, 4]]],
    // Conv1D docs: causal padding keeps the length (output[t] sees input[:t+1]); tfjs reports it as valid.
    ['Conv1D', 'causal, dilated', { filters: 2, kernel_size: 3, padding: 'causal', dilation_rate: 2 }, [[null, 10, 3]], [[null, 10, 2]]],
    ['UpSampling2D', 'int size', { size: 2 }, [[null, 10, 3, 1]], [[null, 20, 6, 1]]],
    // Transposed length with output_padding: (in - 1) * stride + kernel - 2 * pad + output_padding.
    ['Conv2DTranspose', 'output_padding 1', { filters: 4, kernel_size: 3, strides: 2, output_padding: 1 }, [[null, 5, 5, 3]], [[null, (5 - 1) * 2 + 3 - 2 * 0 + 1, (5 - 1) * 2 + 3 + 1, 4]]],
    ['Conv1DTranspose', 'same, strides 2', { filters: 4, kernel_size: 3, strides: 2, padding: 'same' }, [[null, 10, 3]], [[null, 10 * 2, 4]]],
    // Conv output length: floor((in - dilation * (kernel - 1) - 1) / stride) + 1 for valid.
    ['SeparableConv1D', 'strides 3', { filters: 3, kernel_size: 4, strides: 3 }, [[null, 10, 12]], [[null, Math.floor((10 - 3 - 1) / 3) + 1, 3]]],
    ['DepthwiseConv1D', 'multiplier 2', { kernel_size: 3, strides: 3, depth_multiplier: 2 }, [[null, 10, 12]], [[null, Math.floor((10 - 2 - 1) / 3) + 1, 24]]],
    ['ConvLSTM1D', 'sequences', { filters: 5, kernel_size: 3, return_sequences: true }, [[null, 6, 10, 2]], [[null, 6, 8, 5]]],
    ['ConvLSTM3D', 'last step, same', { filters: 5, kernel_size: 3, padding: 'same' }, [[null, 6, 4, 4, 4, 2]], [[null, 4, 4, 4, 5]]],
    ['GRU', 'reset_after (the Keras 2 default)', { units: 5, reset_after: true, return_sequences: true }, [[null, 7, 3]], [[null, 7, 5]]],
    ['RNN', 'stacked LSTMCell + GRUCell with state', { cell: { class_name: 'StackedRNNCells', config: { cells: [{ class_name: 'LSTMCell', config: { units: 4 } }, { class_name: 'GRUCell', config: { units: 6 } }] } }, return_state: true }, [[null, 7, 3]], [[null, 6], [null, 4], [null, 4], [null, 6]]],
    ['Conv2D', 'groups 2', { filters: 8, kernel_size: 1, groups: 2 }, [[null, 5, 5, 4]], [[null, 5, 5, 8]]],
  ];
  for (const [className, label, config, inputs, expected] of cases) {
    it(`${className}${label ? ` (${label})` : ''}`, () => {
      assert.deepEqual(shapesOf(className, config, inputs), expected);
    });
  }
});

describe('analysis: shapes that cannot be known', () => {
  it('a Lambda layer has no output shape and says why', () => {
    const { row, summary } = analyseOne('Lambda', { function: ['4wEAAAA...', null, null] }, [[null, 4]]);
    assert.deepEqual(row.outputShapes, []);
    assert.equal(row.macs, null);
    assert.ok(summary.warnings.some((warning) => /Lambda layers \('probe'\)/.test(warning)), summary.warnings.join('\n'));
  });

  it('a config that contradicts its input gives no shape and a warning naming the layer', () => {
    const wrong: Array<[string, Config, Shape[], RegExp]> = [
      ['Conv2D', { filters: 4, kernel_size: 5 }, [[null, 3, 3, 1]], /window of 5 does not fit an axis of 3/],
      ['Conv2D', { filters: 4, kernel_size: 3 }, [[null, 28, 28]], /rank 4/],
      ['Reshape', { target_shape: [7, -1] }, [[null, 10, 3]], /cannot reshape/],
      ['Dense', { units: 'many' }, [[null, 3]], /'units' is "many"/],
      ['Concatenate', { axis: 1 }, [[null, 4, 3], [null, 4, 5]], /cannot concatenate/],
      ['Add', {}, [[null, 4, 3], [null, 5, 3]], /cannot broadcast/],
      ['Permute', { dims: [1, 1] }, [[null, 4, 3]], /not a permutation/],
      ['EinsumDense', { equation: 'ab,bc->ac', output_shape: [3, 4] }, [[null, 5]], /does not fit the equation/],
      ['Bidirectional', { layer: { class_name: 'Mystery', config: {} } }, [[null, 4, 3]], /wraps Mystery, which has no shape rule/],
    ];
    for (const [className, config, inputs, message] of wrong) {
      const { row, summary } = analyseOne(className, config, inputs);
      assert.deepEqual(row.outputShapes, [], className);
      assert.ok(summary.warnings.some((warning) => warning.includes(`'probe' (${className})`) && message.test(warning)), `${className}: ${summary.warnings.join('\n')}`);
    }
  });
});

describe('analysis: MACs per layer for one sample', () => {
  const macsOf = (className: string, config: Config, inputs: Shape[]): number | null => analyseOne(className, config, inputs).row.macs;
  const lstm4 = { class_name: 'LSTM', config: { units: 4 } };
  const cases: Array<[string, string, Config, Shape[], number]> = [
    ['Dense', '784 -> 128', { units: 128 }, [[null, 784]], 784 * 128],
    ['Dense', 'on every one of 10 positions', { units: 32 }, [[null, 10, 64]], 10 * 64 * 32],
    ['Conv2D', '26×26 outputs of a 3×3×1 kernel, 32 filters', { filters: 32, kernel_size: 3 }, [[null, 28, 28, 1]], 26 * 26 * 3 * 3 * 1 * 32],
    ['Conv2D', 'same, strides 2, channels_first', { filters: 8, kernel_size: 3, strides: 2, padding: 'same', data_format: 'channels_first' }, [[null, 3, 16, 15]], 8 * 8 * 3 * 3 * 3 * 8],
    ['Conv2D', 'groups 2', { filters: 8, kernel_size: 1, groups: 2 }, [[null, 5, 5, 4]], 5 * 5 * 1 * 1 * (4 / 2) * 8],
    ['Conv1D', 'causal', { filters: 2, kernel_size: 3, padding: 'causal' }, [[null, 10, 3]], 10 * 3 * 3 * 2],
    ['Conv3D', 'valid', { filters: 4, kernel_size: 3 }, [[null, 5, 5, 5, 2]], 3 * 3 * 3 * (3 * 3 * 3) * 2 * 4],
    ['Conv2DTranspose', 'each of 5×5 inputs through 3×3×4 for 3 channels', { filters: 4, kernel_size: 3, strides: 2 }, [[null, 5, 5, 3]], 5 * 5 * 3 * 3 * 3 * 4],
    ['SeparableConv2D', 'depthwise + pointwise', { filters: 2, kernel_size: 3, depth_multiplier: 2 }, [[null, 10, 10, 3]], 8 * 8 * 3 * 3 * 3 * 2 + 8 * 8 * 3 * 2 * 2],
    ['DepthwiseConv2D', 'multiplier 2', { kernel_size: 3, depth_multiplier: 2 }, [[null, 10, 7, 3]], 8 * 5 * 3 * 3 * 3 * 2],
    ['SimpleRNN', '7 steps × (3 + 5) × 5', { units: 5 }, [[null, 7, 3]], 7 * 1 * (3 + 5) * 5],
    ['LSTM', '7 steps × 4 gates × (3 + 5) × 5', { units: 5, return_sequences: true }, [[null, 7, 3]], 7 * 4 * (3 + 5) * 5],
    ['GRU', '7 steps × 3 gates × (3 + 5) × 5', { units: 5 }, [[null, 7, 3]], 7 * 3 * (3 + 5) * 5],
    ['Bidirectional', 'two LSTMs', { layer: lstm4 }, [[null, 7, 3]], 2 * 7 * 4 * (3 + 4) * 4],
    ['TimeDistributed', 'Dense on 5 steps', { layer: { class_name: 'Dense', config: { units: 6 } } }, [[null, 5, 3]], 5 * 3 * 6],
    ['ConvLSTM2D', '5 steps × 5×5 outputs × 4 gates × 3×3 × (3 + 4) × 4', { filters: 4, kernel_size: 3, padding: 'same', strides: 2 }, [[null, 5, 9, 9, 3]], 5 * 5 * 5 * 4 * 3 * 3 * (3 + 4) * 4],
    [
      'MultiHeadAttention',
      'Q, K, V and output projections + QKᵀ + AV',
      { num_heads: 2, key_dim: 2 },
      [[null, 8, 16], [null, 4, 16]],
      8 * 16 * 2 * 2 + 4 * 16 * 2 * 2 + 4 * 16 * 2 * 2 + 8 * 2 * 2 * 16 + 2 * 8 * 4 * 2 + 2 * 8 * 4 * 2,
    ],
    [
      'MultiHeadAttention',
      'value_dim 6, a key of 10 features, output 32',
      { num_heads: 4, key_dim: 8, value_dim: 6, output_shape: 32 },
      [[null, 8, 16], [null, 4, 12], [null, 4, 10]],
      8 * 16 * 4 * 8 + 4 * 10 * 4 * 8 + 4 * 12 * 4 * 6 + 8 * 4 * 6 * 32 + 4 * 8 * 4 * 8 + 4 * 8 * 4 * 6,
    ],
    [
      'MultiHeadAttention',
      'attention over axes 2 and 3, axis 1 apart',
      { num_heads: 2, key_dim: 2, attention_axes: [2, 3] },
      [[null, 5, 3, 4, 16], [null, 5, 3, 4, 16]],
      // Q, K, V over 5×3×4 = 60 positions; output; then per slice of axis 1: QKᵀ and AV over 3×4 = 12 positions.
      3 * (60 * 16 * 2 * 2) + 60 * 2 * 2 * 16 + 5 * 2 * 12 * 12 * 2 + 5 * 2 * 12 * 12 * 2,
    ],
    ['Attention', 'QKᵀ and AV', {}, [[null, 8, 16], [null, 4, 16]], 8 * 4 * 16 + 8 * 4 * 16],
    ['EinsumDense', 'abc,cd->abd', { equation: 'abc,cd->abd', output_shape: [10, 64] }, [[null, 10, 32]], 10 * 64 * 32],
    ['Dot', 'axes (2, 2)', { axes: [2, 2] }, [[null, 4, 3], [null, 6, 3]], 4 * 6 * 3],
    ['BatchNormalization', 'one per element', {}, [[null, 10, 3]], 10 * 3],
    ['LayerNormalization', 'one per element', {}, [[null, 10, 3]], 10 * 3],
    ['MaxPooling2D', 'pooling counts 0', { pool_size: 2 }, [[null, 10, 10, 3]], 0],
    ['GlobalAveragePooling2D', 'pooling counts 0', {}, [[null, 10, 10, 3]], 0],
    ['Embedding', 'a lookup counts 0', { input_dim: 100, output_dim: 8 }, [[null, 10]], 0],
    ['Add', 'element-wise counts 0', {}, [[null, 4], [null, 4]], 0],
    ['Dropout', 'identity counts 0, even on unknown sizes', { rate: 0.5 }, [[null, null, null]], 0],
  ];
  for (const [className, label, config, inputs, expected] of cases) {
    it(`${className}: ${label}`, () => {
      assert.equal(macsOf(className, config, inputs), expected);
    });
  }

  it('a count that needs an unknown dimension is null and the model is not complete', () => {
    const unknown: Array<[string, Config, Shape[]]> = [
      ['LSTM', { units: 5 }, [[null, null, 3]]],
      ['Dense', { units: 5 }, [[null, null, 3]]],
      ['Conv2D', { filters: 2, kernel_size: 3 }, [[null, null, null, 3]]],
      ['TimeDistributed', { layer: { class_name: 'Dense', config: { units: 6 } } }, [[null, null, 3]]],
      ['MultiHeadAttention', { num_heads: 2, key_dim: 2 }, [[null, 8, 16], [null, null, 16]]],
      ['Attention', {}, [[null, 32], [null, 32]]],
    ];
    for (const [className, config, inputs] of unknown) {
      const { row, summary } = analyseOne(className, config, inputs);
      assert.equal(row.macs, null, className);
      assert.equal(summary.macsComplete, false, className);
      assert.equal(summary.macs, 0, className);
    }
    const known = analyseOne('Dense', { units: 5 }, [[null, 3]]).summary;
    assert.equal(known.macsComplete, true);
    assert.equal(known.macs, 3 * 5);
  });

  it('MultiHeadAttention called on the query alone: shape known, MACs unknown (the value is missing)', () => {
    const { row, summary } = analyseOne('MultiHeadAttention', { num_heads: 2, key_dim: 2 }, [[null, 8, 16]]);
    assert.deepEqual(row.outputShapes, [[null, 8, 16]]);
    assert.equal(row.macs, null);
    assert.ok(summary.warnings.some((warning) => /'probe' \(MultiHeadAttention\): MACs not counted, it needs the value as input 2/.test(warning)), summary.warnings.join('\n'));
  });
});
