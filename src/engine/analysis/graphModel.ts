/**
 * TF.js graph models: one row per operation (constants fold into the op
 * that reads them), static shapes where the inputs' signature and the
 * stored constants tell them, and MACs for the ops that do the work:
 * MatMul/_FusedMatMul (k × n per sample: a TF MatMul multiplies matrices
 * whose rows are the batch, so one row per sample), BatchMatMul,
 * Conv2D/_FusedConv2D, DepthwiseConv2dNative, Conv2DBackpropInput and
 * FusedBatchNorm. Other ops (element-wise, data movement) count 0.
 */
import type { GraphNode, LayerSummary, ParsedModelInfo, Shape, WeightTensor } from '../../protocol/model';
import { broadcast, convLength, multiply, product, sampleElements, type Dim } from './shapeMath';
import { elementsOf } from './params';

type Graph = NonNullable<ParsedModelInfo['graph']>;

/** A data input of a node: `name`, `name:1`; control inputs (`^name`) are skipped. */
function dataInputs(node: GraphNode): Array<{ name: string; index: number }> {
  return node.inputs
    .filter((input) => !input.startsWith('^'))
    .map((input) => {
      const match = /^(.*):(\d+)$/.exec(input);
      return match ? { name: match[1] ?? input, index: Number(match[2]) } : { name: input, index: 0 };
    });
}

/** Ints in an attribute's display text ("[1, 2, 2, 1]", "1,2,2,1"). */
function intsOf(text: string | undefined): number[] {
  return (text?.match(/-?\d+/g) ?? []).map(Number);
}

function flag(text: string | undefined): boolean {
  return text !== undefined && /true/i.test(text);
}

function paddingOf(node: GraphNode): 'same' | 'valid' | undefined {
  const text = node.attributes['padding'] ?? '';
  if (/SAME/i.test(text)) return 'same';
  if (/VALID/i.test(text)) return 'valid';
  return undefined;
}

/** A Placeholder's shape from its `shape` attribute; -1, ? and None are unknown. */
function attributeShape(text: string | undefined): Shape | undefined {
  if (text === undefined || /unknown/i.test(text)) return undefined;
  const tokens = text.match(/-?\d+|\?|None|null/g);
  if (!tokens) return undefined;
  return tokens.map((token) => (/^\d+$/.test(token) ? Number(token) : null));
}

const PASS_THROUGH = new Set(
  'Identity Snapshot StopGradient Cast BiasAdd Relu Relu6 Elu Selu Sigmoid Tanh Softmax LogSoftmax Softplus Softsign LeakyRelu Square Sqrt Rsqrt Exp Log Log1p Neg Abs Erf Floor Ceil Round Reciprocal Sign ZerosLike OnesLike Prelu'.split(' '),
);
const BROADCAST = new Set('Add AddV2 AddN Mul Sub RealDiv Div DivNoNan Maximum Minimum Pow SquaredDifference FloorDiv FloorMod'.split(' '));
const CONV = new Set(['Conv2D', '_FusedConv2D']);
const DEPTHWISE = new Set(['DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative']);
const MATMUL = new Set(['MatMul', '_FusedMatMul']);
const BATCH_MATMUL = new Set(['BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3']);
const BATCH_NORM = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);
const POOL = new Set(['MaxPool', 'AvgPool']);
/** Ops that do real work: without a rule or a shape their MACs are unknown, not 0. */
const HEAVY = new Set([...CONV, ...DEPTHWISE, ...MATMUL, ...BATCH_MATMUL, ...BATCH_NORM, 'Conv2DBackpropInput', 'Conv3D', 'Einsum']);

/** Spatial window of an NHWC/NCHW op from its attributes (strides/dilations/ksize are 4-long). */
function spatialPair(values: number[], channelsFirst: boolean): [number, number] {
  if (values.length === 4) return channelsFirst ? [values[2] ?? 1, values[3] ?? 1] : [values[1] ?? 1, values[2] ?? 1];
  if (values.length === 2) return [values[0] ?? 1, values[1] ?? 1];
  return [1, 1];
}

function matmulDims(node: GraphNode, a: Shape | undefined, b: Shape | undefined): { m: Dim; k: Dim; n: Dim } | undefined {
  if (!b || b.length !== 2) return undefined;
  const transposeB = flag(node.attributes['transpose_b']);
  const [k, n] = transposeB ? [b[1] ?? null, b[0] ?? null] : [b[0] ?? null, b[1] ?? null];
  const m = a && a.length === 2 ? ((flag(node.attributes['transpose_a']) ? a[1] : a[0]) ?? null) : null;
  return { m, k, n };
}

