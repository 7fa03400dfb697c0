/**
 * Keras MultiHeadAttention. Inputs: [query, value] or [query, value, key]
 * (Keras' call order; key defaults to value). Each input is projected per
 * head (Keras' EinsumDense: kernel (dim, heads, key_dim), bias (heads,
 * key_dim)), the query is scaled by 1/√key_dim, softmax(q·kᵀ) weights the
 * values over the attention axes, and the heads are projected back with the
 * output kernel (heads, value_dim, ...output_shape). Weights in Keras order:
 * query, key, value, output, each kernel then bias.
 *
 * Attention axes other than the default (every axis between batch and
 * features) are handled by moving the remaining axes next to the batch.
 * Masks (query, value and key masks, use_causal_mask) apply to sequences, as
 * in Keras: rank 3 inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { allOf, causalMask, inputMask, inputsFromSelfReferences, maskedSoftmax, readCallOptions, rejectTensorKeywords, type AttentionCallOptions } from './callOptions';
import { ConfigReader, LayerConfigError, weightShape, type KerasLayerArgs } from './config';
import { isShapeList, knownDim, NO_MASK, shapeList, tensorList, type Shape } from './inputs';
import { RepeatedInputs } from './repeatedInputs';

const CLASS = 'MultiHeadAttention';

interface Projection {
  kernel: LayerVariable;
  bias: LayerVariable | null;
}

/** How the axes of a projected input (batch, ...middle, heads, dim) are regrouped for attention. */
interface AxisPlan {
  /** Middle axes attention runs over, and the others (treated like the batch). */
  attended: number[];
  others: number[];
  /** To (batch, ...others, heads, ...attended, dim). */
  perm: number[];
}

function product(sizes: number[]): number {
  return sizes.reduce((all, size) => all * size, 1);
}

export class DlkitMultiHeadAttention extends tfl.layers.Layer {
  static className = 'DlkitMultiHeadAttention';
  private readonly numHeads: number;
  private readonly keyDim: number;
  private readonly valueDim: number;
  private readonly useBias: boolean;
  private readonly outputDims: number[] | null;
  private readonly attentionAxes: number[] | null;
  private readonly own: Record<string, unknown>;
  private options: AttentionCallOptions = { useCausalMask: false, returnAttentionScores: false };
  private readonly repeated = new RepeatedInputs();
  private projections: { query: Projection; key: Projection; value: Projection; output: Projection } | null = null;

  constructor(args: KerasLayerArgs = {}) {
    super(args);
    const config = new ConfigReader(CLASS, args);
    this.numHeads = config.int('numHeads', undefined);
    this.keyDim = config.int('keyDim', undefined);
    this.valueDim = config.int('valueDim', this.keyDim);
    this.useBias = config.bool('useBias', true);
    this.outputDims = config.has('outputShape') ? this.readOutputShape(config, args['outputShape']) : null;
    this.attentionAxes = config.has('attentionAxes') ? config.axes('attentionAxes', []) : null;
    if (this.attentionAxes?.some((axis) => axis < 1)) {
      throw new LayerConfigError(`${CLASS}: attention_axes must be positive axes between the batch and the features, got ${JSON.stringify(this.attentionAxes)}`);
    }
    this.own = config.ownEntries();
    this.supportsMasking = true;
  }

  private readOutputShape(config: ConfigReader, value: unknown): number[] {
    const length = Array.isArray(value) ? value.length : 1;
    if (length < 1 || length > 8) throw new LayerConfigError(`${CLASS}: output_shape must be an integer or a short list of them`);
    return config.intTuple('outputShape', length, undefined);
  }

  override apply(inputs: tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[], kwargs?: Kwargs): tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[] {
    // The first call is the symbolic one that builds the graph; see callOptions.ts.
    if (this.built) return super.apply(inputs, kwargs);
    const call = inputsFromSelfReferences(inputs, kwargs, ['value', 'key']);
    rejectTensorKeywords(CLASS, call.kwargs, ['query', 'value', 'key', 'attentionMask']);
    this.options = readCallOptions(CLASS, call.kwargs, this.options);
    return super.apply(this.repeated.dedupe(call.inputs, true), call.kwargs);
  }

