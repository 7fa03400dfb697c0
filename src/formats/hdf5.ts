/**
 * A thin, bounded reader over h5wasm (the HDF5 C library in WebAssembly).
 *
 * h5wasm's Node build opens files by path through Emscripten's NODERAWFS, so
 * opening reads only the metadata it needs: weights stay on disk until
 * readDataset() asks for one. Before h5wasm sees a file we check the HDF5
 * signature and the superblock's end-of-file address against the real size
 * (a cut download is reported as truncated, not as an HDF5 error stack), and
 * every allocation made on the file's behalf is checked against its size.
 *
 * h5wasm's Node build reads `import.meta.url` when it starts. In a CommonJS
 * bundle esbuild leaves that empty, so bundles that include this module must
 * use the `h5wasm-import-meta-url` esbuild plugin (scripts/lib/esbuildPlugins.mjs);
 * without it, open() fails with an error that says so.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type * as H5Lib from 'h5wasm/node';
import type { Metadata } from 'h5wasm/node';
import { FormatError, errorText, formatBytes } from './errors';
import { decodeBfloat16, decodeFloat16 } from './tensorData';
import type { TensorValues } from './types';

type H5Module = typeof H5Lib.Module;

/** A decoded attribute value. Integers wider than 53 bits lose precision. */
export type AttrValue = string | number | boolean | Array<string | number | boolean>;

export type EntryKind = 'group' | 'dataset' | 'other' | 'missing';

export interface DatasetInfo {
  /** Path from the root, without a leading slash. */
  path: string;
  shape: number[];
  /** float32, float16, bfloat16, float64, int8..int64, uint8..uint64, bool, string, opaque, ... */
  dtype: string;
  /** Bytes per element as stored. */
  itemBytes: number;
  elements: number;
}

export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Deflate cannot shrink data more than about 1032:1; a compressed dataset larger than that is corrupt. */
const MAX_COMPRESSION_RATIO = 1100;
/** HDF5 class codes (H5T_class_t). */
const H5T = { integer: 0, float: 1, string: 3, opaque: 5, compound: 6, reference: 7, enum: 8, vlen: 9, array: 10 } as const;

let loading: Promise<H5Module> | undefined;

/** Loads and starts h5wasm once per process; HDF5 errors become exceptions instead of stderr output. */
function h5wasmModule(): Promise<H5Module> {
  loading ??= (async () => {
    try {
      const lib = await import('h5wasm/node');
      const module = await lib.ready;
      // Turns HDF5's error-stack printing into thrown errors carrying the same text.
      module.activate_throwing_error_handler();
      return module;
    } catch (error) {
      loading = undefined;
      const hint = /createRequire|filename|startsWith/.test(errorText(error))
        ? ' (in a CommonJS bundle h5wasm needs import.meta.url: build with the h5wasm-import-meta-url esbuild plugin)'
        : '';
      throw new Error(`h5wasm could not start: ${errorText(error)}${hint}`, { cause: error });
    }
  })();
  return loading;
}

/**
 * Starts h5wasm ahead of the first file (a few hundred ms of WebAssembly
 * compilation), so the first summary does not pay for it. Never throws:
 * a failure shows when a file is opened.
 */
export async function warmUpHdf5(): Promise<void> {
  await h5wasmModule().catch(() => undefined);
}

/** The offset of the HDF5 signature (0, 512, 1024, 2048, ...), or undefined when the file has none. */
export async function findHdf5Signature(handle: fs.FileHandle, fileBytes: number): Promise<number | undefined> {
  const probe = Buffer.alloc(HDF5_SIGNATURE.length);
  for (let offset = 0; offset + probe.length <= fileBytes; offset = offset === 0 ? 512 : offset * 2) {
    const { bytesRead } = await handle.read(probe, 0, probe.length, offset);
    if (bytesRead === probe.length && probe.equals(HDF5_SIGNATURE)) return offset;
  }
  return undefined;
}

/** Whether `file` carries an HDF5 signature where the format allows one. */
export async function isHdf5File(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    return (await findHdf5Signature(handle, (await handle.stat()).size)) !== undefined;
  } finally {
    await handle.close();
  }
}

