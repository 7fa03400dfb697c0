/**
 * The tar layout of torch.save before PyTorch 0.4: a (PAX) tar archive with
 * four members.
 *
 * - `sys_info`: a pickled dict (protocol_version, little_endian, type_sizes).
 * - `storages`: a pickled count; then per storage a pickled
 *   `(key, location, storage_type)`, an int64 LE element count and the raw
 *   bytes; then a pickled list of views `(view_key, root_key, offset, numel)`.
 * - `tensors`: a pickled count; then per tensor a pickled
 *   `(key, storage_key, tensor_type)`, an int32 LE ndim, 4 unused bytes,
 *   ndim int64 sizes, ndim int64 strides and an int64 storage offset.
 * - `pickle`: the saved object, whose persistent ids are tensor or storage
 *   keys (or `(module_class, source_file, source)` tuples).
 *
 * Keys are integers (written as such, or as decimal strings in the main
 * pickle). Every header, count and length is checked against the bytes the
 * file has before anything is read.
 */
import type * as fs from 'node:fs/promises';
import { FormatError, formatBytes } from './errors';
import { PickleError, unpickle, type UnpickleResult } from './pickle';
import { storageTypeOf } from './pickleGlobals';
import { PyDict, PyGlobal, PyTuple, TorchStorage, TorchTensor, describeValue, type PickleValue } from './pickleValues';
import type { ContainerContents, StorageBytes } from './pytorchStorage';

const BLOCK = 512;
/** Extended headers and long names are a few hundred bytes; past this they are not a model file's. */
const MAX_META_BYTES = 1024 * 1024;
const MAX_MEMBERS = 100_000;
/** The main pickle is read whole; past this it is not a model file we can show. */
const MAX_PICKLE_BYTES = 1024 * 1024 * 1024;
const FIRST_READ_BYTES = 64 * 1024;
/** Smallest pickle (an opcode and STOP). */
const MIN_PICKLE_BYTES = 2;

export type TarContents = ContainerContents;

/** Whether the bytes start with a tar header (the `ustar` magic at offset 257). */
export function looksLikeTar(head: Uint8Array): boolean {
  return head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar';
}

interface Member {
  name: string;
  /** Where its data starts in the file. */
  start: number;
  size: number;
}

/** NUL-terminated text of a header field. */
function fieldText(header: Buffer, at: number, length: number): string {
  const field = header.subarray(at, at + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

/** A numeric header field: octal text, or big-endian base-256 when its first byte has the high bit set. */
function fieldNumber(header: Buffer, at: number, length: number): number | undefined {
  const field = header.subarray(at, at + length);
  if ((field[0] ?? 0) & 0x80) {
    if ((field[0] ?? 0) & 0x40) return undefined; // negative
    let value = BigInt((field[0] ?? 0) & 0x3f);
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i] ?? 0);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  }
  const text = fieldText(header, at, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  const value = Number.parseInt(text, 8);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Whether the header's checksum field matches its bytes (unsigned or signed sum, as tar allows). */
function checksumMatches(header: Buffer): boolean {
  const stored = fieldNumber(header, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** `length key=value\n` records of a PAX extended header. */
function paxRecords(file: string, data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break;
    const space = data.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new FormatError(file, `a malformed PAX header record at byte ${at} of its header`);
    }
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals < 0) throw new FormatError(file, `a PAX header record without "=" at byte ${at} of its header`);
    records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

async function readExactly(file: string, handle: fs.FileHandle, position: number, length: number, what: string): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done);
    if (bytesRead === 0) throw new FormatError(file, `truncated: the file ends inside ${what}`);
    done += bytesRead;
  }
  return out;
}

