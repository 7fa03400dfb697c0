/**
 * Keras GlobalAveragePooling3D and GlobalMaxPooling3D (tfjs-layers has only
 * the 1D and 2D ones), and MaxPooling3D: tfjs-backend-wasm 4.22's maxPool3d
 * starts each window at FLT_MIN instead of -infinity, so any window of
 * negative values comes out as 1.2e-38. Ours runs it as two 2D max pools
 * (height-width, then depth), which is exact on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { ConfigReader, LayerConfigError, type KerasLayerArgs } from './config';
import { oneShape, oneTensor, requireRank, type Shape } from './inputs';
import { spatialAxes } from './spatial';

abstract class GlobalPooling3D extends tfl.layers.Layer {
  private readonly dataFormat: 'channelsLast' | 'channelsFirst';
  private readonly keepdims: boolean;

  constructor(
    args: KerasLayerArgs,
    private readonly kerasClass: string,
  ) {
    super(args);
    const config = new ConfigReader(kerasClass, args);
    this.dataFormat = config.dataFormat();
    this.keepdims = config.bool('keepdims', false);
  }

  protected abstract reduce(x: tf.Tensor, axes: number[], keepdims: boolean): tf.Tensor;

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = oneShape(this.kerasClass, inputShape);
    requireRank(this.kerasClass, shape, [5]);
    const spatial = spatialAxes(3, this.dataFormat);
    if (this.keepdims) return shape.map((size, axis) => (spatial.includes(axis) ? 1 : size));
    return shape.filter((_, axis) => !spatial.includes(axis));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => this.reduce(oneTensor(this.kerasClass, inputs), spatialAxes(3, this.dataFormat), this.keepdims));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}

export class DlkitGlobalAveragePooling3D extends GlobalPooling3D {
  static className = 'DlkitGlobalAveragePooling3D';
  constructor(args: KerasLayerArgs = {}) {
    super(args, 'GlobalAveragePooling3D');
  }
  protected reduce(x: tf.Tensor, axes: number[], keepdims: boolean): tf.Tensor {
    return tf.mean(x, axes, keepdims);
  }
}

export class DlkitGlobalMaxPooling3D extends GlobalPooling3D {
  static className = 'DlkitGlobalMaxPooling3D';
  constructor(args: KerasLayerArgs = {}) {
    super(args, 'GlobalMaxPooling3D');
  }
  protected reduce(x: tf.Tensor, axes: number[], keepdims: boolean): tf.Tensor {
    return tf.max(x, axes, keepdims);
  }
}

/** Output size of a pooling window along one axis. */
function pooledLength(length: number, pool: number, stride: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(length / stride) : Math.floor((length - pool) / stride) + 1;
}

export class DlkitMaxPooling3D extends tfl.layers.Layer {
  static className = 'DlkitMaxPooling3D';
  private readonly poolSize: number[];
  private readonly strides: number[];
  private readonly padding: 'valid' | 'same';
  private readonly dataFormat: 'channelsLast' | 'channelsFirst';

  constructor(args: KerasLayerArgs = {}) {
    super(args);
    const config = new ConfigReader('MaxPooling3D', args);
    this.poolSize = config.intTuple('poolSize', 3, [2, 2, 2]);
    this.strides = config.intTuple('strides', 3, this.poolSize);
    this.padding = config.oneOf('padding', ['valid', 'same'], 'valid');
    this.dataFormat = config.dataFormat();
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = oneShape('MaxPooling3D', inputShape).slice();
    requireRank('MaxPooling3D', shape, [5]);
    spatialAxes(3, this.dataFormat).forEach((axis, i) => {
      const size = shape[axis];
      if (size == null) return;
      const pooled = pooledLength(size, this.poolSize[i] as number, this.strides[i] as number, this.padding);
      if (pooled < 1) throw new LayerConfigError(`MaxPooling3D: pool size ${this.poolSize[i]} does not fit a size of ${size}`);
      shape[axis] = pooled;
    });
    return shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let x = oneTensor('MaxPooling3D', inputs);
      if (x.rank !== 5) throw new LayerConfigError(`MaxPooling3D expects rank 5 input, got shape [${x.shape.join(', ')}]`);
      if (this.dataFormat === 'channelsFirst') x = tf.transpose(x, [0, 2, 3, 4, 1]);
      const [batch, depth, height, width, channels] = x.shape as [number, number, number, number, number];
      const [pd, ph, pw] = this.poolSize as [number, number, number];
      const [sd, sh, sw] = this.strides as [number, number, number];
      const planes = tf.maxPool(tf.reshape(x, [batch * depth, height, width, channels]) as tf.Tensor4D, [ph, pw], [sh, sw], this.padding);
      const [, pooledHeight, pooledWidth] = planes.shape;
      const columns = tf.reshape(planes, [batch, depth, pooledHeight * pooledWidth, channels]) as tf.Tensor4D;
      const pooled = tf.maxPool(columns, [pd, 1], [sd, 1], this.padding);
      const y = tf.reshape(pooled, [batch, pooled.shape[1], pooledHeight, pooledWidth, channels]);
      return this.dataFormat === 'channelsFirst' ? tf.transpose(y, [0, 4, 1, 2, 3]) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat };
  }
}