function outputShape(node: GraphNode, inputs: Array<Shape | undefined>): Shape | undefined {
  const [first, second] = inputs;
  if (PASS_THROUGH.has(node.op)) return first;
  if (BROADCAST.has(node.op)) {
    if (inputs.length === 0 || inputs.some((shape) => shape === undefined)) return undefined;
    return (inputs as Shape[]).reduce((left, right) => broadcast(left, right));
  }
  if (MATMUL.has(node.op)) {
    const dims = matmulDims(node, first, second);
    return dims && first ? [dims.m, dims.n] : undefined;
  }
  const channelsFirst = /NCHW/i.test(node.attributes['data_format'] ?? '');
  if ((CONV.has(node.op) || DEPTHWISE.has(node.op) || POOL.has(node.op)) && first?.length === 4) {
    const padding = paddingOf(node);
    if (!padding) return undefined;
    const [batch = null] = first;
    const [height, width, channels] = channelsFirst ? [first[2] ?? null, first[3] ?? null, first[1] ?? null] : [first[1] ?? null, first[2] ?? null, first[3] ?? null];
    const strides = spatialPair(intsOf(node.attributes['strides']), channelsFirst);
    const dilations = spatialPair(intsOf(node.attributes['dilations']), channelsFirst);
    let window: [number, number];
    let outChannels: Dim;
    if (POOL.has(node.op)) {
      window = spatialPair(intsOf(node.attributes['ksize']), channelsFirst);
      outChannels = channels;
    } else {
      if (second?.length !== 4) return undefined;
      window = [second[0] ?? 1, second[1] ?? 1];
      outChannels = DEPTHWISE.has(node.op) ? multiply(channels, second[3] ?? null) : (second[3] ?? null);
    }
    const outHeight = convLength(height, window[0], padding, strides[0], dilations[0]);
    const outWidth = convLength(width, window[1], padding, strides[1], dilations[1]);
    return channelsFirst ? [batch, outChannels, outHeight, outWidth] : [batch, outHeight, outWidth, outChannels];
  }
  return undefined;
}

/** MACs for one sample; 0 for ops that multiply nothing, null when unknown. */
function opMacs(node: GraphNode, inputs: Array<Shape | undefined>, output: Shape | undefined): number | null {
  if (!HEAVY.has(node.op)) return 0;
  const [first, second, third] = inputs;
  if (MATMUL.has(node.op)) {
    const dims = matmulDims(node, first, second);
    return dims ? multiply(dims.k, dims.n) : null;
  }
  if (BATCH_MATMUL.has(node.op)) {
    if (!output || !first || first.length < 2) return null;
    const k = flag(node.attributes['adj_x']) ? first[first.length - 2] : first[first.length - 1];
    return multiply(sampleElements(output), k ?? null);
  }
  if ((CONV.has(node.op) || DEPTHWISE.has(node.op)) && output?.length === 4 && second?.length === 4) {
    const channelsFirst = /NCHW/i.test(node.attributes['data_format'] ?? '');
    const positions = channelsFirst ? multiply(output[2] ?? null, output[3] ?? null) : multiply(output[1] ?? null, output[2] ?? null);
    return multiply(positions, product(second));
  }
  // Transposed convolution: inputs (output_shape, filter [kh, kw, out, in], value).
  if (node.op === 'Conv2DBackpropInput' && second?.length === 4 && third?.length === 4) {
    const channelsFirst = /NCHW/i.test(node.attributes['data_format'] ?? '');
    const positions = channelsFirst ? multiply(third[2] ?? null, third[3] ?? null) : multiply(third[1] ?? null, third[2] ?? null);
    return multiply(positions, product(second));
  }
  if (BATCH_NORM.has(node.op)) return first ? sampleElements(first) : null;
  return null;
}

const HIDDEN_ATTRIBUTES = /^(T[A-Za-z]*|SrcT|DstT|Truncate|N|num_args|_.*)$/;

export interface GraphAnalysis {
  rows: LayerSummary[];
  macs: number;
  macsComplete: boolean;
}

/** ONNX ops that multiply: without shape inference only Gemm's cost is known from its weight. */
const ONNX_HEAVY = new Set(['Conv', 'ConvTranspose', 'ConvInteger', 'Gemm', 'MatMul', 'MatMulInteger', 'QLinearConv', 'QLinearMatMul', 'BatchNormalization', 'LSTM', 'GRU', 'RNN', 'Attention', 'MultiHeadAttention', 'Einsum', 'InstanceNormalization', 'LayerNormalization']);

/**
 * MACs of an ONNX op for one sample: Gemm, and MatMul by a 2-D initializer,
 * multiply each row by the weight (K × N per sample); the other multiplying
 * ops need shapes the file may not carry, so they are unknown; everything
 * else multiplies nothing.
 */
function onnxOpMacs(node: GraphNode, weightShapes: Map<string, number[]>): number | null {
  if (!ONNX_HEAVY.has(node.op)) return 0;
  const weight = node.op === 'Gemm' || node.op === 'MatMul' ? weightShapes.get(dataInputs(node)[1]?.name ?? '') : undefined;
  return weight?.length === 2 ? product(weight) : null;
}

