/**
 * The module tree of a PyTorch model, told from its tensors alone: dotted
 * state_dict names give the nesting (`layer1.0.downsample.1.running_mean` ->
 * layer1 > 0 > downsample > 1), and each module's own tensor names and shapes
 * give its likely class (a 4-D `weight` is a Conv2d, `weight_ih_l0` with 4×h
 * rows an LSTM, ...). Nothing is guessed silently: where the tensors fit more
 * than one class the choice and its evidence are in `settings`, and where no
 * rule decides the class stays `Module` with the reason.
 *
 * Every lookup keyed by a name from the file goes through a Map, so names such
 * as `__proto__` or `constructor` are plain strings here.
 */
import type { ModuleNode, WeightTensor } from '../protocol/model';

/** Deepest module nesting kept; deeper names keep their rest as one module name (real models nest < 20). */
export const MAX_MODULE_DEPTH = 64;

/** The setting that says why a module's class is `Module` although it holds tensors. */
export const UNKNOWN_TYPE = 'type unknown';
/** The setting that says which other classes store the same tensors as the one picked. */
export const AMBIGUOUS = 'ambiguous';

/** Where a tensor sits in the tree. */
export interface TensorLocation {
  /** Module path ('' for a tensor of the root module). */
  module: string;
  /** Module path split into names (empty for the root). */
  moduleParts: string[];
  /** The tensor's name inside its module: `weight`, `running_mean`, `parametrizations.weight.original0`. */
  name: string;
  /** Set when the module path was cut at MAX_MODULE_DEPTH. */
  truncated: boolean;
}

/**
 * Splits `features.0.weight` into module `features.0` and name `weight`.
 * The tensors of a parametrization (`conv.parametrizations.weight.original0`)
 * belong to the parametrized module (`conv`): they replace its `weight`.
 */
export function locateTensor(path: string): TensorLocation {
  const parts = path.split('.');
  let name = parts.pop() ?? '';
  let moduleParts = parts;
  const size = moduleParts.length;
  if (size >= 2 && moduleParts[size - 2] === 'parametrizations' && /^original\d+$/.test(name)) {
    name = `parametrizations.${moduleParts[size - 1] ?? ''}.${name}`;
    moduleParts = moduleParts.slice(0, size - 2);
  }
  // `.weight`: an empty module name at the top is the root itself (ids must stay unique).
  if (moduleParts.length === 1 && moduleParts[0] === '') moduleParts = [];
  let truncated = false;
  if (moduleParts.length > MAX_MODULE_DEPTH) {
    moduleParts = [...moduleParts.slice(0, MAX_MODULE_DEPTH - 1), moduleParts.slice(MAX_MODULE_DEPTH - 1).join('.')];
    truncated = true;
  }
  return { module: moduleParts.join('.'), moduleParts, name, truncated };
}

// ---------------------------------------------------------------------------
// Building the tree

interface Draft {
  id: string;
  name: string;
  parent: Draft | undefined;
  depth: number;
  children: Draft[];
  /** Own tensors by their name in the module; the first of two tensors with one name. */
  tensors: Map<string, WeightTensor>;
  weightPaths: string[];
  duplicateNames: string[];
  truncated: boolean;
}

class TreeDraft {
  readonly byId = new Map<string, Draft>();
  readonly topLevel: Draft[] = [];
  root: Draft | undefined;

  /** The module with these path parts, creating it and its ancestors in first-seen order. */
  ensure(parts: string[]): Draft {
    if (parts.length === 0) {
      this.root ??= newDraft('', '', undefined, 0);
      return this.root;
    }
    const whole = parts.join('.');
    const known = this.byId.get(whole);
    if (known) return known;
    let parent: Draft | undefined;
    let id = '';
    for (let index = 0; index < parts.length; index++) {
      const name = parts[index] ?? '';
      id = index === 0 ? name : `${id}.${name}`;
      let draft = this.byId.get(id);
      if (!draft) {
        draft = newDraft(id, name, parent, index);
        this.byId.set(id, draft);
        (parent ? parent.children : this.topLevel).push(draft);
      }
      parent = draft;
    }
    return parent as Draft;
  }

