// A 3x3 convolution on a 224x224 RGB image (32 filters) and a 512x512 matmul on
// each pure-JS-installable backend, in this process; prints JSON { op: { backend: ms } }.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

const RUNS = 10;
const ops = {
  'conv2d 224x224x3 → 32': () => {
    const image = tf.randomNormal([1, 224, 224, 3]);
    const filter = tf.randomNormal([3, 3, 3, 32]);
    return () => tf.conv2d(image, filter, 1, 'same');
  },
  'matMul 512x512': () => {
    const a = tf.randomNormal([512, 512]);
    const b = tf.randomNormal([512, 512]);
    return () => tf.matMul(a, b);
  },
};

const results = {};
for (const backend of ['wasm', 'cpu']) {
  await tf.setBackend(backend);
  await tf.ready();
  for (const [name, setup] of Object.entries(ops)) {
    const run = setup();
    run().dataSync(); // warm-up
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const out = run();
      out.dataSync();
      times.push(performance.now() - started);
      out.dispose();
    }
    times.sort((x, y) => x - y);
    (results[name] ??= {})[backend] = times[Math.floor(RUNS / 2)];
  }
}
process.stdout.write(JSON.stringify(results));
