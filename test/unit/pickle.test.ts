/**
 * src/formats/pickle.ts: the same object pickled by Python at every protocol
 * (0 to 5) reads back the same; the opcodes Python only writes for huge
 * values are built here by hand; and hostile pickles (os.system, prototype
 * keys, lying lengths, deep nesting, bad memo indexes, blown limits) each
 * give a FormatError naming the file, with nothing run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FormatError } from '../../src/formats/errors';
import { PickleError, unpickle, type UnpickleOptions } from '../../src/formats/pickle';
import { NumpyScalar, PyDict, PyObject, PySet, PyTuple, type PickleValue } from '../../src/formats/pickleValues';

const FILE = '/models/weights.pth';

function bytes(...parts: Array<string | number[] | Uint8Array>): Uint8Array {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
}

function u32(value: number): number[] {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value >>> 0);
  return [...out];
}

function u64(value: bigint): number[] {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(value);
  return [...out];
}

function load(data: Uint8Array, options: Partial<UnpickleOptions> = {}): PickleValue {
  return unpickle(data, { file: FILE, ...options }).value;
}

/** Fails with a FormatError that names the file and matches `problem`. */
function refuses(data: Uint8Array, problem: RegExp, options: Partial<UnpickleOptions> = {}): void {
  assert.throws(
    () => load(data, options),
    (error: unknown) => {
      assert.ok(error instanceof FormatError, String(error));
      assert.ok(error.message.startsWith('weights.pth: '), error.message);
      assert.match(error.message, problem);
      return true;
    },
  );
}

/** Plain JS for comparisons: tuples and lists as arrays, dicts as [key, value] lists, sets as {set: [...]}. */
function plain(value: PickleValue): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof PyTuple) return { tuple: value.items.map(plain) };
  if (value instanceof PyDict) return { [value.className]: [...value.entries].map(([key, item]) => [plain(key), plain(item)]) };
  if (value instanceof PySet) return { [value.frozen ? 'frozenset' : 'set']: value.items.map(plain) };
  if (value instanceof Uint8Array) return { bytes: [...value] };
  if (value instanceof PyObject) return { object: value.global, args: value.args.map(plain), kwargs: plain(value.kwargs), state: plain(value.state) };
  if (value instanceof NumpyScalar) return { numpy: value.dtype, value: value.value };
  return value;
}

const PYTHON = String.raw`
import json, pickle, sys
from collections import OrderedDict
import numpy as np
shared = ['s']
obj = {
    'text': 'h\u00e9llo \u2713 \\ end',
    'ints': [0, 1, -1, 255, 65535, -2**31, 2**31, 2**53 + 1, -2**70, 10**30],
    'floats': [1.5, -0.0, 1e300],
    'raw': b'\x00\xffab',
    'tuple': (1, (2, 3), ()),
    'set': {3},
    'frozen': frozenset({4}),
    'none': None,
    'flags': [True, False],
    'ordered': OrderedDict([('z', 1), ('a', 2)]),
    'shared': [shared, shared],
}
class Thing:
    def __init__(self, a, k=0): self.a, self.k = a, k
    def __getnewargs_ex__(self): return ((self.a,), {'k': self.k})
out = {str(p): pickle.dumps(obj, protocol=p).hex() for p in range(6)}
out['thing'] = pickle.dumps(Thing(1, 2), protocol=4).hex()
out['numpy'] = pickle.dumps([np.float64(2.5), np.int64(-7), np.bool_(True)], protocol=2).hex()
json.dump(out, sys.stdout)
`;

const EXPECTED_OBJECT = {
  dict: [
    ['text', 'h\u00e9llo \u2713 \\ end'],
    ['ints', [0, 1, -1, 255, 65535, -(2 ** 31), 2 ** 31, 2n ** 53n + 1n, -(2n ** 70n), 10n ** 30n]],
    ['floats', [1.5, -0, 1e300]],
    ['raw', { bytes: [0, 255, 97, 98] }],
    ['tuple', { tuple: [1, { tuple: [2, 3] }, { tuple: [] }] }],
    ['set', { set: [3] }],
    ['frozen', { frozenset: [4] }],
    ['none', null],
    ['flags', [true, false]],
    ['ordered', { 'collections.OrderedDict': [['z', 1], ['a', 2]] }],
    ['shared', [['s'], ['s']]],
  ],
};

