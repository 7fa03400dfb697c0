/**
 * Writes TensorBoard event files for tests, from the format's description:
 * protobuf fields by hand, Event/Summary messages, TFRecord framing with
 * masked CRC-32C. Also the Python field walker the tests' independent
 * readers start from.
 */
import { maskedCrc32c } from '../../src/formats/crc32c';

export function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
export const key = (field: number, wt: number): Buffer => varint(field * 8 + wt);
export const vint = (field: number, n: number | bigint): Buffer => Buffer.concat([key(field, 0), varint(n)]);
export const ld = (field: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([key(field, 2), varint(body.length), body]);
};
export const str = (field: number, s: string | Buffer): Buffer => ld(field, typeof s === 'string' ? Buffer.from(s) : s);
export function f64(field: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([key(field, 1), b]);
}
export function f32(field: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return Buffer.concat([key(field, 5), b]);
}

/** Event {wall_time=1, step=2, summary=5 {value=1 ...}}. */
export function event(step: number, wall: number, values: Buffer[]): Buffer {
  return Buffer.concat([f64(1, wall), vint(2, step), ld(5, ...values.map((v) => ld(1, v)))]);
}
export const fileVersion = (): Buffer => Buffer.concat([f64(1, 1000), str(3, 'brain.Event:2')]);
export const meta = (plugin: string, content?: Buffer): Buffer => ld(9, ld(1, str(1, plugin), ...(content ? [ld(2, content)] : [])));
export const simple = (tag: string, v: number): Buffer => Buffer.concat([str(1, tag), f32(2, v)]);
export const tensor = (dtype: number, ...parts: Buffer[]): Buffer => ld(8, vint(1, dtype), ld(2), ...parts);

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function record(data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(data.length));
  head.writeUInt32LE(maskedCrc32c(head, 0, 8), 8);
  const foot = Buffer.alloc(4);
  foot.writeUInt32LE(maskedCrc32c(data));
  return Buffer.concat([head, data, foot]);
}
export const records = (...events: Buffer[]): Buffer => Buffer.concat(events.map(record));

/** A real 1x1 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/** Python: `varint(b, i)` and `fields(b)` (field number, wire type, value) over protobuf bytes. */
export const PY_PROTO_FIELDS = String.raw`
import struct, sys, json
def varint(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i
def fields(b):
    i = 0
    while i < len(b):
        k, i = varint(b, i); f, wt = k >> 3, k & 7
        if wt == 0: v, i = varint(b, i)
        elif wt == 1: v = b[i:i+8]; i += 8
        elif wt == 5: v = b[i:i+4]; i += 4
        elif wt == 2:
            n, i = varint(b, i); v = b[i:i+n]; i += n
        else: raise ValueError(wt)
        yield f, wt, v
`;
