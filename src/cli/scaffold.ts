import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ARCHITECTURES, CATALOG, STYLES, isArchitecture, isStyle } from '../scaffold/catalog';
import { generateProject } from '../scaffold/generate';
import { templatesOnDisk } from '../scaffold/templateFiles';
import { writeProject } from '../scaffold/write';
import { UsageError, type CliCommand } from './command';

export const scaffoldCommand: CliCommand = {
  summary: 'write a complete, runnable project for an architecture and a style',
  usage: `Usage: dlkit scaffold --arch ARCH --style STYLE --out DIR [--name NAME] [--dataset ID] [--force]

Writes a training project (model, data, train, evaluate, tests, config, README)
into DIR/NAME.

  --arch NAME      ${ARCHITECTURES.join(' | ')}
  --style NAME     ${STYLES.join(' | ')}
  --out DIR        the folder to create the project in
  --name NAME      folder and Python package name (default: <arch>_<style>)
  --dataset ID     ${ARCHITECTURES.map((a) => `${a}: ${CATALOG[a].datasets.map((d) => d.id).join('/')}`).join('; ')}
                   (default: synthetic, which trains offline)
  --force          replace files that already exist
  --json           print the written files as JSON`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        arch: { type: 'string' },
        style: { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        dataset: { type: 'string' },
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (!values.arch || !isArchitecture(values.arch)) throw new UsageError(`--arch must be one of ${ARCHITECTURES.join(', ')}`);
    if (!values.style || !isStyle(values.style)) throw new UsageError(`--style must be one of ${STYLES.join(', ')}`);
    if (!values.out) throw new UsageError('--out is required');
    const name = values.name ?? `${values.arch}_${values.style}`;
    const files = generateProject(
      { architecture: values.arch, style: values.style, name, ...(values.dataset ? { dataset: values.dataset } : {}) },
      templatesOnDisk(path.join(__dirname, 'templates')),
    );
    const folder = path.resolve(values.out, name);
    const started = performance.now();
    const written = await writeProject(folder, files, { overwrite: values.force });
    const milliseconds = Math.round((performance.now() - started) * 10) / 10;
    if (values.json) io.out(JSON.stringify({ folder, files: files.map((file) => file.path), milliseconds }, null, 2));
    else io.out(`Wrote ${written.length} files to ${folder}\nNext: cd ${path.relative(process.cwd(), folder) || '.'} && see README.md`);
    return 0;
  },
};