  /** Pre-order, without recursion (a hostile file may nest deeply). */
  preOrder(): Draft[] {
    const out: Draft[] = [];
    if (this.root && this.root.tensors.size > 0) out.push(this.root);
    const stack = [...this.topLevel].reverse();
    for (let draft = stack.pop(); draft; draft = stack.pop()) {
      out.push(draft);
      for (let index = draft.children.length - 1; index >= 0; index--) stack.push(draft.children[index] as Draft);
    }
    return out;
  }
}

function newDraft(id: string, name: string, parent: Draft | undefined, depth: number): Draft {
  return { id, name, parent, depth, children: [], tensors: new Map(), weightPaths: [], duplicateNames: [], truncated: false };
}

function buildDraft(weights: WeightTensor[], knownClasses: ReadonlyMap<string, string> | undefined): TreeDraft {
  const tree = new TreeDraft();
  // A pickle lists modules in definition order, tensorless ones (ReLU, Dropout) too: they go first.
  for (const modulePath of knownClasses?.keys() ?? []) {
    if (modulePath !== '') tree.ensure(modulePath.split('.'));
  }
  let last: Draft | undefined;
  for (const weight of weights) {
    const location = locateTensor(weight.path);
    const draft = last?.id === location.module && location.moduleParts.length > 0 ? last : tree.ensure(location.moduleParts);
    last = draft;
    draft.truncated ||= location.truncated;
    draft.weightPaths.push(weight.path);
    if (draft.tensors.has(location.name)) draft.duplicateNames.push(location.name);
    else draft.tensors.set(location.name, weight);
  }
  return tree;
}

// ---------------------------------------------------------------------------
// Telling the class from the tensors

type Tensors = ReadonlyMap<string, WeightTensor>;

interface Inference {
  className: string;
  settings: Record<string, string>;
}

/** What is known about the module being classified besides its tensors. */
interface Context {
  /** The module's name, or its nearest non-numeric ancestor's for `classifier.1` (the evidence names use). */
  evidenceName: string;
  /** The nearest module before it (pre-order) that holds tensors, as classified. */
  previous: Inference | undefined;
}

function unknown(reason: string): Inference {
  return { className: 'Module', settings: { [UNKNOWN_TYPE]: reason } };
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((dim, index) => dim === b[index]);
}

function isVector(tensor: WeightTensor | undefined, size: number | undefined): boolean {
  return tensor !== undefined && tensor.shape.length === 1 && tensor.shape[0] === size;
}

function tensorList(tensors: Tensors): string {
  return [...tensors].map(([name, tensor]) => `${name} ${shapeText(tensor.shape)}`).join(', ');
}

// --- recurrent layers ---

const RNN_TENSOR = /^(weight|bias)_(ih|hh|hr)(_l(\d+)(_reverse)?)?$/;
const RNN_CLASSES = new Map([
  [4, 'LSTM'],
  [3, 'GRU'],
  [1, 'RNN'],
]);

