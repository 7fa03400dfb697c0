/**
 * ONNX models (.onnx): the ModelProto decoded with protobufjs from the
 * descriptor in onnxSchema.ts. The graph's nodes, inputs and outputs, the
 * initializers as weights (values read on demand, each bounded by its
 * declared size), opsets, custom domains and external data references.
 * External data is read only from files inside the model's folder.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { FileFact, GraphNode, OnnxInfo, TensorSpec, WeightTensor } from '../protocol/model';
import { FormatError, asFormatError, errorText, formatBytes } from './errors';
import {
  DATA_LOCATION_EXTERNAL,
  ELEMENT_TYPES,
  int64Number,
  int64Text,
  onnxTypes,
  walkTypedValues,
  type AttributeMessage,
  type ElementType,
  type GraphMessage,
  type Int64,
  type ModelMessage,
  type NodeMessage,
  type SparseTensorMessage,
  type TensorMessage,
  type TypeMessage,
  type ValueInfoMessage,
} from './onnxSchema';
import { decodeLittleEndian } from './tensorData';
import type { ParsedModel, TensorValues } from './types';

/** Protobuf messages cannot pass 2 GB; bigger models keep their weights as external data. */
const MAX_ONNX_BYTES = 2 ** 31 - 1;
/** Nodes listed in `graph.nodes`; the rest are counted in a warning. */
const MAX_GRAPH_NODES = 100_000;
/** How deep If/Loop/Scan bodies are followed when counting their nodes. */
const MAX_SUBGRAPH_DEPTH = 8;
/** Items and characters an attribute's display string shows. */
const MAX_LIST_ITEMS = 16;
const MAX_TEXT = 80;
/** Attribute tensors up to this many elements show their values. */
const MAX_SHOWN_TENSOR_VALUES = 8;
/** Operator domains of the ONNX standard ('' is ai.onnx). */
const STANDARD_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml']);

const ATTRIBUTE_TYPES: Record<number, string> = {
  1: 'FLOAT',
  2: 'INT',
  3: 'STRING',
  4: 'TENSOR',
  5: 'GRAPH',
  6: 'FLOATS',
  7: 'INTS',
  8: 'STRINGS',
  9: 'TENSORS',
  10: 'GRAPHS',
  11: 'SPARSE_TENSOR',
  12: 'SPARSE_TENSORS',
  13: 'TYPE_PROTO',
  14: 'TYPE_PROTOS',
};

/** Where an initializer's values are. */
type TensorData =
  | { kind: 'raw'; bytes: Uint8Array }
  | { kind: 'typed'; message: Uint8Array }
  | { kind: 'external'; location: string; absolute?: string; offset: number; problem?: string }
  | { kind: 'none' };

