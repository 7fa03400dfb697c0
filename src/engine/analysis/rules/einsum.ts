/**
 * EinsumDense: `equation` is `ab,bc->ac`, `...b,bc->...c` (leading axes
 * elided) or `ab...,bc->ac...` (trailing axes elided); `output_shape`
 * excludes the batch and the elided axes. An unknown entry of output_shape
 * that names an input axis takes that axis's size.
 */
import type { Shape } from '../../../protocol/model';
import { describe, ShapeError, type LayerConfig } from '../config';
import { formatShape, multiply, product, type Dim } from '../shapeMath';
import { mainInput, type LayerRule, type RuleTable } from './types';

interface Einsum {
  /** Full output shape, batch first. */
  output: Shape;
  /** Sizes of the axes summed over (in input and kernel, not in the output). */
  contracted: Dim[];
}

const PLAIN = /^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$/;
const LEFT_ELIDED = /^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$/;
const RIGHT_ELIDED = /^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]{2,})\.\.\.$/;

function declaredOutput(config: LayerConfig): Shape {
  const value = config['output_shape'];
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || !list.every((dim) => dim === null || (Number.isSafeInteger(dim) && (dim as number) > 0))) {
    throw new ShapeError(`output_shape is ${describe(value)}`);
  }
  return list as Shape;
}

export function analyseEinsum(config: LayerConfig, input: Shape): Einsum {
  const equation = typeof config['equation'] === 'string' ? config['equation'].replace(/\s+/g, '') : '';
  const mode = PLAIN.test(equation) ? 'plain' : LEFT_ELIDED.test(equation) ? 'left' : RIGHT_ELIDED.test(equation) ? 'right' : undefined;
  const match = mode === 'plain' ? PLAIN.exec(equation) : mode === 'left' ? LEFT_ELIDED.exec(equation) : RIGHT_ELIDED.exec(equation);
  if (!mode || !match) throw new ShapeError(`equation ${describe(config['equation'])} is not of the form ab,bc->ac`);
  const [, inputSpec = '', kernelSpec = '', outputSpec = ''] = match;
  const elided = input.length - inputSpec.length;
  if (mode === 'plain' ? elided !== 0 : elided < 1) throw new ShapeError(`equation ${equation} does not fit an input ${formatShape(input)}`);
  const declared = declaredOutput(config);
  // Where each letter sits in the input and in the full output.
  const offset = mode === 'left' ? elided : 0;
  const output: Shape =
    mode === 'left'
      ? [...input.slice(0, elided), ...declared]
      : mode === 'right'
        ? [input[0] ?? null, ...declared, ...input.slice(input.length - elided)]
        : [input[0] ?? null, ...declared];
  const expected = mode === 'left' ? outputSpec.length + elided : mode === 'right' ? outputSpec.length + elided : outputSpec.length;
  if (output.length !== expected) throw new ShapeError(`output_shape ${formatShape(declared)} does not fit the equation ${equation}`);
  const inputAxis = new Map([...inputSpec].map((letter, index) => [letter, index + offset]));
  const outputAxis = new Map([...outputSpec].map((letter, index) => [letter, index + offset]));
  for (const [letter, axis] of inputAxis) {
    const target = outputAxis.get(letter);
    if (target === undefined) continue;
    const size = input[axis] ?? null;
    if (output[target] === null) output[target] = size;
    else if (size !== null && output[target] !== size) throw new ShapeError(`axis '${letter}' is ${size} in the input but ${String(output[target])} in output_shape`);
  }
  const contracted: Dim[] = [];
  for (const letter of new Set(kernelSpec)) {
    const axis = inputAxis.get(letter);
    if (axis === undefined && !outputAxis.has(letter)) throw new ShapeError(`kernel axis '${letter}' is neither in the input nor in the output`);
    if (axis !== undefined && !outputAxis.has(letter)) contracted.push(input[axis] ?? null);
  }
  return { output, contracted };
}

const einsumDense: LayerRule = {
  outputShapes: (config, inputs) => [analyseEinsum(config, mainInput(inputs)).output],
  /** One MAC per output element and per combination of the summed axes. */
  macs(config, inputs) {
    const { output, contracted } = analyseEinsum(config, mainInput(inputs));
    return multiply(product(output.slice(1)), product(contracted));
  },
};

export const einsumRules: RuleTable = { EinsumDense: einsumDense };
