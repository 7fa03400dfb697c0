/**
 * safetensors files written here from the format's description (u64 LE
 * header length, JSON header, data): every dtype's values read back, names
 * split into module and short name, metadata as facts; and hostile ones:
 * header lengths past the file, headers that are not JSON, overlapping,
 * out-of-range or mis-sized offsets, absurd shapes, `__proto__` keys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseSafetensors } from '../../src/formats/safetensors';
import { decodeLittleEndian } from '../../src/formats/tensorData';
import { rejectsNaming } from './formatAssertions';

interface Entry {
  dtype: string;
  shape: number[];
  data: Buffer;
}

function float32s(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => out.writeFloatLE(value, i * 4));
  return out;
}

/** A file as the format describes it: header length, header text, data. */
function rawFile(headerText: string | Buffer, data: Buffer = Buffer.alloc(0), headerLength = BigInt(Buffer.byteLength(headerText))): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(headerLength);
  return Buffer.concat([length, Buffer.from(headerText), data]);
}

/** Tensors laid out in `order` (names), the header listing them as `entries` does. */
function safetensors(entries: Record<string, Entry>, metadata?: Record<string, string>, order = Object.keys(entries)): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const offsets = new Map<string, [number, number]>();
  let offset = 0;
  for (const name of order) {
    const size = entries[name]?.data.length ?? 0;
    offsets.set(name, [offset, offset + size]);
    offset += size;
  }
  for (const [name, entry] of Object.entries(entries)) header[name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: offsets.get(name) };
  return rawFile(JSON.stringify(header), Buffer.concat(order.map((name) => entries[name]?.data ?? Buffer.alloc(0))));
}