interface StoredTensor {
  name: string;
  shape: number[];
  elements: number;
  type: ElementType | undefined;
  dtype: string;
  /** Bytes the values take as stored (raw or external), or would take as raw data (typed fields). */
  bytes: number;
  data: TensorData;
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function clip(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function firstLine(text: string): string {
  return clip(text.trim().split(/\r?\n/, 1)[0] ?? '', 200);
}

function dtypeName(dataType: number): string {
  return ELEMENT_TYPES[dataType]?.dtype ?? `onnx type ${dataType}`;
}

// ------------------------------------------------------------ tensors

/** Dims as sizes; each must be a whole number within 2^53 and their product too. */
function tensorShape(file: string, what: string, dims: Int64[]): { shape: number[]; elements: number } {
  const shape: number[] = [];
  let elements = 1;
  for (const dim of dims) {
    const size = int64Number(dim);
    if (size === undefined || size < 0) throw new FormatError(file, `${what} has the invalid dimension ${int64Text(dim)}`);
    shape.push(size);
    elements *= size;
    if (!Number.isSafeInteger(elements)) throw new FormatError(file, `${what}: the shape [${shape.join(', ')}, ...] has too many elements`);
  }
  return { shape, elements };
}

/** Bytes `elements` values of `type` take as raw data; undefined for strings and unknown types. */
function rawBytes(type: ElementType | undefined, elements: number): number | undefined {
  if (!type || type.bits === 0) return undefined;
  return Math.ceil((elements * type.bits) / 8);
}

/** Smallest bytes one value of a typed field takes on the wire (a varint can be 1 byte). */
const MIN_WIRE_BYTES: Record<string, number> = { floatData: 4, doubleData: 8, int32Data: 1, int64Data: 1, uint64Data: 1, stringData: 1 };

/** An initializer's header, checked against the bytes it holds; `message` is the serialised TensorProto when it is at hand. */
function storedTensor(file: string, what: string, tensor: TensorMessage, message: Uint8Array | undefined): StoredTensor {
  const { shape, elements } = tensorShape(file, what, tensor.dims);
  const type = ELEMENT_TYPES[tensor.dataType];
  const name = tensor.name;
  const dtype = dtypeName(tensor.dataType);
  const expected = rawBytes(type, elements);
  const base = { name, shape, elements, type, dtype };
  if (tensor.dataLocation === DATA_LOCATION_EXTERNAL) {
    const entries = new Map(tensor.externalData.map((entry) => [entry.key, entry.value]));
    const location = entries.get('location') ?? '';
    const offset = Number(entries.get('offset') ?? '0');
    const length = entries.has('length') ? Number(entries.get('length')) : expected;
    let problem: string | undefined;
    if (!Number.isSafeInteger(offset) || offset < 0) problem = `the offset ${clip(entries.get('offset') ?? '')} is not a byte offset`;
    else if (length === undefined || !Number.isSafeInteger(length) || length < 0) problem = `the length ${clip(entries.get('length') ?? '')} is not a byte count`;
    else if (expected !== undefined && length !== expected) problem = `its length ${length} does not match the ${expected} bytes of ${dtype} [${shape.join(', ')}]`;
    return { ...base, bytes: expected ?? (length && Number.isSafeInteger(length) ? length : 0), data: { kind: 'external', location, offset, ...(problem ? { problem } : {}) } };
  }
  if (hasOwn(tensor, 'rawData')) {
    const bytes = tensor.rawData;
    if (expected !== undefined && bytes.length !== expected) {
      throw new FormatError(file, `${what} (${dtype} [${shape.join(', ')}]) needs ${expected} bytes of raw data but holds ${bytes.length}: the file is damaged`);
    }
    return { ...base, bytes: bytes.length, data: { kind: 'raw', bytes } };
  }
  if (!type || !message) return { ...base, bytes: expected ?? 0, data: { kind: 'none' } };
  const wanted = type.typedCount(elements);
  // Every value takes at least a byte of the message: a cheap bound before counting.
  if (wanted * (MIN_WIRE_BYTES[type.field] ?? 1) > message.length) {
    throw new FormatError(file, `${what} declares ${elements} elements of ${dtype}, more than its ${message.length} bytes can hold: the file is damaged`);
  }
  const found = walkTypedValues(message, type.field);
  if (found !== wanted) throw new FormatError(file, `${what} declares ${elements} elements of ${dtype} but holds ${found} values: the file is damaged`);
  return { ...base, bytes: expected ?? message.length, data: { kind: 'typed', message } };
}

/** A tensor's typed-field values laid out as raw data (little-endian, `bytes` long). */
function typedValuesAsRaw(tensor: StoredTensor, message: Uint8Array): Uint8Array {
  const type = tensor.type;
  if (!type || type.bits === 0) throw new Error(`${tensor.dtype} values are not numbers`);
  const out = new Uint8Array(tensor.bytes);
  const view = new DataView(out.buffer);
  const wanted = type.typedCount(tensor.elements);
  // 4-bit types keep one byte (two elements) per value.
  const unit = type.bits === 4 ? 1 : type.field === 'floatData' ? 4 : type.field === 'doubleData' ? 8 : type.bits / 8;
  let index = 0;
  walkTypedValues(message, type.field, (reader) => {
    if (index >= wanted) throw new Error('more values than its shape holds');
    const at = index * unit;
    switch (type.field) {
      case 'floatData':
        view.setFloat32(at, reader.float(), true);
        break;
      case 'doubleData':
        view.setFloat64(at, reader.double(), true);
        break;
      case 'int64Data':
        setInt64(view, at, reader.int64());
        break;
      case 'uint64Data':
        if (unit === 4) view.setUint32(at, reader.uint32(), true);
        else setInt64(view, at, reader.uint64());
        break;
      default: {
        const value = reader.int32();
        if (unit === 1) view.setUint8(at, value & 0xff);
        else if (unit === 2) view.setUint16(at, value & 0xffff, true);
        else view.setInt32(at, value, true);
      }
    }
    index++;
  });
  if (index !== wanted) throw new Error(`${index} values where its shape holds ${wanted}`);
  return out;
}

function setInt64(view: DataView, at: number, value: Int64): void {
  if (typeof value === 'number') {
    view.setBigInt64(at, BigInt(Math.trunc(value)), true);
    return;
  }
  view.setUint32(at, value.low >>> 0, true);
  view.setUint32(at + 4, value.high >>> 0, true);
}

// -------------------------------------------------------- external data

/**
 * The external data file a tensor names, if it is a regular file inside the
 * model's folder (links followed) and holds the tensor's bytes; else the problem.
 */
async function resolveExternal(folder: string, location: string, offset: number, length: number): Promise<{ absolute: string; size: number } | { problem: string }> {
  if (!location) return { problem: 'no location is given' };
  if (path.isAbsolute(location) || path.win32.isAbsolute(location)) return { problem: "an absolute path: only files in the model's folder are read" };
  const absolute = path.resolve(folder, location);
  const inside = (root: string, target: string) => {
    const relative = path.relative(root, target);
    return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
  };
  if (!inside(folder, absolute) || location.split(/[\\/]/).includes('..')) return { problem: "outside the model's folder: not read" };
  let real: string;
  let size: number;
  try {
    real = await fs.realpath(absolute);
    const stat = await fs.stat(real);
    if (!stat.isFile()) return { problem: 'not a regular file' };
    size = stat.size;
  } catch {
    return { problem: `missing (looked for ${absolute})` };
  }
  if (!inside(await fs.realpath(folder), real)) return { problem: "a link to a file outside the model's folder: not read" };
  if (offset + length > size) return { problem: `bytes ${offset}..${offset + length} run past its end (${size} bytes)` };
  return { absolute, size };
}

// ------------------------------------------------------------ the graph

function typeText(type: TypeMessage | undefined | null, depth = 0): string {
  if (!type || depth > MAX_SUBGRAPH_DEPTH) return 'unknown';
  if (type.tensorType) return dtypeName(type.tensorType.elemType);
  if (type.sparseTensorType) return `sparse ${dtypeName(type.sparseTensorType.elemType)}`;
  if (type.sequenceType) return `sequence<${typeText(type.sequenceType.elemType, depth + 1)}>`;
  if (type.mapType) return `map<${dtypeName(type.mapType.keyType)}, ${typeText(type.mapType.valueType, depth + 1)}>`;
  if (type.optionalType) return `optional<${typeText(type.optionalType.elemType, depth + 1)}>`;
  return 'unknown';
}

function tensorSpec(info: ValueInfoMessage): TensorSpec {
  const tensorType = info.type?.tensorType ?? info.type?.sparseTensorType;
  const spec: TensorSpec = { name: info.name, shape: [], dtype: typeText(info.type) };
  if (!tensorType?.shape) return spec;
  const names: Array<string | null> = [];
  for (const dim of tensorType.shape.dim) {
    const size = dim.value === 'dimValue' ? int64Number(dim.dimValue) : undefined;
    spec.shape.push(size !== undefined && size >= 0 ? size : null);
    names.push(dim.value === 'dimParam' && dim.dimParam ? dim.dimParam : null);
  }
  if (names.some((name) => name !== null)) spec.dimNames = names;
  return spec;
}

function numberText(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(7)));
}

