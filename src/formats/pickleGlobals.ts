/**
 * The allow-list: the classes and functions torch files call while
 * unpickling, and the inert value each one builds here. A name not on the
 * list builds a `PyObject` record of its name and arguments: nothing is run.
 */
import { NumpyScalar, PyDict, PyGlobal, PyObject, PySet, PyTuple, TorchStorage, TorchTensor, type PickleValue } from './pickleValues';

type Builder = (args: PickleValue[], kwargs: PickleValue) => PickleValue;

/** torch dtype globals (`torch.float32`, ...) to our dtype names, with their sizes. */
export const TORCH_DTYPES: Record<string, { dtype: string; itemBytes: number }> = {
  float32: { dtype: 'float32', itemBytes: 4 },
  float: { dtype: 'float32', itemBytes: 4 },
  float64: { dtype: 'float64', itemBytes: 8 },
  double: { dtype: 'float64', itemBytes: 8 },
  float16: { dtype: 'float16', itemBytes: 2 },
  half: { dtype: 'float16', itemBytes: 2 },
  bfloat16: { dtype: 'bfloat16', itemBytes: 2 },
  int64: { dtype: 'int64', itemBytes: 8 },
  long: { dtype: 'int64', itemBytes: 8 },
  int32: { dtype: 'int32', itemBytes: 4 },
  int: { dtype: 'int32', itemBytes: 4 },
  int16: { dtype: 'int16', itemBytes: 2 },
  short: { dtype: 'int16', itemBytes: 2 },
  int8: { dtype: 'int8', itemBytes: 1 },
  uint8: { dtype: 'uint8', itemBytes: 1 },
  bool: { dtype: 'bool', itemBytes: 1 },
  complex64: { dtype: 'complex64', itemBytes: 8 },
  cfloat: { dtype: 'complex64', itemBytes: 8 },
  complex128: { dtype: 'complex128', itemBytes: 16 },
  cdouble: { dtype: 'complex128', itemBytes: 16 },
  qint8: { dtype: 'qint8', itemBytes: 1 },
  quint8: { dtype: 'quint8', itemBytes: 1 },
  qint32: { dtype: 'qint32', itemBytes: 4 },
  float8_e4m3fn: { dtype: 'float8_e4m3fn', itemBytes: 1 },
  float8_e5m2: { dtype: 'float8_e5m2', itemBytes: 1 },
};

/** torch storage classes (`torch.FloatStorage`) to dtypes; untyped storages hold bytes. */
export const TORCH_STORAGE_TYPES: Record<string, { dtype: string; itemBytes: number }> = {
  FloatStorage: { dtype: 'float32', itemBytes: 4 },
  DoubleStorage: { dtype: 'float64', itemBytes: 8 },
  HalfStorage: { dtype: 'float16', itemBytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', itemBytes: 2 },
  LongStorage: { dtype: 'int64', itemBytes: 8 },
  IntStorage: { dtype: 'int32', itemBytes: 4 },
  ShortStorage: { dtype: 'int16', itemBytes: 2 },
  CharStorage: { dtype: 'int8', itemBytes: 1 },
  ByteStorage: { dtype: 'uint8', itemBytes: 1 },
  BoolStorage: { dtype: 'bool', itemBytes: 1 },
  ComplexFloatStorage: { dtype: 'complex64', itemBytes: 8 },
  ComplexDoubleStorage: { dtype: 'complex128', itemBytes: 16 },
  QInt8Storage: { dtype: 'qint8', itemBytes: 1 },
  QUInt8Storage: { dtype: 'quint8', itemBytes: 1 },
  QInt32Storage: { dtype: 'qint32', itemBytes: 4 },
  QUInt4x2Storage: { dtype: 'quint4x2', itemBytes: 1 },
  QUInt2x4Storage: { dtype: 'quint2x4', itemBytes: 1 },
  UntypedStorage: { dtype: 'uint8', itemBytes: 1 },
};

/** The dtype a storage-class global names (`torch.FloatStorage`, `torch.cuda.HalfStorage`, `torch.storage.UntypedStorage`). */
export function storageTypeOf(value: PickleValue): { dtype: string; itemBytes: number } | undefined {
  if (!(value instanceof PyGlobal) || !(value.module === 'torch' || value.module.startsWith('torch.'))) return undefined;
  return TORCH_STORAGE_TYPES[value.name];
}

function nonNegativeInt(value: PickleValue, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Error(`${what} is not a non-negative integer`);
  return value;
}

function intList(value: PickleValue, what: string): number[] {
  const items = value instanceof PyTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (!items) throw new Error(`${what} is not a tuple`);
  if (items.length > 64) throw new Error(`${what} has ${items.length} dimensions`);
  return items.map((item, index) => nonNegativeInt(item, `${what}[${index}]`));
}

function sequenceItems(value: PickleValue | undefined): PickleValue[] {
  if (value === undefined || value === null) return [];
  if (value instanceof PyTuple || value instanceof PySet) return value.items;
  if (Array.isArray(value)) return value;
  if (value instanceof PyDict) return [...value.entries.keys()];
  throw new Error('the argument is not a sequence');
}

/** `_rebuild_tensor(_v2/_v3)(storage, storage_offset, size, stride, [requires_grad, hooks, [dtype,]] ...)`. */
function rebuildTensor(args: PickleValue[], explicitDtype: boolean): TorchTensor {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof TorchStorage)) throw new Error('the first argument is not a storage');
  const shape = intList(size ?? null, 'size');
  const strides = intList(stride ?? null, 'stride');
  if (shape.length !== strides.length) throw new Error(`size has ${shape.length} dimensions but stride ${strides.length}`);
  let dtype = storage.dtype;
  let itemBytes = storage.itemBytes;
  if (explicitDtype) {
    const named = args[6];
    const known = named instanceof PyGlobal && named.module === 'torch' ? TORCH_DTYPES[named.name] : undefined;
    if (!known) throw new Error('the dtype argument is not a torch dtype');
    ({ dtype, itemBytes } = known);
  }
  return new TorchTensor(storage, nonNegativeInt(offset ?? null, 'storage_offset'), shape, strides, requiresGrad === true, dtype, itemBytes);
}

