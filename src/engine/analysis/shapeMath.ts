/** Arithmetic on shapes whose dimensions may be unknown (null). */
import type { Shape } from '../../protocol/model';
import { ShapeError } from './config';

export type Dim = number | null;

/** Output length of a convolution or pooling window along one axis (Keras conv_output_length). */
export function convLength(length: Dim, kernel: number, padding: string, stride: number, dilation = 1): Dim {
  if (length === null) return null;
  const span = kernel + (kernel - 1) * (dilation - 1);
  let covered: number;
  switch (padding) {
    case 'same':
    case 'causal':
      covered = length;
      break;
    case 'valid':
      covered = length - span + 1;
      break;
    case 'full':
      covered = length + span - 1;
      break;
    default:
      throw new ShapeError(`padding '${padding}' is not valid, same, causal or full`);
  }
  if (covered <= 0) throw new ShapeError(`a window of ${span} does not fit an axis of ${length}`);
  return Math.floor((covered + stride - 1) / stride);
}

/** Output length of a transposed convolution along one axis (Keras deconv_output_length). */
export function deconvLength(
  length: Dim,
  kernel: number,
  padding: string,
  stride: number,
  dilation: number,
  outputPadding: number | undefined,
): Dim {
  if (length === null) return null;
  const span = kernel + (kernel - 1) * (dilation - 1);
  if (outputPadding === undefined) {
    switch (padding) {
      case 'valid':
        return length * stride + Math.max(span - stride, 0);
      case 'same':
        return length * stride;
      case 'full':
        return Math.max(length * stride - (stride + span - 2), 0);
      default:
        throw new ShapeError(`padding '${padding}' is not valid, same or full`);
    }
  }
  const pad = padding === 'same' ? Math.floor(span / 2) : padding === 'valid' ? 0 : padding === 'full' ? span - 1 : undefined;
  if (pad === undefined) throw new ShapeError(`padding '${padding}' is not valid, same or full`);
  return Math.max((length - 1) * stride + span - 2 * pad + outputPadding, 0);
}

/** Product of the dimensions, null when any is unknown. */
export function product(dims: readonly Dim[]): number | null {
  let total = 1;
  for (const dim of dims) {
    if (dim === null) return null;
    total *= dim;
  }
  return total;
}

/** Product of known factors; null when any is null. */
export function multiply(...factors: Array<number | null>): number | null {
  return product(factors);
}

/** Sum of known factors; null when any is null. */
export function sum(...terms: Array<number | null>): number | null {
  let total = 0;
  for (const term of terms) {
    if (term === null) return null;
    total += term;
  }
  return total;
}

/** The shape without its batch dimension (for per-sample counts). */
export function perSample(shape: Shape): Shape {
  return shape.slice(1);
}

/** Elements of one sample of a tensor. */
export function sampleElements(shape: Shape): number | null {
  return product(perSample(shape));
}

/** Normalises an axis for a tensor of rank `rank`; throws when out of range. */
export function normaliseAxis(axis: number, rank: number): number {
  const resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank) throw new ShapeError(`axis ${axis} is out of range for rank ${rank}`);
  return resolved;
}

/** Checks the rank of an input, naming what the layer expects. */
export function expectRank(shape: Shape, rank: number, what: string): void {
  if (shape.length !== rank) throw new ShapeError(`expects ${what} (rank ${rank}), got ${formatShape(shape)}`);
}

export function formatShape(shape: Shape): string {
  return `(${shape.map((dim) => (dim === null ? 'None' : String(dim))).join(', ')})`;
}

/**
 * Keras element-wise broadcasting of two shapes without their batch: right
 * aligned, 1 stretches, an unknown dimension stays unknown.
 */
export function broadcast(left: Shape, right: Shape): Shape {
  const [longer, shorter] = left.length >= right.length ? [left, right] : [right, left];
  const lead = longer.slice(0, longer.length - shorter.length);
  const tail = longer.slice(longer.length - shorter.length).map((dim, index): Dim => {
    const other = shorter[index] ?? null;
    if (dim === null || other === null) return null;
    if (dim === 1) return other;
    if (other === 1 || dim === other) return dim;
    throw new ShapeError(`cannot broadcast ${formatShape(left)} with ${formatShape(right)}`);
  });
  return [...lead, ...tail];
}
