/**
 * TF.js model.json files: the real layers and graph fixtures (weights checked
 * against the manifest and the shard bytes read here directly), historic and
 * quantised variants written by the test, and broken ones: missing or short
 * shards, absurd shapes, shards outside the model's folder.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseTfjs } from '../../src/formats/tfjs';
import { realFixture } from './realFixtures';
import { rejectsNaming } from './formatAssertions';

const REAL = realFixture();
const AUTOENCODER = path.join(REAL, 'tfjs_layers', 'keras3_autoencoder_nested', 'model.json');
const ABALONE = path.join(REAL, 'tfjs_layers', 'tfjsnode132_abalone_mlp', 'model.json');
const GRAPH = path.join(REAL, 'tfjs_graph', 'tf26_prefetch_graph', 'model.json');

interface Manifest {
  paths: string[];
  weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: { dtype: string; scale?: number; min?: number } }>;
}

function elements(shape: number[]): number {
  return shape.reduce((total, dim) => total * dim, 1);
}

/** Element count and float32 values of every manifest weight, computed from the manifest and the first shard only. */
function manifestFacts(file: string): { total: number; values: Map<string, number[]> } {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { weightsManifest: Manifest[] };
  let total = 0;
  const values = new Map<string, number[]>();
  for (const group of json.weightsManifest) {
    const data = Buffer.concat(group.paths.map((shard) => readFileSync(path.join(path.dirname(file), shard))));
    let offset = 0;
    for (const weight of group.weights) {
      const count = elements(weight.shape);
      total += count;
      const floats: number[] = [];
      for (let i = 0; i < count; i++) floats.push(weight.dtype === 'int32' ? data.readInt32LE(offset + i * 4) : data.readFloatLE(offset + i * 4));
      values.set(weight.name, floats);
      offset += count * 4;
    }
  }
  return { total, values };
}

