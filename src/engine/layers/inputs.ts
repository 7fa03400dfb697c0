/**
 * What a layer receives: tfjs passes one tensor (or shape) or a list of
 * them. These helpers check the count and rank and name the layer when they
 * are wrong.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Shape } from '@tensorflow/tfjs-layers';
import { LayerConfigError } from './config';

export type { Shape };

/** Whether a value is a list of shapes rather than one shape. */
export function isShapeList(shape: Shape | Shape[]): shape is Shape[] {
  return Array.isArray(shape[0]);
}

export function oneShape(layerClass: string, shape: Shape | Shape[]): Shape {
  if (!isShapeList(shape)) return shape;
  if (shape.length !== 1 || !shape[0]) throw new LayerConfigError(`${layerClass} takes one input, got ${shape.length}`);
  return shape[0];
}

export function shapeList(layerClass: string, shape: Shape | Shape[], min: number, max: number): Shape[] {
  const list = isShapeList(shape) ? shape : [shape];
  if (list.length < min || list.length > max) {
    throw new LayerConfigError(`${layerClass} takes ${min === max ? min : `${min} to ${max}`} inputs, got ${list.length}`);
  }
  return list;
}

export function oneTensor(layerClass: string, inputs: Tensor | Tensor[]): Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length !== 1 || !inputs[0]) throw new LayerConfigError(`${layerClass} takes one input, got ${inputs.length}`);
  return inputs[0];
}

export function tensorList(layerClass: string, inputs: Tensor | Tensor[], min: number, max: number): Tensor[] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (list.length < min || list.length > max) {
    throw new LayerConfigError(`${layerClass} takes ${min === max ? min : `${min} to ${max}`} inputs, got ${list.length}`);
  }
  return list;
}

export function requireRank(layerClass: string, shape: Shape, ranks: readonly number[]): void {
  if (!ranks.includes(shape.length)) {
    throw new LayerConfigError(`${layerClass} expects an input of rank ${ranks.join(' or ')}, got shape [${shape.map(String).join(', ')}]`);
  }
}

/** The last dimension, which a layer with weights must know when it is built. */
export function knownDim(layerClass: string, shape: Shape, axis: number): number {
  const dim = shape[axis < 0 ? shape.length + axis : axis];
  if (typeof dim !== 'number') {
    throw new LayerConfigError(`${layerClass} needs a known size on axis ${axis} of its input, got shape [${shape.map(String).join(', ')}]`);
  }
  return dim;
}

/** "No mask": tfjs layers return null from computeMask, though its typings do not say so. */
export const NO_MASK = null as unknown as Tensor;
