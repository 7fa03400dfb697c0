/**
 * safetensors files: an unsigned 64-bit little-endian header length, a JSON
 * header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
 * {key: value}}`, then the tensors' bytes. Every entry is checked against the
 * file (sizes, bounds, overlaps) before anything is shown; values are read
 * only on demand, one tensor's bytes at a time.
 *
 * Also home of the little-endian element decoding that ONNX raw data shares.
 */
import * as fs from 'node:fs/promises';
import type { FileFact, WeightTensor } from '../protocol/model';
import { FormatError, asFormatError, errorText, formatBytes } from './errors';
import { decodeLittleEndian } from './tensorData';
import type { ParsedModel, TensorValues } from './types';

/** The header is read whole: bound it (the reference implementation allows 100 MB). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100 * 1024 * 1024;
/** Metadata entries shown as facts; the rest are counted in a warning. */
const MAX_METADATA_FACTS = 200;
const MAX_FACT_TEXT = 200;

/** safetensors dtype -> our dtype name and bits per element. */
const SAFETENSORS_DTYPES: Record<string, { dtype: string; bits: number }> = {
  F64: { dtype: 'float64', bits: 64 },
  F32: { dtype: 'float32', bits: 32 },
  F16: { dtype: 'float16', bits: 16 },
  BF16: { dtype: 'bfloat16', bits: 16 },
  F8_E4M3: { dtype: 'float8_e4m3fn', bits: 8 },
  F8_E5M2: { dtype: 'float8_e5m2', bits: 8 },
  F8_E8M0: { dtype: 'float8_e8m0fnu', bits: 8 },
  F6_E2M3: { dtype: 'float6_e2m3fn', bits: 6 },
  F6_E3M2: { dtype: 'float6_e3m2fn', bits: 6 },
  F4: { dtype: 'float4_e2m1fn', bits: 4 },
  C64: { dtype: 'complex64', bits: 64 },
  I64: { dtype: 'int64', bits: 64 },
  I32: { dtype: 'int32', bits: 32 },
  I16: { dtype: 'int16', bits: 16 },
  I8: { dtype: 'int8', bits: 8 },
  U64: { dtype: 'uint64', bits: 64 },
  U32: { dtype: 'uint32', bits: 32 },
  U16: { dtype: 'uint16', bits: 16 },
  U8: { dtype: 'uint8', bits: 8 },
  BOOL: { dtype: 'bool', bits: 8 },
};

// ------------------------------------------------------------- the header

