/** Bidirectional and TimeDistributed: the inner layer's own rule, applied as Keras applies it. */
import type { Shape } from '../../../protocol/model';
import { readNestedLayer, readString, ShapeError, type LayerConfig, type NestedLayer } from '../config';
import { multiply, type Dim } from '../shapeMath';
import { mainInput, type LayerRule, type RuleLookup, type RuleTable } from './types';

function innerLayer(config: LayerConfig, key: string, lookup: RuleLookup): { layer: NestedLayer; rule: LayerRule } {
  const layer = readNestedLayer(config, key);
  if (!layer) throw new ShapeError(`has no readable '${key}'`);
  const rule = lookup(layer.className);
  if (!rule) throw new ShapeError(`wraps ${layer.className}, which has no shape rule`);
  return { layer, rule };
}

function innerMacs(inner: { layer: NestedLayer; rule: LayerRule }, inputs: Shape[], outputs: Shape[]): number | null {
  return inner.rule.macs ? inner.rule.macs(inner.layer.config, inputs, outputs) : 0;
}

/** The forward and backward layers (backward_layer when the file names one, else a mirror of `layer`). */
function directions(config: LayerConfig, lookup: RuleLookup) {
  const forward = innerLayer(config, 'layer', lookup);
  const backward = config['backward_layer'] ? innerLayer(config, 'backward_layer', lookup) : forward;
  return { forward, backward };
}

function mergeDirections(mode: string | null, forward: Shape, backward: Shape): Shape[] {
  if (mode === null) return [forward, backward];
  if (mode === 'concat') {
    const last = forward.length - 1;
    const [a, b] = [forward[last] ?? null, backward[last] ?? null];
    return [[...forward.slice(0, last), a === null || b === null ? null : a + b]];
  }
  if (mode === 'sum' || mode === 'mul' || mode === 'ave') return [forward];
  throw new ShapeError(`merge_mode '${mode}' is not concat, sum, mul, ave or None`);
}

function bidirectional(lookup: RuleLookup): LayerRule {
  return {
    outputShapes(config, inputs) {
      const { forward, backward } = directions(config, lookup);
      const [forwardMain, ...forwardStates] = forward.rule.outputShapes(forward.layer.config, [mainInput(inputs)]);
      const [backwardMain, ...backwardStates] = backward.rule.outputShapes(backward.layer.config, [mainInput(inputs)]);
      if (!forwardMain || !backwardMain) throw new ShapeError('inner layer has no output');
      const mode = config['merge_mode'] === null ? null : readString(config, 'merge_mode', 'concat');
      return [...mergeDirections(mode, forwardMain, backwardMain), ...forwardStates, ...backwardStates];
    },
    macs(config, inputs) {
      const { forward, backward } = directions(config, lookup);
      const input = [mainInput(inputs)];
      const forwardMacs = innerMacs(forward, input, forward.rule.outputShapes(forward.layer.config, input));
      const backwardMacs = innerMacs(backward, input, backward.rule.outputShapes(backward.layer.config, input));
      return forwardMacs === null || backwardMacs === null ? null : forwardMacs + backwardMacs;
    },
  };
}

/** TimeDistributed: the inner layer on every step of axis 1. */
function timeDistributed(lookup: RuleLookup): LayerRule {
  const perStep = (config: LayerConfig, inputs: Shape[]) => {
    const input = mainInput(inputs);
    if (input.length < 3) throw new ShapeError('expects (batch, time, ...) inputs');
    const inner = innerLayer(config, 'layer', lookup);
    const stepInput: Shape = [input[0] ?? null, ...input.slice(2)];
    const stepOutputs = inner.rule.outputShapes(inner.layer.config, [stepInput]);
    return { inner, steps: input[1] ?? null, stepInput, stepOutputs };
  };
  return {
    outputShapes(config, inputs) {
      const { steps, stepOutputs } = perStep(config, inputs);
      return stepOutputs.map((shape): Shape => [shape[0] ?? null, steps as Dim, ...shape.slice(1)]);
    },
    macs(config, inputs) {
      const { inner, steps, stepInput, stepOutputs } = perStep(config, inputs);
      const macs = innerMacs(inner, [stepInput], stepOutputs);
      return macs === 0 ? 0 : multiply(steps, macs);
    },
  };
}

export function wrapperRules(lookup: RuleLookup): RuleTable {
  return { Bidirectional: bidirectional(lookup), TimeDistributed: timeDistributed(lookup) };
}
