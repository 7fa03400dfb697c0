#!/usr/bin/env node
// Builds one small model per architecture with tfjs-layers 4.22 (cpu backend), gives it seeded
// weights, saves it with tfjs's own LayersModel.save, and records what tfjs computes for a fixed
// seeded input:
//
//   node scripts/models/build_tfjs_models.mjs OUTDIR
//
// For every model:  OUTDIR/<name>/tfjs/model.json + weights.bin   (as tfjs-node's file:// handler
//                   names them) and OUTDIR/<name>/reference.json   (input, outputs, countParams,
//                   per-layer output shapes and params, the weight list).
// Names: cnn, rnn, gan_generator, gan_discriminator, transformer, autoencoder; OUTDIR/index.json
// lists them. The script then loads every saved model back from its files and checks that it
// computes the same outputs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';

const BATCH = 2;
const WEIGHTS_FILE = 'weights.bin';

// ---------------------------------------------------------------------------------------------
// Seeded numbers
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small, well-mixed 32-bit generator; returns floats in [0, 1). */
function makeRandom(seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    // Box-Muller; 1 - u keeps the logarithm finite.
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const between = (lo, hi) => lo + (hi - lo) * uniform();
  return { uniform, normal, between };
}

/**
 * Values for one weight, chosen by its role so that activations stay in a useful range and the
 * outputs are far from the initializers' defaults (zero biases, unit gammas, ...).
 */
function seededValues(rand, weightName, shape) {
  const size = shape.reduce((a, b) => a * b, 1);
  const role = weightName.slice(weightName.lastIndexOf('/') + 1);
  const out = new Float32Array(size);
  if (role === 'kernel' || role === 'recurrent_kernel') {
    const fanIn = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    const std = 1.3 / Math.sqrt(fanIn);
    for (let i = 0; i < size; i++) out[i] = std * rand.normal();
  } else if (role === 'embeddings') {
    for (let i = 0; i < size; i++) out[i] = rand.between(-0.8, 0.8);
  } else if (role === 'gamma') {
    for (let i = 0; i < size; i++) out[i] = rand.between(0.7, 1.3);
  } else if (role === 'moving_variance') {
    for (let i = 0; i < size; i++) out[i] = rand.between(0.5, 1.5);
  } else if (role === 'moving_mean') {
    for (let i = 0; i < size; i++) out[i] = rand.between(-0.3, 0.3);
  } else {
    // bias, beta and anything else
    for (let i = 0; i < size; i++) out[i] = rand.between(-0.2, 0.2);
  }
  return out;
}

function setSeededWeights(model, rand) {
  for (const w of model.weights) {
    w.write(tf.tensor(seededValues(rand, w.originalName, w.shape), w.shape, 'float32'));
  }
}

// ---------------------------------------------------------------------------------------------
// The models. Layer names follow Keras's own defaults (conv2d, conv2d_1, ...), so the Keras
// files made from these look like the ones Keras writes.
// ---------------------------------------------------------------------------------------------

// LSTM and GRU default to the Orthogonal recurrent initializer, which needs tfjs-core's chained
// tensor ops; the CommonJS bundle Node loads does not register them ("rMat.flatten is not a
// function"). The initial values are overwritten anyway, so use a plain initializer.
const RECURRENT_INIT = 'glorotUniform';

