/**
 * Keras 3 `.keras` archives (metadata.json, config.json, model.weights.h5)
 * and the Keras 3 weights layout, which is also what `save_weights` writes
 * to `.weights.h5` files.
 *
 * In that layout a layer's variables live at `layers/<snake_case(class)>[_N]/vars/<i>`:
 * named after the class, numbered in the order of the model's `layers` list
 * (Functional lists include InputLayers, Sequential lists do not), nested
 * models adding `layers/...` again and sub-objects their attribute name
 * (`lstm/cell/vars/0`). Since Keras 3.6 a `vars` group also carries the
 * layer's real name in its `name` attribute.
 *
 * h5wasm's Node build reads files only by path (NODERAWFS), not from memory,
 * so model.weights.h5 is extracted to a private temporary folder, removed
 * again by close() (or when the process exits).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { IRLayer, ModelIR, WeightTensor } from '../protocol/model';
import { FormatError, asFormatError } from './errors';
import { Hdf5File } from './hdf5';
import { LayerIndex, isTrainableWeight, normaliseKerasModel, parseJson } from './kerasConfig';
import type { ParsedModel, TensorValues } from './types';
import { ZipArchive } from './zip';

/** Bound on the datasets walked in a weights file (each costs a metadata read). */
const MAX_WEIGHT_DATASETS = 200_000;
const MAX_JSON_MEMBER_BYTES = 64 * 1024 * 1024;

/** Keras' naming.to_snake_case: "Conv2DTranspose" -> "conv2d_transpose", "LSTM" -> "lstm". */
export function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Whether an HDF5 file uses the Keras 3 layout (`layers/.../vars`, `vars`) rather than Keras 2's. */
export function looksLikeKeras3Weights(h5: Hdf5File): boolean {
  const top = h5.children('');
  const groups = new Set(top.filter((child) => child.kind === 'group').map((child) => child.name));
  return groups.has('vars') && (groups.has('layers') || groups.has('_layer_checkpoint_dependencies'));
}

const RNN_CELLS: Record<string, string> = {
  LSTM: 'LSTMCell',
  GRU: 'GRUCell',
  SimpleRNN: 'SimpleRNNCell',
  ConvLSTM1D: 'ConvLSTMCell',
  ConvLSTM2D: 'ConvLSTMCell',
  ConvLSTM3D: 'ConvLSTMCell',
};

/** The variable names of a class, trainable first, as Keras 3 creates them. */
function variableNames(className: string, config: Record<string, unknown>): string[] | undefined {
  const bias = config.use_bias === false ? [] : ['bias'];
  switch (className) {
    case 'Dense':
    case 'EinsumDense':
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case 'Conv1DTranspose':
    case 'Conv2DTranspose':
    case 'Conv3DTranspose':
      return ['kernel', ...bias];
    case 'DepthwiseConv1D':
    case 'DepthwiseConv2D':
      return ['depthwise_kernel', ...bias];
    case 'SeparableConv1D':
    case 'SeparableConv2D':
      return ['depthwise_kernel', 'pointwise_kernel', ...bias];
    case 'BatchNormalization':
      return [...(config.scale === false ? [] : ['gamma']), ...(config.center === false ? [] : ['beta']), 'moving_mean', 'moving_variance'];
    case 'LayerNormalization':
    case 'GroupNormalization':
      return [...(config.scale === false ? [] : ['gamma']), ...(config.center === false ? [] : ['beta'])];
    case 'Embedding':
      return ['embeddings'];
    case 'LSTMCell':
    case 'GRUCell':
    case 'SimpleRNNCell':
    case 'ConvLSTMCell':
      return ['kernel', 'recurrent_kernel', ...bias];
    case 'PReLU':
      return ['alpha'];
    case 'Normalization':
      return ['mean', 'variance', 'count'];
    default:
      return undefined;
  }
}

