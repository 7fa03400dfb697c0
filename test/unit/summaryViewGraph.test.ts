/** webviews/summary/graphModel.ts and graphLayout.ts: what the graph tab draws and where (dagre, for real). */
import assert from 'node:assert/strict';
import type { GraphNode, LayerSummary, Shape } from '../../src/protocol/model';
import { edgePath, fitView, GRAPH_NODE_LIMIT, GraphTooLargeError, layoutDiagram, READABLE_SCALE, zoomAt } from '../../webviews/summary/graphLayout';
import { inputNodeName, layerCategory, layerDiagram, opDiagram, type Diagram } from '../../webviews/summary/graphModel';

function layer(id: string, className: string, shape: Shape | null, extra: Partial<LayerSummary> = {}): LayerSummary {
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
    params: 0,
    trainableParams: 0,
    nonTrainableParams: 0,
    macs: 0,
    weightBytes: 0,
    trainable: true,
    ...extra,
  };
  if (parts.length > 1) result.parent = parts.slice(0, -1).join('/');
  return result;
}

/** input -> conv2d -> [block: conv2d_1 -> bn] -> add(conv2d, block) -> dense */
const residual: LayerSummary[] = [
  layer('input_1', 'InputLayer', [null, 28, 28, 1]),
  layer('conv2d', 'Conv2D', [null, 28, 28, 8], { connectedTo: ['input_1'] }),
  layer('block', 'Sequential', [null, 28, 28, 8], { isModel: true, connectedTo: ['conv2d'] }),
  layer('block/conv2d_1', 'Conv2D', [null, 28, 28, 8]),
  layer('block/bn', 'BatchNormalization', [null, 28, 28, 8], { connectedTo: ['block/conv2d_1'] }),
  layer('add', 'Add', [null, 28, 28, 8], { connectedTo: ['conv2d', 'block'] }),
  layer('dense', 'Dense', [null, 10], { connectedTo: ['add', 'add'] }),
];

const edgeList = (diagram: Diagram): string[] => diagram.edges.map((edge) => `${edge.from}>${edge.to}`).sort();

