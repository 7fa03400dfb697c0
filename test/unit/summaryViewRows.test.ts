/** webviews/summary/layerRows.ts and runData.ts: which rows the tables show, in what order. */
import assert from 'node:assert/strict';
import type { LayerRun, LayerSummary, Shape, WeightStats, WeightTensor } from '../../src/protocol/model';
import {
  matchesFilter,
  maxLayerDepth,
  nextSort,
  sortRows,
  visibleLayers,
  visibleWeights,
  weightRows,
} from '../../webviews/summary/layerRows';
import { hasUnknownNonBatchDims, runRows, shapesAgree } from '../../webviews/summary/runData';

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
    macs: params,
    weightBytes: params * 4,
    trainable: true,
    ...extra,
  };
  if (parts.length > 1) result.parent = parts.slice(0, -1).join('/');
  return result;
}

const layers: LayerSummary[] = [
  layer('input_1', 'InputLayer', [null, 28, 28, 1], 0, { macs: null }),
  layer('conv2d', 'Conv2D', [null, 28, 28, 32], 320, { connectedTo: ['input_1'] }),
  layer('block', 'Sequential', [null, 28, 28, 32], 9376, { isModel: true, connectedTo: ['conv2d'] }),
  layer('block/conv2d_10', 'Conv2D', [null, 28, 28, 32], 9248),
  layer('block/batch_normalization', 'BatchNormalization', [null, 28, 28, 32], 128, { trainable: false, connectedTo: ['block/conv2d_10'] }),
  layer('flatten', 'Flatten', [null, 25088], 0, { connectedTo: ['block'] }),
  layer('conv2d_2', 'Conv2D', null, 320, { macs: null, connectedTo: ['flatten'] }),
  layer('dense', 'Dense', [null, 10], 250890, { connectedTo: ['conv2d_2'] }),
];
const ids = (rows: LayerSummary[]): string[] => rows.map((row) => row.id);

describe('summary rows: sorting and filtering', () => {
  it('sorts stably and puts missing values last in both directions', () => {
    const rows = [
      { name: 'b', value: 2 },
      { name: 'x', value: null },
      { name: 'a', value: 1 },
      { name: 'c', value: 2 },
    ];
    assert.deepEqual(
      sortRows(rows, (row) => row.value, 'asc').map((row) => row.name),
      ['a', 'b', 'c', 'x'],
    );
    assert.deepEqual(
      sortRows(rows, (row) => row.value, 'desc').map((row) => row.name),
      ['b', 'c', 'a', 'x'],
    );
    assert.deepEqual(
      rows.map((row) => row.name),
      ['b', 'x', 'a', 'c'],
      'the input is not reordered',
    );
  });

  it('sorts names naturally (conv2d_2 before conv2d_10)', () => {
    const sorted = visibleLayers(layers, { depth: null, filter: 'conv2d', sort: { column: 'name', direction: 'asc' } });
    assert.deepEqual(ids(sorted), ['conv2d', 'conv2d_2', 'block/conv2d_10']);
  });

  it('matches every term of the filter, case-insensitively, anywhere', () => {
    assert.ok(matchesFilter('', ['anything']));
    assert.ok(matchesFilter('  CONV   28 ', ['conv2d', '(None, 28, 28, 32)']));
    assert.ok(!matchesFilter('conv dense', ['conv2d', 'Conv2D']));
  });

  it('filters by name, type, nested path and output shape', () => {
    assert.deepEqual(ids(visibleLayers(layers, { depth: null, filter: 'lstm' })), []);
    assert.deepEqual(ids(visibleLayers(layers, { depth: null, filter: 'batchnorm' })), ['block/batch_normalization'], 'by class name');
    assert.deepEqual(ids(visibleLayers(layers, { depth: null, filter: 'block/' })), ['block/conv2d_10', 'block/batch_normalization']);
    assert.deepEqual(ids(visibleLayers(layers, { depth: null, filter: '25088' })), ['flatten']);
  });

  it('shows layers down to the chosen depth, nested models with their totals', () => {
    assert.equal(maxLayerDepth(layers), 1);
    assert.equal(maxLayerDepth([]), 0);
    const top = visibleLayers(layers, { depth: 0, filter: '' });
    assert.deepEqual(ids(top), ['input_1', 'conv2d', 'block', 'flatten', 'conv2d_2', 'dense']);
    assert.equal(top.find((row) => row.id === 'block')?.params, 9376);
    assert.equal(visibleLayers(layers, { depth: null, filter: '' }).length, layers.length);
  });

  it('sorts by params, MACs, shape size and trainable', () => {
    assert.deepEqual(ids(visibleLayers(layers, { depth: 0, filter: '', sort: { column: 'params', direction: 'desc' } })).slice(0, 3), ['dense', 'block', 'conv2d']);
    const byMacs = ids(visibleLayers(layers, { depth: 0, filter: '', sort: { column: 'macs', direction: 'asc' } }));
    assert.deepEqual(byMacs.slice(-2), ['input_1', 'conv2d_2'], 'layers without a MAC rule go last');
    const byShape = ids(visibleLayers(layers, { depth: 0, filter: '', sort: { column: 'shape', direction: 'desc' } }));
    assert.deepEqual(byShape, ['conv2d', 'block', 'flatten', 'input_1', 'dense', 'conv2d_2']);
    const byTrainable = ids(visibleLayers(layers, { depth: null, filter: '', sort: { column: 'trainable', direction: 'asc' } }));
    assert.equal(byTrainable[0], 'block/batch_normalization');
  });

  it('cycles a column through first direction, the other, then the model order', () => {
    const first = nextSort(undefined, 'params', 'desc');
    assert.deepEqual(first, { column: 'params', direction: 'desc' });
    const second = nextSort(first, 'params', 'desc');
    assert.deepEqual(second, { column: 'params', direction: 'asc' });
    assert.equal(nextSort(second, 'params', 'desc'), undefined);
    assert.deepEqual(nextSort(second, 'name'), { column: 'name', direction: 'asc' });
  });
});

