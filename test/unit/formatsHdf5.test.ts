/**
 * src/formats/hdf5.ts against HDF5 files this test writes with h5wasm itself
 * (strings of every kind, split attributes, bfloat16, compression; h5wasm
 * cannot write float16, so half floats are checked at the decoding level)
 * and against damaged files: no signature, truncated, corrupt structure.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import h5wasm from 'h5wasm/node';
import { FormatError } from '../../src/formats/errors';
import { Hdf5File, isHdf5File } from '../../src/formats/hdf5';
import { decodeBfloat16, decodeFloat16 } from '../../src/formats/tensorData';
import { realFixture } from './realFixtures';
import { rejectsNaming } from './formatAssertions';

const FIXTURE = realFixture('keras_h5', 'k2_1_3_cnn_batchnorm.h5');

describe('formats/hdf5', () => {
  let folder: string;
  let sample: string;
  const bfloatValues = [1.5, -3.25, 65536, 0.125];

  before(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'dlkit-hdf5-'));
    sample = path.join(folder, 'sample.h5');
    await h5wasm.ready;
    const file = new h5wasm.File(sample, 'w');
    file.create_attribute('vlen_utf8', 'dense_ünïcode');
    file.create_attribute('fixed_list', ['conv2d_1', 'bn'], [2], 'A12');
    file.create_attribute('names0', ['a', 'b'], [2], 'A4');
    file.create_attribute('names1', ['c'], [1], 'A4');
    file.create_attribute('numbers', [1, 2, 3], [3], '<i4');
    file.create_attribute('scale', 0.25, [], '<f8');
    const group = file.create_group('weights');
    group.create_dataset({ name: 'kernel:0', data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3], dtype: '<f4' });
    group.create_dataset({ name: 'steps', data: new Int32Array([7, -8]), shape: [2], dtype: '<i4' });
    group.create_dataset({ name: 'mask', data: new Uint8Array([1, 0, 1]), shape: [3], dtype: '<B' });
    group.create_dataset({ name: 'wide', data: new Float64Array([0.5, 1e6]), shape: [2], dtype: '<f8' });
    const packed = new Float32Array(4096).map((_, i) => i % 7);
    group.create_dataset({ name: 'packed', data: packed, shape: [64, 64], dtype: '<f4', chunks: [16, 16], compression: 'gzip' });
    const bf = group.create_dataset({
      name: 'bf16',
      data: new Uint16Array(new Uint32Array(new Float32Array(bfloatValues).buffer).map((bits) => bits >>> 16)),
      shape: [4],
      dtype: '<H',
    });
    bf.create_attribute('dtype', 'bfloat16');
    file.close();
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  it('decodes variable-length UTF-8, fixed-length NUL-padded strings, split attributes and numbers', async () => {
    const h5 = await Hdf5File.open(sample);
    try {
      assert.equal(h5.stringAttr('', 'vlen_utf8'), 'dense_ünïcode');
      assert.deepEqual(h5.attr('', 'fixed_list'), ['conv2d_1', 'bn']);
      assert.deepEqual(h5.stringListAttr('', 'names'), ['a', 'b', 'c']);
      assert.deepEqual(h5.stringListAttr('', 'fixed_list'), ['conv2d_1', 'bn']);
      assert.equal(h5.stringListAttr('', 'absent'), undefined);
      assert.deepEqual(h5.attr('', 'numbers'), [1, 2, 3]);
      assert.equal(h5.attr('', 'scale'), 0.25);
      assert.equal(h5.attr('', 'absent'), undefined);
    } finally {
      h5.close();
    }
  });

  it('lists children and tells groups, datasets and missing paths apart', async () => {
    const h5 = await Hdf5File.open(sample);
    try {
      assert.deepEqual(h5.children(''), [{ name: 'weights', kind: 'group' }]);
      assert.deepEqual(
        h5.children('weights').map((child) => child.name),
        ['bf16', 'kernel:0', 'mask', 'packed', 'steps', 'wide'],
      );
      assert.equal(h5.kind('weights/kernel:0'), 'dataset');
      assert.equal(h5.kind('weights/nothing'), 'missing');
      assert.equal(h5.kind('weights/kernel:0/below'), 'missing');
    } finally {
      h5.close();
    }
  });

  it('gives shapes and dtypes without reading, and reads values as typed arrays', async () => {
    const h5 = await Hdf5File.open(sample);
    try {
      assert.deepEqual(h5.dataset('weights/kernel:0'), { path: 'weights/kernel:0', shape: [2, 3], dtype: 'float32', itemBytes: 4, elements: 6 });
      assert.equal(h5.dataset('weights/bf16').dtype, 'bfloat16');
      assert.equal(h5.dataset('weights/steps').dtype, 'int32');
      assert.deepEqual(Array.from(h5.readDataset('weights/kernel:0')), [1, 2, 3, 4, 5, 6]);
      assert.ok(h5.readDataset('weights/kernel:0') instanceof Float32Array);
      const bf = h5.readDataset('weights/bf16');
      assert.ok(bf instanceof Float32Array);
      assert.deepEqual(Array.from(bf), bfloatValues);
      const steps = h5.readDataset('weights/steps');
      assert.ok(steps instanceof Int32Array);
      assert.deepEqual(Array.from(steps), [7, -8]);
      const mask = h5.readDataset('weights/mask');
      assert.ok(mask instanceof Uint8Array);
      assert.deepEqual(Array.from(mask), [1, 0, 1]);
      assert.deepEqual(Array.from(h5.readDataset('weights/wide')), [0.5, 1e6]);
      const packed = h5.readDataset('weights/packed');
      assert.equal(packed.length, 4096);
      assert.equal(packed[4095], 4095 % 7);
    } finally {
      h5.close();
    }
  });

  it('decodes float16 and bfloat16 bit patterns, including signs, infinities and subnormals', () => {
    const half = decodeFloat16(new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001, 0x7e00]).buffer));
    assert.deepEqual(Array.from(half.slice(0, 4)), [1, -2, Infinity, 2 ** -24]);
    assert.ok(Number.isNaN(half[4]));
    assert.deepEqual(Array.from(decodeBfloat16(new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer))), [1, -3]);
  });

  it('reads a real Keras file: fixed-length layer names and float32 weights', async () => {
    const h5 = await Hdf5File.open(FIXTURE);
    try {
      assert.equal(h5.stringAttr('', 'keras_version'), '2.1.3');
      assert.deepEqual(h5.stringListAttr('model_weights', 'layer_names')?.slice(0, 2), ['conv2d_1', 'batch_normalization_1']);
      assert.deepEqual(h5.stringListAttr('model_weights/activation_1', 'weight_names'), []);
      const bias = h5.readDataset('model_weights/dense_1/dense_1/bias:0');
      assert.equal(bias.length, 1);
    } finally {
      h5.close();
    }
  });

  it('refuses a file without the HDF5 signature, naming the file', async () => {
    const file = path.join(folder, 'random.h5');
    writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)));
    assert.equal(await isHdf5File(file), false);
    assert.equal(await isHdf5File(sample), true);
    await rejectsNaming(Hdf5File.open(file), file, /not an HDF5 file/);
  });

  it('reports a truncated file by comparing the superblock end address with the real size', async () => {
    const file = path.join(folder, 'cut.h5');
    copyFileSync(FIXTURE, file);
    truncateSync(file, 12_000);
    await rejectsNaming(Hdf5File.open(file), file, /truncated: the HDF5 superblock says the file is 22584 bytes .* but the file has 12000/);
    truncateSync(file, 20);
    await rejectsNaming(Hdf5File.open(file), file, /truncated/);
  });

  it('turns HDF5 library failures on a corrupt structure into FormatErrors', async () => {
    const file = path.join(folder, 'corrupt.h5');
    const bytes = readFileSync(FIXTURE);
    // Keep the superblock, scramble everything after it.
    for (let i = 96; i < bytes.length; i++) bytes[i] = (bytes[i]! * 31 + i) & 0xff;
    writeFileSync(file, bytes);
    await rejectsNaming(Hdf5File.open(file), file, /cannot read the HDF5 structure/);
  });

  it('refuses to read a dataset whose declared size the file cannot hold, and reads nothing after close', async () => {
    const file = path.join(folder, 'huge.h5');
    await h5wasm.ready;
    const writer = new h5wasm.File(file, 'w');
    // A chunked dataset may declare any extent; nothing of it needs to be written.
    writer.create_dataset({ name: 'huge', data: new Float32Array(16), shape: [16], maxshape: [null], chunks: [16], dtype: '<f4' });
    (writer.get('huge') as InstanceType<typeof h5wasm.Dataset>).resize([400_000_000]);
    writer.close();
    const h5 = await Hdf5File.open(file);
    assert.deepEqual(h5.dataset('huge').shape, [400_000_000]);
    assert.throws(() => h5.readDataset('huge'), (error: unknown) => error instanceof FormatError && /needs 1\.5 GB, more than a .* file can hold/.test(error.message));
    h5.close();
    assert.throws(() => h5.attrNames(''), (error: unknown) => error instanceof FormatError && /closed/.test(error.message));
  });
});