function readUnsigned(buffer: Buffer, offset: number, bytes: number): number | undefined {
  if (offset + bytes > buffer.length) throw new RangeError('superblock cut short');
  let value = 0;
  let allOnes = true;
  for (let i = bytes - 1; i >= 0; i--) {
    const byte = buffer[offset + i] ?? 0;
    if (byte !== 0xff) allOnes = false;
    value = value * 256 + byte;
  }
  // All ones is HDF5's "undefined address".
  return allOnes ? undefined : value;
}

/** Refuses files whose superblock is damaged or whose declared end lies past the real end. */
async function checkSuperblock(file: string, handle: fs.FileHandle, fileBytes: number): Promise<void> {
  const at = await findHdf5Signature(handle, fileBytes);
  if (at === undefined) throw new FormatError(file, 'not an HDF5 file (no HDF5 signature)');
  const block = Buffer.alloc(128);
  const { bytesRead } = await handle.read(block, 0, block.length, at);
  const superblock = block.subarray(0, bytesRead);
  const version = superblock[8];
  // Layout (HDF5 file format spec, "Superblock"): where the sizes and addresses sit per version.
  let sizeOfOffsets: number | undefined;
  let addressesAt: number;
  if (version === 0 || version === 1) {
    sizeOfOffsets = superblock[13];
    addressesAt = version === 0 ? 24 : 28;
  } else if (version !== undefined && version >= 2 && version <= 4) {
    sizeOfOffsets = superblock[9];
    addressesAt = 12;
  } else {
    throw new FormatError(file, `unsupported or damaged HDF5 superblock (version ${version ?? 'missing'})`);
  }
  if (sizeOfOffsets !== 2 && sizeOfOffsets !== 4 && sizeOfOffsets !== 8) {
    throw new FormatError(file, `damaged HDF5 superblock (size of offsets ${sizeOfOffsets ?? 'missing'})`);
  }
  let baseAddress: number | undefined;
  let endOfFile: number | undefined;
  try {
    baseAddress = readUnsigned(superblock, addressesAt, sizeOfOffsets);
    endOfFile = readUnsigned(superblock, addressesAt + 2 * sizeOfOffsets, sizeOfOffsets);
  } catch {
    throw new FormatError(file, `truncated: the file ends inside its HDF5 superblock (${fileBytes} bytes)`);
  }
  if (endOfFile === undefined) return;
  // Addresses count from the base address; HDF5 takes the superblock's own offset as base when a user block precedes it.
  const declaredEnd = Math.max(baseAddress ?? 0, at) + endOfFile;
  if (declaredEnd > fileBytes) {
    throw new FormatError(
      file,
      `truncated: the HDF5 superblock says the file is ${declaredEnd} bytes (${formatBytes(declaredEnd)}) but the file has ${fileBytes} (${formatBytes(fileBytes)})`,
    );
  }
}

/** The innermost message of an HDF5 error stack ("#003: ... in H5F_open(): file signature not found" -> that text). */
function hdf5Reason(error: unknown): string {
  const text = errorText(error);
  const frames = [...text.matchAll(/#\d+:[^\n]*?\(\):\s*([^\n]+)/g)].map((match) => (match[1] ?? '').trim());
  const innermost = frames[frames.length - 1];
  if (innermost) return innermost;
  return text.split('\n')[0] ?? text;
}

function product(shape: number[]): number {
  return shape.reduce((total, dim) => total * dim, 1);
}

function isH5pyBoolean(metadata: Metadata): boolean {
  const members = metadata.enum_type?.members;
  if (!members) return false;
  const names = Object.keys(members).sort();
  return names.length === 2 && names[0] === 'FALSE' && names[1] === 'TRUE';
}

function dtypeName(metadata: Metadata): string {
  const { type, size, signed } = metadata;
  switch (type) {
    case H5T.integer:
      return `${signed ? 'int' : 'uint'}${size * 8}`;
    case H5T.float:
      return size === 2 ? 'float16' : `float${size * 8}`;
    case H5T.string:
      return 'string';
    case H5T.enum:
      return isH5pyBoolean(metadata) ? 'bool' : 'enum';
    case H5T.opaque:
      return 'opaque';
    case H5T.compound:
      return 'compound';
    case H5T.reference:
      return 'reference';
    case H5T.vlen:
      return 'vlen';
    case H5T.array:
      return 'array';
    default:
      return 'unknown';
  }
}

/** Little-endian integers of `size` bytes, as numbers. */
function readIntegers(bytes: Uint8Array, size: number, signed: boolean): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let at = 0; at + size <= bytes.byteLength; at += size) {
    switch (size) {
      case 1:
        out.push(signed ? view.getInt8(at) : view.getUint8(at));
        break;
      case 2:
        out.push(signed ? view.getInt16(at, true) : view.getUint16(at, true));
        break;
      case 4:
        out.push(signed ? view.getInt32(at, true) : view.getUint32(at, true));
        break;
      default:
        out.push(Number(signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true)));
    }
  }
  return out;
}

