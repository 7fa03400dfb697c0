/**
 * Layers that move or resize data without weights: Flatten, Reshape,
 * Permute, RepeatVector, zero-padding, cropping, up-sampling, Resizing and
 * CenterCrop. None of them counts MACs (see README.md).
 */
import type { Shape } from '../../../protocol/model';
import { describe, readCount, readPositive, readPositiveTuple, readShape, readSidePairs, ShapeError } from '../config';
import { expectRank, formatShape, product, type Dim } from '../shapeMath';
import { joinSpatial, splitSpatial } from './conv';
import { mainInput, type LayerRule, type RuleTable } from './types';

const flatten: LayerRule = {
  outputShapes(_config, inputs) {
    const input = mainInput(inputs);
    if (input.length < 2) return [[input[0] ?? null, 1]];
    return [[input[0] ?? null, product(input.slice(1))]];
  },
};

/** Reshape: target_shape excludes the batch; at most one -1 takes what is left. */
const reshape: LayerRule = {
  outputShapes(config, inputs) {
    const input = mainInput(inputs);
    const target = readShape(config['target_shape'], 'target_shape');
    const free = target.flatMap((dim, index) => (dim === null ? [index] : []));
    if (free.length > 1) throw new ShapeError(`target_shape ${formatShape(target)} has more than one unknown dimension`);
    const total = product(input.slice(1));
    const fixed = product(target.filter((dim): dim is number => dim !== null));
    const [freeIndex] = free;
    if (freeIndex === undefined) {
      if (total !== null && total !== fixed) throw new ShapeError(`cannot reshape ${formatShape(input)} (${total} values) to ${formatShape(target)}`);
      return [[input[0] ?? null, ...target]];
    }
    const output: Shape = [input[0] ?? null, ...target];
    if (total !== null) {
      if (fixed === 0 || fixed === null || total % fixed !== 0) throw new ShapeError(`cannot reshape ${formatShape(input)} (${total} values) to ${formatShape(target)}`);
      output[freeIndex + 1] = total / fixed;
    }
    return [output];
  },
};

/** Permute: `dims` is a 1-based permutation of the non-batch axes. */
const permute: LayerRule = {
  outputShapes(config, inputs) {
    const input = mainInput(inputs);
    const dims = config['dims'];
    const valid =
      Array.isArray(dims) &&
      dims.length === input.length - 1 &&
      new Set(dims).size === dims.length &&
      dims.every((dim) => Number.isInteger(dim) && (dim as number) >= 1 && (dim as number) < input.length);
    if (!valid) throw new ShapeError(`dims ${describe(dims)} is not a permutation of the axes 1..${input.length - 1}`);
    return [[input[0] ?? null, ...(dims as number[]).map((dim) => input[dim] ?? null)]];
  },
};

const repeatVector: LayerRule = {
  outputShapes(config, inputs) {
    const input = mainInput(inputs);
    expectRank(input, 2, '(batch, features)');
    return [[input[0] ?? null, readCount(config, 'n'), input[1] ?? null]];
  },
};

/** ZeroPadding / Cropping: each spatial axis grows (sign 1) or shrinks (sign -1) by its two sides. */
function sidesRule(rank: number, key: 'padding' | 'cropping', sign: 1 | -1): LayerRule {
  return {
    outputShapes(config, inputs) {
      const input = mainInput(inputs);
      const layout = splitSpatial(config, input, rank);
      const pairs = readSidePairs(config, key, rank, key === 'padding' ? 1 : 0);
      const spatial = layout.spatial.map((length, axis): Dim => {
        if (length === null) return null;
        const [before, after] = pairs[axis] ?? [0, 0];
        const result = length + sign * (before + after);
        if (result <= 0) throw new ShapeError(`cropping ${before}+${after} removes all of an axis of ${length}`);
        return result;
      });
      return [joinSpatial(input[0] ?? null, spatial, layout.channels, layout.channelsFirst)];
    },
  };
}

function upSamplingRule(rank: number): LayerRule {
  return {
    outputShapes(config, inputs) {
      const input = mainInput(inputs);
      // UpSampling1D has no data_format: (batch, steps, features).
      if (rank === 1) expectRank(input, 3, '(batch, steps, features)');
      const layout = rank === 1 ? { spatial: [input[1] ?? null], channels: input[2] ?? null, channelsFirst: false } : splitSpatial(config, input, rank);
      const size = readPositiveTuple(config, 'size', rank, 2);
      const spatial = layout.spatial.map((length, axis) => (length === null ? null : length * (size[axis] ?? 1)));
      return [joinSpatial(input[0] ?? null, spatial, layout.channels, layout.channelsFirst)];
    },
  };
}

/** Resizing and CenterCrop: images become height × width. */
const toHeightWidth: LayerRule = {
  outputShapes(config, inputs) {
    const input = mainInput(inputs);
    const layout = splitSpatial(config, input, 2, 'image');
    const spatial = [readPositive(config, 'height'), readPositive(config, 'width')];
    return [joinSpatial(input[0] ?? null, spatial, layout.channels, layout.channelsFirst)];
  },
};

export const reshapingRules: RuleTable = {
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  RepeatVector: repeatVector,
  Resizing: toHeightWidth,
  CenterCrop: toHeightWidth,
};
for (const rank of [1, 2, 3]) {
  reshapingRules[`ZeroPadding${rank}D`] = sidesRule(rank, 'padding', 1);
  reshapingRules[`Cropping${rank}D`] = sidesRule(rank, 'cropping', -1);
  reshapingRules[`UpSampling${rank}D`] = upSamplingRule(rank);
}
