/**
 * Activation must stay cheap: the extension bundle holds no TF.js and loads
 * only Node built-ins and `vscode`. Checks the real dist/ output of `npm run build`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';

// Tests run from the repository root (the bundled test file lives in out/unit).
const dist = path.join(process.cwd(), 'dist');

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { imports: Array<{ path: string; kind: string; external?: boolean }> }>;
}

function metafile(bundle: string): Metafile {
  return JSON.parse(readFileSync(path.join(dist, 'meta', `${bundle}.json`), 'utf8')) as Metafile;
}

function tensorflowInputs(bundle: string): string[] {
  return Object.keys(metafile(bundle).inputs).filter((input) => input.includes('node_modules/@tensorflow/'));
}

/** Module ids of every literal require("...") in a bundle. */
function requiredModules(code: string): string[] {
  return [...code.matchAll(/\brequire\(\s*(["'`])([^"'`]+)\1\s*\)/g)].map((match) => match[2] ?? '');
}

/** esbuild marks each bundled module with a `// node_modules/...` comment (unminified builds only). */
function bundledTensorflowModules(code: string): string[] {
  return [...code.matchAll(/^\s*\/\/ \S*?(node_modules\/@tensorflow\/\S+)/gm)].map((match) => match[1] ?? '');
}

/** Text of TF.js that survives minification (npm run build:production may have built dist/). */
const TFJS_SIGNATURES = [/\bregisterBackend\(/, /tfjs-backend-wasm\.wasm/, /running TensorFlow\.js in Node\.js/];

function tensorflowSignatures(code: string): string[] {
  return TFJS_SIGNATURES.filter((signature) => signature.test(code)).map(String);
}

describe('bundles', () => {
  const extensionCode = readFileSync(path.join(dist, 'extension.js'), 'utf8');
  const workerCode = readFileSync(path.join(dist, 'worker.js'), 'utf8');

  it('the extension bundle holds no TensorFlow.js input', () => {
    const inputs = Object.keys(metafile('extension').inputs);
    assert.ok(inputs.includes('src/extension.ts'), `unexpected metafile inputs: ${inputs.join(', ')}`);
    assert.deepEqual(tensorflowInputs('extension'), []);
    assert.deepEqual(
      inputs.filter((input) => input.startsWith('src/engine/') || input.startsWith('src/worker/')),
      [],
      'engine code (which imports TF.js) stays out of the extension bundle',
    );
  });

  it('the worker bundle does hold TensorFlow.js (so the check above can fail)', () => {
    const inputs = tensorflowInputs('worker');
    assert.ok(inputs.some((input) => input.includes('node_modules/@tensorflow/tfjs-core/')), 'tfjs-core is in the worker');
    assert.ok(inputs.some((input) => input.includes('node_modules/@tensorflow/tfjs-backend-wasm/')), 'tfjs-backend-wasm is in the worker');
    assert.deepEqual(tensorflowSignatures(workerCode), TFJS_SIGNATURES.map(String), 'the worker code carries TF.js');
    if (/^\/\/ src\/worker\/main\.ts$/m.test(workerCode)) {
      // An unminified build: its module comments name the TF.js files.
      assert.ok(bundledTensorflowModules(workerCode).length > 0, 'the worker code carries TF.js module ids');
    }
  });

  it('dist/extension.js names no TF.js module and holds no TF.js code', () => {
    assert.deepEqual(bundledTensorflowModules(extensionCode), []);
    assert.deepEqual(tensorflowSignatures(extensionCode), []);
    assert.deepEqual(
      requiredModules(extensionCode).filter((id) => id.includes('tfjs')),
      [],
    );
    assert.doesNotMatch(extensionCode, /node_modules\/@tensorflow\//);
  });

  it('the extension bundle requires only Node built-ins and vscode', () => {
    const ids = requiredModules(extensionCode);
    assert.ok(ids.includes('vscode'), `the scan found no require("vscode"); found: ${ids.join(', ')}`);
    assert.ok(ids.some((id) => id.startsWith('node:')), 'the scan finds built-ins');
    assert.deepEqual(
      [...new Set(ids.filter((id) => id !== 'vscode' && !isBuiltin(id)))],
      [],
      'modules the extension would load from node_modules at activation',
    );
  });

  it('the metafile agrees: the only external imports of the extension are built-ins and vscode', () => {
    const output = metafile('extension').outputs['dist/extension.js'];
    assert.ok(output, 'dist/extension.js is in the metafile');
    const external = output.imports.filter((entry) => entry.external).map((entry) => entry.path);
    assert.ok(external.includes('vscode'));
    assert.deepEqual(
      external.filter((id) => id !== 'vscode' && !isBuiltin(id)),
      [],
    );
  });

  it('the worker requires tfjs-node only at run time, never bundled', () => {
    assert.deepEqual(
      tensorflowInputs('worker').filter((input) => input.includes('tfjs-node')),
      [],
    );
  });
});
