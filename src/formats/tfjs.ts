/**
 * TF.js model.json files: LayersModels (every historic variant: with or
 * without `format`, topology wrapped in `model_config` or not, `config` as a
 * list of layers) and GraphModels, with their weights manifest. Weight shards
 * are read relative to model.json, only from that folder, and only the bytes
 * asked for; every declared size is checked against the real shard sizes.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { GraphNode, Quantization, TensorSpec, WeightTensor } from '../protocol/model';
import { FormatError, asFormatError, errorText, formatBytes } from './errors';
import { decodeFloat16 } from './tensorData';
import { LayerIndex, isTrainableWeight, normaliseKerasModel, parseJson, shortWeightName, type NormalisedKerasModel } from './kerasConfig';
import type { ParsedModel, TensorValues, TfjsArtifacts } from './types';

type JsonObject = Record<string, unknown>;

const MAX_MODEL_JSON_BYTES = 512 * 1024 * 1024;
/** Group data holding strings is read whole to find their lengths; bound it. */
const MAX_STRING_GROUP_BYTES = 256 * 1024 * 1024;

/** Bytes per element as stored, by stored dtype. */
const ELEMENT_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  float16: 2,
  uint8: 1,
  uint16: 2,
  int8: 1,
  int16: 2,
};

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: Quantization & { original_dtype?: string };
  group: number;
  /** Byte offset inside its group's concatenated shards. */
  offset: number;
  bytes: number;
}

interface ShardGroup {
  /** As written in the manifest, for messages. */
  paths: string[];
  files: string[];
  sizes: number[];
  /** Bytes the manifest's weights take in this group. */
  usedBytes: number;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "DT_FLOAT" -> "float32". */
function tfDtype(value: unknown): string {
  if (typeof value !== 'string') return 'unknown';
  const names: Record<string, string> = { DT_FLOAT: 'float32', DT_DOUBLE: 'float64', DT_HALF: 'float16', DT_BFLOAT16: 'bfloat16' };
  return names[value] ?? value.replace(/^DT_/, '').toLowerCase();
}

function protoShape(shape: unknown): Array<number | null> | undefined {
  if (!isObject(shape)) return undefined;
  if (shape.unknownRank) return undefined;
  const dims = Array.isArray(shape.dim) ? shape.dim : [];
  return dims.map((dim) => {
    const size = Number(isObject(dim) ? (dim.size ?? 0) : 0);
    return Number.isFinite(size) && size >= 0 ? size : null;
  });
}

function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function decodeBase64(text: unknown): string {
  if (typeof text !== 'string') return '';
  return Buffer.from(text, 'base64').toString('utf8');
}

/** A graph node attribute (AttrValue as JSON) as a short display string. */
function attrText(value: unknown): string {
  if (!isObject(value)) return clip(JSON.stringify(value) ?? '');
  const shapeText = (shape: unknown) => {
    const dims = protoShape(shape);
    return dims ? `[${dims.map((dim) => (dim === null ? '?' : String(dim))).join(', ')}]` : '<unknown rank>';
  };
  if ('type' in value) return tfDtype(value.type);
  if ('shape' in value) return shapeText(value.shape);
  if ('tensor' in value && isObject(value.tensor)) return `${tfDtype(value.tensor.dtype)} ${shapeText(value.tensor.tensorShape)}`;
  if ('s' in value) return clip(decodeBase64(value.s));
  if ('i' in value) return String(value.i);
  if ('f' in value) return String(value.f);
  if ('b' in value) return String(value.b);
  if ('func' in value && isObject(value.func)) return String(value.func.name ?? '');
  if ('list' in value && isObject(value.list)) {
    const list = value.list;
    const items: string[] = [];
    if (Array.isArray(list.i)) items.push(...list.i.map(String));
    if (Array.isArray(list.f)) items.push(...list.f.map(String));
    if (Array.isArray(list.b)) items.push(...list.b.map(String));
    if (Array.isArray(list.s)) items.push(...list.s.map(decodeBase64));
    if (Array.isArray(list.type)) items.push(...list.type.map(tfDtype));
    if (Array.isArray(list.shape)) items.push(...list.shape.map(shapeText));
    return clip(`[${items.join(', ')}]`);
  }
  return clip(JSON.stringify(value));
}

function graphNodes(file: string, topology: JsonObject): GraphNode[] {
  const nodes = topology.node;
  if (!Array.isArray(nodes)) throw new FormatError(file, 'the graph model has no list of nodes (modelTopology.node)');
  return nodes.map((node, index) => {
    if (!isObject(node) || typeof node.name !== 'string' || typeof node.op !== 'string') {
      throw new FormatError(file, `graph node ${index} has no name or op`);
    }
    const attributes: Record<string, string> = {};
    if (isObject(node.attr)) {
      for (const [key, value] of Object.entries(node.attr)) if (!key.startsWith('_')) attributes[key] = attrText(value);
    }
    const inputs = Array.isArray(node.input) ? node.input.filter((input): input is string => typeof input === 'string') : [];
    return { name: node.name, op: node.op, inputs, attributes };
  });
}

function signatureSpecs(value: unknown): TensorSpec[] | undefined {
  if (!isObject(value)) return undefined;
  return Object.entries(value).map(([key, spec]) => {
    const entry = isObject(spec) ? spec : {};
    return { name: typeof entry.name === 'string' ? entry.name : key, shape: protoShape(entry.tensorShape) ?? [], dtype: tfDtype(entry.dtype) };
  });
}

/** Inputs and outputs from the signature, else Placeholders and the nodes nothing consumes. */
function graphEnds(json: JsonObject, nodes: GraphNode[]): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  const signature = isObject(json.signature) ? json.signature : {};
  const inputs = signatureSpecs(signature.inputs);
  const outputs = signatureSpecs(signature.outputs);
  if (inputs && outputs) return { inputs, outputs };
  const consumed = new Set(nodes.flatMap((node) => node.inputs.map((input) => input.replace(/^\^/, '').replace(/:\d+$/, ''))));
  const placeholders = nodes.filter((node) => node.op === 'Placeholder');
  const sinks = nodes.filter((node) => !consumed.has(node.name) && node.op !== 'Const' && node.op !== 'NoOp' && node.op !== 'Placeholder');
  const spec = (node: GraphNode): TensorSpec => ({ name: node.name, shape: [], dtype: node.attributes.dtype ?? node.attributes.T ?? 'unknown' });
  return { inputs: inputs ?? placeholders.map(spec), outputs: outputs ?? sinks.map(spec) };
}

