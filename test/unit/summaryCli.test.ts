/** `dlkit summary` as users run it: the real dist/cli.js on real model files, in a child process. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { realFixture } from './realFixtures';

const root = process.cwd();
const cliPath = path.join(root, 'dist', 'cli.js');
const fixtures = realFixture();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dlkit(...args: string[]): Run {
  const result = spawnSync(process.execPath, [cliPath, 'summary', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface SummaryJson {
  format: string;
  framework: string;
  producer: string;
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  macs: number;
  layers: Array<{ name: string; type: string; outputShape: unknown; params: number }>;
  warnings: string[];
  run?: { backend: string; inputShapes: number[][]; outputShapes: number[][]; firstMs: number; warmMs: number } | null;
  runError?: string;
  error?: string;
}

function json(run: Run): SummaryJson {
  return JSON.parse(run.stdout) as SummaryJson;
}

describe('dlkit summary (dist/cli.js)', () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'dlkit-summary-cli-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('--json describes a Keras 2 Sequential CNN: fields, layers, shapes, params', () => {
    const run = dlkit(path.join(fixtures, 'keras_h5', 'k2_1_3_cnn_batchnorm.h5'), '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = json(run);
    assert.equal(summary.format, 'keras-h5');
    assert.equal(summary.framework, 'keras');
    assert.match(summary.producer, /Keras 2\.1\.3/);
    assert.deepEqual(
      summary.layers.map((layer) => layer.type),
      ['Conv2D', 'BatchNormalization', 'Activation', 'Conv2D', 'Flatten', 'Dense'],
    );
    assert.equal(summary.totalParams, summary.layers.reduce((sum, layer) => sum + layer.params, 0));
    assert.equal(summary.trainableParams + summary.nonTrainableParams, summary.totalParams);
    assert.ok(summary.nonTrainableParams > 0, 'BatchNormalization moving statistics are not trainable');
    assert.ok(summary.macs > 0);
    assert.equal(summary.run, undefined, 'nothing runs without --run');
  });

  it('--run --json runs the model on WASM and reports shapes and times', () => {
    const run = dlkit(path.join(fixtures, 'keras_h5', 'k2_0_8_functional_lstm.h5'), '--json', '--run', '--batch', '3');
    assert.equal(run.code, 0, run.stderr);
    const summary = json(run);
    assert.ok(summary.run);
    assert.equal(summary.run.backend, 'wasm');
    assert.deepEqual(summary.run.inputShapes, [[3, 10, 4]]);
    assert.equal(summary.run.outputShapes[0]?.[0], 3);
    assert.ok(summary.run.firstMs > 0 && summary.run.warmMs > 0);
  });

  it('without --json prints the Keras summary() layout', () => {
    const run = dlkit(path.join(fixtures, 'keras_h5', 'k2_1_3_cnn_batchnorm.h5'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Total params: [\d,]+/);
    assert.match(run.stdout, /Trainable params: [\d,]+/);
    assert.match(run.stdout, /batch_normalization/i);
  });

  it('a truncated file exits 2 with a JSON error naming the file', () => {
    const file = path.join(scratch, 'truncated.h5');
    copyFileSync(path.join(fixtures, 'keras_h5', 'k2_1_3_cnn_batchnorm.h5'), file);
    truncateSync(file, 4000);
    const run = dlkit(file, '--json');
    assert.equal(run.code, 2);
    const answer = json(run);
    assert.match(answer.error ?? '', /^truncated\.h5: /);
  });

  it('a file that is no model exits 2 and says so on stderr without --json', () => {
    const file = path.join(scratch, 'notes.h5');
    writeFileSync(file, 'these are not the weights you are looking for\n');
    const run = dlkit(file);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^dlkit summary: notes\.h5: /);
    assert.equal(run.stdout, '');
  });

  it('a weights-only file summarises (exit 0) but cannot run (exit 1, says why)', () => {
    const file = path.join(fixtures, 'keras_h5', 'WEIGHTS_k2_0_8_3layer_bn_weights.h5');
    const plain = dlkit(file, '--json');
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(json(plain).format, 'keras-h5-weights');
    const run = dlkit(file, '--json', '--run');
    assert.equal(run.code, 1);
    assert.match(json(run).runError ?? '', /architecture/);
  });

  it('bad options exit 2 with the usage', () => {
    const run = dlkit(path.join(fixtures, 'keras_h5', 'k2_1_3_cnn_batchnorm.h5'), '--batch', '0');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--batch must be a whole number/);
    assert.match(run.stderr, /Usage: dlkit summary/);
    const noFile = dlkit();
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /give exactly one model file/);
  });

  it('the TF.js graph model runs through tfjs-converter', () => {
    const run = dlkit(path.join(fixtures, 'tfjs_graph', 'tf26_prefetch_graph', 'model.json'), '--json', '--run');
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const summary = json(run);
    assert.equal(summary.format, 'tfjs-graph');
    assert.ok(summary.run && summary.run.outputShapes.length > 0);
  });
});