describe('safe unpickler', function () {
  this.timeout(60_000);
  let pickles: Record<string, string> = {};

  before(() => {
    const result = spawnSync('/usr/bin/python3', ['-c', PYTHON], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(result.status, 0, result.stderr);
    pickles = JSON.parse(result.stdout) as Record<string, string>;
  });

  describe('what Python writes', () => {
    for (const protocol of [0, 1, 2, 3, 4, 5]) {
      it(`reads protocol ${protocol} the way Python wrote it`, () => {
        const data = Buffer.from(pickles[String(protocol)] ?? '', 'hex');
        const { value, end, globals } = unpickle(data, { file: FILE });
        assert.equal(end, data.length);
        assert.deepEqual(plain(value), EXPECTED_OBJECT);
        // A value stored once in the memo is the same object wherever it is used.
        const shared = (value as PyDict).get('shared') as PickleValue[][];
        assert.equal(shared[0], shared[1]);
        if (protocol < 4) assert.ok(globals.includes('collections.OrderedDict'));
        if (protocol < 3) assert.ok(globals.includes('_codecs.encode'), globals.join());
      });
    }

    it('records a class built by NEWOBJ_EX with its args and kwargs', () => {
      const value = load(Buffer.from(pickles['thing'] ?? '', 'hex'));
      assert.ok(value instanceof PyObject);
      assert.equal(value.global, '__main__.Thing');
      assert.deepEqual(value.args, [1]);
      assert.deepEqual(plain(value.kwargs), { dict: [['k', 2]] });
      assert.deepEqual(plain(value.state), { dict: [['a', 1], ['k', 2]] });
    });

    it('decodes numpy scalars to their values', () => {
      assert.deepEqual(plain(load(Buffer.from(pickles['numpy'] ?? '', 'hex'))), [
        { numpy: 'f8', value: 2.5 },
        { numpy: 'i8', value: -7 },
        { numpy: 'b1', value: true },
      ]);
    });
  });

  describe('opcodes built by hand', () => {
    it('reads the protocol 0 text forms: INT, LONG, FLOAT, STRING, UNICODE, PUT/GET, DICT, LIST, TUPLE', () => {
      const data = bytes("(dp0\nS'a\\nb\\x41'\np1\nI01\nsVuni\\u00e9\nL12345678901234567890L\nsF-2.5\n((lp2\nI42\naI-7\naF1e3\ntp3\n0g3\ns.");
      assert.deepEqual(plain(load(data)), {
        dict: [
          ['a\nbA', true],
          ['uni\u00e9', 12345678901234567890n],
          [-2.5, { tuple: [[42, -7], 1000] }],
        ],
      });
    });

    it('reads BINUNICODE8, BINBYTES8, BYTEARRAY8, LONG4, FRAME, MEMOIZE, POP, POP_MARK and DUP', () => {
      const data = bytes(
        [0x80, 4, 0x95], u64(55n),
        [0x8d], u64(2n), 'hi', [0x94], '0',
        [0x8e], u64(3n), [1, 2, 3],
        [0x96], u64(1n), [9],
        [0x8b], u32(2), [0xff, 0x7f],
        'N0', '(NN1', [0x68, 0], '200',
        [0x87, 0x2e],
      );
      assert.deepEqual(plain(load(data)), { tuple: [{ bytes: [1, 2, 3] }, { bytes: [9] }, 32767] });
      assert.equal((load(bytes([0x8d], u64(2n), 'hi', [0x94, 0x68, 0, 0x86, 0x2e])) as PyTuple).items[1], 'hi');
    });

    it('rebuilds sets, bytes and OrderedDicts through the allow-list, and keeps other calls as records', () => {
      assert.deepEqual(plain(load(bytes('c__builtin__\nset\n(]K\x01atR.'))), { set: [1] });
      assert.deepEqual(plain(load(bytes('c_codecs\nencode\nX\x02\x00\x00\x00\xc3\xbfX\x06\x00\x00\x00latin1\x86R.'))), { bytes: [255] });
      assert.deepEqual(plain(load(bytes('ccollections\nOrderedDict\n)R}X\x01\x00\x00\x00kK\x01sb.'))), {
        'collections.OrderedDict': [],
      });
      const record = load(bytes('cargparse\nNamespace\n)\x81}X\x02\x00\x00\x00lrG?\xb9\x99\x99\x99\x99\x99\x9asb.'));
      assert.ok(record instanceof PyObject);
      assert.equal(record.global, 'argparse.Namespace');
      assert.deepEqual(plain(record.state), { dict: [['lr', 0.1]] });
    });

    it('keeps a list that contains itself without looping', () => {
      const value = load(bytes(']q\x00h\x00a.'));
      assert.ok(Array.isArray(value));
      assert.equal(value[0], value);
    });
  });

  describe('hostile pickles', () => {
    let dir = '';
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'dlkit-pickle-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('records os.system (GLOBAL and STACK_GLOBAL) with its arguments and never runs it', () => {
      const marker = path.join(dir, 'ran');
      const command = `touch ${marker}`;
      const viaGlobal = bytes('cos\nsystem\n(X', u32(command.length), command, 'tR.');
      const viaStack = bytes([0x80, 4, 0x8c, 5], 'posix', [0x8c, 6], 'system', [0x93, 0x8c, command.length], command, [0x85], 'R.');
      for (const data of [viaGlobal, viaStack]) {
        const { value, globals } = unpickle(data, { file: FILE });
        assert.ok(value instanceof PyObject);
        assert.deepEqual(value.args, [command]);
        assert.ok(globals.includes(value.global) && /^(os|posix)\.system$/.test(value.global));
      }
      // Built as an object, then its "state" set: still a record.
      const built = load(bytes('cbuiltins\neval\n)\x81X\x03\x00\x00\x001+1b.'));
      assert.ok(built instanceof PyObject && built.state === '1+1');
      assert.equal(existsSync(marker), false);
    });

    it('keeps __proto__ and constructor as plain keys: no prototype is touched', () => {
      const inner = bytes('}X\x08\x00\x00\x00pollutedI01\ns');
      const data = bytes('}(X\x09\x00\x00\x00__proto__', inner, 'X\x0b\x00\x00\x00constructor', inner, 'u.');
      const value = load(data);
      assert.ok(value instanceof PyDict);
      assert.deepEqual([...value.entries.keys()], ['__proto__', 'constructor']);
      assert.ok(value.get('__proto__') instanceof PyDict);
      const record = load(bytes('c__main__\nEvil\n)\x81}X\x09\x00\x00\x00__proto__', inner, 'sb}X\x09\x00\x00\x00__proto__', inner, 'sb.'));
      assert.ok(record instanceof PyObject && record.stateDict?.get('__proto__') instanceof PyDict);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
      assert.equal(Object.getPrototypeOf({}), Object.prototype);
      assert.equal(Object.prototype.constructor, Object);
    });

    it('refuses lengths that reach past the data', () => {
      refuses(bytes('X', u32(0xffffffff), 'abc'), /truncated: declares 4294967295 bytes but only 3 remain \(opcode BINUNICODE at offset 0\)/);
      refuses(bytes([0x8e], u64(1n << 60n), 'abc'), /declares \d+ bytes but only 3 remain \(opcode BINBYTES8/);
      refuses(bytes([0x8d], u64(1n << 40n)), /declares 1099511627776 bytes but only 0 remain \(opcode BINUNICODE8/);
      refuses(bytes([0x8b], u32(0x7fffffff)), /declares 2147483647 bytes .*LONG4/);
      refuses(bytes([0x80, 4, 0x95], u64(1n << 50n), 'N.'), /declares \d+ bytes .*FRAME/);
      refuses(bytes('T', u32(0x80000000)), /negative BINSTRING length/);
    });

    it('refuses 10^5 nested MARKs', () => {
      refuses(bytes('('.repeat(100_000), ']'), /more than 1000 nested MARKs \(opcode MARK at offset 1000\)/);
    });

    it('refuses lists nested 10^5 deep, whether built on the stack or through the memo', () => {
      const depth = 100_000;
      refuses(bytes(']'.repeat(depth), 'a'.repeat(depth - 1), '.'), /containers nest more than 1000 levels deep/);
      // Constant stack: get the last list from the memo, append a new one to it, keep the new one.
      const chain = [bytes(']q\x00')];
      for (let i = 1; i < depth; i++) chain.push(bytes('0j', u32(i - 1), ']r', u32(i), 'a'));
      refuses(bytes(...chain, '0j', u32(0), '.'), /containers nest more than 1000 levels deep/);
      refuses(bytes(...chain.slice(0, 2000), '0j', u32(0), '.'), /nest more than 1000/);
      assert.ok(Array.isArray(load(bytes(...chain.slice(0, 900), '0j', u32(0), '.'))));
    });

    it('refuses memo indexes that were never stored', () => {
      refuses(bytes('Nq\x00h\x05.'), /memo index 5 was never stored \(opcode BINGET at offset 3\)/);
      refuses(bytes('j', u32(0xffffffff), '.'), /memo index 4294967295 was never stored \(opcode LONG_BINGET/);
      refuses(bytes('g99999999999\n.'), /memo index 99999999999 was never stored \(opcode GET/);
    });

    it('refuses stack underflows and impossible operations', () => {
      refuses(bytes('R.'), /stack underflow \(opcode REDUCE at offset 0\)/);
      refuses(bytes('t.'), /no MARK to pop to/);
      refuses(bytes('(N(t.'), /values left on the stack at STOP/);
      refuses(bytes('X\x01\x00\x00\x00aNa.'), /cannot append to "a"/);
      refuses(bytes('K\x01Nb.'), /cannot set the state of 1/);
      refuses(bytes('cos\nsystem\nK\x01R.'), /the arguments are 1, not a tuple/);
      refuses(bytes('K\x01)R.'), /cannot call 1/);
      refuses(bytes('NQ.'), /a persistent id, but this pickle should have none/);
      refuses(bytes([0xff]), /unknown opcode \(opcode 0xff at offset 0\)/);
      refuses(bytes([0x82, 1]), /extension registry codes are not supported/);
      refuses(bytes([0x80, 6]), /unsupported pickle protocol 6/);
      refuses(bytes([0x8a, 200], new Array(200).fill(1), '.'), /an integer of 200 bytes is too large/, { limits: { maxIntegerBytes: 100 } });
      refuses(bytes('I12x\n.'), /"12x" is not an integer/);
    });

    it('says a pickle without STOP is truncated', () => {
      assert.throws(
        () => load(bytes(']K\x01a')),
        (error: unknown) => error instanceof PickleError && error.truncated && /weights\.pth: pickle: truncated: the pickle ends before its STOP/.test(error.message),
      );
    });

    it('enforces the memo, stack and object limits', () => {
      refuses(bytes('Nq\x00q\x01q\x02.'), /more than 2 memo entries \(opcode BINPUT at offset 5\)/, { limits: { maxMemo: 2 } });
      refuses(bytes('NNNN.'), /more than 3 values on the stack/, { limits: { maxStack: 3 } });
      refuses(bytes('(NNNNl.'), /more than 3 values/, { limits: { maxObjects: 3 } });
    });

    it('names what the pickle is in its messages', () => {
      refuses(bytes('R.'), /^weights\.pth: data\.pkl: stack underflow/, { what: 'data.pkl' });
    });
  });
});
