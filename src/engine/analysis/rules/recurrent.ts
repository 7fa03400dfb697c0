/**
 * Recurrent layers: SimpleRNN, LSTM, GRU (and their CuDNN variants), the
 * generic RNN with one or stacked cells, and ConvLSTM1D/2D/3D.
 *
 * MACs per time step of a cell with `g` gates: g × (input + units) × units
 * (the input kernel and the recurrent kernel of every gate); gate
 * element-wise products and activations are not counted. Times the number
 * of steps, so an unknown sequence length gives null.
 */
import type { Shape } from '../../../protocol/model';
import { asNestedLayer, readBoolean, readPositive, ShapeError, type LayerConfig } from '../config';
import { expectRank, multiply, product, type Dim } from '../shapeMath';
import { convSpatial, joinSpatial, readConvWindow, splitSpatial } from './conv';
import { mainInput, type LayerRule, type RuleTable } from './types';

/** One recurrent cell: its width, its gate count and how many state tensors it carries. */
interface Cell {
  units: number;
  gates: number;
  states: number;
}

const CELL_KINDS: Record<string, { gates: number; states: number }> = {
  SimpleRNN: { gates: 1, states: 1 },
  LSTM: { gates: 4, states: 2 },
  GRU: { gates: 3, states: 1 },
  CuDNNLSTM: { gates: 4, states: 2 },
  CuDNNGRU: { gates: 3, states: 1 },
};

function cellOf(kind: string, config: LayerConfig): Cell {
  const known = CELL_KINDS[kind];
  if (!known) throw new ShapeError(`has no rule for the cell class '${kind}'`);
  return { units: readPositive(config, 'units'), ...known };
}

/** The cells of a generic RNN: `cell` is one cell, a StackedRNNCells, or (old files) a list. */
function cellsOfRnn(config: LayerConfig): Cell[] {
  const raw = config['cell'];
  const entries = Array.isArray(raw) ? raw : [raw];
  const cells: Cell[] = [];
  for (const entry of entries) {
    const nested = asNestedLayer(entry);
    if (!nested) throw new ShapeError('has no readable cell');
    if (nested.className === 'StackedRNNCells') {
      const inner = nested.config['cells'];
      if (!Array.isArray(inner) || inner.length === 0) throw new ShapeError('StackedRNNCells has no cells');
      for (const cell of inner) cells.push(...cellsOfRnn({ cell }));
    } else {
      cells.push(cellOf(nested.className.replace(/Cell$/, ''), nested.config));
    }
  }
  if (cells.length === 0) throw new ShapeError('has no cells');
  return cells;
}

/** The output list Keras returns: the sequence or last output, then the states if asked. */
function recurrentOutputs(config: LayerConfig, input: Shape, cells: Cell[]): Shape[] {
  if (readBoolean(config, 'time_major', false)) throw new ShapeError('time_major inputs are not supported');
  expectRank(input, 3, '(batch, timesteps, features)');
  const [batch = null, steps = null] = input;
  const last = cells[cells.length - 1];
  if (!last) throw new ShapeError('has no cells');
  const main: Shape = readBoolean(config, 'return_sequences', false) ? [batch, steps, last.units] : [batch, last.units];
  if (!readBoolean(config, 'return_state', false)) return [main];
  const states = cells.flatMap((cell) => Array.from({ length: cell.states }, (): Shape => [batch, cell.units]));
  return [main, ...states];
}

function recurrentMacs(input: Shape, cells: Cell[]): number | null {
  let features: Dim = input[2] ?? null;
  let perStep = 0;
  for (const cell of cells) {
    if (features === null) return null;
    perStep += cell.gates * (features + cell.units) * cell.units;
    features = cell.units;
  }
  return multiply(input[1] ?? null, perStep);
}

function recurrentRule(cellsFor: (config: LayerConfig) => Cell[]): LayerRule {
  return {
    outputShapes: (config, inputs) => recurrentOutputs(config, mainInput(inputs), cellsFor(config)),
    macs: (config, inputs) => recurrentMacs(mainInput(inputs), cellsFor(config)),
  };
}

/** ConvLSTM: input (batch, time, *spatial, channels); 4 gates, each an input and a recurrent convolution. */
function convLstmRule(rank: number): LayerRule {
  const split = (config: LayerConfig, input: Shape) => {
    expectRank(input, rank + 3, `(batch, time, ${rank} spatial axes, channels)`);
    const [batch = null, steps = null] = input;
    return { batch, steps, layout: splitSpatial(config, [batch, ...input.slice(2)], rank) };
  };
  return {
    outputShapes(config, inputs) {
      const { batch, steps, layout } = split(config, mainInput(inputs));
      const window = readConvWindow(config, rank);
      const filters = readPositive(config, 'filters');
      const step = joinSpatial(batch, convSpatial(layout.spatial, window), filters, layout.channelsFirst);
      const main = readBoolean(config, 'return_sequences', false) ? [batch, steps, ...step.slice(1)] : step;
      return readBoolean(config, 'return_state', false) ? [main, step, step] : [main];
    },
    macs(config, inputs) {
      const { steps, layout } = split(config, mainInput(inputs));
      const window = readConvWindow(config, rank);
      const filters = readPositive(config, 'filters');
      const positions = product(convSpatial(layout.spatial, window));
      const volume = window.kernel.reduce((total, size) => total * size, 1);
      // The recurrent convolution runs on the state (output positions, filters channels), padding 'same'.
      const inputChannels = layout.channels;
      const perStep = inputChannels === null ? null : 4 * volume * (inputChannels + filters) * filters;
      return multiply(steps, positions, perStep);
    },
  };
}

export const recurrentRules: RuleTable = {
  RNN: recurrentRule(cellsOfRnn),
  ConvLSTM1D: convLstmRule(1),
  ConvLSTM2D: convLstmRule(2),
  ConvLSTM3D: convLstmRule(3),
};
for (const kind of Object.keys(CELL_KINDS)) recurrentRules[kind] = recurrentRule((config) => [cellOf(kind, config)]);