  /** [query, value] or [query, value, key] shapes, repeats restored (see repeatedInputs.ts). */
  private inputShapes(inputShape: Shape | Shape[]): Shape[] {
    return shapeList(CLASS, this.repeated.expand(isShapeList(inputShape) ? inputShape : [inputShape], 2), 2, 3);
  }

  private plan(rank: number): AxisPlan {
    const middle = Array.from({ length: rank - 2 }, (_, i) => i + 1);
    const attended = this.attentionAxes ?? middle;
    if (attended.length === 0 || attended.some((axis) => !middle.includes(axis))) {
      throw new LayerConfigError(`${CLASS}: attention_axes ${JSON.stringify(attended)} do not fit inputs of rank ${rank}`);
    }
    const others = middle.filter((axis) => !attended.includes(axis));
    // In the projected tensor the heads axis sits at rank - 1 and the per-head dim at rank.
    return { attended, others, perm: [0, ...others, rank - 1, ...attended, rank] };
  }

  override build(inputShape: Shape | Shape[]): void {
    const [query, value, key = value] = this.inputShapes(inputShape) as [Shape, Shape, Shape?];
    if (value.length !== query.length || key.length !== query.length) {
      throw new LayerConfigError(`${CLASS}: query, value and key must have the same rank`);
    }
    this.plan(query.length);
    const heads = this.numHeads;
    const out = this.outputDims ?? [knownDim(CLASS, query, -1)];
    const projection = (name: string, kernelShape: number[], biasShape: number[]): Projection => ({
      kernel: this.addWeight(`${name}/kernel`, weightShape(CLASS, `${name} kernel`, kernelShape), 'float32', tfl.initializers.zeros()),
      bias: this.useBias ? this.addWeight(`${name}/bias`, weightShape(CLASS, `${name} bias`, biasShape), 'float32', tfl.initializers.zeros()) : null,
    });
    this.projections = {
      query: projection('query', [knownDim(CLASS, query, -1), heads, this.keyDim], [heads, this.keyDim]),
      key: projection('key', [knownDim(CLASS, key, -1), heads, this.keyDim], [heads, this.keyDim]),
      value: projection('value', [knownDim(CLASS, value, -1), heads, this.valueDim], [heads, this.valueDim]),
      output: projection('attention_output', [heads, this.valueDim, ...out], out),
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const [query, value, key = value] = this.inputShapes(inputShape) as [Shape, Shape, Shape?];
    const { attended, others } = this.plan(query.length);
    const output = [...query.slice(0, -1), ...(this.outputDims ?? [query[query.length - 1] ?? null])];
    if (!this.options.returnAttentionScores) return output;
    const scores = [query[0] ?? null, ...others.map((axis) => query[axis] ?? null), this.numHeads, ...attended.map((axis) => query[axis] ?? null), ...attended.map((axis) => key[axis] ?? null)];
    return [output, scores];
  }

  /** (..., dim) -> (..., heads, size) with the projection's kernel (dim, heads, size) and bias (heads, size). */
  private project(x: tf.Tensor, projection: Projection): tf.Tensor {
    const [dim, heads, size] = projection.kernel.shape as [number, number, number];
    const flat = tf.matMul(tf.reshape(x, [-1, dim]), tf.reshape(projection.kernel.read(), [dim, heads * size]));
    const projected = tf.reshape(flat, [...x.shape.slice(0, -1), heads, size]);
    return projection.bias ? tf.add(projected, projection.bias.read()) : projected;
  }

  /** A projected input regrouped to (batch·others·heads, attended positions, dim). */
  private regroup(projected: tf.Tensor, plan: AxisPlan): tf.Tensor3D {
    const moved = tf.transpose(projected, plan.perm);
    const size = projected.shape[projected.rank - 1] as number;
    const attendedCount = product(plan.attended.map((axis) => projected.shape[axis] as number));
    return tf.reshape(moved, [-1, attendedCount, size]);
  }

  /** Keras' implicit attention mask for sequences: (batch, Tq, Tk) from input masks and the causal flag, or null. */
  private attentionMask(inputs: tf.Tensor[], mask: unknown, causal: boolean): tf.Tensor | null {
    const [query, value] = inputs as [tf.Tensor, tf.Tensor];
    if (query.rank !== 3) return null;
    const queryMask = inputMask(mask, 0, inputs);
    const valueMask = inputMask(mask, 1, inputs);
    const keyMask = inputMask(mask, 2, inputs);
    return allOf([
      queryMask && tf.expandDims(queryMask, 2),
      valueMask && tf.expandDims(valueMask, 1),
      keyMask && tf.expandDims(keyMask, 1),
      causal ? tf.expandDims(causalMask(query.shape[1] as number, value.shape[1] as number), 0) : null,
    ]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      if (!this.projections) throw new LayerConfigError(`${CLASS} was called before it was built`);
      const options = readCallOptions(CLASS, kwargs, this.options);
      const list = tensorList(CLASS, this.repeated.expand(Array.isArray(inputs) ? inputs : [inputs], 2), 2, 3);
      const [query, value, key = value] = list as [tf.Tensor, tf.Tensor, tf.Tensor?];
      const plan = this.plan(query.rank);
      const p = this.projections;
      const q = this.regroup(tf.mul(this.project(query, p.query), 1 / Math.sqrt(this.keyDim)), plan);
      const k = this.regroup(this.project(key, p.key), plan);
      const v = this.regroup(this.project(value, p.value), plan);
      let scores: tf.Tensor = tf.matMul(q, k, false, true); // (batch·others·heads, Tq, Tk)
      const given: unknown = kwargs?.['mask'];
      const keep = this.attentionMask(list, Array.isArray(given) ? this.repeated.expand(given, 2) : given, options.useCausalMask);
      const batch = query.shape[0] as number;
      const [, tq, tk] = scores.shape as [number, number, number];
      let weights: tf.Tensor;
      if (keep) {
        // Rank 3 only: scores are (batch·heads, Tq, Tk); the mask is per batch item.
        scores = tf.reshape(scores, [batch, this.numHeads, tq, tk]);
        weights = tf.reshape(maskedSoftmax(scores, tf.expandDims(keep, 1)), [-1, tq, tk]);
      } else {
        weights = maskedSoftmax(scores, null);
      }
      const attended = tf.matMul(weights, v); // (batch·others·heads, Tq, value_dim)
      const output = this.projectOutput(attended, query, plan);
      if (!options.returnAttentionScores) return output;
      const groupSizes = [batch, ...plan.others.map((axis) => query.shape[axis] as number), this.numHeads];
      const scoreShape = [...groupSizes, ...plan.attended.map((axis) => query.shape[axis] as number), ...plan.attended.map((axis) => key.shape[axis] as number)];
      return [output, tf.reshape(weights, scoreShape)];
    });
  }

