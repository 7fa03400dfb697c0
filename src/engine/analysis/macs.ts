/**
 * Multiply-accumulates per layer for one sample, from the inferred shapes
 * (conventions in README.md). A layer called several times (shared, or
 * inside a model called several times) counts every call. A layer whose
 * count needs an unknown dimension, or that has no rule, gets null.
 */
import type { IRLayer, Shape } from '../../protocol/model';
import { asConfig, ShapeError } from './config';
import type { Findings } from './findings';
import { ruleFor } from './rules';
import type { LayerCall } from './shapes';

/** MACs of all calls of one (non-model) layer. */
export function layerMacs(layer: IRLayer, calls: LayerCall[], findings: Findings): number | null {
  if (layer.className === 'InputLayer') return 0;
  const rule = ruleFor(layer.className);
  if (!rule) return null;
  if (!rule.macs) return 0;
  if (calls.length === 0) return null;
  let total = 0;
  for (const call of calls) {
    const inputs = call.inputs;
    const outputs = call.outputs;
    if (inputs.length === 0 || outputs.length === 0 || inputs.includes(undefined) || outputs.includes(undefined)) return null;
    try {
      const macs = rule.macs(asConfig(layer.config), inputs as Shape[], outputs as Shape[]);
      if (macs === null || !Number.isFinite(macs)) return null;
      total += macs;
    } catch (error) {
      const reason = error instanceof ShapeError ? `it ${error.message}` : `the count failed (${String(error)})`;
      findings.problem(`Layer '${layer.name}' (${layer.className}): MACs not counted, ${reason}.`);
      return null;
    }
  }
  return total;
}

export interface MacSummary {
  /** Per layer id; a nested model's entry is the sum of its layers, null if any of them is null. */
  perLayer: Map<string, number | null>;
  /** Sum over the layers (not nested-model rows) with a count. */
  total: number;
  /** Every layer had a count. */
  complete: boolean;
}

export function countMacs(layers: IRLayer[], calls: Map<string, LayerCall[]>, findings: Findings): MacSummary {
  const perLayer = new Map<string, number | null>();
  const ids = new Set(layers.map((layer) => layer.id));
  const byId = new Map(layers.map((layer) => [layer.id, layer]));
  let total = 0;
  let complete = true;
  for (const layer of layers) if (layer.isModel) perLayer.set(layer.id, 0);
  const counted = new Set<string>();
  for (const layer of layers) {
    // A repeated id is one layer (the shape walk ignores the repeat too).
    if (layer.isModel || counted.has(layer.id)) continue;
    counted.add(layer.id);
    const macs = layerMacs(layer, calls.get(layer.id) ?? [], findings);
    perLayer.set(layer.id, macs);
    if (macs === null) complete = false;
    else total += macs;
    // Add to every enclosing model; one null makes the model's count null.
    let parentId = layer.parent;
    for (let hops = 0; parentId !== undefined && ids.has(parentId) && hops < 64; hops++) {
      const current = perLayer.get(parentId);
      perLayer.set(parentId, current === null || current === undefined || macs === null ? null : current + macs);
      parentId = byId.get(parentId)?.parent;
    }
  }
  return { perLayer, total, complete };
}
