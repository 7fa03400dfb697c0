/**
 * webviews/summary/format.ts: number and shape formatting, and the two "Copy"
 * documents. The expected Keras layouts were produced by tf-keras' own
 * print_summary algorithm run on the same layers (models stubbed), so these
 * tests pin the text to what `model.summary()` prints, quirks included.
 */
import assert from 'node:assert/strict';
import type { LayerSummary, ModelSummary, Shape, WeightTensor } from '../../src/protocol/model';
import {
  formatBytes,
  formatCompact,
  formatInteger,
  formatMacs,
  formatMs,
  formatOutputShapes,
  formatPercent,
  formatShape,
  formatStat,
  kerasSummaryText,
  markdownCode,
  markdownSummary,
  markdownText,
  modelName,
  opCounts,
  summaryText,
} from '../../webviews/summary/format';

function layer(id: string, className: string, shape: Shape | null, params: number, extra: Partial<LayerSummary> = {}): LayerSummary {
  const parts = id.split('/');
  const result: LayerSummary = {
    id,
    name: parts[parts.length - 1] as string,
    className,
    depth: parts.length - 1,
    isModel: false,
    settings: {},
    connectedTo: [],
    outputShapes: shape ? [shape] : [],
    params,
    trainableParams: params,
    nonTrainableParams: 0,
    macs: 0,
    weightBytes: params * 4,
    trainable: true,
    ...extra,
  };
  if (parts.length > 1) result.parent = parts.slice(0, -1).join('/');
  return result;
}

function summary(fields: Partial<ModelSummary>): ModelSummary {
  return {
    file: '/models/cnn.h5',
    fileBytes: 22584,
    format: 'keras-h5',
    formatLabel: 'Keras 2 HDF5 (full model)',
    framework: 'keras',
    producer: 'Keras 2.1.3 (tensorflow backend)',
    modelClass: 'Sequential',
    name: '',
    hasArchitecture: true,
    inputs: [],
    outputs: [],
    layers: [],
    weights: [],
    totalParams: 0,
    trainableParams: 0,
    nonTrainableParams: 0,
    macs: 0,
    macsComplete: true,
    weightBytes: 0,
    weightBytesByDtype: {},
    warnings: [],
    unsupportedLayers: [],
    parseMs: 5,
    ...fields,
  };
}

function weight(layerId: string, name: string, shape: number[], trainable = true): WeightTensor {
  return { path: `model_weights/${layerId}/${layerId}/${name}:0`, layer: layerId, name, shape, dtype: 'float32', bytes: shape.reduce((a, b) => a * b, 1) * 4, trainable };
}

/** A Keras 2.1.3-style Sequential CNN (like the k2_1_3_cnn_batchnorm fixture). */
function sequentialCnn(): ModelSummary {
  return summary({
    layers: [
      layer('conv2d_1', 'Conv2D', [null, 26, 26, 16], 160, { macs: 97344 }),
      layer('batch_normalization_1', 'BatchNormalization', [null, 26, 26, 16], 64, { trainableParams: 32, nonTrainableParams: 32, connectedTo: ['conv2d_1'] }),
      layer('activation_1', 'Activation', [null, 26, 26, 16], 0, { connectedTo: ['batch_normalization_1'] }),
      layer('conv2d_2', 'Conv2D', [null, 24, 24, 8], 1160, { connectedTo: ['activation_1'], macs: 663552 }),
      layer('flatten_1', 'Flatten', [null, 4608], 0, { connectedTo: ['conv2d_2'] }),
      layer('dense_1', 'Dense', [null, 10], 46090, { connectedTo: ['flatten_1'], macs: 46080 }),
    ],
    weights: [
      weight('conv2d_1', 'kernel', [3, 3, 1, 16]),
      weight('conv2d_1', 'bias', [16]),
      weight('batch_normalization_1', 'gamma', [16]),
      weight('batch_normalization_1', 'beta', [16]),
      weight('batch_normalization_1', 'moving_mean', [16], false),
      weight('batch_normalization_1', 'moving_variance', [16], false),
      weight('conv2d_2', 'kernel', [3, 3, 16, 8]),
      weight('conv2d_2', 'bias', [8]),
      weight('dense_1', 'kernel', [4608, 10]),
      weight('dense_1', 'bias', [10]),
    ],
    totalParams: 47474,
    trainableParams: 47442,
    nonTrainableParams: 32,
    macs: 806976,
  });
}

