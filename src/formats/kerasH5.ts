/**
 * Keras .h5/.hdf5 files: whole models (`model.save`, Keras 1 to 3),
 * weights-only files (`save_weights`, Keras 2 and Keras 3 layouts), and, for
 * any other HDF5 file, a bounded listing of what it holds.
 */
import type { HDF5Entry, ModelIR, WeightTensor } from '../protocol/model';
import { FormatError, asFormatError } from './errors';
import { Hdf5File } from './hdf5';
import { LayerIndex, isTrainableWeight, normaliseKerasModel, parseJson, shortWeightName } from './kerasConfig';
import { collectKeras3Weights, looksLikeKeras3Weights } from './kerasV3';
import type { ParsedModel, TensorValues } from './types';

/** How many groups and datasets a data file's listing shows. */
export const MAX_CONTENT_ENTRIES = 1000;

/** Keras 1 wrote `<layer>_W`, `<layer>_b`, ...: the Keras 2 names. */
const KERAS1_WEIGHT_NAMES: Record<string, string> = {
  W: 'kernel',
  b: 'bias',
  U: 'recurrent_kernel',
  running_mean: 'moving_mean',
  running_std: 'moving_variance',
};

interface StoredWeight {
  /** The name listed in `weight_names` ("dense/kernel:0"). */
  variable: string;
  /** The layer group it was listed under. */
  group: string;
  path: string;
  shape: number[];
  dtype: string;
  bytes: number;
}

/** "Keras 2.1.3 (tensorflow backend)", from the root (or model_weights) attributes. */
function kerasProducer(h5: Hdf5File, weightsRoot: string): string {
  const version = h5.stringAttr('', 'keras_version') ?? (weightsRoot ? h5.stringAttr(weightsRoot, 'keras_version') : undefined);
  const backend = h5.stringAttr('', 'backend') ?? (weightsRoot ? h5.stringAttr(weightsRoot, 'backend') : undefined);
  const keras = version ? `Keras ${version}` : 'Keras (version not recorded)';
  return backend ? `${keras} (${backend} backend)` : keras;
}