function asConfig(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Display names for the datasets of one `vars` group: follows the sub-path
 * from the layer (`cell`, a wrapper's `forward_layer`, an attention's
 * `_query_dense`) to the class that owns the variables.
 */
function namesForVars(layer: IRLayer | undefined, subPath: string[], count: number): string[] {
  let className = layer?.className;
  let config = layer?.config ?? {};
  const prefix: string[] = [];
  for (const segment of subPath) {
    if (segment === 'cell' && className && RNN_CELLS[className]) {
      className = RNN_CELLS[className];
    } else if (segment === 'forward_layer' || segment === 'backward_layer' || segment === 'layer') {
      const wrapped = asConfig(segment === 'backward_layer' && config.backward_layer ? config.backward_layer : config.layer);
      className = typeof wrapped.class_name === 'string' ? wrapped.class_name : undefined;
      config = asConfig(wrapped.config);
      if (segment !== 'layer') prefix.push(segment);
    } else {
      className = segment.endsWith('_dense') ? 'EinsumDense' : undefined;
      config = {};
      prefix.push(segment.replace(/^_+/, ''));
    }
  }
  const known = className ? variableNames(className, config) : undefined;
  const names = known && known.length === count ? known : Array.from({ length: count }, (_, i) => `vars/${i}`);
  return names.map((name) => [...prefix, name].join('/'));
}

/** Maps `layers/<snake>[_N]` paths to IR layers, following Keras 3's numbering. */
function layerPaths(index: LayerIndex, layersKey: string): Map<string, IRLayer> {
  const paths = new Map<string, IRLayer>();
  const visit = (parent: IRLayer | undefined, sequential: boolean, prefix: string) => {
    const used = new Map<string, number>();
    for (const layer of index.childrenOf(parent)) {
      if (sequential && layer.className === 'InputLayer') continue;
      const snake = snakeCase(layer.className);
      const seen = used.get(snake);
      const name = seen === undefined ? snake : `${snake}_${seen + 1}`;
      used.set(snake, seen === undefined ? 0 : seen + 1);
      const at = `${prefix}${layersKey}/${name}`;
      paths.set(at, layer);
      if (layer.isModel) visit(layer, layer.className === 'Sequential', `${at}/`);
    }
  };
  visit(undefined, index.ir.className === 'Sequential', '');
  return paths;
}

interface VarsGroup {
  /** The group holding `vars` ("layers/lstm/cell"); '' for the root's own. */
  owner: string;
  datasets: string[];
  /** The layer name Keras >= 3.6 stores on the group. */
  nameAttr?: string;
}

/** Every `vars` group under the root except the optimizer's, in a stable order. */
function findVarsGroups(h5: Hdf5File): VarsGroup[] {
  const groups: VarsGroup[] = [];
  let datasets = 0;
  const visit = (group: string, depth: number) => {
    if (depth > 32) return;
    const children = h5.children(group);
    const vars = children.find((child) => child.name === 'vars' && child.kind === 'group');
    if (vars) {
      const varsPath = group ? `${group}/vars` : 'vars';
      const names = h5
        .children(varsPath)
        .filter((child) => child.kind === 'dataset')
        .map((child) => child.name)
        .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
      datasets += names.length;
      if (datasets > MAX_WEIGHT_DATASETS) throw new FormatError(h5.file, `more than ${MAX_WEIGHT_DATASETS} weight datasets`);
      const nameAttr = h5.stringAttr(varsPath, 'name');
      groups.push({ owner: group, datasets: names.map((name) => `${varsPath}/${name}`), ...(nameAttr ? { nameAttr } : {}) });
    }
    for (const child of children) {
      if (child.kind !== 'group' || child.name === 'vars') continue;
      if (depth === 0 && child.name === 'optimizer') continue;
      visit(group ? `${group}/${child.name}` : child.name, depth + 1);
    }
  };
  visit('', 0);
  return groups;
}

/**
 * The deepest mapped layer path that is a prefix of `owner` and the rest of
 * the path below it; when none maps, the innermost `layers/<name>` names the
 * layer ("functional/dense" for `layers/functional/layers/dense/cell`).
 */
function ownerLayer(paths: Map<string, IRLayer>, owner: string, layersKey: string): { layer?: IRLayer; label: string; subPath: string[] } {
  const segments = owner ? owner.split('/') : [];
  for (let cut = segments.length; cut > 0; cut--) {
    const layer = paths.get(segments.slice(0, cut).join('/'));
    if (layer) return { layer, label: layer.id, subPath: segments.slice(cut) };
  }
  const last = segments.lastIndexOf(layersKey);
  if (last < 0 || last + 1 >= segments.length) return { label: owner, subPath: [] };
  return {
    label: segments.slice(0, last + 2).filter((segment) => segment !== layersKey).join('/'),
    subPath: segments.slice(last + 2),
  };
}

/**
 * The weights of a Keras 3 weights file. With the model's IR, each is
 * attributed to its layer (IRLayer.weightPaths filled); without it, each is
 * listed under the layer name the file gives (or its path).
 */
export function collectKeras3Weights(h5: Hdf5File, ir: ModelIR | undefined, warnings: string[]): WeightTensor[] {
  const index = ir ? new LayerIndex(ir) : undefined;
  const layersKey = h5.kind('layers') === 'group' || h5.kind('_layer_checkpoint_dependencies') !== 'group' ? 'layers' : '_layer_checkpoint_dependencies';
  const paths = index ? layerPaths(index, layersKey) : new Map<string, IRLayer>();
  const byName = new Map<string, IRLayer>();
  for (const layer of ir?.layers ?? []) if (!byName.has(layer.name)) byName.set(layer.name, layer);
  const order = new Map((ir?.layers ?? []).map((layer, position) => [layer.id, position]));
  const weights: Array<WeightTensor & { position: number }> = [];
  let unmatched = 0;
  for (const group of findVarsGroups(h5)) {
    const owner = ownerLayer(paths, group.owner, layersKey);
    const { subPath } = owner;
    let { layer } = owner;
    // Keras >= 3.6 names the layer: trust it when the path-derived layer disagrees.
    if (group.nameAttr && subPath.length === 0 && layer?.name !== group.nameAttr && byName.has(group.nameAttr)) layer = byName.get(group.nameAttr);
    const names = namesForVars(layer, subPath, group.datasets.length);
    const fallbackLayer = group.nameAttr ?? owner.label;
    group.datasets.forEach((datasetPath, i) => {
      const info = h5.dataset(datasetPath);
      const name = names[i] ?? `vars/${i}`;
      if (ir && !layer && group.owner !== '') unmatched++;
      const weight = {
        path: datasetPath,
        layer: ir ? (layer?.id ?? '') : fallbackLayer,
        name,
        shape: info.shape,
        dtype: info.dtype,
        bytes: info.itemBytes * info.elements,
        trainable: isTrainableWeight(name.split('/').pop() ?? name, layer),
        position: (layer ? order.get(layer.id) : undefined) ?? Number.MAX_SAFE_INTEGER,
      };
      weights.push(weight);
    });
  }
  // In model order (the file's is alphabetical by path); a layer's own order is kept.
  weights.sort((a, b) => a.position - b.position);
  const ordered: WeightTensor[] = weights.map(({ position: _position, ...weight }) => weight);
  for (const weight of ordered) if (weight.layer) index?.byId.get(weight.layer)?.weightPaths.push(weight.path);
  if (unmatched) warnings.push(`${unmatched} stored weight(s) could not be matched to a layer of the model.`);
  if (h5.kind('optimizer') === 'group') warnings.push('The optimizer state stored with the weights (optimizer/) is not counted as model weights.');
  return ordered;
}

/** Temporary folders of open archives, removed at exit if close() was never called. */
const temporaryFolders = new Set<string>();
let exitHookInstalled = false;

function makeTemporaryFolder(): string {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const folder of temporaryFolders) rmSync(folder, { recursive: true, force: true });
    });
  }
  const folder = mkdtempSync(path.join(os.tmpdir(), 'dlkit-keras-'));
  temporaryFolders.add(folder);
  return folder;
}