/** A functional model with two inputs and a layer fed three times (like the tfk2110_attention fixture). */
function functionalAttention(): ModelSummary {
  return summary({
    file: '/models/tfk2110_attention.h5',
    modelClass: 'Functional',
    producer: 'Keras 2.11.0',
    layers: [
      layer('query', 'InputLayer', [null, 4, 8], 0),
      layer('value', 'InputLayer', [null, 6, 8], 0),
      layer('dense_projection_of_the_query', 'Dense', [null, 4, 16], 144, { connectedTo: ['query'] }),
      layer('attention', 'Attention', [null, 4, 16], 0, { connectedTo: ['dense_projection_of_the_query', 'value', 'value'], macs: null }),
      layer('concatenate', 'Concatenate', [null, 4, 24], 0, { connectedTo: ['query', 'attention'] }),
      layer('head', 'Dense', [null, 4, 2], 50, { connectedTo: ['concatenate'] }),
    ],
    weights: [weight('dense_projection_of_the_query', 'kernel', [8, 16]), weight('dense_projection_of_the_query', 'bias', [16]), weight('head', 'kernel', [24, 2]), weight('head', 'bias', [2])],
    totalParams: 194,
    trainableParams: 194,
    nonTrainableParams: 0,
    macsComplete: false,
  });
}

/** Nested models two levels deep (like the keras3_autoencoder_nested fixture, plus an inner Functional). */
function nestedAutoencoder(): ModelSummary {
  return summary({
    file: '/web/keras3_autoencoder_nested/model.json',
    format: 'tfjs-layers',
    formatLabel: 'TF.js layers model',
    framework: 'tensorflow.js',
    producer: 'keras v3.10.0',
    layers: [
      layer('encoder', 'Sequential', [null, 7, 7, 8], 1248, { isModel: true }),
      layer('encoder/conv2d', 'Conv2D', [null, 28, 28, 8], 80),
      layer('encoder/block', 'Functional', [null, 7, 7, 8], 1168, { isModel: true, connectedTo: ['encoder/conv2d'] }),
      layer('encoder/block/max_pooling2d', 'MaxPooling2D', [null, 14, 14, 8], 0),
      layer('encoder/block/conv2d_1', 'Conv2D', [null, 14, 14, 8], 584, { connectedTo: ['encoder/block/max_pooling2d'] }),
      layer('encoder/block/conv2d_2', 'Conv2D', [null, 7, 7, 8], 584, { connectedTo: ['encoder/block/conv2d_1'] }),
      layer('decoder', 'Sequential', [null, 28, 28, 1], 73, { isModel: true, connectedTo: ['encoder'] }),
      layer('decoder/conv2d_transpose', 'Conv2DTranspose', [null, 28, 28, 1], 73),
    ],
    totalParams: 1321,
    trainableParams: 1321,
    nonTrainableParams: 0,
  });
}


