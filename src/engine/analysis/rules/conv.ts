/**
 * Convolutions 1D/2D/3D: plain, transposed, separable and depthwise, both
 * data formats. One MAC = one kernel weight times one input value.
 */
import type { Shape } from '../../../protocol/model';
import { isChannelsFirst, readPositive, readPositiveTuple, readString, readTuple, ShapeError, type LayerConfig } from '../config';
import { convLength, deconvLength, expectRank, multiply, product, type Dim } from '../shapeMath';
import { mainInput, type LayerRule, type RuleTable } from './types';

/** An activation tensor split into its spatial axes and channels. */
export interface SpatialLayout {
  spatial: Dim[];
  channels: Dim;
  channelsFirst: boolean;
}

export function splitSpatial(config: LayerConfig, input: Shape, rank: number, what = 'input'): SpatialLayout {
  expectRank(input, rank + 2, `a ${rank}D ${what} (batch, ${rank} spatial axes, channels)`);
  const channelsFirst = isChannelsFirst(config);
  const channels = (channelsFirst ? input[1] : input[rank + 1]) ?? null;
  const spatial = channelsFirst ? input.slice(2) : input.slice(1, rank + 1);
  return { spatial, channels, channelsFirst };
}

export function joinSpatial(batch: Dim, spatial: Dim[], channels: Dim, channelsFirst: boolean): Shape {
  return channelsFirst ? [batch, channels, ...spatial] : [batch, ...spatial, channels];
}

/** The window settings of a convolution or of ConvLSTM. */
export interface ConvWindow {
  kernel: number[];
  strides: number[];
  dilation: number[];
  padding: string;
}

export function readConvWindow(config: LayerConfig, rank: number): ConvWindow {
  return {
    kernel: readPositiveTuple(config, 'kernel_size', rank),
    strides: readPositiveTuple(config, 'strides', rank, 1),
    dilation: readPositiveTuple(config, 'dilation_rate', rank, 1),
    padding: readString(config, 'padding', 'valid'),
  };
}

export function convSpatial(spatial: Dim[], window: ConvWindow): Dim[] {
  return spatial.map((length, axis) =>
    convLength(length, window.kernel[axis] ?? 1, window.padding, window.strides[axis] ?? 1, window.dilation[axis] ?? 1),
  );
}

function kernelVolume(window: ConvWindow): number {
  return window.kernel.reduce((total, size) => total * size, 1);
}

type ConvKind = 'plain' | 'transpose' | 'separable' | 'depthwise';

function outputChannels(kind: ConvKind, config: LayerConfig, inputChannels: Dim): Dim {
  if (kind === 'depthwise') return inputChannels === null ? null : inputChannels * readPositive(config, 'depth_multiplier', 1);
  return readPositive(config, 'filters');
}

function outputSpatial(kind: ConvKind, config: LayerConfig, spatial: Dim[], window: ConvWindow): Dim[] {
  if (kind !== 'transpose') return convSpatial(spatial, window);
  const hasOutputPadding = config['output_padding'] !== undefined && config['output_padding'] !== null;
  const outputPadding = hasOutputPadding ? readTuple(config, 'output_padding', spatial.length) : undefined;
  return spatial.map((length, axis) =>
    deconvLength(
      length,
      window.kernel[axis] ?? 1,
      window.padding,
      window.strides[axis] ?? 1,
      window.dilation[axis] ?? 1,
      outputPadding?.[axis],
    ),
  );
}

function checkGroups(config: LayerConfig, inputChannels: Dim): void {
  const groups = readPositive(config, 'groups', 1);
  if (inputChannels !== null && inputChannels % groups !== 0) throw new ShapeError(`${inputChannels} input channels do not split into ${groups} groups`);
  if (readPositive(config, 'filters') % groups !== 0) throw new ShapeError(`filters do not split into ${groups} groups`);
}

function convRule(rank: number, kind: ConvKind): LayerRule {
  return {
    outputShapes(config, inputs) {
      const input = mainInput(inputs);
      const layout = splitSpatial(config, input, rank);
      const window = readConvWindow(config, rank);
      if (window.padding === 'causal' && !(rank === 1 && kind === 'plain')) throw new ShapeError("padding 'causal' is for Conv1D only");
      if (kind === 'plain') checkGroups(config, layout.channels);
      const spatial = outputSpatial(kind, config, layout.spatial, window);
      return [joinSpatial(input[0] ?? null, spatial, outputChannels(kind, config, layout.channels), layout.channelsFirst)];
    },
    macs(config, inputs, outputs) {
      const input = splitSpatial(config, mainInput(inputs), rank);
      const output = splitSpatial(config, mainInput(outputs), rank, 'output');
      const volume = kernelVolume(readConvWindow(config, rank));
      const outPositions = product(output.spatial);
      switch (kind) {
        case 'plain': {
          const groups = readPositive(config, 'groups', 1);
          const perGroup = input.channels === null ? null : input.channels / groups;
          return multiply(outPositions, volume, perGroup, output.channels);
        }
        // Every input value is scattered through the whole kernel into every filter.
        case 'transpose':
          return multiply(product(input.spatial), volume, input.channels, output.channels);
        case 'depthwise':
          return multiply(outPositions, volume, output.channels);
        case 'separable': {
          const multiplier = readPositive(config, 'depth_multiplier', 1);
          const depthwise = multiply(outPositions, volume, input.channels, multiplier);
          const pointwise = multiply(outPositions, input.channels, multiplier, output.channels);
          return depthwise === null || pointwise === null ? null : depthwise + pointwise;
        }
      }
    },
  };
}

export const convRules: RuleTable = {
  Conv1D: convRule(1, 'plain'),
  Conv2D: convRule(2, 'plain'),
  Conv3D: convRule(3, 'plain'),
  Conv1DTranspose: convRule(1, 'transpose'),
  Conv2DTranspose: convRule(2, 'transpose'),
  Conv3DTranspose: convRule(3, 'transpose'),
  SeparableConv1D: convRule(1, 'separable'),
  SeparableConv2D: convRule(2, 'separable'),
  DepthwiseConv1D: convRule(1, 'depthwise'),
  DepthwiseConv2D: convRule(2, 'depthwise'),
};
