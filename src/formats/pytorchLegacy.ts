/**
 * The legacy torch.save stream (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`):
 * consecutive pickles (magic number, protocol 1001, sys_info, the object,
 * the sorted storage keys), then each storage as an int64 element count and
 * its raw bytes, in the order of the keys.
 */
import type * as fs from 'node:fs/promises';
import { FormatError, formatBytes } from './errors';
import { PickleError, unpickle, type UnpickleResult } from './pickle';
import { PyDict, type TorchStorage } from './pickleValues';
import { torchPersistentLoad, type ContainerContents, type StorageBytes } from './pytorchStorage';

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** The pickled part is read whole; past this it is not a model file we can show. */
const MAX_PICKLE_BYTES = 1024 * 1024 * 1024;
const FIRST_READ_BYTES = 1024 * 1024;

export type LegacyContents = ContainerContents;

/** Whether the bytes start like a legacy torch.save stream (PROTO 2, LONG1 10 bytes of magic). */
export function looksLikeLegacyTorch(head: Uint8Array): boolean {
  return head[0] === 0x80 && head[2] === 0x8a && head[3] === 0x0a;
}

interface Pickles {
  results: UnpickleResult[];
  storages: Map<string, TorchStorage>;
}

/** The five pickles from `head`; a PickleError with `truncated` when `head` ends inside them. */
function readPickles(file: string, head: Uint8Array): Pickles {
  const storages = new Map<string, TorchStorage>();
  const results: UnpickleResult[] = [];
  let start = 0;
  const what = ['the magic number', 'the protocol version', 'sys_info', 'the main pickle', 'the storage keys'];
  for (const [index, name] of what.entries()) {
    const result = unpickle(head, { file, what: name, start, ...(index === 3 ? { persistentLoad: torchPersistentLoad(storages) } : {}) });
    if (index === 0 && result.value !== LEGACY_MAGIC) throw new FormatError(file, 'a pickle, but not a torch.save file (no PyTorch magic number)');
    if (index === 1 && result.value !== LEGACY_PROTOCOL) throw new FormatError(file, `unsupported legacy PyTorch protocol ${String(result.value)}`);
    results.push(result);
    start = result.end;
  }
  return { results, storages };
}

/** Reads the pickles, growing the read until they fit (the storages that follow can be large). */
async function readPicklesGrowing(file: string, handle: fs.FileHandle, fileBytes: number): Promise<Pickles> {
  let size = Math.min(fileBytes, FIRST_READ_BYTES);
  for (;;) {
    const head = Buffer.alloc(size);
    await handle.read(head, 0, size, 0);
    try {
      return readPickles(file, head);
    } catch (error) {
      if (!(error instanceof PickleError && error.truncated) || size >= fileBytes) throw error;
      if (size >= MAX_PICKLE_BYTES) throw new FormatError(file, `the pickled part is larger than ${formatBytes(MAX_PICKLE_BYTES)}`);
      size = Math.min(fileBytes, size * 4, MAX_PICKLE_BYTES);
    }
  }
}

export async function readLegacy(file: string, handle: fs.FileHandle, fileBytes: number): Promise<LegacyContents> {
  const { results, storages } = await readPicklesGrowing(file, handle, fileBytes);
  const [, , sysInfo, main, keys] = results as [UnpickleResult, UnpickleResult, UnpickleResult, UnpickleResult, UnpickleResult];
  const littleEndian = sysInfo.value instanceof PyDict ? sysInfo.value.get('little_endian') : undefined;
  const bigEndian = littleEndian === false;
  if (!Array.isArray(keys.value) || !keys.value.every((key) => typeof key === 'string')) {
    throw new FormatError(file, 'the storage key list after the main pickle is not a list of strings');
  }
  const storageBytes = new Map<string, StorageBytes>();
  let offset = keys.end;
  const countBytes = Buffer.alloc(8);
  for (const key of keys.value as string[]) {
    const storage = storages.get(key);
    if (!storage) throw new FormatError(file, `storage ${key} is listed but no tensor names it, so its size is unknown`);
    const { bytesRead } = await handle.read(countBytes, 0, 8, offset);
    if (bytesRead < 8) throw new FormatError(file, `truncated: the file ends before storage ${key}`);
    const count = bigEndian ? countBytes.readBigInt64BE(0) : countBytes.readBigInt64LE(0);
    const start = offset + 8;
    const byteLength = Number(count) * storage.itemBytes;
    if (count < 0n || !(start + byteLength <= fileBytes)) {
      throw new FormatError(file, `truncated: storage ${key} declares ${count} elements (${formatBytes(byteLength)}) but the file ends at ${formatBytes(fileBytes)}`);
    }
    storageBytes.set(key, {
      byteLength,
      read: async (at, length) => {
        const out = Buffer.alloc(length);
        const { bytesRead: got } = await handle.read(out, 0, length, start + at);
        if (got !== length) throw new FormatError(file, `truncated: storage ${key} is cut short`);
        return out;
      },
    });
    offset = start + byteLength;
  }
  const protocol = results[1]?.value;
  return {
    root: main.value,
    globals: main.globals,
    storages,
    storageBytes,
    bigEndian,
    producer: `PyTorch legacy format (protocol ${String(protocol)})`,
  };
}