describe('formats/tfjs', () => {
  let folder: string;
  let counter = 0;

  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'dlkit-tfjs-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  /** A fresh folder holding model.json and the given shards. */
  function writeModel(json: unknown, shards: Record<string, Buffer> = {}): string {
    const dir = path.join(folder, `m${counter++}`);
    mkdirSync(dir);
    for (const [name, bytes] of Object.entries(shards)) writeFileSync(path.join(dir, name), bytes);
    const file = path.join(dir, 'model.json');
    writeFileSync(file, JSON.stringify(json));
    return file;
  }

  const denseTopology = (name: string) => ({
    class_name: 'Sequential',
    config: { name: 'seq', layers: [{ class_name: 'Dense', config: { name, units: 2, use_bias: true, batch_input_shape: [null, 3], dtype: 'float32' } }] },
  });

  it('the nested Keras 3 autoencoder: nested IR ids, weights matched to inner layers, values from the shard', async () => {
    const model = await parseTfjs(AUTOENCODER);
    try {
      assert.equal(model.format, 'tfjs-layers');
      assert.equal(model.formatLabel, 'TF.js layers model');
      assert.equal(model.framework, 'tensorflow.js');
      assert.equal(model.producer, 'TensorFlow.js Converter v4.22.0 (from Keras 3.10.0)');
      const layers = model.model!.layers;
      assert.deepEqual(layers.filter((l) => l.depth === 0).map((l) => [l.id, l.className, l.isModel]), [
        ['input_layer_10', 'InputLayer', false],
        ['sequential_7', 'Sequential', true],
        ['sequential_8', 'Sequential', true],
      ]);
      const conv = layers.find((l) => l.id === 'sequential_7/conv2d_13')!;
      assert.equal(conv.parent, 'sequential_7');
      assert.equal(conv.depth, 1);
      assert.deepEqual(conv.weightPaths, ['sequential_7/conv2d_13/kernel', 'sequential_7/conv2d_13/bias']);
      assert.deepEqual(layers.find((l) => l.id === 'sequential_8')!.inboundNodes, [[{ layer: 'sequential_7', node: 0, tensor: 0 }]]);
      assert.deepEqual(layers.find((l) => l.id === 'sequential_8')!.outputs, [{ layer: 'sequential_8/reshape_2', node: 0, tensor: 0 }]);
      assert.ok(model.weights.every((w) => w.layer !== '' && w.trainable));
      const facts = manifestFacts(AUTOENCODER);
      assert.equal(model.weights.reduce((total, w) => total + elements(w.shape), 0), facts.total);
      for (const name of ['sequential_7/conv2d_13/kernel', 'sequential_8/conv2d_16/bias', 'sequential_8/conv2d_transpose_6/kernel']) {
        assert.deepEqual(Array.from(await model.readTensor(name)), facts.values.get(name)!.map(Math.fround));
      }
      assert.doesNotMatch(JSON.stringify(model.kerasTopology), /DTypePolicy|batch_shape|training_config/);
    } finally {
      model.close();
    }
  });

  it('a tfjs-node 1.3.2 save: unwrapped topology, custom shard name, producer without the "v"', async () => {
    const model = await parseTfjs(ABALONE);
    assert.equal(model.producer, 'TensorFlow.js tfjs-layers 1.3.2');
    assert.deepEqual(model.model!.layers.map((l) => l.id), ['dense_Dense1', 'dense_Dense2', 'dense_Dense3']);
    assert.deepEqual(model.model!.layers[1]!.inboundNodes, [[{ layer: 'dense_Dense1', node: 0, tensor: 0 }]]);
    const facts = manifestFacts(ABALONE);
    assert.equal(model.weights.reduce((total, w) => total + elements(w.shape), 0), facts.total);
    assert.deepEqual(Array.from(await model.readTensor('dense_Dense3/bias')), facts.values.get('dense_Dense3/bias')!.map(Math.fround));
    const artifacts = await model.loadTfjsArtifacts!();
    assert.equal(artifacts.format, 'layers-model');
    assert.equal(artifacts.weightData.byteLength, facts.total * 4);
    assert.deepEqual(artifacts.weightSpecs.map((spec) => spec.name), model.weights.map((w) => w.path));
    assert.deepEqual(artifacts.modelTopology, model.kerasTopology);
    model.close();
  });

  it('a graph model: nodes with ops, inputs and display attributes; signature; constants from the manifest', async () => {
    const model = await parseTfjs(GRAPH);
    assert.equal(model.format, 'tfjs-graph');
    assert.equal(model.formatLabel, 'TF.js graph model');
    assert.equal(model.producer, 'TensorFlow.js Converter v3.6.0 (from TensorFlow 2.6.0)');
    assert.equal(model.model, undefined);
    const graph = model.graph!;
    assert.equal(graph.nodes.length, 20);
    const concat = graph.nodes.find((node) => node.op === 'ConcatV2')!;
    assert.equal(concat.inputs.length, 3);
    assert.deepEqual(concat.attributes, { Tidx: 'int32', N: '2', T: 'float32' });
    const embedding = graph.nodes.find((node) => node.name.endsWith('embedding_lookup/ReadVariableOp'))!;
    assert.equal(embedding.attributes.value, 'float32 [101, 10]');
    assert.equal(graph.nodes.find((node) => node.name === 'cur_page')!.attributes.shape, '[?]');
    assert.deepEqual(graph.inputs, [
      { name: 'cur_page:0', shape: [null], dtype: 'int64' },
      { name: 'session_index:0', shape: [null], dtype: 'int64' },
    ]);
    assert.deepEqual(graph.outputs, [{ name: 'Identity:0', shape: [null, 101], dtype: 'float32' }]);
    const facts = manifestFacts(GRAPH);
    assert.equal(model.weights.reduce((total, w) => total + elements(w.shape), 0), facts.total);
    assert.equal(model.weights.length, 8);
    assert.ok(model.weights.every((w) => w.layer === ''));
    const axis = 'StatefulPartitionedCall/model/concatenate/concat/axis';
    assert.equal(model.weights.find((w) => w.path === axis)?.trainable, false);
    const axisValue = await model.readTensor(axis);
    assert.ok(axisValue instanceof Int32Array);
    assert.deepEqual(Array.from(axisValue), facts.values.get(axis));
    const artifacts = await model.loadTfjsArtifacts!();
    assert.equal(artifacts.format, 'graph-model');
    assert.equal((artifacts.modelTopology as { node: unknown[] }).node.length, 20);
    model.close();
  });

  it('historic layers variants: no format, `config` as a list of layers, topology without model_config', async () => {
    const kernel = Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6, 0.5, -0.5]).buffer);
    const file = writeModel(
      {
        modelTopology: { class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: 'd', output_dim: 2, input_dim: 3, batch_input_shape: [null, 3] } }], keras_version: 'tfjs-layers 0.6.2' },
        weightsManifest: [{ paths: ['weights-part-1.data'], weights: [{ name: 'd/kernel', shape: [3, 2], dtype: 'float32' }, { name: 'd/bias', shape: [2], dtype: 'float32' }] }],
      },
      { 'weights-part-1.data': kernel },
    );
    const model = await parseTfjs(file);
    assert.equal(model.producer, 'TensorFlow.js tfjs-layers 0.6.2');
    assert.equal(model.model!.layers[0]!.className, 'Dense');
    assert.equal(model.model!.layers[0]!.config.units, 2);
    assert.deepEqual(model.model!.layers[0]!.weightPaths, ['d/kernel', 'd/bias']);
    assert.deepEqual(Array.from(await model.readTensor('d/bias')), [0.5, -0.5]);
    const topology = model.kerasTopology as { config: { layers: unknown[] } };
    assert.equal(topology.config.layers.length, 1);
  });

  it('weights named without their nested model finds their layer when the name is unique below it', async () => {
    const topology = {
      class_name: 'Sequential',
      config: {
        name: 'outer',
        layers: [
          { class_name: 'Sequential', config: { name: 'enc', layers: [{ class_name: 'Dense', config: { name: 'inner', units: 1, batch_input_shape: [null, 2] } }] } },
          { class_name: 'Dense', config: { name: 'head', units: 1 } },
        ],
      },
    };
    const file = writeModel(
      { modelTopology: topology, weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'inner/kernel', shape: [2, 1], dtype: 'float32' }, { name: 'outer/head/kernel', shape: [1, 1], dtype: 'float32' }, { name: 'stray/kernel', shape: [1], dtype: 'float32' }] }] },
      { 'w.bin': Buffer.alloc(16) },
    );
    const model = await parseTfjs(file);
    assert.deepEqual(model.weights.map((w) => w.layer), ['enc/inner', 'head', '']);
    assert.ok(model.warnings.some((warning) => /1 weight\(s\) in the manifest could not be matched/.test(warning)));
  });

  it('dequantises uint8, uint16 and float16 weights, spanning shards', async () => {
    const bytes = Buffer.concat([
      Buffer.from([0, 1, 2, 255]), // uint8: q * 0.5 - 1
      Buffer.from(new Uint16Array([0, 1000, 65535]).buffer), // uint16: q * 0.01 + 2
      Buffer.from(new Uint16Array([0x3c00, 0xc000]).buffer), // float16: 1, -2
      Buffer.from([10, 20]), // uint8 for an int32 weight: q * 2 + 1, rounded
    ]);
    const file = writeModel(
      {
        format: 'layers-model',
        modelTopology: denseTopology('q'),
        weightsManifest: [
          {
            // Two shards, split inside the uint16 weight.
            paths: ['part1.bin', 'part2.bin'],
            weights: [
              { name: 'q/kernel', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
              { name: 'q/wide', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.01, min: 2 } },
              { name: 'q/half', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
              { name: 'q/steps', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', scale: 2, min: 1 } },
            ],
          },
        ],
      },
      { 'part1.bin': bytes.subarray(0, 7), 'part2.bin': bytes.subarray(7) },
    );
    const model = await parseTfjs(file);
    assert.deepEqual(model.weights.map((w) => [w.path, w.dtype, w.bytes, w.quantization?.dtype]), [
      ['q/kernel', 'uint8', 4, 'uint8'],
      ['q/wide', 'uint16', 6, 'uint16'],
      ['q/half', 'float16', 4, 'float16'],
      ['q/steps', 'uint8', 2, 'uint8'],
    ]);
    assert.deepEqual(Array.from(await model.readTensor('q/kernel')), [-1, -0.5, 0, 126.5]);
    assert.deepEqual(Array.from(await model.readTensor('q/wide')), [2, 12, 2 + 655.35].map(Math.fround));
    assert.deepEqual(Array.from(await model.readTensor('q/half')), [1, -2]);
    const steps = await model.readTensor('q/steps');
    assert.ok(steps instanceof Int32Array);
    assert.deepEqual(Array.from(steps), [21, 41]);
    const artifacts = await model.loadTfjsArtifacts!();
    assert.equal(artifacts.weightData.byteLength, bytes.length);
    assert.deepEqual(artifacts.weightSpecs[1], { name: 'q/wide', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.01, min: 2 } });
  });

  it('measures string constants in a graph manifest to place the weights after them', async () => {
    const strings = ['ab', 'ünï'].map((text) => Buffer.from(text, 'utf8'));
    const stringBytes = Buffer.concat(strings.flatMap((value) => [Buffer.from(new Uint32Array([value.length]).buffer), value]));
    const file = writeModel(
      {
        format: 'graph-model',
        modelTopology: { node: [{ name: 'table', op: 'Const' }, { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' } } }, { name: 'y', op: 'Identity', input: ['x'] }] },
        weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'table', shape: [2], dtype: 'string' }, { name: 'scale', shape: [1], dtype: 'float32' }] }],
      },
      { 'w.bin': Buffer.concat([stringBytes, Buffer.from(new Float32Array([4.5]).buffer)]) },
    );
    const model = await parseTfjs(file);
    assert.equal(model.weights[0]!.bytes, stringBytes.length);
    assert.deepEqual(Array.from(await model.readTensor('scale')), [4.5]);
    await rejectsNaming(model.readTensor('table'), file, /string values, which are not numbers/);
    // Without a signature: Placeholders in, unconsumed non-constant nodes out.
    assert.deepEqual(model.graph!.inputs, [{ name: 'x', shape: [], dtype: 'float32' }]);
    assert.deepEqual(model.graph!.outputs.map((spec) => spec.name), ['y']);
  });

  describe('broken model.json files', () => {
    const oneWeight = (paths: string[], shape = [3, 2]) => ({
      format: 'layers-model',
      modelTopology: { model_config: denseTopology('d') },
      weightsManifest: [{ paths, weights: [{ name: 'd/kernel', shape, dtype: 'float32' }] }],
    });

    it('a missing shard is named', async () => {
      const file = writeModel(oneWeight(['group1-shard1of1.bin']));
      await rejectsNaming(parseTfjs(file), file, /weight shard group1-shard1of1\.bin is missing/);
    });

    it('a short shard is named, with what it should hold', async () => {
      const file = writeModel(oneWeight(['a.bin', 'b.bin']), { 'a.bin': Buffer.alloc(8), 'b.bin': Buffer.alloc(8) });
      await rejectsNaming(parseTfjs(file), file, /weight shard b\.bin is short: weight d\/kernel .* needs bytes 0\.\.24 .* its shards hold 16 bytes/);
    });

    it('an absurd shape ([1e12]) is refused from the manifest alone, allocating nothing', async () => {
      const file = writeModel(oneWeight(['w.bin'], [1e12]), { 'w.bin': Buffer.alloc(24) });
      const before = process.memoryUsage().arrayBuffers;
      await rejectsNaming(parseTfjs(file), file, /weight d\/kernel \(shape \[1000000000000\], 3\.6 TB\)/);
      assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
      const negative = writeModel(oneWeight(['w.bin'], [-1, 2]), { 'w.bin': Buffer.alloc(24) });
      await rejectsNaming(parseTfjs(negative), negative, /invalid shape/);
    });

    it('shards outside the model folder, absolute or remote, are not read', async () => {
      const outside = writeModel(oneWeight(['../secret.bin']));
      writeFileSync(path.join(folder, 'secret.bin'), Buffer.alloc(24));
      await rejectsNaming(parseTfjs(outside), outside, /lies outside the model's folder/);
      const remote = writeModel(oneWeight(['https://example.com/w.bin']));
      await rejectsNaming(parseTfjs(remote), remote, /is a URL/);
      const absolute = writeModel(oneWeight([path.join(folder, 'secret.bin')]));
      await rejectsNaming(parseTfjs(absolute), absolute, /absolute path/);
    });

    it('invalid JSON, or JSON that is not a TF.js model', async () => {
      const bad = writeModel({});
      writeFileSync(bad, '{"modelTopology": ');
      await rejectsNaming(parseTfjs(bad), bad, /not valid JSON/);
      const other = writeModel({ name: 'my-package', version: '1.0.0' });
      await rejectsNaming(parseTfjs(other), other, /not a TF\.js model/);
    });

    it('a shard deleted after parsing fails the read with the shard named', async () => {
      const dir = path.join(folder, 'copied');
      mkdirSync(dir);
      const file = path.join(dir, 'model.json');
      copyFileSync(ABALONE, file);
      copyFileSync(path.join(path.dirname(ABALONE), 'weights.bin'), path.join(dir, 'weights.bin'));
      const model = await parseTfjs(file);
      rmSync(path.join(dir, 'weights.bin'));
      await rejectsNaming(model.readTensor('dense_Dense1/kernel'), file, /cannot read weight shard weights\.bin/);
    });
  });
});