function buildCnn() {
  const L = tfl.layers;
  return tfl.sequential({
    name: 'cnn',
    layers: [
      L.conv2d({ name: 'conv2d', inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.batchNormalization({ name: 'batch_normalization' }),
      L.maxPooling2d({ name: 'max_pooling2d', poolSize: 2 }),
      L.conv2d({ name: 'conv2d_1', filters: 16, kernelSize: 3, activation: 'relu' }),
      L.maxPooling2d({ name: 'max_pooling2d_1', poolSize: 2 }),
      L.flatten({ name: 'flatten' }),
      L.dense({ name: 'dense', units: 32, activation: 'relu' }),
      L.dense({ name: 'dense_1', units: 10, activation: 'softmax' }),
    ],
  });
}

const RNN_VOCAB = 50;
const RNN_STEPS = 12;

function buildRnn() {
  const L = tfl.layers;
  return tfl.sequential({
    name: 'rnn',
    layers: [
      L.embedding({ name: 'embedding', inputShape: [RNN_STEPS], inputDim: RNN_VOCAB, outputDim: 8 }),
      L.lstm({ name: 'lstm', units: 16, returnSequences: true, recurrentInitializer: RECURRENT_INIT }),
      // tfjs's GRU is the reset_after=false variant (one bias vector of 3 * units).
      L.gru({ name: 'gru', units: 12, recurrentInitializer: RECURRENT_INIT }),
      L.dense({ name: 'dense', units: 4, activation: 'softmax' }),
    ],
  });
}

const LATENT = 16;

function buildGenerator() {
  const L = tfl.layers;
  return tfl.sequential({
    name: 'generator',
    layers: [
      L.dense({ name: 'dense', inputShape: [LATENT], units: 4 * 4 * 16 }),
      L.leakyReLU({ name: 'leaky_re_lu', alpha: 0.2 }),
      L.reshape({ name: 'reshape', targetShape: [4, 4, 16] }),
      L.conv2dTranspose({ name: 'conv2d_transpose', filters: 8, kernelSize: 3, strides: 2, padding: 'same' }),
      L.leakyReLU({ name: 'leaky_re_lu_1', alpha: 0.2 }),
      L.conv2dTranspose({ name: 'conv2d_transpose_1', filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
    ],
  });
}

function buildDiscriminator() {
  const L = tfl.layers;
  return tfl.sequential({
    name: 'discriminator',
    layers: [
      L.conv2d({ name: 'conv2d', inputShape: [16, 16, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same' }),
      L.leakyReLU({ name: 'leaky_re_lu', alpha: 0.2 }),
      L.conv2d({ name: 'conv2d_1', filters: 16, kernelSize: 3, strides: 2, padding: 'same' }),
      L.leakyReLU({ name: 'leaky_re_lu_1', alpha: 0.2 }),
      L.flatten({ name: 'flatten' }),
      L.dense({ name: 'dense', units: 1, activation: 'sigmoid' }),
    ],
  });
}

const SEQ = 8;
const D_MODEL = 16;

/** One post-norm encoder block: single-head self-attention, residual, FFN, residual. */
function buildTransformer() {
  const L = tfl.layers;
  const x = tfl.input({ name: 'tokens', shape: [SEQ, D_MODEL] });
  const q = L.dense({ name: 'query', units: D_MODEL }).apply(x);
  const k = L.dense({ name: 'key', units: D_MODEL }).apply(x);
  const v = L.dense({ name: 'value', units: D_MODEL }).apply(x);
  const scores = L.dot({ name: 'scores', axes: [2, 2] }).apply([q, k]);
  const scaled = L.rescaling({ name: 'scale', scale: 1 / Math.sqrt(D_MODEL) }).apply(scores);
  const weights = L.softmax({ name: 'attention_weights', axis: -1 }).apply(scaled);
  const context = L.dot({ name: 'context', axes: [2, 1] }).apply([weights, v]);
  const projected = L.dense({ name: 'attention_output', units: D_MODEL }).apply(context);
  const res1 = L.add({ name: 'add' }).apply([x, projected]);
  const norm1 = L.layerNormalization({ name: 'layer_normalization', epsilon: 1e-6 }).apply(res1);
  const ffn1 = L.dense({ name: 'ffn_1', units: 2 * D_MODEL, activation: 'relu' }).apply(norm1);
  const ffn2 = L.dense({ name: 'ffn_2', units: D_MODEL }).apply(ffn1);
  const res2 = L.add({ name: 'add_1' }).apply([norm1, ffn2]);
  const norm2 = L.layerNormalization({ name: 'layer_normalization_1', epsilon: 1e-6 }).apply(res2);
  const pooled = L.globalAveragePooling1d({ name: 'global_average_pooling1d' }).apply(norm2);
  const out = L.dense({ name: 'classifier', units: 3, activation: 'softmax' }).apply(pooled);
  return tfl.model({ name: 'transformer', inputs: x, outputs: out });
}

/** A Sequential of two Sequentials; the BatchNormalization layers put non-trainable weights
 *  inside the nested models, whose order (all trainable, then all non-trainable) matters. */
function buildAutoencoder() {
  const L = tfl.layers;
  const encoder = tfl.sequential({
    name: 'encoder',
    layers: [
      L.dense({ name: 'dense', inputShape: [64], units: 32, activation: 'relu' }),
      L.batchNormalization({ name: 'batch_normalization' }),
      L.dense({ name: 'dense_1', units: 8, activation: 'relu' }),
    ],
  });
  const decoder = tfl.sequential({
    name: 'decoder',
    layers: [
      L.dense({ name: 'dense_2', inputShape: [8], units: 32, activation: 'relu' }),
      L.batchNormalization({ name: 'batch_normalization_1' }),
      L.dense({ name: 'dense_3', units: 64, activation: 'sigmoid' }),
    ],
  });
  return tfl.sequential({ name: 'autoencoder', layers: [encoder, decoder] });
}

const MODELS = [
  { name: 'cnn', build: buildCnn, description: 'Sequential CNN: Conv2D, BatchNormalization, MaxPooling2D, Conv2D, MaxPooling2D, Flatten, Dense, Dense softmax', input: 'normal' },
  { name: 'rnn', build: buildRnn, description: 'Sequential text classifier: Embedding, LSTM (sequences), GRU (reset_after false), Dense softmax', input: 'tokens' },
  { name: 'gan_generator', build: buildGenerator, description: 'GAN generator: Dense, LeakyReLU, Reshape, Conv2DTranspose x2 (tanh), latent 16 -> 16x16x1', input: 'normal' },
  { name: 'gan_discriminator', build: buildDiscriminator, description: 'GAN discriminator: Conv2D, LeakyReLU x2, Flatten, Dense sigmoid, 16x16x1 -> 1', input: 'normal' },
  { name: 'transformer', build: buildTransformer, description: 'Functional encoder block: Dense q/k/v, Dot, Rescaling, Softmax, Dot, Dense, Add, LayerNormalization, FFN, Add, LayerNormalization, GlobalAveragePooling1D, Dense softmax', input: 'normal' },
  { name: 'autoencoder', build: buildAutoencoder, description: 'Sequential holding a nested encoder Sequential (Dense, BatchNormalization, Dense) and decoder Sequential (Dense, BatchNormalization, Dense sigmoid)', input: 'normal' },
];

// ---------------------------------------------------------------------------------------------
// Inputs, outputs, saving
// ---------------------------------------------------------------------------------------------

function seededInput(model, kind, rand) {
  const inputShape = model.inputs[0].shape.slice(1);
  const shape = [BATCH, ...inputShape];
  const size = shape.reduce((a, b) => a * b, 1);
  if (kind === 'tokens') {
    const data = Int32Array.from({ length: size }, () => Math.floor(rand.uniform() * RNN_VOCAB));
    return tf.tensor(data, shape, 'int32');
  }
  return tf.tensor(Float32Array.from({ length: size }, () => rand.normal()), shape, 'float32');
}

function asList(x) {
  return Array.isArray(x) ? x : [x];
}

function tensorRecord(name, t) {
  return { name, shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync()) };
}

/** The artifacts LayersModel.save hands to an IO handler. */
async function saveArtifacts(model) {
  let saved;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved;
}

function weightBytes(weightData) {
  const parts = Array.isArray(weightData) ? weightData : [weightData];
  return Buffer.concat(parts.map((b) => Buffer.from(b)));
}

/** model.json as tfjs's own handlers compose it (io_utils getModelJSONForModelArtifacts). */
function modelJson(artifacts, paths) {
  const json = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
  };
  for (const key of ['signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature', 'trainingConfig']) {
    if (artifacts[key] != null) json[key] = artifacts[key];
  }
  return json;
}

function layerRecords(model) {
  return model.layers.map((layer) => ({
    name: layer.name,
    className: layer.getClassName(),
    outputShape: layer.outputShape,
    params: layer.countParams(),
  }));
}

function weightRecords(model) {
  const trainable = new Set(model.trainableWeights.map((w) => w.id));
  return model.weights.map((w) => ({ name: w.originalName, shape: w.shape, trainable: trainable.has(w.id) }));
}

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function spread(values) {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
}

/** Loads the files just written, the way an application would, and runs the reference input. */
async function reloadAndPredict(dir, inputRecord) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const data = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }),
  );
  const x = tf.tensor(inputRecord.data, inputRecord.shape, inputRecord.dtype);
  const ys = asList(model.predict(x)).map((t) => Array.from(t.dataSync()));
  model.dispose();
  x.dispose();
  return ys;
}

async function buildOne(spec, index, outDir) {
  const rand = makeRandom(1000 + 17 * index);
  const model = spec.build();
  setSeededWeights(model, rand);
  const x = seededInput(model, spec.input, rand);
  const ys = asList(model.predict(x));

  const dir = join(outDir, spec.name);
  const tfjsDir = join(dir, 'tfjs');
  mkdirSync(tfjsDir, { recursive: true });
  const artifacts = await saveArtifacts(model);
  const bytes = weightBytes(artifacts.weightData);
  writeFileSync(join(tfjsDir, WEIGHTS_FILE), bytes);
  writeFileSync(join(tfjsDir, 'model.json'), JSON.stringify(modelJson(artifacts, [WEIGHTS_FILE])));

  const inputRecord = tensorRecord(model.inputs[0].name, x);
  const outputRecords = ys.map((y, i) => tensorRecord(model.outputs[i].name, y));
  const reference = {
    name: spec.name,
    description: spec.description,
    modelName: model.name,
    className: model.getClassName(),
    tfjsVersion: tf.version_core,
    backend: tf.getBackend(),
    countParams: model.countParams(),
    inputs: [inputRecord],
    outputs: outputRecords,
    layers: layerRecords(model),
    weights: weightRecords(model),
  };
  writeFileSync(join(dir, 'reference.json'), JSON.stringify(reference, null, 1) + '\n');

  const reloaded = await reloadAndPredict(tfjsDir, inputRecord);
  const reloadDiff = Math.max(...reloaded.map((y, i) => maxAbsDiff(y, outputRecords[i].data)));
  const row = {
    name: spec.name,
    layers: model.layers.length,
    params: model.countParams(),
    weightBytes: bytes.length,
    output: outputRecords.map((o) => JSON.stringify(o.shape)).join(' '),
    outputSpread: Math.min(...outputRecords.map((o) => spread(o.data))),
    reloadDiff,
  };
  x.dispose();
  ys.forEach((y) => y.dispose());
  model.dispose();
  return row;
}

function printTable(rows) {
  const header = ['model', 'layers', 'params', 'weight bytes', 'output shape', 'output std', 'reload max |diff|'];
  const lines = rows.map((r) => [
    r.name, String(r.layers), String(r.params), String(r.weightBytes), r.output, r.outputSpread.toExponential(2), r.reloadDiff.toExponential(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(fmt(header));
  console.log(fmt(widths.map((w) => '-'.repeat(w))));
  for (const l of lines) console.log(fmt(l));
}

async function main() {
  const outArg = process.argv[2];
  if (!outArg) {
    console.error('usage: node scripts/models/build_tfjs_models.mjs OUTDIR');
    process.exit(2);
  }
  const outDir = resolve(outArg);
  await tf.setBackend('cpu');
  const rows = [];
  for (const [i, spec] of MODELS.entries()) rows.push(await buildOne(spec, i, outDir));
  writeFileSync(
    join(outDir, 'index.json'),
    JSON.stringify({ tfjsVersion: tf.version_core, models: MODELS.map((m) => ({ name: m.name, description: m.description })) }, null, 1) + '\n',
  );
  printTable(rows);
  const problems = [];
  for (const r of rows) {
    if (r.reloadDiff !== 0) problems.push(`${r.name}: reloaded model differs by ${r.reloadDiff}`);
    if (!(r.outputSpread > 1e-3)) problems.push(`${r.name}: outputs are nearly constant (std ${r.outputSpread})`);
  }
  if (problems.length) {
    console.error('PROBLEMS:\n- ' + problems.join('\n- '));
    process.exit(1);
  }
  console.log(`wrote ${rows.length} models to ${outDir}`);
}

await main();
