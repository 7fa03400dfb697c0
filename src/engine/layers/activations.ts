/**
 * Keras activation functions by name, for our own layers. tfjs-layers keeps
 * its activation lookup private, and Keras names a few that tfjs lacks
 * (exponential, gelu exact, silu, hard_silu). Names are compared without
 * underscores and case, so `hard_sigmoid` and tfjs's `hardSigmoid` match.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LayerConfigError } from './config';

export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

/** Keras 2's piecewise-linear sigmoid (Keras 3 redefined `hard_sigmoid` as relu6(x + 3) / 6). */
const hardSigmoid = (x: tf.Tensor): tf.Tensor => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
const swish = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(x));

const BY_NAME: Record<string, ActivationFn> = {
  linear: (x) => tf.clone(x),
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softmax: (x) => tf.softmax(x, -1),
  logsoftmax: (x) => tf.logSoftmax(x, -1),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  exponential: (x) => tf.exp(x),
  hardsigmoid: hardSigmoid,
  swish,
  silu: swish,
  hardsilu: (x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)),
  hardswish: (x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)),
  // Keras' string 'gelu' is the exact form (approximate=False).
  gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1)),
  mish: (x) => tf.mul(x, tf.tanh(tf.softplus(x))),
  leakyrelu: (x) => tf.leakyRelu(x, 0.2),
};

function key(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

/** The function for a Keras activation name; null or undefined is linear. */
export function activationByName(layerClass: string, name: unknown): ActivationFn {
  if (name === null || name === undefined) return BY_NAME['linear'] as ActivationFn;
  const fn = typeof name === 'string' ? BY_NAME[key(name)] : undefined;
  if (!fn) throw new LayerConfigError(`${layerClass}: unknown activation ${JSON.stringify(name)}`);
  return fn;
}

export function isKnownActivation(name: unknown): boolean {
  return name === null || name === undefined || (typeof name === 'string' && key(name) in BY_NAME);
}
