/**
 * A safe unpickler for what torch.save and torch.jit.save write (protocols
 * 0 to 5). It builds inert values (see pickleValues.ts): classes and
 * functions are only names; the few that torch files need are rebuilt by the
 * allow-list in pickleGlobals.ts, every other one becomes a record. Nothing
 * a file names is ever looked up or run.
 *
 * Every declared length is checked against the bytes present, and the stack,
 * marks, memo, object count and nesting depth are bounded, so a hostile
 * pickle fails with a FormatError instead of exhausting memory or the stack.
 */
import { FormatError } from './errors';
import { buildFromGlobal } from './pickleGlobals';
import {
  PyDict,
  PyGlobal,
  PyObject,
  PySet,
  PyTuple,
  TorchStorage,
  TorchTensor,
  describeValue,
  isContainer,
  pickleChildren,
  type PickleValue,
} from './pickleValues';

export interface PickleLimits {
  /** Values on the stack at once. */
  maxStack: number;
  /** MARKs open at once. */
  maxMarks: number;
  /** Memo entries. */
  maxMemo: number;
  /** Values created. */
  maxObjects: number;
  /** Containers inside containers, counted along the deepest path of the result. */
  maxNesting: number;
  /** Bytes of one integer (LONG1/LONG4/text). */
  maxIntegerBytes: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxStack: 1_000_000,
  maxMarks: 1000,
  maxMemo: 5_000_000,
  maxObjects: 20_000_000,
  maxNesting: 1000,
  maxIntegerBytes: 1024,
};

export interface UnpickleOptions {
  /** The file the bytes come from: errors name it. */
  file: string;
  /** What the pickle is, for messages: `data.pkl`, `the main pickle`. */
  what?: string;
  /** Where the pickle starts in `data`. */
  start?: number;
  /** Resolves PERSID/BINPERSID ids (torch storages). Without it, a persistent id is an error. */
  persistentLoad?: (id: PickleValue) => PickleValue;
  limits?: Partial<PickleLimits>;
}

export interface UnpickleResult {
  value: PickleValue;
  /** The offset just after STOP. */
  end: number;
  /** `module.name` of every class or function the pickle names, in first-seen order. */
  globals: string[];
}

/** A malformed pickle. `truncated` when it only ran out of bytes (a longer read may succeed). */
export class PickleError extends FormatError {
  constructor(
    file: string,
    problem: string,
    readonly truncated = false,
  ) {
    super(file, problem);
  }
}

/** Python 2 names Python 3 writes at protocols < 3 (pickle's fix_imports). */
const PY2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3',
  0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** Reads one pickle from `data` (from `options.start`) up to its STOP. */
export function unpickle(data: Uint8Array, options: UnpickleOptions): UnpickleResult {
  return new Unpickler(data, options).run();
}

