/**
 * Opens any model file this extension reads, choosing the parser by content
 * (HDF5 signature, zip members, the PyTorch legacy magic, a safetensors
 * header, JSON) before the extension, so a renamed file still opens and a
 * mislabelled one gets the right complaint. ONNX has no signature: its
 * extension decides. Pure Node: no vscode, no TF.js.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { FormatError, errorText } from './errors';
import { findHdf5Signature } from './hdf5';
import { parseKerasH5 } from './kerasH5';
import { parseKerasV3 } from './kerasV3';
import { inferModules, linkWeights } from './moduleTree';
import { parseOnnx } from './onnx';
import { parsePytorch, pickledModuleClasses } from './pytorch';
import { looksLikeLegacyTorch } from './pytorchLegacy';
import { parseSafetensors } from './safetensors';
import { parseTfjs } from './tfjs';
import type { ParsedModel } from './types';
import { ZipArchive, looksLikeZip } from './zip';

type Parser = (file: string) => Promise<ParsedModel>;

/** What the first bytes say the file is. */
async function sniff(file: string): Promise<'hdf5' | 'zip' | 'torch-legacy' | 'safetensors' | 'json' | 'empty' | 'unknown'> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw new FormatError(file, `cannot open: ${errorText(error)}`, { cause: error });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FormatError(file, 'not a regular file');
    if (stat.size === 0) return 'empty';
    const head = Buffer.alloc(Math.min(stat.size, 64));
    await handle.read(head, 0, head.length, 0);
    if ((await findHdf5Signature(handle, stat.size)) !== undefined) return 'hdf5';
    if (looksLikeZip(head)) return 'zip';
    if (looksLikeLegacyTorch(head)) return 'torch-legacy';
    if (looksLikeSafetensors(head, stat.size)) return 'safetensors';
    const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
    if (text.startsWith('{')) return 'json';
    return 'unknown';
  } finally {
    await handle.close();
  }
}

/** A u64 little-endian header length that fits the file, then the header's opening brace. */
function looksLikeSafetensors(head: Buffer, fileBytes: number): boolean {
  if (head.length < 10) return false;
  const headerBytes = head.readBigUInt64LE(0);
  return headerBytes > 1n && headerBytes <= BigInt(fileBytes - 8) && head[8] === 0x7b;
}

/** A zip is a PyTorch archive (torch.save, TorchScript) when it has a data.pkl; else a Keras 3 one. */
async function zipParser(file: string): Promise<Parser> {
  const archive = await ZipArchive.open(file);
  try {
    const isTorch = archive.entries.some((entry) => entry.name === 'data.pkl' || entry.name.endsWith('/data.pkl'));
    return isTorch ? parseTorchFile : parseKerasV3;
  } finally {
    await archive.close();
  }
}

/**
 * PyTorch and safetensors files hold tensors, not modules: the module tree
 * comes from the tensor names (and the classes a pickle names).
 */
function withModuleTree(parse: Parser): Parser {
  return async (file) => {
    const parsed = await parse(file);
    parsed.weights = linkWeights(parsed.weights);
    parsed.modules = inferModules(parsed.weights, parsed.format === 'safetensors' ? undefined : pickledModuleClasses(parsed));
    return parsed;
  };
}

const parseTorchFile = withModuleTree(parsePytorch);
const parseSafetensorsFile = withModuleTree(parseSafetensors);

/** The parser an extension promises, so its error says what the file should have been. */
function parserForExtension(file: string): Parser | undefined {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.h5' || extension === '.hdf5' || extension === '.hd5' || extension === '.he5') return parseKerasH5;
  if (extension === '.keras') return parseKerasV3;
  if (extension === '.json') return parseTfjs;
  if (extension === '.onnx') return parseOnnx;
  if (['.pt', '.pth', '.ckpt', '.bin', '.tar'].includes(extension)) return parseTorchFile;
  if (extension === '.safetensors') return parseSafetensorsFile;
  return undefined;
}

/**
 * Parses a Keras (.h5/.hdf5/.keras), TF.js (model.json), PyTorch
 * (.pt/.pth/.ckpt, TorchScript), ONNX or safetensors file. Throws a
 * FormatError naming the file for anything else, or anything damaged.
 */
export async function openModel(file: string): Promise<ParsedModel> {
  const kind = await sniff(file);
  switch (kind) {
    case 'hdf5':
      return parseKerasH5(file);
    case 'zip':
      return (await zipParser(file))(file);
    case 'torch-legacy':
      return parseTorchFile(file);
    case 'safetensors':
      return parseSafetensorsFile(file);
    case 'json':
      return parseTfjs(file);
    case 'empty':
      throw new FormatError(file, 'the file is empty');
    case 'unknown': {
      const parser = parserForExtension(file);
      if (parser) return parser(file);
      throw new FormatError(
        file,
        'not a model file this extension reads (expected Keras .h5/.keras, a TF.js model.json, PyTorch .pt/.pth/.ckpt, .onnx or .safetensors)',
      );
    }
  }
}