/** `[a, b, …]` of the first items; `total` counts the items `items` was cut from. */
function listText(items: string[], total = items.length): string {
  const shown = items.slice(0, MAX_LIST_ITEMS);
  if (total > MAX_LIST_ITEMS) shown.push(`… ${total - MAX_LIST_ITEMS} more`);
  return clip(`[${shown.join(', ')}]`);
}

function bytesText(bytes: Uint8Array): string {
  return clip(Buffer.from(bytes.subarray(0, MAX_TEXT * 4)).toString('utf8'));
}

/** "float32 [64]", with the values when there are few and they are raw data. */
function tensorText(tensor: TensorMessage | undefined | null): string {
  if (!tensor) return 'tensor';
  const dims = tensor.dims.map(int64Text);
  const text = `${dtypeName(tensor.dataType)} [${dims.join(', ')}]`;
  const type = ELEMENT_TYPES[tensor.dataType];
  const elements = tensor.dims.reduce<number>((total, dim) => total * (int64Number(dim) ?? Infinity), 1);
  const expected = rawBytes(type, elements);
  if (!type || elements > MAX_SHOWN_TENSOR_VALUES || !hasOwn(tensor, 'rawData') || tensor.rawData.length !== expected) return text;
  const values = decodeLittleEndian(type.dtype, tensor.rawData, elements);
  return values ? clip(`${text} = ${listText(Array.from(values, numberText))}`) : text;
}

