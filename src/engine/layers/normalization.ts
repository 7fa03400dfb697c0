/**
 * Keras GroupNormalization (also TensorFlow Addons' GroupNormalization and
 * InstanceNormalization, the same layer with groups = channels) and
 * UnitNormalization.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { ConfigReader, LayerConfigError, type KerasLayerArgs } from './config';
import { knownDim, oneShape, oneTensor, type Shape } from './inputs';

function positiveAxis(layerClass: string, axis: number, rank: number): number {
  const positive = axis < 0 ? rank + axis : axis;
  if (positive <= 0 || positive >= rank) throw new LayerConfigError(`${layerClass}: axis ${axis} is not a feature axis of a rank ${rank} input`);
  return positive;
}

/** A per-channel vector shaped to broadcast along `axis` of a rank `rank` tensor. */
function alongAxis(vector: tf.Tensor, axis: number, rank: number): tf.Tensor {
  const shape = new Array<number>(rank).fill(1);
  shape[axis] = vector.size;
  return tf.reshape(vector, shape);
}

/**
 * Normalises each sample over groups of channels: mean and variance over the
 * spatial axes and the channels of one group, then a per-channel gamma and
 * beta. Weights in Keras order: gamma (if scale), beta (if center).
 */
export class DlkitGroupNormalization extends tfl.layers.Layer {
  static className = 'DlkitGroupNormalization';
  protected readonly requestedGroups: number;
  private readonly axis: number;
  private readonly epsilon: number;
  private readonly center: boolean;
  private readonly scale: boolean;
  private readonly own: Record<string, unknown>;
  private groups = 0;
  private gamma: LayerVariable | null = null;
  private beta: LayerVariable | null = null;

  constructor(args: KerasLayerArgs = {}, defaultGroups = 32) {
    super(args);
    const config = new ConfigReader('GroupNormalization', args);
    this.requestedGroups = config.has('groups') && config.number('groups', 0) === -1 ? -1 : config.int('groups', defaultGroups);
    const axes = config.axes('axis', [-1]);
    if (axes.length !== 1) throw new LayerConfigError('GroupNormalization: axis must be one integer');
    this.axis = axes[0] as number;
    this.epsilon = config.number('epsilon', 1e-3);
    this.center = config.bool('center', true);
    this.scale = config.bool('scale', true);
    this.own = config.ownEntries();
    this.supportsMasking = true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape('GroupNormalization', inputShape);
    const axis = positiveAxis('GroupNormalization', this.axis, shape.length);
    const channels = knownDim('GroupNormalization', shape, axis);
    this.groups = this.requestedGroups === -1 ? channels : this.requestedGroups;
    if (this.groups > channels || channels % this.groups !== 0) {
      throw new LayerConfigError(`GroupNormalization: ${channels} channels cannot be split into ${this.groups} groups`);
    }
    if (this.scale) this.gamma = this.addWeight('gamma', [channels], 'float32', tfl.initializers.ones());
    if (this.center) this.beta = this.addWeight('beta', [channels], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return oneShape('GroupNormalization', inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor('GroupNormalization', inputs);
      const axis = positiveAxis('GroupNormalization', this.axis, x.rank);
      const channels = x.shape[axis] as number;
      const grouped = [...x.shape.slice(0, axis), this.groups, channels / this.groups, ...x.shape.slice(axis + 1)];
      const reshaped = tf.reshape(x, grouped);
      const reduceAxes = grouped.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
      const { mean, variance } = tf.moments(reshaped, reduceAxes, true);
      const normalized = tf.reshape(tf.mul(tf.sub(reshaped, mean), tf.rsqrt(tf.add(variance, this.epsilon))), x.shape);
      let out = normalized;
      if (this.gamma) out = tf.mul(out, alongAxis(this.gamma.read(), axis, x.rank));
      if (this.beta) out = tf.add(out, alongAxis(this.beta.read(), axis, x.rank));
      return out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...(this.own as tf.serialization.ConfigDict),
      ...super.getConfig(),
      groups: this.requestedGroups,
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
    };
  }
}

/** TensorFlow Addons' InstanceNormalization: group normalisation with one group per channel. */
export class DlkitInstanceNormalization extends DlkitGroupNormalization {
  static override className = 'DlkitInstanceNormalization';
  constructor(args: KerasLayerArgs = {}) {
    super(args, -1);
  }
}

/** Keras UnitNormalization: x / ||x||₂ over `axis` (an int or a list), with Keras' 1e-12 floor on the squared norm. */
export class DlkitUnitNormalization extends tfl.layers.Layer {
  static className = 'DlkitUnitNormalization';
  private readonly axis: number[];

  constructor(args: KerasLayerArgs = {}) {
    super(args);
    this.axis = new ConfigReader('UnitNormalization', args).axes('axis', [-1]);
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return oneShape('UnitNormalization', inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor('UnitNormalization', inputs);
      const axes = this.axis.map((axis) => positiveAxis('UnitNormalization', axis, x.rank));
      const squared = tf.sum(tf.square(x), axes, true);
      return tf.mul(x, tf.rsqrt(tf.maximum(squared, 1e-12)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis.length === 1 ? (this.axis[0] as number) : this.axis };
  }
}