/** The regular members of the archive by name (the last of a repeated name wins, as tar readers do). */
async function listMembers(file: string, handle: fs.FileHandle, fileBytes: number): Promise<{ members: Map<string, Member>; ended: boolean }> {
  const members = new Map<string, Member>();
  let ended = false;
  let offset = 0;
  let paxPath: string | undefined;
  let paxSize: number | undefined;
  let longName: string | undefined;
  for (let entries = 0; ; entries++) {
    if (offset === fileBytes && entries > 0) break; // no end-of-archive blocks: the end of the file ends it
    if (offset + BLOCK > fileBytes) throw new FormatError(file, `truncated: the file ends inside the tar header at byte ${offset}`);
    if (entries >= MAX_MEMBERS) throw new FormatError(file, `more than ${MAX_MEMBERS} tar members`);
    const header = await readExactly(file, handle, offset, BLOCK, `the tar header at byte ${offset}`);
    if (header.every((byte) => byte === 0)) {
      ended = true;
      break;
    }
    if (!checksumMatches(header)) throw new FormatError(file, `the tar header at byte ${offset} has a wrong checksum`);
    const headerSize = fieldNumber(header, 124, 12);
    if (headerSize === undefined) throw new FormatError(file, `the tar header at byte ${offset} has an unreadable size`);
    const type = String.fromCharCode(header[156] ?? 0);
    const isFile = type === '0' || type === '\0' || type === '7';
    const size = isFile && paxSize !== undefined ? paxSize : headerSize;
    const start = offset + BLOCK;
    let name = fieldText(header, 0, 100);
    const prefix = fieldText(header, 345, 155);
    if (prefix && fieldText(header, 257, 6).startsWith('ustar')) name = `${prefix}/${name}`;
    if (isFile) name = paxPath ?? longName ?? name;
    if (size > fileBytes - start) {
      throw new FormatError(file, `truncated: tar member ${JSON.stringify(name.slice(0, 100))} declares ${formatBytes(size)} but the file ends ${formatBytes(fileBytes - start)} after its header`);
    }
    if (type === 'x' || type === 'g' || type === 'L') {
      if (size > MAX_META_BYTES) throw new FormatError(file, `a tar extended header of ${formatBytes(size)} at byte ${offset}`);
      const data = await readExactly(file, handle, start, size, `the tar extended header at byte ${offset}`);
      if (type === 'L') {
        const end = data.indexOf(0);
        longName = data.subarray(0, end < 0 ? data.length : end).toString('utf8');
      } else if (type === 'x') {
        const records = paxRecords(file, data);
        paxPath = records.get('path') ?? paxPath;
        const sizeText = records.get('size');
        if (sizeText !== undefined) {
          paxSize = /^\d+$/.test(sizeText) ? Number(sizeText) : NaN;
          if (!Number.isSafeInteger(paxSize)) throw new FormatError(file, `a PAX header gives the size ${JSON.stringify(sizeText.slice(0, 40))}`);
        }
      }
    } else {
      if (isFile) members.set(name.replace(/^(\.\/)+/, ''), { name, start, size });
      paxPath = undefined;
      paxSize = undefined;
      longName = undefined;
    }
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (offset > fileBytes) throw new FormatError(file, `truncated: the file ends inside the padding of tar member ${JSON.stringify(name.slice(0, 100))}`);
  }
  return { members, ended };
}

/** A key of the objects table: an integer, written as such or as decimal text. */
function keyOf(value: PickleValue | undefined): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : undefined;
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'string') {
    const match = /^\s*([+-]?)(\d+)\s*$/.exec(value);
    if (!match) return undefined;
    const digits = BigInt(match[2] ?? '0');
    return String(match[1] === '-' ? -digits : digits);
  }
  return undefined;
}

function itemsOf(value: PickleValue): PickleValue[] | undefined {
  if (value instanceof PyTuple) return value.items;
  return Array.isArray(value) ? value : undefined;
}