describe('summary graph: what is drawn', () => {
  it('draws every layer, an open nested model as a box, edges attached to its first and last layers', () => {
    const diagram = layerDiagram(residual, null);
    assert.deepEqual(
      diagram.nodes.map((node) => [node.id, node.cluster, node.parent ?? '']),
      [
        ['input_1', false, ''],
        ['conv2d', false, ''],
        ['block', true, ''],
        ['block/conv2d_1', false, 'block'],
        ['block/bn', false, 'block'],
        ['add', false, ''],
        ['dense', false, ''],
      ],
    );
    assert.deepEqual(edgeList(diagram), ['add>dense', 'block/bn>add', 'block/conv2d_1>block/bn', 'conv2d>add', 'conv2d>block/conv2d_1', 'input_1>conv2d']);
    assert.deepEqual(diagram.nodes[1], { id: 'conv2d', title: 'Conv2D', name: 'conv2d', detail: '(None, 28, 28, 8)', cluster: false });
  });

  it('folds layers below the depth into their nested model', () => {
    const diagram = layerDiagram(residual, 0);
    assert.deepEqual(
      diagram.nodes.map((node) => node.id),
      ['input_1', 'conv2d', 'block', 'add', 'dense'],
    );
    assert.ok(diagram.nodes.every((node) => !node.cluster));
    assert.deepEqual(edgeList(diagram), ['add>dense', 'block>add', 'conv2d>add', 'conv2d>block', 'input_1>conv2d']);
  });

  it('enters a nested functional model through its own input layer', () => {
    const nested = [
      layer('x', 'InputLayer', [null, 4]),
      layer('inner', 'Functional', [null, 2], { isModel: true, connectedTo: ['x'] }),
      layer('inner/in', 'InputLayer', [null, 4]),
      layer('inner/a', 'Dense', [null, 2], { connectedTo: ['inner/in'] }),
      layer('inner/b', 'Dense', [null, 2], { connectedTo: ['inner/in'] }),
      layer('inner/sum', 'Add', [null, 2], { connectedTo: ['inner/a', 'inner/b'] }),
      layer('out', 'Dense', [null, 1], { connectedTo: ['inner'] }),
    ];
    assert.deepEqual(edgeList(layerDiagram(nested, null)), ['inner/a>inner/sum', 'inner/b>inner/sum', 'inner/in>inner/a', 'inner/in>inner/b', 'inner/sum>out', 'x>inner/in']);
  });

  it('ignores references to unknown layers and survives a parent loop', () => {
    const broken = [
      layer('a', 'Dense', [null, 1], { connectedTo: ['ghost'] }),
      layer('b', 'Sequential', [null, 1], { isModel: true, parent: 'c', depth: 1 }),
      layer('c', 'Sequential', [null, 1], { isModel: true, parent: 'b', depth: 1 }),
      layer('d', 'Dense', [null, 1], { connectedTo: ['a', 'b'], depth: 0 }),
    ];
    const diagram = layerDiagram(broken, 0);
    assert.deepEqual(
      diagram.nodes.map((node) => node.id),
      ['a', 'd'],
    );
    assert.deepEqual(edgeList(diagram), ['a>d']);
  });

  it('draws a graph model without its constants, inputs named without port or control marks', () => {
    const nodes: GraphNode[] = [
      { name: 'x', op: 'Placeholder', inputs: [], attributes: { shape: '[-1, 3]' } },
      { name: 'w', op: 'Const', inputs: [], attributes: {} },
      { name: 'mm', op: 'MatMul', inputs: ['x', 'w'], attributes: {} },
      { name: 'split', op: 'Split', inputs: ['mm'], attributes: {} },
      { name: 'y', op: 'AddV2', inputs: ['split:1', 'split:0', '^mm'], attributes: { T: 'float32' } },
    ];
    const diagram = opDiagram(nodes);
    assert.deepEqual(
      diagram.nodes.map((node) => node.id),
      ['x', 'mm', 'split', 'y'],
    );
    assert.deepEqual(edgeList(diagram), ['mm>split', 'mm>y', 'split>y', 'x>mm']);
    assert.equal(diagram.nodes[0]?.detail, 'shape: [-1, 3]');
    assert.equal(opDiagram(nodes, { constants: true }).nodes.length, 5);
    assert.equal(inputNodeName('^a/b:12'), 'a/b');
  });

  it('sorts layers into families for colour', () => {
    assert.equal(layerCategory('Conv2D'), 'conv');
    assert.equal(layerCategory('DepthwiseConv2D'), 'conv');
    assert.equal(layerCategory('MaxPooling2D'), 'pool');
    assert.equal(layerCategory('GlobalAveragePooling1D'), 'pool');
    assert.equal(layerCategory('Dense'), 'dense');
    assert.equal(layerCategory('_FusedMatMul'), 'dense');
    assert.equal(layerCategory('LSTM'), 'recurrent');
    assert.equal(layerCategory('MultiHeadAttention'), 'attention');
    assert.equal(layerCategory('BatchNormalization'), 'norm');
    assert.equal(layerCategory('ReLU'), 'activation');
    assert.equal(layerCategory('Concatenate'), 'merge');
    assert.equal(layerCategory('Flatten'), 'reshape');
    assert.equal(layerCategory('SpatialDropout2D'), 'regularize');
    assert.equal(layerCategory('InputLayer'), 'input');
    assert.equal(layerCategory('MyCustomLayer'), 'other');
  });
});

