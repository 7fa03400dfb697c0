/**
 * Static output-shape inference over the model IR: every call of every
 * layer in dependency order (functional graphs, Sequential chains, shared
 * layers called more than once, nested models evaluated once per call with
 * the shapes they are called on), each layer's outputs from its class's
 * rule. Unknown stays unknown downstream: nothing is guessed.
 */
import type { IRLayer, ModelIR, Shape, TensorRef, TensorSpec } from '../../protocol/model';
import { asConfig, declaredInputShape, ShapeError } from './config';
import type { Findings } from './findings';
import { ruleFor } from './rules';

/** One call of a layer: the shapes it got and gave; undefined = unknown. */
export interface LayerCall {
  inputs: Array<Shape | undefined>;
  /** Empty when the outputs are unknown altogether. */
  outputs: Array<Shape | undefined>;
  /** The layer's first call, inside the first call of every model around it: what its row shows. */
  primary: boolean;
}

export interface ShapeInference {
  /** Every call of every layer; a nested model's layers once per call of that model. */
  calls: Map<string, LayerCall[]>;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface ShapeLimits {
  /** Most layer calls evaluated (shared nested models multiply calls). */
  maxCalls: number;
  /** Deepest nesting of models followed. */
  maxDepth: number;
}

const DEFAULT_LIMITS: ShapeLimits = { maxCalls: 200_000, maxDepth: 64 };

/** The shapes a scope (the top level or a nested model) is called on. */
interface Binding {
  /** The scope's declared input refs (may be empty: then its entry layers in order). */
  refs: TensorRef[];
  shapes: Array<Shape | undefined>;
}

type ScopeOutputs = Map<string, Array<Shape | undefined>>;

/** Where a call happens: its node index, what the scope was called on, how deep. */
interface CallContext {
  node: number;
  binding: Binding | undefined;
  /** The scope's entry layers (when the binding names no refs). */
  entries: IRLayer[];
  depth: number;
  primary: boolean;
}

const nodeKey = (layer: string, node: number): string => `${node}:${layer}`;

/** Classes whose code is Python the file does not describe. */
const CODE_LAYERS = new Set(['Lambda', 'TFOpLambda', 'SlicingOpLambda']);

class ShapeWalker {
  readonly calls = new Map<string, LayerCall[]>();
  private readonly byId = new Map<string, IRLayer>();
  private readonly children = new Map<string, IRLayer[]>();
  private evaluated = 0;

  constructor(
    model: ModelIR,
    private readonly findings: Findings,
    private readonly limits: ShapeLimits,
  ) {
    for (const layer of model.layers) {
      if (this.byId.has(layer.id)) findings.problem(`Two layers have the id '${layer.id}'; the second is ignored.`);
      else this.byId.set(layer.id, layer);
    }
    for (const layer of this.byId.values()) {
      const scope = layer.parent ?? '';
      if (layer.parent !== undefined && !this.byId.get(layer.parent)?.isModel) {
        findings.problem(`Layer '${layer.id}' names '${layer.parent}' as its model, which is not a nested model in the file.`);
      }
      const siblings = this.children.get(scope) ?? [];
      siblings.push(layer);
      this.children.set(scope, siblings);
    }
  }

  layer(id: string): IRLayer | undefined {
    return this.byId.get(id);
  }

  /** The layers of a scope that take no input from a sibling: InputLayers and a Sequential's first layer. */
  entries(scope: string): IRLayer[] {
    return (this.children.get(scope) ?? []).filter((layer) => layer.inboundNodes.length === 0);
  }

  childrenOf(scope: string): IRLayer[] {
    return this.children.get(scope) ?? [];
  }

