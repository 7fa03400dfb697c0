/** What the analysis knows about one Keras layer class. */
import type { Shape } from '../../../protocol/model';
import { ShapeError, type LayerConfig } from '../config';

export interface LayerRule {
  /** Output shapes (batch first) from the input shapes; throws ShapeError when config and inputs disagree. */
  outputShapes(config: LayerConfig, inputs: Shape[]): Shape[];
  /**
   * Multiply-accumulates for one sample (batch 1), or null when they depend
   * on an unknown dimension. Absent: the layer multiplies nothing by a
   * weight (0 MACs whatever the shapes; see README.md).
   */
  macs?(config: LayerConfig, inputs: Shape[], outputs: Shape[]): number | null;
}

export type RuleTable = Record<string, LayerRule>;

/** Finds the rule of a class (wrappers use it for their inner layer). */
export type RuleLookup = (className: string) => LayerRule | undefined;

/** The first (usually only) input; layers given a mask or extra tensors still read their main one. */
export function mainInput(inputs: Shape[]): Shape {
  const first = inputs[0];
  if (!first) throw new ShapeError('has no input');
  return first;
}

/** The n-th input, required. */
export function nthInput(inputs: Shape[], index: number, what: string): Shape {
  const shape = inputs[index];
  if (!shape) throw new ShapeError(`needs ${what} as input ${index + 1}`);
  return shape;
}

/** The last dimension of a shape (features / channels_last). */
export function lastDim(shape: Shape): number | null {
  return shape.length > 1 ? (shape[shape.length - 1] ?? null) : null;
}