function readFloats(bytes: Uint8Array, size: number): number[] {
  if (size === 2) return Array.from(decodeFloat16(bytes));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let at = 0; at + size <= bytes.byteLength; at += size) {
    out.push(size === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true));
  }
  return out;
}

const utf8 = new TextDecoder('utf-8');

/** Fixed-length strings: NUL-terminated or NUL/space padded, decoded as UTF-8 (ASCII is a subset). */
function readFixedStrings(bytes: Uint8Array, size: number, spacePadded: boolean): string[] {
  const out: string[] = [];
  for (let at = 0; at + size <= bytes.byteLength; at += size) {
    let chunk = bytes.subarray(at, at + size);
    const nul = chunk.indexOf(0);
    if (nul >= 0) chunk = chunk.subarray(0, nul);
    const text = utf8.decode(chunk);
    out.push(spacePadded ? text.replace(/ +$/, '') : text);
  }
  return out;
}

/** An HDF5 file opened read-only. Paths are relative to the root ("model_weights/dense"). */
export class Hdf5File {
  private closed = false;

  private constructor(
    /** The file as given to open(). */
    readonly file: string,
    readonly fileBytes: number,
    private readonly module: H5Module,
    private readonly fileId: bigint,
  ) {}

  /** Opens `file`, refusing non-HDF5 and truncated files before h5wasm reads them. */
  static async open(file: string): Promise<Hdf5File> {
    const absolute = path.resolve(file);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(absolute, 'r');
    } catch (error) {
      throw new FormatError(file, `cannot open: ${errorText(error)}`, { cause: error });
    }
    let fileBytes: number;
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new FormatError(file, 'not a regular file');
      fileBytes = stat.size;
      await checkSuperblock(file, handle, fileBytes);
    } finally {
      await handle.close();
    }
    let module: H5Module;
    try {
      module = await h5wasmModule();
    } catch (error) {
      throw new FormatError(file, `cannot start the HDF5 reader: ${errorText(error)}`, { cause: error });
    }
    let fileId: bigint;
    try {
      fileId = module.open(absolute, module.H5F_ACC_RDONLY, false, -1, -1);
    } catch (error) {
      throw new FormatError(file, `cannot read the HDF5 structure: ${hdf5Reason(error)}`, { cause: error });
    }
    if (fileId < 0n) throw new FormatError(file, 'cannot read the HDF5 structure');
    return new Hdf5File(file, fileBytes, module, fileId);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.module.close_file(this.fileId);
    } catch {
      // Closing a file HDF5 already gave up on has nothing left to release.
    }
  }

  /** Runs an h5wasm call, turning its failure into a FormatError that names the object. */
  private call<T>(what: string, action: () => T): T {
    if (this.closed) throw new FormatError(this.file, `${what}: the file is closed`);
    try {
      return action();
    } catch (error) {
      if (error instanceof FormatError) throw error;
      throw new FormatError(this.file, `${what}: ${hdf5Reason(error)}`, { cause: error });
    }
  }

  private static absolute(objectPath: string): string {
    const trimmed = objectPath.replace(/^\/+|\/+$/g, '');
    return `/${trimmed}`;
  }

  kind(objectPath: string): EntryKind {
    const full = Hdf5File.absolute(objectPath);
    if (full === '/') return 'group';
    let type: number;
    try {
      type = this.call(`cannot look up ${full}`, () => this.module.get_type(this.fileId, full));
    } catch (error) {
      // HDF5 reports a path through a dataset, or a broken link, as an error: there is nothing there.
      if (this.closed) throw error;
      return 'missing';
    }
    if (type === this.module.H5G_GROUP) return 'group';
    if (type === this.module.H5G_DATASET) return 'dataset';
    return type < 0 ? 'missing' : 'other';
  }

  /** Names of the members of a group, in HDF5's (alphabetical) order. */
  childNames(groupPath: string): string[] {
    const full = Hdf5File.absolute(groupPath);
    return this.call(`cannot list ${full}`, () => this.module.get_names(this.fileId, full, false));
  }

  children(groupPath: string): Array<{ name: string; kind: EntryKind }> {
    const prefix = groupPath.replace(/^\/+|\/+$/g, '');
    return this.childNames(groupPath).map((name) => ({ name, kind: this.kind(prefix ? `${prefix}/${name}` : name) }));
  }

  attrNames(objectPath: string): string[] {
    const full = Hdf5File.absolute(objectPath);
    return this.call(`cannot list the attributes of ${full}`, () => this.module.get_attribute_names(this.fileId, full));
  }

  hasAttr(objectPath: string, name: string): boolean {
    return this.attrNames(objectPath).includes(name);
  }

  /**
   * An attribute, decoded: strings (variable- or fixed-length, UTF-8 or
   * ASCII, NULs stripped), numbers, booleans (h5py's enum), or arrays of
   * them. Undefined when absent or of a type with no plain value.
   */
  attr(objectPath: string, name: string): AttrValue | undefined {
    if (!this.hasAttr(objectPath, name)) return undefined;
    const full = Hdf5File.absolute(objectPath);
    const what = `cannot read attribute ${name} of ${full}`;
    const metadata = this.call(what, () => this.module.get_attribute_metadata(this.fileId, full, name));
    if (!metadata.shape) return undefined;
    const count = metadata.total_size;
    const nbytes = metadata.size * count;
    // An attribute's values (or, for variable-length strings, their heap ids) are stored in the file.
    if (!(nbytes >= 0 && nbytes <= this.fileBytes)) {
      throw new FormatError(this.file, `${what}: it declares ${nbytes} bytes, more than the whole file`);
    }
    const values = this.call(what, () => {
      const pointer = this.malloc(nbytes, what);
      try {
        this.module.get_attribute_data(this.fileId, full, name, BigInt(pointer));
        const raw = this.module.HEAPU8.slice(pointer, pointer + nbytes);
        try {
          return this.decodeValues(raw, metadata);
        } finally {
          if (metadata.vlen) this.module.reclaim_vlen_memory(this.fileId, full, name, BigInt(pointer));
        }
      } finally {
        this.module._free(pointer);
      }
    });
    if (values === undefined) return undefined;
    return metadata.shape.length === 0 && values.length === 1 ? values[0] : values;
  }

  /** A string attribute (or the first of a list). */
  stringAttr(objectPath: string, name: string): string | undefined {
    const value = this.attr(objectPath, name);
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string' && value.length === 1) return value[0];
    return undefined;
  }

  /**
   * A list-of-strings attribute. Keras splits attributes over 64 KB into
   * `name0`, `name1`, ...: those are joined. Undefined when neither exists.
   */
  stringListAttr(objectPath: string, name: string): string[] | undefined {
    const names = this.attrNames(objectPath);
    const asList = (value: AttrValue | undefined): string[] => {
      if (value === undefined) return [];
      const items = Array.isArray(value) ? value : [value];
      return items.map(String);
    };
    if (names.includes(name)) return asList(this.attr(objectPath, name));
    if (!names.includes(`${name}0`)) return undefined;
    const joined: string[] = [];
    for (let part = 0; names.includes(`${name}${part}`); part++) joined.push(...asList(this.attr(objectPath, `${name}${part}`)));
    return joined;
  }

  private malloc(nbytes: number, what: string): number {
    const pointer = this.module._malloc(Math.max(1, nbytes));
    if (!pointer) throw new FormatError(this.file, `${what}: out of memory for ${formatBytes(nbytes)}`);
    return pointer;
  }

  private decodeValues(raw: Uint8Array, metadata: Metadata): Array<string | number | boolean> | undefined {
    switch (metadata.type) {
      case H5T.string: {
        if (!metadata.vlen) return readFixedStrings(raw, metadata.size, metadata.strpad === 2);
        const heap = this.module.HEAPU8;
        return readIntegers(raw, 4, false).map((pointer) => {
          if (!pointer) return '';
          const end = heap.indexOf(0, pointer);
          return utf8.decode(heap.subarray(pointer, end < 0 ? heap.length : end));
        });
      }
      case H5T.integer:
        return readIntegers(raw, metadata.size, metadata.signed);
      case H5T.float:
        return readFloats(raw, metadata.size);
      case H5T.enum: {
        const base = metadata.enum_type;
        if (!base) return undefined;
        const numbers = readIntegers(raw, metadata.size, metadata.signed);
        return isH5pyBoolean(metadata) ? numbers.map((value) => value !== 0) : numbers;
      }
      default:
        return undefined;
    }
  }

  private datasetMetadata(objectPath: string): Metadata {
    const full = Hdf5File.absolute(objectPath);
    return this.call(`cannot read dataset ${full}`, () => this.module.get_dataset_metadata(this.fileId, full));
  }

  /** Shape and element type of a dataset, without reading it. bfloat16 is recognised by Keras' `dtype` attribute. */
  dataset(objectPath: string): DatasetInfo {
    const metadata = this.datasetMetadata(objectPath);
    const shape = (metadata.shape ?? []).map(Number);
    let dtype = dtypeName(metadata);
    if (metadata.size === 2 && dtype !== 'float16' && this.stringAttr(objectPath, 'dtype') === 'bfloat16') dtype = 'bfloat16';
    return {
      path: objectPath.replace(/^\/+/, ''),
      shape,
      dtype,
      itemBytes: metadata.size,
      elements: metadata.shape ? product(shape) : 0,
    };
  }

  /**
   * A numeric dataset's values: floats (float16, bfloat16, float32, float64)
   * as Float32Array, bool/uint8 as Uint8Array, other integers as Int32Array.
   * Refuses datasets whose declared size the file cannot hold.
   */
  readDataset(objectPath: string): TensorValues {
    const full = Hdf5File.absolute(objectPath);
    const what = `cannot read dataset ${full}`;
    const info = this.dataset(objectPath);
    const metadata = this.datasetMetadata(objectPath);
    const numeric = metadata.type === H5T.integer || metadata.type === H5T.float || metadata.type === H5T.enum || info.dtype === 'bfloat16';
    if (!numeric) throw new FormatError(this.file, `${what}: its ${info.dtype} values are not numbers`);
    if (info.elements === 0) return info.dtype.startsWith('float') || info.dtype === 'bfloat16' ? new Float32Array(0) : new Int32Array(0);
    const nbytes = info.itemBytes * info.elements;
    const filters = this.call(what, () => this.module.get_dataset_filters(this.fileId, full));
    const compressed = filters.some((filter) => filter.id !== this.module.H5Z_FILTER_NONE);
    const limit = compressed ? this.fileBytes * MAX_COMPRESSION_RATIO : this.fileBytes;
    if (!(nbytes <= limit) || nbytes > this.module.MAXIMUM_MEMORY / 2) {
      throw new FormatError(
        this.file,
        `${what}: its shape [${info.shape.join(', ')}] needs ${formatBytes(nbytes)}, more than a ${formatBytes(this.fileBytes)} file can hold`,
      );
    }
    const raw = this.call(what, () => {
      const pointer = this.malloc(nbytes, what);
      try {
        this.module.get_dataset_data(this.fileId, full, null, null, null, BigInt(pointer));
        return this.module.HEAPU8.slice(pointer, pointer + nbytes);
      } finally {
        this.module._free(pointer);
      }
    });
    return toTensorValues(raw, info, metadata);
  }
}

function toTensorValues(raw: Uint8Array, info: DatasetInfo, metadata: Metadata): TensorValues {
  if (info.dtype === 'bfloat16') return decodeBfloat16(raw);
  if (info.dtype === 'float16') return decodeFloat16(raw);
  if (info.dtype === 'float32') return new Float32Array(raw.buffer, raw.byteOffset, info.elements);
  if (metadata.type === H5T.float) return Float32Array.from(readFloats(raw, metadata.size));
  if (metadata.size === 1 && (!metadata.signed || info.dtype === 'bool')) return new Uint8Array(raw.buffer, raw.byteOffset, info.elements);
  if (metadata.size === 4 && metadata.signed) return new Int32Array(raw.buffer, raw.byteOffset, info.elements);
  const clamp = (value: number) => Math.max(-2147483648, Math.min(2147483647, value));
  return Int32Array.from(readIntegers(raw, metadata.size, metadata.signed), clamp);
}
