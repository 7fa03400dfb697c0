/** Templates read from a folder on disk (dist/templates in the extension and the CLI). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { TemplateSource } from './generate';

export function templatesOnDisk(root: string): TemplateSource {
  return {
    list(folder) {
      const base = path.join(root, folder);
      if (!existsSync(base)) return [];
      return readdirSync(base, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(base, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
        .filter((file) => !file.split('/').some((part) => part === '__pycache__' || part === '.pytest_cache'));
    },
    read(file) {
      return readFileSync(path.join(root, file), 'utf8');
    },
  };
}
