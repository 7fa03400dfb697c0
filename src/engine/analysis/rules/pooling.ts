/**
 * Pooling: windows (Max/Average 1D/2D/3D) and global pooling. Pooling
 * multiplies nothing by a weight (a max compares, an average adds), so it
 * counts 0 MACs; see README.md.
 */
import type { Shape } from '../../../protocol/model';
import { readBoolean, readPositiveTuple, readString, type LayerConfig } from '../config';
import { convLength } from '../shapeMath';
import { joinSpatial, splitSpatial } from './conv';
import { mainInput, type LayerRule, type RuleTable } from './types';

/** Keras 1 spelled 1D pooling `pool_length` / `stride`. */
function poolWindow(config: LayerConfig, rank: number): { pool: number[]; strides: number[]; padding: string } {
  const poolKey = config['pool_size'] === undefined && config['pool_length'] !== undefined ? 'pool_length' : 'pool_size';
  const pool = readPositiveTuple(config, poolKey, rank, 2);
  const strideKey = config['strides'] === undefined && config['stride'] !== undefined ? 'stride' : 'strides';
  // strides=None means the window's own size.
  const strides = config[strideKey] === null || config[strideKey] === undefined ? pool : readPositiveTuple(config, strideKey, rank);
  return { pool, strides, padding: readString(config, 'padding', 'valid') };
}

function poolRule(rank: number): LayerRule {
  return {
    outputShapes(config, inputs) {
      const input = mainInput(inputs);
      const layout = splitSpatial(config, input, rank);
      const window = poolWindow(config, rank);
      const spatial = layout.spatial.map((length, axis) =>
        convLength(length, window.pool[axis] ?? 1, window.padding, window.strides[axis] ?? 1),
      );
      return [joinSpatial(input[0] ?? null, spatial, layout.channels, layout.channelsFirst)];
    },
  };
}

function globalPoolRule(rank: number): LayerRule {
  return {
    outputShapes(config, inputs): Shape[] {
      const input = mainInput(inputs);
      const layout = splitSpatial(config, input, rank);
      const batch = input[0] ?? null;
      if (!readBoolean(config, 'keepdims', false)) return [[batch, layout.channels]];
      return [joinSpatial(batch, layout.spatial.map(() => 1), layout.channels, layout.channelsFirst)];
    },
  };
}

export const poolingRules: RuleTable = {};
for (const rank of [1, 2, 3]) {
  for (const kind of ['Max', 'Average']) {
    poolingRules[`${kind}Pooling${rank}D`] = poolRule(rank);
    poolingRules[`Global${kind}Pooling${rank}D`] = globalPoolRule(rank);
  }
  // Keras aliases, in case a file keeps them.
  poolingRules[`MaxPool${rank}D`] = poolRule(rank);
  poolingRules[`AvgPool${rank}D`] = poolRule(rank);
  poolingRules[`GlobalMaxPool${rank}D`] = globalPoolRule(rank);
  poolingRules[`GlobalAvgPool${rank}D`] = globalPoolRule(rank);
}
