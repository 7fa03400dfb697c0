/**
 * Rows for a PyTorch module tree (ParsedModelInfo.modules). Counts follow
 * PyTorch, not Keras: params are what `model.parameters()` holds, so buffers
 * (BatchNorm running statistics, counters) are stored tensors but not
 * params; a tensor that shares its storage with an earlier one (tied
 * weights) counts once, on the earlier one. No shapes or MACs: the file has
 * no forward pass to follow.
 */
import { bufferPaths, tiedTensors } from '../../formats/moduleTree';
import type { FileFact, LayerSummary, ModuleNode, WeightTensor } from '../../protocol/model';
import { elementsOf } from './params';

export interface ModuleAnalysis {
  rows: LayerSummary[];
  /** The tensors, with `trainable` false for buffers and `sharedWith` set on tied ones. */
  weights: WeightTensor[];
  totals: { params: number; trainable: number; nonTrainable: number; bytes: number };
  facts: FileFact[];
}

interface Count {
  params: number;
  trainable: number;
  nonTrainable: number;
  bytes: number;
}

const zero = (): Count => ({ params: 0, trainable: 0, nonTrainable: 0, bytes: 0 });

export function analyseModules(modules: ModuleNode[], weights: WeightTensor[]): ModuleAnalysis {
  const tied = tiedTensors(weights);
  const buffers = bufferPaths(weights);
  const own = new Map<string, Count>();
  const totals = zero();
  let bufferTensors = 0;
  let bufferValues = 0;
  /** Per module id: the tensors its tied tensors share storage with. */
  const tiedTo = new Map<string, string[]>();
  // Copies: buffers and tied tensors are marked on them, the parser's list stays as it was.
  // sharedWith is set the summary's way: on the owner, naming the modules that reuse it.
  const analysed = weights.map((weight): WeightTensor => {
    const copy = { ...weight };
    delete copy.sharedWith;
    return copy;
  });
  const byPath = new Map(analysed.map((weight) => [weight.path, weight]));
  for (const weight of analysed) {
    const elements = elementsOf(weight) ?? 0;
    const buffer = buffers.has(weight.path);
    const tiedOwner = tied.get(weight.path);
    const owner = tiedOwner ? byPath.get(tiedOwner.path) : undefined;
    const count = own.get(weight.layer) ?? zero();
    own.set(weight.layer, count);
    if (owner) {
      // Tied: the owner already counted these values.
      tiedTo.set(weight.layer, [...(tiedTo.get(weight.layer) ?? []), owner.path]);
      owner.sharedWith = [...(owner.sharedWith ?? []), weight.layer];
      weight.trainable = owner.trainable;
      continue;
    }
    count.bytes += weight.bytes;
    totals.bytes += weight.bytes;
    if (buffer) {
      bufferTensors++;
      bufferValues += elements;
      weight.trainable = false;
      continue;
    }
    count.params += elements;
    totals.params += elements;
    if (weight.trainable) {
      count.trainable += elements;
      totals.trainable += elements;
    } else {
      count.nonTrainable += elements;
      totals.nonTrainable += elements;
    }
  }

  const counts = subtreeCounts(modules, own);
  const rows = modules.map((module): LayerSummary => {
    const count = counts.get(module.id) ?? zero();
    const settings = { ...module.settings };
    if (module.classSource === 'inferred') settings['type from'] = 'tensor names and shapes';
    const tied = tiedTo.get(module.id);
    if (tied) settings['tied to'] = tied.join(', ');
    return {
      id: module.id,
      name: module.name,
      className: module.className,
      ...(module.parent !== undefined ? { parent: module.parent } : {}),
      depth: module.depth,
      isModel: module.classSource === 'container',
      settings,
      connectedTo: [],
      outputShapes: [],
      params: count.params,
      trainableParams: count.trainable,
      nonTrainableParams: count.nonTrainable,
      macs: null,
      weightBytes: count.bytes,
      trainable: count.nonTrainable === 0,
    };
  });

  const facts: FileFact[] = [];
  if (bufferTensors > 0) facts.push({ label: 'Buffers', value: `${bufferTensors} tensors, ${bufferValues.toLocaleString('en-US')} values (running statistics and counters: stored, not parameters)` });
  const tiedCount = [...tiedTo.values()].reduce((sum, list) => sum + list.length, 0);
  if (tiedCount > 0) facts.push({ label: 'Tied weights', value: `${tiedCount} tensors share storage with an earlier one and are counted once` });
  return { rows, weights: analysed, totals, facts };
}

/** Each module's own count plus every descendant's: each count is added up its parent chain. */
function subtreeCounts(modules: ModuleNode[], own: Map<string, Count>): Map<string, Count> {
  const parents = new Map(modules.map((module) => [module.id, module.parent]));
  const counts = new Map<string, Count>(modules.map((module) => [module.id, zero()]));
  for (const [id, mine] of own) {
    let current: string | undefined = id;
    // The depth bound also stops a malformed parent cycle.
    for (let depth = 0; current !== undefined && depth <= modules.length; depth++) {
      const target = counts.get(current);
      if (!target) break;
      target.params += mine.params;
      target.trainable += mine.trainable;
      target.nonTrainable += mine.nonTrainable;
      target.bytes += mine.bytes;
      current = parents.get(current);
    }
  }
  return counts;
}
