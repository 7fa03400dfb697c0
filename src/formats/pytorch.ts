/**
 * PyTorch files, read statically: torch.save zip archives (>= 1.6), the
 * legacy pickle stream, the tar archives of torch < 0.4, and TorchScript
 * archives (torch.jit.save). The pickles go through the safe unpickler;
 * storages are read only when a tensor's values are asked for, and only the
 * bytes that tensor spans.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { WeightTensor } from '../protocol/model';
import { FormatError, asFormatError, errorText } from './errors';
import { unpickle } from './pickle';
import { isAllowListed } from './pickleGlobals';
import type { TorchStorage } from './pickleValues';
import { looksLikeLegacyTorch, readLegacy } from './pytorchLegacy';
import { readRoot, shortClassName, type FoundTensor } from './pytorchRoot';
import { checkStorageBytes, checkTensorInStorage, readTensorValues, torchPersistentLoad, type ContainerContents, type StorageBytes } from './pytorchStorage';
import { looksLikeTar, readTar } from './pytorchTar';
import type { ParsedModel, TensorValues } from './types';
import { ZipArchive, looksLikeZip, type ZipEntry } from './zip';

/** Tensors nn.Module registers as buffers rather than parameters (when the file does not say). */
const BUFFER_NAMES = new Set(['running_mean', 'running_var', 'num_batches_tracked']);
const MAX_CODE_FILES = 1000;
const MAX_SMALL_MEMBER = 4096;

/** What every container (zip, legacy stream) yields. */
interface Contents extends ContainerContents {
  torchscript: boolean;
  codeFiles?: string[];
}

const moduleClassesOf = new WeakMap<ParsedModel, Map<string, string>>();

/**
 * For whole-model pickles and TorchScript: module path ('' for the root
 * module) to the class name the file gives it (`Net`, `Conv2d`). Undefined
 * for files that name no module classes (state_dicts, checkpoints of them).
 */
export function pickledModuleClasses(parsed: ParsedModel): Map<string, string> | undefined {
  return moduleClassesOf.get(parsed);
}