/** A non-negative safe integer, else undefined. */
function count(value: PickleValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** Whether a global names a tensor class of old torch (`torch.FloatTensor`, `torch.cuda.LongTensor`). */
function isTensorType(name: string): boolean {
  return /^torch(\.cuda)?\.[A-Za-z]*Tensor$/.test(name);
}

class TarReader {
  /** Tensors and storages (roots and views) by key, as the main pickle names them. */
  readonly objects = new Map<string, TorchStorage | TorchTensor>();
  readonly roots = new Map<string, TorchStorage>();
  readonly storageBytes = new Map<string, StorageBytes>();
  readonly globals = new Set<string>();

  constructor(
    readonly file: string,
    readonly handle: fs.FileHandle,
  ) {}

  fail(problem: string): FormatError {
    return new FormatError(this.file, problem);
  }

  async read(member: Member, at: number, length: number, what: string): Promise<Buffer> {
    if (at < 0 || at + length > member.size) throw this.fail(`truncated: the ${member.name} member ends inside ${what}`);
    return await readExactly(this.file, this.handle, member.start + at, length, what);
  }

  /** One pickle starting `at` bytes into the member, read in growing windows until it fits. */
  async pickleAt(member: Member, at: number, what: string, persistentLoad?: (id: PickleValue) => PickleValue): Promise<UnpickleResult> {
    const remaining = member.size - at;
    if (remaining <= 0) throw this.fail(`truncated: the ${member.name} member ends before ${what}`);
    let size = Math.min(remaining, FIRST_READ_BYTES);
    for (;;) {
      const bytes = await this.read(member, at, size, what);
      try {
        const result = unpickle(bytes, { file: this.file, what, ...(persistentLoad ? { persistentLoad } : {}) });
        for (const name of result.globals) if (!isTensorType(name)) this.globals.add(name);
        return { ...result, end: at + result.end };
      } catch (error) {
        if (!(error instanceof PickleError && error.truncated) || size >= remaining) throw error;
        if (size >= MAX_PICKLE_BYTES) throw this.fail(`${what} is larger than ${formatBytes(MAX_PICKLE_BYTES)}`);
        size = Math.min(remaining, size * 4, MAX_PICKLE_BYTES);
      }
    }
  }

  /** The pickled count that starts a member, checked against the bytes each entry needs at least. */
  async countAt(member: Member, what: string, leastBytes: number): Promise<{ total: number; end: number }> {
    const head = await this.pickleAt(member, 0, `the ${what} count`);
    const total = count(head.value);
    if (total === undefined) throw this.fail(`the ${what} count ${describeValue(head.value)} is not a non-negative integer`);
    if (total > (member.size - head.end) / leastBytes) {
      throw this.fail(`truncated: the ${member.name} member declares ${total} ${what} but holds only ${formatBytes(member.size - head.end)} for them`);
    }
    return { total, end: head.end };
  }

  addObject(key: string, value: TorchStorage | TorchTensor): void {
    if (this.objects.has(key)) throw this.fail(`the key ${key} is given to two tensors or storages`);
    this.objects.set(key, value);
  }

  async readStorages(member: Member): Promise<void> {
    const { total, end } = await this.countAt(member, 'storages', MIN_PICKLE_BYTES + 8);
    let at = end;
    for (let index = 0; index < total; index++) {
      const what = `storage header ${index}`;
      const header = await this.pickleAt(member, at, what);
      const items = itemsOf(header.value);
      const key = keyOf(items?.[0]);
      const location = items?.[1];
      const type = storageTypeOf(items?.[2] ?? null);
      if (!items || items.length !== 3 || key === undefined || typeof location !== 'string' || !type) {
        throw this.fail(`${what} is ${describeValue(header.value)}, not (integer key, location, torch storage type)`);
      }
      const numelBytes = await this.read(member, header.end, 8, `the element count of storage ${key}`);
      const numel = numelBytes.readBigInt64LE(0);
      const start = header.end + 8;
      const available = member.size - start;
      const byteLength = numel * BigInt(type.itemBytes);
      if (numel < 0n || byteLength > BigInt(available)) {
        throw this.fail(
          `truncated: storage ${key} declares ${numel} ${type.dtype} elements (${formatBytes(Number(byteLength))}) ` +
            `but the ${member.name} member holds only ${formatBytes(available)} more`,
        );
      }
      const storage = new TorchStorage(key, type.dtype, type.itemBytes, location, Number(numel));
      this.addObject(key, storage);
      this.roots.set(key, storage);
      this.storageBytes.set(key, this.bytesOf(member, start, Number(byteLength), key));
      at = start + Number(byteLength);
    }
    const views = await this.pickleAt(member, at, 'the storage view list');
    const list = Array.isArray(views.value) ? views.value : undefined;
    if (!list) throw this.fail(`the storage view list is ${describeValue(views.value)}, not a list`);
    for (const view of list) {
      const items = itemsOf(view);
      const target = keyOf(items?.[0]);
      const rootKey = keyOf(items?.[1]);
      const offset = count(items?.[2]);
      const numel = count(items?.[3]);
      if (!items || items.length !== 4 || target === undefined || rootKey === undefined || offset === undefined || numel === undefined) {
        throw this.fail(`storage view ${describeValue(view)} is not (key, root key, offset, size)`);
      }
      const root = this.objects.get(rootKey);
      if (!(root instanceof TorchStorage)) throw this.fail(`storage view ${target} names ${rootKey}, which is not a storage in the file`);
      if (offset + numel > root.numel) {
        throw this.fail(`storage view ${target} (offset ${offset}, ${numel} elements) does not lie inside storage ${rootKey} (${root.numel} elements)`);
      }
      this.addObject(target, new TorchStorage(root.key, root.dtype, root.itemBytes, root.location, numel, root.baseOffset + offset));
    }
  }

  bytesOf(member: Member, start: number, byteLength: number, key: string): StorageBytes {
    return {
      byteLength,
      read: async (at, length) => {
        if (at < 0 || at + length > byteLength) throw this.fail(`a read past the end of storage ${key}`);
        return await this.read(member, start + at, length, `storage ${key}`);
      },
    };
  }

  async readTensors(member: Member): Promise<void> {
    const { total, end } = await this.countAt(member, 'tensors', MIN_PICKLE_BYTES + 16);
    let at = end;
    for (let index = 0; index < total; index++) {
      const what = `tensor header ${index}`;
      const header = await this.pickleAt(member, at, what);
      const items = itemsOf(header.value);
      const key = keyOf(items?.[0]);
      const storageKey = keyOf(items?.[1]);
      if (!items || items.length !== 3 || key === undefined) throw this.fail(`${what} is ${describeValue(header.value)}, not (integer key, storage key, tensor type)`);
      const storage = storageKey === undefined ? undefined : this.objects.get(storageKey);
      if (!(storage instanceof TorchStorage)) throw this.fail(`tensor ${key} names the storage ${describeValue(items[1] ?? null)}, which is not in the file`);
      const rank = (await this.read(member, header.end, 8, `the rank of tensor ${key}`)).readInt32LE(0);
      const metaStart = header.end + 8;
      if (rank < 0 || 16 * rank + 8 > member.size - metaStart) {
        throw this.fail(`truncated: tensor ${key} declares ${rank} dimensions but the ${member.name} member holds only ${formatBytes(member.size - metaStart)} more`);
      }
      const meta = await this.read(member, metaStart, 16 * rank + 8, `the sizes and strides of tensor ${key}`);
      const numbers: number[] = [];
      for (let i = 0; i <= 2 * rank; i++) {
        const value = meta.readBigInt64LE(8 * i);
        if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
          const part = i < rank ? 'size' : i < 2 * rank ? 'stride' : 'storage offset';
          throw this.fail(`tensor ${key} has the ${part} ${value}`);
        }
        numbers.push(Number(value));
      }
      const offset = numbers[2 * rank] ?? 0;
      this.addObject(key, new TorchTensor(storage, offset, numbers.slice(0, rank), numbers.slice(rank, 2 * rank), false));
      at = metaStart + 16 * rank + 8;
    }
  }

  /** Persistent ids of the main pickle: a key of a tensor or storage, or a module class tuple. */
  persistentLoad(id: PickleValue): PickleValue {
    if (id instanceof PyTuple) {
      const cls = id.items[0];
      if (!(cls instanceof PyGlobal)) throw new Error('a module tuple that does not start with a class');
      return cls;
    }
    const key = keyOf(id);
    if (key === undefined) throw new Error('not an integer key');
    const found = this.objects.get(key);
    if (!found) throw new Error(`no tensor or storage ${key} in the file`);
    return found;
  }
}