/** "keras v3.10.0" -> "Keras 3.10.0"; "2.6.0" (a graph's TF version) -> "TensorFlow 2.6.0"; drops the "v" before versions. */
function prettyGenerator(generatedBy: string, graph: boolean): string {
  const keras = /^keras\s+v?(.+)$/i.exec(generatedBy);
  if (keras) return `Keras ${keras[1]}`;
  if (/^\d+(\.\d+)*/.test(generatedBy)) return `${graph ? 'TensorFlow' : 'Keras'} ${generatedBy}`;
  return generatedBy.replace(/\bv(?=\d)/, '');
}

function tfjsProducer(json: JsonObject, graph: boolean, kerasVersion: unknown): string {
  const generated = typeof json.generatedBy === 'string' && json.generatedBy ? prettyGenerator(json.generatedBy, graph) : undefined;
  const converted = typeof json.convertedBy === 'string' && json.convertedBy ? json.convertedBy : undefined;
  if (converted && generated) return `${converted} (from ${generated})`;
  if (converted ?? generated) return (converted ?? generated) as string;
  if (typeof kerasVersion === 'string') return /tfjs/.test(kerasVersion) ? `TensorFlow.js ${kerasVersion}` : `Keras ${kerasVersion}`;
  return 'TensorFlow.js (producer not recorded)';
}

/** Resolves a manifest path inside model.json's folder; refuses URLs, absolute paths and escapes. */
async function shardFile(file: string, folder: string, shard: string): Promise<{ absolute: string; size: number }> {
  if (/^[a-z][a-z0-9+.-]*:/i.test(shard) && !/^[a-z]:[\\/]/i.test(shard)) {
    throw new FormatError(file, `weight shard ${shard} is a URL: only shards next to model.json are read`);
  }
  if (path.isAbsolute(shard) || /^[a-z]:[\\/]/i.test(shard)) throw new FormatError(file, `weight shard ${shard} is an absolute path: only shards next to model.json are read`);
  const candidates = [shard];
  try {
    const decoded = decodeURIComponent(shard);
    if (decoded !== shard) candidates.push(decoded);
  } catch {
    // Not percent-encoded.
  }
  for (const candidate of candidates) {
    const absolute = path.resolve(folder, candidate);
    const relative = path.relative(folder, absolute);
    if (relative.startsWith('..') || path.isAbsolute(relative)) throw new FormatError(file, `weight shard ${shard} lies outside the model's folder`);
    try {
      const stat = await fs.stat(absolute);
      if (stat.isFile()) return { absolute, size: stat.size };
    } catch {
      // Try the next spelling.
    }
  }
  throw new FormatError(file, `weight shard ${shard} is missing (looked for ${path.resolve(folder, shard)})`);
}

function validShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((dim) => typeof dim === 'number' && Number.isSafeInteger(dim) && dim >= 0);
}

/** Reads `length` bytes at `offset` of a group's concatenated shards. */
async function readGroupBytes(file: string, group: ShardGroup, offset: number, length: number): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let written = 0;
  let shardStart = 0;
  for (let shard = 0; shard < group.files.length && written < length; shard++) {
    const size = group.sizes[shard] ?? 0;
    const shardEnd = shardStart + size;
    const from = offset + written;
    if (from < shardEnd) {
      const take = Math.min(length - written, shardEnd - from);
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(group.files[shard] ?? '', 'r');
      } catch (error) {
        throw new FormatError(file, `cannot read weight shard ${group.paths[shard]}: ${errorText(error)}`, { cause: error });
      }
      try {
        const { bytesRead } = await handle.read(out, written, take, from - shardStart);
        if (bytesRead !== take) throw new FormatError(file, `weight shard ${group.paths[shard]} is short (it changed while being read)`);
      } finally {
        await handle.close();
      }
      written += take;
    }
    shardStart = shardEnd;
  }
  if (written !== length) throw new FormatError(file, `weight shard ${group.paths[group.paths.length - 1] ?? ''} is short`);
  return out;
}

/** Byte length of `count` uint32-length-prefixed strings starting at `offset` of `data`. */
function stringBytes(data: Buffer, offset: number, count: number): number | undefined {
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 4 > data.length) return undefined;
    at += 4 + data.readUInt32LE(at);
    if (at > data.length) return undefined;
  }
  return at - offset;
}

/** Lays out the manifest: each weight's group, offset and size, checked against the real shard sizes. */
async function layoutManifest(file: string, manifest: unknown): Promise<{ weights: ManifestWeight[]; groups: ShardGroup[] }> {
  if (manifest === undefined) return { weights: [], groups: [] };
  if (!Array.isArray(manifest)) throw new FormatError(file, 'weightsManifest is not a list');
  const folder = path.dirname(path.resolve(file));
  const weights: ManifestWeight[] = [];
  const groups: ShardGroup[] = [];
  for (const [groupIndex, entry] of manifest.entries()) {
    if (!isObject(entry) || !Array.isArray(entry.paths) || !Array.isArray(entry.weights)) {
      throw new FormatError(file, `weightsManifest group ${groupIndex} has no paths or weights`);
    }
    const group: ShardGroup = { paths: [], files: [], sizes: [], usedBytes: 0 };
    for (const shard of entry.paths) {
      if (typeof shard !== 'string') throw new FormatError(file, `weightsManifest group ${groupIndex} has a path that is not a string`);
      const { absolute, size } = await shardFile(file, folder, shard);
      group.paths.push(shard);
      group.files.push(absolute);
      group.sizes.push(size);
    }
    const available = group.sizes.reduce((total, size) => total + size, 0);
    // Shards are concatenated: when the data runs out, the last one is short (or one is missing bytes).
    const lastShard = group.paths[group.paths.length - 1] ?? '(none)';
    let stringData: Buffer | undefined;
    let offset = 0;
    for (const spec of entry.weights) {
      if (!isObject(spec) || typeof spec.name !== 'string') throw new FormatError(file, `a weight in manifest group ${groupIndex} has no name`);
      const { name } = spec;
      if (!validShape(spec.shape)) throw new FormatError(file, `weight ${name} has an invalid shape ${JSON.stringify(spec.shape)}`);
      const dtype = typeof spec.dtype === 'string' ? spec.dtype : 'float32';
      const quantization = isObject(spec.quantization) ? (spec.quantization as unknown as ManifestWeight['quantization']) : undefined;
      const storedDtype = quantization?.dtype ?? dtype;
      const elements = spec.shape.reduce((total, dim) => total * dim, 1);
      let bytes: number;
      if (storedDtype === 'string') {
        if (available > MAX_STRING_GROUP_BYTES) throw new FormatError(file, `string weight ${name} sits in ${formatBytes(available)} of shards, too much to scan`);
        stringData ??= await readGroupBytes(file, group, 0, available);
        const length = stringBytes(stringData, offset, elements);
        if (length === undefined) throw new FormatError(file, `weight shard ${lastShard} is short: string weight ${name} runs past the end of its shards`);
        bytes = length;
      } else {
        const size = ELEMENT_BYTES[storedDtype];
        if (size === undefined) throw new FormatError(file, `weight ${name} has the unknown dtype ${storedDtype}`);
        bytes = elements * size;
      }
      if (!(offset + bytes <= available)) {
        throw new FormatError(
          file,
          `weight shard ${lastShard} is short: weight ${name} (shape [${spec.shape.join(', ')}], ${formatBytes(bytes)}) needs bytes ${offset}..${offset + bytes} of group ${groupIndex + 1}, but its shards hold ${available} bytes`,
        );
      }
      weights.push({ name, shape: spec.shape, dtype, ...(quantization ? { quantization } : {}), group: groupIndex, offset, bytes });
      offset += bytes;
    }
    group.usedBytes = offset;
    groups.push(group);
  }
  return { weights, groups };
}

