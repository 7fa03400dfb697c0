/** Writes generated files into a project folder: never outside it, never over a file unless told. */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ScaffoldError, type GeneratedFile } from './generate';

/** The files of `files` that already exist in `folder`. */
export function existingFiles(folder: string, files: GeneratedFile[]): string[] {
  return files.filter((file) => existsSync(path.join(folder, file.path))).map((file) => file.path);
}

export async function writeProject(folder: string, files: GeneratedFile[], options: { overwrite?: boolean } = {}): Promise<string[]> {
  const root = path.resolve(folder);
  for (const file of files) {
    const target = path.resolve(root, file.path);
    if (path.isAbsolute(file.path) || !target.startsWith(root + path.sep)) {
      throw new ScaffoldError(`Refusing to write ${file.path}: it is outside ${root}.`);
    }
  }
  const clashes = existingFiles(root, files);
  if (clashes.length > 0 && !options.overwrite) {
    throw new ScaffoldError(`${root} already has ${clashes.length === 1 ? 'a file' : 'files'} the project would replace: ${clashes.join(', ')}.`);
  }
  const written: string[] = [];
  for (const file of files) {
    const target = path.join(root, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content);
    written.push(target);
  }
  return written;
}
