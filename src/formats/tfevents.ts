/**
 * TensorBoard event files (`events.out.tfevents.*`), read incrementally:
 * TFRecord framing (u64 LE length, masked CRC-32C of the length, data,
 * masked CRC-32C of the data), each record an Event protobuf.
 *
 * Scalars are the hot path (ingest at disk speed), so the common record, an
 * Event {wall_time, step, summary {value {tag, simple_value}}}, is decoded
 * by hand in place: single-byte keys compared directly, floats read through
 * a DataView, no object per message, field or point. A tag's bytes are
 * hashed and looked up in a table of tags seen before, so a repeated tag is
 * compared, not decoded, and leads straight to its series' columns. Anything
 * else in a Summary.Value (tensors, images, text, plugin metadata) takes the
 * general path (src/formats/tfeventsSummary.ts).
 *
 * Poll by poll the reader keeps a byte offset and reads only what was
 * appended, in chunks of CHUNK bytes (a larger record grows the buffer to
 * that record, up to MAX_RECORD). A record still being written is left for
 * the next poll; a file that shrank, was replaced (another inode) or whose
 * first record changed is read again from 0 (`restarted`). A bounded poll
 * (`maxBytes`) stops at the first record boundary at or past that many bytes
 * and says whether the file holds more (`more`).
 */
