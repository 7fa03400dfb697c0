/**
 * Attention: MultiHeadAttention, Attention (dot-product) and
 * AdditiveAttention. Inputs in call order: query, value, then key (key
 * defaults to value).
 */
import type { Shape } from '../../../protocol/model';
import { readPositive, ShapeError, type LayerConfig } from '../config';
import { formatShape, multiply, normaliseAxis, product, sum, type Dim } from '../shapeMath';
import { lastDim, mainInput, nthInput, type LayerRule, type RuleTable } from './types';

/** MultiHeadAttention's output_shape: None (the query's features), an int, or a tuple. */
function featureShape(config: LayerConfig, query: Shape): Shape {
  const declared = config['output_shape'];
  if (declared === undefined || declared === null) return [lastDim(query)];
  if (typeof declared === 'number') return [readPositive(config, 'output_shape')];
  if (Array.isArray(declared) && declared.length > 0 && declared.every((dim) => Number.isSafeInteger(dim) && (dim as number) > 0)) {
    return declared as number[];
  }
  throw new ShapeError('output_shape is not an int or a tuple of ints');
}

/**
 * The query's axes attention runs over (`attention_axes`, given against the
 * projected (…, heads, key_dim) tensor); by default every axis between
 * batch and features.
 */
function attentionAxes(config: LayerConfig, query: Shape): number[] {
  const middle = Array.from({ length: query.length - 2 }, (_, index) => index + 1);
  const declared = config['attention_axes'];
  if (declared === undefined || declared === null) return middle;
  const list = typeof declared === 'number' ? [declared] : declared;
  if (!Array.isArray(list) || !list.every((axis) => Number.isSafeInteger(axis))) throw new ShapeError('attention_axes is not a list of axes');
  const axes = list.map((axis) => normaliseAxis(axis as number, query.length + 1));
  if (axes.some((axis) => !middle.includes(axis))) throw new ShapeError(`attention_axes ${JSON.stringify(list)} do not fit a query ${formatShape(query)}`);
  return axes;
}

const multiHeadAttention: LayerRule = {
  outputShapes(config, inputs) {
    const query = mainInput(inputs);
    if (query.length < 3) throw new ShapeError(`expects a query of rank 3 or more, got ${formatShape(query)}`);
    return [[...query.slice(0, -1), ...featureShape(config, query)]];
  },
  /**
   * Query, key and value projections (positions × features × heads × head size),
   * the scores QKᵀ and the weighted sum AV (heads × query positions × key
   * positions × head size), and the output projection.
   */
  macs(config, inputs, outputs) {
    const query = mainInput(inputs);
    const value = nthInput(inputs, 1, 'the value');
    const key = inputs[2] ?? value;
    const heads = readPositive(config, 'num_heads');
    const keyDim = readPositive(config, 'key_dim');
    const valueDim = readPositive(config, 'value_dim', keyDim);
    const axes = attentionAxes(config, query);
    const others = Array.from({ length: query.length - 2 }, (_, index) => index + 1).filter((axis) => !axes.includes(axis));
    const pick = (shape: Shape, picked: number[]): Dim[] => picked.map((axis) => shape[axis] ?? null);
    const queryPositions = product(query.slice(1, -1));
    const projections = sum(
      multiply(queryPositions, lastDim(query), heads, keyDim),
      multiply(product(key.slice(1, -1)), lastDim(key), heads, keyDim),
      multiply(product(value.slice(1, -1)), lastDim(value), heads, valueDim),
      multiply(queryPositions, heads, valueDim, product((outputs[0] ?? []).slice(query.length - 1))),
    );
    const outer = multiply(product(pick(query, others)), heads, product(pick(query, axes)));
    const scores = multiply(outer, product(pick(key, axes)), keyDim);
    const weighted = multiply(outer, product(pick(value, axes)), valueDim);
    return sum(projections, scores, weighted);
  },
};

/**
 * Attention / AdditiveAttention: output (batch, Tq, value features). Keras
 * also runs them on rank-2 tensors, where the batch itself plays the
 * sequence: the shape rule holds, the per-sample MACs are unknown.
 */
const dotAttention: LayerRule = {
  outputShapes(_config, inputs) {
    const query = mainInput(inputs);
    const value = nthInput(inputs, 1, 'the value');
    if (query.length < 2 || value.length !== query.length) throw new ShapeError(`expects query and value of the same rank, got ${formatShape(query)} and ${formatShape(value)}`);
    return [[...query.slice(0, -1), lastDim(value)]];
  },
  /** Scores: Tq × Tv × features (a dot product, or the scaled tanh sum of AdditiveAttention); then Tq × Tv × value features. */
  macs(_config, inputs) {
    const query = mainInput(inputs);
    const value = nthInput(inputs, 1, 'the value');
    if (query.length < 3) return null;
    const queryPositions = product(query.slice(1, -1));
    const valuePositions = product(value.slice(1, -1));
    return sum(multiply(queryPositions, valuePositions, lastDim(query)), multiply(queryPositions, valuePositions, lastDim(value)));
  },
};

export const attentionRules: RuleTable = {
  MultiHeadAttention: multiHeadAttention,
  Attention: dotAttention,
  AdditiveAttention: dotAttention,
};
