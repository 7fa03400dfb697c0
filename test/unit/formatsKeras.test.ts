/**
 * Keras files end to end: every real .h5/.hdf5/.keras fixture parses, its
 * parameter count equals the elements stored in the file (walked here with
 * h5wasm directly), values read back match, and the IR has the right
 * classes, nesting and edges. Synthetic files written here cover a nested
 * Keras 2 model with tied weights and split attributes, weights-only files
 * in both layouts, a plain HDF5 data file, and damaged input.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import h5wasm from 'h5wasm/node';
import { FormatError } from '../../src/formats/errors';
import { parseKerasH5 } from '../../src/formats/kerasH5';
import { parseKerasV3, snakeCase } from '../../src/formats/kerasV3';
import { openModel } from '../../src/formats/open';
import type { ParsedModel } from '../../src/formats/types';
import { ZipArchive } from '../../src/formats/zip';
import type { IRLayer } from '../../src/protocol/model';
import { realFixture } from './realFixtures';
import { rejectsNaming } from './formatAssertions';

const REAL = realFixture();
const H5_FIXTURES = readdirSync(path.join(REAL, 'keras_h5')).map((name) => path.join(REAL, 'keras_h5', name));
const KERAS3 = path.join(REAL, 'keras_v3', 'k341_stock_lstm.keras');

type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** Every dataset of an HDF5 file (skipping the named top-level groups), walked with h5wasm itself. */
function storedDatasets(file: string, skipTop: string[]): Map<string, { shape: number[]; values: ArrayLike<number> }> {
  const found = new Map<string, { shape: number[]; values: ArrayLike<number> }>();
  const h5 = new h5wasm.File(file, 'r');
  const walk = (group: H5Group, prefix: string) => {
    for (const key of group.keys()) {
      if (!prefix && skipTop.includes(key)) continue;
      const entity = group.get(key);
      const at = prefix ? `${prefix}/${key}` : key;
      if (entity instanceof h5wasm.Group) walk(entity, at);
      else if (entity instanceof h5wasm.Dataset) found.set(at, { shape: (entity as H5Dataset).shape ?? [], values: (entity as H5Dataset).value as ArrayLike<number> });
    }
  };
  try {
    walk(h5, '');
  } finally {
    h5.close();
  }
  return found;
}

function elements(shape: number[]): number {
  return shape.reduce((total, dim) => total * dim, 1);
}

function paramCount(model: ParsedModel): number {
  return model.weights.reduce((total, weight) => total + elements(weight.shape), 0);
}

function layer(model: ParsedModel, id: string): IRLayer {
  const found = model.model?.layers.find((candidate) => candidate.id === id);
  assert.ok(found, `no layer ${id} in ${model.model?.layers.map((l) => l.id).join(', ')}`);
  return found;
}

function edges(model: ParsedModel, id: string): string[][] {
  return layer(model, id).inboundNodes.map((node) => node.map((ref) => `${ref.layer}:${ref.node}:${ref.tensor}`));
}

/** A zip of stored members, as Keras writes .keras files. */
function storedZip(members: Array<[string, Buffer]>): Buffer {
  const crc32 = (data: Buffer) => {
    let crc = 0xffffffff;
    for (const byte of data) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    }
    return (crc ^ 0xffffffff) >>> 0;
  };
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of members) {
    const nameBytes = Buffer.from(name);
    const header = (size: number, signature: number) => {
      const out = Buffer.alloc(size);
      out.writeUInt32LE(signature, 0);
      return out;
    };
    const local = header(30, 0x04034b50);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = header(46, 0x02014b50);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The .keras parser's temporary folders inside `dir`. */
function kerasTempFolders(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('dlkit-keras-'));
}