/** Nodes in a graph and the subgraphs of its nodes, down to MAX_SUBGRAPH_DEPTH. */
function countNodes(graph: GraphMessage | undefined | null, depth: number, limits: { deepest: boolean }): number {
  if (!graph) return 0;
  if (depth > MAX_SUBGRAPH_DEPTH) {
    limits.deepest = true;
    return 0;
  }
  let count = graph.node.length;
  for (const node of graph.node) for (const sub of subgraphs(node)) count += countNodes(sub, depth + 1, limits);
  return count;
}

function subgraphs(node: NodeMessage): GraphMessage[] {
  return node.attribute.flatMap((attribute) => [...(attribute.g ? [attribute.g] : []), ...attribute.graphs]);
}

/** The attribute's type, from `type` or (old files) from the field that is set. */
function attributeType(attribute: AttributeMessage): string {
  const named = ATTRIBUTE_TYPES[attribute.type];
  if (named) return named;
  if (hasOwn(attribute, 'f')) return 'FLOAT';
  if (hasOwn(attribute, 'i')) return 'INT';
  if (hasOwn(attribute, 's')) return 'STRING';
  if (attribute.t) return 'TENSOR';
  if (attribute.g) return 'GRAPH';
  if (attribute.floats.length) return 'FLOATS';
  if (attribute.ints.length) return 'INTS';
  if (attribute.strings.length) return 'STRINGS';
  if (attribute.tensors.length) return 'TENSORS';
  if (attribute.graphs.length) return 'GRAPHS';
  return 'UNDEFINED';
}

function graphText(graph: GraphMessage, limits: { deepest: boolean }): string {
  return `graph${graph.name ? ` ${clip(graph.name, 40)}` : ''} (${countNodes(graph, 1, limits)} nodes)`;
}

/** An attribute's value as a short display string. */
function attributeText(attribute: AttributeMessage, limits: { deepest: boolean }): string {
  if (attribute.refAttrName) return `@${attribute.refAttrName}`;
  switch (attributeType(attribute)) {
    case 'FLOAT':
      return numberText(attribute.f);
    case 'INT':
      return int64Text(attribute.i);
    case 'STRING':
      return bytesText(attribute.s);
    case 'TENSOR':
      return tensorText(attribute.t);
    case 'GRAPH':
      return attribute.g ? graphText(attribute.g, limits) : 'graph';
    case 'FLOATS':
      return listText(attribute.floats.slice(0, MAX_LIST_ITEMS).map(numberText), attribute.floats.length);
    case 'INTS':
      return listText(attribute.ints.slice(0, MAX_LIST_ITEMS).map(int64Text), attribute.ints.length);
    case 'STRINGS':
      return listText(attribute.strings.slice(0, MAX_LIST_ITEMS).map(bytesText), attribute.strings.length);
    case 'TENSORS':
      return listText(attribute.tensors.slice(0, MAX_LIST_ITEMS).map(tensorText), attribute.tensors.length);
    case 'GRAPHS':
      return listText(attribute.graphs.slice(0, MAX_LIST_ITEMS).map((graph) => graphText(graph, limits)), attribute.graphs.length);
    case 'SPARSE_TENSOR':
      return attribute.sparseTensor ? `sparse ${tensorText(tryDecodeTensor(attribute.sparseTensor.values))}` : 'sparse tensor';
    case 'SPARSE_TENSORS':
      return `${attribute.sparseTensors.length} sparse tensors`;
    case 'TYPE_PROTO':
      return typeText(attribute.tp);
    case 'TYPE_PROTOS':
      return listText(attribute.typeProtos.slice(0, MAX_LIST_ITEMS).map((type) => typeText(type)), attribute.typeProtos.length);
    default:
      return '';
  }
}

