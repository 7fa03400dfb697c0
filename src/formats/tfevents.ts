/**
 * TensorBoard event files (`events.out.tfevents.*`), read incrementally:
 * TFRecord framing (u64 LE length, masked CRC-32C of the length, data,
 * masked CRC-32C of the data), each record an Event protobuf.
 *
 * The protobuf is decoded by hand rather than with protobufjs: only a dozen
 * fields of Event, Summary.Value, TensorProto, Summary.Image and the hparams
 * plugin data matter, and scalars are the hot path (ingest at disk speed),
 * so the decoder walks the record in place and builds no object per message
 * or per field; everything else is skipped by wire type.
 *
 * Poll by poll the reader keeps a byte offset and reads only what was
 * appended, in chunks of CHUNK bytes (a larger record grows the buffer to
 * that record, up to MAX_RECORD). A record still being written is left for
 * the next poll; a file that shrank, was replaced (another inode) or whose
 * first record changed is read again from 0 (`restarted`).
 */
import { open, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { HyperParameters, ImageRecord, LogUpdate, ScalarPoint, ScalarSeries } from '../protocol/monitor';
import { maskedCrc32c } from './crc32c';
import { errorText } from './errors';
import type { LogReader } from './logReader';

/** Bytes read per call while catching up. */
const CHUNK = 1 << 20;
/** Records longer than this are refused (and the file is no longer read). */
export const MAX_RECORD = 64 * 1024 * 1024;
const HEADER = 12;
const FOOTER = 4;

// TensorProto dtypes.
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_STRING = 7;
const DT_INT64 = 9;
const DT_BFLOAT16 = 14;
const DT_HALF = 19;

/** Run folders the Keras TensorBoard callback (and others) name after the split. */
const FOLDER_SPLITS: Record<string, string> = { train: 'train', validation: 'val', val: 'val', test: 'test' };
/** Tag prefixes naming the split (Lightning: `train_loss`, `val_loss`). */
const PREFIX_SPLITS: [string, string][] = [
  ['train_', 'train'],
  ['validation_', 'val'],
  ['val_', 'val'],
  ['test_', 'test'],
];

/** The metric and split a tag maps to, given the split its run folder names (if any). */
export function tagSeries(tag: string, folderSplit: string | undefined): { metric: string; split?: string } {
  if (folderSplit !== undefined) {
    const metric = tag.startsWith('epoch_') && tag.length > 6 ? tag.slice(6) : tag;
    return { metric, split: folderSplit };
  }
  for (const [prefix, split] of PREFIX_SPLITS) {
    if (tag.startsWith(prefix) && tag.length > prefix.length) return { metric: tag.slice(prefix.length), split };
  }
  if (tag.startsWith('epoch_') && tag.length > 6) return { metric: tag.slice(6) };
  return { metric: tag };
}

/** The split a run folder's name states (`<logdir>/validation/events…` -> `val`). */
export function folderSplit(file: string): string | undefined {
  return FOLDER_SPLITS[path.basename(path.dirname(file))];
}

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

class ProtoError extends Error {}

/** A cursor over one protobuf message, `buf[pos, end)`. */
class Wire {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new ProtoError('truncated varint');
    return this.buf[this.pos++]!;
  }

  /** A varint as a signed int64, exact up to 2^53. */
  varint(): number {
    let b = this.byte();
    if (b < 0x80) return b;
    let lo = b & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return lo;
    }
    b = this.byte();
    lo = (lo | ((b & 0x7f) << 28)) >>> 0;
    let hi = (b & 0x7f) >>> 4;
    if (b < 0x80) return hi * 4294967296 + lo;
    for (let shift = 3; shift < 32; shift += 7) {
      b = this.byte();
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) return (hi | 0) * 4294967296 + lo;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  /** Moves past a length prefix; returns the end of the field (the caller sets pos there when done). */
  lengthDelimited(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (len < 0 || end > this.end) throw new ProtoError('field runs past its message');
    return end;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtoError('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new ProtoError('truncated float');
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  string(): string {
    const end = this.lengthDelimited();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.lengthDelimited();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new ProtoError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new ProtoError('field runs past its message');
  }
}

/** What a TensorProto holds, as far as scalars, images and text need. */
interface Tensor {
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

function decodeTensor(buf: Buffer, start: number, end: number): Tensor {
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
function decodeHparams(buf: Buffer, start: number, end: number): HyperParameters | undefined {
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

class TfeventsReader implements LogReader {
  readonly format = 'tfevents' as const;
  private readonly base: string;
  private readonly split: string | undefined;
  /** Bytes consumed: the file position of the next record. */
  private offset = 0;
  private ino: number | undefined;
  /** The first record's header and data CRC, to notice a replaced file. */
  private first: Buffer | undefined;
  private firstLength = 0;
  /** Set when reading this file stopped (not a TFRecord, a record too long): the size then. */
  private stoppedAt: number | undefined;
  /** Scanning for the next valid header after a damaged one. */
  private resyncing = false;
  private readonly warned = new Set<string>();
  /** Plugin of each tag: TF2 writes the metadata with a tag's first value only. */
  private readonly plugins = new Map<string, string>();
  private readonly recentTags: { bytes: Buffer; text: string }[] = [];
  private readonly names = new Map<string, { metric: string; split?: string }>();

  constructor(readonly file: string) {
    this.base = path.basename(file);
    this.split = folderSplit(file);
  }

  async poll(): Promise<LogUpdate> {
    const update: LogUpdate = { scalars: [], images: [], texts: [], skipped: 0, warnings: [] };
    let handle: FileHandle;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      this.warn(update, 'open', `cannot be read: ${errorText(error)}`);
      return update;
    }
    const series = new Map<string, ScalarSeries>();
    try {
      const stat = await handle.stat();
      if (await this.replaced(handle, stat.size, stat.ino)) {
        const hadData = this.offset > 0 || this.stoppedAt !== undefined;
        this.reset();
        if (hadData) update.restarted = true;
      }
      this.ino = stat.ino;
      if (this.stoppedAt === undefined) await this.read(handle, stat.size, update, series);
    } finally {
      await handle.close();
    }
    update.scalars = [...series.values()];
    return update;
  }

  private reset(): void {
    this.offset = 0;
    this.first = undefined;
    this.firstLength = 0;
    this.stoppedAt = undefined;
    this.resyncing = false;
    this.warned.clear();
    this.plugins.clear();
  }

  private async replaced(handle: FileHandle, size: number, ino: number): Promise<boolean> {
    if (this.ino !== undefined && ino !== this.ino) return true;
    if (size < this.offset || (this.stoppedAt !== undefined && size < this.stoppedAt)) return true;
    if (this.first === undefined) return false;
    const now = Buffer.alloc(HEADER + FOOTER);
    const a = await handle.read(now, 0, HEADER, 0);
    const b = await handle.read(now, HEADER, FOOTER, HEADER + this.firstLength);
    return a.bytesRead + b.bytesRead !== now.length || !now.equals(this.first);
  }

  private warn(update: LogUpdate, kind: string, problem: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    update.warnings.push(`${this.base}: ${problem}`);
  }

  private async read(handle: FileHandle, size: number, update: LogUpdate, series: Map<string, ScalarSeries>): Promise<void> {
    if (size - this.offset < HEADER) return;
    let buf = Buffer.allocUnsafe(Math.min(CHUNK, size - this.offset));
    /** File position of buf[0]; buf holds [bufStart, bufStart + len). */
    let bufStart = this.offset;
    let len = 0;
    let p = 0;

    /** Makes `n` bytes from p available; false when the file (as of the stat) ends first. */
    const fill = async (n: number): Promise<boolean> => {
      if (bufStart + p + n > size) return false;
      if (p > 0) {
        buf.copy(buf, 0, p, len);
        len -= p;
        bufStart += p;
        p = 0;
      }
      if (n > buf.length) {
        const grown = Buffer.allocUnsafe(n);
        buf.copy(grown, 0, 0, len);
        buf = grown;
      }
      while (len < n) {
        const want = Math.min(buf.length - len, size - (bufStart + len));
        const { bytesRead } = await handle.read(buf, len, want, bufStart + len);
        if (bytesRead === 0) return false;
        len += bytesRead;
      }
      return true;
    };

    for (;;) {
      if (len - p < HEADER && !(await fill(HEADER))) break;
      const at = bufStart + p;
      const lo = buf.readUInt32LE(p);
      const hi = buf.readUInt32LE(p + 4);
      if (maskedCrc32c(buf, p, p + 8) !== buf.readUInt32LE(p + 8)) {
        if (at === 0) {
          this.warn(update, 'format', 'not a TFRecord file (the first record header does not check out); not read');
          this.stoppedAt = size;
          return;
        }
        if (!this.resyncing) {
          update.skipped++;
          this.warn(update, 'crc', `damaged record at byte ${at} (bad length or data checksum), skipped`);
          this.resyncing = true;
        }
        p++;
        this.offset = at + 1;
        continue;
      }
      this.resyncing = false;
      if (hi !== 0 || lo > MAX_RECORD) {
        this.warn(update, 'length', `record at byte ${at} claims ${hi * 4294967296 + lo} bytes (over ${MAX_RECORD}); the rest of the file is not read`);
        this.stoppedAt = size;
        return;
      }
      const total = HEADER + lo + FOOTER;
      if (len - p < total && !(await fill(total))) break;
      const dataStart = p + HEADER;
      const dataEnd = dataStart + lo;
      if (maskedCrc32c(buf, dataStart, dataEnd) !== buf.readUInt32LE(dataEnd)) {
        update.skipped++;
        this.warn(update, 'crc', `damaged record at byte ${at} (bad length or data checksum), skipped`);
      } else {
        if (at === 0) {
          this.first = Buffer.concat([buf.subarray(p, dataStart), buf.subarray(dataEnd, dataEnd + FOOTER)]);
          this.firstLength = lo;
        }
        try {
          this.decodeEvent(buf, dataStart, dataEnd, update, series);
        } catch (error) {
          if (!(error instanceof ProtoError)) throw error;
          update.skipped++;
          this.warn(update, 'event', `record at byte ${at} is not a valid Event (${error.message}), skipped`);
        }
      }
      p += total;
      this.offset = bufStart + p;
    }
  }

  private decodeEvent(buf: Buffer, start: number, end: number, update: LogUpdate, series: Map<string, ScalarSeries>): void {
    const w = new Wire(buf, start, end);
    let wallTime: number | undefined;
    let step = 0;
    let summaryStart = -1;
    let summaryEnd = -1;
    while (w.more()) {
      const key = w.varint();
      const field = key >>> 3;
      const wt = key & 7;
      if (field === 1 && wt === 1) wallTime = w.double();
      else if (field === 2 && wt === 0) step = w.varint();
      else if (field === 5 && wt === 2) {
        summaryEnd = w.lengthDelimited();
        summaryStart = w.pos;
        w.pos = summaryEnd;
      } else w.skip(wt);
    }
    if (summaryStart < 0) return;
    const s = new Wire(buf, summaryStart, summaryEnd);
    while (s.more()) {
      const key = s.varint();
      if (key >>> 3 === 1 && (key & 7) === 2) {
        const valueEnd = s.lengthDelimited();
        this.decodeSummaryValue(buf, s.pos, valueEnd, step, wallTime, update, series);
        s.pos = valueEnd;
      } else s.skip(key & 7);
    }
  }

  private decodeSummaryValue(
    buf: Buffer,
    start: number,
    end: number,
    step: number,
    wallTime: number | undefined,
    update: LogUpdate,
    series: Map<string, ScalarSeries>,
  ): void {
    const w = new Wire(buf, start, end);
    let tag = '';
    let plugin: string | undefined;
    let contentStart = -1;
    let contentEnd = -1;
    let simple: number | undefined;
    let imageStart = -1;
    let imageEnd = -1;
    let tensorStart = -1;
    let tensorEnd = -1;
    while (w.more()) {
      const key = w.varint();
      const field = key >>> 3;
      const wt = key & 7;
      if (field === 1 && wt === 2) {
        const tagEnd = w.lengthDelimited();
        tag = this.tagText(buf, w.pos, tagEnd);
        w.pos = tagEnd;
      } else if (field === 2 && wt === 5) simple = w.float();
      else if (field === 4 && wt === 2) {
        imageEnd = w.lengthDelimited();
        imageStart = w.pos;
        w.pos = imageEnd;
      } else if (field === 8 && wt === 2) {
        tensorEnd = w.lengthDelimited();
        tensorStart = w.pos;
        w.pos = tensorEnd;
      } else if (field === 9 && wt === 2) {
        // SummaryMetadata.plugin_data(1) {plugin_name(1), content(2)}
        const metaEnd = w.lengthDelimited();
        while (w.pos < metaEnd) {
          const mk = w.varint();
          if (mk >>> 3 === 1 && (mk & 7) === 2) {
            const pdEnd = w.lengthDelimited();
            while (w.pos < pdEnd) {
              const pk = w.varint();
              if (pk >>> 3 === 1 && (pk & 7) === 2) plugin = w.string();
              else if (pk >>> 3 === 2 && (pk & 7) === 2) {
                contentEnd = w.lengthDelimited();
                contentStart = w.pos;
                w.pos = contentEnd;
              } else w.skip(pk & 7);
            }
            w.pos = pdEnd;
          } else w.skip(mk & 7);
        }
        w.pos = metaEnd;
      } else w.skip(wt);
    }
    if (plugin !== undefined) this.plugins.set(tag, plugin);
    else plugin = this.plugins.get(tag) ?? '';

    if (plugin === 'hparams') {
      if (contentStart >= 0) {
        const hp = decodeHparams(buf, contentStart, contentEnd);
        if (hp) update.hparams = Object.assign(update.hparams ?? (Object.create(null) as HyperParameters), hp);
      }
      return;
    }
    if (simple !== undefined) {
      this.addPoint(series, tag, step, simple, wallTime);
      return;
    }
    if (imageStart >= 0) {
      this.addImage(update, buf, imageStart, imageEnd, tag, step, wallTime);
      return;
    }
    if (tensorStart < 0) return;
    const t = decodeTensor(buf, tensorStart, tensorEnd);
    if (t.dtype === DT_STRING) {
      const strs = t.strings;
      if (plugin === 'images' && strs.length >= 6) {
        const width = Number(buf.toString('latin1', strs[0], strs[1]));
        const height = Number(buf.toString('latin1', strs[2], strs[3]));
        for (let i = 4; i + 1 < strs.length; i += 2) {
          const s = strs[i]!;
          const e = strs[i + 1]!;
          const mime = sniffImageMime(buf, s, e);
          if (mime === undefined) continue;
          const image: ImageRecord = { tag, step, mime, base64: buf.toString('base64', s, e) };
          if (wallTime !== undefined) image.wallTime = wallTime;
          if (Number.isFinite(width) && width > 0) image.width = width;
          if (Number.isFinite(height) && height > 0) image.height = height;
          update.images.push(image);
        }
      } else if (plugin === 'text') {
        const parts: string[] = [];
        for (let i = 0; i + 1 < strs.length; i += 2) parts.push(buf.toString('utf8', strs[i], strs[i + 1]));
        update.texts.push({ tag, step, text: parts.join('\n') });
      }
      return;
    }
    if ((plugin === '' || plugin === 'scalars') && t.elements === 1 && t.value !== undefined) {
      this.addPoint(series, tag, step, t.value, wallTime);
    }
  }

  /** A tag's text; the last few tags are kept as bytes so a repeated tag is compared, not decoded. */
  private tagText(buf: Buffer, start: number, end: number): string {
    const tags = this.recentTags;
    for (let i = 0; i < tags.length; i++) {
      const t = tags[i]!;
      if (t.bytes.length === end - start && t.bytes.compare(buf, start, end) === 0) return t.text;
    }
    const text = buf.toString('utf8', start, end);
    if (tags.length >= 16) tags.pop();
    tags.unshift({ bytes: Buffer.from(buf.subarray(start, end)), text });
    return text;
  }

  private addPoint(series: Map<string, ScalarSeries>, tag: string, step: number, value: number, wallTime: number | undefined): void {
    let s = series.get(tag);
    if (s === undefined) {
      let name = this.names.get(tag);
      if (name === undefined) {
        name = tagSeries(tag, this.split);
        this.names.set(tag, name);
      }
      s = { tag, metric: name.metric, points: [] };
      if (name.split !== undefined) s.split = name.split;
      series.set(tag, s);
    }
    const point: ScalarPoint = wallTime === undefined ? { step, value } : { step, value, wallTime };
    s.points.push(point);
  }

  private addImage(update: LogUpdate, buf: Buffer, start: number, end: number, tag: string, step: number, wallTime: number | undefined): void {
    // Summary.Image: height=1, width=2, colorspace=3, encoded_image_string=4
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
    if (dataStart < 0) return;
    const mime = sniffImageMime(buf, dataStart, dataEnd);
    if (mime === undefined) {
      this.warn(update, 'image', `image "${tag}" is in an unrecognised encoding, not shown`);
      return;
    }
    const image: ImageRecord = { tag, step, mime, base64: buf.toString('base64', dataStart, dataEnd) };
    if (wallTime !== undefined) image.wallTime = wallTime;
    if (width > 0) image.width = width;
    if (height > 0) image.height = height;
    update.images.push(image);
  }
}

/** A reader of one TensorBoard event file (format `tfevents`). */
export function createTfeventsReader(file: string): LogReader {
  return new TfeventsReader(file);
}