describe('summary format: numbers and shapes', () => {
  it('writes integers with thousands separators', () => {
    assert.equal(formatInteger(0), '0');
    assert.equal(formatInteger(999), '999');
    assert.equal(formatInteger(1000), '1,000');
    assert.equal(formatInteger(1234567), '1,234,567');
    assert.equal(formatInteger(-47178), '-47,178');
    assert.equal(formatInteger(Number.NaN), '—');
  });

  it('writes shapes as Keras does', () => {
    assert.equal(formatShape([null, 28, 28, 32]), '(None, 28, 28, 32)');
    assert.equal(formatShape([null]), '(None,)');
    assert.equal(formatShape([64]), '(64,)');
    assert.equal(formatShape([]), '()');
    assert.equal(formatOutputShapes([]), '?');
    assert.equal(formatOutputShapes([[null, 10]]), '(None, 10)');
    assert.equal(formatOutputShapes([[null, 10], [null, 4, 4]]), '[(None, 10), (None, 4, 4)]');
  });

  it('writes sizes, counts, shares, times and statistics', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KB');
    assert.equal(formatBytes(642312), '627 KB');
    assert.equal(formatBytes(21480000), '20.5 MB');
    assert.equal(formatCompact(950), '950');
    assert.equal(formatCompact(18_436_428), '18.4 M');
    assert.equal(formatCompact(1_000_000_000), '1 G');
    assert.equal(formatMacs(18_436_428, true), '18.4 M');
    assert.equal(formatMacs(18_436_428, false), '≥ 18.4 M');
    assert.equal(formatPercent(18624, 47178), '39.5%');
    assert.equal(formatPercent(1, 1_000_000), '<0.1%');
    assert.equal(formatPercent(0, 10), '0%');
    assert.equal(formatPercent(5, 0), '0%');
    assert.equal(formatMs(0.4), '0.40 ms');
    assert.equal(formatMs(41.72), '41.7 ms');
    assert.equal(formatMs(1250), '1.25 s');
    assert.equal(formatStat(0.123456), '0.1235');
    assert.equal(formatStat(-2.5), '-2.5');
    assert.equal(formatStat(0.00001234), '1.234e-5');
    assert.equal(formatStat(123456789), '1.235e+8');
    assert.equal(formatStat(Number.NaN), 'NaN');
    assert.equal(formatStat(Number.NEGATIVE_INFINITY), '-Inf');
  });

  it("names the model after the summary's name, else the file, else the folder of a model.json", () => {
    assert.equal(modelName(sequentialCnn()), 'cnn');
    assert.equal(modelName(nestedAutoencoder()), 'keras3_autoencoder_nested');
    assert.equal(modelName({ ...sequentialCnn(), name: 'my_model' } as ModelSummary), 'my_model');
  });

  it('counts ops, most frequent first', () => {
    assert.deepEqual(opCounts([{ op: 'Const' }, { op: 'Relu' }, { op: 'Const' }, { op: 'Add' }]), [
      { op: 'Const', count: 2 },
      { op: 'Add', count: 1 },
      { op: 'Relu', count: 1 },
    ]);
  });
});

