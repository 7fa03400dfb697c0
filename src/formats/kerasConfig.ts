/**
 * Keras model configs from Keras 1.x, 2.x (tf.keras) and 3.x, and the
 * topologies TF.js writes, normalised twice:
 *  (a) into the ModelIR (flat layer list with ids, nesting and edges), and
 *  (b) into a topology tfjs-layers 4.22's `modelFromJSON` accepts.
 * Both start from one canonical tree in Keras 2 spelling. Layer classes
 * TF.js lacks are kept as they are: the rebuild step decides about them.
 */
import type { IRLayer, ModelIR, TensorRef } from '../protocol/model';
import { FormatError } from './errors';

type Json = unknown;
type JsonObject = Record<string, Json>;

/** A Keras 2 style input of a layer call: `[layer, node, tensor, kwargs]`. */
interface RawRef {
  layer: string;
  node: number;
  tensor: number;
  kwargs: JsonObject;
}

/** One call of a layer: its positional inputs, plus tensors passed as keyword arguments. */
interface RawNode {
  inputs: RawRef[];
  kwargTensors: RawRef[];
}

interface CanonicalLayer {
  name: string;
  className: string;
  /** Keras 2 spelling; for a nested model, without its `layers`. */
  config: JsonObject;
  nodes: RawNode[];
  model?: CanonicalModel;
}

interface CanonicalModel {
  className: string;
  name: string;
  sequential: boolean;
  layers: CanonicalLayer[];
  /** Functional only: the model's inputs and outputs, `[layer, node, tensor]`. */
  inputs: RawRef[];
  outputs: RawRef[];
}

export interface NormalisedKerasModel {
  ir: ModelIR;
  /** What tfjs-layers' modelFromJSON accepts: Keras 2 spelling, no training config. */
  topology: { class_name: string; config: JsonObject };
  warnings: string[];
}

const MAX_NESTING = 32;

/** Old and internal class names -> the Keras 2 name. */
const CLASS_RENAMES: Record<string, string> = {
  BatchNormalizationV1: 'BatchNormalization',
  BatchNormalizationV2: 'BatchNormalization',
  UnifiedGRU: 'GRU',
  UnifiedLSTM: 'LSTM',
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  AtrousConvolution1D: 'Conv1D',
  AtrousConvolution2D: 'Conv2D',
  Deconvolution2D: 'Conv2DTranspose',
  Deconvolution3D: 'Conv3DTranspose',
  SeparableConvolution1D: 'SeparableConv1D',
  SeparableConvolution2D: 'SeparableConv2D',
};

/** Keras 1 `Merge(mode=...)` -> the Keras 2 merge layer. */
const MERGE_MODES: Record<string, string> = {
  sum: 'Add',
  mul: 'Multiply',
  concat: 'Concatenate',
  ave: 'Average',
  max: 'Maximum',
  dot: 'Dot',
  cos: 'Dot',
};

const DTYPE_POLICIES = new Set(['DTypePolicy', 'FloatDTypePolicy', 'QuantizedDTypePolicy', 'QuantizedFloat8DTypePolicy', 'Policy', 'PolicyV1']);
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
/** Keys whose value is itself a serialized layer (wrappers, RNN cells). */
const NESTED_LAYER_KEYS = ['layer', 'backward_layer', 'cell'];

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asInt(value: Json): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** Keras 3 wraps tuples as `{class_name: "__tuple__", config: {value: [...]}}`: Keras 2 wrote lists. */
function untuple(value: Json, depth = 0): Json {
  // Configs are a few levels deep; anything deeper is left as found rather than recursed into.
  if (depth > 64) return value;
  if (Array.isArray(value)) return value.map((item) => untuple(item, depth + 1));
  if (!isObject(value)) return value;
  if (value.class_name === '__tuple__' && isObject(value.config) && Array.isArray(value.config.value)) {
    return value.config.value.map((item) => untuple(item, depth + 1));
  }
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) out[key] = untuple(item, depth + 1);
  return out;
}

/** A dtype policy object (`{class_name: "DTypePolicy", config: {name}}`) -> its name. */
function dtypeName(value: Json): Json {
  if (isObject(value) && typeof value.class_name === 'string' && DTYPE_POLICIES.has(value.class_name) && isObject(value.config)) {
    const name = value.config.name;
    if (typeof name === 'string') return name;
  }
  return value;
}

