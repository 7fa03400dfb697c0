/**
 * Mutation fuzzing of the model readers: each fixture is damaged many times
 * (bytes flipped, cut short, bytes inserted, a region overwritten, a chunk
 * repeated) and opened as the engine opens it. Every mutant must either
 * parse (and then summarise and read its first tensors) or fail with a
 * FormatError naming the file: no other exception, no hang. Seeded, so a
 * failure repeats. DLKIT_FUZZ_ITERATIONS sets the mutants per fixture.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { analyseModel } from '../../src/engine/analysis';
import { openModel } from '../../src/formats/open';
import { realFixture } from './realFixtures';

const ITERATIONS = Number(process.env['DLKIT_FUZZ_ITERATIONS'] ?? 2000);
/** Far above any real parse of these small files: a mutant slower than this is a hang. */
const HANG_MS = 2000;

const FIXTURES = [
  realFixture('pytorch', 'legacy_state_dict_dqn.pth'),
  realFixture('pytorch', 'zip_state_dict_cifar_cuda.pth'),
  realFixture('pytorch', 'lightning_checkpoint.ckpt'),
  realFixture('onnx', 'pytorch1121_cnn_mnist.onnx'),
  realFixture('onnx', 'onnxmltools_keras_3layer.onnx'),
  path.join(process.cwd(), 'demo', 'models', 'tiny_mlp.safetensors'),
  path.join(process.cwd(), 'demo', 'models', 'mnist_cnn_legacy.pth'),
  realFixture('keras_h5', 'k2_1_3_cnn_batchnorm.h5'),
  realFixture('tfjs_layers', 'tfjsnode132_abalone_mlp', 'model.json'),
];

/** mulberry32: a small seeded generator, so every run makes the same mutants. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(original: Buffer, random: () => number): Buffer {
  const at = (limit: number): number => Math.floor(random() * limit);
  const bytes = Buffer.from(original);
  switch (at(5)) {
    case 0: {
      // Flip 1-8 bytes, biased to the start where headers live.
      const flips = 1 + at(8);
      for (let i = 0; i < flips; i++) {
        const position = random() < 0.5 ? at(Math.min(bytes.length, 512)) : at(bytes.length);
        bytes[position] = at(256);
      }
      return bytes;
    }
    case 1:
      return bytes.subarray(0, at(bytes.length));
    case 2: {
      const position = at(bytes.length);
      const inserted = Buffer.from(Array.from({ length: 1 + at(16) }, () => at(256)));
      return Buffer.concat([bytes.subarray(0, position), inserted, bytes.subarray(position)]);
    }
    case 3: {
      // A run of 0xff: huge lengths and counts wherever it lands.
      const position = at(bytes.length);
      bytes.fill(0xff, position, Math.min(bytes.length, position + 1 + at(16)));
      return bytes;
    }
    default: {
      const start = at(bytes.length);
      const chunk = bytes.subarray(start, Math.min(bytes.length, start + 1 + at(256)));
      const position = at(bytes.length);
      return Buffer.concat([bytes.subarray(0, position), chunk, bytes.subarray(position)]);
    }
  }
}

interface Tally {
  parsed: number;
  formatErrors: number;
  slowestMs: number;
  problems: string[];
}

async function openMutant(file: string, tally: Tally): Promise<void> {
  const started = performance.now();
  try {
    const parsed = await openModel(file);
    try {
      analyseModel(parsed, 0);
      for (const weight of parsed.weights.slice(0, 3)) await parsed.readTensor(weight.path).catch(rethrowUnlessFormatError);
    } finally {
      parsed.close();
    }
    tally.parsed++;
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    const message = error instanceof Error ? error.message : String(error);
    if (name === 'FormatError' && message.startsWith(`${path.basename(file)}: `)) tally.formatErrors++;
    else if (tally.problems.length < 5) tally.problems.push(`${name}: ${message.split('\n')[0]}`);
    else tally.problems.push('');
  }
  tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
}

function rethrowUnlessFormatError(error: unknown): void {
  if (!(error instanceof Error && error.name === 'FormatError')) throw error;
}

describe(`fuzzing the readers (${ITERATIONS} mutants per fixture)`, function () {
  this.timeout(0);
  let scratch: string;
  const report: string[] = [];

  before(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'dlkit-fuzz-'));
  });
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
    console.log(['', '    mutants: parsed / clean FormatError / other / slowest', ...report].join('\n'));
  });

  FIXTURES.forEach((fixture, index) => {
    it(`${path.basename(fixture)}: every mutant parses or fails with a FormatError naming the file`, async () => {
      const original = readFileSync(fixture);
      const random = generator(0x5eed + index);
      const file = path.join(scratch, path.basename(fixture));
      const tally: Tally = { parsed: 0, formatErrors: 0, slowestMs: 0, problems: [] };
      for (let i = 0; i < ITERATIONS; i++) {
        writeFileSync(file, mutate(original, random));
        await openMutant(file, tally);
      }
      const other = tally.problems.length;
      report.push(`    ${path.basename(fixture).padEnd(34)} ${tally.parsed} / ${tally.formatErrors} / ${other} / ${tally.slowestMs.toFixed(0)} ms`);
      assert.equal(other, 0, `errors that are not FormatErrors naming the file:\n${tally.problems.filter(Boolean).join('\n')}`);
      assert.equal(tally.parsed + tally.formatErrors, ITERATIONS);
      assert.ok(tally.slowestMs < HANG_MS, `a mutant took ${tally.slowestMs.toFixed(0)} ms: a hang`);
    });
  });
});
