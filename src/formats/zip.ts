/**
 * A small, defensive zip reader: the central directory (zip64 included),
 * STORED and DEFLATE members, CRC checks. Every size and offset is checked
 * against the real file before anything is allocated or read, and an entry
 * whose declared sizes cannot fit the file is refused.
 */
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { FormatError, errorText, formatBytes } from './errors';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate; other methods are listed but cannot be read. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  isDirectory: boolean;
}

const SIGNATURE = {
  localHeader: 0x04034b50,
  centralHeader: 0x02014b50,
  endOfCentralDirectory: 0x06054b50,
  zip64End: 0x06064b50,
  zip64Locator: 0x07064b50,
} as const;
const STORED = 0;
const DEFLATE = 8;
/** Deflate's best case is about 1032:1; a member claiming more is corrupt. */
const MAX_DEFLATE_RATIO = 1032;
const END_RECORD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;

/** Whether the first bytes look like a zip (a local header, or the end record of an empty archive). */
export function looksLikeZip(head: Uint8Array): boolean {
  if (head.length < 4 || head[0] !== 0x50 || head[1] !== 0x4b) return false;
  return (head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `data` continuing from `previous` (zlib's own when Node has it). */
function crc32(data: Uint8Array, previous = 0): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (native) return native(data, previous);
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function readUint64(buffer: Buffer, offset: number): number {
  const value = buffer.readBigUInt64LE(offset);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(value);
}

/** Counts and checksums a member's bytes as they stream out, failing as soon as they disagree with the directory. */
class MemberCheck extends Transform {
  private bytes = 0;
  private crc = 0;

  constructor(
    private readonly fail: (problem: string) => Error,
    private readonly entry: ZipEntry,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.entry.uncompressedSize) {
      done(this.fail(`member ${this.entry.name} holds more than the ${this.entry.uncompressedSize} bytes its header declares`));
      return;
    }
    this.crc = crc32(chunk, this.crc);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.bytes !== this.entry.uncompressedSize) {
      done(this.fail(`member ${this.entry.name} is cut short: ${this.bytes} of ${this.entry.uncompressedSize} bytes`));
    } else if (this.crc !== this.entry.crc32) {
      done(this.fail(`member ${this.entry.name} is corrupt (CRC mismatch)`));
    } else {
      done();
    }
  }
}

export class ZipArchive {
  private constructor(
    readonly file: string,
    readonly fileBytes: number,
    private readonly handle: fs.FileHandle,
    readonly entries: ZipEntry[],
    /** Where the central directory starts: every member's data lies before it. */
    private readonly directoryOffset: number,
  ) {}

  static async open(file: string): Promise<ZipArchive> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      throw new FormatError(file, `cannot open: ${errorText(error)}`, { cause: error });
    }
    try {
      const fileBytes = (await handle.stat()).size;
      const { entries, directoryOffset } = await readCentralDirectory(file, handle, fileBytes);
      return new ZipArchive(file, fileBytes, handle, entries, directoryOffset);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }

  /** The first entry with this exact name. */
  entry(name: string): ZipEntry | undefined {
    return this.entries.find((entry) => entry.name === name);
  }

  private fail(problem: string): FormatError {
    return new FormatError(this.file, problem);
  }

  /** Where the entry's data starts (after its local header). */
  private async dataOffset(entry: ZipEntry): Promise<number> {
    if (entry.flags & 1) throw this.fail(`member ${entry.name} is encrypted`);
    if (entry.method !== STORED && entry.method !== DEFLATE) {
      throw this.fail(`member ${entry.name} uses compression method ${entry.method}, which is not supported (only stored and deflate)`);
    }
    const header = Buffer.alloc(30);
    const { bytesRead } = await this.handle.read(header, 0, header.length, entry.localHeaderOffset);
    if (bytesRead < header.length || header.readUInt32LE(0) !== SIGNATURE.localHeader) {
      throw this.fail(`member ${entry.name}: no local header at offset ${entry.localHeaderOffset}`);
    }
    const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (start + entry.compressedSize > this.directoryOffset) {
      throw this.fail(`member ${entry.name} runs past the end of the archive data`);
    }
    return start;
  }

  /** A member's whole content, checked against its size and CRC. Refuses members over `maxBytes`. */
  async read(entry: ZipEntry, maxBytes = 256 * 1024 * 1024): Promise<Buffer> {
    if (entry.uncompressedSize > maxBytes) {
      throw this.fail(`member ${entry.name} is ${formatBytes(entry.uncompressedSize)}, more than the ${formatBytes(maxBytes)} allowed here`);
    }
    const start = await this.dataOffset(entry);
    const compressed = Buffer.alloc(entry.compressedSize);
    const { bytesRead } = await this.handle.read(compressed, 0, compressed.length, start);
    if (bytesRead !== compressed.length) throw this.fail(`member ${entry.name} is cut short`);
    let content: Buffer;
    if (entry.method === STORED) {
      content = compressed;
    } else {
      try {
        content = zlib.inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
      } catch (error) {
        throw this.fail(`member ${entry.name} is corrupt (${errorText(error)})`);
      }
    }
    if (content.length !== entry.uncompressedSize) {
      throw this.fail(`member ${entry.name} holds ${content.length} bytes, not the ${entry.uncompressedSize} its header declares`);
    }
    if (crc32(content) !== entry.crc32) throw this.fail(`member ${entry.name} is corrupt (CRC mismatch)`);
    return content;
  }

  /** A stream of the member's content; it errors if the bytes disagree with the directory (size, CRC). */
  async stream(entry: ZipEntry): Promise<Readable> {
    const start = await this.dataOffset(entry);
    const raw =
      entry.compressedSize === 0
        ? Readable.from([])
        : this.handle.createReadStream({ start, end: start + entry.compressedSize - 1, autoClose: false });
    const check = new MemberCheck((problem) => this.fail(problem), entry);
    const fail = (error: unknown) => check.destroy(error instanceof FormatError ? error : this.fail(`member ${entry.name} is corrupt (${errorText(error)})`));
    raw.on('error', fail);
    if (entry.method === STORED) {
      check.once('close', () => raw.destroy());
      return raw.pipe(check);
    }
    const inflate = zlib.createInflateRaw();
    inflate.on('error', fail);
    // Piping does not stop the sources when the check fails: stop them here.
    check.once('close', () => {
      raw.destroy();
      inflate.destroy();
    });
    return raw.pipe(inflate).pipe(check);
  }

  /** Writes a member to `destination`, checked as it goes. */
  async extract(entry: ZipEntry, destination: string): Promise<void> {
    await pipeline(await this.stream(entry), createWriteStream(destination, { flags: 'wx' }));
  }
}

