/**
 * Parameters and weight bytes from the stored tensors. Every tensor counts
 * once, on the layer that owns it (WeightTensor.layer), however many layers
 * share it (sharedWith); a nested model's row adds up its descendants. A
 * weight is trainable when stored so and its layer and every enclosing
 * model are trainable (Keras freezes a whole layer or model at once).
 */
import type { IRLayer, ModelIR, WeightTensor } from '../../protocol/model';
import type { Findings } from './findings';

export interface ParamCount {
  params: number;
  trainable: number;
  nonTrainable: number;
  bytes: number;
}

export interface ParamSummary {
  /** Per layer id: its own tensors plus, for a nested model, its descendants'. */
  perLayer: Map<string, ParamCount>;
  totals: ParamCount;
  bytesByDtype: Record<string, number>;
  /** The stored tensors, each once, with trainable as it effectively is. */
  weights: WeightTensor[];
  /** Per layer id, whether it is effectively trainable. */
  layerTrainable: Map<string, boolean>;
}

/** Deepest model nesting followed (also stops a malformed parent chain). */
const MAX_NESTING = 64;

const emptyCount = (): ParamCount => ({ params: 0, trainable: 0, nonTrainable: 0, bytes: 0 });

function addTo(target: ParamCount, source: ParamCount): void {
  target.params += source.params;
  target.trainable += source.trainable;
  target.nonTrainable += source.nonTrainable;
  target.bytes += source.bytes;
}

/** Elements of a stored tensor; undefined when its shape is not a list of whole sizes. */
export function elementsOf(weight: WeightTensor): number | undefined {
  if (!Array.isArray(weight.shape)) return undefined;
  let count = 1;
  for (const dim of weight.shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) return undefined;
    count *= dim;
  }
  return count;
}

/** Trainable as Keras sees it: the layer and every model around it must be trainable. */
function effectiveTrainable(layers: IRLayer[]): Map<string, boolean> {
  const byId = new Map(layers.map((layer) => [layer.id, layer]));
  const result = new Map<string, boolean>();
  const resolve = (layer: IRLayer): boolean => {
    const known = result.get(layer.id);
    if (known !== undefined) return known;
    // Pre-order: the parent is normally resolved already.
    let trainable = layer.trainable !== false;
    let parent = layer.parent === undefined ? undefined : byId.get(layer.parent);
    for (let hops = 0; parent && trainable && hops < MAX_NESTING; hops++) {
      const parentKnown = result.get(parent.id);
      if (parentKnown !== undefined) {
        trainable = parentKnown;
        break;
      }
      trainable = parent.trainable !== false;
      parent = parent.parent === undefined ? undefined : byId.get(parent.parent);
    }
    result.set(layer.id, trainable);
    return trainable;
  };
  for (const layer of layers) resolve(layer);
  return result;
}

export function countParams(model: ModelIR | undefined, stored: WeightTensor[], findings: Findings): ParamSummary {
  const layers = model?.layers ?? [];
  const layerTrainable = effectiveTrainable(layers);
  const perLayer = new Map<string, ParamCount>();
  const totals = emptyCount();
  const bytesByDtype: Record<string, number> = {};
  const weights: WeightTensor[] = [];
  const seen = new Set<string>();
  for (const weight of stored) {
    if (seen.has(weight.path)) continue;
    seen.add(weight.path);
    const elements = elementsOf(weight);
    if (elements === undefined) findings.problem(`Weight '${weight.path}' has no valid shape; it counts 0 parameters.`);
    const trainable = weight.trainable && layerTrainable.get(weight.layer) !== false;
    const bytes = Number.isFinite(weight.bytes) && weight.bytes > 0 ? weight.bytes : 0;
    const count: ParamCount = {
      params: elements ?? 0,
      trainable: trainable ? (elements ?? 0) : 0,
      nonTrainable: trainable ? 0 : (elements ?? 0),
      bytes,
    };
    addTo(totals, count);
    bytesByDtype[weight.dtype] = (bytesByDtype[weight.dtype] ?? 0) + bytes;
    const own = perLayer.get(weight.layer) ?? emptyCount();
    addTo(own, count);
    perLayer.set(weight.layer, own);
    weights.push(trainable === weight.trainable ? weight : { ...weight, trainable });
  }
  rollUpNestedModels(layers, perLayer);
  return { perLayer, totals, bytesByDtype, weights, layerTrainable };
}

/** Adds each layer's count to every model that contains it (innermost first, so each is added once per level). */
function rollUpNestedModels(layers: IRLayer[], perLayer: Map<string, ParamCount>): void {
  const own = new Map([...perLayer].map(([id, count]) => [id, { ...count }]));
  const ids = new Set(layers.map((layer) => layer.id));
  const byId = new Map(layers.map((layer) => [layer.id, layer]));
  for (const layer of layers) {
    const count = own.get(layer.id);
    if (!count) continue;
    let parentId = layer.parent;
    for (let hops = 0; parentId !== undefined && ids.has(parentId) && hops < MAX_NESTING; hops++) {
      const total = perLayer.get(parentId) ?? emptyCount();
      addTo(total, count);
      perLayer.set(parentId, total);
      parentId = byId.get(parentId)?.parent;
    }
  }
}