import { open, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { HyperParameters, LogUpdate, ScalarSeries } from '../protocol/monitor';
import { maskedCrc32c } from './crc32c';
import { errorText } from './errors';
import type { LogReader, PollLimit } from './logReader';
import { ProtoError, Wire } from './protoWire';
import { ScalarColumns } from './scalarColumns';
import { splitFromName, splitOfFolder } from './splitNames';
import { DT_STRING, decodeHparams, decodeImage, decodeTensor, tensorImages, tensorText } from './tfeventsSummary';

/** Bytes read per call while catching up. */
const CHUNK = 1 << 20;
/** Records longer than this are refused (and the file is no longer read). */
export const MAX_RECORD = 64 * 1024 * 1024;
/** Bytes read past a poll's limit at first, for the record that crosses it. */
const READ_AHEAD = 4096;
const HEADER = 12;
const FOOTER = 4;

/** Tags looked up by their bytes at most; more distinct tags than this are looked up by their text. */
const MAX_HASHED_TAGS = 4096;
const TAG_BUCKETS = 1024;
const RECENT_SLOTS = 256;
const NO_BYTES = Buffer.alloc(0);

// Single-byte protobuf keys of the hot path: (field << 3) | wire type.
const EVENT_WALL_TIME = 0x09; // 1, fixed64 (double)
const EVENT_STEP = 0x10; // 2, varint
const EVENT_SUMMARY = 0x2a; // 5, length-delimited
const SUMMARY_VALUE = 0x0a; // Summary.value: 1, length-delimited
const VALUE_TAG = 0x0a; // Summary.Value.tag: 1, length-delimited
const VALUE_SIMPLE = 0x15; // Summary.Value.simple_value: 2, fixed32 (float)

/** The metric and split a tag maps to, given the split its run folder names (if any). */
export function tagSeries(tag: string, folderSplit: string | undefined): { metric: string; split?: string } {
  if (folderSplit !== undefined) {
    const metric = tag.startsWith('epoch_') && tag.length > 6 ? tag.slice(6) : tag;
    return { metric, split: folderSplit };
  }
  const named = splitFromName(tag);
  if (named.split !== undefined) return named;
  if (tag.startsWith('epoch_') && tag.length > 6) return { metric: tag.slice(6) };
  return { metric: tag };
}

/** The split an event file's folder states (`<logdir>/validation/events…` -> `val`). */
export function folderSplit(file: string): string | undefined {
  return splitOfFolder(path.basename(path.dirname(file)));
}

/** What the reader knows about one tag, kept across polls. */
interface TagInfo {
  text: string;
  metric: string;
  split: string | undefined;
  /** The plugin its metadata named: TF2 writes the metadata with a tag's first value only. */
  plugin: string;
  /** This poll's points, from the tag's first point of the poll. */
  columns: ScalarColumns | undefined;
}

function sameBytes(bytes: Uint8Array, buf: Buffer, start: number, length: number): boolean {
  if (bytes.length !== length) return false;
  for (let i = 0; i < length; i++) if (bytes[i] !== buf[start + i]) return false;
  return true;
}

interface HashedTag {
  bytes: Uint8Array;
  hash: number;
  info: TagInfo;
  next: HashedTag | undefined;
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
  /** Tags by the FNV-1a hash of their bytes (chained), and all tags by text. */
  private buckets: (HashedTag | undefined)[] = new Array<HashedTag | undefined>(TAG_BUCKETS).fill(undefined);
  private hashedTags = 0;
  /** The tag last found per slot (length and two bytes): most lookups end here, unhashed. */
  private recent: (HashedTag | undefined)[] = new Array<HashedTag | undefined>(RECENT_SLOTS).fill(undefined);
  private readonly tags = new Map<string, TagInfo>();
  /** The tags with points in the poll under way, in the order their first point came. */
  private polled: TagInfo[] = [];
  private readonly eventWire = new Wire(NO_BYTES, 0, 0);
  private readonly valueWire = new Wire(NO_BYTES, 0, 0);

  constructor(readonly file: string) {
    this.base = path.basename(file);
    this.split = folderSplit(file);
  }

  async poll(limit?: PollLimit): Promise<LogUpdate> {
    const update: LogUpdate = { scalars: [], images: [], texts: [], skipped: 0, warnings: [] };
    let handle: FileHandle;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      this.warn(update, 'open', `cannot be read: ${errorText(error)}`);
      return update;
    }
    this.polled = [];
    try {
      const stat = await handle.stat();
      if (await this.replaced(handle, stat.size, stat.ino)) {
        const hadData = this.offset > 0 || this.stoppedAt !== undefined;
        this.reset();
        if (hadData) update.restarted = true;
      }
      this.ino = stat.ino;
      const maxBytes = limit?.maxBytes === undefined || Number.isNaN(limit.maxBytes) ? Infinity : Math.max(0, limit.maxBytes);
      if (this.stoppedAt === undefined) await this.read(handle, stat.size, maxBytes, update);
    } finally {
      await handle.close();
      update.scalars = this.takeSeries();
      // Let go of the read buffer between polls.
      this.eventWire.at(NO_BYTES, 0, 0);
      this.valueWire.at(NO_BYTES, 0, 0);
    }
    return update;
  }

  /** This poll's series; the tags' columns are let go. */
  private takeSeries(): ScalarSeries[] {
    const series: ScalarSeries[] = [];
    for (const info of this.polled) {
      series.push(info.columns!.toSeries(info.text, info.metric, info.split));
      info.columns = undefined;
    }
    this.polled = [];
    return series;
  }

  private reset(): void {
    this.offset = 0;
    this.first = undefined;
    this.firstLength = 0;
    this.stoppedAt = undefined;
    this.resyncing = false;
    this.warned.clear();
    this.buckets = new Array<HashedTag | undefined>(TAG_BUCKETS).fill(undefined);
    this.recent = new Array<HashedTag | undefined>(RECENT_SLOTS).fill(undefined);
    this.hashedTags = 0;
    this.tags.clear();
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

  private async read(handle: FileHandle, size: number, maxBytes: number, update: LogUpdate): Promise<void> {
    if (size - this.offset < HEADER) return;
    const start = this.offset;
    // A bounded poll reads about its limit, plus room for the record that crosses it.
    let buf = Buffer.allocUnsafe(Math.min(CHUNK, size - this.offset, maxBytes + READ_AHEAD));
    let view = new DataView(buf.buffer, buf.byteOffset, buf.length);
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
        view = new DataView(buf.buffer, buf.byteOffset, buf.length);
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
      if (this.offset > start && this.offset - start >= maxBytes) {
        // A record can start here only with a whole header after it.
        if (size - this.offset >= HEADER) update.more = true;
        break;
      }
      if (len - p < HEADER && !(await fill(HEADER))) break;
      const at = bufStart + p;
      const lo = view.getUint32(p, true);
      const hi = view.getUint32(p + 4, true);
      if (maskedCrc32c(buf, p, p + 8) !== view.getUint32(p + 8, true)) {
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
      if (maskedCrc32c(buf, dataStart, dataEnd) !== view.getUint32(dataEnd, true)) {
        update.skipped++;
        this.warn(update, 'crc', `damaged record at byte ${at} (bad length or data checksum), skipped`);
      } else {
        if (at === 0) {
          this.first = Buffer.concat([buf.subarray(p, dataStart), buf.subarray(dataEnd, dataEnd + FOOTER)]);
          this.firstLength = lo;
        }
        try {
          this.decodeEvent(buf, view, dataStart, dataEnd, update);
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

  /** Event: wall_time=1 (double), step=2 (int64), summary=5 {value=1 repeated}; other fields skipped. */
  private decodeEvent(buf: Buffer, view: DataView, start: number, end: number, update: LogUpdate): void {
    const w = this.eventWire.at(buf, start, end);
    let wallTime = NaN;
    let step = 0;
    let summaryStart = -1;
    let summaryEnd = -1;
    while (w.pos < end) {
      const key = buf[w.pos]!;
      if (key === EVENT_WALL_TIME) {
        if (w.pos + 9 > end) throw new ProtoError('truncated double');
        wallTime = view.getFloat64(w.pos + 1, true);
        w.pos += 9;
      } else if (key === EVENT_STEP) {
        w.pos++;
        step = w.varint();
      } else if (key === EVENT_SUMMARY) {
        w.pos++;
        summaryEnd = w.lengthDelimited();
        summaryStart = w.pos;
        w.pos = summaryEnd;
      } else {
        const k = w.varint();
        w.skip(k & 7);
      }
    }
    if (summaryStart < 0) return;
    w.pos = summaryStart;
    while (w.pos < summaryEnd) {
      if (buf[w.pos] === SUMMARY_VALUE) {
        w.pos++;
        const valueEnd = w.lengthDelimited();
        this.decodeValue(buf, view, w.pos, valueEnd, step, wallTime, update);
        w.pos = valueEnd;
      } else {
        const k = w.varint();
        w.skip(k & 7);
      }
    }
  }

  /** Summary.Value: the common {tag, simple_value} here; anything more goes the general way. */
  private decodeValue(buf: Buffer, view: DataView, start: number, end: number, step: number, wallTime: number, update: LogUpdate): void {
    let p = start;
    let tagStart = start;
    let tagEnd = start;
    let simple = NaN;
    let hasSimple = false;
    while (p < end) {
      const key = buf[p]!;
      if (key === VALUE_TAG && p + 1 < end && buf[p + 1]! < 0x80) {
        tagStart = p + 2;
        tagEnd = tagStart + buf[p + 1]!;
        if (tagEnd > end) throw new ProtoError('field runs past its message');
        p = tagEnd;
      } else if (key === VALUE_SIMPLE) {
        if (p + 5 > end) throw new ProtoError('truncated float');
        simple = view.getFloat32(p + 1, true);
        hasSimple = true;
        p += 5;
      } else {
        this.decodeValueFully(buf, start, end, step, wallTime, update);
        return;
      }
    }
    const info = this.tagInfo(buf, tagStart, tagEnd);
    if (hasSimple && info.plugin !== 'hparams') this.addPoint(info, step, simple, wallTime);
  }

  private decodeValueFully(buf: Buffer, start: number, end: number, step: number, wallTime: number, update: LogUpdate): void {
    const w = this.valueWire.at(buf, start, end);
    let info: TagInfo | undefined;
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
        info = this.tagInfo(buf, w.pos, tagEnd);
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
    info ??= this.tagInfo(buf, start, start);
    const tag = info.text;
    if (plugin !== undefined) info.plugin = plugin;
    else plugin = info.plugin;

    if (plugin === 'hparams') {
      if (contentStart >= 0) {
        const hp = decodeHparams(buf, contentStart, contentEnd);
        if (hp) update.hparams = Object.assign(update.hparams ?? (Object.create(null) as HyperParameters), hp);
      }
      return;
    }
    if (simple !== undefined) {
      this.addPoint(info, step, simple, wallTime);
      return;
    }
    if (imageStart >= 0) {
      const image = decodeImage(buf, imageStart, imageEnd, tag, step, wallTime);
      if (image === 'unrecognised') this.warn(update, 'image', `image "${tag}" is in an unrecognised encoding, not shown`);
      else if (image !== undefined) update.images.push(image);
      return;
    }
    if (tensorStart < 0) return;
    const t = decodeTensor(buf, tensorStart, tensorEnd);
    if (t.dtype === DT_STRING) {
      if (plugin === 'images') update.images.push(...tensorImages(buf, t.strings, tag, step, wallTime));
      else if (plugin === 'text') update.texts.push({ tag, step, text: tensorText(buf, t.strings) });
      return;
    }
    if ((plugin === '' || plugin === 'scalars') && t.elements === 1 && t.value !== undefined) {
      this.addPoint(info, step, t.value, wallTime);
    }
  }

  /**
   * The tag whose UTF-8 is `buf[start, end)`. Tags repeat record after record:
   * first a slot picked by the length and the last bytes, then the tags of
   * the bytes' hash, are compared with them; only a new tag is decoded.
   */
  private tagInfo(buf: Buffer, start: number, end: number): TagInfo {
    const length = end - start;
    const slot = length === 0 ? 0 : (length * 31 + buf[end - 1]! * 7 + buf[start + (length >> 1)]!) & (RECENT_SLOTS - 1);
    const recent = this.recent[slot];
    if (recent !== undefined && sameBytes(recent.bytes, buf, start, length)) return recent.info;
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
    const bucket = hash & (TAG_BUCKETS - 1);
    for (let entry = this.buckets[bucket]; entry !== undefined; entry = entry.next) {
      if (entry.hash === hash && sameBytes(entry.bytes, buf, start, length)) {
        this.recent[slot] = entry;
        return entry.info;
      }
    }
    const text = buf.toString('utf8', start, end);
    let info = this.tags.get(text);
    if (info === undefined) {
      const name = tagSeries(text, this.split);
      info = { text, metric: name.metric, split: name.split, plugin: '', columns: undefined };
      this.tags.set(text, info);
    }
    if (this.hashedTags < MAX_HASHED_TAGS) {
      const entry: HashedTag = { bytes: Buffer.from(buf.subarray(start, end)), hash, info, next: this.buckets[bucket] };
      this.buckets[bucket] = entry;
      this.recent[slot] = entry;
      this.hashedTags++;
    }
    return info;
  }

  private addPoint(info: TagInfo, step: number, value: number, wallTime: number): void {
    let columns = info.columns;
    if (columns === undefined) {
      columns = new ScalarColumns();
      info.columns = columns;
      this.polled.push(info);
    }
    columns.push(step, value, wallTime, NaN);
  }
}

/** A reader of one TensorBoard event file (format `tfevents`). */
export function createTfeventsReader(file: string): LogReader {
  return new TfeventsReader(file);
}
