/**
 * Opens any model file this extension reads, choosing the parser by content
 * (HDF5 signature, zip signature, JSON) before the extension, so a renamed
 * file still opens and a mislabelled one gets the right complaint.
 * Pure Node: no vscode, no TF.js.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { FormatError, errorText } from './errors';
import { findHdf5Signature } from './hdf5';
import { parseKerasH5 } from './kerasH5';
import { parseKerasV3 } from './kerasV3';
import { parseTfjs } from './tfjs';
import type { ParsedModel } from './types';
import { looksLikeZip } from './zip';

type Parser = (file: string) => Promise<ParsedModel>;

/** What the first bytes say the file is. */
async function sniff(file: string): Promise<'hdf5' | 'zip' | 'json' | 'empty' | 'unknown'> {
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
    const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
    if (text.startsWith('{')) return 'json';
    return 'unknown';
  } finally {
    await handle.close();
  }
}

/** The parser an extension promises, so its error says what the file should have been. */
function parserForExtension(file: string): Parser | undefined {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.h5' || extension === '.hdf5' || extension === '.he5') return parseKerasH5;
  if (extension === '.keras') return parseKerasV3;
  if (extension === '.json') return parseTfjs;
  return undefined;
}

/**
 * Parses a Keras (.h5/.hdf5/.keras) or TF.js (model.json) file. Throws a
 * FormatError naming the file for anything else, or anything damaged.
 */
export async function openModel(file: string): Promise<ParsedModel> {
  const kind = await sniff(file);
  switch (kind) {
    case 'hdf5':
      return parseKerasH5(file);
    case 'zip':
      return parseKerasV3(file);
    case 'json':
      return parseTfjs(file);
    case 'empty':
      throw new FormatError(file, 'the file is empty');
    case 'unknown': {
      const parser = parserForExtension(file);
      if (parser) return parser(file);
      throw new FormatError(file, 'not a Keras or TF.js model file (expected an HDF5 .h5/.hdf5, a .keras zip or a TF.js model.json)');
    }
  }
}