/**
 * The graph's nodes, named (unnamed ones get `<op_type>_<index>`, repeats a
 * suffix) and with inputs given as TF.js graph models give them: the
 * producing node's name (`name:k` for its k-th output, k > 0), else the
 * tensor's own name (a graph input or an initializer).
 */
function graphNodes(nodes: NodeMessage[], limits: { deepest: boolean }): GraphNode[] {
  const names = new Set<string>();
  const producers = new Map<string, string>();
  const named = nodes.map((node, index) => {
    let name = node.name || `${node.opType}_${index}`;
    if (names.has(name)) name = `${name}_${index}`;
    names.add(name);
    node.output.forEach((output, position) => {
      if (output && !producers.has(output)) producers.set(output, position === 0 ? name : `${name}:${position}`);
    });
    return name;
  });
  return nodes.map((node, index) => {
    const attributes: Record<string, string> = {};
    for (const attribute of node.attribute) attributes[attribute.name] = attributeText(attribute, limits);
    if (!STANDARD_DOMAINS.has(node.domain)) attributes.domain = node.domain;
    const inputs = node.input.filter((input) => input !== '').map((input) => producers.get(input) ?? input);
    return { name: named[index] ?? '', op: node.opType, inputs, attributes };
  });
}

// ------------------------------------------------------------ the model

function decodeModel(file: string, buffer: Buffer): ModelMessage {
  try {
    return onnxTypes().model.decode(buffer) as unknown as ModelMessage;
  } catch (error) {
    const reason = errorText(error);
    const problem = /depth/.test(reason) ? 'its messages are nested too deeply' : 'the protobuf data is damaged or truncated';
    throw new FormatError(file, `not a readable ONNX model: ${problem} (${reason})`, { cause: error });
  }
}

function decodeTensor(file: string, what: string, message: Uint8Array): TensorMessage {
  try {
    return onnxTypes().tensor.decode(message) as unknown as TensorMessage;
  } catch (error) {
    throw new FormatError(file, `${what} is damaged (${errorText(error)})`, { cause: error });
  }
}

/** An attribute's embedded tensor header, or undefined when it is damaged (it is only shown). */
function tryDecodeTensor(message: Uint8Array): TensorMessage | undefined {
  try {
    return onnxTypes().tensor.decode(message) as unknown as TensorMessage;
  } catch {
    return undefined;
  }
}

function producerText(model: ModelMessage): string {
  const text = `${model.producerName} ${model.producerVersion}`.trim();
  return text || 'ONNX (producer not recorded)';
}

function modelFacts(model: ModelMessage, graph: GraphMessage): FileFact[] {
  const facts: FileFact[] = [];
  const version = int64Text(model.modelVersion);
  if (version !== '0') facts.push({ label: 'Model version', value: version });
  if (model.domain) facts.push({ label: 'Domain', value: clip(model.domain) });
  if (model.docString.trim()) facts.push({ label: 'Description', value: firstLine(model.docString) });
  if (graph.name) facts.push({ label: 'Graph', value: clip(graph.name) });
  if (graph.docString.trim()) facts.push({ label: 'Graph description', value: firstLine(graph.docString) });
  for (const entry of model.metadataProps.slice(0, 200)) facts.push({ label: clip(entry.key), value: clip(entry.value, 200) });
  if (model.functions.length) {
    const names = model.functions.slice(0, MAX_LIST_ITEMS).map((fn) => (fn.domain ? `${fn.domain}.${fn.name}` : fn.name));
    facts.push({ label: 'Functions', value: listText(names, model.functions.length) });
  }
  if (graph.valueInfo.length) facts.push({ label: 'Intermediate tensors with types', value: String(graph.valueInfo.length) });
  if (graph.sparseInitializer.length) facts.push({ label: 'Sparse initializers', value: String(graph.sparseInitializer.length) });
  return facts;
}

function onnxInfo(model: ModelMessage, irVersion: number, nodes: NodeMessage[]): OnnxInfo {
  const opsets = model.opsetImport.map((opset) => ({ domain: opset.domain || 'ai.onnx', version: int64Number(opset.version) ?? -1 }));
  const domains = new Set([...model.opsetImport.map((opset) => opset.domain), ...nodes.map((node) => node.domain)]);
  const customDomains = [...domains].filter((domain) => !STANDARD_DOMAINS.has(domain)).sort();
  return { irVersion, opsets, customDomains, externalData: [] };
}