function rebuildParameter(args: PickleValue[]): PickleValue {
  const [data, requiresGrad] = args;
  if (data instanceof TorchTensor) {
    data.isParameter = true;
    data.requiresGrad = requiresGrad === true;
  }
  return data ?? null;
}

/** `_rebuild_from_type_v2(func, new_type, args, state)`: run `func` only if it is itself allow-listed. */
function rebuildFromType(args: PickleValue[]): PickleValue {
  const [func, , inner] = args;
  if (func instanceof PyGlobal && BUILDERS.has(func.qualifiedName) && inner instanceof PyTuple) return buildFromGlobal(func, inner.items, null);
  return new PyObject('torch._tensor._rebuild_from_type_v2', args);
}

function ordered(className: string): Builder {
  return (args) => {
    const dict = new PyDict(className);
    const source = className === 'collections.defaultdict' ? args[1] : args[0];
    if (source instanceof PyDict) for (const [key, value] of source.entries) dict.entries.set(key, value);
    else
      for (const pair of sequenceItems(source)) {
        const items = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : undefined;
        if (!items || items.length !== 2) throw new Error('an item is not a (key, value) pair');
        dict.entries.set(items[0] as PickleValue, items[1] as PickleValue);
      }
    return dict;
  };
}

function encodeText(args: PickleValue[]): PickleValue {
  const [text, encoding] = args;
  if (text instanceof Uint8Array) return text;
  if (typeof text !== 'string') {
    // bytearray([1, 2, 3]) / bytes([...]); a bare count would allocate: keep it as a record.
    if (Array.isArray(text)) return Uint8Array.from(text.map((item) => (typeof item === 'number' ? item & 0xff : 0)));
    if (text === undefined) return new Uint8Array(0);
    return new PyObject('builtins.bytes', args);
  }
  const name = typeof encoding === 'string' ? encoding.toLowerCase().replace('_', '-') : 'utf-8';
  if (name === 'latin1' || name === 'latin-1' || name === 'iso-8859-1') return Uint8Array.from(text, (char) => char.charCodeAt(0) & 0xff);
  return new TextEncoder().encode(text);
}

function torchDevice(args: PickleValue[]): PickleValue {
  const [type, index] = args;
  if (typeof type !== 'string') throw new Error('the device type is not a string');
  return typeof index === 'number' ? `${type}:${index}` : type;
}