class Normaliser {
  readonly warnings = new Set<string>();
  private readonly renamed = new Set<string>();
  private thOrdering = false;

  constructor(private readonly file: string) {}

  fail(problem: string): FormatError {
    return new FormatError(this.file, problem);
  }

  finalWarnings(): string[] {
    const out: string[] = [];
    if (this.renamed.size) out.push(`Old Keras class names renamed: ${[...this.renamed].sort().join(', ')}.`);
    if (this.thOrdering) {
      out.push("Keras 1 layers with dim_ordering 'th' (channels first): their kernels are stored in Theano layout.");
    }
    return [...out, ...this.warnings];
  }

  /** Keras 1 keys, Keras 3 values and old class names -> Keras 2 spelling. Returns the new class name and config. */
  layerConfig(className: string, raw: JsonObject): { className: string; config: JsonObject } {
    const config: JsonObject = {};
    for (const [key, value] of Object.entries(raw)) config[key] = untuple(value);
    let target = CLASS_RENAMES[className] ?? className;
    if (target !== className) this.renamed.add(`${className} → ${target}`);

    if ('batch_shape' in config) {
      if (!('batch_input_shape' in config)) config.batch_input_shape = config.batch_shape;
      delete config.batch_shape;
    }
    if ('dtype' in config) config.dtype = dtypeName(config.dtype);
    if ('input_dtype' in config) {
      config.dtype ??= config.input_dtype;
      delete config.input_dtype;
    }
    renameKeras1Keys(target, config);
    if (config.dim_ordering !== undefined) {
      const ordering = config.dim_ordering;
      if (ordering === 'th') this.thOrdering = true;
      config.data_format ??= ordering === 'th' ? 'channels_first' : 'channels_last';
      delete config.dim_ordering;
    }
    if (target === 'Merge' && typeof config.mode === 'string' && MERGE_MODES[config.mode] && !Array.isArray(config.layers)) {
      const mode = config.mode;
      target = MERGE_MODES[mode] ?? target;
      this.renamed.add(`Merge(mode='${mode}') → ${target}`);
      if (mode === 'concat') config.axis = config.concat_axis ?? -1;
      if (mode === 'dot' || mode === 'cos') config.axes = config.dot_axes ?? -1;
      if (mode === 'cos') config.normalize = true;
      for (const key of ['mode', 'concat_axis', 'dot_axes', 'mode_type', 'output_shape', 'output_shape_type', 'output_mask', 'output_mask_type', 'arguments', 'layers']) {
        delete config[key];
      }
    } else if (target === 'Merge') {
      this.warnings.add('A Keras 1 Merge layer of whole branches (or a custom mode) is kept as it is: TF.js cannot rebuild it.');
    }
    for (const key of NESTED_LAYER_KEYS) {
      const nested = config[key];
      if (isObject(nested) && typeof nested.class_name === 'string') config[key] = this.nestedLayer(nested);
    }
    if (Array.isArray(config.cells)) config.cells = config.cells.map((cell) => (isObject(cell) && typeof cell.class_name === 'string' ? this.nestedLayer(cell) : cell));
    return { className: target, config };
  }

  /** A layer serialized inside another's config (a wrapper's `layer`, an RNN's `cell`). */
  private nestedLayer(layer: JsonObject): JsonObject {
    const className = layer.class_name as string;
    const { className: renamed, config } = this.layerConfig(className, isObject(layer.config) ? layer.config : {});
    return { ...layer, class_name: renamed, config };
  }

  /** A model config `{class_name, config}` -> the canonical tree. */
  model(entry: JsonObject, depth: number): CanonicalModel {
    if (depth > MAX_NESTING) throw this.fail(`models nested more than ${MAX_NESTING} deep`);
    const className = typeof entry.class_name === 'string' ? entry.class_name : '';
    const config = entry.config;
    const layerList = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
    if (!Array.isArray(layerList)) throw this.fail(`the ${className || 'model'} config has no list of layers`);
    const name = isObject(config) && typeof config.name === 'string' ? config.name : className.toLowerCase() || 'model';
    const sequential = className === 'Sequential' || !(isObject(config) && ('input_layers' in config || 'output_layers' in config));
    const layers: CanonicalLayer[] = [];
    const seen = new Set<string>();
    layerList.forEach((item, index) => {
      if (!isObject(item)) throw this.fail(`layer ${index} of ${name} is not an object`);
      const layer = this.layer(item, index, depth);
      if (seen.has(layer.name)) {
        this.warnings.add(`Layer name ${layer.name} appears twice in ${name}; the second is shown as ${layer.name}_${index}.`);
        layer.name = `${layer.name}_${index}`;
      }
      seen.add(layer.name);
      layers.push(layer);
    });
    const model: CanonicalModel = { className: className || 'Sequential', name, sequential, layers, inputs: [], outputs: [] };
    if (!sequential && isObject(config)) {
      model.inputs = this.refTriples(config.input_layers, name);
      model.outputs = this.refTriples(config.output_layers, name);
    }
    return model;
  }