  /** Evaluates every call in a scope, in dependency order; returns each call's outputs. */
  evaluateScope(scope: string, binding: Binding | undefined, depth: number, primary: boolean): ScopeOutputs {
    const layers = this.childrenOf(scope);
    const inScope = new Map(layers.map((layer) => [layer.id, layer]));
    const nodeCount = (layer: IRLayer): number => Math.max(1, layer.inboundNodes.length);
    const pending = new Map<string, number>();
    const dependents = new Map<string, string[]>();
    const order: Array<{ layer: IRLayer; node: number; key: string }> = [];
    for (const layer of layers) {
      for (let node = 0; node < nodeCount(layer); node++) {
        const key = nodeKey(layer.id, node);
        order.push({ layer, node, key });
        let waits = 0;
        for (const ref of layer.inboundNodes[node] ?? []) {
          const source = inScope.get(ref.layer);
          if (!source || !Number.isSafeInteger(ref.node) || ref.node < 0 || ref.node >= nodeCount(source)) continue;
          const sourceKey = nodeKey(ref.layer, ref.node);
          const list = dependents.get(sourceKey) ?? [];
          list.push(key);
          dependents.set(sourceKey, list);
          waits++;
        }
        pending.set(key, waits);
      }
    }
    const byKey = new Map(order.map((entry) => [entry.key, entry]));
    const queue = order.filter((entry) => pending.get(entry.key) === 0);
    const outputs: ScopeOutputs = new Map();
    const entries = binding && binding.refs.length === 0 ? this.entries(scope) : [];
    const run = (entry: { layer: IRLayer; node: number; key: string }): void => {
      const call = { node: entry.node, binding, entries, depth, primary: primary && entry.node === 0 };
      outputs.set(entry.key, this.evaluateCall(entry.layer, call, outputs, inScope));
    };
    for (let head = 0; head < queue.length; head++) {
      const entry = queue[head];
      if (!entry) continue;
      run(entry);
      for (const next of dependents.get(entry.key) ?? []) {
        const left = (pending.get(next) ?? 0) - 1;
        pending.set(next, left);
        const waiting = byKey.get(next);
        if (left === 0 && waiting) queue.push(waiting);
      }
    }
    if (queue.length < order.length) {
      const stuck = order.filter((entry) => !outputs.has(entry.key));
      this.findings.problem(`Layers ${listNames(stuck.map((entry) => entry.layer.name))} feed each other in a cycle; their shapes are unknown.`);
      for (const entry of stuck) run(entry);
    }
    return outputs;
  }

  private evaluateCall(layer: IRLayer, call: CallContext, scopeOutputs: ScopeOutputs, inScope: Map<string, IRLayer>): Array<Shape | undefined> {
    const { binding, entries } = call;
    const refs = layer.inboundNodes[call.node] ?? [];
    let inputs: Array<Shape | undefined>;
    let fromCaller = false;
    if (refs.length > 0) {
      inputs = refs.map((ref) => this.resolve(ref, layer, scopeOutputs, inScope));
    } else {
      const index = binding ? (binding.refs.length > 0 ? binding.refs.findIndex((ref) => ref.layer === layer.id) : entries.indexOf(layer)) : -1;
      fromCaller = binding !== undefined && index >= 0;
      inputs = fromCaller ? [binding?.shapes[index]] : [this.declaredInput(layer)];
    }
    const outputs = this.outputsOf(layer, inputs, fromCaller || refs.length > 0, call);
    const record: LayerCall = { inputs: layer.className === 'InputLayer' ? [] : inputs, outputs, primary: call.primary };
    const list = this.calls.get(layer.id) ?? [];
    list.push(record);
    this.calls.set(layer.id, list);
    return outputs;
  }

  private outputsOf(layer: IRLayer, inputs: Array<Shape | undefined>, called: boolean, call: CallContext): Array<Shape | undefined> {
    if (++this.evaluated > this.limits.maxCalls) {
      this.findings.once('budget', `The model has more than ${this.limits.maxCalls} layer calls; shapes past that point are not computed.`);
      return [];
    }
    if (layer.className === 'InputLayer') return inputs;
    if (layer.isModel) return this.callNestedModel(layer, inputs, called, call);
    const rule = ruleFor(layer.className);
    if (!rule) {
      if (CODE_LAYERS.has(layer.className)) this.findings.codeLayer(layer.name);
      else this.findings.noRule(layer.className, layer.name);
      return [];
    }
    if (inputs.length === 0 || inputs.some((shape) => shape === undefined)) return [];
    try {
      return checkShapes(rule.outputShapes(asConfig(layer.config), inputs as Shape[]));
    } catch (error) {
      // Any failure on an odd config stays with this layer: the rest of the summary still shows.
      const reason = error instanceof ShapeError ? error.message : `could not be analysed (${String(error)})`;
      this.findings.problem(`Layer '${layer.name}' (${layer.className}) ${reason}; its output shape is unknown.`);
      return [];
    }
  }

  private callNestedModel(layer: IRLayer, inputs: Array<Shape | undefined>, called: boolean, call: CallContext): Array<Shape | undefined> {
    if (call.depth >= this.limits.maxDepth) {
      this.findings.once('depth', `Models nested more than ${this.limits.maxDepth} deep are not followed; their shapes are unknown.`);
      return [];
    }
    // Not called on anything (a Sequential's first layer without a declared input): its layers use their own input configs.
    const binding = called || inputs[0] !== undefined ? { refs: layer.inputs ?? [], shapes: inputs } : undefined;
    const inner = this.evaluateScope(layer.id, binding, call.depth + 1, call.primary);
    const children = this.childrenOf(layer.id);
    const last = children[children.length - 1];
    const outputRefs = layer.outputs?.length ? layer.outputs : last ? [{ layer: last.id, node: 0, tensor: 0 }] : [];
    const inScope = new Map(children.map((child) => [child.id, child]));
    return outputRefs.map((ref) => this.resolve(ref, layer, inner, inScope));
  }

