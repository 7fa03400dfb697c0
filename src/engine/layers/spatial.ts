/**
 * The 1D and 3D members of Keras' padding, cropping and upsampling families
 * (tfjs-layers has only the 2D ones). One class per operation, parameterised
 * by the number of spatial axes; inputs are (batch, ...spatial, channels) or,
 * with data_format channels_first, (batch, channels, ...spatial).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { ConfigReader, LayerConfigError, type KerasLayerArgs } from './config';
import { oneShape, oneTensor, requireRank, type Shape } from './inputs';

type DataFormat = 'channelsLast' | 'channelsFirst';

/** Where the spatial axes are in a tensor of rank spatialRank + 2. */
export function spatialAxes(spatialRank: number, dataFormat: DataFormat): number[] {
  const first = dataFormat === 'channelsFirst' ? 2 : 1;
  return Array.from({ length: spatialRank }, (_, i) => first + i);
}

/** Shared by the three operations: the Keras class name, spatial rank and data format. */
abstract class SpatialLayer extends tfl.layers.Layer {
  protected readonly kerasClass: string;
  protected readonly dataFormat: DataFormat;
  protected readonly reader: ConfigReader;

  constructor(
    args: KerasLayerArgs,
    protected readonly spatialRank: number,
    family: string,
  ) {
    super(args);
    this.kerasClass = `${family}${spatialRank}D`;
    this.reader = new ConfigReader(this.kerasClass, args);
    this.dataFormat = this.reader.dataFormat();
    this.supportsMasking = false;
  }

  protected inputShapeOf(inputShape: Shape | Shape[]): Shape {
    const shape = oneShape(this.kerasClass, inputShape);
    requireRank(this.kerasClass, shape, [this.spatialRank + 2]);
    return shape;
  }

  protected inputOf(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = oneTensor(this.kerasClass, inputs);
    if (x.rank !== this.spatialRank + 2) throw new LayerConfigError(`${this.kerasClass} expects rank ${this.spatialRank + 2} input, got shape [${x.shape.join(', ')}]`);
    return x;
  }

  /** The input shape with each spatial size changed by `resize` (null stays null). */
  protected mapSpatial(shape: Shape, resize: (size: number, axisIndex: number) => number): Shape {
    const out = shape.slice();
    spatialAxes(this.spatialRank, this.dataFormat).forEach((axis, i) => {
      const size = out[axis];
      out[axis] = size == null ? null : resize(size, i);
    });
    return out;
  }

  protected baseConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}

export class ZeroPaddingND extends SpatialLayer {
  private readonly padding: Array<[number, number]>;

  constructor(args: KerasLayerArgs, spatialRank: number) {
    super(args, spatialRank, 'ZeroPadding');
    this.padding = this.reader.pairs('padding', spatialRank, 1);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.mapSpatial(this.inputShapeOf(inputShape), (size, i) => size + sum(this.padding[i]));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = this.inputOf(inputs);
      const pads: Array<[number, number]> = x.shape.map(() => [0, 0]);
      spatialAxes(this.spatialRank, this.dataFormat).forEach((axis, i) => (pads[axis] = this.padding[i] as [number, number]));
      return tf.pad(x, pads);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.baseConfig(), padding: this.spatialRank === 1 ? this.padding[0] : this.padding } as tf.serialization.ConfigDict;
  }
}

export class CroppingND extends SpatialLayer {
  private readonly cropping: Array<[number, number]>;

  constructor(args: KerasLayerArgs, spatialRank: number) {
    super(args, spatialRank, 'Cropping');
    this.cropping = this.reader.pairs('cropping', spatialRank, 1);
  }

  private cropped(size: number, i: number): number {
    const left = size - sum(this.cropping[i]);
    if (left <= 0) throw new LayerConfigError(`${this.kerasClass}: cropping ${JSON.stringify(this.cropping[i])} leaves nothing of size ${size}`);
    return left;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.mapSpatial(this.inputShapeOf(inputShape), (size, i) => this.cropped(size, i));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = this.inputOf(inputs);
      const begin = x.shape.map(() => 0);
      const size = x.shape.slice();
      spatialAxes(this.spatialRank, this.dataFormat).forEach((axis, i) => {
        begin[axis] = (this.cropping[i] as [number, number])[0];
        size[axis] = this.cropped(x.shape[axis] as number, i);
      });
      return tf.slice(x, begin, size);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.baseConfig(), cropping: this.spatialRank === 1 ? this.cropping[0] : this.cropping } as tf.serialization.ConfigDict;
  }
}

/** Keras UpSampling1D/3D: every element repeated `size` times along each spatial axis (nearest neighbour). */
export class UpSamplingND extends SpatialLayer {
  private readonly size: number[];

  constructor(args: KerasLayerArgs, spatialRank: number) {
    super(args, spatialRank, 'UpSampling');
    this.size = this.reader.intTuple('size', spatialRank, new Array<number>(spatialRank).fill(2));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.mapSpatial(this.inputShapeOf(inputShape), (size, i) => size * (this.size[i] as number));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let x = this.inputOf(inputs);
      spatialAxes(this.spatialRank, this.dataFormat).forEach((axis, i) => (x = repeatAlong(x, axis, this.size[i] as number)));
      return x;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const size = this.spatialRank === 1 ? this.size[0] : this.size;
    return { ...this.baseConfig(), size } as tf.serialization.ConfigDict;
  }
}

/** [a, b] -> [a, a, b, b] along `axis` for times = 2. */
export function repeatAlong(x: tf.Tensor, axis: number, times: number): tf.Tensor {
  if (times === 1) return x;
  const expanded = tf.expandDims(x, axis + 1);
  const reps = expanded.shape.map((_, i) => (i === axis + 1 ? times : 1));
  const shape = x.shape.slice();
  shape[axis] = (shape[axis] as number) * times;
  return tf.reshape(tf.tile(expanded, reps), shape);
}

function sum(pair: [number, number] | undefined): number {
  return pair ? pair[0] + pair[1] : 0;
}

export class DlkitZeroPadding1D extends ZeroPaddingND {
  static className = 'DlkitZeroPadding1D';
  constructor(args: KerasLayerArgs = {}) {
    super(args, 1);
  }
}
export class DlkitZeroPadding3D extends ZeroPaddingND {
  static className = 'DlkitZeroPadding3D';
  constructor(args: KerasLayerArgs = {}) {
    super(args, 3);
  }
}
export class DlkitCropping1D extends CroppingND {
  static className = 'DlkitCropping1D';
  constructor(args: KerasLayerArgs = {}) {
    super(args, 1);
  }
}
export class DlkitCropping3D extends CroppingND {
  static className = 'DlkitCropping3D';
  constructor(args: KerasLayerArgs = {}) {
    super(args, 3);
  }
}
export class DlkitUpSampling1D extends UpSamplingND {
  static className = 'DlkitUpSampling1D';
  constructor(args: KerasLayerArgs = {}) {
    super(args, 1);
  }
}
export class DlkitUpSampling3D extends UpSamplingND {
  static className = 'DlkitUpSampling3D';
  constructor(args: KerasLayerArgs = {}) {
    super(args, 3);
  }
}
