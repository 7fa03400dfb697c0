/**
 * Runs Keras-style models with our TF.js custom layers, for
 * test/python/test_tfjs_layers.py:
 *
 *   node probe.js CASES.json RESULTS.json [cpu|wasm]
 *
 * CASES.json is a list of cases: {id, topology (a Keras model config in
 * Keras 2 snake_case, as in an .h5 file), kerasVersion?, weights ({layer
 * path ('name', or 'model/name' inside a nested model): [{shape, data}]} in
 * Keras order), inputs ([{shape, data, dtype?}])}.
 * Each model goes the way the engine takes: Keras class names replaced by
 * tfjsClassFor, tfjs `models.modelFromJSON`, `layer.setWeights`, `predict`.
 * RESULTS.json: {results: {id: {outputs: [{shape, data}], leakedTensors,
 * backend} or {error, backend}}, supported: {custom, inferenceIdentities}}
 * (the exported class sets). A file, because tfjs prints notices on stdout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { INFERENCE_IDENTITIES, registerCustomLayers, SUPPORTED_CUSTOM, tfjsClassFor } from '../../../src/engine/layers';

interface TensorJson {
  shape: number[];
  data: number[];
  dtype?: 'float32' | 'int32';
}

interface Case {
  id: string;
  topology: KerasObject;
  kerasVersion?: string;
  weights: Record<string, TensorJson[]>;
  inputs: TensorJson[];
}

interface KerasObject {
  class_name: string;
  config?: unknown;
}

type CaseResult = { outputs: TensorJson[]; leakedTensors: number } | { error: string };

function isKerasObject(value: unknown): value is KerasObject {
  return typeof value === 'object' && value !== null && typeof (value as KerasObject).class_name === 'string';
}

/** Replaces Keras class names by ours where tfjsClassFor says so: model layers, wrapped layers, nested models. */
function adaptClassNames(object: KerasObject, kerasVersion: string | undefined): void {
  const config = object.config;
  if (Array.isArray(config)) {
    config.filter(isKerasObject).forEach((layer) => adaptClassNames(layer, kerasVersion));
    return;
  }
  if (typeof config !== 'object' || config === null) return;
  const record = config as Record<string, unknown>;
  const replacement = tfjsClassFor(object.class_name, record, kerasVersion);
  if (replacement) object.class_name = replacement;
  for (const child of [record['layer'], ...(Array.isArray(record['layers']) ? record['layers'] : [])]) {
    if (isKerasObject(child)) adaptClassNames(child, kerasVersion);
  }
}

/** A layer by its path from the outermost model (`block/mha` for layer mha of nested model block). */
function findLayer(model: tfl.LayersModel, path: string): tfl.layers.Layer {
  let found: tfl.layers.Layer = model;
  for (const name of path.split('/')) {
    if (!(found instanceof tfl.LayersModel)) throw new Error(`${path}: ${found.name} holds no layers`);
    found = found.getLayer(name);
  }
  return found;
}

function toTensor(json: TensorJson): tf.Tensor {
  return tf.tensor(json.data, json.shape, json.dtype ?? 'float32');
}

function toJson(tensor: tf.Tensor): TensorJson {
  return { shape: tensor.shape, data: Array.from(tensor.dataSync()) };
}

async function runCase(testCase: Case): Promise<CaseResult> {
  const before = tf.memory().numTensors;
  let model: tfl.LayersModel | undefined;
  try {
    const topology = structuredClone(testCase.topology);
    adaptClassNames(topology, testCase.kerasVersion);
    model = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
    for (const [name, values] of Object.entries(testCase.weights)) {
      const weights = values.map(toTensor);
      try {
        findLayer(model, name).setWeights(weights);
      } finally {
        tf.dispose(weights);
      }
    }
    const inputs = testCase.inputs.map(toTensor);
    const predicted = model.predict(inputs.length === 1 ? (inputs[0] as tf.Tensor) : inputs);
    const outputs = (Array.isArray(predicted) ? predicted : [predicted]).map(toJson);
    tf.dispose([inputs, predicted]);
    model.dispose();
    model = undefined;
    return { outputs, leakedTensors: tf.memory().numTensors - before };
  } catch (error) {
    model?.dispose();
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

async function main(): Promise<void> {
  const [casesPath, resultsPath, backend = 'cpu'] = process.argv.slice(2);
  if (!casesPath || !resultsPath) throw new Error('usage: node probe.js CASES.json RESULTS.json [cpu|wasm]');
  if (!version_cpu || !version_wasm) throw new Error('tfjs backends missing from the bundle');
  if (backend === 'wasm') {
    // Run from the repository root: the .wasm binaries are read from its node_modules.
    const wasmFile = createRequire(path.join(process.cwd(), 'package.json')).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    setWasmPaths(path.dirname(wasmFile) + path.sep);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  registerCustomLayers();
  const cases = JSON.parse(readFileSync(casesPath, 'utf8')) as Case[];
  const results: Record<string, CaseResult & { backend: string }> = {};
  for (const testCase of cases) results[testCase.id] = { ...(await runCase(testCase)), backend: tf.getBackend() };
  const supported = { custom: [...SUPPORTED_CUSTOM], inferenceIdentities: [...INFERENCE_IDENTITIES] };
  writeFileSync(resultsPath, JSON.stringify({ results, supported }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