  private layer(item: JsonObject, index: number, depth: number): CanonicalLayer {
    const rawClass = typeof item.class_name === 'string' ? item.class_name : 'Unknown';
    const rawConfig = isObject(item.config) ? item.config : {};
    const name =
      typeof item.name === 'string' ? item.name : typeof rawConfig.name === 'string' ? rawConfig.name : `${rawClass.toLowerCase()}_${index}`;
    const nodes = Array.isArray(item.inbound_nodes) ? item.inbound_nodes.map((node) => this.node(node, name)) : [];
    const isModel = MODEL_CLASSES.has(rawClass) || (Array.isArray(rawConfig.layers) && ('input_layers' in rawConfig || rawClass.includes('Sequential')));
    if (isModel) {
      const model = this.model({ class_name: rawClass, config: item.config ?? {} }, depth + 1);
      const config: JsonObject = {};
      for (const [key, value] of Object.entries(rawConfig)) if (key !== 'layers') config[key] = untuple(value);
      if ('dtype' in config) config.dtype = dtypeName(config.dtype);
      config.name ??= name;
      return { name, className: rawClass, config, nodes, model };
    }
    const { className, config } = this.layerConfig(rawClass, rawConfig);
    config.name ??= name;
    return { name, className, config, nodes };
  }

  /** One inbound node: Keras 1/2 `[[layer, node, tensor, kwargs?], ...]` or Keras 3 `{args, kwargs}`. */
  private node(node: Json, layerName: string): RawNode {
    if (Array.isArray(node)) {
      const inputs: RawRef[] = [];
      const kwargTensors: RawRef[] = [];
      for (const item of node) {
        if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
        const kwargs = isObject(item[3]) ? item[3] : {};
        inputs.push({ layer: item[0], node: asInt(item[1]) ?? 0, tensor: asInt(item[2]) ?? 0, kwargs });
        collectKeras2Tensors(kwargs, kwargTensors);
      }
      return { inputs, kwargTensors };
    }
    if (isObject(node)) {
      const inputs: RawRef[] = [];
      const kwargTensors: RawRef[] = [];
      collectKeras3Tensors(node.args, inputs);
      const kwargs = isObject(node.kwargs) ? node.kwargs : {};
      collectKeras3Tensors(kwargs, kwargTensors);
      const plainKwargs = keras3KwargsToKeras2(kwargs) as JsonObject;
      for (const ref of inputs) ref.kwargs = plainKwargs;
      return { inputs, kwargTensors };
    }
    this.warnings.add(`An inbound node of ${layerName} has an unknown form and was ignored.`);
    return { inputs: [], kwargTensors: [] };
  }

  /** `input_layers`/`output_layers`: a list of triples, one flat triple (Keras 3, one input), or a nested structure of them. */
  private refTriples(value: Json, modelName: string): RawRef[] {
    const out: RawRef[] = [];
    const visit = (item: Json, depth: number) => {
      if (depth > 8) return;
      if (Array.isArray(item) && typeof item[0] === 'string' && item.length >= 3 && typeof item[1] === 'number') {
        out.push({ layer: item[0], node: asInt(item[1]) ?? 0, tensor: asInt(item[2]) ?? 0, kwargs: {} });
      } else if (Array.isArray(item)) {
        for (const child of item) visit(child, depth + 1);
      } else if (isObject(item)) {
        if (item.class_name === '__keras_tensor__') collectKeras3Tensors(item, out);
        else for (const child of Object.values(item)) visit(child, depth + 1);
      }
    };
    visit(value, 0);
    if (value !== undefined && out.length === 0) this.warnings.add(`The inputs or outputs of ${modelName} could not be read.`);
    return out;
  }
}

