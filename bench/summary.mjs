// `node bench/summary.mjs`: the Model Summary on Keras .h5 models of about 1, 25 and 100 MB, a
// 25 MB TF.js model and a ~100 MB PyTorch state_dict (ResNet50), through the real worker (dist/worker.js) as the editor uses it:
//   cold       model/summary as a fresh worker's first request (engine start included)
//   table      model/summary with a warm worker (it has summarised another file; this one is new to it)
//   weights    model/weightStats (reads every tensor once)
//   rebuild    TF.js model built and weights set (first model/run minus its passes)
//   first/warm the run's first and warm layer-by-layer pass, batch 1
//   peak RSS   the worker's peak resident memory (VmHWM) after all of it, one fresh worker per model
// Makes the models with /usr/bin/python3 (h5py, numpy, torch) first: scripts/models/make_bench_models.py.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const python = process.env.DLKIT_PYTHON || '/usr/bin/python3';
const work = mkdtempSync(join(tmpdir(), 'dlkit-bench-summary-'));

if (!existsSync(join(root, 'dist', 'worker.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
execFileSync(python, [join(root, 'scripts', 'models', 'make_bench_models.py'), work], { stdio: ['ignore', 'ignore', 'inherit'] });
// A ~100 MB PyTorch state_dict: read statically, never run.
execFileSync(python, ['-c', 'import sys, torch, torchvision; torch.manual_seed(0); torch.save(torchvision.models.resnet50().state_dict(), sys.argv[1])', join(work, 'torch_resnet50_state_dict.pth')]);

// The host's own engine client, bundled for this script.
const clientBundle = join(work, 'engineClient.mjs');
await esbuild.build({ entryPoints: [join(root, 'src', 'host', 'engineClient.ts')], bundle: true, platform: 'node', format: 'esm', outfile: clientBundle, logLevel: 'error' });
const { EngineClient } = await import(pathToFileURL(clientBundle).href);

const models = readdirSync(work)
  .filter((name) => name.endsWith('.h5') || name.endsWith('.pth') || existsSync(join(work, name, 'model.json')))
  .map((name) => (name.endsWith('.h5') || name.endsWith('.pth') ? join(work, name) : join(work, name, 'model.json')));

function sizeOf(file) {
  if (!file.endsWith('model.json')) return statSync(file).size;
  const folder = resolve(file, '..');
  return readdirSync(folder).reduce((sum, name) => sum + statSync(join(folder, name)).size, 0);
}

function peakRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const ms = (value) => `${value.toFixed(0)} ms`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const rows = [];
const newClient = () => new EngineClient({ workerPath: join(root, 'dist', 'worker.js'), workerOptions: { backend: 'auto', nativeSearchPaths: [] } });
const warmUpFile = join(root, 'demo', 'models', 'keras_cnn_mnist.h5');

async function coldTable(file) {
  const client = newClient();
  try {
    const started = performance.now();
    await client.request('model/summary', { file });
    return performance.now() - started;
  } finally {
    client.dispose();
  }
}

for (const file of models.sort((a, b) => sizeOf(a) - sizeOf(b))) {
  const cold = await coldTable(file);
  const client = newClient();
  try {
    await client.request('model/summary', { file: warmUpFile });
    let started = performance.now();
    const summary = await client.request('model/summary', { file });
    const table = performance.now() - started;
    started = performance.now();
    await client.request('model/weightStats', { file });
    const weights = performance.now() - started;
    started = performance.now();
    // PyTorch files are read, not run: their run columns stay empty.
    const run = file.endsWith('.pth') ? undefined : await client.request('model/run', { file, options: { input: 'normal', batchSize: 1, unknownDim: 32 } });
    const runWall = performance.now() - started;
    rows.push([
      `${file.slice(work.length + 1)}`,
      mb(sizeOf(file)),
      `${summary.layers.length}`,
      (summary.totalParams / 1e6).toFixed(2) + ' M',
      ms(cold),
      ms(table),
      ms(weights),
      run ? ms(run.rebuildMs) : '—',
      run ? ms(run.firstMs) : '—',
      run ? ms(run.warmMs) : '—',
      run ? ms(runWall) : '—',
      mb(peakRss(client.pid)),
    ]);
  } finally {
    client.dispose();
  }
}
rmSync(work, { recursive: true, force: true });

const header = ['model', 'size', 'layers', 'params', 'cold', 'table', 'weight stats', 'rebuild', 'first pass', 'warm pass', 'run request', 'worker peak RSS'];
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
console.log(`Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
