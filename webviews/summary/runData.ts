/** Pure helpers for the run panel: shape agreement and what a run's rows show. */
import type { LayerRun, LayerSummary, Shape } from '../../src/protocol/model';

/**
 * Whether the shapes a run produced match the static ones (an unknown static
 * dimension matches any size). No static shape means nothing to contradict.
 */
export function shapesAgree(staticShapes: readonly Shape[], actual: readonly number[][]): boolean {
  if (staticShapes.length === 0) return true;
  if (staticShapes.length !== actual.length) return false;
  return staticShapes.every((shape, index) => {
    const ran = actual[index] as number[];
    return shape.length === ran.length && shape.every((dim, axis) => dim === null || dim === ran[axis]);
  });
}

export interface RunRow {
  run: LayerRun;
  /** The layer's name, or its id when the summary does not know it. */
  name: string;
  className: string;
  agrees: boolean;
  staticShapes: Shape[];
}

export function runRows(layers: readonly LayerSummary[], runs: readonly LayerRun[]): RunRow[] {
  const byId = new Map(layers.map((layer) => [layer.id, layer]));
  return runs.map((run) => {
    const layer = byId.get(run.id);
    return {
      run,
      name: layer ? (layer.depth > 0 ? layer.id : layer.name) : run.id,
      className: layer?.className ?? '',
      agrees: layer ? shapesAgree(layer.outputShapes, run.outputShapes) : true,
      staticShapes: layer?.outputShapes ?? [],
    };
  });
}

/** Whether a model input has unknown dimensions besides the batch, so the "other dimensions" value matters. */
export function hasUnknownNonBatchDims(inputs: ReadonlyArray<{ shape: Shape }>): boolean {
  return inputs.some((input) => input.shape.slice(1).some((dim) => dim === null));
}
