/**
 * Keras Conv1DTranspose. Computed as the full transposed convolution (every
 * contribution of every input step) and then cut to Keras' output length the
 * way TensorFlow's conv1d_transpose does: it is the adjoint of a forward
 * convolution with the same padding over an input of the output's length.
 * Dilation is applied by spreading the kernel taps, so no op needs to
 * support it.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { activationByName, type ActivationFn } from './activations';
import { ConfigReader, LayerConfigError, weightShape, type KerasLayerArgs } from './config';
import { knownDim, oneShape, oneTensor, requireRank, type Shape } from './inputs';

const CLASS = 'Conv1DTranspose';

export interface TransposeGeometry {
  kernel: number;
  stride: number;
  dilation: number;
  padding: 'valid' | 'same';
  outputPadding: number | null;
}

function dilatedKernel(g: TransposeGeometry): number {
  return (g.kernel - 1) * g.dilation + 1;
}

/** Keras' deconv_output_length. */
export function transposeOutputLength(length: number, g: TransposeGeometry): number {
  const k = dilatedKernel(g);
  if (g.outputPadding === null) return g.padding === 'valid' ? length * g.stride + Math.max(k - g.stride, 0) : length * g.stride;
  const pad = g.padding === 'same' ? Math.floor(k / 2) : 0;
  return (length - 1) * g.stride + k - 2 * pad + g.outputPadding;
}

/** Where the output starts inside the full transposed convolution: the forward convolution's leading padding. */
function leadingPadding(outputLength: number, g: TransposeGeometry): number {
  if (g.padding === 'valid') return 0;
  const steps = Math.ceil(outputLength / g.stride);
  return Math.floor(Math.max((steps - 1) * g.stride + dilatedKernel(g) - outputLength, 0) / 2);
}

export class DlkitConv1DTranspose extends tfl.layers.Layer {
  static className = 'DlkitConv1DTranspose';
  private readonly filters: number;
  private readonly geometry: TransposeGeometry;
  private readonly dataFormat: 'channelsLast' | 'channelsFirst';
  private readonly activationName: unknown;
  private readonly activation: ActivationFn;
  private readonly useBias: boolean;
  private readonly own: Record<string, unknown>;
  private kernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;

  constructor(args: KerasLayerArgs = {}) {
    super(args);
    const config = new ConfigReader(CLASS, args);
    this.filters = config.int('filters', undefined);
    const outputPadding = config.has('outputPadding') ? (config.intTuple('outputPadding', 1, undefined, 0)[0] as number) : null;
    this.geometry = {
      kernel: config.intTuple('kernelSize', 1, undefined)[0] as number,
      stride: config.intTuple('strides', 1, [1])[0] as number,
      dilation: config.intTuple('dilationRate', 1, [1])[0] as number,
      padding: config.oneOf('padding', ['valid', 'same'], 'valid'),
      outputPadding,
    };
    if (outputPadding !== null && outputPadding >= Math.max(this.geometry.stride, this.geometry.dilation)) {
      throw new LayerConfigError(`${CLASS}: output_padding ${outputPadding} must be smaller than the stride or the dilation`);
    }
    this.dataFormat = config.dataFormat();
    this.activationName = args['activation'] ?? 'linear';
    this.activation = activationByName(CLASS, args['activation']);
    this.useBias = config.bool('useBias', true);
    this.own = config.ownEntries();
  }

  private channelAxis(): number {
    return this.dataFormat === 'channelsFirst' ? 1 : 2;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(CLASS, inputShape);
    requireRank(CLASS, shape, [3]);
    const channels = knownDim(CLASS, shape, this.channelAxis());
    this.kernel = this.addWeight('kernel', weightShape(CLASS, 'kernel', [this.geometry.kernel, this.filters, channels]), 'float32', tfl.initializers.zeros());
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = oneShape(CLASS, inputShape);
    requireRank(CLASS, shape, [3]);
    const lengthAxis = this.dataFormat === 'channelsFirst' ? 2 : 1;
    const length = shape[lengthAxis];
    const outLength = length == null ? null : transposeOutputLength(length, this.geometry);
    return this.dataFormat === 'channelsFirst' ? [shape[0] ?? null, this.filters, outLength] : [shape[0] ?? null, outLength, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      if (!this.kernel) throw new LayerConfigError(`${CLASS} was called before it was built`);
      let x = oneTensor(CLASS, inputs) as tf.Tensor3D;
      if (this.dataFormat === 'channelsFirst') x = tf.transpose(x, [0, 2, 1]);
      const [batch, length] = x.shape;
      const g = this.geometry;
      const kernel = spreadTaps(this.kernel.read(), g.dilation); // (k', filters, in)
      const fullLength = (length - 1) * g.stride + (kernel.shape[0] as number);
      const full = tf.conv2dTranspose(
        tf.expandDims(x, 1) as tf.Tensor4D,
        tf.expandDims(kernel, 0) as tf.Tensor4D,
        [batch, 1, fullLength, this.filters],
        [1, g.stride],
        'valid',
      );
      const outLength = transposeOutputLength(length, g);
      const start = leadingPadding(outLength, g);
      const taken = Math.min(outLength, fullLength - start);
      let y = tf.slice(tf.squeeze(full, [1]), [0, start, 0], [batch, taken, this.filters]);
      if (taken < outLength) y = tf.pad(y, [[0, 0], [0, outLength - taken], [0, 0]]);
      if (this.bias) y = tf.add(y, this.bias.read());
      y = this.activation(y);
      return this.dataFormat === 'channelsFirst' ? tf.transpose(y, [0, 2, 1]) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const g = this.geometry;
    return {
      ...(this.own as tf.serialization.ConfigDict),
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [g.kernel],
      strides: [g.stride],
      dilationRate: [g.dilation],
      padding: g.padding,
      outputPadding: g.outputPadding === null ? null : [g.outputPadding],
      dataFormat: this.dataFormat,
      activation: this.activationName as string,
      useBias: this.useBias,
    };
  }
}

/** A kernel (k, ...) with dilation d - 1 zero taps between its taps: ((k - 1) * d + 1, ...). */
function spreadTaps(kernel: tf.Tensor, dilation: number): tf.Tensor {
  if (dilation === 1) return kernel;
  const [k, ...rest] = kernel.shape as number[];
  const padded = tf.pad(tf.expandDims(kernel, 1), [[0, 0], [0, dilation - 1], ...rest.map((): [number, number] => [0, 0])]);
  return tf.slice(tf.reshape(padded, [(k as number) * dilation, ...rest]), 0, ((k as number) - 1) * dilation + 1);
}
