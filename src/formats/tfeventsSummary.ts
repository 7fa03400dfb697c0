/**
 * The rarer payloads of a TensorBoard Summary.Value, decoded by hand from the
 * wire format: TF2 tensors (scalars of every dtype, image and text string
 * tensors), Summary.Image, and the hparams plugin's session_start_info. The
 * common case, a simple_value scalar, never comes here (src/formats/tfevents.ts).
 */
import type { HyperParameters, ImageRecord } from '../protocol/monitor';
import { Wire } from './protoWire';

// TensorProto dtypes.
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
export const DT_STRING = 7;
const DT_INT64 = 9;
const DT_BFLOAT16 = 14;
const DT_HALF = 19;

/** image/png, image/jpeg, image/gif, image/webp, image/bmp by magic bytes; undefined when none matches. */
export function sniffImageMime(buf: Uint8Array, start = 0, end = buf.length): string | undefined {
  const n = end - start;
  const b = (i: number): number => buf[start + i]!;
  if (n >= 8 && b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'image/png';
  if (n >= 3 && b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'image/jpeg';
  if (n >= 6 && b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x38) return 'image/gif';
  if (n >= 12 && b(0) === 0x52 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x46 && b(8) === 0x57 && b(9) === 0x45 && b(10) === 0x42 && b(11) === 0x50) {
    return 'image/webp';
  }
  if (n >= 2 && b(0) === 0x42 && b(1) === 0x4d) return 'image/bmp';
  return undefined;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bfloat16(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** What a TensorProto holds, as far as scalars, images and text need. */
export interface Tensor {
  dtype: number;
  /** Elements by the shape (1 for an empty shape). */
  elements: number;
  /** The first numeric value, from tensor_content or the typed fields. */
  value?: number;
  /** string_val entries as [start, end) pairs into the record. */
  strings: number[];
}

function readNumeric(w: Wire, wireType: number, field: number): number {
  // field 5 float_val, 6 double_val, 7 int_val, 10 int64_val, 13 half_val
  if (field === 5) return wireType === 5 ? w.float() : NaN;
  if (field === 6) return wireType === 1 ? w.double() : NaN;
  return wireType === 0 ? w.varint() : NaN;
}

export function decodeTensor(buf: Buffer, start: number, end: number): Tensor {
  const w = new Wire(buf, start, end);
  const t: Tensor = { dtype: 0, elements: 1, strings: [] };
  let contentStart = -1;
  let contentEnd = -1;
  let typed: number | undefined;
  let typedField = 0;
  while (w.more()) {
    const key = w.varint();
    const field = key >>> 3;
    const wt = key & 7;
    if (field === 1 && wt === 0) t.dtype = w.varint();
    else if (field === 2 && wt === 2) {
      const shapeEnd = w.lengthDelimited();
      let elements = 1;
      while (w.pos < shapeEnd) {
        const k = w.varint();
        if (k >>> 3 === 2 && (k & 7) === 2) {
          const dimEnd = w.lengthDelimited();
          let size = 0;
          while (w.pos < dimEnd) {
            const dk = w.varint();
            if (dk >>> 3 === 1 && (dk & 7) === 0) size = w.varint();
            else w.skip(dk & 7);
          }
          elements *= size;
        } else w.skip(k & 7);
      }
      w.pos = shapeEnd;
      t.elements = elements;
    } else if (field === 4 && wt === 2) {
      contentEnd = w.lengthDelimited();
      contentStart = w.pos;
      w.pos = contentEnd;
    } else if (field === 8 && wt === 2) {
      const e = w.lengthDelimited();
      t.strings.push(w.pos, e);
      w.pos = e;
    } else if (field === 5 || field === 6 || field === 7 || field === 10 || field === 13) {
      if (wt === 2) {
        // packed
        const e = w.lengthDelimited();
        if (typed === undefined && w.pos < e) {
          const inner = new Wire(buf, w.pos, e);
          typed = readNumeric(inner, field === 5 ? 5 : field === 6 ? 1 : 0, field);
          typedField = field;
        }
        w.pos = e;
      } else {
        const v = readNumeric(w, wt, field);
        if (typed === undefined) {
          typed = v;
          typedField = field;
        }
      }
    } else w.skip(wt);
  }
  if (contentStart >= 0) t.value = contentValue(buf, t.dtype, contentStart, contentEnd);
  else if (typed !== undefined) {
    if (typedField === 13) t.value = t.dtype === DT_BFLOAT16 ? bfloat16(typed) : half(typed);
    else t.value = typed;
  }
  return t;
}

function contentValue(buf: Buffer, dtype: number, start: number, end: number): number | undefined {
  const n = end - start;
  switch (dtype) {
    case DT_FLOAT:
      return n >= 4 ? buf.readFloatLE(start) : undefined;
    case DT_DOUBLE:
      return n >= 8 ? buf.readDoubleLE(start) : undefined;
    case DT_INT32:
      return n >= 4 ? buf.readInt32LE(start) : undefined;
    case DT_INT64:
      return n >= 8 ? buf.readInt32LE(start + 4) * 4294967296 + buf.readUInt32LE(start) : undefined;
    case DT_HALF:
      return n >= 2 ? half(buf.readUInt16LE(start)) : undefined;
    case DT_BFLOAT16:
      return n >= 2 ? bfloat16(buf.readUInt16LE(start)) : undefined;
    default:
      return undefined;
  }
}

/** google.protobuf.Value: null_value=1, number_value=2, string_value=3, bool_value=4 (struct and list as JSON text is not attempted). */
function decodeValue(buf: Buffer, start: number, end: number): string | number | boolean | null {
  const w = new Wire(buf, start, end);
  let value: string | number | boolean | null = null;
  while (w.more()) {
    const key = w.varint();
    const field = key >>> 3;
    const wt = key & 7;
    if (field === 1 && wt === 0) {
      w.varint();
      value = null;
    } else if (field === 2 && wt === 1) value = w.double();
    else if (field === 3 && wt === 2) value = w.string();
    else if (field === 4 && wt === 0) value = w.varint() !== 0;
    else w.skip(wt);
  }
  return value;
}

/** HParamsPluginData.session_start_info(3).hparams(1): map<string, Value>; undefined for the other kinds (experiment, session end). */
export function decodeHparams(buf: Buffer, start: number, end: number): HyperParameters | undefined {
  const w = new Wire(buf, start, end);
  let out: HyperParameters | undefined;
  while (w.more()) {
    const key = w.varint();
    if (key >>> 3 === 3 && (key & 7) === 2) {
      const infoEnd = w.lengthDelimited();
      out ??= Object.create(null) as HyperParameters;
      while (w.pos < infoEnd) {
        const k = w.varint();
        if (k >>> 3 === 1 && (k & 7) === 2) {
          const entryEnd = w.lengthDelimited();
          let name = '';
          let value: string | number | boolean | null = null;
          while (w.pos < entryEnd) {
            const ek = w.varint();
            if (ek >>> 3 === 1 && (ek & 7) === 2) name = w.string();
            else if (ek >>> 3 === 2 && (ek & 7) === 2) {
              const ve = w.lengthDelimited();
              value = decodeValue(buf, w.pos, ve);
              w.pos = ve;
            } else w.skip(ek & 7);
          }
          w.pos = entryEnd;
          out[name] = value;
        } else w.skip(k & 7);
      }
      w.pos = infoEnd;
    } else w.skip(key & 7);
  }
  return out;
}

/** Summary.Image (height=1, width=2, colorspace=3, encoded_image_string=4) as an image record; `unrecognised` for an unknown encoding. */
export function decodeImage(buf: Buffer, start: number, end: number, tag: string, step: number, wallTime: number): ImageRecord | 'unrecognised' | undefined {
  const w = new Wire(buf, start, end);
  let height = 0;
  let width = 0;
  let dataStart = -1;
  let dataEnd = -1;
  while (w.more()) {
    const key = w.varint();
    const field = key >>> 3;
    const wt = key & 7;
    if (field === 1 && wt === 0) height = w.varint();
    else if (field === 2 && wt === 0) width = w.varint();
    else if (field === 4 && wt === 2) {
      dataEnd = w.lengthDelimited();
      dataStart = w.pos;
      w.pos = dataEnd;
    } else w.skip(wt);
  }
  if (dataStart < 0) return undefined;
  const mime = sniffImageMime(buf, dataStart, dataEnd);
  if (mime === undefined) return 'unrecognised';
  const image: ImageRecord = { tag, step, mime, base64: buf.toString('base64', dataStart, dataEnd) };
  if (!Number.isNaN(wallTime)) image.wallTime = wallTime;
  if (width > 0) image.width = width;
  if (height > 0) image.height = height;
  return image;
}

/** The images plugin's string tensor: width, height, then encoded images; those of an unknown encoding left out. */
export function tensorImages(buf: Buffer, strings: number[], tag: string, step: number, wallTime: number): ImageRecord[] {
  if (strings.length < 6) return [];
  const width = Number(buf.toString('latin1', strings[0], strings[1]));
  const height = Number(buf.toString('latin1', strings[2], strings[3]));
  const images: ImageRecord[] = [];
  for (let i = 4; i + 1 < strings.length; i += 2) {
    const s = strings[i]!;
    const e = strings[i + 1]!;
    const mime = sniffImageMime(buf, s, e);
    if (mime === undefined) continue;
    const image: ImageRecord = { tag, step, mime, base64: buf.toString('base64', s, e) };
    if (!Number.isNaN(wallTime)) image.wallTime = wallTime;
    if (Number.isFinite(width) && width > 0) image.width = width;
    if (Number.isFinite(height) && height > 0) image.height = height;
    images.push(image);
  }
  return images;
}

/** The text plugin's string tensor, its strings joined by newlines. */
export function tensorText(buf: Buffer, strings: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i + 1 < strings.length; i += 2) parts.push(buf.toString('utf8', strings[i], strings[i + 1]));
  return parts.join('\n');
}