describe('summary format: Keras model.summary() text', () => {
  const EXPECTED_SEQ = [
    'Model: "cnn"',
    '_________________________________________________________________',
    ' Layer (type)                Output Shape              Param #   ',
    '=================================================================',
    ' conv2d_1 (Conv2D)           (None, 26, 26, 16)        160       ',
    '                                                                 ',
    ' batch_normalization_1 (Bat  (None, 26, 26, 16)        64        ',
    ' chNormalization)                                                ',
    '                                                                 ',
    ' activation_1 (Activation)   (None, 26, 26, 16)        0         ',
    '                                                                 ',
    ' conv2d_2 (Conv2D)           (None, 24, 24, 8)         1160      ',
    '                                                                 ',
    ' flatten_1 (Flatten)         (None, 4608)              0         ',
    '                                                                 ',
    ' dense_1 (Dense)             (None, 10)                46090     ',
    '                                                                 ',
    '=================================================================',
    'Total params: 47474 (185.45 KB)',
    'Trainable params: 47442 (185.32 KB)',
    'Non-trainable params: 32 (128.00 Byte)',
    '_________________________________________________________________',
  ].join('\n') + '\n';

  const EXPECTED_FUNC = [
    'Model: "tfk2110_attention"',
    '__________________________________________________________________________________________________',
    ' Layer (type)                Output Shape                 Param #   Connected to                  ',
    '==================================================================================================',
    ' query (InputLayer)          [(None, 4, 8)]               0         []                            ',
    '                                                                                                  ',
    ' value (InputLayer)          [(None, 6, 8)]               0         []                            ',
    '                                                                                                  ',
    " dense_projection_of_the_qu  (None, 4, 16)                144       ['query[0][0]']               ",
    ' ery (Dense)                                                                                      ',
    '                                                                                                  ',
    " attention (Attention)       (None, 4, 16)                0         ['dense_projection_of_the_quer",
    "                                                                    y[0][0]',                     ",
    "                                                                     'value[0][0]',               ",
    "                                                                     'value[0][0]']               ",
    '                                                                                                  ',
    " concatenate (Concatenate)   (None, 4, 24)                0         ['query[0][0]',               ",
    "                                                                     'attention[0][0]']           ",
    '                                                                                                  ',
    " head (Dense)                (None, 4, 2)                 50        ['concatenate[0][0]']         ",
    '                                                                                                  ',
    '==================================================================================================',
    'Total params: 194 (776.00 Byte)',
    'Trainable params: 194 (776.00 Byte)',
    'Non-trainable params: 0 (0.00 Byte)',
    '__________________________________________________________________________________________________',
  ].join('\n') + '\n';

  const EXPECTED_NESTED = [
    'Model: "keras3_autoencoder_nested"',
    '_________________________________________________________________',
    ' Layer (type)                Output Shape              Param #   ',
    '=================================================================',
    ' encoder (Sequential)        (None, 7, 7, 8)           1248      ',
    '|¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯|',
    '| conv2d (Conv2D)            (None, 28, 28, 8)         80       |',
    '|                                                               |',
    '| block (Functional)         (None, 7, 7, 8)           1168     |',
    '||¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯||',
    '|| max_pooling2d (MaxPoolin  (None, 14, 14, 8)         0       ||',
    '|| g2D)                                                        ||',
    '||                                                             ||',
    '|| conv2d_1 (Conv2D)         (None, 14, 14, 8)         584     ||',
    '||                                                             ||',
    '|| conv2d_2 (Conv2D)         (None, 7, 7, 8)           584     ||',
    '|¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯|',
    '¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯',
    ' decoder (Sequential)        (None, 28, 28, 1)         73        ',
    '|¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯|',
    '| conv2d_transpose (Conv2DT  (None, 28, 28, 1)         73       |',
    '| ranspose)                                                     |',
    '¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯',
    '=================================================================',
    'Total params: 1321 (0.00 Byte)',
    'Trainable params: 1321 (0.00 Byte)',
    'Non-trainable params: 0 (0.00 Byte)',
    '_________________________________________________________________',
  ].join('\n') + '\n';

  it('lays out a Sequential model in 65 columns, wrapping long names like Keras', () => {
    assert.equal(kerasSummaryText(sequentialCnn()), EXPECTED_SEQ);
  });

  it('lays out a graph with "Connected to", breaking the list between connections', () => {
    assert.equal(kerasSummaryText(functionalAttention()), EXPECTED_FUNC);
  });

  it('frames expanded nested models like expand_nested=True', () => {
    assert.equal(kerasSummaryText(nestedAutoencoder(), { depth: Number.POSITIVE_INFINITY }), EXPECTED_NESTED);
  });

  it('expands only down to the depth asked for', () => {
    const text = kerasSummaryText(nestedAutoencoder(), { depth: 1 });
    assert.match(text, /^\| block \(Functional\) +\(None, 7, 7, 8\) +1168 +\|$/m);
    assert.doesNotMatch(text, /max_pooling2d/);
    assert.doesNotMatch(kerasSummaryText(nestedAutoencoder()), /conv2d \(Conv2D\)/);
  });

  it('treats a functional chain like a Sequential (no "Connected to"), keeping its InputLayer', () => {
    const chain = summary({
      modelClass: 'Functional',
      layers: [layer('input_1', 'InputLayer', [null, 8], 0), layer('dense', 'Dense', [null, 4], 36, { connectedTo: ['input_1'] })],
      totalParams: 36,
      trainableParams: 36,
    });
    const lines = kerasSummaryText(chain).split('\n');
    assert.equal(lines[2], ' Layer (type)                Output Shape              Param #   ');
    assert.equal(lines[4], ' input_1 (InputLayer)        [(None, 8)]               0         ');
  });

  it('leaves out the InputLayer of a Sequential, as Keras does', () => {
    const sequential = summary({ layers: [layer('input', 'InputLayer', [null, 8], 0), layer('dense', 'Dense', [null, 4], 36, { connectedTo: ['input'] })] });
    assert.doesNotMatch(kerasSummaryText(sequential), /InputLayer/);
  });

  it('rounds memory sizes half to even, like Python', () => {
    const tie = summary({ layers: [layer('d', 'Dense', [null, 1], 288)], weights: [{ ...weight('d', 'kernel', [288]), bytes: 1152 }], totalParams: 288, trainableParams: 288 });
    assert.match(kerasSummaryText(tie), /^Total params: 288 \(1\.12 KB\)$/m);
  });
});

