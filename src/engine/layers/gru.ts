/**
 * Keras GRU with reset_after=True (the default since Keras 2.3 and in Keras 3),
 * which tfjs-layers refuses. The step follows Keras: with x·W + b_in and
 * h·U + b_rec split into the z, r, h thirds,
 *   z = σ(x_z + h_z),  r = σ(x_r + h_r),  h̃ = act(x_h + r ⊙ h_h),
 *   h' = z ⊙ h + (1 − z) ⊙ h̃.
 * Weights in Keras layout: kernel (in, 3u), recurrent_kernel (u, 3u),
 * bias (2, 3u) with the input bias in row 0.
 *
 * The loop, masking, go_backwards and return_state come from tfjs's RNN, so
 * tfjs's Bidirectional wraps this layer like its own GRU. Dropout is an
 * inference no-op and not applied. A stateful layer runs every call from a
 * zero state, which is what a stateful Keras layer does on its first batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { activationByName, type ActivationFn } from './activations';
import { ConfigReader, LayerConfigError, weightShape, type KerasLayerArgs } from './config';
import { knownDim, oneShape } from './inputs';

const CLASS = 'GRU';

export class DlkitGRUCell extends tfl.layers.RNNCell {
  static className = 'DlkitGRUCell';
  readonly units: number;
  stateSize: number;
  private readonly activationName: unknown;
  private readonly recurrentActivationName: unknown;
  private readonly activation: ActivationFn;
  private readonly recurrentActivation: ActivationFn;
  private readonly useBias: boolean;
  private readonly own: Record<string, unknown>;
  private kernel: LayerVariable | null = null;
  private recurrentKernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;

  constructor(args: KerasLayerArgs) {
    super(args);
    const config = new ConfigReader(CLASS, args);
    if (!config.bool('resetAfter', true)) {
      throw new LayerConfigError(`${CLASS}: this layer implements reset_after=True; tfjs-layers' own GRU runs reset_after=False`);
    }
    this.units = config.int('units', undefined);
    this.stateSize = this.units;
    this.activationName = args['activation'] === undefined ? 'tanh' : args['activation'];
    this.recurrentActivationName = args['recurrentActivation'] === undefined ? 'sigmoid' : args['recurrentActivation'];
    this.activation = activationByName(CLASS, this.activationName);
    this.recurrentActivation = activationByName(CLASS, this.recurrentActivationName);
    this.useBias = config.bool('useBias', true);
    this.own = config.ownEntries();
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const inputDim = knownDim(CLASS, oneShape(CLASS, inputShape), -1);
    const u = this.units;
    this.kernel = this.addWeight('kernel', weightShape(CLASS, 'kernel', [inputDim, 3 * u]), 'float32', tfl.initializers.zeros());
    this.recurrentKernel = this.addWeight('recurrent_kernel', weightShape(CLASS, 'recurrent_kernel', [u, 3 * u]), 'float32', tfl.initializers.zeros());
    if (this.useBias) this.bias = this.addWeight('bias', [2, 3 * u], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  /** One step: inputs are [x (batch, in), h (batch, u)]; returns [output, new state], both h'. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2) throw new LayerConfigError(`${CLASS} cell expects [input, state]`);
      if (!this.kernel || !this.recurrentKernel) throw new LayerConfigError(`${CLASS} was called before it was built`);
      const [x, h] = inputs as [tf.Tensor2D, tf.Tensor2D];
      let fromInput = tf.matMul(x, this.kernel.read() as tf.Tensor2D);
      let fromState = tf.matMul(h, this.recurrentKernel.read() as tf.Tensor2D);
      if (this.bias) {
        const [inputBias, recurrentBias] = tf.unstack(this.bias.read()) as [tf.Tensor1D, tf.Tensor1D];
        fromInput = tf.add(fromInput, inputBias);
        fromState = tf.add(fromState, recurrentBias);
      }
      const [xz, xr, xh] = tf.split(fromInput, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [hz, hr, hh] = tf.split(fromState, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const z = this.recurrentActivation(tf.add(xz, hz));
      const r = this.recurrentActivation(tf.add(xr, hr));
      const candidate = this.activation(tf.add(xh, tf.mul(r, hh)));
      const next = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
      return [next, next];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...(this.own as tf.serialization.ConfigDict),
      ...super.getConfig(),
      units: this.units,
      activation: this.activationName as string,
      recurrentActivation: this.recurrentActivationName as string,
      useBias: this.useBias,
      resetAfter: true,
    };
  }
}

export class DlkitGRU extends tfl.layers.RNN {
  static override className = 'DlkitGRU';
  private readonly savedStateful: boolean;
  private readonly savedUnroll: boolean;
  private readonly zeroOutputForMask: boolean;

  constructor(args: KerasLayerArgs) {
    const config = new ConfigReader(CLASS, args);
    if (config.bool('timeMajor', false)) throw new LayerConfigError(`${CLASS}: time_major=True is not supported`);
    // The loop always starts from zeros and is never unrolled (see the file comment).
    super({ ...args, cell: new DlkitGRUCell(args), stateful: false, unroll: false });
    this.savedStateful = config.bool('stateful', false);
    this.savedUnroll = config.bool('unroll', false);
    this.zeroOutputForMask = config.bool('zeroOutputForMask', false);
  }

  /**
   * Keras' zero_output_for_mask: a masked step outputs zeros instead of the
   * previous output, so masked steps of the sequence, and the last output when
   * the last step walked is masked, are zeros.
   */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const mask = kwargs?.['mask'] as tf.Tensor | undefined;
      const output = super.call(inputs, { mask, training: kwargs?.['training'], initialState: kwargs?.['initialState'] });
      if (!this.zeroOutputForMask || !(mask instanceof tf.Tensor) || mask.rank !== 2) return output;
      const [first, ...states] = (Array.isArray(output) ? output : [output]) as [tf.Tensor, ...tf.Tensor[]];
      const steps = mask.shape[1] as number;
      const keep = this.returnSequences
        ? tf.expandDims(tf.cast(mask, 'float32'), -1)
        : tf.cast(tf.slice(mask, [0, this.goBackwards ? 0 : steps - 1], [-1, 1]), 'float32');
      const zeroed = tf.mul(first, keep);
      return Array.isArray(output) ? [zeroed, ...states] : zeroed;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stateful: this.savedStateful, unroll: this.savedUnroll, zeroOutputForMask: this.zeroOutputForMask };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}