async function readCentralDirectory(
  file: string,
  handle: fs.FileHandle,
  fileBytes: number,
): Promise<{ entries: ZipEntry[]; directoryOffset: number }> {
  const fail = (problem: string) => new FormatError(file, problem);
  if (fileBytes < END_RECORD_BYTES) throw fail(`not a zip archive (${fileBytes} bytes is too short)`);
  const tailBytes = Math.min(fileBytes, END_RECORD_BYTES + MAX_COMMENT_BYTES);
  const tail = Buffer.alloc(tailBytes);
  await handle.read(tail, 0, tailBytes, fileBytes - tailBytes);
  let endAt = -1;
  for (let at = tailBytes - END_RECORD_BYTES; at >= 0; at--) {
    if (tail.readUInt32LE(at) === SIGNATURE.endOfCentralDirectory && at + END_RECORD_BYTES + tail.readUInt16LE(at + 20) <= tailBytes) {
      endAt = at;
      break;
    }
  }
  if (endAt < 0) throw fail('not a zip archive, or truncated: no end-of-central-directory record');
  const endOffset = fileBytes - tailBytes + endAt;
  let count = tail.readUInt16LE(endAt + 10);
  let directoryBytes = tail.readUInt32LE(endAt + 12);
  let directoryOffset = tail.readUInt32LE(endAt + 16);
  let directoryLimit = endOffset;
  if (tail.readUInt16LE(endAt + 4) !== 0 || tail.readUInt16LE(endAt + 6) !== 0) throw fail('multi-part zip archives are not supported');

  if (count === 0xffff || directoryBytes === 0xffffffff || directoryOffset === 0xffffffff) {
    // Zip64: a locator just before the end record points at the zip64 end record.
    const locator = Buffer.alloc(20);
    if (endOffset < 20) throw fail('damaged zip64 archive: no zip64 locator');
    await handle.read(locator, 0, 20, endOffset - 20);
    if (locator.readUInt32LE(0) !== SIGNATURE.zip64Locator) throw fail('damaged zip64 archive: no zip64 locator');
    const zip64At = readUint64(locator, 8);
    if (!(zip64At + 56 <= endOffset - 20)) throw fail('damaged zip64 archive: the zip64 end record lies outside the file');
    const record = Buffer.alloc(56);
    await handle.read(record, 0, 56, zip64At);
    if (record.readUInt32LE(0) !== SIGNATURE.zip64End) throw fail('damaged zip64 archive: bad zip64 end record');
    count = readUint64(record, 32);
    directoryBytes = readUint64(record, 40);
    directoryOffset = readUint64(record, 48);
    directoryLimit = zip64At;
  }
  if (!(directoryOffset + directoryBytes <= directoryLimit)) {
    throw fail(`truncated or damaged zip: the central directory (${directoryBytes} bytes at ${directoryOffset}) lies outside the ${fileBytes}-byte file`);
  }
  if (count * 46 > directoryBytes) throw fail(`damaged zip: ${count} entries cannot fit a ${directoryBytes}-byte central directory`);

  const directory = Buffer.alloc(directoryBytes);
  await handle.read(directory, 0, directoryBytes, directoryOffset);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let index = 0; index < count; index++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== SIGNATURE.centralHeader) {
      throw fail(`damaged zip: central directory entry ${index} is malformed`);
    }
    const flags = directory.readUInt16LE(at + 8);
    const method = directory.readUInt16LE(at + 10);
    const crc = directory.readUInt32LE(at + 16);
    let compressedSize = directory.readUInt32LE(at + 20);
    let uncompressedSize = directory.readUInt32LE(at + 24);
    const nameBytes = directory.readUInt16LE(at + 28);
    const extraBytes = directory.readUInt16LE(at + 30);
    const commentBytes = directory.readUInt16LE(at + 32);
    let localHeaderOffset = directory.readUInt32LE(at + 42);
    const next = at + 46 + nameBytes + extraBytes + commentBytes;
    if (next > directory.length) throw fail(`damaged zip: central directory entry ${index} runs past the directory`);
    const rawName = directory.subarray(at + 46, at + 46 + nameBytes);
    // Bit 11: the name is UTF-8; otherwise it is CP437, of which latin1 is a fair reading for ASCII names.
    const name = rawName.toString(flags & 0x800 ? 'utf8' : 'latin1');
    const extra = directory.subarray(at + 46 + nameBytes, at + 46 + nameBytes + extraBytes);
    for (let e = 0; e + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(e);
      const size = extra.readUInt16LE(e + 2);
      if (id === 0x0001) {
        // Zip64 extended information: only the fields saturated in the header, in this order.
        let field = e + 4;
        const take = () => {
          if (field + 8 > e + 4 + size || field + 8 > extra.length) throw fail(`damaged zip: bad zip64 field in entry ${name}`);
          const value = readUint64(extra, field);
          field += 8;
          return value;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      e += 4 + size;
    }
    const fits = localHeaderOffset + 30 + compressedSize <= directoryOffset;
    if (!fits) throw fail(`damaged zip: member ${name} (${compressedSize} bytes at ${localHeaderOffset}) lies outside the archive data`);
    if (method === STORED && compressedSize !== uncompressedSize) {
      throw fail(`damaged zip: stored member ${name} declares ${compressedSize} bytes stored but ${uncompressedSize} bytes of content`);
    }
    if (method === DEFLATE && uncompressedSize > compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw fail(`damaged zip: member ${name} declares ${formatBytes(uncompressedSize)} from ${formatBytes(compressedSize)}, beyond what deflate can do`);
    }
    entries.push({
      name,
      method,
      flags,
      crc32: crc,
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
      isDirectory: name.endsWith('/'),
    });
    at = next;
  }
  return { entries, directoryOffset };
}