/** Reads the members of a tar-layout torch file; tensors' bytes are read only when asked for. */
export async function readTar(file: string, handle: fs.FileHandle, fileBytes: number): Promise<TarContents> {
  const { members, ended } = await listMembers(file, handle, fileBytes);
  const need = (name: string): Member => {
    const member = members.get(name);
    if (!member && !ended) throw new FormatError(file, `truncated: the tar archive ends after ${formatBytes(fileBytes)}, before its ${name} member`);
    if (!member) throw new FormatError(file, `a tar archive, but not a PyTorch one (no ${name} member)`);
    return member;
  };
  const main = need('pickle');
  const storagesMember = need('storages');
  const tensorsMember = need('tensors');
  const reader = new TarReader(file, handle);
  let protocol: PickleValue | undefined;
  const sysInfo = members.get('sys_info');
  if (sysInfo) {
    const info = await reader.pickleAt(sysInfo, 0, 'sys_info');
    if (!(info.value instanceof PyDict)) throw new FormatError(file, `sys_info is ${describeValue(info.value)}, not a dict`);
    protocol = info.value.get('protocol_version');
  }
  await reader.readStorages(storagesMember);
  await reader.readTensors(tensorsMember);
  if (main.size > MAX_PICKLE_BYTES) throw new FormatError(file, `the main pickle is larger than ${formatBytes(MAX_PICKLE_BYTES)}`);
  const bytes = await reader.read(main, 0, main.size, 'the main pickle');
  const result = unpickle(bytes, { file, what: 'the main pickle', persistentLoad: (id) => reader.persistentLoad(id) });
  for (const name of result.globals) reader.globals.add(name);
  return {
    root: result.value,
    globals: [...reader.globals],
    storages: reader.roots,
    storageBytes: reader.storageBytes,
    bigEndian: false,
    producer: typeof protocol === 'number' ? `PyTorch tar format (before 0.4, protocol ${protocol})` : 'PyTorch tar format (before 0.4)',
  };
}