/** `numpy.core.multiarray.scalar(dtype, bytes)`: the value, for plain number dtypes. */
function numpyScalar(args: PickleValue[]): PickleValue {
  const [dtype, raw] = args;
  const code = dtype instanceof PyObject && typeof dtype.args[0] === 'string' ? dtype.args[0] : '?';
  const order = dtype instanceof PyObject && dtype.state instanceof PyTuple ? dtype.state.items[1] : '<';
  const little = order !== '>';
  const bytes = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? Uint8Array.from(raw, (char) => char.charCodeAt(0) & 0xff) : undefined;
  if (!bytes) return new NumpyScalar(code, null);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const readers: Record<string, [number, () => number | bigint | boolean]> = {
    f8: [8, () => view.getFloat64(0, little)],
    f4: [4, () => view.getFloat32(0, little)],
    i8: [8, () => view.getBigInt64(0, little)],
    u8: [8, () => view.getBigUint64(0, little)],
    i4: [4, () => view.getInt32(0, little)],
    u4: [4, () => view.getUint32(0, little)],
    i2: [2, () => view.getInt16(0, little)],
    u2: [2, () => view.getUint16(0, little)],
    i1: [1, () => view.getInt8(0)],
    u1: [1, () => view.getUint8(0)],
    b1: [1, () => view.getUint8(0) !== 0],
  };
  const reader = readers[code];
  if (!reader || bytes.length < reader[0]) return new NumpyScalar(code, null);
  let value = reader[1]();
  if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) value = Number(value);
  return new NumpyScalar(code, value);
}

const identity: Builder = (args) => args[0] ?? null;

const BUILDERS = new Map<string, Builder>([
  ['collections.OrderedDict', ordered('collections.OrderedDict')],
  ['collections.defaultdict', ordered('collections.defaultdict')],
  ['builtins.dict', ordered('dict')],
  ['builtins.set', (args) => new PySet([...sequenceItems(args[0])], false)],
  ['builtins.frozenset', (args) => new PySet([...sequenceItems(args[0])], true)],
  ['builtins.list', (args) => [...sequenceItems(args[0])]],
  ['builtins.tuple', (args) => new PyTuple([...sequenceItems(args[0])])],
  ['builtins.bytearray', encodeText],
  ['builtins.bytes', encodeText],
  ['_codecs.encode', encodeText],
  ['copyreg._reconstructor', (args) => (args[0] instanceof PyGlobal ? new PyObject(args[0].qualifiedName, []) : new PyObject('copyreg._reconstructor', args))],
  ['torch.Size', (args) => new PyTuple([...sequenceItems(args[0])])],
  ['torch.device', torchDevice],
  ['torch._utils._rebuild_tensor', (args) => rebuildTensor(args, false)],
  ['torch._utils._rebuild_tensor_v2', (args) => rebuildTensor(args, false)],
  ['torch._utils._rebuild_tensor_v3', (args) => rebuildTensor(args, true)],
  ['torch._utils._rebuild_parameter', rebuildParameter],
  ['torch._utils._rebuild_parameter_with_state', rebuildParameter],
  ['torch._tensor._rebuild_from_type_v2', rebuildFromType],
  ['torch._tensor._rebuild_from_type', rebuildFromType],
  ['torch.jit._pickle.build_intlist', identity],
  ['torch.jit._pickle.build_floatlist', identity],
  ['torch.jit._pickle.build_doublelist', identity],
  ['torch.jit._pickle.build_boollist', identity],
  ['torch.jit._pickle.build_tensorlist', identity],
  ['torch.jit._pickle.build_complexlist', identity],
  ['torch.jit._pickle.restore_type_tag', identity],
  ['numpy.core.multiarray.scalar', numpyScalar],
  ['numpy._core.multiarray.scalar', numpyScalar],
]);

/** Known names that are fine as plain records (harmless data types, torch's own rebuild functions). */
const KNOWN_RECORDS = new Set([
  'builtins.slice',
  'builtins.complex',
  'builtins.range',
  'builtins.object',
  'argparse.Namespace',
  'numpy.dtype',
  'numpy.ndarray',
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_nested_tensor',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_wrapper_subclass',
  'torch._utils._rebuild_device_tensor_from_numpy',
  'torch._utils._rebuild_mkldnn_tensor',
  'torch.nn.parameter.Parameter',
]);

/** Whether a global is one of the names a torch file is expected to use (not a user class or anything else). */
export function isAllowListed(qualifiedName: string): boolean {
  if (BUILDERS.has(qualifiedName) || KNOWN_RECORDS.has(qualifiedName)) return true;
  const dot = qualifiedName.lastIndexOf('.');
  const module = qualifiedName.slice(0, dot);
  const name = qualifiedName.slice(dot + 1);
  if (module === 'torch' && (name in TORCH_DTYPES || name in TORCH_STORAGE_TYPES)) return true;
  return (module === 'torch.storage' || module === 'torch.cuda') && name in TORCH_STORAGE_TYPES;
}

/** What calling `global` with `args` gives: an allow-listed rebuild, or an inert record. */
export function buildFromGlobal(global: PyGlobal, args: PickleValue[], kwargs: PickleValue): PickleValue {
  const builder = BUILDERS.get(global.qualifiedName);
  return builder ? builder(args, kwargs) : new PyObject(global.qualifiedName, args, kwargs);
}