/** LSTM/GRU/RNN (`weight_ih_l0`, ...) and their cells (`weight_ih`, ...): gate rows / hidden size gives the class. */
function recurrent(tensors: Tensors): Inference | undefined {
  const isLayer = tensors.has('weight_ih_l0');
  if (!isLayer && !tensors.has('weight_ih')) return undefined;
  const suffix = isLayer ? '_l0' : '';
  const inputWeight = tensors.get(`weight_ih${suffix}`);
  const hiddenWeight = tensors.get(`weight_hh${suffix}`);
  const projection = tensors.get(`weight_hr${suffix}`);
  if (!inputWeight || !hiddenWeight || inputWeight.shape.length !== 2 || hiddenWeight.shape.length !== 2) {
    return unknown(`recurrent weights without a 2-D weight_hh${suffix}: ${tensorList(tensors)}`);
  }
  const [rows = 0, inputSize = 0] = inputWeight.shape;
  const hiddenSize = projection ? (projection.shape[1] ?? 0) : (hiddenWeight.shape[1] ?? 0);
  const gates = hiddenSize > 0 ? rows / hiddenSize : 0;
  const base = RNN_CLASSES.get(gates);
  if (!base) return unknown(`weight_ih${suffix} has ${rows} rows, not 4, 3 or 1 × hidden size ${hiddenSize}`);
  if (projection && (base !== 'LSTM' || !isLayer)) return unknown(`weight_hr${suffix} (a projection) belongs only to LSTM layers`);
  const recurrentWidth = projection ? projection.shape[0] : hiddenSize;
  if (!sameShape(hiddenWeight.shape, [rows, recurrentWidth ?? 0])) {
    return unknown(`weight_hh${suffix} ${shapeText(hiddenWeight.shape)} does not fit weight_ih${suffix} ${shapeText(inputWeight.shape)}`);
  }
  const layers = new Set<number>();
  let reverse = false;
  for (const name of tensors.keys()) {
    const match = RNN_TENSOR.exec(name);
    if (!match || (match[3] !== undefined) !== isLayer) return unknown(`${name} is not a ${base} tensor: ${tensorList(tensors)}`);
    if (match[4] !== undefined) layers.add(Number(match[4]));
    if (match[5]) reverse = true;
  }
  const settings: Record<string, string> = { input_size: String(inputSize), hidden_size: String(hiddenSize) };
  if (isLayer) {
    const numLayers = layers.size;
    if (!Array.from({ length: numLayers }, (_, layer) => layers.has(layer)).every(Boolean)) {
      return unknown(`layer numbers of ${base} weights are not 0..${numLayers - 1}`);
    }
    settings['num_layers'] = String(numLayers);
    settings['bidirectional'] = String(reverse);
  }
  settings['bias'] = String(tensors.has(`bias_ih${suffix}`));
  if (projection) settings['proj_size'] = String(projection.shape[0]);
  if (base === 'RNN') settings['nonlinearity'] = 'tanh or relu (not stored)';
  return { className: isLayer ? base : `${base}Cell`, settings };
}

// --- attention ---