function dequantize(raw: Uint8Array, weight: ManifestWeight): TensorValues {
  const { quantization } = weight;
  const wantsInt = (quantization?.original_dtype ?? weight.dtype) === 'int32';
  const finish = (values: Float32Array): TensorValues => (wantsInt ? Int32Array.from(values, Math.round) : values);
  if (quantization?.dtype === 'float16') return finish(decodeFloat16(raw));
  const scale = quantization?.scale ?? 1;
  const min = quantization?.min ?? 0;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const wide = quantization?.dtype === 'uint16';
  const count = wide ? raw.byteLength / 2 : raw.byteLength;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (wide ? view.getUint16(i * 2, true) : view.getUint8(i)) * scale + min;
  return finish(out);
}

function decodeWeight(file: string, raw: Buffer, weight: ManifestWeight): TensorValues {
  const bytes = new Uint8Array(raw);
  if (weight.quantization) return dequantize(bytes, weight);
  switch (weight.dtype) {
    case 'float32':
    case 'complex64':
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    case 'int32':
      return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    case 'float16':
      return decodeFloat16(bytes);
    case 'bool':
    case 'uint8':
      return bytes;
    default:
      throw new FormatError(file, `weight ${weight.name} holds ${weight.dtype} values, which are not numbers`);
  }
}

/** The Keras model config inside a layers model's topology, whichever way it is wrapped. */
function kerasModelConfig(json: JsonObject): { config: JsonObject | undefined; kerasVersion: unknown } {
  const topology = isObject(json.modelTopology) ? json.modelTopology : typeof json.class_name === 'string' ? json : undefined;
  if (!topology) return { config: undefined, kerasVersion: undefined };
  const config = isObject(topology.model_config) ? topology.model_config : topology;
  return { config: typeof config.class_name === 'string' ? config : undefined, kerasVersion: topology.keras_version };
}

/** Parses a TF.js model.json (layers or graph model); shards are read only on demand. */
export async function parseTfjs(file: string): Promise<ParsedModel> {
  try {
    return await parseModelJson(file);
  } catch (error) {
    throw asFormatError(file, 'cannot read the TF.js model', error);
  }
}

