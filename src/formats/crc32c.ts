/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), as TFRecord framing
 * uses it, computed slicing-by-8: eight 256-entry tables, eight bytes per
 * step, no allocation per call.
 */

const POLY = 0x82f63b78;

/** TABLES[k * 256 + b]: the CRC of byte b followed by k zero bytes. */
const TABLES = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + b] = c >>> 0;
    }
  }
  return t;
}

/**
 * The CRC-32C of `data[start, end)` (a string is taken as UTF-8), continuing
 * from `crc` (the result of a previous call) when given.
 */
export function crc32c(data: Uint8Array | string, start = 0, end?: number, crc = 0): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return update(crc, bytes, start, end ?? bytes.length);
}

function update(crc: number, bytes: Uint8Array, start: number, stop: number): number {
  const t = TABLES;
  let c = ~crc;
  let i = start;
  const fast = stop - ((stop - i) & 7);
  while (i < fast) {
    const lo = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < stop) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** TFRecord's masked CRC-32C: rotated right by 15 bits plus 0xa282ead8. */
export function maskedCrc32c(data: Uint8Array, start = 0, end = data.length): number {
  const c = update(0, data, start, end);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}
