/**
 * The model IR and everything the engine reports about a model file: what
 * the parsers produce (ParsedModel minus its reader), what the static
 * analysis adds (ModelSummary), weight statistics and a run's profile.
 * Plain JSON only: the worker sends these to the host, the host to the
 * webview, the CLI prints them.
 */

/** A tensor shape; null is a dimension unknown until run time (the batch, a sequence length). */
export type Shape = Array<number | null>;

export type ModelFormat =
  /** Keras .h5/.hdf5 written by model.save(): architecture and weights. */
  | 'keras-h5'
  /** Keras .h5 written by save_weights(): weights only. */
  | 'keras-h5-weights'
  /** Keras 3 .keras zip (config.json + model.weights.h5). */
  | 'keras-v3'
  | 'tfjs-layers'
  | 'tfjs-graph'
  /** An HDF5 file that holds no Keras model (a data file). */
  | 'hdf5-data'
  /** torch.save output: zip (>= 1.6), legacy pickle stream, or old tar; state_dicts, checkpoints, whole models. */
  | 'pytorch'
  /** A TorchScript archive (torch.jit.save). */
  | 'torchscript'
  | 'onnx'
  | 'safetensors';

/** Where a layer's input comes from: the `node`-th call of `layer`, its `tensor`-th output. */
export interface TensorRef {
  /** The id of a layer in the same ModelIR (see IRLayer.id). */
  layer: string;
  node: number;
  tensor: number;
}

/** One layer, normalised from Keras 1.x, 2.x, 3.x or TF.js configs. */
export interface IRLayer {
  /** Unique in the model: the names from the outermost model down, joined by '/' (e.g. `encoder/conv2d`). */
  id: string;
  name: string;
  /** Keras class name after renames (BatchNormalizationV2 -> BatchNormalization, Convolution2D -> Conv2D). */
  className: string;
  /** Id of the nested model that contains this layer; undefined at the top level. */
  parent?: string;
  /** 0 at the top level, 1 inside a nested model, ... */
  depth: number;
  /** A nested Sequential/Functional model; its layers follow it in ModelIR.layers. */
  isModel: boolean;
  /**
   * The layer's config in Keras 2 spelling: snake_case keys, `batch_input_shape`,
   * `dtype` as a string, Keras 1 keys renamed (nb_filter -> filters, ...).
   * Nested objects (initializers, regularizers) are kept as found.
   */
  config: Record<string, unknown>;
  /**
   * One entry per call of the layer: the tensors it was called on. Filled for
   * Sequential models too (each layer takes the previous one), so consumers
   * need no special case. Empty for InputLayer and for the first layer of a
   * Sequential (whose input is the model's input, see ModelIR/`inputs`).
   */
  inboundNodes: TensorRef[][];
  /** For a nested model: the refs of its own inputs and outputs (its children). */
  inputs?: TensorRef[];
  outputs?: TensorRef[];
  /** Paths (WeightTensor.path) of this layer's weights, in the order the layer's `weights` lists them. */
  weightPaths: string[];
  trainable: boolean;
}

export interface ModelIR {
  /** Sequential | Functional | Model (Keras 2 functional) | GraphModel */
  className: string;
  name: string;
  /** All layers, flattened pre-order: a nested model, then its layers. */
  layers: IRLayer[];
  inputs: TensorRef[];
  outputs: TensorRef[];
}

export interface Quantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
}

/** One weight tensor stored in the file. */
export interface WeightTensor {
  /** Where it is in the file: an HDF5 dataset path or a TF.js manifest name. Unique. */
  path: string;
  /** The id of the layer it belongs to; '' when no layer claims it. */
  layer: string;
  /** Short name: kernel, bias, gamma, moving_mean, embeddings, ... */
  name: string;
  shape: number[];
  /** Element type as stored: float32, float16, bfloat16, int32, uint8, ... */
  dtype: string;
  /** Bytes as stored in the file. */
  bytes: number;
  trainable: boolean;
  quantization?: Quantization;
  /** Other layer ids that use this same tensor (tied weights): params count it once. */
  sharedWith?: string[];
  /** Where the tensor was saved from, when the file says (PyTorch: `cpu`, `cuda:0`). */
  device?: string;
  /**
   * PyTorch: tensors that are views of one storage share its key; the first
   * tensor of a storage counts its params, later ones are flagged as tied.
   */
  storage?: string;
}

/** One operation of a TF.js graph model. */
export interface GraphNode {
  name: string;
  op: string;
  inputs: string[];
  /** Attribute values worth showing (dtype, shape, strides, padding, ...), as display strings. */
  attributes: Record<string, string>;
}

/** One entry of an HDF5 file that is not a model. */
export interface HDF5Entry {
  path: string;
  kind: 'group' | 'dataset';
  shape?: number[];
  dtype?: string;
}

export interface TensorSpec {
  name: string;
  shape: Shape;
  dtype: string;
  /** Names of symbolic dimensions where `shape` has null (ONNX `batch`, `seq_len`); null where unnamed. */
  dimNames?: Array<string | null>;
}

/**
 * A module of a PyTorch model, known from its tensor names and shapes (or from the
 * class a pickle names): no code is run. `features.0.weight` gives `features` > `0`.
 */
export interface ModuleNode {
  /** The dotted path as in the state_dict (`features.0`). Unique; the root module is implicit. */
  id: string;
  /** The last part of the path. */
  name: string;
  parent?: string;
  /** 0 for the root's children. */
  depth: number;
  /** Conv2d, Linear, BatchNorm2d, LSTM, MultiheadAttention, ...; `Module` for a container. */
  className: string;
  /** `pickle`: the class the file names; `inferred`: from tensor names and shapes; `container`: holds only submodules. */
  classSource: 'pickle' | 'inferred' | 'container';
  /** What the tensors tell: in_channels, out_channels, kernel_size, hidden_size, num_layers, bidirectional, ... */
  settings: Record<string, string>;
  /** Paths (WeightTensor.path) of this module's own tensors, not its children's. */
  weightPaths: string[];
}

