/**
 * What the graph tab draws: one node per layer shown at the chosen depth, a
 * box around each nested model that is open at that depth, and an edge for
 * each "connected to". Layers below the depth fold into their nested model;
 * edges into or out of an open nested model attach to its first and last
 * layers, since the layout library cannot attach edges to boxes. Pure.
 */
import type { GraphNode, LayerSummary } from '../../src/protocol/model';
import { formatOutputShapes } from './format';

export interface DiagramNode {
  id: string;
  /** Bold first line: the layer class or the op. */
  title: string;
  /** The layer or node name. */
  name: string;
  /** Third line: the output shape, or an op's most telling attribute. */
  detail: string;
  /** A nested model drawn as a box around its layers. */
  cluster: boolean;
  /** The box this node sits in. */
  parent?: string;
}

export interface DiagramEdge {
  from: string;
  to: string;
}

export interface Diagram {
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

export function layerDiagram(layers: readonly LayerSummary[], depth: number | null): Diagram {
  const byId = new Map(layers.map((layer) => [layer.id, layer]));
  const shown = (layer: LayerSummary): boolean => depth === null || layer.depth <= depth;
  const children = new Map<string, LayerSummary[]>();
  for (const layer of layers) {
    if (layer.parent === undefined || !shown(layer)) continue;
    const siblings = children.get(layer.parent) ?? [];
    siblings.push(layer);
    children.set(layer.parent, siblings);
  }
  const isOpen = (id: string): boolean => (children.get(id)?.length ?? 0) > 0;

  /** The shown layer that stands for `id`: itself, or the folded nested model it is in. */
  const representative = (id: string): string | undefined => {
    let layer = byId.get(id);
    for (let hops = 0; layer && !shown(layer) && hops <= layers.length; hops++) layer = layer.parent === undefined ? undefined : byId.get(layer.parent);
    return layer && shown(layer) ? layer.id : undefined;
  };
  const isInside = (id: string, ancestor: string): boolean => {
    let parent = byId.get(id)?.parent;
    for (let hops = 0; parent !== undefined && hops <= layers.length; hops++) {
      if (parent === ancestor) return true;
      parent = byId.get(parent)?.parent;
    }
    return false;
  };
  /** The direct child of `model` that contains (or is) `id`. */
  const childOf = (model: string, id: string): string | undefined => {
    let current: string | undefined = id;
    for (let hops = 0; current !== undefined && hops <= layers.length; hops++) {
      const parent: string | undefined = byId.get(current)?.parent;
      if (parent === model) return current;
      current = parent;
    }
    return undefined;
  };
  /** Inputs of a layer that come from inside `model`, as direct children of it. */
  const siblingInputs = (model: string, layer: LayerSummary): string[] =>
    layer.connectedTo
      .map(representative)
      .filter((id): id is string => id !== undefined && id !== model && isInside(id, model))
      .map((id) => childOf(model, id))
      .filter((id): id is string => id !== undefined && id !== layer.id);

  /**
   * The leaves an edge attaches to for a shown layer: itself, or for an open
   * nested model the children with no input from inside it (entries) or
   * that nothing inside it consumes (exits), recursively. Memoised; the
   * depth guard stops a malformed parent chain.
   */
  const leaves = (kind: 'entry' | 'exit', memo: Map<string, string[]>) => {
    const resolve = (id: string, guard: number): string[] => {
      const known = memo.get(id);
      if (known) return known;
      const inner = children.get(id);
      if (!inner || guard > layers.length) return [id];
      let picked: LayerSummary[];
      if (kind === 'entry') {
        picked = inner.filter((child) => siblingInputs(id, child).length === 0);
        if (picked.length === 0) picked = inner.slice(0, 1);
      } else {
        const consumed = new Set(inner.flatMap((child) => siblingInputs(id, child)));
        picked = inner.filter((child) => !consumed.has(child.id));
        if (picked.length === 0) picked = inner.slice(-1);
      }
      const result = picked.flatMap((child) => resolve(child.id, guard + 1));
      memo.set(id, result);
      return result;
    };
    return (id: string) => resolve(id, 0);
  };
  const entryLeaves = leaves('entry', new Map());
  const exitLeaves = leaves('exit', new Map());

  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  const edgeKeys = new Set<string>();
  for (const layer of layers) {
    if (!shown(layer)) continue;
    const node: DiagramNode = {
      id: layer.id,
      title: layer.className,
      name: layer.name,
      detail: layer.outputShapes.length ? formatOutputShapes(layer.outputShapes) : '',
      cluster: isOpen(layer.id),
    };
    if (layer.parent !== undefined) node.parent = layer.parent;
    nodes.push(node);
    for (const input of layer.connectedTo) {
      const source = representative(input);
      // An input from the enclosing model itself is the box's own input: no edge to draw.
      if (source === undefined || source === layer.id || isInside(layer.id, source)) continue;
      for (const from of exitLeaves(source)) {
        for (const to of entryLeaves(layer.id)) {
          const key = `${from}\u0000${to}`;
          if (from === to || edgeKeys.has(key)) continue;
          edgeKeys.add(key);
          edges.push({ from, to });
        }
      }
    }
  }
  return { nodes, edges };
}

/** The name a graph-model input refers to: without a control-dependency "^" or an output index ":1". */
export function inputNodeName(input: string): string {
  return input.replace(/^\^/, '').replace(/:\d+$/, '');
}

const DETAIL_ATTRIBUTES = ['shape', 'dtype', 'T', 'padding', 'strides'];

/**
 * A TF.js graph model's ops as a diagram. Constants (the weights and fixed
 * arguments) are left out by default, as model viewers do: they would double
 * the nodes and say little about the flow.
 */
export function opDiagram(allNodes: readonly GraphNode[], options: { constants?: boolean } = {}): Diagram {
  const graphNodes = options.constants ? allNodes : allNodes.filter((node) => node.op !== 'Const');
  const names = new Set(graphNodes.map((node) => node.name));
  const edgeKeys = new Set<string>();
  const edges: DiagramEdge[] = [];
  const nodes = graphNodes.map((node): DiagramNode => {
    for (const input of node.inputs) {
      const from = inputNodeName(input);
      const key = `${from}\u0000${node.name}`;
      if (!names.has(from) || from === node.name || edgeKeys.has(key)) continue;
      edgeKeys.add(key);
      edges.push({ from, to: node.name });
    }
    const detailKey = DETAIL_ATTRIBUTES.find((key) => node.attributes[key] !== undefined);
    return { id: node.name, title: node.op, name: node.name, detail: detailKey ? `${detailKey}: ${node.attributes[detailKey]}` : '', cluster: false };
  });
  return { nodes, edges };
}

export type LayerCategory = 'input' | 'conv' | 'dense' | 'recurrent' | 'attention' | 'norm' | 'activation' | 'pool' | 'merge' | 'reshape' | 'regularize' | 'model' | 'other';

const CATEGORY_RULES: Array<[RegExp, LayerCategory]> = [
  [/^(InputLayer|Placeholder|Const)$/, 'input'],
  [/^(Sequential|Functional|Model)$/, 'model'],
  [/Attention/, 'attention'],
  [/(LSTM|GRU|RNN|Bidirectional|TimeDistributed)/, 'recurrent'],
  [/Pool/, 'pool'],
  [/(Conv|Depthwise)/, 'conv'],
  [/^(Dense|EinsumDense|Embedding|MatMul|_FusedMatMul|BatchMatMul\w*|Einsum)$/, 'dense'],
  [/(Normali[sz]ation|Norm$|FusedBatchNorm)/, 'norm'],
  [/^(Activation|ReLU|LeakyReLU|PReLU|ELU|Softmax|ThresholdedReLU|Relu6?|Elu|Selu|Sigmoid|Tanh|Softplus|Swish|LeakyRelu|Prelu)$/, 'activation'],
  [/^(Add|AddV2|BiasAdd|Subtract|Sub|Multiply|Mul|Average|Maximum|Minimum|Concatenate|ConcatV2|Concat|Dot)$/, 'merge'],
  [/^(Flatten|Reshape|Permute|RepeatVector|Cropping\w*|ZeroPadding\w*|UpSampling\w*|Squeeze|ExpandDims|Transpose|Pad|Identity|StridedSlice|Slice|Gather\w*)$/, 'reshape'],
  [/(Dropout|Noise|ActivityRegularization)/, 'regularize'],
];

/** A coarse family for a layer class or op, which the graph colours its nodes by. */
export function layerCategory(className: string): LayerCategory {
  return CATEGORY_RULES.find(([pattern]) => pattern.test(className))?.[1] ?? 'other';
}