describe('summary graph: layout with dagre', () => {
  it('places a model top to bottom, boxes around nested models, routed edges', () => {
    const layout = layoutDiagram(layerDiagram(residual, null));
    const at = new Map(layout.nodes.map((node) => [node.id, node]));
    const y = (id: string): number => at.get(id)?.y ?? Number.NaN;
    assert.ok(y('input_1') < y('conv2d') && y('conv2d') < y('block/conv2d_1') && y('block/conv2d_1') < y('block/bn') && y('block/bn') < y('add') && y('add') < y('dense'));
    const box = at.get('block');
    const inner = at.get('block/bn');
    assert.ok(box && inner);
    assert.ok(box.x - box.width / 2 < inner.x - inner.width / 2 && inner.x + inner.width / 2 < box.x + box.width / 2, 'the box encloses its layers');
    assert.equal(layout.edges.length, 6);
    assert.ok(layout.edges.every((edge) => edge.points.length >= 2));
    assert.ok(layout.width > 0 && layout.height > y('dense'));
    for (const node of layout.nodes.filter((candidate) => !candidate.cluster)) {
      assert.ok(node.width >= 96 && node.width <= 320, `${node.id} width ${node.width}`);
      assert.equal(node.height, 3 * 16 + 14, 'three lines: class, name, shape');
    }
  });

  it('sizes nodes to their text with the measure it is given', () => {
    const diagram: Diagram = { nodes: [{ id: 'a', title: 'A', name: 'a', detail: '', cluster: false }], edges: [] };
    const wide = layoutDiagram(diagram, () => 200);
    assert.equal(wide.nodes[0]?.width, 224);
    assert.equal(wide.nodes[0]?.height, 2 * 16 + 14);
  });

  it('refuses diagrams beyond the limit without laying them out', () => {
    const nodes = Array.from({ length: GRAPH_NODE_LIMIT + 1 }, (_, index) => ({ id: `n${index}`, title: 'Dense', name: `n${index}`, detail: '', cluster: false }));
    assert.throws(() => layoutDiagram({ nodes, edges: [] }), (error: unknown) => error instanceof GraphTooLargeError && error.nodeCount === GRAPH_NODE_LIMIT + 1);
  });

  it('turns edge routes into SVG paths', () => {
    assert.equal(edgePath([]), '');
    assert.equal(
      edgePath([
        { x: 0, y: 0 },
        { x: 10.04, y: 20 },
      ]),
      'M0,0 L10,20',
    );
    assert.equal(
      edgePath([
        { x: 0, y: 0 },
        { x: 0, y: 10 },
        { x: 10, y: 20 },
      ]),
      'M0,0 Q0,10 10,20',
    );
    assert.equal(
      edgePath([
        { x: 0, y: 0 },
        { x: 0, y: 10 },
        { x: 10, y: 20 },
        { x: 10, y: 30 },
      ]),
      'M0,0 Q0,10 5,15 Q10,20 10,30',
    );
  });

  it('fits a drawing: whole on request, otherwise its top at a readable zoom', () => {
    assert.deepEqual(fitView(400, 200, 1000, 500, false), { x: 300, y: 150, scale: 1 }, 'small drawings stay 1:1, centred');
    assert.deepEqual(fitView(2000, 4000, 1000, 500, true), { x: 375, y: 0, scale: 0.125 });
    const readable = fitView(800, 4000, 1000, 500, false);
    assert.equal(readable.scale, 1);
    assert.equal(readable.y, 0, 'a tall drawing shows its top');
    assert.equal(fitView(3000, 4000, 1000, 500, false).scale, READABLE_SCALE);
  });

  it('zooms around the cursor', () => {
    const view = zoomAt({ x: 100, y: 50, scale: 1 }, 2, 300, 250);
    assert.deepEqual(view, { x: -100, y: -150, scale: 2 });
    // The drawing point under the cursor, (200, 200), stays under it.
    assert.equal((300 - view.x) / view.scale, 200);
    assert.equal(zoomAt({ x: 0, y: 0, scale: 3 }, 10, 0, 0).scale, 4, 'zoom is bounded');
  });
});
