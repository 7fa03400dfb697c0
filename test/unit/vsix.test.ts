import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

interface ZipEntry {
  name: string;
  read(): Buffer;
}

/** The entries of a zip's central directory (no zip64: a VSIX is small). */
function zipEntries(zip: Buffer): ZipEntry[] {
  const endOfDirectory = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(endOfDirectory >= 0, 'not a zip file: no end-of-central-directory record');
  const count = zip.readUInt16LE(endOfDirectory + 10);
  let offset = zip.readUInt32LE(endOfDirectory + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(offset), 0x02014b50, `bad central directory entry ${i}`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    entries.push({
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
      read() {
        const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
        const data = zip.subarray(start, start + compressedSize);
        return method === 8 ? inflateRawSync(data) : data;
      },
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

describe('the packaged VSIX (.vscodeignore allow-list)', () => {
  const vsix = join(process.cwd(), 'dist', 'deep-learning-kit.vsix');
  let entries: ZipEntry[];
  let files: string[];

  before(() => {
    assert.ok(existsSync(vsix), `${vsix} is missing: test/run.mjs packages it before the unit tier`);
    entries = zipEntries(readFileSync(vsix));
    files = entries.filter((entry) => entry.name.startsWith('extension/')).map((entry) => entry.name.slice('extension/'.length));
  });

  it('holds every file the extension needs at run time', () => {
    for (const needed of [
      'package.json',
      'readme.md',
      'LICENSE.txt',
      'dist/extension.js',
      'dist/worker.js',
      'dist/cli.js',
      'dist/webviews/engineInfo.js',
      'dist/webviews/engineInfo.css',
      'dist/wasm/tfjs-backend-wasm.wasm',
      'dist/wasm/tfjs-backend-wasm-simd.wasm',
      'dist/wasm/tfjs-backend-wasm-threaded-simd.wasm',
      'snippets/pytorch.json',
      'snippets/keras.json',
      'snippets/tensorflow.json',
      'syntaxes/tensor-shape.injection.tmLanguage.json',
      'syntaxes/training-log.tmLanguage.json',
      'syntaxes/training-log.language-configuration.json',
      'dist/webviews/monitor.js',
      'dist/webviews/monitor.css',
      'dist/templates/pytorch/_shared/train.py',
    ]) {
      assert.ok(files.includes(needed), `${needed} is not in the VSIX (it has: ${files.join(', ')})`);
    }
  });

  it('holds nothing else: no sources, tests, maps, node_modules or tfjs-node', () => {
    const unexpected = files.filter(
      (name) => !/^(package\.json|readme\.md|changelog\.md|LICENSE\.txt|dist\/(extension|worker|cli)\.js|dist\/webviews\/\w+\.(js|css)|dist\/wasm\/[\w-]+\.wasm|dist\/templates\/.+|snippets\/\w+\.json|syntaxes\/[\w.-]+\.(tmLanguage|language-configuration)\.json)$/.test(name),
    );
    assert.deepEqual(unexpected, []);
    assert.ok(!files.some((name) => name.includes('tfjs-node')));
  });

  it('ships the manifest it was built from', () => {
    const shipped = entries.find((entry) => entry.name === 'extension/package.json');
    assert.ok(shipped);
    const source = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as Record<string, unknown>;
    const packaged = JSON.parse(shipped.read().toString('utf8')) as Record<string, unknown>;
    for (const key of ['name', 'version', 'publisher', 'main', 'engines', 'contributes', 'capabilities']) {
      assert.deepEqual(packaged[key], source[key], `package.json "${key}" differs in the VSIX`);
    }
  });
});