describe('summary rows: weights', () => {
  const weights: WeightTensor[] = [
    { path: 'dense/kernel:0', layer: 'dense', name: 'kernel', shape: [64, 10], dtype: 'float32', bytes: 2560, trainable: true },
    { path: 'dense/bias:0', layer: 'dense', name: 'bias', shape: [10], dtype: 'float32', bytes: 40, trainable: true },
    { path: 'emb/embeddings:0', layer: 'emb', name: 'embeddings', shape: [1000, 16], dtype: 'float16', bytes: 32000, trainable: true },
  ];
  const stats: WeightStats[] = [
    { path: 'dense/kernel:0', mean: 0.01, std: 0.2, min: -0.5, max: 0.6, zeros: 0, nan: 0, inf: 0 },
    { path: 'dense/bias:0', mean: 0, std: 0, min: 0, max: 0, zeros: 1, nan: 2, inf: 1 },
  ];

  it('pairs statistics with their tensors by path', () => {
    const rows = weightRows(weights, stats);
    assert.equal(rows[0]?.stats?.std, 0.2);
    assert.equal(rows[1]?.stats?.nan, 2);
    assert.equal(rows[2]?.stats, undefined);
    assert.equal(weightRows(weights, undefined).filter((row) => row.stats).length, 0);
  });

  it('filters by dtype and sorts by a statistic, tensors without statistics last', () => {
    const rows = weightRows(weights, stats);
    assert.deepEqual(
      visibleWeights(rows, { filter: 'float16' }).map((row) => row.weight.path),
      ['emb/embeddings:0'],
    );
    assert.deepEqual(
      visibleWeights(rows, { filter: '', sort: { column: 'zeros', direction: 'desc' } }).map((row) => row.weight.path),
      ['dense/bias:0', 'dense/kernel:0', 'emb/embeddings:0'],
    );
    assert.deepEqual(
      visibleWeights(rows, { filter: '', sort: { column: 'nonfinite', direction: 'desc' } }).map((row) => row.weight.path)[0],
      'dense/bias:0',
    );
    assert.deepEqual(
      visibleWeights(rows, { filter: '', sort: { column: 'bytes', direction: 'asc' } }).map((row) => row.weight.bytes),
      [40, 2560, 32000],
    );
  });
});

describe('summary rows: run results', () => {
  it('compares run shapes with static shapes, unknown dimensions matching any size', () => {
    assert.ok(shapesAgree([[null, 28, 28, 32]], [[4, 28, 28, 32]]));
    assert.ok(!shapesAgree([[null, 28, 28, 32]], [[4, 26, 26, 32]]));
    assert.ok(!shapesAgree([[null, 10]], [[4, 10, 1]]));
    assert.ok(!shapesAgree([[null, 10]], [[4, 10], [4, 10]]));
    assert.ok(shapesAgree([], [[4, 10]]), 'no static shape: nothing to contradict');
  });

  it('names run rows after their layers and flags disagreeing shapes', () => {
    const run = (id: string, shape: number[]): LayerRun => ({ id, outputShapes: [shape], firstMs: 1, warmMs: 0.5, stats: { mean: 0, std: 1, min: -1, max: 1, zeros: 0, nan: 0, inf: 0 } });
    const rows = runRows(layers, [run('conv2d', [2, 28, 28, 32]), run('block/conv2d_10', [2, 27, 28, 32]), run('unknown_op', [2])]);
    assert.deepEqual(
      rows.map((row) => [row.name, row.className, row.agrees]),
      [
        ['conv2d', 'Conv2D', true],
        ['block/conv2d_10', 'Conv2D', false],
        ['unknown_op', '', true],
      ],
    );
  });

  it('knows when inputs have unknown sizes besides the batch', () => {
    assert.ok(!hasUnknownNonBatchDims([{ shape: [null, 28, 28, 1] }]));
    assert.ok(hasUnknownNonBatchDims([{ shape: [null, 28, 28, 1] }, { shape: [null, null] }]));
  });
});