/** Keras 1 keys -> Keras 2 keys, in place. Keys Keras 2 also uses are left alone. */
function renameKeras1Keys(className: string, config: JsonObject): void {
  const move = (from: string, to: string, transform: (value: Json) => Json = (value) => value) => {
    if (!(from in config)) return;
    if (!(to in config)) config[to] = transform(config[from]);
    delete config[from];
  };
  const list = (value: Json) => (Array.isArray(value) ? value : [value]);
  const embedding = className === 'Embedding';
  if ('nb_filter' in config) move('nb_filter', 'filters');
  if ('nb_row' in config || 'nb_col' in config) {
    if (!('kernel_size' in config)) config.kernel_size = [config.nb_row, config.nb_col];
    delete config.nb_row;
    delete config.nb_col;
  }
  if ('kernel_dim1' in config) {
    if (!('kernel_size' in config)) config.kernel_size = [config.kernel_dim1, config.kernel_dim2, config.kernel_dim3];
    delete config.kernel_dim1;
    delete config.kernel_dim2;
    delete config.kernel_dim3;
  }
  move('filter_length', 'kernel_size', list);
  move('border_mode', 'padding');
  move('subsample_length', 'strides', list);
  move('subsample', 'strides');
  move('atrous_rate', 'dilation_rate', list);
  move('pool_length', 'pool_size', list);
  if (/Pooling1D$/.test(className)) move('stride', 'strides', (value) => (value === null ? null : list(value)));
  if (!embedding) move('output_dim', 'units');
  move('init', embedding ? 'embeddings_initializer' : className === 'PReLU' ? 'alpha_initializer' : 'kernel_initializer');
  move('inner_init', 'recurrent_initializer');
  move('inner_activation', 'recurrent_activation');
  move('W_regularizer', embedding ? 'embeddings_regularizer' : 'kernel_regularizer');
  move('U_regularizer', 'recurrent_regularizer');
  move('b_regularizer', 'bias_regularizer');
  move('W_constraint', embedding ? 'embeddings_constraint' : 'kernel_constraint');
  move('U_constraint', 'recurrent_constraint');
  move('b_constraint', 'bias_constraint');
  move('dropout_W', 'dropout');
  move('dropout_U', 'recurrent_dropout');
  move('beta_init', 'beta_initializer');
  move('gamma_init', 'gamma_initializer');
  if (typeof config.bias === 'boolean') move('bias', 'use_bias');
  if (/Dropout/.test(className)) move('p', 'rate');
  if (className === 'GaussianNoise') move('sigma', 'stddev');
  if ('consume_less' in config) {
    const modes: Record<string, number> = { cpu: 0, mem: 1, gpu: 2 };
    move('consume_less', 'implementation', (value) => (typeof value === 'string' ? (modes[value] ?? 1) : value));
  }
  if ('forget_bias_init' in config) move('forget_bias_init', 'unit_forget_bias', (value) => value === 'one');
  if (className === 'BatchNormalization' && typeof config.mode === 'number') delete config.mode;
}

function isKerasTensor(value: Json): value is JsonObject & { config: JsonObject } {
  return isObject(value) && value.class_name === '__keras_tensor__' && isObject(value.config);
}

/** Keras 3 `__keras_tensor__` objects anywhere in `value`, in order. */
function collectKeras3Tensors(value: Json, out: RawRef[], depth = 0): void {
  if (depth > 16) return;
  if (isKerasTensor(value)) {
    const history = value.config.keras_history;
    if (Array.isArray(history) && typeof history[0] === 'string') {
      out.push({ layer: history[0], node: asInt(history[1]) ?? 0, tensor: asInt(history[2]) ?? 0, kwargs: {} });
    }
    return;
  }
  if (Array.isArray(value)) for (const item of value) collectKeras3Tensors(item, out, depth + 1);
  else if (isObject(value)) for (const item of Object.values(value)) collectKeras3Tensors(item, out, depth + 1);
}

