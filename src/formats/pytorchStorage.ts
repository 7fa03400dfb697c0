/**
 * Torch storages and tensors: the persistent ids pickles name storages by,
 * the checks that every tensor lies inside its storage and every storage
 * inside the file, and reading a tensor's elements (contiguous or strided)
 * as numbers.
 */
import { FormatError, formatBytes } from './errors';
import { storageTypeOf } from './pickleGlobals';
import { PyGlobal, PyTuple, TorchStorage, describeValue, type PickleValue, type TorchTensor } from './pickleValues';
import { decodeLittleEndian } from './tensorData';
import type { TensorValues } from './types';

/** Where one storage's bytes are. */
/** What every torch.save container (zip, legacy stream, tar) yields before the root object is read. */
export interface ContainerContents {
  root: PickleValue;
  globals: string[];
  storages: Map<string, TorchStorage>;
  storageBytes: Map<string, StorageBytes>;
  bigEndian: boolean;
  producer: string;
}

export interface StorageBytes {
  byteLength: number;
  read(start: number, length: number): Promise<Uint8Array>;
}

/**
 * The persistent-id loader of torch pickles: `('storage', StorageType, key,
 * location, numel[, view_metadata])` gives a TorchStorage; the legacy
 * `('module', cls, source_file, source)` gives the class name (its source is
 * never run). `seen` collects each storage key with its declared size.
 */
export function torchPersistentLoad(seen: Map<string, TorchStorage>): (id: PickleValue) => PickleValue {
  return (id) => {
    const items = id instanceof PyTuple ? id.items : undefined;
    if (!items || items.length === 0) throw new Error(`${describeValue(id)} is not a tuple`);
    if (items[0] === 'module' && items[1] instanceof PyGlobal) return items[1];
    if (items[0] !== 'storage') throw new Error(`unknown persistent id kind ${describeValue(items[0] ?? null)}`);
    const [, type, key, location, numel, view] = items;
    const known = storageTypeOf(type ?? null);
    if (!known) throw new Error(`${describeValue(type ?? null)} is not a torch storage type`);
    const storageKey = typeof key === 'string' ? key : typeof key === 'number' ? String(key) : undefined;
    if (storageKey === undefined) throw new Error('the storage key is not a string');
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new Error(`storage ${storageKey} has no valid size`);
    const place = typeof location === 'string' ? location : 'cpu';
    const earlier = seen.get(storageKey);
    if (earlier && (earlier.numel !== numel || earlier.dtype !== known.dtype)) {
      throw new Error(`storage ${storageKey} is declared twice with different sizes or types`);
    }
    const root = earlier ?? new TorchStorage(storageKey, known.dtype, known.itemBytes, place, numel);
    seen.set(storageKey, root);
    if (view === undefined || view === null) return root;
    // Legacy views: (view_key, offset, view_size) inside the root storage, in elements.
    const parts = view instanceof PyTuple ? view.items : [];
    const [, offset, size] = parts;
    if (typeof offset !== 'number' || typeof size !== 'number' || !(offset >= 0 && size >= 0 && offset + size <= numel)) {
      throw new Error(`storage view ${describeValue(view)} does not lie inside storage ${storageKey} (${numel} elements)`);
    }
    return new TorchStorage(storageKey, known.dtype, known.itemBytes, place, size, offset);
  };
}

/** Elements from the tensor's first to its last, inclusive (0 when it is empty). */
export function tensorSpan(tensor: TorchTensor): number {
  if (tensor.shape.some((size) => size === 0)) return 0;
  return 1 + tensor.shape.reduce((sum, size, axis) => sum + (size - 1) * (tensor.stride[axis] ?? 0), 0);
}

/** Where the tensor's bytes are inside its root storage: first byte and count. */
export function tensorByteRange(tensor: TorchTensor): { start: number; length: number } {
  const storage = tensor.storage;
  return {
    start: storage.baseOffset * storage.itemBytes + tensor.offset * tensor.itemBytes,
    length: tensorSpan(tensor) * tensor.itemBytes,
  };
}

