/**
 * Static analysis of a parsed model: the layer table (output shapes,
 * parameters, MACs, key settings, connections) and the model's totals.
 * Reads no weight values and runs nothing. Conventions: README.md.
 */
import type { IRLayer, LayerSummary, ModelSummary, ParsedModelInfo, Shape, WeightTensor } from '../../protocol/model';
import { asConfig } from './config';
import { Findings } from './findings';
import { analyseGraph } from './graphModel';
import { countMacs } from './macs';
import { analyseModules } from './modules';
import { countParams, elementsOf, type ParamSummary } from './params';
import { layerSettings } from './settings';
import { inferShapes, primaryCall, type LayerCall } from './shapes';

export function analyseModel(parsed: ParsedModelInfo, parseMs: number): ModelSummary {
  const findings = new Findings();
  const params = countParams(parsed.model, parsed.weights, findings);
  const base = {
    file: parsed.file,
    fileBytes: parsed.fileBytes,
    format: parsed.format,
    formatLabel: parsed.formatLabel,
    framework: parsed.framework,
    producer: parsed.producer,
    weights: params.weights,
    totalParams: params.totals.params,
    trainableParams: params.totals.trainable,
    nonTrainableParams: params.totals.nonTrainable,
    weightBytes: params.totals.bytes,
    weightBytesByDtype: params.bytesByDtype,
    unsupportedLayers: [],
    parseMs,
    ...(parsed.graph ? { graph: parsed.graph } : {}),
    ...(parsed.contents ? { contents: parsed.contents } : {}),
    ...(parsed.facts ? { facts: parsed.facts } : {}),
    ...(parsed.referencedGlobals ? { referencedGlobals: parsed.referencedGlobals } : {}),
    ...(parsed.codeFiles ? { codeFiles: parsed.codeFiles } : {}),
    ...(parsed.onnx ? { onnx: parsed.onnx } : {}),
  };
  const warnings = (extra: string[]): string[] => [...new Set([...parsed.warnings, ...extra])];

  if (parsed.model) {
    const model = parsed.model;
    const shapes = inferShapes(model, findings);
    const macs = countMacs(model.layers, shapes.calls, findings);
    const sharedOwners = sharedWeightOwners(params.weights);
    return {
      ...base,
      modelClass: model.className,
      name: model.name,
      hasArchitecture: true,
      inputs: shapes.inputs,
      outputs: shapes.outputs,
      layers: model.layers.map((layer) =>
        layerRow(layer, shapes.calls.get(layer.id) ?? [], params, macs.perLayer.get(layer.id) ?? null, sharedOwners.get(layer.id)),
      ),
      macs: macs.total,
      macsComplete: macs.complete,
      warnings: warnings(findings.list()),
    };
  }
  if (parsed.modules) {
    // PyTorch: the module tree inferred from tensor names; PyTorch's own counting (modules.ts).
    const modules = analyseModules(parsed.modules, parsed.weights);
    return {
      ...base,
      weights: modules.weights,
      totalParams: modules.totals.params,
      trainableParams: modules.totals.trainable,
      nonTrainableParams: modules.totals.nonTrainable,
      weightBytes: modules.totals.bytes,
      modelClass: '',
      name: '',
      hasArchitecture: false,
      inputs: [],
      outputs: [],
      layers: modules.rows,
      macs: 0,
      macsComplete: false,
      facts: [...(parsed.facts ?? []), ...modules.facts],
      warnings: warnings(findings.list()),
    };
  }
  if (parsed.graph) {
    const graph = analyseGraph(parsed.graph, params.weights, parsed.format === 'onnx' ? 'onnx' : 'tfjs');
    return {
      ...base,
      modelClass: 'GraphModel',
      name: '',
      hasArchitecture: true,
      inputs: parsed.graph.inputs,
      outputs: parsed.graph.outputs,
      layers: graph.rows,
      macs: graph.macs,
      macsComplete: graph.macsComplete,
      warnings: warnings(findings.list()),
    };
  }
  // Weights only (or a data file): one row per layer that owns weights, no shapes, no MACs.
  return {
    ...base,
    modelClass: '',
    name: '',
    hasArchitecture: false,
    inputs: [],
    outputs: [],
    layers: weightOnlyRows(params.weights),
    macs: 0,
    macsComplete: false,
    warnings: warnings(findings.list()),
  };
}

/** For each layer that uses tensors owned by another layer (tied weights): the owners. */
function sharedWeightOwners(weights: WeightTensor[]): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const weight of weights) {
    for (const user of weight.sharedWith ?? []) {
      const list = owners.get(user) ?? [];
      if (!list.includes(weight.layer)) list.push(weight.layer);
      owners.set(user, list);
    }
  }
  return owners;
}

function layerRow(layer: IRLayer, calls: LayerCall[], params: ParamSummary, macs: number | null, sharedFrom: string[] | undefined): LayerSummary {
  const count = params.perLayer.get(layer.id);
  const outputs = primaryCall(calls)?.outputs ?? [];
  const settings = layerSettings(layer.className, asConfig(layer.config));
  if (sharedFrom?.length) settings['shares weights of'] = sharedFrom.join(', ');
  return {
    id: layer.id,
    name: layer.name,
    className: layer.className,
    ...(layer.parent !== undefined ? { parent: layer.parent } : {}),
    depth: layer.depth,
    isModel: layer.isModel,
    settings,
    connectedTo: [...new Set((layer.inboundNodes[0] ?? []).map((ref) => ref.layer))],
    outputShapes: outputs.length > 0 && outputs.every((shape) => shape !== undefined) ? (outputs as Shape[]) : [],
    params: count?.params ?? 0,
    trainableParams: count?.trainable ?? 0,
    nonTrainableParams: count?.nonTrainable ?? 0,
    macs,
    weightBytes: count?.bytes ?? 0,
    trainable: params.layerTrainable.get(layer.id) ?? layer.trainable,
  };
}

/** Rows for a file without architecture: each owner of weights, in the order the file lists them. */
function weightOnlyRows(weights: WeightTensor[]): LayerSummary[] {
  const rows = new Map<string, LayerSummary>();
  for (const weight of weights) {
    const id = weight.layer;
    const row = rows.get(id) ?? {
      id,
      name: id === '' ? '(no layer)' : (id.split('/').pop() ?? id),
      className: '',
      depth: 0,
      isModel: false,
      settings: {},
      connectedTo: [],
      outputShapes: [],
      params: 0,
      trainableParams: 0,
      nonTrainableParams: 0,
      macs: null,
      weightBytes: 0,
      trainable: true,
    };
    const elements = elementsOf(weight) ?? 0;
    row.params += elements;
    if (weight.trainable) row.trainableParams += elements;
    else row.nonTrainableParams += elements;
    row.weightBytes += Number.isFinite(weight.bytes) && weight.bytes > 0 ? weight.bytes : 0;
    rows.set(id, row);
  }
  return [...rows.values()];
}
