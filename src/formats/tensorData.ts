/**
 * Tensor elements from their little-endian bytes, for every reader: floats
 * of any width (float64/32/16, bfloat16, float8/float4 variants) become
 * Float32Array, integers Int32Array (Float32Array when a 64-bit or uint32
 * value does not fit), uint8 and bool Uint8Array.
 */
import type { TensorValues } from './types';

function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** IEEE half floats (little-endian) to float32. */
export function decodeFloat16(bytes: Uint8Array): Float32Array {
  const count = Math.floor(bytes.byteLength / 2);
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = float16ToFloat32(view.getUint16(i * 2, true));
  return out;
}

/** bfloat16 (the top half of a float32, little-endian) to float32. */
export function decodeBfloat16(bytes: Uint8Array): Float32Array {
  const count = Math.floor(bytes.byteLength / 2);
  const words = new Uint32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) words[i] = view.getUint16(i * 2, true) << 16;
  return new Float32Array(words.buffer);
}

/** A minifloat's value from its bits (sign, exponent, mantissa widths and bias); NaN/inf rules per format. */
function minifloatTable(exponentBits: number, mantissaBits: number, bias: number, special: (bits: number) => number | undefined): Float32Array {
  const count = 1 << (1 + exponentBits + mantissaBits);
  const table = new Float32Array(count);
  for (let bits = 0; bits < count; bits++) {
    const specialValue = special(bits);
    if (specialValue !== undefined) {
      table[bits] = specialValue;
      continue;
    }
    const sign = bits >> (exponentBits + mantissaBits) ? -1 : 1;
    const exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
    const mantissa = bits & ((1 << mantissaBits) - 1);
    const fraction = mantissa / (1 << mantissaBits);
    table[bits] = exponent === 0 ? sign * fraction * 2 ** (1 - bias) : sign * (1 + fraction) * 2 ** (exponent - bias);
  }
  return table;
}

const MINIFLOAT_FORMATS: Record<string, () => Float32Array> = {
  // No infinities; S.1111.111 is NaN.
  float8_e4m3fn: () => minifloatTable(4, 3, 7, (bits) => ((bits & 0x7f) === 0x7f ? NaN : undefined)),
  // "uz": no negative zero, 0x80 is the only NaN.
  float8_e4m3fnuz: () => minifloatTable(4, 3, 8, (bits) => (bits === 0x80 ? NaN : undefined)),
  // IEEE-like: exponent all ones is infinity or NaN.
  float8_e5m2: () => minifloatTable(5, 2, 15, (bits) => ((bits & 0x7c) === 0x7c ? ((bits & 3) === 0 ? (bits & 0x80 ? -Infinity : Infinity) : NaN) : undefined)),
  float8_e5m2fnuz: () => minifloatTable(5, 2, 16, (bits) => (bits === 0x80 ? NaN : undefined)),
  // Exponent only: 2^(bits - 127); 0xff is NaN.
  float8_e8m0fnu: () => Float32Array.from({ length: 256 }, (_, bits) => (bits === 0xff ? NaN : 2 ** (bits - 127))),
  float4_e2m1fn: () => minifloatTable(2, 1, 1, () => undefined),
};
const minifloatTables = new Map<string, Float32Array>();

function decodeMinifloat(dtype: string, bytes: Uint8Array, count: number): Float32Array | undefined {
  const build = MINIFLOAT_FORMATS[dtype];
  if (!build) return undefined;
  let table = minifloatTables.get(dtype);
  if (!table) {
    table = build();
    minifloatTables.set(dtype, table);
  }
  const out = new Float32Array(count);
  // 4-bit values are packed two to a byte, the first in the low nibble.
  const nibbles = table.length === 16;
  for (let i = 0; i < count; i++) {
    const byte = bytes[nibbles ? i >> 1 : i] ?? 0;
    out[i] = table[nibbles ? (i & 1 ? byte >> 4 : byte & 15) : byte] ?? NaN;
  }
  return out;
}

/** A copy of the first `length` bytes, aligned at 0 (a Buffer's slice would be a view into the whole file). */
function copyOf(bytes: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(bytes.subarray(0, length));
}

/** 64-bit integers: Int32Array when every value fits, else Float32Array (nearest float). */
function decodeInt64(view: DataView, count: number, unsigned: boolean): Int32Array | Float32Array {
  const values = new Float64Array(count);
  let fitsInt32 = true;
  for (let i = 0; i < count; i++) {
    const value = Number(unsigned ? view.getBigUint64(i * 8, true) : view.getBigInt64(i * 8, true));
    values[i] = value;
    if (value < -0x80000000 || value > 0x7fffffff) fitsInt32 = false;
  }
  return fitsInt32 ? Int32Array.from(values) : Float32Array.from(values);
}

/**
 * Little-endian tensor bytes as numbers, for `count` elements of `dtype`
 * (our dtype names). Floats of any width become Float32Array; integers up to
 * 32 bits Int32Array (uint32 beyond 2^31 and 64-bit integers as for int64
 * above); uint8 and bool Uint8Array. Undefined for types that are not
 * numbers (strings, complex, 6-bit floats). `bytes` must hold the elements.
 */
export function decodeLittleEndian(dtype: string, bytes: Uint8Array, count: number): TensorValues | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32':
      return new Float32Array(copyOf(bytes, count * 4).buffer);
    case 'float64':
      return Float32Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true));
    case 'float16':
      return decodeFloat16(bytes.subarray(0, count * 2));
    case 'bfloat16':
      return decodeBfloat16(bytes.subarray(0, count * 2));
    case 'int32':
      return new Int32Array(copyOf(bytes, count * 4).buffer);
    case 'int16':
      return Int32Array.from({ length: count }, (_, i) => view.getInt16(i * 2, true));
    case 'uint16':
      return Int32Array.from({ length: count }, (_, i) => view.getUint16(i * 2, true));
    case 'int8':
      return Int32Array.from({ length: count }, (_, i) => view.getInt8(i));
    case 'uint8':
      return copyOf(bytes, count);
    case 'bool':
      return Uint8Array.from({ length: count }, (_, i) => (bytes[i] ? 1 : 0));
    case 'uint32':
      return widenUint32(view, count);
    case 'int64':
      return decodeInt64(view, count, false);
    case 'uint64':
      return decodeInt64(view, count, true);
    case 'int4':
    case 'uint4':
      return Int32Array.from({ length: count }, (_, i) => {
        const byte = bytes[i >> 1] ?? 0;
        const nibble = i & 1 ? byte >> 4 : byte & 15;
        return dtype === 'int4' && nibble > 7 ? nibble - 16 : nibble;
      });
    default:
      return decodeMinifloat(dtype, bytes, count);
  }
}

function widenUint32(view: DataView, count: number): Int32Array | Float32Array {
  const values = Float64Array.from({ length: count }, (_, i) => view.getUint32(i * 4, true));
  return values.every((value) => value <= 0x7fffffff) ? Int32Array.from(values) : Float32Array.from(values);
}