/** Keras 2 kwargs hold tensors as `[layer, node, tensor]` triples. */
function collectKeras2Tensors(value: Json, out: RawRef[], depth = 0): void {
  if (depth > 16) return;
  if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'string' && Number.isInteger(value[1]) && Number.isInteger(value[2])) {
    out.push({ layer: value[0], node: value[1] as number, tensor: value[2] as number, kwargs: {} });
  } else if (Array.isArray(value)) {
    for (const item of value) collectKeras2Tensors(item, out, depth + 1);
  } else if (isObject(value)) {
    for (const item of Object.values(value)) collectKeras2Tensors(item, out, depth + 1);
  }
}

/** Keras 3 kwargs with tensor objects -> Keras 2 kwargs with `[layer, node, tensor]` triples. */
function keras3KwargsToKeras2(value: Json, depth = 0): Json {
  if (depth > 16) return null;
  if (isKerasTensor(value)) {
    const history = value.config.keras_history;
    return Array.isArray(history) ? history.slice(0, 3) : null;
  }
  if (Array.isArray(value)) return value.map((item) => keras3KwargsToKeras2(item, depth + 1));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = keras3KwargsToKeras2(item, depth + 1);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------- (a) the IR

class IRBuilder {
  readonly layers: IRLayer[] = [];

  constructor(private readonly normaliser: Normaliser) {}

  /** Adds a model's layers (pre-order) under `prefix`; returns the model's input and output refs. */
  addModel(model: CanonicalModel, parent: IRLayer | undefined, depth: number): { inputs: TensorRef[]; outputs: TensorRef[] } {
    const prefix = parent ? `${parent.id}/` : '';
    const idOf = new Map(model.layers.map((layer) => [layer.name, `${prefix}${layer.name}`]));
    const resolve = (refs: RawRef[], where: string, quiet = false): TensorRef[] => {
      const out: TensorRef[] = [];
      for (const ref of refs) {
        const id = idOf.get(ref.layer);
        if (id === undefined) {
          if (!quiet) this.normaliser.warnings.add(`${where} refers to ${ref.layer}, which is not a layer of ${model.name}; that input was ignored.`);
          continue;
        }
        out.push({ layer: id, node: ref.node, tensor: ref.tensor });
      }
      return out;
    };
    let previous: IRLayer | undefined;
    for (const layer of model.layers) {
      const trainable = layer.config.trainable !== false && (parent?.trainable ?? true);
      const irLayer: IRLayer = {
        id: `${prefix}${layer.name}`,
        name: layer.name,
        className: layer.className,
        depth,
        isModel: layer.model !== undefined,
        config: layer.config,
        inboundNodes: [],
        weightPaths: [],
        trainable,
      };
      if (parent) irLayer.parent = parent.id;
      if (model.sequential) {
        if (previous) irLayer.inboundNodes = [[{ layer: previous.id, node: 0, tensor: 0 }]];
      } else {
        // Keyword arguments can hold values that only look like tensor refs: those that resolve are inputs too.
        irLayer.inboundNodes = layer.nodes.map((node) => [...resolve(node.inputs, layer.name), ...resolve(node.kwargTensors, layer.name, true)]);
      }
      this.layers.push(irLayer);
      if (layer.model) {
        const ends = this.addModel(layer.model, irLayer, depth + 1);
        irLayer.inputs = ends.inputs;
        irLayer.outputs = ends.outputs;
      }
      previous = irLayer;
    }
    if (!model.sequential) return { inputs: resolve(model.inputs, `${model.name}'s inputs`), outputs: resolve(model.outputs, `${model.name}'s outputs`) };
    const first = model.layers[0];
    const inputs: TensorRef[] = first && first.className === 'InputLayer' ? [{ layer: `${prefix}${first.name}`, node: 0, tensor: 0 }] : [];
    const last = model.layers[model.layers.length - 1];
    const outputs: TensorRef[] = last ? [{ layer: `${prefix}${last.name}`, node: 0, tensor: 0 }] : [];
    return { inputs, outputs };
  }
}

// ------------------------------------------------------- (b) the TF.js topology

const TFJS_DTYPES = new Set(['float32', 'int32', 'bool', 'string', 'complex64']);

/** A dtype TF.js has: mixed precision and half floats compute in float32 there; other integers as int32. */
function tfjsDtype(dtype: Json): Json {
  if (typeof dtype !== 'string' || TFJS_DTYPES.has(dtype)) return dtype;
  if (/^u?int/.test(dtype)) return 'int32';
  return 'float32';
}

/**
 * The rebuild sets every weight from the file, so initializers only have to
 * construct: all become Zeros. TF.js 4.22's Orthogonal (Keras' default for
 * recurrent kernels) fails in Node ("rMat.flatten is not a function") and
 * random init of a large model is wasted time.
 */
function zerosInitializer(): JsonObject {
  return { class_name: 'Zeros', config: {} };
}

/** Layers whose TF.js default recurrent initializer is Orthogonal: it must be spelled out as Zeros. */
const RECURRENT_CLASSES = new Set(['LSTM', 'GRU', 'SimpleRNN', 'ConvLSTM2D', 'LSTMCell', 'GRUCell', 'SimpleRNNCell', 'ConvLSTM2DCell']);

function withZeroRecurrentInitializer(className: unknown, config: Json): void {
  if (typeof className === 'string' && RECURRENT_CLASSES.has(className) && isObject(config) && config.recurrent_initializer == null) {
    config.recurrent_initializer = zerosInitializer();
  }
}

const STRIPPED_KEYS = new Set(['module', 'registered_name', 'build_config', 'compile_config', 'shared_object_id']);

/** Keras 3 serialization wrappers removed, dtype policies as names, and what TF.js cannot construct replaced. */
function tfjsValue(value: Json, key: string, depth = 0): Json {
  if (depth > 64) return null;
  if (key === 'dtype') return tfjsDtype(dtypeName(value));
  if (key.endsWith('_initializer')) return value === null ? null : zerosInitializer();
  // Regularizers and constraints only act during training.
  if (key.endsWith('_regularizer') || key.endsWith('_constraint')) return null;
  if ((key === 'activation' || key === 'recurrent_activation') && value === 'silu') return 'swish';
  if (Array.isArray(value)) return value.map((item) => tfjsValue(item, '', depth + 1));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [childKey, child] of Object.entries(value)) {
    if (STRIPPED_KEYS.has(childKey)) continue;
    out[childKey] = tfjsValue(child, childKey, depth + 1);
  }
  // A serialized layer inside a config (a wrapper's `layer`, an RNN's `cell`).
  withZeroRecurrentInitializer(out.class_name, out.config);
  return out;
}