/** Short weight name: `conv1.0.weight` -> `weight`. */
function shortName(name: string): string {
  const cut = name.lastIndexOf('.');
  return cut >= 0 && cut < name.length - 1 ? name.slice(cut + 1) : name;
}

/** Parses an ONNX model; weight values are read on demand. */
export async function parseOnnx(file: string): Promise<ParsedModel> {
  try {
    return await readOnnx(file);
  } catch (error) {
    throw asFormatError(file, 'cannot read the ONNX model', error);
  }
}

async function readOnnx(file: string): Promise<ParsedModel> {
  let buffer: Buffer;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new FormatError(file, 'not a regular file');
    if (stat.size === 0) throw new FormatError(file, 'the file is empty');
    if (stat.size > MAX_ONNX_BYTES) throw new FormatError(file, `${formatBytes(stat.size)} is more than a protobuf message can hold: not an ONNX model`);
    buffer = await fs.readFile(file);
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(file, `cannot read: ${errorText(error)}`, { cause: error });
  }
  const model = decodeModel(file, buffer);
  const irVersion = int64Number(model.irVersion);
  if (irVersion === undefined || irVersion < 1 || irVersion > 1000) {
    throw new FormatError(file, `not an ONNX model: no valid IR version (found ${int64Text(model.irVersion)})`);
  }
  const graph = model.graph;
  if (!graph) throw new FormatError(file, 'not an ONNX model: it holds no graph');

  const warnings: string[] = [];
  const folder = path.dirname(path.resolve(file));
  const info = onnxInfo(model, irVersion, [...graph.node, ...model.functions.flatMap((fn) => fn.node)]);

  // Initializers, then sparse initializers (their stored values).
  const tensors = new Map<string, StoredTensor>();
  graph.initializer.forEach((message, index) => {
    const header = decodeTensor(file, `initializer ${index}`, message);
    const tensor = storedTensor(file, `initializer ${clip(header.name || String(index))}`, header, message);
    if (!tensor.name) tensor.name = `initializer ${index}`;
    if (tensors.has(tensor.name)) warnings.push(`Two initializers are called ${clip(tensor.name)}; the first is shown.`);
    else tensors.set(tensor.name, tensor);
  });
  graph.sparseInitializer.forEach((sparse: SparseTensorMessage, index) => {
    if (!hasOwn(sparse, 'values')) throw new FormatError(file, `sparse initializer ${index} has no values`);
    const values = decodeTensor(file, `sparse initializer ${index}`, sparse.values);
    const tensor = storedTensor(file, `sparse initializer ${clip(values.name || String(index))}`, values, sparse.values);
    if (!tensor.name) tensor.name = `sparse initializer ${index}`;
    const dense = tensorShape(file, `sparse initializer ${clip(tensor.name)}`, sparse.dims).shape;
    warnings.push(`Sparse initializer ${clip(tensor.name)} (dense shape [${dense.join(', ')}]) is shown as its ${tensor.elements} stored values.`);
    if (!tensors.has(tensor.name)) tensors.set(tensor.name, tensor);
  });

  // External data: where it is and whether it may be read.
  const externalFiles = new Map<string, number>();
  for (const tensor of tensors.values()) {
    const data = tensor.data;
    if (data.kind !== 'external') continue;
    if (!data.problem) {
      const found = await resolveExternal(folder, data.location, data.offset, tensor.bytes);
      if ('problem' in found) data.problem = found.problem;
      else {
        data.absolute = found.absolute;
        externalFiles.set(found.absolute, found.size);
      }
    }
    info.externalData.push({ tensor: tensor.name, location: data.location, ...(data.problem ? { problem: data.problem } : {}) });
    if (data.problem) warnings.push(`External data of ${clip(tensor.name)} (${clip(data.location)}): ${data.problem}.`);
  }

  const limits = { deepest: false };
  const allNodes = graphNodes(graph.node, limits);
  const nodes = allNodes.slice(0, MAX_GRAPH_NODES);
  if (allNodes.length > MAX_GRAPH_NODES) warnings.push(`The graph has ${allNodes.length} nodes; the first ${MAX_GRAPH_NODES} are listed.`);
  const subgraphNodes = countNodes(graph, 0, limits) - graph.node.length;
  if (limits.deepest) warnings.push(`Subgraphs nested deeper than ${MAX_SUBGRAPH_DEPTH} levels are not counted.`);

  const consumers = new Map<string, string>();
  graph.node.forEach((node, index) => {
    for (const input of node.input) if (!consumers.has(input)) consumers.set(input, allNodes[index]?.name ?? '');
  });
  const weights: WeightTensor[] = [...tensors.values()].map((tensor) => ({
    path: tensor.name,
    layer: consumers.get(tensor.name) ?? '',
    name: shortName(tensor.name),
    shape: tensor.shape,
    dtype: tensor.dtype,
    bytes: tensor.bytes,
    trainable: /^(float|bfloat)/.test(tensor.dtype),
  }));

  const facts = modelFacts(model, graph);
  if (subgraphNodes > 0) facts.push({ label: 'Nodes in subgraphs', value: String(subgraphNodes) });
  const mainOpset = info.opsets.find((opset) => opset.domain === 'ai.onnx');
  const formatLabel = `ONNX model (IR version ${irVersion}${mainOpset ? `, opset ${mainOpset.version}` : ''})`;
  const externalBytes = [...externalFiles.values()].reduce((sum, size) => sum + size, 0);

  let closed = false;
  const readTensor = async (tensorPath: string): Promise<TensorValues> => {
    if (closed) throw new FormatError(file, 'the model was closed');
    const tensor = tensors.get(tensorPath);
    if (!tensor) throw new FormatError(file, `no tensor ${tensorPath} in this model`);
    const raw = await tensorBytes(file, tensor);
    const values = tensor.type ? decodeLittleEndian(tensor.type.dtype, raw, tensor.elements) : undefined;
    if (!values) throw new FormatError(file, `tensor ${tensor.name} holds ${tensor.dtype} values, which are not read as numbers`);
    return values;
  };
  return {
    file,
    fileBytes: buffer.length + externalBytes,
    format: 'onnx',
    formatLabel,
    framework: 'onnx',
    producer: producerText(model),
    weights,
    graph: {
      nodes,
      inputs: graph.input.filter((input) => !tensors.has(input.name)).map(tensorSpec),
      outputs: graph.output.map(tensorSpec),
    },
    onnx: info,
    facts,
    warnings,
    readTensor,
    close: () => {
      closed = true;
      tensors.clear();
    },
  };
}