const ATTENTION_TENSORS = new Set(['in_proj_weight', 'in_proj_bias', 'q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'bias_k', 'bias_v']);

/** nn.MultiheadAttention: packed in_proj_weight [3E, E], or q/k/v_proj_weight when kdim/vdim differ from E. */
function attention(tensors: Tensors): Inference | undefined {
  const packed = tensors.get('in_proj_weight');
  const query = tensors.get('q_proj_weight');
  if (!packed && !query) return undefined;
  for (const name of tensors.keys()) {
    if (!ATTENTION_TENSORS.has(name)) return unknown(`${name} is not a MultiheadAttention tensor: ${tensorList(tensors)}`);
  }
  let embedDim: number;
  const settings: Record<string, string> = {};
  if (packed) {
    const [rows = 0, columns = 0] = packed.shape;
    if (packed.shape.length !== 2 || rows !== 3 * columns) return unknown(`in_proj_weight ${shapeText(packed.shape)} is not [3E, E]`);
    embedDim = columns;
    settings['embed_dim'] = String(embedDim);
  } else {
    const key = tensors.get('k_proj_weight');
    const value = tensors.get('v_proj_weight');
    embedDim = query?.shape[0] ?? 0;
    const fits = (tensor: WeightTensor | undefined): boolean => tensor?.shape.length === 2 && tensor.shape[0] === embedDim;
    if (!fits(query) || !fits(key) || !fits(value) || query?.shape[1] !== embedDim) {
      return unknown(`q/k/v_proj_weight do not fit one embed_dim: ${tensorList(tensors)}`);
    }
    settings['embed_dim'] = String(embedDim);
    settings['kdim'] = String(key?.shape[1]);
    settings['vdim'] = String(value?.shape[1]);
  }
  settings['num_heads'] = 'unknown (not stored)';
  settings['bias'] = String(isVector(tensors.get('in_proj_bias'), 3 * embedDim));
  if (tensors.has('bias_k')) settings['add_bias_kv'] = 'true';
  return { className: 'MultiheadAttention', settings };
}

// --- normalisation with running statistics ---

const BATCH_NORM_TENSORS = new Set(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);

function batchNormSettings(tensors: Tensors): Record<string, string> | undefined {
  const mean = tensors.get('running_mean');
  const variance = tensors.get('running_var');
  const size = (mean ?? variance)?.shape[0];
  if (!isVector(mean ?? variance, size) || (mean && variance && !sameShape(mean.shape, variance.shape))) return undefined;
  for (const [name, tensor] of tensors) {
    if (!BATCH_NORM_TENSORS.has(name)) return undefined;
    if ((name === 'weight' || name === 'bias') && !isVector(tensor, size)) return undefined;
  }
  return { num_features: String(size), affine: String(tensors.has('weight')), track_running_stats: 'true' };
}

/** Which of 1d/2d/3d, as far as the layer before tells (a BatchNorm after a Conv2d of as many channels). */
function batchNormDimension(numFeatures: string | undefined, previous: Inference | undefined): string {
  const convolution = previous ? /^Conv([123])d$/.exec(previous.className) : null;
  if (convolution && previous?.settings['out_channels'] === numFeatures) {
    return `1d/2d/3d unknown (follows a ${previous?.className} with ${numFeatures} channels: likely ${convolution[1]}d)`;
  }
  return '1d/2d/3d unknown';
}

function batchNorm(tensors: Tensors, context: Context): Inference | undefined {
  if (!tensors.has('running_mean') && !tensors.has('running_var')) return undefined;
  const settings = batchNormSettings(tensors);
  if (!settings) return unknown(`running statistics with tensors that do not fit a BatchNorm: ${tensorList(tensors)}`);
  settings['dimension'] = batchNormDimension(settings['num_features'], context.previous);
  settings[AMBIGUOUS] = 'SyncBatchNorm, and InstanceNorm with track_running_stats=True, store the same tensors';
  return { className: 'BatchNorm', settings };
}

// --- modules with one weight (and a bias) ---

/** The tensor that plays `weight`, and how it is stored when not as itself. */
interface BaseWeight {
  weight: WeightTensor;
  /** The tensor names that make it up (`weight`, or `weight_g` + `weight_v`, ...). */
  names: string[];
  /** `weight_norm (weight_g, weight_v)`, ...; undefined for a plain weight. */
  storedAs?: string;
}

function baseWeight(tensors: Tensors): BaseWeight | undefined {
  const plain = tensors.get('weight');
  if (plain) return { weight: plain, names: ['weight'] };
  const direction = tensors.get('weight_v');
  if (tensors.has('weight_g') && direction) {
    return { weight: direction, names: ['weight_g', 'weight_v'], storedAs: 'weight_norm (weight_g = magnitude, weight_v = direction)' };
  }
  const original = tensors.get('weight_orig');
  if (original) {
    return { weight: original, names: ['weight_orig', 'weight_u', 'weight_v'], storedAs: 'spectral_norm (weight_orig; weight_u, weight_v are buffers)' };
  }
  const magnitude = tensors.get('parametrizations.weight.original0');
  const second = tensors.get('parametrizations.weight.original1');
  if (magnitude && second) {
    return {
      weight: second,
      names: ['parametrizations.weight.original0', 'parametrizations.weight.original1'],
      storedAs: 'parametrization with two originals (weight_norm: original0 = magnitude, original1 = direction)',
    };
  }
  if (magnitude) return { weight: magnitude, names: ['parametrizations.weight.original0'], storedAs: 'parametrization (original0 has the weight\'s shape)' };
  return undefined;
}

/**
 * Words in module names, as evidence between classes that store the same tensors.
 * Within a group the first match wins (`group_norm` is a GroupNorm, not a LayerNorm).
 */
const NAME_EVIDENCE: Array<{ group: string; pattern: RegExp; className: string }> = [
  { group: 'activation', pattern: /prelu/, className: 'PReLU' },
  { group: 'norm', pattern: /rms/, className: 'RMSNorm' },
  { group: 'norm', pattern: /group_?norm|(^|[^a-z])gn\d*$/, className: 'GroupNorm' },
  { group: 'norm', pattern: /instance_?norm|(^|[^a-z])in\d*$/, className: 'InstanceNorm' },
  { group: 'norm', pattern: /batch_?norm|(^|[^a-z])bn\d*$/, className: 'BatchNorm' },
  { group: 'norm', pattern: /norm|(^|[^a-z])ln(_?\w*)?$/, className: 'LayerNorm' },
  { group: 'embedding', pattern: /emb|wte|wpe|tok|vocab|word|lookup/, className: 'Embedding' },
  {
    group: 'linear',
    pattern: /fc|linear|lin\d*$|proj|head|classifier|dense|out|logit|decoder|score|query|key|value|gate|mlp|ffn|^[qkvo]$|(^|_)(up|down)(_|$)/,
    className: 'Linear',
  },
];

/** The one class among `candidates` the name speaks for; undefined when it names none or two groups ("token_proj"). */
function nameEvidence(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const byGroup = new Map<string, string>();
  for (const { group, pattern, className } of NAME_EVIDENCE) {
    if (candidates.includes(className) && !byGroup.has(group) && pattern.test(lower)) byGroup.set(group, className);
  }
  return byGroup.size === 1 ? [...byGroup.values()][0] : undefined;
}

const TRANSPOSED_NAME = /deconv|transpose|convt|upconv/;

function convolution(weight: WeightTensor, bias: WeightTensor | undefined, context: Context): Inference {
  const rank = weight.shape.length - 2;
  const [outChannels = 0, inPerGroup = 0, ...kernel] = weight.shape;
  if (bias && !isVector(bias, outChannels)) return unknown(`bias ${shapeText(bias.shape)} does not fit a ${rank}-D convolution weight ${shapeText(weight.shape)}`);
  if (TRANSPOSED_NAME.test(context.evidenceName.toLowerCase())) {
    return unknown(`Conv${rank}d or ConvTranspose${rank}d: the name "${context.evidenceName}" says transposed, the tensors cannot tell`);
  }
  if (rank === 1 && /bilinear/.test(context.evidenceName.toLowerCase())) {
    return unknown(`Conv1d or Bilinear: the name "${context.evidenceName}" says Bilinear, the tensors cannot tell`);
  }
  const settings: Record<string, string> = {
    out_channels: String(outChannels),
    'in_channels / groups': String(inPerGroup),
    kernel_size: kernel.join('×'),
    bias: String(bias !== undefined),
  };
  if (inPerGroup === 1 && outChannels > 1) settings['groups'] = 'unknown (1 input channel per group: depthwise when groups = in_channels)';
  settings[AMBIGUOUS] = `ConvTranspose${rank}d stores a weight of the same rank ([in, out / groups, ...]): only a known class tells it apart`;
  return { className: `Conv${rank}d`, settings };
}

/** A 2-D weight: Linear when a bias of its rows is there, else Embedding or bias-free Linear by name. */
function matrix(weight: WeightTensor, bias: WeightTensor | undefined, context: Context): Inference {
  const [rows = 0, columns = 0] = weight.shape;
  const linear = { in_features: String(columns), out_features: String(rows) };
  if (bias) {
    if (!isVector(bias, rows)) return unknown(`bias ${shapeText(bias.shape)} does not fit weight ${shapeText(weight.shape)}`);
    return { className: 'Linear', settings: { ...linear, bias: 'true' } };
  }
  const evidence = nameEvidence(context.evidenceName, ['Embedding', 'Linear']);
  const why = `picked by the name "${context.evidenceName}"; an Embedding and a Linear without bias store the same 2-D weight`;
  if (evidence === 'Embedding') {
    return { className: 'Embedding', settings: { num_embeddings: String(rows), embedding_dim: String(columns), [AMBIGUOUS]: why } };
  }
  if (evidence === 'Linear') return { className: 'Linear', settings: { ...linear, bias: 'false', [AMBIGUOUS]: why } };
  return {
    className: 'Module',
    settings: {
      [UNKNOWN_TYPE]: `Embedding or Linear without bias: a 2-D weight ${shapeText(weight.shape)} alone, and the name "${context.evidenceName}" does not tell`,
    },
  };
}

const AFFINE_NORMS = ['LayerNorm', 'GroupNorm', 'InstanceNorm', 'BatchNorm', 'RMSNorm'];

/** weight and bias of one shape, no running statistics: an affine normalisation, named by evidence. */
function affineNorm(weight: WeightTensor, bias: WeightTensor, context: Context): Inference {
  if (!sameShape(weight.shape, bias.shape)) return unknown(`bias ${shapeText(bias.shape)} does not fit weight ${shapeText(weight.shape)}`);
  const size = weight.shape.length === 1 ? String(weight.shape[0]) : shapeText(weight.shape);
  const evidence = weight.shape.length === 1 ? nameEvidence(context.evidenceName, AFFINE_NORMS) : nameEvidence(context.evidenceName, ['LayerNorm']);
  const same = 'LayerNorm, affine GroupNorm/InstanceNorm and BatchNorm without running stats store the same weight and bias';
  switch (evidence) {
    case 'LayerNorm':
      return { className: 'LayerNorm', settings: { normalized_shape: size, [AMBIGUOUS]: `picked by the name "${context.evidenceName}"; ${same}` } };
    case 'GroupNorm':
      return { className: 'GroupNorm', settings: { num_channels: size, num_groups: 'unknown (not stored)', [AMBIGUOUS]: `picked by the name "${context.evidenceName}"; ${same}` } };
    case 'InstanceNorm':
      return { className: 'InstanceNorm', settings: { num_features: size, dimension: '1d/2d/3d unknown', [AMBIGUOUS]: `picked by the name "${context.evidenceName}"; ${same}` } };
    case 'BatchNorm':
      return {
        className: 'BatchNorm',
        settings: { num_features: size, track_running_stats: 'false', dimension: '1d/2d/3d unknown', [AMBIGUOUS]: `picked by the name "${context.evidenceName}"; ${same}` },
      };
    default:
      return unknown(`${same}; the name "${context.evidenceName}" does not tell (weight ${shapeText(weight.shape)})`);
  }
}

/** A 1-D weight alone: PReLU's slopes or a bias-free norm's scale, by name. */
function vectorAlone(weight: WeightTensor, context: Context): Inference {
  const size = String(weight.shape[0]);
  const evidence = nameEvidence(context.evidenceName, ['PReLU', 'RMSNorm', 'LayerNorm']);
  const why = `picked by the name "${context.evidenceName}"; PReLU and bias-free norms store one 1-D weight`;
  if (evidence === 'PReLU') return { className: 'PReLU', settings: { num_parameters: size, [AMBIGUOUS]: why } };
  if (evidence === 'RMSNorm' || evidence === 'LayerNorm') return { className: evidence, settings: { normalized_shape: size, bias: 'false', [AMBIGUOUS]: why } };
  return unknown(`a 1-D weight [${size}] alone (PReLU, or a norm without bias): the name "${context.evidenceName}" does not tell`);
}

function weighted(tensors: Tensors, context: Context): Inference | undefined {
  const base = baseWeight(tensors);
  if (!base) return undefined;
  const bias = tensors.get('bias');
  const extra = [...tensors.keys()].filter((name) => name !== 'bias' && !base.names.includes(name));
  if (extra.length > 0) return unknown(`no rule for these tensors together: ${tensorList(tensors)}`);
  const { weight } = base;
  const rank = weight.shape.length;
  let inference: Inference;
  if (rank >= 3 && rank <= 5 && !(bias && sameShape(bias.shape, weight.shape))) inference = convolution(weight, bias, context);
  else if (bias && rank >= 1 && sameShape(bias.shape, weight.shape)) inference = affineNorm(weight, bias, context);
  else if (rank === 2) inference = matrix(weight, bias, context);
  else if (rank === 1 && !bias) inference = vectorAlone(weight, context);
  else inference = unknown(`no rule for a ${rank}-D weight ${shapeText(weight.shape)}${bias ? ` with bias ${shapeText(bias.shape)}` : ''}`);
  if (base.storedAs) inference.settings['weight stored as'] = base.storedAs;
  return inference;
}

/** The class the tensors say, with its settings; `Module` and the reason when they do not say. */
function inferClass(tensors: Tensors, context: Context): Inference {
  return (
    recurrent(tensors) ??
    attention(tensors) ??
    batchNorm(tensors, context) ??
    weighted(tensors, context) ??
    unknown(`no rule for these tensors: ${tensorList(tensors)}`)
  );
}

// --- settings for a class the file names ---

/** `torch.nn.modules.conv.Conv2d` and `__torch__.torch.nn.modules.conv.___torch_mangle_3.Conv2d` -> Conv2d. */
export function shortClassName(qualified: string): string {
  const last = qualified.slice(qualified.lastIndexOf('.') + 1);
  return last === '' ? qualified : last;
}

/** What the tensors tell about a module of a known class; {} when the class has no rule or they do not fit it. */
function knownClassSettings(className: string, tensors: Tensors, context: Context): Record<string, string> {
  if (tensors.size === 0) return {};
  const transposed = /^ConvTranspose([123])d$/.exec(className);
  if (transposed) {
    const base = baseWeight(tensors);
    const [inChannels = 0, outPerGroup = 0, ...kernel] = base?.weight.shape ?? [];
    if (!base || kernel.length !== Number(transposed[1])) return {};
    return { in_channels: String(inChannels), 'out_channels / groups': String(outPerGroup), kernel_size: kernel.join('×'), bias: String(tensors.has('bias')) };
  }
  if (/^(BatchNorm[123]d|SyncBatchNorm|InstanceNorm[123]d)$/.test(className) && tensors.has('running_mean')) {
    return batchNormSettings(tensors) ?? {};
  }
  // The class name itself is the best evidence between look-alikes (LayerNorm vs GroupNorm).
  const inferred = inferClass(tensors, { ...context, evidenceName: className });
  const family = (name: string): string => name.replace(/^(NonDynamicallyQuantizable|Lazy)/, '').replace(/([123]d)$/, '');
  if (inferred.className === 'Module' || family(inferred.className) !== family(className)) return {};
  const settings = { ...inferred.settings };
  delete settings[AMBIGUOUS];
  delete settings['dimension'];
  return settings;
}

// ---------------------------------------------------------------------------
// Tied weights

/** A storage seen before with a tensor of this shape and dtype: the same tensor saved twice. */
function tieKey(weight: WeightTensor): string | undefined {
  return weight.storage === undefined ? undefined : `${weight.storage}\u0000${weight.dtype}\u0000${weight.shape.join(',')}`;
}

/**
 * For each tensor that repeats an earlier one (same storage key, shape and dtype:
 * `lm_head.weight` tied to `embed.weight`): the earlier tensor. Views of one storage
 * with other shapes are separate tensors. Two equal-shaped views at different offsets
 * cannot be told from a tie by these fields and count as one.
 */
export function tiedTensors(weights: WeightTensor[]): Map<string, WeightTensor> {
  const owners = new Map<string, WeightTensor>();
  const tied = new Map<string, WeightTensor>();
  for (const weight of weights) {
    const key = tieKey(weight);
    if (key === undefined) continue;
    const owner = owners.get(key);
    if (owner) tied.set(weight.path, owner);
    else owners.set(key, weight);
  }
  return tied;
}

/**
 * The weights with each one's `layer` set to its module id (as inferModules builds it)
 * and the tied repeats flagged: a later tensor of a storage gets `sharedWith` = [the
 * owner tensor's module id]; the owner keeps counting the params. Returns copies.
 */
export function linkWeights(weights: WeightTensor[]): WeightTensor[] {
  const tied = tiedTensors(weights);
  return weights.map((weight) => {
    const linked: WeightTensor = { ...weight, layer: locateTensor(weight.path).module };
    const owner = tied.get(weight.path);
    if (owner) linked.sharedWith = [locateTensor(owner.path).module];
    return linked;
  });
}

const RUNNING_STATISTICS = new Set(['running_mean', 'running_var', 'num_batches_tracked']);

/**
 * Paths of tensors that are buffers, not parameters, by what holds them: the running
 * statistics of a norm, spectral_norm's weight_u/weight_v. Other registered buffers
 * cannot be told from a state_dict.
 */
export function bufferPaths(weights: WeightTensor[]): Set<string> {
  const byModule = new Map<string, Set<string>>();
  for (const weight of weights) {
    const location = locateTensor(weight.path);
    const names = byModule.get(location.module) ?? new Set<string>();
    names.add(location.name);
    byModule.set(location.module, names);
  }
  const buffers = new Set<string>();
  for (const weight of weights) {
    const location = locateTensor(weight.path);
    const spectral = byModule.get(location.module)?.has('weight_orig') === true;
    if (RUNNING_STATISTICS.has(location.name) || (spectral && (location.name === 'weight_u' || location.name === 'weight_v'))) buffers.add(weight.path);
  }
  return buffers;
}

// ---------------------------------------------------------------------------

/** `classifier.1` is described by `classifier`: Sequential indices say nothing. */
function evidenceName(draft: Draft): string {
  for (let current: Draft | undefined = draft; current; current = current.parent) {
    if (!/^\d+$/.test(current.name)) return current.name;
  }
  return draft.name;
}

/**
 * The module tree, pre-order, children in the order they first appear (the modules
 * `knownClasses` lists first, in its order, then the tensors'). A module that holds
 * tensors gets the class they tell (`inferred`) or, from `knownClasses` (module path
 * -> class, e.g. from a whole-model pickle or TorchScript), the class the file names
 * (`pickle`); a module with only submodules is a `Module` container. Top-level
 * tensors (a bare `nn.LSTM`'s state_dict) make a first node with id ''.
 */
export function inferModules(weights: WeightTensor[], knownClasses?: ReadonlyMap<string, string>): ModuleNode[] {
  const tree = buildDraft(weights, knownClasses);
  const tied = tiedTensors(weights);
  const nodes: ModuleNode[] = [];
  let previous: Inference | undefined;
  for (const draft of tree.preOrder()) {
    const context: Context = { evidenceName: evidenceName(draft), previous };
    const known = knownClasses?.get(draft.id);
    let node: Inference & { classSource: ModuleNode['classSource'] };
    if (known !== undefined) {
      const className = shortClassName(known);
      const settings = knownClassSettings(className, draft.tensors, context);
      if (className !== known) settings['class'] = known;
      node = { className, settings, classSource: 'pickle' };
    } else if (draft.tensors.size > 0) {
      node = { ...inferClass(draft.tensors, context), classSource: 'inferred' };
    } else {
      node = { className: 'Module', settings: {}, classSource: 'container' };
    }
    if (draft.duplicateNames.length > 0) {
      const problem = `tensor names repeated in the file: ${[...new Set(draft.duplicateNames)].join(', ')}`;
      if (known === undefined) node = { className: 'Module', settings: { [UNKNOWN_TYPE]: problem }, classSource: 'inferred' };
      else node.settings['problem'] = problem;
    }
    if (draft.truncated) node.settings['path'] = `nested deeper than ${MAX_MODULE_DEPTH} modules: the rest of the path is kept as one name`;
    const ties = [...draft.tensors].flatMap(([name, tensor]) => {
      const owner = tied.get(tensor.path);
      return owner ? [`${name} = ${owner.path}`] : [];
    });
    if (ties.length > 0) node.settings['tied'] = ties.join('; ');
    if (draft.tensors.size > 0) previous = node;
    nodes.push({
      id: draft.id,
      name: draft.name,
      ...(draft.parent ? { parent: draft.parent.id } : {}),
      depth: draft.depth,
      className: node.className,
      classSource: node.classSource,
      settings: node.settings,
      weightPaths: draft.weightPaths,
    });
  }
  return nodes;
}
