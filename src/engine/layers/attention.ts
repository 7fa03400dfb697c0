/**
 * Keras' dot-product `Attention` (Luong; score_mode 'dot' or 'concat') and
 * `AdditiveAttention` (Bahdanau). Inputs: [query, value] or [query, value,
 * key] (key defaults to value). Scores over the last two axes, a softmax over
 * the keys (value mask and causal mask applied as Keras does, with -1e9), the
 * weighted sum of values, then the query mask zeroes masked query steps.
 * Weights in Keras order: Attention has scale () if use_scale, then
 * concat_score_weight () for score_mode 'concat'; AdditiveAttention has
 * scale (dim,) if use_scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { allOf, causalMask, inputMask, maskedSoftmax, readCallOptions, rejectTensorKeywords, type AttentionCallOptions } from './callOptions';
import { ConfigReader, LayerConfigError, type KerasLayerArgs } from './config';
import { isShapeList, knownDim, NO_MASK, shapeList, tensorList, type Shape } from './inputs';
import { RepeatedInputs } from './repeatedInputs';

abstract class BaseAttention extends tfl.layers.Layer {
  protected readonly useScale: boolean;
  protected readonly causal: boolean;
  protected readonly own: Record<string, unknown>;
  protected options: AttentionCallOptions = { useCausalMask: false, returnAttentionScores: false };
  private readonly repeated = new RepeatedInputs();

  constructor(
    args: KerasLayerArgs,
    protected readonly kerasClass: string,
    useScaleDefault: boolean,
  ) {
    super(args);
    const config = new ConfigReader(kerasClass, args);
    this.useScale = config.bool('useScale', useScaleDefault);
    // Keras 2.4 to 2.9 configs say `causal`; later versions take use_causal_mask in the call.
    this.causal = config.bool('causal', false);
    this.own = config.ownEntries();
    this.supportsMasking = true;
  }

  /** Scores (..., Tq, Tk) from query (..., Tq, d) and key (..., Tk, d). */
  protected abstract scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor;

  override apply(inputs: tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[], kwargs?: Kwargs): tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[] {
    // The first call is the symbolic one that builds the graph; see callOptions.ts.
    if (this.built) return super.apply(inputs, kwargs);
    rejectTensorKeywords(this.kerasClass, kwargs, ['query', 'value', 'key', 'attentionMask']);
    this.options = readCallOptions(this.kerasClass, kwargs, this.options);
    return super.apply(this.repeated.dedupe(inputs, true), kwargs);
  }

  /** [query, value] or [query, value, key] shapes, repeats restored (see repeatedInputs.ts). */
  protected inputShapes(inputShape: Shape | Shape[]): Shape[] {
    return shapeList(this.kerasClass, this.repeated.expand(isShapeList(inputShape) ? inputShape : [inputShape], 2), 2, 3);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const [query, value, key = value] = this.inputShapes(inputShape) as [Shape, Shape, Shape?];
    const output = [...query.slice(0, -1), value[value.length - 1] ?? null];
    if (!this.options.returnAttentionScores) return output;
    return [output, [...query.slice(0, -1), key[key.length - 2] ?? null]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const options = readCallOptions(this.kerasClass, kwargs, this.options);
      const list = tensorList(this.kerasClass, this.repeated.expand(Array.isArray(inputs) ? inputs : [inputs], 2), 2, 3);
      const [query, value, key = value] = list as [tf.Tensor, tf.Tensor, tf.Tensor?];
      const given: unknown = kwargs?.['mask'];
      const mask: unknown = Array.isArray(given) ? this.repeated.expand(given, 2) : given;
      const scores = this.scores(query, key);
      const valueMask = inputMask(mask, 1, list);
      const tq = scores.shape[scores.rank - 2] as number;
      const tk = scores.shape[scores.rank - 1] as number;
      const keep = allOf([
        valueMask && tf.expandDims(valueMask, -2),
        this.causal || options.useCausalMask ? causalMask(tq, tk) : null,
      ]);
      const weights = maskedSoftmax(scores, keep);
      let result = tf.matMul(weights, value);
      const queryMask = inputMask(mask, 0, list);
      if (queryMask) result = tf.mul(result, tf.expandDims(tf.cast(queryMask, 'float32'), -1));
      return options.returnAttentionScores ? [result, weights] : result;
    });
  }

  /** Keras passes the query's mask on. */
  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const queryMask = (Array.isArray(mask) ? mask[0] : mask) ?? NO_MASK;
    return this.options.returnAttentionScores ? [queryMask, NO_MASK] : queryMask;
  }

  protected commonConfig(): tf.serialization.ConfigDict {
    return { ...(this.own as tf.serialization.ConfigDict), ...super.getConfig(), useScale: this.useScale, causal: this.causal };
  }
}

export class DlkitAttention extends BaseAttention {
  static className = 'DlkitAttention';
  private readonly scoreMode: 'dot' | 'concat';
  private scale: LayerVariable | null = null;
  private concatScoreWeight: LayerVariable | null = null;

  constructor(args: KerasLayerArgs = {}) {
    super(args, 'Attention', false);
    this.scoreMode = new ConfigReader('Attention', args).oneOf('scoreMode', ['dot', 'concat'], 'dot');
  }

  override build(_inputShape: Shape | Shape[]): void {
    if (this.useScale) this.scale = this.addWeight('scale', [], 'float32', tfl.initializers.ones());
    if (this.scoreMode === 'concat') this.concatScoreWeight = this.addWeight('concat_score_weight', [], 'float32', tfl.initializers.ones());
    this.built = true;
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    if (this.scoreMode === 'dot') {
      const scores = tf.matMul(query, key, false, true);
      return this.scale ? tf.mul(scores, this.scale.read()) : scores;
    }
    let sum = tf.add(tf.expandDims(query, -2), tf.expandDims(key, -3));
    if (this.scale) sum = tf.mul(sum, this.scale.read());
    const scores = tf.sum(tf.tanh(sum), -1);
    return this.concatScoreWeight ? tf.mul(scores, this.concatScoreWeight.read()) : scores;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.commonConfig(), scoreMode: this.scoreMode };
  }
}

export class DlkitAdditiveAttention extends BaseAttention {
  static className = 'DlkitAdditiveAttention';
  private scale: LayerVariable | null = null;

  constructor(args: KerasLayerArgs = {}) {
    super(args, 'AdditiveAttention', true);
  }

  override build(inputShape: Shape | Shape[]): void {
    const [query] = this.inputShapes(inputShape) as [Shape];
    if (this.useScale) this.scale = this.addWeight('scale', [knownDim('AdditiveAttention', query, -1)], 'float32', tfl.initializers.ones());
    this.built = true;
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    const query4 = tf.expandDims(query, -2);
    const key4 = tf.expandDims(key, -3);
    if (query.shape[query.rank - 1] !== key.shape[key.rank - 1]) {
      throw new LayerConfigError(`AdditiveAttention: query and key must have the same last dimension, got ${String(query.shape.at(-1))} and ${String(key.shape.at(-1))}`);
    }
    const activated = tf.tanh(tf.add(query4, key4));
    return tf.sum(this.scale ? tf.mul(activated, this.scale.read()) : activated, -1);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return this.commonConfig();
  }
}