/** A tensor's values as raw little-endian bytes, from wherever they are stored. */
async function tensorBytes(file: string, tensor: StoredTensor): Promise<Uint8Array> {
  const data = tensor.data;
  switch (data.kind) {
    case 'raw':
      return data.bytes;
    case 'typed':
      try {
        return typedValuesAsRaw(tensor, data.message);
      } catch (error) {
        throw new FormatError(file, `tensor ${tensor.name}: ${errorText(error)}`, { cause: error });
      }
    case 'none':
      if (tensor.elements === 0) return new Uint8Array(0);
      throw new FormatError(file, `tensor ${tensor.name} holds no values`);
    case 'external': {
      if (data.problem || !data.absolute) throw new FormatError(file, `tensor ${tensor.name}: external data ${data.location}: ${data.problem ?? 'not resolved'}`);
      // Checked again now: the folder may have changed since the model was opened.
      const found = await resolveExternal(path.dirname(path.resolve(file)), data.location, data.offset, tensor.bytes);
      if ('problem' in found) throw new FormatError(file, `tensor ${tensor.name}: external data ${data.location}: ${found.problem}`);
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(found.absolute, 'r');
      } catch (error) {
        throw new FormatError(file, `tensor ${tensor.name}: cannot open external data ${data.location}: ${errorText(error)}`, { cause: error });
      }
      try {
        const bytes = Buffer.alloc(tensor.bytes);
        const { bytesRead } = await handle.read(bytes, 0, tensor.bytes, data.offset);
        if (bytesRead !== tensor.bytes) throw new FormatError(file, `tensor ${tensor.name}: external data ${data.location} is short`);
        return bytes;
      } finally {
        await handle.close();
      }
    }
  }
}