export function analyseGraph(graph: Graph, weights: WeightTensor[], dialect: 'tfjs' | 'onnx' = 'tfjs'): GraphAnalysis {
  const weightShapes = new Map(weights.map((weight) => [weight.path, weight.shape]));
  const nodes = new Map<string, GraphNode>();
  for (const node of graph.nodes) if (!nodes.has(node.name)) nodes.set(node.name, node);
  const weightsOf = new Map<string, WeightTensor[]>();
  for (const weight of weights) {
    const owner = nodes.has(weight.path) ? weight.path : weight.layer;
    const list = weightsOf.get(owner) ?? [];
    list.push(weight);
    weightsOf.set(owner, list);
  }

  const shapes = graphShapes(graph, nodes, weightsOf);
  // Each constant's tensors go to the first op that reads it.
  const claimed = new Set<string>();
  const rows: LayerSummary[] = [];
  let macs = 0;
  let macsComplete = true;
  for (const node of nodes.values()) {
    if (node.op === 'Const') continue;
    const inputs = dataInputs(node);
    const owned = [...(weightsOf.get(node.name) ?? [])];
    for (const input of inputs) {
      if (nodes.get(input.name)?.op !== 'Const' || claimed.has(input.name)) continue;
      claimed.add(input.name);
      owned.push(...(weightsOf.get(input.name) ?? []));
    }
    const params = owned.reduce((total, weight) => total + (elementsOf(weight) ?? 0), 0);
    const trainable = owned.reduce((total, weight) => total + (weight.trainable ? (elementsOf(weight) ?? 0) : 0), 0);
    const output = shapes.get(node.name);
    const inputShapes = inputs.map((input) => (input.index === 0 ? shapes.get(input.name) : undefined));
    let nodeMacs: number | null;
    try {
      nodeMacs = dialect === 'onnx' ? onnxOpMacs(node, weightShapes) : opMacs(node, inputShapes, output);
      if (nodeMacs !== null && !Number.isFinite(nodeMacs)) nodeMacs = null;
    } catch {
      // Attributes that do not parse: the op's cost is unknown, the rest of the graph still shows.
      nodeMacs = null;
    }
    if (nodeMacs === null) macsComplete = false;
    else macs += nodeMacs;
    rows.push({
      id: node.name,
      name: node.name,
      className: node.op,
      depth: 0,
      isModel: false,
      settings: Object.fromEntries(Object.entries(node.attributes).filter(([key]) => !HIDDEN_ATTRIBUTES.test(key))),
      connectedTo: [...new Set(inputs.map((input) => input.name).filter((name) => nodes.has(name) && nodes.get(name)?.op !== 'Const'))],
      outputShapes: output ? [output] : [],
      params,
      trainableParams: trainable,
      nonTrainableParams: params - trainable,
      macs: nodeMacs,
      weightBytes: owned.reduce((total, weight) => total + (Number.isFinite(weight.bytes) ? weight.bytes : 0), 0),
      trainable: true,
    });
  }
  return { rows, macs, macsComplete };
}

/** First-output shapes of the nodes, in dependency order; unknown ones are absent. */
function graphShapes(graph: Graph, nodes: Map<string, GraphNode>, weightsOf: Map<string, WeightTensor[]>): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const node of nodes.values()) {
    const sources = [...new Set(dataInputs(node).map((input) => input.name))].filter((name) => nodes.has(name) && name !== node.name);
    pending.set(node.name, sources.length);
    for (const source of sources) {
      const list = dependents.get(source) ?? [];
      list.push(node.name);
      dependents.set(source, list);
    }
  }
  const queue = [...nodes.values()].filter((node) => pending.get(node.name) === 0);
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    if (!node) continue;
    const shape = nodeShape(graph, node, shapes, weightsOf);
    if (shape) shapes.set(node.name, shape);
    for (const next of dependents.get(node.name) ?? []) {
      const left = (pending.get(next) ?? 0) - 1;
      pending.set(next, left);
      const waiting = nodes.get(next);
      if (left === 0 && waiting) queue.push(waiting);
    }
  }
  return shapes;
}

function nodeShape(graph: Graph, node: GraphNode, shapes: Map<string, Shape>, weightsOf: Map<string, WeightTensor[]>): Shape | undefined {
  if (node.op === 'Placeholder') {
    const spec = graph.inputs.find((input) => input.name === node.name || input.name === `${node.name}:0`);
    return spec ? spec.shape.map((dim) => (dim === null || dim < 0 ? null : dim)) : attributeShape(node.attributes['shape']);
  }
  if (node.op === 'Const') {
    const [weight] = weightsOf.get(node.name) ?? [];
    return weight && elementsOf(weight) !== undefined ? weight.shape : undefined;
  }
  const inputs = dataInputs(node).map((input) => (input.index === 0 ? shapes.get(input.name) : undefined));
  try {
    return outputShape(node, inputs);
  } catch {
    return undefined;
  }
}
