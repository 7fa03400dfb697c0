/**
 * openModel picks the parser by content first (HDF5 signature, zip
 * signature, JSON), by extension second, and says clearly when a file is
 * none of the formats it reads.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openModel } from '../../src/formats/open';
import { realFixture } from './realFixtures';
import { rejectsNaming } from './formatAssertions';

const REAL = realFixture();

describe('formats/open', () => {
  let folder: string;

  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'dlkit-open-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  function copy(source: string, name: string): string {
    const target = path.join(folder, name);
    copyFileSync(source, target);
    return target;
  }

  it('recognises renamed files by their content', async () => {
    const cases: Array<[string, string, string]> = [
      [path.join(REAL, 'keras_h5', 'k2_1_3_cnn_batchnorm.h5'), 'checkpoint.bin', 'keras-h5'],
      [path.join(REAL, 'keras_v3', 'k341_stock_lstm.keras'), 'archive.zip', 'keras-v3'],
      [path.join(REAL, 'keras_h5', 'WEIGHTS_k2_0_8_3layer_bn_weights.h5'), 'weights', 'keras-h5-weights'],
    ];
    for (const [source, name, format] of cases) {
      const model = await openModel(copy(source, name));
      assert.equal(model.format, format, name);
      model.close();
    }
    const dir = path.join(folder, 'web');
    mkdirSync(dir);
    copyFileSync(path.join(REAL, 'tfjs_layers', 'tfjsnode132_abalone_mlp', 'weights.bin'), path.join(dir, 'weights.bin'));
    const json = path.join(dir, 'model.txt');
    copyFileSync(path.join(REAL, 'tfjs_layers', 'tfjsnode132_abalone_mlp', 'model.json'), json);
    const tfjs = await openModel(json);
    assert.equal(tfjs.format, 'tfjs-layers');
    tfjs.close();
  });

  it('an HDF5 file behind a 512-byte user block is found and read', async () => {
    const file = path.join(folder, 'userblock.h5');
    writeFileSync(file, Buffer.concat([Buffer.alloc(512, 0x20), readFileSync(path.join(REAL, 'keras_h5', 'k2_0_8_functional_lstm.h5'))]));
    const model = await openModel(file);
    assert.equal(model.format, 'keras-h5');
    assert.equal(model.weights.length, 5);
    model.close();
    const cut = path.join(folder, 'userblock-cut.h5');
    writeFileSync(cut, readFileSync(file).subarray(0, 512 + 15_000));
    await rejectsNaming(openModel(cut), cut, /truncated: the HDF5 superblock says the file is 16232 bytes/);
  });

  it('says what is wrong with files that are not models', async () => {
    const empty = path.join(folder, 'empty.h5');
    writeFileSync(empty, '');
    await rejectsNaming(openModel(empty), empty, /the file is empty/);
    const text = path.join(folder, 'notes.txt');
    writeFileSync(text, 'just some notes\n');
    await rejectsNaming(openModel(text), text, /not a model file this extension reads/);
    const fakeKeras = path.join(folder, 'fake.keras');
    writeFileSync(fakeKeras, 'not a zip at all, but long enough to hold an end record');
    await rejectsNaming(openModel(fakeKeras), fakeKeras, /not a zip archive/);
    const fakeJson = path.join(folder, 'model.json');
    writeFileSync(fakeJson, '\u0000\u0001binary');
    await rejectsNaming(openModel(fakeJson), fakeJson, /not valid JSON/);
    const missing = path.join(folder, 'missing.h5');
    await rejectsNaming(openModel(missing), missing, /cannot open/);
    const dir = path.join(folder, 'a-folder.h5');
    mkdirSync(dir);
    await rejectsNaming(openModel(dir), dir, /not a regular file/);
  });
});