/** A fact about the file beside the model: epoch, versions, optimizer state size, hyper-parameters. */
export interface FileFact {
  label: string;
  value: string;
}

export interface OnnxInfo {
  irVersion: number;
  opsets: Array<{ domain: string; version: number }>;
  /** Operator domains other than the standard ones (ai.onnx, ai.onnx.ml). */
  customDomains: string[];
  /** Initializers stored outside the file: shown, never read outside the model's folder. */
  externalData: Array<{ tensor: string; location: string; problem?: string }>;
}

/** What the parsers know about a file, before any analysis. */
export interface ParsedModelInfo {
  file: string;
  /** Bytes on disk; for TF.js models model.json and its weight shards together. */
  fileBytes: number;
  format: ModelFormat;
  /** One line for people: "Keras 2 HDF5 (full model)", "TF.js layers model", ... */
  formatLabel: string;
  framework: 'keras' | 'tensorflow.js' | 'hdf5' | 'pytorch' | 'onnx' | 'safetensors';
  /** Who wrote it, as the file says: "Keras 2.1.3 (tensorflow backend)", "TensorFlow.js Converter v4.22.0". */
  producer: string;
  /** Absent when the file holds no architecture (weights only, data file, graph model). */
  model?: ModelIR;
  weights: WeightTensor[];
  /** TF.js graph models: ops and signature. */
  graph?: { nodes: GraphNode[]; inputs: TensorSpec[]; outputs: TensorSpec[] };
  /** HDF5 files that are not Keras models: what they hold (bounded list). */
  contents?: HDF5Entry[];
  /** PyTorch: the module tree (layers of the summary). */
  modules?: ModuleNode[];
  /** Checkpoint keys, versions, optimizer and scheduler state, hyper-parameters, ... */
  facts?: FileFact[];
  /** Classes and functions the file's pickles name (e.g. `__main__.Net`); none of them was run. */
  referencedGlobals?: string[];
  /** TorchScript: the code files in the archive. */
  codeFiles?: string[];
  onnx?: OnnxInfo;
  /** Things a user should know: unknown class names mapped, weights not matched, ... */
  warnings: string[];
}

/** One row of the layer table. */
export interface LayerSummary {
  id: string;
  name: string;
  className: string;
  parent?: string;
  depth: number;
  isModel: boolean;
  /** Key settings as display strings: units, filters, kernel_size, strides, activation, ... */
  settings: Record<string, string>;
  /** Ids of the layers feeding it (first call), for "Connected to". */
  connectedTo: string[];
  /** Static output shapes; empty when no shape rule knows the layer. */
  outputShapes: Shape[];
  /** For a nested model: totals of its layers. Shared weights counted once. */
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Multiply-accumulates for one sample (batch 1); null when there is no rule for the layer. */
  macs: number | null;
  weightBytes: number;
  trainable: boolean;
}

/** The static summary: parse + shapes + params + MACs. No weights read, nothing run. */
export interface ModelSummary {
  file: string;
  fileBytes: number;
  format: ModelFormat;
  formatLabel: string;
  framework: ParsedModelInfo['framework'];
  producer: string;
  /** Sequential, Functional, GraphModel, or '' when the file holds no architecture. */
  modelClass: string;
  /** The model's own name (ModelIR.name); '' when the file has none. */
  name: string;
  hasArchitecture: boolean;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  layers: LayerSummary[];
  weights: WeightTensor[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Sum over the layers with a rule; `macsComplete` says whether every layer had one. */
  macs: number;
  macsComplete: boolean;
  weightBytes: number;
  weightBytesByDtype: Record<string, number>;
  graph?: ParsedModelInfo['graph'];
  contents?: HDF5Entry[];
  facts?: FileFact[];
  referencedGlobals?: string[];
  codeFiles?: string[];
  onnx?: OnnxInfo;
  warnings: string[];
  /** Layer classes TF.js cannot run even with our own layers; empty when all can. */
  unsupportedLayers: string[];
  /** Milliseconds spent parsing and analysing. */
  parseMs: number;
}

export interface ValueStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Fraction of exact zeros, 0..1. */
  zeros: number;
  nan: number;
  inf: number;
}

export interface WeightStats extends ValueStats {
  path: string;
}

export type InputKind = 'zeros' | 'uniform' | 'normal';

export interface RunOptions {
  input: InputKind;
  batchSize: number;
  /** Value for every other unknown dimension (sequence length, image size). */
  unknownDim: number;
}

export interface LayerRun {
  id: string;
  outputShapes: number[][];
  /** Time of this layer in the first and in a warm pass, ms. */
  firstMs: number;
  warmMs: number;
  stats: ValueStats;
}

export interface OutputPreview {
  name: string;
  shape: number[];
  /** The first values of the first sample. */
  values: number[];
  /** For an output that sums to 1 over its last axis (softmax): the 5 largest of the first sample. */
  top5?: Array<{ index: number; value: number }>;
}

export interface RunResult {
  backend: string;
  options: RunOptions;
  inputShapes: number[][];
  outputShapes: number[][];
  rebuildMs: number;
  firstMs: number;
  warmMs: number;
  layers: LayerRun[];
  outputs: OutputPreview[];
  /** Largest sum of live activation bytes during the pass. */
  peakActivationBytes: number;
  warnings: string[];
}
