/**
 * The values the safe unpickler builds. Nothing here can run code: a class
 * or function a pickle names is a `PyGlobal` (a name), and anything built
 * from one that is not on the allow-list is an inert `PyObject` record.
 * Dicts are Maps, so no key (`__proto__`, `constructor`) reaches a prototype.
 */

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | PyObject
  | TorchStorage
  | TorchTensor
  | NumpyScalar;

export class PyTuple {
  constructor(readonly items: PickleValue[]) {}
}

/** dict, collections.OrderedDict, defaultdict: insertion-ordered. */
export class PyDict {
  readonly entries = new Map<PickleValue, PickleValue>();
  /** What BUILD set on it (an OrderedDict's `_metadata`), kept apart from the entries. */
  state: PickleValue = null;

  constructor(
    /** `dict`, `collections.OrderedDict`, ... */
    readonly className = 'dict',
  ) {}

  get(key: string | number): PickleValue | undefined {
    return this.entries.get(key);
  }

  has(key: string | number): boolean {
    return this.entries.has(key);
  }
}

export class PySet {
  constructor(
    readonly items: PickleValue[],
    readonly frozen: boolean,
  ) {}
}

/** A class or function the pickle names (GLOBAL / STACK_GLOBAL). Never resolved. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An instance the pickle would have built by calling `global` (REDUCE, NEWOBJ,
 * INST, OBJ) and then filled (BUILD, SETITEMS, APPENDS). Only recorded.
 */
export class PyObject {
  state: PickleValue = null;
  /** SETITEM(S) on the object (dict subclasses). */
  readonly dictItems = new Map<PickleValue, PickleValue>();
  /** APPEND(S) on the object (list subclasses). */
  readonly listItems: PickleValue[] = [];

  constructor(
    /** `module.name` of the class or function. */
    readonly global: string,
    readonly args: PickleValue[],
    readonly kwargs: PickleValue = null,
  ) {}

  /** The state as a dict (the usual `__dict__`), or undefined. */
  get stateDict(): PyDict | undefined {
    if (this.state instanceof PyDict) return this.state;
    // (dict_state, slots_state) pairs from __getstate__ with __slots__.
    if (this.state instanceof PyTuple && this.state.items[0] instanceof PyDict) return this.state.items[0];
    return undefined;
  }
}

/** A torch storage named by a persistent id: where its bytes are, not the bytes. */
export class TorchStorage {
  constructor(
    /** The key of its bytes (`data/<key>` in a zip, the storage list in a legacy file). */
    readonly key: string,
    /** float32, float16, bfloat16, int64, bool, ... */
    readonly dtype: string,
    readonly itemBytes: number,
    /** `cpu`, `cuda:0`, ... */
    readonly location: string,
    /** Elements this storage (or view) holds. */
    readonly numel: number,
    /** Legacy views: the first element of the view inside the key's storage. */
    readonly baseOffset = 0,
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` would make it: a window over a storage. */
export class TorchTensor {
  /** Set for nn.Parameter (`_rebuild_parameter`). */
  isParameter = false;

  constructor(
    readonly storage: TorchStorage,
    /** In elements of the tensor's dtype, from the start of the storage (or legacy view). */
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
    public requiresGrad: boolean,
    /** The storage's dtype, unless `_rebuild_tensor_v3` names another (untyped storages). */
    readonly dtype: string = storage.dtype,
    readonly itemBytes: number = storage.itemBytes,
  ) {}

  get elements(): number {
    return this.shape.reduce((product, size) => product * size, 1);
  }
}

/** numpy.core.multiarray.scalar(dtype, bytes), decoded when the dtype is a plain number type. */
export class NumpyScalar {
  constructor(
    readonly dtype: string,
    readonly value: number | bigint | boolean | null,
  ) {}
}

/** The values directly inside `value`: what a walk over a pickle's object graph visits next. */
export function pickleChildren(value: PickleValue): PickleValue[] {
  if (Array.isArray(value)) return value;
  if (value instanceof PyTuple) return value.items;
  if (value instanceof PySet) return value.items;
  if (value instanceof PyDict) {
    const out: PickleValue[] = [];
    for (const [key, item] of value.entries) out.push(key, item);
    out.push(value.state);
    return out;
  }
  if (value instanceof PyObject) {
    const out: PickleValue[] = [...value.args, value.kwargs, value.state, ...value.listItems];
    for (const [key, item] of value.dictItems) out.push(key, item);
    return out;
  }
  return [];
}

/** Whether `value` can hold other values (and so be part of a cycle or a deep nest). */
export function isContainer(value: PickleValue): value is PickleValue[] | PyTuple | PySet | PyDict | PyObject {
  return Array.isArray(value) || value instanceof PyTuple || value instanceof PySet || value instanceof PyDict || value instanceof PyObject;
}

/** A short description of a value for messages and facts: `OrderedDict (4 entries)`, `tensor float32 [3, 4]`. */
export function describeValue(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return value.length > 80 ? `${JSON.stringify(value.slice(0, 77))}...` : JSON.stringify(value);
  if (value instanceof Uint8Array) return `bytes (${value.length})`;
  if (Array.isArray(value)) return `list (${value.length} items)`;
  if (value instanceof PyTuple) return `tuple (${value.items.length} items)`;
  if (value instanceof PyDict) return `${shortName(value.className)} (${value.entries.size} entries)`;
  if (value instanceof PySet) return `${value.frozen ? 'frozenset' : 'set'} (${value.items.length} items)`;
  if (value instanceof PyGlobal) return value.qualifiedName;
  if (value instanceof PyObject) return `${value.global} object`;
  if (value instanceof TorchStorage) return `${value.dtype} storage (${value.numel} elements)`;
  if (value instanceof TorchTensor) return `tensor ${value.dtype} [${value.shape.join(', ')}]`;
  return value.value === null ? `numpy ${value.dtype}` : String(value.value);
}

function shortName(qualified: string): string {
  return qualified.slice(qualified.lastIndexOf('.') + 1);
}