/** Throws unless the tensor's elements (offset, size, stride) lie inside its storage. */
export function checkTensorInStorage(file: string, path: string, tensor: TorchTensor): void {
  const viewBytes = tensor.storage.numel * tensor.storage.itemBytes;
  const span = tensorSpan(tensor);
  const end = (tensor.offset + span) * tensor.itemBytes;
  if (!(end <= viewBytes)) {
    throw new FormatError(
      file,
      `tensor ${path} (offset ${tensor.offset}, size [${tensor.shape.join(', ')}], stride [${tensor.stride.join(', ')}]) ` +
        `reaches past the end of its storage ${tensor.storage.key} (${tensor.storage.numel} elements)`,
    );
  }
}

/** Throws unless the stored bytes hold the storage's declared elements. */
export function checkStorageBytes(file: string, storage: TorchStorage, available: number | undefined): void {
  if (available === undefined) throw new FormatError(file, `storage ${storage.key} is referenced but not in the file`);
  const needed = storage.numel * storage.itemBytes;
  if (needed > available) {
    throw new FormatError(file, `storage ${storage.key} declares ${storage.numel} ${storage.dtype} elements (${formatBytes(needed)}) but holds ${formatBytes(available)}`);
  }
}

/** Copies a strided tensor's elements into row-major order. `raw` starts at the tensor's first element. */
function gather(raw: Uint8Array, tensor: TorchTensor): Uint8Array {
  const item = tensor.itemBytes;
  const elements = tensor.elements;
  const contiguous = tensor.shape.every((_size, axis) => {
    const expected = tensor.shape.slice(axis + 1).reduce((product, size) => product * size, 1);
    return tensor.shape[axis] === 1 || tensor.stride[axis] === expected;
  });
  if (contiguous) return raw.subarray(0, elements * item);
  const out = new Uint8Array(elements * item);
  const rank = tensor.shape.length;
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let element = 0; element < elements; element++) {
    out.set(raw.subarray(source * item, source * item + item), element * item);
    // Next index, odometer style, moving `source` by the strides.
    for (let axis = rank - 1; axis >= 0; axis--) {
      const size = tensor.shape[axis] ?? 1;
      const stride = tensor.stride[axis] ?? 0;
      if ((index[axis] ?? 0) + 1 < size) {
        index[axis] = (index[axis] ?? 0) + 1;
        source += stride;
        break;
      }
      source -= (size - 1) * stride;
      index[axis] = 0;
    }
  }
  return out;
}

function swapBytes(bytes: Uint8Array, item: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let at = 0; at < bytes.length; at += item) for (let k = 0; k < item; k++) out[at + k] = bytes[at + item - 1 - k] ?? 0;
  return out;
}

/**
 * A tensor's elements, read from its storage's bytes. Refuses tensors with
 * more elements than the file has bytes (broadcast views could claim any).
 */
export async function readTensorValues(
  file: string,
  path: string,
  tensor: TorchTensor,
  storage: StorageBytes,
  options: { fileBytes: number; bigEndian: boolean },
): Promise<TensorValues> {
  const elements = tensor.elements;
  if (elements > options.fileBytes) {
    throw new FormatError(file, `tensor ${path} has ${elements} elements, more than a ${formatBytes(options.fileBytes)} file can hold`);
  }
  const { start, length } = tensorByteRange(tensor);
  if (start + length > storage.byteLength) throw new FormatError(file, `tensor ${path} reaches past the end of storage ${tensor.storage.key}`);
  const raw = await storage.read(start, length);
  let bytes = gather(raw, tensor);
  if (options.bigEndian && tensor.itemBytes > 1) bytes = swapBytes(bytes, tensor.itemBytes);
  const values = decodeLittleEndian(tensor.dtype, bytes, Math.floor(bytes.length / tensor.itemBytes));
  if (!values) throw new FormatError(file, `cannot read tensor ${path}: ${tensor.dtype} values cannot be read as numbers`);
  return values;
}
