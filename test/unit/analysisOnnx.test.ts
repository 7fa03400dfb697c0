/** MACs of ONNX graphs: known where the weights tell them, unknown (never 0) where shapes are needed. */
import assert from 'node:assert/strict';
import { analyseModel } from '../../src/engine/analysis';
import { openModel } from '../../src/formats/open';
import { realFixture } from './realFixtures';

async function summarise(...parts: string[]) {
  const parsed = await openModel(realFixture(...parts));
  try {
    return analyseModel(parsed, 0);
  } finally {
    parsed.close();
  }
}

describe('analysis of ONNX graphs', () => {
  it('counts MatMul by a 2-D initializer as K × N per sample, and the whole 3-layer model', async () => {
    const summary = await summarise('onnx', 'onnxmltools_keras_3layer.onnx');
    const matmuls = summary.layers.filter((layer) => layer.className === 'MatMul').map((layer) => layer.macs);
    // Weights W [16, 64], W1 [64, 32], W2 [32, 32], W3 [32, 5].
    assert.deepEqual(matmuls, [16 * 64, 64 * 32, 32 * 32, 32 * 5]);
    assert.equal(summary.macs, 16 * 64 + 64 * 32 + 32 * 32 + 32 * 5);
    assert.equal(summary.macsComplete, true, 'Add, Relu and Softmax multiply nothing');
  });

  it('counts Gemm from its weight and leaves Conv unknown, so the total is a lower bound', async () => {
    const summary = await summarise('onnx', 'pytorch1121_cnn_mnist.onnx');
    const gemm = summary.layers.find((layer) => layer.className === 'Gemm');
    assert.equal(gemm?.macs, 1568 * 10);
    for (const conv of summary.layers.filter((layer) => layer.className === 'Conv')) assert.equal(conv.macs, null);
    assert.equal(summary.macsComplete, false);
    assert.equal(summary.macs, 1568 * 10);
  });
});