/** The `<folder>/` every member of a torch zip starts with (its name varies), found by its data.pkl. */
function archivePrefix(archive: ZipArchive): string | undefined {
  const candidates = archive.entries.map((entry) => entry.name).filter((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
  candidates.sort((a, b) => a.split('/').length - b.split('/').length);
  const best = candidates[0];
  return best === undefined ? undefined : best.slice(0, best.length - 'data.pkl'.length);
}

/** Byte access to a zip member: direct reads for stored members, a whole read for compressed ones. */
function memberBytes(archive: ZipArchive, handle: fs.FileHandle, entry: ZipEntry): StorageBytes {
  let start: number | undefined;
  let inflated: Promise<Buffer> | undefined;
  const file = archive.file;
  return {
    byteLength: entry.uncompressedSize,
    read: async (at, length) => {
      if (entry.method !== 0) {
        inflated ??= archive.read(entry);
        return (await inflated).subarray(at, at + length);
      }
      if (start === undefined) {
        const header = Buffer.alloc(30);
        await handle.read(header, 0, 30, entry.localHeaderOffset);
        if (header.readUInt32LE(0) !== 0x04034b50) throw new FormatError(file, `member ${entry.name}: no local header`);
        start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
      }
      if (start + entry.compressedSize > archive.fileBytes) throw new FormatError(file, `member ${entry.name} runs past the end of the file`);
      const out = Buffer.alloc(length);
      const { bytesRead } = await handle.read(out, 0, length, start + at);
      if (bytesRead !== length) throw new FormatError(file, `member ${entry.name} is cut short`);
      return out;
    },
  };
}

async function smallText(archive: ZipArchive, name: string): Promise<string | undefined> {
  const entry = archive.entry(name);
  if (!entry) return undefined;
  return (await archive.read(entry, MAX_SMALL_MEMBER)).toString('utf8').trim();
}

async function readZip(file: string, archive: ZipArchive, handle: fs.FileHandle): Promise<Contents> {
  const prefix = archivePrefix(archive);
  if (prefix === undefined) throw new FormatError(file, 'a zip archive, but not a PyTorch one (no data.pkl)');
  const names = archive.entries.map((entry) => entry.name);
  const torchscript = names.some((name) => name.startsWith(`${prefix}code/`)) || archive.entry(`${prefix}constants.pkl`) !== undefined;
  const version = (await smallText(archive, `${prefix}version`)) ?? (await smallText(archive, `${prefix}.data/version`));
  const byteorder = (await smallText(archive, `${prefix}byteorder`)) ?? 'little';
  if (byteorder !== 'little' && byteorder !== 'big') throw new FormatError(file, `unknown byte order ${JSON.stringify(byteorder.slice(0, 20))}`);
  const dataPkl = archive.entry(`${prefix}data.pkl`) as ZipEntry;
  const storages = new Map<string, TorchStorage>();
  const pickled = unpickle(await archive.read(dataPkl), { file, what: 'data.pkl', persistentLoad: torchPersistentLoad(storages) });
  const storageBytes = new Map<string, StorageBytes>();
  for (const key of storages.keys()) {
    const entry = archive.entry(`${prefix}data/${key}`);
    if (entry) storageBytes.set(key, memberBytes(archive, handle, entry));
  }
  const codeFiles = torchscript
    ? names
        .filter((name) => name.startsWith(`${prefix}code/`) && name.endsWith('.py'))
        .slice(0, MAX_CODE_FILES)
        .map((name) => name.slice(prefix.length))
    : undefined;
  const kind = torchscript ? 'TorchScript' : 'PyTorch';
  return {
    root: pickled.value,
    globals: pickled.globals,
    storages,
    storageBytes,
    bigEndian: byteorder === 'big',
    producer: version ? `${kind} (zip format, version ${version})` : `${kind} (zip format)`,
    torchscript,
    ...(codeFiles ? { codeFiles } : {}),
  };
}

function weightOf(found: FoundTensor): WeightTensor {
  const dot = found.path.lastIndexOf('.');
  const name = found.path.slice(dot + 1);
  const tensor = found.tensor;
  return {
    path: found.path,
    layer: dot < 0 ? '' : found.path.slice(0, dot),
    name,
    shape: [...tensor.shape],
    dtype: tensor.dtype,
    bytes: tensor.elements * tensor.itemBytes,
    trainable: found.trainable ?? !BUFFER_NAMES.has(name),
    device: tensor.storage.location,
    storage: tensor.storage.key,
  };
}

function assemble(file: string, fileBytes: number, contents: Contents, close: () => void): ParsedModel {
  for (const storage of contents.storages.values()) checkStorageBytes(file, storage, contents.storageBytes.get(storage.key)?.byteLength);
  const reading = readRoot(contents.root, contents.torchscript);
  const found = new Map<string, FoundTensor>();
  for (const item of reading.tensors) {
    checkTensorInStorage(file, item.path, item.tensor);
    if (!found.has(item.path)) found.set(item.path, item);
  }
  const weights = [...found.values()].map(weightOf);
  const classGlobals = new Set(reading.moduleClasses.values());
  const unexpected = contents.globals.filter((name) => !isAllowListed(name) && !classGlobals.has(name));
  const warnings = [...reading.warnings];
  if (unexpected.length) {
    warnings.push(`The file names ${unexpected.length} class(es) or function(s) outside the PyTorch allow-list, recorded but never run: ${unexpected.slice(0, 20).join(', ')}.`);
  }
  const parsed: ParsedModel = {
    file,
    fileBytes,
    format: contents.torchscript ? 'torchscript' : 'pytorch',
    formatLabel: reading.formatLabel,
    framework: 'pytorch',
    producer: reading.producer ?? contents.producer,
    weights,
    facts: reading.facts,
    referencedGlobals: contents.globals,
    ...(contents.codeFiles ? { codeFiles: contents.codeFiles } : {}),
    warnings,
    readTensor: async (tensorPath: string): Promise<TensorValues> => {
      const item = found.get(tensorPath);
      if (!item) throw new FormatError(file, `no tensor ${tensorPath} in this file`);
      const bytes = contents.storageBytes.get(item.tensor.storage.key);
      if (!bytes) throw new FormatError(file, `storage ${item.tensor.storage.key} is not in the file`);
      try {
        return await readTensorValues(file, tensorPath, item.tensor, bytes, { fileBytes, bigEndian: contents.bigEndian });
      } catch (error) {
        throw asFormatError(file, `cannot read ${tensorPath}`, error);
      }
    },
    close,
  };
  if (reading.moduleClasses.size) {
    moduleClassesOf.set(parsed, new Map([...reading.moduleClasses].map(([modulePath, qualified]) => [modulePath, shortClassName(qualified)])));
  }
  return parsed;
}

/**
 * Parses a .pt/.pth/.ckpt/.bin file written by torch.save or torch.jit.save.
 * Throws a FormatError naming the file for anything else or anything damaged.
 */
export async function parsePytorch(file: string): Promise<ParsedModel> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw new FormatError(file, `cannot open: ${errorText(error)}`, { cause: error });
  }
  let archive: ZipArchive | undefined;
  const close = () => {
    void handle.close().catch(() => undefined);
    void archive?.close();
  };
  try {
    const fileBytes = (await handle.stat()).size;
    if (fileBytes === 0) throw new FormatError(file, 'the file is empty');
    const head = Buffer.alloc(Math.min(fileBytes, 512));
    await handle.read(head, 0, head.length, 0);
    let contents: Contents;
    if (looksLikeZip(head)) {
      archive = await ZipArchive.open(file);
      contents = await readZip(file, archive, handle);
    } else if (looksLikeLegacyTorch(head)) {
      contents = { ...(await readLegacy(file, handle, fileBytes)), torchscript: false };
    } else if (looksLikeTar(head)) {
      contents = { ...(await readTar(file, handle, fileBytes)), torchscript: false };
    } else {
      throw new FormatError(file, `not a PyTorch file (${path.extname(file) || 'no extension'}; expected a zip archive, a legacy torch.save stream or a tar archive)`);
    }
    return assemble(file, fileBytes, contents, close);
  } catch (error) {
    close();
    throw asFormatError(file, 'cannot read this PyTorch file', error);
  }
}