  /** The shape a ref points at in a scope; undefined (with a finding when the ref is broken) when unknown. */
  resolve(ref: TensorRef, consumer: IRLayer, scopeOutputs: ScopeOutputs, inScope: Map<string, IRLayer>): Shape | undefined {
    if (!inScope.has(ref.layer)) {
      const where = this.byId.has(ref.layer) ? 'which is in another model' : 'which is not in the file';
      this.findings.problem(`Layer '${consumer.name}' takes its input from '${ref.layer}', ${where}; its shape is unknown.`);
      return undefined;
    }
    const outputs = scopeOutputs.get(nodeKey(ref.layer, ref.node));
    if (!outputs) {
      this.findings.problem(`Layer '${consumer.name}' takes its input from call ${ref.node} of '${ref.layer}', which has no such call.`);
      return undefined;
    }
    if (outputs.length > 0 && !(ref.tensor >= 0 && ref.tensor < outputs.length)) {
      this.findings.problem(`Layer '${consumer.name}' takes output ${ref.tensor} of '${ref.layer}', which has ${outputs.length}.`);
      return undefined;
    }
    return outputs[ref.tensor];
  }

  private declaredInput(layer: IRLayer): Shape | undefined {
    try {
      const shape = declaredInputShape(layer.className, asConfig(layer.config));
      if (!shape && !layer.isModel) this.findings.problem(`Layer '${layer.name}' is an input of its model but declares no input shape.`);
      return shape;
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      this.findings.problem(`Layer '${layer.name}' (${layer.className}) ${error.message}.`);
      return undefined;
    }
  }
}

/** Rule results must be real shapes: whole, non-negative dimensions or null. */
function checkShapes(shapes: Shape[]): Shape[] {
  for (const shape of shapes) {
    for (const dim of shape) {
      if (dim !== null && !(Number.isSafeInteger(dim) && dim >= 0)) throw new ShapeError(`gives the impossible dimension ${dim}`);
    }
  }
  return shapes;
}

export function listNames(names: string[], max = 5): string {
  const quoted = names.slice(0, max).map((name) => `'${name}'`);
  return names.length > max ? `${quoted.join(', ')} and ${names.length - max} more` : quoted.join(', ');
}

/** The call a layer's row shows: its first call in the model's first pass. */
export function primaryCall(calls: LayerCall[]): LayerCall | undefined {
  return calls.find((call) => call.primary) ?? calls[0];
}

function dtypeOf(layer: IRLayer): string {
  const dtype = layer.config['dtype'];
  return typeof dtype === 'string' ? dtype : 'float32';
}

/**
 * Shapes of every layer call, and the model's input and output specs. A
 * spec whose shape is unknown has shape [] (a model's tensors always have a
 * batch axis, so [] never means a scalar here).
 */
export function inferShapes(model: ModelIR, findings: Findings, limits: ShapeLimits = DEFAULT_LIMITS): ShapeInference {
  const walker = new ShapeWalker(model, findings, limits);
  const top = walker.evaluateScope('', undefined, 0, true);
  const topLayers = walker.childrenOf('');
  const inScope = new Map(topLayers.map((layer) => [layer.id, layer]));

  const inputRefs = model.inputs.length > 0 ? model.inputs : walker.entries('').map((layer) => ({ layer: layer.id, node: 0, tensor: 0 }));
  const inputs: TensorSpec[] = [];
  for (const ref of inputRefs) {
    const layer = walker.layer(ref.layer);
    if (!layer) continue;
    const call = primaryCall(walker.calls.get(layer.id) ?? []);
    const isInput = layer.className === 'InputLayer';
    const shape = isInput ? call?.outputs[ref.tensor] : call?.inputs[0];
    inputs.push({ name: isInput ? layer.name : `${layer.name}_input`, shape: shape ?? [], dtype: dtypeOf(layer) });
  }

  const last = topLayers[topLayers.length - 1];
  const outputRefs = model.outputs.length > 0 ? model.outputs : last ? [{ layer: last.id, node: 0, tensor: 0 }] : [];
  const outputs: TensorSpec[] = [];
  for (const ref of outputRefs) {
    const layer = walker.layer(ref.layer);
    if (!layer) continue;
    const shape = walker.resolve(ref, layer, top, inScope);
    outputs.push({ name: ref.tensor > 0 ? `${layer.name}:${ref.tensor}` : layer.name, shape: shape ?? [], dtype: dtypeOf(layer) });
  }
  return { calls: walker.calls, inputs, outputs };
}
