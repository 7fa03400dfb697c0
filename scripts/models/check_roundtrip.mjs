#!/usr/bin/env node
// Runs the models made by build_tfjs_models.mjs (and the Keras 2 .h5 files tfjs_to_keras_h5.py
// made of them) in TensorFlow.js and compares with each reference.json:
//
//   node scripts/models/check_roundtrip.mjs OUTDIR
//
// - OUTDIR/<name>/tfjs/model.json, loaded from its files, on the cpu backend: same outputs, exactly;
// - OUTDIR/<name>/keras2.h5, read with h5wasm, rebuilt with modelFromJSON(model_config) and
//   setWeights per entry of layer_names (weight_names order), on cpu: same outputs, exactly;
// - the TF.js files again on the WASM backend: outputs within 1e-4.
// Exits non-zero when anything differs.
//
//   node scripts/models/check_roundtrip.mjs --run FILE...
//
// loads each Keras 2 .h5 or TF.js model.json the same two ways on the WASM backend, runs a seeded
// batch of one through it and prints params, output shape and whether every output is finite
// (for the benchmark files of make_bench_models.py; the times printed are for information).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import h5wasm from 'h5wasm/node';

const WASM_TOLERANCE = 1e-4;

async function loadTfjs(dir) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const specs = [];
  const parts = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(readFileSync(join(dir, p)));
  }
  const data = Buffer.concat(parts);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

/** The way a Keras 2 .h5 is run in TF.js: topology from model_config, weights layer by layer. */
async function loadKeras2H5(path) {
  const file = new h5wasm.File(path, 'r');
  try {
    const config = JSON.parse(String(file.attrs['model_config'].value));
    const model = await tfl.models.modelFromJSON({ modelTopology: config });
    const root = file.get('model_weights');
    for (const layerName of root.attrs['layer_names'].value) {
      const group = root.get(layerName);
      const names = group.attrs['weight_names'].value;
      if (!Array.isArray(names) || names.length === 0) continue;
      const values = names.map((n) => {
        const d = group.get(n);
        return tf.tensor(d.value, d.shape, 'float32');
      });
      model.getLayer(layerName).setWeights(values);
      values.forEach((t) => t.dispose());
    }
    return model;
  } finally {
    file.close();
  }
}

function predict(model, inputRecord) {
  const x = tf.tensor(inputRecord.data, inputRecord.shape, inputRecord.dtype);
  const ys = model.predict(x);
  const out = (Array.isArray(ys) ? ys : [ys]).map((t) => Array.from(t.dataSync()));
  x.dispose();
  (Array.isArray(ys) ? ys : [ys]).forEach((t) => t.dispose());
  return out;
}

function maxDiff(outputs, reference) {
  let m = 0;
  reference.outputs.forEach((ref, i) => {
    const got = outputs[i] ?? [];
    if (got.length !== ref.data.length) m = Infinity;
    for (let j = 0; j < ref.data.length; j++) m = Math.max(m, Math.abs(got[j] - ref.data[j]));
  });
  return m;
}

async function checkOne(dir, reference) {
  const row = { name: reference.name, params: reference.countParams };
  await tf.setBackend('cpu');
  const tfjsModel = await loadTfjs(join(dir, 'tfjs'));
  row.tfjsParams = tfjsModel.countParams();
  row.tfjsCpu = maxDiff(predict(tfjsModel, reference.inputs[0]), reference);
  tfjsModel.dispose();
  const h5Path = join(dir, 'keras2.h5');
  if (existsSync(h5Path)) {
    const kerasModel = await loadKeras2H5(h5Path);
    row.h5Params = kerasModel.countParams();
    row.h5Cpu = maxDiff(predict(kerasModel, reference.inputs[0]), reference);
    kerasModel.dispose();
  }
  await tf.setBackend('wasm');
  const wasmModel = await loadTfjs(join(dir, 'tfjs'));
  row.tfjsWasm = maxDiff(predict(wasmModel, reference.inputs[0]), reference);
  wasmModel.dispose();
  return row;
}

async function runFiles(paths) {
  await tf.setBackend('wasm');
  let bad = 0;
  for (const path of paths) {
    const started = performance.now();
    const model = path.endsWith('.json') ? await loadTfjs(dirname(resolve(path))) : await loadKeras2H5(path);
    const loaded = performance.now();
    const x = tf.randomNormal([1, ...model.inputs[0].shape.slice(1)], 0, 1, 'float32', 7);
    const y = model.predict(x);
    const values = y.dataSync();
    const finite = values.every(Number.isFinite);
    if (!finite) bad++;
    console.log(
      `${path}: ${model.countParams()} params, output [${y.shape}], ${finite ? 'all finite' : 'NOT FINITE'}` +
        ` (load ${Math.round(loaded - started)} ms, predict ${Math.round(performance.now() - loaded)} ms)`,
    );
    tf.dispose([x, y]);
    model.dispose();
  }
  if (bad) process.exit(1);
}

async function main() {
  if (process.argv[2] === '--run') {
    await h5wasm.ready;
    await runFiles(process.argv.slice(3));
    return;
  }
  const outArg = process.argv[2];
  if (!outArg) {
    console.error('usage: node scripts/models/check_roundtrip.mjs OUTDIR');
    process.exit(2);
  }
  const outDir = resolve(outArg);
  await h5wasm.ready;
  const rows = [];
  for (const name of readdirSync(outDir).sort()) {
    const refPath = join(outDir, name, 'reference.json');
    if (!existsSync(refPath)) continue;
    rows.push(await checkOne(join(outDir, name), JSON.parse(readFileSync(refPath, 'utf8'))));
  }
  const fmt = (v) => (v === undefined ? 'n/a' : v.toExponential(1));
  const header = ['model', 'params', 'tfjs cpu', 'keras2.h5 cpu', 'tfjs wasm'];
  const lines = rows.map((r) => [r.name, String(r.params), fmt(r.tfjsCpu), fmt(r.h5Cpu), fmt(r.tfjsWasm)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const show = (cells) => console.log(cells.map((c, i) => c.padEnd(widths[i])).join('  '));
  console.log('max |output - reference| per way of loading:');
  show(header);
  show(widths.map((w) => '-'.repeat(w)));
  lines.forEach(show);
  const problems = [];
  for (const r of rows) {
    if (r.tfjsCpu !== 0) problems.push(`${r.name}: TF.js files on cpu differ by ${r.tfjsCpu}`);
    if (r.tfjsParams !== r.params) problems.push(`${r.name}: ${r.tfjsParams} params after loading`);
    if (r.h5Cpu !== undefined && r.h5Cpu !== 0) problems.push(`${r.name}: keras2.h5 on cpu differs by ${r.h5Cpu}`);
    if (r.h5Params !== undefined && r.h5Params !== r.params) problems.push(`${r.name}: keras2.h5 has ${r.h5Params} params`);
    if (!(r.tfjsWasm <= WASM_TOLERANCE)) problems.push(`${r.name}: wasm differs by ${r.tfjsWasm}`);
  }
  if (rows.length === 0) problems.push(`no */reference.json under ${outDir}`);
  if (problems.length) {
    console.error('PROBLEMS:\n- ' + problems.join('\n- '));
    process.exit(1);
  }
  console.log(`all ${rows.length} models agree with their references`);
}

await main();
