// Scaffolding costs, side by side in one run: generation + writing time of every
// architecture × style, and the smoke-training time of each PyTorch project
// (`train.py --smoke --epochs 2` in the system Python's real torch).
//   DLKIT_PYTHON  the interpreter with torch (default /usr/bin/python3)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const python = process.env.DLKIT_PYTHON || '/usr/bin/python3';
const RUNS = 5;

execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'ignore' });
// The same modules the CLI and the extension use, loaded in this process.
const bundle = await esbuild.build({
  stdin: {
    contents: "export * from './src/scaffold/generate'; export * from './src/scaffold/write'; export * from './src/scaffold/templateFiles'; export * from './src/scaffold/catalog';",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  write: false,
});
const module = { exports: {} };
new Function('module', 'exports', 'require', bundle.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
const { ARCHITECTURES, STYLES, generateProject, templatesOnDisk, writeProject } = module.exports;
const templates = templatesOnDisk(join(root, 'dist', 'templates'));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = [];
const base = mkdtempSync(join(tmpdir(), 'dlkit-bench-scaffold-'));
try {
  for (const style of STYLES) {
    for (const architecture of ARCHITECTURES) {
      if (templates.list(`${style}/${architecture}`).length === 0) continue;
      const times = [];
      let files = [];
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        files = generateProject({ architecture, style, name: `${architecture}_${style}` }, templates);
        await writeProject(join(base, `run${run}`, `${architecture}_${style}`), files);
        times.push(performance.now() - started);
      }
      let smoke = '';
      if (style === 'pytorch') {
        const project = join(base, 'run0', `${architecture}_${style}`);
        const started = performance.now();
        execFileSync(python, ['train.py', '--smoke', '--epochs', '2'], { cwd: project, stdio: 'ignore' });
        smoke = `${((performance.now() - started) / 1000).toFixed(1)} s`;
      }
      rows.push([`${style} ${architecture}`, String(files.length), `${median(times).toFixed(1)} ms`, smoke]);
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${release()}, Node ${process.version}, Python ${python}`);
const header = ['project', 'files', `generate + write (median of ${RUNS})`, 'smoke training (2 epochs)'];
const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i].length)));
const line = (row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