interface HeaderTensor {
  name: string;
  dtype: string;
  /** As the file spells it (F32, BF16, ...), for messages. */
  storedDtype: string;
  shape: number[];
  elements: number;
  begin: number;
  end: number;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON.parse, with every object rebuilt without a prototype so no key (`__proto__`, `constructor`) means anything. */
function parseHeaderJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text, (_key, value: unknown) => (isObject(value) ? Object.assign(Object.create(null) as JsonObject, value) : value));
  } catch (error) {
    throw new FormatError(file, `the header is not JSON (${errorText(error)})`, { cause: error });
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One tensor entry of the header, checked on its own (bounds against the data area follow). */
function headerTensor(file: string, name: string, entry: unknown, dataBytes: number): HeaderTensor {
  const what = `tensor ${clip(name, 120)}`;
  if (!isObject(entry)) throw new FormatError(file, `${what}: its header entry is not an object`);
  const { dtype: storedDtype, shape, data_offsets: offsets } = entry;
  if (typeof storedDtype !== 'string') throw new FormatError(file, `${what}: no dtype`);
  const known = SAFETENSORS_DTYPES[storedDtype];
  if (!known) throw new FormatError(file, `${what}: unknown dtype ${clip(storedDtype, 40)}`);
  if (!Array.isArray(shape) || !shape.every((dim): dim is number => Number.isSafeInteger(dim) && dim >= 0)) {
    throw new FormatError(file, `${what}: the shape ${clip(JSON.stringify(shape) ?? 'undefined', 80)} is not a list of sizes`);
  }
  let elements = 1;
  for (const dim of shape) {
    elements *= dim;
    if (!Number.isSafeInteger(elements)) throw new FormatError(file, `${what}: the shape [${shape.join(', ')}] has too many elements`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((offset): offset is number => Number.isSafeInteger(offset) && offset >= 0)) {
    throw new FormatError(file, `${what}: data_offsets ${clip(JSON.stringify(offsets) ?? 'undefined', 80)} is not a pair of byte offsets`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw new FormatError(file, `${what}: data_offsets [${begin}, ${end}] run backwards`);
  if (end > dataBytes) {
    throw new FormatError(file, `${what}: data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes): the file is truncated or damaged`);
  }
  const bytes = Math.ceil((elements * known.bits) / 8);
  if (end - begin !== bytes) {
    throw new FormatError(file, `${what}: shape [${shape.join(', ')}] of ${storedDtype} needs ${bytes} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype: known.dtype, storedDtype, shape, elements, begin, end };
}

/** `__metadata__`: a string map, shown as facts. */
function metadataFacts(file: string, metadata: unknown, warnings: string[]): FileFact[] {
  if (metadata === undefined) return [];
  if (!isObject(metadata)) throw new FormatError(file, '__metadata__ is not an object');
  const facts: FileFact[] = [];
  const keys = Object.keys(metadata);
  for (const key of keys.slice(0, MAX_METADATA_FACTS)) {
    const value = metadata[key];
    if (typeof value !== 'string') warnings.push(`Metadata ${clip(key, 60)} is not a string, as the format asks.`);
    facts.push({ label: clip(key, 80), value: clip(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''), MAX_FACT_TEXT) });
  }
  if (keys.length > MAX_METADATA_FACTS) warnings.push(`${keys.length - MAX_METADATA_FACTS} more metadata entries are not shown.`);
  return facts;
}

/** Tensors sorted by position; overlapping ones are an error, gaps a warning. */
function checkLayout(file: string, tensors: HeaderTensor[], dataBytes: number, warnings: string[]): void {
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: HeaderTensor | undefined;
  let gaps = 0;
  for (const tensor of tensors) {
    if (previous && tensor.begin < previous.end && tensor.end > tensor.begin) {
      throw new FormatError(file, `tensors ${clip(previous.name, 80)} and ${clip(tensor.name, 80)} overlap (bytes ${tensor.begin}..${previous.end})`);
    }
    if (tensor.begin > covered) gaps++;
    covered = Math.max(covered, tensor.end);
    if (tensor.end > tensor.begin) previous = tensor;
  }
  if (gaps) warnings.push(`${gaps} gap(s) between tensors in the data area: bytes no tensor claims.`);
  if (covered < dataBytes) warnings.push(`${formatBytes(dataBytes - covered)} after the last tensor belong to no tensor.`);
}

/** Buffers PyTorch keeps beside the trained parameters. */
const BUFFER_NAMES = new Set(['running_mean', 'running_var', 'num_batches_tracked']);

function toWeight(tensor: HeaderTensor): WeightTensor {
  const cut = tensor.name.lastIndexOf('.');
  const name = cut >= 0 ? tensor.name.slice(cut + 1) : tensor.name;
  const isFloat = /^(float|bfloat)/.test(tensor.dtype);
  return {
    path: tensor.name,
    layer: cut >= 0 ? tensor.name.slice(0, cut) : '',
    name,
    shape: tensor.shape,
    dtype: tensor.dtype,
    bytes: tensor.end - tensor.begin,
    trainable: isFloat && !BUFFER_NAMES.has(name),
  };
}

async function readExactly(file: string, handle: fs.FileHandle, length: number, position: number, what: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new FormatError(file, `truncated: ${what} needs ${length} bytes at ${position}, the file has ${bytesRead}`);
  return buffer;
}

/** Parses a .safetensors file: the header now, tensor values on demand. */
export async function parseSafetensors(file: string): Promise<ParsedModel> {
  try {
    return await readSafetensors(file);
  } catch (error) {
    throw asFormatError(file, 'cannot read the safetensors file', error);
  }
}

async function readSafetensors(file: string): Promise<ParsedModel> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw new FormatError(file, `cannot open: ${errorText(error)}`, { cause: error });
  }
  let fileBytes: number;
  let header: unknown;
  let dataStart: number;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FormatError(file, 'not a regular file');
    fileBytes = stat.size;
    if (fileBytes < 8) throw new FormatError(file, `truncated: ${fileBytes} bytes, but a safetensors file starts with an 8-byte header length`);
    const headerLength = (await readExactly(file, handle, 8, 0, 'the header length')).readBigUInt64LE(0);
    if (headerLength > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
      throw new FormatError(file, `the header length ${headerLength} is over the ${formatBytes(MAX_SAFETENSORS_HEADER_BYTES)} limit: not a safetensors file, or a damaged one`);
    }
    if (headerLength > BigInt(fileBytes - 8)) {
      throw new FormatError(file, `truncated: the header length ${headerLength} runs past the end of the file (${fileBytes} bytes)`);
    }
    const headerBytes = await readExactly(file, handle, Number(headerLength), 8, 'the header');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch (error) {
      throw new FormatError(file, 'the header is not UTF-8 text: not a safetensors file, or a damaged one', { cause: error });
    }
    header = parseHeaderJson(file, text);
    dataStart = 8 + Number(headerLength);
  } finally {
    await handle.close();
  }
  if (!isObject(header)) throw new FormatError(file, 'the header is not a JSON object');

  const dataBytes = fileBytes - dataStart;
  const warnings: string[] = [];
  const facts = metadataFacts(file, header['__metadata__'], warnings);
  const tensors = Object.keys(header)
    .filter((name) => name !== '__metadata__')
    .map((name) => headerTensor(file, name, header[name], dataBytes));
  checkLayout(file, tensors, dataBytes, warnings);

  const byName = new Map(tensors.map((tensor) => [tensor.name, tensor]));
  const format = facts.find((fact) => fact.label === 'format')?.value;
  let closed = false;
  const readTensor = async (tensorPath: string): Promise<TensorValues> => {
    if (closed) throw new FormatError(file, 'the file was closed');
    const tensor = byName.get(tensorPath);
    if (!tensor) throw new FormatError(file, `no tensor ${tensorPath} in this file`);
    let reader: fs.FileHandle;
    try {
      reader = await fs.open(file, 'r');
    } catch (error) {
      throw new FormatError(file, `cannot open: ${errorText(error)}`, { cause: error });
    }
    let bytes: Buffer;
    try {
      bytes = await readExactly(file, reader, tensor.end - tensor.begin, dataStart + tensor.begin, `tensor ${tensor.name}`);
    } finally {
      await reader.close();
    }
    const values = decodeLittleEndian(tensor.dtype, bytes, tensor.elements);
    if (!values) throw new FormatError(file, `tensor ${tensor.name} holds ${tensor.storedDtype} values, which are not read as numbers`);
    return values;
  };
  return {
    file,
    fileBytes,
    format: 'safetensors',
    formatLabel: 'safetensors tensors',
    framework: 'safetensors',
    producer: format ? `safetensors (format: ${format})` : 'safetensors',
    weights: tensors.map(toWeight),
    facts,
    warnings,
    readTensor,
    close: () => {
      closed = true;
    },
  };
}