async function parseModelJson(file: string): Promise<ParsedModel> {
  let text: string;
  let fileBytes: number;
  try {
    const stat = await fs.stat(file);
    fileBytes = stat.size;
    if (!stat.isFile()) throw new FormatError(file, 'not a regular file');
    if (fileBytes > MAX_MODEL_JSON_BYTES) throw new FormatError(file, `${formatBytes(fileBytes)} is too large for a model.json`);
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(file, `cannot read: ${errorText(error)}`, { cause: error });
  }
  const json = parseJson(file, text.replace(/^\uFEFF/, ''), 'the file');
  if (!isObject(json)) throw new FormatError(file, 'not a TF.js model: the JSON is not an object');
  const topology = isObject(json.modelTopology) ? json.modelTopology : undefined;
  const graph = json.format === 'graph-model' || (json.format === undefined && topology !== undefined && Array.isArray(topology.node));
  const { config, kerasVersion } = kerasModelConfig(json);
  if (!graph && !config) throw new FormatError(file, 'not a TF.js model: no modelTopology with a Keras model or graph');

  const { weights: manifest, groups } = await layoutManifest(file, json.weightsManifest);
  const warnings: string[] = [];
  if (json.weightsManifest === undefined) warnings.push('The file has no weightsManifest: weights are not shown.');

  let normalised: NormalisedKerasModel | undefined;
  let nodes: GraphNode[] | undefined;
  if (graph) {
    nodes = graphNodes(file, topology ?? {});
  } else {
    normalised = normaliseKerasModel(file, config);
    warnings.push(...normalised.warnings);
  }
  const index = normalised ? new LayerIndex(normalised.ir) : undefined;
  const byPath = new Map<string, ManifestWeight>();
  const weights: WeightTensor[] = [];
  let unmatched = 0;
  for (const item of manifest) {
    if (byPath.has(item.name)) {
      warnings.push(`The manifest lists ${item.name} twice; the first is shown.`);
      continue;
    }
    byPath.set(item.name, item);
    const layer = index?.layerForScopedName(item.name);
    if (index && !layer) unmatched++;
    // Graph constants are named after the op reading them: "StatefulPartitionedCall/model/dense/MatMul/ReadVariableOp" -> "model/dense/MatMul".
    const name = graph ? item.name.replace(/^StatefulPartitionedCall\//, '').replace(/\/ReadVariableOp$/, '') : shortWeightName(item.name);
    const weight: WeightTensor = {
      path: item.name,
      layer: layer?.id ?? '',
      name,
      shape: item.shape,
      dtype: item.quantization?.dtype ?? item.dtype,
      bytes: item.bytes,
      // A graph model's constants: floats are its parameters, integer constants (axes, shapes) are not.
      trainable: graph ? item.dtype === 'float32' || item.dtype === 'float16' : isTrainableWeight(name, layer),
    };
    if (item.quantization) weight.quantization = { dtype: item.quantization.dtype, scale: item.quantization.scale, min: item.quantization.min };
    layer?.weightPaths.push(item.name);
    weights.push(weight);
  }
  if (unmatched) warnings.push(`${unmatched} weight(s) in the manifest could not be matched to a layer of the model.`);

  const producer = tfjsProducer(json, graph, kerasVersion);
  // The model is model.json and its shards: its size is theirs together.
  const shardBytes = groups.reduce((sum, group) => sum + group.sizes.reduce((a, b) => a + b, 0), 0);
  const common = { file, fileBytes: fileBytes + shardBytes, framework: 'tensorflow.js' as const, producer, weights, warnings };
  const readTensor = async (tensorPath: string): Promise<TensorValues> => {
    const item = byPath.get(tensorPath);
    const group = item ? groups[item.group] : undefined;
    if (!item || !group) throw new FormatError(file, `no tensor ${tensorPath} in this model`);
    return decodeWeight(file, await readGroupBytes(file, group, item.offset, item.bytes), item);
  };
  const loadTfjsArtifacts = async (): Promise<TfjsArtifacts> => {
    const parts: Buffer[] = [];
    for (const group of groups) parts.push(await readGroupBytes(file, group, 0, group.usedBytes));
    const data = Buffer.concat(parts);
    return {
      modelTopology: graph ? topology : normalised?.topology,
      weightSpecs: manifest.map((item) => ({ name: item.name, shape: item.shape, dtype: item.dtype, ...(item.quantization ? { quantization: item.quantization } : {}) })),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
      format: graph ? 'graph-model' : 'layers-model',
    };
  };
  const close = () => undefined;
  if (graph && nodes) {
    return {
      ...common,
      format: 'tfjs-graph',
      formatLabel: 'TF.js graph model',
      graph: { nodes, ...graphEnds(json, nodes) },
      readTensor,
      loadTfjsArtifacts,
      close,
    };
  }
  return {
    ...common,
    format: 'tfjs-layers',
    formatLabel: 'TF.js layers model',
    ...(normalised ? { model: normalised.ir, kerasTopology: normalised.topology } : {}),
    readTensor,
    loadTfjsArtifacts,
    close,
  };
}