describe('formats/safetensors', () => {
  let folder: string;
  let counter = 0;

  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'dlkit-safetensors-'));
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  function write(bytes: Buffer, name = `model${++counter}.safetensors`): string {
    const file = path.join(folder, name);
    writeFileSync(file, bytes);
    return file;
  }

  it('lists the tensors with module paths, sizes and metadata facts', async () => {
    const file = write(
      safetensors(
        {
          'encoder.layer.0.weight': { dtype: 'F32', shape: [2, 3], data: float32s([1, 2, 3, 4, 5, 6]) },
          'encoder.layer.0.bias': { dtype: 'F16', shape: [2], data: Buffer.from([0x00, 0x3c, 0x00, 0xc0]) },
          'bn.running_mean': { dtype: 'F32', shape: [1], data: float32s([0.5]) },
          'bn.num_batches_tracked': { dtype: 'I64', shape: [], data: Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]) },
          scale: { dtype: 'BF16', shape: [1], data: Buffer.from([0x80, 0x3f]) },
        },
        { format: 'pt', note: 'written by a test' },
        // Data in another order than the header lists it.
        ['scale', 'bn.num_batches_tracked', 'encoder.layer.0.bias', 'bn.running_mean', 'encoder.layer.0.weight'],
      ),
    );
    const model = await parseSafetensors(file);
    assert.equal(model.format, 'safetensors');
    assert.equal(model.framework, 'safetensors');
    assert.equal(model.formatLabel, 'safetensors tensors');
    assert.equal(model.producer, 'safetensors (format: pt)');
    assert.deepEqual(model.facts, [
      { label: 'format', value: 'pt' },
      { label: 'note', value: 'written by a test' },
    ]);
    assert.deepEqual(model.warnings, []);
    // In file order.
    assert.deepEqual(model.weights, [
      { path: 'scale', layer: '', name: 'scale', shape: [1], dtype: 'bfloat16', bytes: 2, trainable: true },
      { path: 'bn.num_batches_tracked', layer: 'bn', name: 'num_batches_tracked', shape: [], dtype: 'int64', bytes: 8, trainable: false },
      { path: 'encoder.layer.0.bias', layer: 'encoder.layer.0', name: 'bias', shape: [2], dtype: 'float16', bytes: 4, trainable: true },
      { path: 'bn.running_mean', layer: 'bn', name: 'running_mean', shape: [1], dtype: 'float32', bytes: 4, trainable: false },
      { path: 'encoder.layer.0.weight', layer: 'encoder.layer.0', name: 'weight', shape: [2, 3], dtype: 'float32', bytes: 24, trainable: true },
    ]);
    assert.deepEqual(Array.from(await model.readTensor('encoder.layer.0.weight')), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(await model.readTensor('encoder.layer.0.bias')), [1, -2]);
    assert.deepEqual(Array.from(await model.readTensor('scale')), [1]);
    const count = await model.readTensor('bn.num_batches_tracked');
    assert.ok(count instanceof Int32Array);
    assert.deepEqual(Array.from(count), [7]);
    await rejectsNaming(model.readTensor('missing'), file, /no tensor missing/);
    model.close();
    await rejectsNaming(model.readTensor('scale'), file, /closed/);
  });

  it('reads every numeric dtype', async () => {
    const i64 = Buffer.alloc(16);
    i64.writeBigInt64LE(-3n, 0);
    i64.writeBigInt64LE(2n ** 40n, 8);
    const f64 = Buffer.alloc(16);
    f64.writeDoubleLE(0.25, 0);
    f64.writeDoubleLE(-1e10, 8);
    const file = write(
      safetensors({
        f64: { dtype: 'F64', shape: [2], data: f64 },
        i64: { dtype: 'I64', shape: [2], data: i64 },
        i32: { dtype: 'I32', shape: [2], data: Buffer.from(new Int32Array([-5, 2 ** 30]).buffer) },
        i16: { dtype: 'I16', shape: [2], data: Buffer.from(new Int16Array([-300, 300]).buffer) },
        i8: { dtype: 'I8', shape: [2], data: Buffer.from([0xff, 0x7f]) },
        u8: { dtype: 'U8', shape: [2], data: Buffer.from([0, 255]) },
        u16: { dtype: 'U16', shape: [1], data: Buffer.from([0xff, 0xff]) },
        u32: { dtype: 'U32', shape: [1], data: Buffer.from([0xff, 0xff, 0xff, 0xff]) },
        bool: { dtype: 'BOOL', shape: [3], data: Buffer.from([0, 1, 2]) },
        e4m3: { dtype: 'F8_E4M3', shape: [4], data: Buffer.from([0x38, 0xc0, 0x7e, 0x7f]) },
        e5m2: { dtype: 'F8_E5M2', shape: [4], data: Buffer.from([0x3c, 0xc0, 0x7c, 0x7d]) },
      }),
    );
    const model = await parseSafetensors(file);
    const read = async (name: string) => Array.from(await model.readTensor(name));
    assert.deepEqual(await read('f64'), [0.25, -1e10]);
    const wide = await model.readTensor('i64');
    assert.ok(wide instanceof Float32Array, 'int64 beyond 32 bits comes as floats');
    assert.deepEqual(Array.from(wide), [-3, 2 ** 40]);
    assert.deepEqual(await read('i32'), [-5, 2 ** 30]);
    assert.deepEqual(await read('i16'), [-300, 300]);
    assert.deepEqual(await read('i8'), [-1, 127]);
    assert.deepEqual(await read('u8'), [0, 255]);
    assert.deepEqual(await read('u16'), [65535]);
    assert.deepEqual(await read('u32'), [4294967296]);
    assert.deepEqual(await read('bool'), [0, 1, 1]);
    // e4m3fn: 0x38 = 1, 0xc0 = -2, 0x7e = 448 (the largest), 0x7f = NaN.
    assert.deepEqual(await read('e4m3'), [1, -2, 448, NaN]);
    // e5m2: 0x3c = 1, 0xc0 = -2, 0x7c = inf, 0x7d = NaN.
    assert.deepEqual(await read('e5m2'), [1, -2, Infinity, NaN]);
  });

  it('decodes 4-bit and exponent-only floats, and leaves non-numbers undecoded', () => {
    assert.deepEqual(Array.from(decodeLittleEndian('float4_e2m1fn', Uint8Array.from([0x21, 0xf7]), 4) ?? []), [0.5, 1, 6, -6]);
    assert.deepEqual(Array.from(decodeLittleEndian('float8_e8m0fnu', Uint8Array.from([127, 128, 0xff]), 3) ?? []), [1, 2, NaN]);
    assert.deepEqual(Array.from(decodeLittleEndian('int4', Uint8Array.from([0xf7]), 2) ?? []), [7, -1]);
    assert.equal(decodeLittleEndian('complex64', new Uint8Array(8), 1), undefined);
  });

  it('warns about bytes no tensor claims and names the producer without metadata', async () => {
    const header = JSON.stringify({ a: { dtype: 'U8', shape: [2], data_offsets: [2, 4] } });
    const model = await parseSafetensors(write(rawFile(header, Buffer.from([9, 9, 1, 2, 9]))));
    assert.equal(model.producer, 'safetensors');
    assert.deepEqual(Array.from(await model.readTensor('a')), [1, 2]);
    assert.equal(model.warnings.length, 2);
    assert.match(model.warnings[0] ?? '', /1 gap/);
    assert.match(model.warnings[1] ?? '', /1 bytes after the last tensor/);
  });

  it('treats __proto__ and constructor keys as plain names', async () => {
    const header = '{"__proto__": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "constructor": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]},' +
      ' "__metadata__": {"__proto__": "x", "polluted": "no"}}';
    const file = write(rawFile(header, Buffer.from([5, 6])));
    const model = await parseSafetensors(file);
    assert.deepEqual(model.weights.map((weight) => weight.path), ['__proto__', 'constructor']);
    assert.deepEqual(Array.from(await model.readTensor('__proto__')), [5]);
    assert.deepEqual(Array.from(await model.readTensor('constructor')), [6]);
    assert.deepEqual(model.facts, [
      { label: '__proto__', value: 'x' },
      { label: 'polluted', value: 'no' },
    ]);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).dtype, undefined);
  });

  describe('hostile files', () => {
    const tensor = (offsets: unknown, shape: unknown = [2], dtype: unknown = 'F32') => ({ dtype, shape, data_offsets: offsets });
    const cases: Array<[string, () => Buffer, RegExp]> = [
      ['a file shorter than the header length field', () => Buffer.from([1, 2, 3]), /truncated: 3 bytes/],
      ['a header length beyond the file', () => rawFile('{}', Buffer.alloc(4), 1000n), /truncated: the header length 1000 runs past the end of the file/],
      ['an absurd header length', () => rawFile('{}', Buffer.alloc(4), 2n ** 63n), /header length 9223372036854775808 is over the 100\.0 MB limit/],
      ['a header that is not JSON', () => rawFile('{"a": {"dtype": "F32",', Buffer.alloc(8)), /the header is not JSON/],
      ['a header that is not UTF-8', () => rawFile(Buffer.from([0xff, 0xfe])), /not UTF-8/],
      ['a header that is a list', () => rawFile('[1, 2]'), /not a JSON object/],
      ['overlapping tensors', () => rawFile(JSON.stringify({ a: tensor([0, 8]), b: tensor([4, 12]) }), Buffer.alloc(12)), /tensors a and b overlap/],
      ['offsets past the data', () => rawFile(JSON.stringify({ a: tensor([8, 16]) }), Buffer.alloc(12)), /data_offsets \[8, 16\] run past the end of the data \(12 bytes\)/],
      ['offsets that run backwards', () => rawFile(JSON.stringify({ a: tensor([8, 0]) }), Buffer.alloc(12)), /run backwards/],
      ['a size that does not match the shape', () => rawFile(JSON.stringify({ a: tensor([0, 12]) }), Buffer.alloc(12)), /shape \[2\] of F32 needs 8 bytes, but data_offsets \[0, 12\] hold 12/],
      ['an absurd shape', () => rawFile(JSON.stringify({ a: tensor([0, 8], [1e15]) }), Buffer.alloc(8)), /shape \[1000000000000000\] of F32 needs 4000000000000000 bytes/],
      ['a shape whose product overflows', () => rawFile(JSON.stringify({ a: tensor([0, 8], [1e9, 1e9]) }), Buffer.alloc(8)), /has too many elements/],
      ['a negative dimension', () => rawFile(JSON.stringify({ a: tensor([0, 8], [-2]) }), Buffer.alloc(8)), /is not a list of sizes/],
      ['a fractional offset', () => rawFile(JSON.stringify({ a: tensor([0, 7.5]) }), Buffer.alloc(8)), /is not a pair of byte offsets/],
      ['an unknown dtype', () => rawFile(JSON.stringify({ a: tensor([0, 8], [2], 'F128') }), Buffer.alloc(8)), /unknown dtype F128/],
      ['a tensor entry that is not an object', () => rawFile(JSON.stringify({ a: 5 }), Buffer.alloc(8)), /tensor a: its header entry is not an object/],
      ['metadata that is not an object', () => rawFile(JSON.stringify({ __metadata__: 'pt' })), /__metadata__ is not an object/],
    ];
    for (const [what, bytes, pattern] of cases) {
      it(`rejects ${what}`, async () => {
        const file = write(bytes());
        await rejectsNaming(parseSafetensors(file), file, pattern);
      });
    }

    it('rejects a missing file and a folder', async () => {
      const missing = path.join(folder, 'nothing.safetensors');
      await rejectsNaming(parseSafetensors(missing), missing, /cannot open/);
      await rejectsNaming(parseSafetensors(folder), folder, /not a regular file/);
    });
  });
});
