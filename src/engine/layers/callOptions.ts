/**
 * Keyword arguments Keras records with a layer call in the model config
 * (`use_causal_mask`, `return_attention_scores`) and masks handed to a layer
 * with several inputs. tfjs gives a layer its recorded keyword arguments only
 * when the graph is built (LayersModel.predict calls layers without them), so
 * attention layers remember them from that first, symbolic call.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { LayerConfigError } from './config';

export interface AttentionCallOptions {
  useCausalMask: boolean;
  returnAttentionScores: boolean;
}

function flag(kwargs: Kwargs | undefined, key: string, layerClass: string): boolean | undefined {
  const value: unknown = kwargs?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new LayerConfigError(`${layerClass}: call argument ${key} must be true or false`);
  return value;
}

/** tfjs camelCases the strings in a config, layer names inside keyword arguments included. */
function camelCase(name: string): string {
  return name.replace(/_+(\w|$)/g, (_, letter: string) => letter.toUpperCase());
}

/** Whether a recorded [layer, node, tensor] reference names this symbolic tensor. */
function refersTo(reference: unknown, tensor: SymbolicTensor): boolean {
  if (!Array.isArray(reference) || typeof reference[0] !== 'string') return false;
  const layerName = tensor.sourceLayer.name;
  return (reference[0] === layerName || reference[0] === camelCase(layerName)) && reference[1] === tensor.nodeIndex && (reference[2] ?? 0) === tensor.tensorIndex;
}

/**
 * Keras 2 saves `mha(x, x)` as a call on x whose `value` keyword argument
 * names x again. A keyword reference to the query itself becomes an input
 * (in the order of `keys`) and leaves the keyword arguments; references to
 * other tensors stay for rejectTensorKeywords.
 */
export function inputsFromSelfReferences<I>(inputs: I, kwargs: Kwargs | undefined, keys: readonly string[]): { inputs: I; kwargs: Kwargs | undefined } {
  const list: unknown[] = Array.isArray(inputs) ? inputs : [inputs];
  const query = list[0];
  if (list.length !== 1 || !(query instanceof SymbolicTensor) || !kwargs) return { inputs, kwargs };
  const remaining: Kwargs = { ...kwargs };
  const resolved: unknown[] = [query];
  for (const key of keys) {
    if (!refersTo(remaining[key], query)) break;
    resolved.push(query);
    delete remaining[key];
  }
  return resolved.length === 1 ? { inputs, kwargs } : { inputs: resolved as I, kwargs: remaining };
}

/**
 * Tensors Keras 2 recorded as keyword arguments (`mha(query=x, value=y)`
 * saves `value` as a kwarg) arrive as bare references tfjs cannot resolve.
 * Running without them would quietly compute something else, so they are an
 * error: the topology must list them as inputs.
 */
export function rejectTensorKeywords(layerClass: string, kwargs: Kwargs | undefined, keys: readonly string[]): void {
  const found = keys.filter((key) => kwargs?.[key] !== undefined && kwargs[key] !== null);
  // A mask passed in code is a tensor; one recorded in a model config is a [layer, node, tensor] reference.
  const mask: unknown = kwargs?.['mask'];
  if (isReference(mask) || (Array.isArray(mask) && mask.some(isReference))) found.push('mask');
  if (found.length > 0) {
    throw new LayerConfigError(`${layerClass}: ${found.join(', ')} given as call keyword arguments; TF.js can only take tensors as the layer's inputs (query, value, key)`);
  }
}

function isReference(value: unknown): boolean {
  return Array.isArray(value) && typeof value[0] === 'string';
}

/** The options of this call: those given now, else those remembered. */
export function readCallOptions(layerClass: string, kwargs: Kwargs | undefined, remembered: AttentionCallOptions): AttentionCallOptions {
  return {
    useCausalMask: flag(kwargs, 'useCausalMask', layerClass) ?? remembered.useCausalMask,
    returnAttentionScores: flag(kwargs, 'returnAttentionScores', layerClass) ?? remembered.returnAttentionScores,
  };
}

/**
 * The mask of input `index` when tfjs passed one of the expected shape (the
 * input's shape without its last axis). tfjs hands a layer either the list of
 * its inputs' masks or only the first input's mask; that one also belongs to
 * any other input that is the very same tensor (self-attention).
 */
export function inputMask(mask: unknown, index: number, inputs: tf.Tensor[]): tf.Tensor | null {
  const input = inputs[index];
  if (!input) return null;
  const sharesFirst = index === 0 || input === inputs[0];
  const candidate: unknown = Array.isArray(mask) ? mask[index] : sharesFirst ? mask : undefined;
  if (!(candidate instanceof tf.Tensor)) return null;
  const found: tf.Tensor = candidate;
  const expected = input.shape.slice(0, -1);
  if (found.rank !== expected.length || found.shape.some((size, i) => size !== expected[i])) return null;
  return found;
}

/** (tq, tk) lower-triangular ones: query step i may attend to key steps j <= i. */
export function causalMask(tq: number, tk: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.linalg.bandPart(tf.ones([tq, tk]), -1, 0), 'bool') as tf.Tensor2D);
}

/** Keras' masked softmax over the last axis: masked-out scores get -1e9 added first. */
export function maskedSoftmax(scores: tf.Tensor, keep: tf.Tensor | null): tf.Tensor {
  if (!keep) return tf.softmax(scores, -1);
  return tf.softmax(tf.sub(scores, tf.mul(tf.sub(1, tf.cast(keep, 'float32')), 1e9)), -1);
}

/** The logical AND of the masks present (bool), or null. */
export function allOf(masks: Array<tf.Tensor | null>): tf.Tensor | null {
  const present = masks.filter((mask): mask is tf.Tensor => mask !== null);
  if (present.length === 0) return null;
  return present.slice(1).reduce((all, mask) => tf.logicalAnd(all, tf.cast(mask, 'bool')), tf.cast(present[0] as tf.Tensor, 'bool'));
}