function tfjsLayerConfig(config: JsonObject): JsonObject {
  return tfjsValue(config, '') as JsonObject;
}

class TopologyBuilder {
  constructor(private readonly normaliser: Normaliser) {}

  model(model: CanonicalModel): { class_name: string; config: JsonObject } {
    if (model.sequential) {
      return { class_name: 'Sequential', config: { name: model.name, layers: model.layers.map((layer) => this.layer(layer, undefined)) } };
    }
    // How many calls each layer has in this model (a nested model and an InputLayer start with one of their own).
    const calls = new Map(model.layers.map((layer) => [layer.name, layer.nodes.length + (layer.model || layer.className === 'InputLayer' ? 1 : 0)]));
    return {
      class_name: model.className === 'Model' ? 'Model' : 'Functional',
      config: {
        name: model.name,
        layers: model.layers.map((layer) => this.layer(layer, calls)),
        input_layers: model.inputs.map((ref) => [ref.layer, ref.node, ref.tensor]),
        output_layers: model.outputs.map((ref) => [ref.layer, ref.node, ref.tensor]),
      },
    };
  }

  /** One layer entry; `calls` is given inside a functional model, whose entries carry names and inbound nodes. */
  private layer(layer: CanonicalLayer, calls: Map<string, number> | undefined): JsonObject {
    const entry: JsonObject = layer.model
      ? this.model(layer.model)
      : { class_name: layer.className, config: tfjsLayerConfig(layer.config) };
    withZeroRecurrentInitializer(entry.class_name, entry.config);
    if (layer.model && isObject(entry.config)) entry.config.name = layer.name;
    if (!calls) return entry;
    entry.name = layer.name;
    // tfjs-layers waits forever for an input that never appears: only refs to real calls are kept.
    entry.inbound_nodes = layer.nodes
      .map((node) =>
        node.inputs.filter((ref) => {
          const count = calls.get(ref.layer);
          const valid = count !== undefined && ref.node >= 0 && ref.node < count;
          // Unknown layers were already reported while building the IR; a call that does not exist was not.
          if (!valid && count !== undefined) this.normaliser.warnings.add(`${layer.name} uses call ${ref.node} of ${ref.layer}, which has only ${count}; that input was dropped.`);
          return valid;
        }),
      )
      .filter((node) => node.length > 0)
      .map((node) => node.map((ref) => [ref.layer, ref.node, ref.tensor, tfjsValue(ref.kwargs, 'kwargs')]));
    return entry;
  }
}