  /** Attended values back in the query's layout, heads merged by the output kernel. */
  private projectOutput(attended: tf.Tensor, query: tf.Tensor, plan: AxisPlan): tf.Tensor {
    const output = (this.projections as { output: Projection }).output;
    const heads = this.numHeads;
    const dims = (axes: number[]): number[] => axes.map((axis) => query.shape[axis] as number);
    // The layout regroup() produced: (batch, ...others, heads, ...attended, value_dim).
    const grouped = tf.reshape(attended, [query.shape[0] as number, ...dims(plan.others), heads, ...dims(plan.attended), this.valueDim]);
    const inverse = new Array<number>(plan.perm.length);
    plan.perm.forEach((axis, i) => (inverse[axis] = i));
    const restored = tf.transpose(grouped, inverse); // (batch, ...middle, heads, value_dim)
    const outShape = output.kernel.shape.slice(2) as number[];
    const flat = tf.matMul(tf.reshape(restored, [-1, heads * this.valueDim]), tf.reshape(output.kernel.read(), [heads * this.valueDim, product(outShape)]));
    const projected = tf.reshape(flat, [...query.shape.slice(0, -1), ...outShape]);
    return output.bias ? tf.add(projected, output.bias.read()) : projected;
  }

  /** Keras passes the query's mask on. */
  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const queryMask = (Array.isArray(mask) ? mask[0] : mask) ?? NO_MASK;
    return this.options.returnAttentionScores ? [queryMask, NO_MASK] : queryMask;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...(this.own as tf.serialization.ConfigDict),
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      useBias: this.useBias,
      outputShape: this.outputDims,
      attentionAxes: this.attentionAxes,
    };
  }
}