describe('formats/keras', () => {
  let folder: string;

  before(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'dlkit-kerastest-'));
    await h5wasm.ready;
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  describe('every real .h5/.hdf5 fixture', () => {
    for (const file of H5_FIXTURES) {
      it(`${path.basename(file)}: parses, counts exactly the stored elements and reads stored values back`, async () => {
        const model = await openModel(file);
        try {
          const stored = storedDatasets(file, ['optimizer_weights']);
          const storedTotal = [...stored.values()].reduce((total, item) => total + elements(item.shape), 0);
          assert.ok(storedTotal > 0);
          assert.equal(paramCount(model), storedTotal);
          assert.equal(new Set(model.weights.map((weight) => weight.path)).size, model.weights.length);
          assert.equal(model.fileBytes, readFileSync(file).length);
          for (const weight of [model.weights[0]!, model.weights[model.weights.length - 1]!]) {
            const expected = stored.get(weight.path);
            assert.ok(expected, `${weight.path} is not a dataset of the file`);
            assert.deepEqual(Array.from(await model.readTensor(weight.path)), Array.from(expected.values));
          }
          if (model.model) {
            for (const weight of model.weights) assert.ok(layer(model, weight.layer).weightPaths.includes(weight.path), `${weight.path} not listed by ${weight.layer}`);
            assert.ok(model.kerasTopology);
          }
          await assert.rejects(model.readTensor('no/such/tensor'), /no tensor no\/such\/tensor/);
        } finally {
          model.close();
        }
      });
    }
  });

  it('Keras 2.0.8 functional LSTM: classes, edges, inputs and outputs', async () => {
    const model = await parseKerasH5(path.join(REAL, 'keras_h5', 'k2_0_8_functional_lstm.h5'));
    try {
      assert.equal(model.format, 'keras-h5');
      assert.equal(model.formatLabel, 'Keras HDF5, full model');
      assert.equal(model.producer, 'Keras 2.0.8 (tensorflow backend)');
      assert.equal(model.model?.className, 'Model');
      assert.deepEqual(model.model?.layers.map((l) => [l.id, l.className, l.depth]), [
        ['inputLayer_1', 'InputLayer', 0],
        ['lstm', 'LSTM', 0],
        ['outputLayer_a', 'Dense', 0],
      ]);
      assert.deepEqual(edges(model, 'lstm'), [['inputLayer_1:0:0']]);
      assert.deepEqual(edges(model, 'outputLayer_a'), [['lstm:0:0']]);
      assert.deepEqual(model.model?.inputs, [{ layer: 'inputLayer_1', node: 0, tensor: 0 }]);
      assert.deepEqual(model.model?.outputs, [{ layer: 'outputLayer_a', node: 0, tensor: 0 }]);
      assert.deepEqual(layer(model, 'lstm').weightPaths, [
        'model_weights/lstm/lstm/kernel:0',
        'model_weights/lstm/lstm/recurrent_kernel:0',
        'model_weights/lstm/lstm/bias:0',
      ]);
    } finally {
      model.close();
    }
  });

  it("Keras 2.11 'Functional' with Attention: multi-input edges, optimizer state left out", async () => {
    const model = await parseKerasH5(path.join(REAL, 'keras_h5', 'tfk2110_attention.h5'));
    try {
      assert.equal(model.model?.className, 'Functional');
      assert.equal(layer(model, 'attention').className, 'Attention');
      assert.deepEqual(edges(model, 'attention'), [['dense:0:0', 'dense:0:0']]);
      assert.deepEqual(edges(model, 'concatenate'), [['dense:0:0', 'attention:0:0']]);
      assert.equal(paramCount(model), 22 * 32 + 32 + 64 * 32 + 32 + 32 + 1);
      assert.ok(model.warnings.some((warning) => /optimizer_weights/.test(warning)));
      const topology = JSON.stringify(model.kerasTopology);
      assert.doesNotMatch(topology, /training_config|optimizer/);
    } finally {
      model.close();
    }
  });

  it('Keras 1.2.2: Convolution2D keys and names become Keras 2 ones, W/b become kernel/bias', async () => {
    const model = await parseKerasH5(path.join(REAL, 'keras_h5', 'k1_tf_conv2d_reshape.h5'));
    try {
      assert.equal(model.producer, 'Keras 1.2.2');
      assert.deepEqual(model.model?.layers.map((l) => l.className), ['Conv2D', 'Reshape', 'Conv2D', 'Flatten', 'Dense']);
      const conv = layer(model, 'convolution2d_1').config;
      assert.equal(conv.filters, 6);
      assert.deepEqual(conv.kernel_size, [3, 2]);
      assert.equal(conv.padding, 'valid');
      assert.deepEqual(conv.strides, [1, 1]);
      assert.equal(conv.data_format, 'channels_last');
      assert.equal(conv.use_bias, true);
      assert.equal(conv.kernel_initializer, 'glorot_uniform');
      assert.equal(conv.dtype, 'float32');
      assert.deepEqual(conv.batch_input_shape, [null, 5, 5, 5]);
      for (const gone of ['nb_filter', 'nb_row', 'border_mode', 'subsample', 'dim_ordering', 'init', 'bias', 'input_dtype']) assert.ok(!(gone in conv), gone);
      assert.equal(layer(model, 'dense_1').config.units, 12);
      assert.deepEqual(model.weights.map((w) => w.name), ['kernel', 'bias', 'kernel', 'bias', 'kernel', 'bias']);
      assert.deepEqual(edges(model, 'reshape_1'), [['convolution2d_1:0:0']]);
      assert.deepEqual(edges(model, 'convolution2d_1'), []);
      assert.ok(model.warnings.some((warning) => /Convolution2D → Conv2D/.test(warning)));
      const topology = model.kerasTopology as { class_name: string; config: { layers: Array<{ class_name: string }> } };
      assert.equal(topology.class_name, 'Sequential');
      assert.deepEqual(topology.config.layers.map((l) => l.class_name), ['Conv2D', 'Reshape', 'Conv2D', 'Flatten', 'Dense']);
    } finally {
      model.close();
    }
  });

  it('Keras 2.1.3 Sequential: edges from the previous layer, batch-norm statistics not trainable', async () => {
    const model = await parseKerasH5(path.join(REAL, 'keras_h5', 'k2_1_3_cnn_batchnorm.h5'));
    try {
      assert.equal(model.producer, 'Keras 2.1.3 (tensorflow backend)');
      assert.deepEqual(model.model?.inputs, []);
      assert.deepEqual(edges(model, 'batch_normalization_1'), [['conv2d_1:0:0']]);
      const bn = layer(model, 'batch_normalization_1');
      assert.deepEqual(
        bn.weightPaths.map((p) => model.weights.find((w) => w.path === p)).map((w) => [w?.name, w?.trainable]),
        [['gamma', true], ['beta', true], ['moving_mean', false], ['moving_variance', false]],
      );
    } finally {
      model.close();
    }
  });

  it('weights-only file: listed per layer, with the "not in this file" warning', async () => {
    const model = await openModel(path.join(REAL, 'keras_h5', 'WEIGHTS_k2_0_8_3layer_bn_weights.h5'));
    try {
      assert.equal(model.format, 'keras-h5-weights');
      assert.equal(model.formatLabel, 'Keras HDF5, weights only');
      assert.equal(model.model, undefined);
      assert.equal(model.kerasTopology, undefined);
      assert.ok(model.warnings.some((warning) => /architecture is not in this file/.test(warning)));
      assert.deepEqual([...new Set(model.weights.map((w) => w.layer))], ['fc1_relu', 'bn1', 'fc2_relu', 'bn2', 'fc3_relu', 'bn3', 'output_softmax', 'bn4']);
      assert.deepEqual(model.weights.filter((w) => !w.trainable).map((w) => w.name), Array(8).fill(0).map((_, i) => (i % 2 ? 'moving_variance' : 'moving_mean')));
    } finally {
      model.close();
    }
  });

  it('a nested Keras 2 model: inner layers get their weights, tied weights count once, split layer_names join', async () => {
    const file = path.join(folder, 'nested.h5');
    const dense = (name: string, units: number) => ({ class_name: 'Dense', config: { name, units, activation: 'relu', use_bias: true, trainable: true } });
    const config = {
      class_name: 'Functional',
      config: {
        name: 'autoencoder',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'input_1' }, name: 'input_1', inbound_nodes: [] },
          {
            class_name: 'Sequential',
            config: {
              name: 'encoder',
              trainable: false,
              layers: [
                { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'dense_input' } },
                dense('dense', 3),
                { class_name: 'BatchNormalizationV2', config: { name: 'bn', axis: -1 } },
              ],
            },
            name: 'encoder',
            inbound_nodes: [[['input_1', 0, 0, {}]]],
          },
          { ...dense('head', 2), name: 'head', inbound_nodes: [[['encoder', 1, 0, {}]]] },
        ],
        input_layers: [['input_1', 0, 0]],
        output_layers: [['head', 0, 0]],
      },
    };
    const writer = new h5wasm.File(file, 'w');
    writer.create_attribute('model_config', JSON.stringify(config));
    writer.create_attribute('keras_version', '2.15.0');
    writer.create_attribute('backend', 'tensorflow');
    const weights = writer.create_group('model_weights');
    weights.create_attribute('layer_names0', ['input_1', 'encoder'], [2], 'A10');
    weights.create_attribute('layer_names1', ['head'], [1], 'A10');
    const write = (group: H5Group, names: Array<[string, number[]]>) => {
      group.create_attribute('weight_names', names.map(([name]) => name), [names.length], 'A40');
      for (const [name, shape] of names) {
        // Like h5py, make the groups a scoped name implies.
        const [scope, leaf] = name.split('/') as [string, string];
        const parent = (group.get(scope) as H5Group | null) ?? group.create_group(scope);
        parent.create_dataset({ name: leaf, data: new Float32Array(elements(shape)).map((_, i) => i + shape.length / 10), shape, dtype: '<f4' });
      }
    };
    // Keras writes an empty float64 array for a layer without weights.
    weights.create_group('input_1').create_attribute('weight_names', new Float64Array(0), [0], '<f8');
    write(weights.create_group('encoder'), [
      ['dense/kernel:0', [4, 3]],
      ['dense/bias:0', [3]],
      ['bn/gamma:0', [3]],
      ['bn/beta:0', [3]],
      ['bn/moving_mean:0', [3]],
      ['bn/moving_variance:0', [3]],
    ]);
    write(weights.create_group('head'), [
      ['head/kernel:0', [3, 2]],
      ['head/bias:0', [2]],
      ['dense/kernel:0', [4, 3]],
    ]);
    writer.close();

    const model = await openModel(file);
    try {
      assert.deepEqual(model.model?.layers.map((l) => [l.id, l.className, l.depth, l.parent ?? '', l.isModel]), [
        ['input_1', 'InputLayer', 0, '', false],
        ['encoder', 'Sequential', 0, '', true],
        ['encoder/dense_input', 'InputLayer', 1, 'encoder', false],
        ['encoder/dense', 'Dense', 1, 'encoder', false],
        ['encoder/bn', 'BatchNormalization', 1, 'encoder', false],
        ['head', 'Dense', 0, '', false],
      ]);
      assert.deepEqual(edges(model, 'encoder'), [['input_1:0:0']]);
      assert.deepEqual(edges(model, 'head'), [['encoder:1:0']]);
      assert.deepEqual(edges(model, 'encoder/dense'), [['encoder/dense_input:0:0']]);
      assert.deepEqual(layer(model, 'encoder').inputs, [{ layer: 'encoder/dense_input', node: 0, tensor: 0 }]);
      assert.deepEqual(layer(model, 'encoder').outputs, [{ layer: 'encoder/bn', node: 0, tensor: 0 }]);
      assert.deepEqual(layer(model, 'encoder/dense').weightPaths, ['model_weights/encoder/dense/kernel:0', 'model_weights/encoder/dense/bias:0']);
      assert.equal(layer(model, 'encoder/bn').weightPaths.length, 4);
      // The whole encoder is frozen: none of its weights train.
      assert.ok(model.weights.filter((w) => w.layer.startsWith('encoder/')).every((w) => !w.trainable));
      assert.ok(model.weights.filter((w) => w.layer === 'head').every((w) => w.trainable));
      // head lists encoder's dense/kernel:0 too: one tensor, shared.
      const kernel = model.weights.find((w) => w.path === 'model_weights/encoder/dense/kernel:0');
      assert.deepEqual(kernel?.sharedWith, ['head']);
      assert.ok(!model.weights.some((w) => w.path === 'model_weights/head/dense/kernel:0'));
      assert.deepEqual(layer(model, 'head').weightPaths, ['model_weights/head/head/kernel:0', 'model_weights/head/head/bias:0', 'model_weights/encoder/dense/kernel:0']);
      assert.equal(paramCount(model), 12 + 3 + 4 * 3 + 6 + 2);
      assert.deepEqual(Array.from(await model.readTensor('model_weights/head/head/bias:0')), [0.1, 1.1].map(Math.fround));
      assert.ok(model.warnings.some((warning) => /BatchNormalizationV2 → BatchNormalization/.test(warning)));
    } finally {
      model.close();
    }
  });

  it('a .h5 written by Keras 3: Keras 3 configs in model_config, weight names without ":0"', async () => {
    const file = path.join(folder, 'keras3.h5');
    const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    const config = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        trainable: true,
        dtype: policy,
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 3], dtype: 'float32', sparse: false, name: 'input_layer' }, registered_name: null },
          { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', trainable: true, dtype: policy, units: 2 }, registered_name: null, build_config: { input_shape: [null, 3] } },
        ],
      },
    };
    const writer = new h5wasm.File(file, 'w');
    writer.create_attribute('model_config', JSON.stringify(config));
    writer.create_attribute('keras_version', '3.4.1');
    writer.create_attribute('backend', 'jax');
    const weights = writer.create_group('model_weights');
    weights.create_attribute('layer_names', ['input_layer', 'dense'], [2], 'A12');
    weights.create_group('input_layer').create_attribute('weight_names', new Float64Array(0), [0], '<f8');
    const dense = weights.create_group('dense');
    dense.create_attribute('weight_names', ['sequential/dense/kernel', 'sequential/dense/bias'], [2], 'A30');
    const scoped = dense.create_group('sequential').create_group('dense');
    scoped.create_dataset({ name: 'kernel', data: new Float32Array(6).fill(0.5), shape: [3, 2], dtype: '<f4' });
    scoped.create_dataset({ name: 'bias', data: new Float32Array([1, 2]), shape: [2], dtype: '<f4' });
    writer.close();
    const model = await openModel(file);
    try {
      assert.equal(model.producer, 'Keras 3.4.1 (jax backend)');
      assert.deepEqual(layer(model, 'input_layer').config.batch_input_shape, [null, 3]);
      assert.equal(layer(model, 'dense').config.dtype, 'float32');
      assert.deepEqual(model.weights.map((w) => [w.path, w.layer, w.name]), [
        ['model_weights/dense/sequential/dense/kernel', 'dense', 'kernel'],
        ['model_weights/dense/sequential/dense/bias', 'dense', 'bias'],
      ]);
      assert.deepEqual(Array.from(await model.readTensor('model_weights/dense/sequential/dense/bias')), [1, 2]);
    } finally {
      model.close();
    }
  });

  it('a Keras 3 weights-only .weights.h5: the Keras 3 layout, listed per layer', async () => {
    const file = path.join(folder, 'model.weights.h5');
    const writer = new h5wasm.File(file, 'w');
    writer.create_group('vars');
    const layers = writer.create_group('layers');
    for (const [name, shapes] of [['dense', [[4, 2], [2]]], ['dense_1', [[2, 1], [1]]]] as Array<[string, number[][]]>) {
      const vars = layers.create_group(name).create_group('vars');
      shapes.forEach((shape, i) => vars.create_dataset({ name: String(i), data: new Float32Array(elements(shape)), shape, dtype: '<f4' }));
    }
    writer.close();
    const model = await openModel(file);
    try {
      assert.equal(model.format, 'keras-h5-weights');
      assert.deepEqual(model.weights.map((w) => [w.path, w.layer, w.name]), [
        ['layers/dense/vars/0', 'dense', 'vars/0'],
        ['layers/dense/vars/1', 'dense', 'vars/1'],
        ['layers/dense_1/vars/0', 'dense_1', 'vars/0'],
        ['layers/dense_1/vars/1', 'dense_1', 'vars/1'],
      ]);
      assert.equal(paramCount(model), 8 + 2 + 2 + 1);
    } finally {
      model.close();
    }
  });

  it('an HDF5 file that is not Keras: its groups and datasets, bounded, with a warning', async () => {
    const file = path.join(folder, 'data.h5');
    const writer = new h5wasm.File(file, 'w');
    writer.create_dataset({ name: 'images', data: new Uint8Array(2 * 3 * 4), shape: [2, 3, 4], dtype: '<B' });
    const labels = writer.create_group('labels');
    labels.create_dataset({ name: 'train', data: new Int32Array([1, 2, 3]), shape: [3], dtype: '<i4' });
    const many = writer.create_group('many');
    for (let i = 0; i < 1005; i++) many.create_group(`g${i}`);
    writer.close();
    const model = await openModel(file);
    try {
      assert.equal(model.format, 'hdf5-data');
      assert.equal(model.formatLabel, 'HDF5 data file (not a Keras model)');
      assert.equal(model.framework, 'hdf5');
      assert.deepEqual(model.weights, []);
      assert.equal(model.contents?.length, 1000);
      assert.deepEqual(model.contents?.slice(0, 4), [
        { path: 'images', kind: 'dataset', shape: [2, 3, 4], dtype: 'uint8' },
        { path: 'labels', kind: 'group' },
        { path: 'many', kind: 'group' },
        { path: 'labels/train', kind: 'dataset', shape: [3], dtype: 'int32' },
      ]);
      assert.ok(model.warnings.some((warning) => /This HDF5 file is not a Keras model/.test(warning)));
      assert.ok(model.warnings.some((warning) => /first 1000/.test(warning)));
      assert.deepEqual(Array.from(await model.readTensor('labels/train')), [1, 2, 3]);
    } finally {
      model.close();
    }
  });

  describe('Keras 3 .keras', () => {
    // The parser extracts model.weights.h5 under os.tmpdir(): point that at a private folder to watch it.
    let privateTemp: string;
    let savedTmpdir: string | undefined;
    beforeEach(() => {
      privateTemp = mkdtempSync(path.join(folder, 'tmp-'));
      savedTmpdir = process.env.TMPDIR;
      process.env.TMPDIR = privateTemp;
    });
    afterEach(() => {
      if (savedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmpdir;
    });

    it('k341_stock_lstm.keras: Sequential LSTM, weights from layers/<class>/cell/vars, topology TF.js can take', async () => {
      const model = await parseKerasV3(KERAS3);
      try {
        assert.equal(kerasTempFolders(privateTemp).length, 1);
        assert.equal(model.format, 'keras-v3');
        assert.equal(model.formatLabel, 'Keras 3 .keras archive');
        assert.equal(model.producer, 'Keras 3.4.1');
        assert.deepEqual(model.model?.layers.map((l) => l.className), ['InputLayer', 'LSTM', 'Dropout', 'LSTM', 'Dense']);
        assert.deepEqual(layer(model, 'input_layer').config.batch_input_shape, [null, 10, 6]);
        assert.equal(layer(model, 'lstm').config.dtype, 'float32');
        assert.deepEqual(edges(model, 'lstm'), [['input_layer:0:0']]);
        assert.deepEqual(model.weights.map((w) => [w.path, w.layer, w.name]), [
          ['layers/lstm/cell/vars/0', 'lstm', 'kernel'],
          ['layers/lstm/cell/vars/1', 'lstm', 'recurrent_kernel'],
          ['layers/lstm/cell/vars/2', 'lstm', 'bias'],
          ['layers/lstm_1/cell/vars/0', 'lstm_1', 'kernel'],
          ['layers/lstm_1/cell/vars/1', 'lstm_1', 'recurrent_kernel'],
          ['layers/lstm_1/cell/vars/2', 'lstm_1', 'bias'],
          ['layers/dense/vars/0', 'dense', 'kernel'],
          ['layers/dense/vars/1', 'dense', 'bias'],
        ]);
        // Independently: extract the member and walk it, skipping the optimizer state.
        const zip = await ZipArchive.open(KERAS3);
        const extracted = path.join(folder, 'k3.weights.h5');
        await zip.extract(zip.entry('model.weights.h5')!, extracted);
        await zip.close();
        const stored = storedDatasets(extracted, ['optimizer']);
        assert.equal(paramCount(model), [...stored.values()].reduce((total, item) => total + elements(item.shape), 0));
        assert.equal(paramCount(model), 85105);
        const bias = await model.readTensor('layers/dense/vars/1');
        assert.deepEqual(Array.from(bias), Array.from(stored.get('layers/dense/vars/1')!.values));
        const topology = JSON.stringify(model.kerasTopology);
        assert.doesNotMatch(topology, /"module"|registered_name|build_config|compile_config|shared_object_id|DTypePolicy|batch_shape/);
        assert.match(topology, /"batch_input_shape":\[null,10,6\]/);
      } finally {
        model.close();
      }
      assert.deepEqual(kerasTempFolders(privateTemp), [], 'close() removes the extracted weights');
      await assert.rejects(model.readTensor('layers/dense/vars/1'), FormatError);
    });

    it('a Keras 3 functional model nesting a Sequential: Keras 3 paths and `vars` names map weights to layers', async () => {
      const keras3 = (className: string, name: string, config: Record<string, unknown>, inbound: string[]) => ({
        module: 'keras.layers',
        class_name: className,
        config: { name, trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }, ...config },
        registered_name: null,
        name,
        inbound_nodes: inbound.map((source) => ({ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [source, 0, 0] } }], kwargs: {} })),
      });
      const config = {
        module: 'keras.src.models.functional',
        class_name: 'Functional',
        config: {
          name: 'functional',
          trainable: true,
          layers: [
            { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', name: 'in' }, registered_name: null, name: 'in', inbound_nodes: [] },
            keras3('Dense', 'a', { units: 3 }, ['in']),
            {
              module: 'keras.src.models.sequential',
              class_name: 'Sequential',
              config: {
                name: 'seq',
                trainable: true,
                layers: [
                  { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 3], dtype: 'float32', name: 'seq_in' }, registered_name: null },
                  { module: 'keras.layers', class_name: 'Dense', config: { name: 'b', units: 2 }, registered_name: null },
                  { module: 'keras.layers', class_name: 'BatchNormalization', config: { name: 'bn', center: false }, registered_name: null },
                ],
              },
              registered_name: null,
              name: 'seq',
              inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 3], dtype: 'float32', keras_history: ['a', 0, 0] } }], kwargs: {} }],
            },
            keras3('Dense', 'c', { units: 1, use_bias: false }, ['seq']),
          ],
          input_layers: [['in', 0, 0]],
          output_layers: [['c', 0, 0]],
        },
      };
      const weightsFile = path.join(folder, 'functional.weights.h5');
      const writer = new h5wasm.File(weightsFile, 'w');
      writer.create_group('vars');
      const vars = (groupPath: string, shapes: number[][], name?: string) => {
        let group: H5Group = writer;
        for (const part of groupPath.split('/')) group = (group.get(part) as H5Group | null) ?? group.create_group(part);
        const target = group.create_group('vars');
        if (name) target.create_attribute('name', name);
        shapes.forEach((shape, i) => target.create_dataset({ name: String(i), data: new Float32Array(elements(shape)).fill(i + 1), shape, dtype: '<f4' }));
      };
      // Functional lists count the InputLayer; Sequential lists do not.
      vars('layers/input_layer', []);
      // Keras >= 3.6 names each layer on its vars group: here the class-numbered paths are swapped on purpose.
      vars('layers/dense', [[3, 1]], 'c');
      vars('layers/dense_1', [[4, 3], [3]], 'a');
      vars('layers/sequential/layers/dense', [[3, 2], [2]]);
      vars('layers/sequential/layers/batch_normalization', [[2], [2], [2]]);
      vars('optimizer', [[1]]);
      writer.close();
      const file = path.join(folder, 'functional.keras');
      writeFileSync(
        file,
        storedZip([
          ['metadata.json', Buffer.from(JSON.stringify({ keras_version: '3.6.0', date_saved: '2025-01-01@00:00:00' }))],
          ['config.json', Buffer.from(JSON.stringify(config))],
          ['model.weights.h5', readFileSync(weightsFile)],
        ]),
      );
      const model = await openModel(file);
      try {
        assert.equal(model.producer, 'Keras 3.6.0');
        assert.deepEqual(model.model?.layers.map((l) => l.id), ['in', 'a', 'seq', 'seq/seq_in', 'seq/b', 'seq/bn', 'c']);
        assert.deepEqual(edges(model, 'seq'), [['a:0:0']]);
        assert.deepEqual(model.weights.map((w) => [w.path, w.layer, w.name, w.trainable]), [
          ['layers/dense_1/vars/0', 'a', 'kernel', true],
          ['layers/dense_1/vars/1', 'a', 'bias', true],
          ['layers/sequential/layers/dense/vars/0', 'seq/b', 'kernel', true],
          ['layers/sequential/layers/dense/vars/1', 'seq/b', 'bias', true],
          ['layers/sequential/layers/batch_normalization/vars/0', 'seq/bn', 'gamma', true],
          ['layers/sequential/layers/batch_normalization/vars/1', 'seq/bn', 'moving_mean', false],
          ['layers/sequential/layers/batch_normalization/vars/2', 'seq/bn', 'moving_variance', false],
          ['layers/dense/vars/0', 'c', 'kernel', true],
        ]);
        assert.deepEqual(layer(model, 'c').weightPaths, ['layers/dense/vars/0']);
        assert.deepEqual(Array.from(await model.readTensor('layers/dense_1/vars/1')), [2, 2, 2]);
      } finally {
        model.close();
      }
    });

    it('Keras class names snake-case the way Keras does', () => {
      assert.deepEqual(
        ['Dense', 'LSTM', 'Conv2DTranspose', 'BatchNormalization', 'GlobalAveragePooling2D', 'InputLayer', 'MultiHeadAttention'].map(snakeCase),
        ['dense', 'lstm', 'conv2d_transpose', 'batch_normalization', 'global_average_pooling2d', 'input_layer', 'multi_head_attention'],
      );
    });

    it('a .keras whose config.json or model.weights.h5 is corrupt fails naming the file, leaving no temporary files', async () => {
      const bytes = readFileSync(KERAS3);
      const configAt = bytes.indexOf('{"module"');
      assert.ok(configAt > 0);
      const badConfig = Buffer.from(bytes);
      badConfig.writeUInt8(badConfig.readUInt8(configAt + 20) ^ 0x20, configAt + 20);
      const configFile = path.join(folder, 'bad_config.keras');
      writeFileSync(configFile, badConfig);
      await rejectsNaming(openModel(configFile), configFile, /member config\.json is corrupt \(CRC mismatch\)/);
      const badWeights = Buffer.from(bytes);
      const hdf5At = bytes.indexOf(Buffer.from([0x89, 0x48, 0x44, 0x46]));
      badWeights.writeUInt8(badWeights.readUInt8(hdf5At + 500_000) ^ 0xff, hdf5At + 500_000);
      const weightsFile = path.join(folder, 'bad_weights.keras');
      writeFileSync(weightsFile, badWeights);
      await rejectsNaming(openModel(weightsFile), weightsFile, /member model\.weights\.h5 is corrupt \(CRC mismatch\)/);
      assert.deepEqual(kerasTempFolders(privateTemp), []);
    });

    it('a zip that is not a .keras says so', async () => {
      const file = path.join(folder, 'model.keras');
      writeFileSync(file, storedZip([['notes/readme.txt', Buffer.from('not a model')]]));
      await rejectsNaming(openModel(file), file, /a zip archive but not a Keras \.keras model: it has no config\.json/);
    });

    it('a PyTorch zip named .keras opens as what it is', async () => {
      const file = path.join(folder, 'renamed.keras');
      copyFileSync(path.join(REAL, 'pytorch', 'zip_state_dict_cifar_cuda.pth'), file);
      const parsed = await openModel(file);
      try {
        assert.equal(parsed.format, 'pytorch');
      } finally {
        parsed.close();
      }
    });
  });

  describe('damaged or foreign .h5 files', () => {
    it('a truncated .h5 is reported as truncated', async () => {
      const file = path.join(folder, 'cut.h5');
      copyFileSync(path.join(REAL, 'keras_h5', 'tfk2110_attention.h5'), file);
      truncateSync(file, 20_000);
      await rejectsNaming(openModel(file), file, /truncated: the HDF5 superblock says the file is 33088 bytes/);
    });

    it('random bytes named .h5 are not an HDF5 file', async () => {
      const file = path.join(folder, 'random.h5');
      writeFileSync(file, Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7919 + 13) % 256)));
      await rejectsNaming(openModel(file), file, /not an HDF5 file/);
    });

    it('a model_config that is not JSON names the file and the attribute', async () => {
      const file = path.join(folder, 'badjson.h5');
      const writer = new h5wasm.File(file, 'w');
      writer.create_attribute('model_config', '{"class_name": "Sequential", "config": [');
      writer.close();
      await rejectsNaming(openModel(file), file, /model_config is not valid JSON/);
      assert.ok(existsSync(file));
    });
  });
});