function removeTemporaryFolder(folder: string): void {
  temporaryFolders.delete(folder);
  rmSync(folder, { recursive: true, force: true });
}

async function readJsonMember(zip: ZipArchive, file: string, name: string): Promise<unknown> {
  const entry = zip.entry(name);
  if (!entry) return undefined;
  const text = (await zip.read(entry, MAX_JSON_MEMBER_BYTES)).toString('utf8');
  return parseJson(file, text, name);
}

/** Re-labels an error from the extracted weights file as one about the archive member. */
function memberError(file: string, error: unknown): FormatError {
  if (error instanceof FormatError) return new FormatError(file, `member ${error.message}`, { cause: error });
  return asFormatError(file, 'member model.weights.h5', error);
}

/** Parses a Keras 3 `.keras` archive. */
export async function parseKerasV3(file: string): Promise<ParsedModel> {
  const zip = await ZipArchive.open(file);
  let folder: string | undefined;
  let h5: Hdf5File | undefined;
  try {
    const config = await readJsonMember(zip, file, 'config.json');
    if (config === undefined) {
      const names = zip.entries.slice(0, 5).map((entry) => entry.name);
      const hint = zip.entries.some((entry) => /(^|\/)data\.pkl$/.test(entry.name)) ? ' (it looks like a PyTorch checkpoint)' : '';
      throw new FormatError(file, `a zip archive but not a Keras .keras model: it has no config.json${hint}; it holds ${names.join(', ') || 'nothing'}${zip.entries.length > 5 ? ', ...' : ''}`);
    }
    const metadata = (await readJsonMember(zip, file, 'metadata.json')) as { keras_version?: unknown } | undefined;
    const normalised = normaliseKerasModel(file, config);
    const warnings = [...normalised.warnings];
    let weights: WeightTensor[] = [];
    const weightsEntry = zip.entry('model.weights.h5');
    if (weightsEntry) {
      folder = makeTemporaryFolder();
      const extracted = path.join(folder, 'model.weights.h5');
      await zip.extract(weightsEntry, extracted);
      try {
        h5 = await Hdf5File.open(extracted);
        weights = collectKeras3Weights(h5, normalised.ir, warnings);
      } catch (error) {
        throw memberError(file, error);
      }
    } else if (zip.entry('model.weights.npz')) {
      warnings.push('The weights are stored as model.weights.npz, which is not read: weights are not shown.');
    } else {
      warnings.push('The archive holds no model.weights.h5: weights are not shown.');
    }
    const version = typeof metadata?.keras_version === 'string' ? metadata.keras_version : undefined;
    const readable = new Set(weights.map((weight) => weight.path));
    const weightsFile = h5;
    const workFolder = folder;
    let closed = false;
    return {
      file,
      fileBytes: zip.fileBytes,
      format: 'keras-v3',
      formatLabel: 'Keras 3 .keras archive',
      framework: 'keras',
      producer: version ? `Keras ${version}` : 'Keras 3 (version not recorded)',
      model: normalised.ir,
      kerasTopology: normalised.topology,
      weights,
      warnings,
      async readTensor(tensorPath: string): Promise<TensorValues> {
        if (!weightsFile || !readable.has(tensorPath)) throw new FormatError(file, `no tensor ${tensorPath} in this file`);
        try {
          return weightsFile.readDataset(tensorPath);
        } catch (error) {
          throw memberError(file, error);
        }
      },
      close() {
        if (closed) return;
        closed = true;
        weightsFile?.close();
        if (workFolder) removeTemporaryFolder(workFolder);
      },
    };
  } catch (error) {
    h5?.close();
    if (folder) removeTemporaryFolder(folder);
    throw asFormatError(file, 'cannot read the .keras archive', error);
  } finally {
    await zip.close();
  }
}