class Unpickler {
  private readonly limits: PickleLimits;
  private readonly what: string;
  private readonly view: DataView;
  private pos: number;
  /** Where the opcode being run starts, for messages. */
  private opStart: number;
  private opcode = 0;
  private readonly stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly globals = new Set<string>();
  private objects = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.limits = { ...DEFAULT_PICKLE_LIMITS, ...options.limits };
    this.what = options.what ?? 'pickle';
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.pos = options.start ?? 0;
    this.opStart = this.pos;
  }

  private fail(problem: string, truncated = false): PickleError {
    const name = OPCODE_NAMES[this.opcode] ?? `0x${this.opcode.toString(16).padStart(2, '0')}`;
    const text = truncated ? `truncated: ${problem}` : problem;
    return new PickleError(this.options.file, `${this.what}: ${text} (opcode ${name} at offset ${this.opStart})`, truncated);
  }

  // --- reading bytes --------------------------------------------------------

  private need(count: number): void {
    if (!(count >= 0 && count <= this.data.length - this.pos)) {
      throw this.fail(`declares ${count} bytes but only ${this.data.length - this.pos} remain`, true);
    }
  }

  private bytes(count: number): Uint8Array {
    this.need(count);
    const out = this.data.subarray(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }

  private u8(): number {
    this.need(1);
    return this.data[this.pos++] ?? 0;
  }

  private u16(): number {
    this.need(2);
    const value = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return value;
  }

  private u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  private i32(): number {
    this.need(4);
    const value = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** An 8-byte length; anything beyond the data fails in `need`. */
  private u64(): number {
    this.need(8);
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  }

  /** A protocol-0 text argument, without its newline. */
  private line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) throw this.fail('a text argument has no end of line', true);
    const text = latin1.decode(this.data.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  // --- the stack ------------------------------------------------------------

  private push(value: PickleValue): void {
    if (this.stack.length >= this.limits.maxStack) throw this.fail(`more than ${this.limits.maxStack} values on the stack`);
    if (++this.objects > this.limits.maxObjects) throw this.fail(`more than ${this.limits.maxObjects} values`);
    this.stack.push(value);
  }

  private pop(): PickleValue {
    const floor = this.marks.length ? (this.marks[this.marks.length - 1] ?? 0) : 0;
    if (this.stack.length <= floor) throw this.fail('stack underflow');
    return this.stack.pop() as PickleValue;
  }

  private top(): PickleValue {
    const floor = this.marks.length ? (this.marks[this.marks.length - 1] ?? 0) : 0;
    if (this.stack.length <= floor) throw this.fail('stack underflow');
    return this.stack[this.stack.length - 1] as PickleValue;
  }

  /** The values pushed since the last MARK, removing them and the mark. */
  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.fail('no MARK to pop to');
    return this.stack.splice(mark);
  }

  private memoPut(index: number, value: PickleValue): void {
    if (!this.memo.has(index) && this.memo.size >= this.limits.maxMemo) throw this.fail(`more than ${this.limits.maxMemo} memo entries`);
    this.memo.set(index, value);
  }

  private memoGet(index: number): PickleValue {
    if (!this.memo.has(index)) throw this.fail(`memo index ${index} was never stored`);
    return this.memo.get(index) as PickleValue;
  }

  // --- values ---------------------------------------------------------------

  private integer(value: bigint): number | bigint {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  /** Little-endian two's complement (LONG1, LONG4). */
  private long(bytes: Uint8Array): number | bigint {
    if (bytes.length > this.limits.maxIntegerBytes) throw this.fail(`an integer of ${bytes.length} bytes is too large`);
    if (bytes.length === 0) return 0;
    let hex = '';
    for (let i = bytes.length - 1; i >= 0; i--) hex += (bytes[i] ?? 0).toString(16).padStart(2, '0');
    let value = BigInt(`0x${hex}`);
    if ((bytes[bytes.length - 1] ?? 0) & 0x80) value -= 1n << BigInt(bytes.length * 8);
    return this.integer(value);
  }

  private textInteger(text: string): number | bigint {
    const digits = text.endsWith('L') ? text.slice(0, -1) : text;
    if (digits.length > this.limits.maxIntegerBytes * 3) throw this.fail(`an integer of ${digits.length} digits is too large`);
    if (!/^[+-]?\d+$/.test(digits)) throw this.fail(`${JSON.stringify(text.slice(0, 40))} is not an integer`);
    return this.integer(BigInt(digits));
  }

  private textFloat(text: string): number {
    const lower = text.trim().toLowerCase();
    if (lower === 'nan' || lower === '-nan') return NaN;
    if (lower === 'inf') return Infinity;
    if (lower === '-inf') return -Infinity;
    const value = Number(lower);
    if (lower === '' || Number.isNaN(value)) throw this.fail(`${JSON.stringify(text.slice(0, 40))} is not a number`);
    return value;
  }

  /** STRING: a quoted Python 2 str literal. */
  private quotedString(text: string): string {
    const quote = text[0];
    if (text.length < 2 || (quote !== "'" && quote !== '"') || text[text.length - 1] !== quote) {
      throw this.fail('a STRING argument is not quoted');
    }
    const body = text.slice(1, -1);
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
    return body.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/gs, (_all, escape: string) => {
      if (escape.startsWith('x')) return String.fromCharCode(parseInt(escape.slice(1), 16));
      if (/^[0-7]+$/.test(escape)) return String.fromCharCode(parseInt(escape, 8) & 0xff);
      return simple[escape] ?? `\\${escape}`;
    });
  }

  /** UNICODE: raw-unicode-escape (only \uXXXX and \UXXXXXXXX are escapes). */
  private rawUnicode(text: string): string {
    return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_all, short?: string, long?: string) => {
      const code = parseInt(short ?? long ?? '0', 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
    });
  }

  private global(module: string, name: string): PyGlobal {
    const fixed = PY2_MODULES[module] ?? module;
    const value = new PyGlobal(fixed, name);
    this.globals.add(value.qualifiedName);
    return value;
  }

  private textGlobal(): PyGlobal {
    const module = this.line();
    const name = this.line();
    return this.global(module, name);
  }

  /** REDUCE / NEWOBJ / INST / OBJ: the allow-list builds known values, the rest are records. */
  private call(callable: PickleValue, args: PickleValue[], kwargs: PickleValue = null): PickleValue {
    if (!(callable instanceof PyGlobal)) throw this.fail(`cannot call ${describeValue(callable)}`);
    try {
      return buildFromGlobal(callable, args, kwargs);
    } catch (error) {
      if (error instanceof Error && !(error instanceof FormatError)) throw this.fail(`${callable.qualifiedName}: ${error.message}`);
      throw error;
    }
  }

  private tupleArgs(value: PickleValue): PickleValue[] {
    if (value instanceof PyTuple) return value.items;
    if (Array.isArray(value)) return value;
    throw this.fail(`the arguments are ${describeValue(value)}, not a tuple`);
  }

  private setItems(target: PickleValue, items: PickleValue[]): void {
    if (items.length % 2) throw this.fail('SETITEMS needs key/value pairs');
    const map = target instanceof PyDict ? target.entries : target instanceof PyObject ? target.dictItems : undefined;
    if (!map) throw this.fail(`cannot set items on ${describeValue(target)}`);
    for (let i = 0; i < items.length; i += 2) map.set(items[i] as PickleValue, items[i + 1] as PickleValue);
  }

  private append(target: PickleValue, items: PickleValue[]): void {
    const list = Array.isArray(target) ? target : target instanceof PyObject ? target.listItems : undefined;
    if (!list) throw this.fail(`cannot append to ${describeValue(target)}`);
    for (const item of items) list.push(item);
  }

  private build(target: PickleValue, state: PickleValue): void {
    if (target instanceof PyObject) {
      const old = target.state;
      if (old instanceof PyDict && state instanceof PyDict) for (const [key, value] of state.entries) old.entries.set(key, value);
      else target.state = state;
    } else if (target instanceof PyDict) {
      target.state = state;
    } else if (!(target instanceof TorchTensor || target instanceof TorchStorage)) {
      throw this.fail(`cannot set the state of ${describeValue(target)}`);
    }
  }

  private persistent(id: PickleValue): PickleValue {
    if (!this.options.persistentLoad) throw this.fail('a persistent id, but this pickle should have none');
    try {
      return this.options.persistentLoad(id);
    } catch (error) {
      if (error instanceof FormatError) throw error;
      throw this.fail(`bad persistent id ${describeValue(id)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // --- the machine ----------------------------------------------------------

  run(): UnpickleResult {
    for (;;) {
      this.opStart = this.pos;
      if (this.pos >= this.data.length) {
        this.opcode = -1;
        throw this.fail('the pickle ends before its STOP', true);
      }
      this.opcode = this.u8();
      if (this.opcode === 0x2e) {
        const value = this.pop();
        if (this.stack.length || this.marks.length) throw this.fail('values left on the stack at STOP');
        checkNesting(value, this.limits.maxNesting, (problem) => this.fail(problem));
        return { value, end: this.pos, globals: [...this.globals] };
      }
      this.step(this.opcode);
    }
  }

  private step(op: number): void {
    switch (op) {
      case 0x80: {
        const protocol = this.u8();
        if (protocol > 5) throw this.fail(`unsupported pickle protocol ${protocol}`);
        return;
      }
      case 0x95: // FRAME: only a read-ahead hint; its length must still fit.
        this.need(this.u64());
        return;
      case 0x28:
        if (this.marks.length >= this.limits.maxMarks) throw this.fail(`more than ${this.limits.maxMarks} nested MARKs`);
        this.marks.push(this.stack.length);
        return;
      case 0x30:
        if (this.stack.length === (this.marks[this.marks.length - 1] ?? -1)) this.popMark();
        else this.pop();
        return;
      case 0x31:
        this.popMark();
        return;
      case 0x32:
        this.push(this.top());
        return;

      // Constants and numbers.
      case 0x4e:
        return this.push(null);
      case 0x88:
        return this.push(true);
      case 0x89:
        return this.push(false);
      case 0x4a:
        return this.push(this.i32());
      case 0x4b:
        return this.push(this.u8());
      case 0x4d:
        return this.push(this.u16());
      case 0x8a:
        return this.push(this.long(this.bytes(this.u8())));
      case 0x8b: {
        const length = this.i32();
        if (length < 0) throw this.fail('negative LONG4 length');
        return this.push(this.long(this.bytes(length)));
      }
      case 0x47: {
        this.need(8);
        const value = this.view.getFloat64(this.pos, false);
        this.pos += 8;
        return this.push(value);
      }
      case 0x49: {
        const text = this.line();
        if (text === '01') return this.push(true);
        if (text === '00') return this.push(false);
        return this.push(this.textInteger(text));
      }
      case 0x4c:
        return this.push(this.textInteger(this.line()));
      case 0x46:
        return this.push(this.textFloat(this.line()));

      // Strings and bytes.
      case 0x58:
        return this.push(utf8.decode(this.bytes(this.u32())));
      case 0x8c:
        return this.push(utf8.decode(this.bytes(this.u8())));
      case 0x8d:
        return this.push(utf8.decode(this.bytes(this.u64())));
      case 0x56:
        return this.push(this.rawUnicode(this.line()));
      case 0x53:
        return this.push(this.quotedString(this.line()));
      case 0x54: {
        const length = this.i32();
        if (length < 0) throw this.fail('negative BINSTRING length');
        return this.push(latin1.decode(this.bytes(length)));
      }
      case 0x55:
        return this.push(latin1.decode(this.bytes(this.u8())));
      case 0x42:
        return this.push(this.bytes(this.u32()));
      case 0x43:
        return this.push(this.bytes(this.u8()));
      case 0x8e:
      case 0x96:
        return this.push(this.bytes(this.u64()));

      // Containers.
      case 0x29:
        return this.push(new PyTuple([]));
      case 0x74:
        return this.push(new PyTuple(this.popMark()));
      case 0x85:
        return this.push(new PyTuple([this.pop()]));
      case 0x86: {
        const b = this.pop();
        return this.push(new PyTuple([this.pop(), b]));
      }
      case 0x87: {
        const c = this.pop();
        const b = this.pop();
        return this.push(new PyTuple([this.pop(), b, c]));
      }
      case 0x5d:
        return this.push([]);
      case 0x6c:
        return this.push(this.popMark());
      case 0x61: {
        const item = this.pop();
        return this.append(this.top(), [item]);
      }
      case 0x65: {
        const items = this.popMark();
        return this.append(this.top(), items);
      }
      case 0x7d:
        return this.push(new PyDict());
      case 0x64: {
        const dict = new PyDict();
        this.setItems(dict, this.popMark());
        return this.push(dict);
      }
      case 0x73: {
        const value = this.pop();
        const key = this.pop();
        return this.setItems(this.top(), [key, value]);
      }
      case 0x75: {
        const items = this.popMark();
        return this.setItems(this.top(), items);
      }
      case 0x8f:
        return this.push(new PySet([], false));
      case 0x90: {
        const items = this.popMark();
        const target = this.top();
        if (!(target instanceof PySet) || target.frozen) throw this.fail(`cannot add items to ${describeValue(target)}`);
        target.items.push(...items);
        return;
      }
      case 0x91:
        return this.push(new PySet(this.popMark(), true));

      // Memo.
      case 0x70:
        return this.memoPut(Number(this.textInteger(this.line())), this.top());
      case 0x71:
        return this.memoPut(this.u8(), this.top());
      case 0x72:
        return this.memoPut(this.u32(), this.top());
      case 0x94:
        return this.memoPut(this.memo.size, this.top());
      case 0x67:
        return this.pushRef(this.memoGet(Number(this.textInteger(this.line()))));
      case 0x68:
        return this.pushRef(this.memoGet(this.u8()));
      case 0x6a:
        return this.pushRef(this.memoGet(this.u32()));

      // Classes, calls and state.
      case 0x63:
        return this.push(this.textGlobal());
      case 0x93: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw this.fail('STACK_GLOBAL needs two strings');
        return this.push(this.global(module, name));
      }
      case 0x52: {
        const args = this.tupleArgs(this.pop());
        const callable = this.pop();
        return this.push(this.call(callable, args));
      }
      case 0x81: {
        const args = this.tupleArgs(this.pop());
        const cls = this.pop();
        return this.push(this.call(cls, args));
      }
      case 0x92: {
        const kwargs = this.pop();
        const args = this.tupleArgs(this.pop());
        const cls = this.pop();
        return this.push(this.call(cls, args, kwargs));
      }
      case 0x69: {
        const cls = this.textGlobal();
        return this.push(this.call(cls, this.popMark()));
      }
      case 0x6f: {
        const [cls, ...args] = this.popMark();
        if (cls === undefined) throw this.fail('OBJ without a class');
        return this.push(this.call(cls, args));
      }
      case 0x62: {
        const state = this.pop();
        return this.build(this.top(), state);
      }
      case 0x50:
        return this.push(this.persistent(this.line()));
      case 0x51:
        return this.push(this.persistent(this.pop()));

      case 0x82:
      case 0x83:
      case 0x84:
        throw this.fail('extension registry codes are not supported');
      case 0x97:
      case 0x98:
        throw this.fail('out-of-band buffers are not supported');
      default:
        throw this.fail('unknown opcode');
    }
  }

  /** A memo reference: the same value again, not a new one. */
  private pushRef(value: PickleValue): void {
    if (this.stack.length >= this.limits.maxStack) throw this.fail(`more than ${this.limits.maxStack} values on the stack`);
    this.stack.push(value);
  }
}

/**
 * Fails when containers nest deeper than `max` along any path (cycles are cut
 * where they close). Iterative, with each container's height computed once,
 * so neither a deep nest nor a shared one can blow the stack or the time.
 */
function checkNesting(root: PickleValue, max: number, fail: (problem: string) => Error): void {
  if (!isContainer(root)) return;
  const height = new Map<object, number>();
  const onPath = new Set<object>();
  interface Frame {
    node: object;
    children: PickleValue[];
    next: number;
    best: number;
  }
  const frames: Frame[] = [{ node: root, children: pickleChildren(root), next: 0, best: 0 }];
  onPath.add(root);
  const tooDeep = () => fail(`containers nest more than ${max} levels deep`);
  while (frames.length) {
    const frame = frames[frames.length - 1] as Frame;
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++] as PickleValue;
      if (!isContainer(child) || onPath.has(child)) continue;
      const known = height.get(child);
      if (known !== undefined) {
        frame.best = Math.max(frame.best, known + 1);
        if (frames.length + known > max) throw tooDeep();
        continue;
      }
      if (frames.length >= max) throw tooDeep();
      onPath.add(child);
      frames.push({ node: child, children: pickleChildren(child), next: 0, best: 0 });
      continue;
    }
    frames.pop();
    onPath.delete(frame.node);
    height.set(frame.node, frame.best);
    const parent = frames[frames.length - 1];
    if (parent) parent.best = Math.max(parent.best, frame.best + 1);
  }
}