/**
 * Normalises a Keras model config (`{class_name, config}`, as found in
 * model_config, config.json or a TF.js modelTopology) into the IR and the
 * TF.js topology. `file` names the file in errors.
 */
export function normaliseKerasModel(file: string, modelConfig: Json): NormalisedKerasModel {
  if (!isObject(modelConfig) || typeof modelConfig.class_name !== 'string') {
    throw new FormatError(file, 'the model config is not a Keras model ({class_name, config} expected)');
  }
  const normaliser = new Normaliser(file);
  const model = normaliser.model(modelConfig, 0);
  const builder = new IRBuilder(normaliser);
  const ends = builder.addModel(model, undefined, 0);
  const topology = new TopologyBuilder(normaliser).model(model);
  const ir: ModelIR = { className: model.className, name: model.name, layers: builder.layers, inputs: ends.inputs, outputs: ends.outputs };
  return { ir, topology, warnings: normaliser.finalWarnings() };
}

/** Parses JSON from a model file, naming the file and the part on failure. */
export function parseJson(file: string, text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new FormatError(file, `${what} is not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
}

// ------------------------------------------------- weights against the IR

/** Variables Keras keeps out of training whatever the layer's `trainable` says. */
const NON_TRAINABLE_WEIGHTS = new Set(['moving_mean', 'moving_variance', 'running_mean', 'running_std', 'seed_generator_state', 'count']);

/** Whether a weight of `layer` (if known) called `shortName` is trained. */
export function isTrainableWeight(shortName: string, layer: IRLayer | undefined): boolean {
  if (NON_TRAINABLE_WEIGHTS.has(shortName)) return false;
  if (layer?.className === 'Normalization' && (shortName === 'mean' || shortName === 'variance')) return false;
  return layer?.trainable ?? true;
}

/** Looks layers up by parent and walks scoped weight names down the model tree. */
export class LayerIndex {
  private readonly children = new Map<string, IRLayer[]>();
  readonly byId = new Map<string, IRLayer>();

  constructor(readonly ir: ModelIR) {
    for (const layer of ir.layers) {
      this.byId.set(layer.id, layer);
      const key = layer.parent ?? '';
      const list = this.children.get(key) ?? [];
      list.push(layer);
      this.children.set(key, list);
    }
  }

  /** The layers directly inside `parent` (the top level when undefined). */
  childrenOf(parent: IRLayer | undefined): IRLayer[] {
    return this.children.get(parent?.id ?? '') ?? [];
  }

  topLevel(name: string): IRLayer | undefined {
    return this.childrenOf(undefined).find((layer) => layer.name === name);
  }

  /**
   * The layer a scoped variable name belongs to ("encoder/conv2d/kernel:0",
   * "sequential_7/conv2d_13/kernel", "lstm/lstm_cell/kernel"): each path
   * segment naming a layer of the current model descends into it; other
   * segments (outer scopes, cells) are skipped. Starts inside `scope`. When
   * the name leaves out a nested model ("dense/kernel" for encoder/dense),
   * a layer of that name that is unique below the scope is taken.
   */
  layerForScopedName(variableName: string, scope?: IRLayer): IRLayer | undefined {
    const segments = variableName.split('/').slice(0, -1);
    let found: IRLayer | undefined = scope;
    let candidates = this.childrenOf(scope);
    for (const segment of segments) {
      const match = candidates.find((layer) => layer.name === segment);
      if (!match) continue;
      found = match;
      if (!match.isModel) return match;
      candidates = this.childrenOf(match);
    }
    const below = found ? `${found.id}/` : '';
    for (const segment of [...segments].reverse()) {
      const named = this.ir.layers.filter((layer) => layer.name === segment && layer.id.startsWith(below) && !layer.isModel);
      if (named.length === 1) return named[0];
    }
    return found;
  }
}

/** "dense/kernel:0" -> "kernel". */
export function shortWeightName(variableName: string): string {
  const last = variableName.split('/').pop() ?? variableName;
  return last.replace(/:\d+$/, '');
}