describe('summary format: copy as text for files without an architecture', () => {
  it('lists the weights of a weights-only file', () => {
    const weightsOnly = summary({
      format: 'keras-h5-weights',
      formatLabel: 'Keras 2 HDF5 (weights only)',
      hasArchitecture: false,
      modelClass: '',
      weights: [weight('fc1', 'kernel', [16, 64]), weight('fc1', 'bias', [64])],
      totalParams: 1088,
      weightBytes: 4352,
    });
    assert.equal(
      summaryText(weightsOnly),
      [
        'cnn.h5: Keras 2 HDF5 (weights only), written by Keras 2.1.3 (tensorflow backend)',
        'File size: 22.1 KB',
        'Weights only: the architecture is not in this file.',
        '',
        'Path                            Shape     Dtype    Bytes',
        'model_weights/fc1/fc1/kernel:0  (16, 64)  float32  4,096',
        'model_weights/fc1/fc1/bias:0    (64,)     float32    256',
        '',
        'Total params: 1,088',
        'Weights: 4.25 KB',
        '',
      ].join('\n'),
    );
  });

  it('lists the ops of a graph model and the contents of a data file', () => {
    const graph = summary({
      format: 'tfjs-graph',
      hasArchitecture: false,
      modelClass: 'GraphModel',
      graph: {
        nodes: [
          { name: 'x', op: 'Placeholder', inputs: [], attributes: {} },
          { name: 'y', op: 'Relu', inputs: ['x'], attributes: {} },
        ],
        inputs: [{ name: 'x', shape: [null, 3], dtype: 'float32' }],
        outputs: [{ name: 'y', shape: [null, 3], dtype: 'float32' }],
      },
    });
    const text = summaryText(graph);
    assert.match(text, /^Inputs: x \(None, 3\) float32$/m);
    assert.match(text, /^Ops: Placeholder ×1, Relu ×1$/m);
    assert.match(text, /^y\s+Relu\s+x$/m);
    const data = summary({ format: 'hdf5-data', hasArchitecture: false, modelClass: '', contents: [{ path: '/train/images', kind: 'dataset', shape: [60000, 28, 28], dtype: 'uint8' }] });
    assert.match(summaryText(data), /^Not a Keras model\. Contents:$/m);
    assert.match(summaryText(data), /^\/train\/images\s+dataset\s+\(60000, 28, 28\)\s+uint8$/m);
  });
});

describe('summary format: Markdown', () => {
  it('writes the facts and a table with every column', () => {
    const markdown = markdownSummary(functionalAttention());
    const lines = markdown.split('\n');
    assert.equal(lines[0], '### tfk2110\\_attention (Functional)');
    assert.ok(lines.includes('- **Total params:** 194 (trainable 194, non-trainable 0)'));
    assert.ok(lines.includes('- **MACs (batch 1):** ≥ 0'));
    const table = lines.filter((line) => line.startsWith('|'));
    assert.deepEqual(table.slice(0, 3), [
      '| Layer | Type | Output shape | Params | % params | Trainable | MACs | Connected to |',
      '| --- | --- | --- | ---: | ---: | :---: | ---: | --- |',
      '| `query` | InputLayer | `(None, 4, 8)` | 0 | 0% | yes | 0 |  |',
    ]);
    assert.equal(table[5], '| `attention` | Attention | `(None, 4, 16)` | 0 | 0% | yes | — | `dense_projection_of_the_query`, `value`, `value` |');
    assert.equal(table.length, 2 + 6);
  });

  it('limits the table to a depth and names nested layers by their path', () => {
    const shallow = markdownSummary(nestedAutoencoder(), { depth: 0 }).split('\n').filter((line) => line.startsWith('| `'));
    assert.deepEqual(
      shallow.map((line) => line.split(' | ')[0]),
      ['| `encoder`', '| `decoder`'],
    );
    const deep = markdownSummary(nestedAutoencoder()).split('\n').filter((line) => line.startsWith('| `'));
    assert.equal(deep.length, 8);
    assert.ok(deep.some((line) => line.startsWith('| `encoder/block/conv2d_1` | Conv2D | `(None, 14, 14, 8)` | 584 | 44.2% |')));
  });

  it('escapes what would break a table or the markup', () => {
    assert.equal(markdownCode('a|b'), '`a\\|b`');
    assert.equal(markdownCode('x`y'), '`` x`y ``');
    assert.equal(markdownText('conv_1 *x* <b>'), 'conv\\_1 \\*x\\* \\<b\\>');
  });

  it('says when a model cannot run in TensorFlow.js', () => {
    const markdown = markdownSummary({ ...sequentialCnn(), unsupportedLayers: ['Lambda', 'MyLayer'] });
    assert.match(markdown, /^> Cannot run in TensorFlow\.js: Lambda, MyLayer$/m);
  });
});