function join(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

/** Short name of a stored variable: Keras 1 `<layer>_W:0` -> kernel, Keras 2 `dense/kernel:0` -> kernel. */
function weightShortName(variable: string, group: string): string {
  const short = shortWeightName(variable);
  if (!variable.includes('/') && short.startsWith(`${group}_`)) {
    const suffix = short.slice(group.length + 1);
    return KERAS1_WEIGHT_NAMES[suffix] ?? suffix;
  }
  return short;
}

/** The datasets each layer group lists in `weight_names`, in that order. */
function storedWeights(h5: Hdf5File, root: string, groups: string[], warnings: string[]): StoredWeight[] {
  const out: StoredWeight[] = [];
  for (const group of groups) {
    const groupPath = join(root, group);
    if (h5.kind(groupPath) !== 'group') {
      warnings.push(`Layer ${group} is listed in layer_names but has no group in the file.`);
      continue;
    }
    for (const variable of h5.stringListAttr(groupPath, 'weight_names') ?? []) {
      const path = join(groupPath, variable);
      if (h5.kind(path) !== 'dataset') {
        warnings.push(`Weight ${variable} of ${group} is listed but not stored.`);
        continue;
      }
      const info = h5.dataset(path);
      out.push({ variable, group, path, shape: info.shape, dtype: info.dtype, bytes: info.itemBytes * info.elements });
    }
  }
  return out;
}

/** Groups under the weights root that hold weights but are not in layer_names (e.g. a subclassed model's own). */
function unlistedGroups(h5: Hdf5File, root: string, listed: string[]): string[] {
  const known = new Set(listed);
  return h5
    .children(root)
    .filter((child) => child.kind === 'group' && !known.has(child.name))
    .map((child) => child.name)
    .filter((name) => (h5.stringListAttr(join(root, name), 'weight_names') ?? []).length > 0);
}

/** Stored weights matched to IR layers; tied variables (one name under two layers) are listed once. */
function attributeWeights(stored: StoredWeight[], ir: ModelIR, warnings: string[]): WeightTensor[] {
  const index = new LayerIndex(ir);
  const weights: WeightTensor[] = [];
  const firstByVariable = new Map<string, WeightTensor>();
  let unmatched = 0;
  for (const item of stored) {
    const groupLayer = index.topLevel(item.group);
    const layer = groupLayer?.isModel ? index.layerForScopedName(item.variable, groupLayer) : groupLayer;
    const name = weightShortName(item.variable, item.group);
    const earlier = item.variable.includes('/') ? firstByVariable.get(item.variable) : undefined;
    if (earlier && layer && earlier.layer !== layer.id && earlier.shape.join() === item.shape.join() && earlier.dtype === item.dtype) {
      // Keras writes a shared variable under every layer that uses it: count it once.
      earlier.sharedWith = [...(earlier.sharedWith ?? []), layer.id];
      layer.weightPaths.push(earlier.path);
      continue;
    }
    if (!layer) unmatched++;
    const weight: WeightTensor = {
      path: item.path,
      layer: layer?.id ?? '',
      name,
      shape: item.shape,
      dtype: item.dtype,
      bytes: item.bytes,
      trainable: isTrainableWeight(name, layer),
    };
    layer?.weightPaths.push(item.path);
    firstByVariable.set(item.variable, weight);
    weights.push(weight);
  }
  if (unmatched) warnings.push(`${unmatched} stored weight(s) could not be matched to a layer of the model.`);
  return weights;
}

/** Weights of a weights-only file, listed per layer group (there is no IR to match them to). */
function weightsPerGroup(stored: StoredWeight[]): WeightTensor[] {
  return stored.map((item) => {
    const name = weightShortName(item.variable, item.group);
    return { path: item.path, layer: item.group, name, shape: item.shape, dtype: item.dtype, bytes: item.bytes, trainable: isTrainableWeight(name, undefined) };
  });
}

/** Groups and datasets breadth-first, at most `limit` entries. */
export function listContents(h5: Hdf5File, limit = MAX_CONTENT_ENTRIES): { entries: HDF5Entry[]; complete: boolean } {
  const entries: HDF5Entry[] = [];
  const queue: string[] = [''];
  while (queue.length) {
    const group = queue.shift() ?? '';
    for (const child of h5.children(group)) {
      if (entries.length >= limit) return { entries, complete: false };
      const path = join(group, child.name);
      if (child.kind === 'group') {
        entries.push({ path, kind: 'group' });
        queue.push(path);
      } else if (child.kind === 'dataset') {
        const info = h5.dataset(path);
        entries.push({ path, kind: 'dataset', shape: info.shape, dtype: info.dtype });
      }
    }
  }
  return { entries, complete: true };
}

function tensorReader(h5: Hdf5File, readable: Set<string>): (path: string) => Promise<TensorValues> {
  return async (path) => {
    if (!readable.has(path)) throw new FormatError(h5.file, `no tensor ${path} in this file`);
    try {
      return h5.readDataset(path);
    } catch (error) {
      throw asFormatError(h5.file, `cannot read ${path}`, error);
    }
  };
}

function fileFacts(h5: Hdf5File, file: string): Pick<ParsedModel, 'file' | 'fileBytes' | 'close'> {
  return { file, fileBytes: h5.fileBytes, close: () => h5.close() };
}

function parseFullModel(h5: Hdf5File, file: string): ParsedModel {
  const base = fileFacts(h5, file);
  const text = h5.stringAttr('', 'model_config');
  if (text === undefined) throw new FormatError(file, 'model_config is not a string attribute');
  const normalised = normaliseKerasModel(file, parseJson(file, text, 'model_config'));
  const warnings = [...normalised.warnings];
  const weightsRoot = h5.kind('model_weights') === 'group' ? 'model_weights' : '';
  const layerNames = h5.stringListAttr(weightsRoot, 'layer_names') ?? normalised.ir.layers.filter((layer) => layer.depth === 0).map((layer) => layer.name);
  const stored = storedWeights(h5, weightsRoot, layerNames, warnings);
  const extra = weightsRoot ? unlistedGroups(h5, weightsRoot, layerNames) : [];
  stored.push(...storedWeights(h5, weightsRoot, extra, warnings));
  const weights = attributeWeights(stored, normalised.ir, warnings);
  if (h5.kind('optimizer_weights') === 'group') warnings.push('The optimizer state stored in the file (optimizer_weights) is not counted as model weights.');
  return {
    ...base,
    format: 'keras-h5',
    formatLabel: 'Keras HDF5, full model',
    framework: 'keras',
    producer: kerasProducer(h5, weightsRoot),
    model: normalised.ir,
    kerasTopology: normalised.topology,
    weights,
    warnings,
    readTensor: tensorReader(h5, new Set(weights.map((weight) => weight.path))),
  };
}

function parseWeightsOnly(h5: Hdf5File, file: string, root: string): ParsedModel {
  const base = fileFacts(h5, file);
  const warnings = ['The architecture is not in this file (it holds weights only, as written by save_weights).'];
  let weights: WeightTensor[];
  if (root === 'keras3') {
    weights = collectKeras3Weights(h5, undefined, warnings);
  } else {
    const layerNames = h5.stringListAttr(root, 'layer_names') ?? [];
    weights = weightsPerGroup(storedWeights(h5, root, layerNames, warnings));
  }
  return {
    ...base,
    format: 'keras-h5-weights',
    formatLabel: 'Keras HDF5, weights only',
    framework: 'keras',
    producer: root === 'keras3' ? kerasProducer(h5, '') : kerasProducer(h5, root),
    weights,
    warnings,
    readTensor: tensorReader(h5, new Set(weights.map((weight) => weight.path))),
  };
}

function parseDataFile(h5: Hdf5File, file: string): ParsedModel {
  const base = fileFacts(h5, file);
  const { entries, complete } = listContents(h5);
  const warnings = ['This HDF5 file is not a Keras model (it has no model_config, layer_names or Keras weights layout): its contents are listed instead.'];
  if (!complete) warnings.push(`Only the first ${MAX_CONTENT_ENTRIES} groups and datasets are listed.`);
  const creator = h5.stringAttr('', 'creator') ?? h5.stringAttr('', 'software') ?? h5.stringAttr('', 'producer');
  return {
    ...base,
    format: 'hdf5-data',
    formatLabel: 'HDF5 data file (not a Keras model)',
    framework: 'hdf5',
    producer: creator ?? 'HDF5 (writer not recorded)',
    weights: [],
    contents: entries,
    warnings,
    readTensor: tensorReader(h5, new Set(entries.filter((entry) => entry.kind === 'dataset').map((entry) => entry.path))),
  };
}

/** Parses a Keras .h5/.hdf5 file (or any HDF5 file). Weights stay on disk until readTensor(). */
export async function parseKerasH5(file: string): Promise<ParsedModel> {
  const h5 = await Hdf5File.open(file);
  try {
    if (h5.hasAttr('', 'model_config')) return parseFullModel(h5, file);
    if (h5.hasAttr('', 'layer_names') || h5.hasAttr('', 'layer_names0')) return parseWeightsOnly(h5, file, '');
    if (h5.kind('model_weights') === 'group' && h5.stringListAttr('model_weights', 'layer_names')) return parseWeightsOnly(h5, file, 'model_weights');
    if (looksLikeKeras3Weights(h5)) return parseWeightsOnly(h5, file, 'keras3');
    return parseDataFile(h5, file);
  } catch (error) {
    h5.close();
    throw asFormatError(file, 'cannot read the Keras model', error);
  }
}
