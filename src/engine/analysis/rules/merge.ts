/**
 * Layers that combine several tensors: element-wise merges (broadcasting as
 * Keras does), Concatenate and Dot. Element-wise merges count 0 MACs; Dot
 * counts one MAC per product it sums.
 */
import type { Shape } from '../../../protocol/model';
import { readAxis, readBoolean, ShapeError, type LayerConfig } from '../config';
import { broadcast, formatShape, multiply, normaliseAxis, product, type Dim } from '../shapeMath';
import type { LayerRule, RuleTable } from './types';

function atLeast(inputs: Shape[], count: number): void {
  if (inputs.length < count) throw new ShapeError(`needs at least ${count} inputs, got ${inputs.length}`);
}

/** Keras _Merge: batch from whichever input knows it, the rest broadcast. */
function elementwise(exactlyTwo: boolean): LayerRule {
  return {
    outputShapes(_config, inputs) {
      atLeast(inputs, exactlyTwo ? 2 : 1);
      if (exactlyTwo && inputs.length !== 2) throw new ShapeError(`needs exactly 2 inputs, got ${inputs.length}`);
      const batches = new Set(inputs.map((shape) => shape[0] ?? null).filter((dim) => dim !== null));
      const batch: Dim = batches.size === 1 ? ([...batches][0] ?? null) : null;
      let merged = inputs[0]?.slice(1) ?? [];
      for (const shape of inputs.slice(1)) merged = broadcast(merged, shape.slice(1));
      return [[batch, ...merged]];
    },
  };
}

/** Concatenate: sizes along `axis` add up; the other axes are the first input's (as Keras reports them). */
const concatenate: LayerRule = {
  outputShapes(config, inputs) {
    atLeast(inputs, 1);
    const first = inputs[0] ?? [];
    const axis = normaliseAxis(readAxis(config, 'axis', -1), first.length);
    let along: Dim = first[axis] ?? null;
    for (const shape of inputs.slice(1)) {
      if (shape.length !== first.length) throw new ShapeError(`cannot concatenate ${formatShape(first)} and ${formatShape(shape)}`);
      shape.forEach((dim, index) => {
        const mine = first[index] ?? null;
        if (index !== axis && index !== 0 && dim !== null && mine !== null && dim !== mine) {
          throw new ShapeError(`cannot concatenate ${formatShape(first)} and ${formatShape(shape)} on axis ${axis}`);
        }
      });
      const size = shape[axis] ?? null;
      along = along === null || size === null ? null : along + size;
    }
    const output = [...first];
    output[axis] = along;
    return [output];
  },
};

/** Dot's two contracted axes, normalised (an int means the same axis on both sides). */
function dotAxes(config: LayerConfig, left: Shape, right: Shape): [number, number] {
  const axes = config['axes'];
  if (typeof axes === 'number' && Number.isSafeInteger(axes)) {
    return [normaliseAxis(axes, left.length), normaliseAxis(axes, right.length)];
  }
  if (Array.isArray(axes) && axes.length === 2 && axes.every((axis) => Number.isSafeInteger(axis))) {
    return [normaliseAxis(axes[0] as number, left.length), normaliseAxis(axes[1] as number, right.length)];
  }
  throw new ShapeError(`axes ${JSON.stringify(axes) ?? 'missing'} is not an int or a pair`);
}

function dotOperands(config: LayerConfig, inputs: Shape[]) {
  if (inputs.length !== 2) throw new ShapeError(`needs exactly 2 inputs, got ${inputs.length}`);
  const [left = [], right = []] = inputs;
  readBoolean(config, 'normalize', false);
  const [leftAxis, rightAxis] = dotAxes(config, left, right);
  if (leftAxis === 0 || rightAxis === 0) throw new ShapeError('cannot contract the batch axis');
  const [a, b] = [left[leftAxis] ?? null, right[rightAxis] ?? null];
  if (a !== null && b !== null && a !== b) throw new ShapeError(`axis sizes differ: ${a} and ${b}`);
  return { left, right, leftAxis, rightAxis, contracted: a ?? b };
}

const dot: LayerRule = {
  outputShapes(config, inputs) {
    const { left, right, leftAxis, rightAxis } = dotOperands(config, inputs);
    const output = [...left.filter((_, index) => index !== leftAxis), ...right.filter((_, index) => index !== rightAxis && index !== 0)];
    return [output.length === 1 ? [...output, 1] : output];
  },
  macs(config, inputs, outputs) {
    const { contracted } = dotOperands(config, inputs);
    return multiply(product((outputs[0] ?? []).slice(1)), contracted);
  },
};

export const mergeRules: RuleTable = {
  Add: elementwise(false),
  Subtract: elementwise(true),
  Multiply: elementwise(false),
  Average: elementwise(false),
  Maximum: elementwise(false),
  Minimum: elementwise(false),
  Concatenate: concatenate,
  Dot: dot,
};
