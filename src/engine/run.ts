/**
 * Runs a rebuilt model on generated input and profiles it: per layer the
 * actual output shapes, time in a first and a warm pass and activation
 * statistics; for the model the output preview and the peak of live
 * activation memory. Layers models run layer by layer (nested models
 * descend), so every row of the table gets its own numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers calls tensor methods (t.flatten(), ...) that only this import adds.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import * as tfl from '@tensorflow/tfjs-layers';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { LayerRun, OutputPreview, RunOptions, RunResult, ValueStats } from '../protocol/model';
import type { RebuiltModel } from './rebuild';
import { valueStats } from './stats';

type SymbolicTensor = tfl.SymbolicTensor;

interface LayerTimes {
  id: string;
  outputShapes: number[][];
  ms: number;
  stats?: ValueStats;
}

interface Pass {
  times: LayerTimes[];
  totalMs: number;
  peakBytes: number;
}

/** What the layer-by-layer executor needs from tfjs-layers' graph structures. */
interface GraphNode {
  inputTensors: SymbolicTensor[];
  outputTensors: SymbolicTensor[];
}

function inboundNodesOf(layer: tfl.layers.Layer): GraphNode[] {
  return (layer as unknown as { inboundNodes: GraphNode[] }).inboundNodes;
}

function containerNodesOf(model: tfl.LayersModel): Set<string> {
  return (model as unknown as { containerNodes: Set<string> }).containerNodes;
}

function isInputLayer(layer: tfl.layers.Layer): boolean {
  return layer.getClassName() === 'InputLayer';
}

/** Bytes of a tensor's values: 4 per element (float32, int32), 8 for complex64, 1 for bool. */
function bytesOf(tensor: tf.Tensor): number {
  return tensor.size * (tensor.dtype === 'bool' ? 1 : tensor.dtype === 'complex64' ? 8 : 4);
}

/** Counts, per symbolic tensor id, how many layer calls in this model read it. */
function consumers(model: tfl.LayersModel): Map<number, number> {
  const counts = new Map<number, number>();
  const keys = containerNodesOf(model);
  for (const layer of model.layers) {
    inboundNodesOf(layer).forEach((node, index) => {
      if (!keys.has(`${layer.name}_ib-${index}`)) return;
      for (const input of node.inputTensors) counts.set(input.id, (counts.get(input.id) ?? 0) + 1);
    });
  }
  for (const output of model.outputs) counts.set(output.id, (counts.get(output.id) ?? 0) + 1);
  return counts;
}

class Executor {
  readonly times: LayerTimes[] = [];
  private liveBytes = 0;
  private readonly calls = new Map<string, number>();
  peakBytes = 0;

  constructor(private readonly withStats: boolean) {}

  private track(tensors: tf.Tensor[], sign: 1 | -1): void {
    for (const tensor of tensors) this.liveBytes += sign * bytesOf(tensor);
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
  }

  /** Runs `model` on `inputs`, recording each layer under `prefix`; returns its outputs (caller owns them). */
  run(model: tfl.LayersModel, inputs: tf.Tensor[], prefix: string): tf.Tensor[] {
    return model instanceof tfl.Sequential ? this.runChain(model, inputs, prefix) : this.runGraph(model, inputs, prefix);
  }

  /**
   * A Sequential runs its own layer list: its internal graph flattens a nested
   * model that comes first, which would lose that model's row.
   */
  private runChain(model: tfl.Sequential, inputs: tf.Tensor[], prefix: string): tf.Tensor[] {
    let current = inputs;
    for (const layer of model.layers) {
      if (isInputLayer(layer)) continue;
      const outputs = this.call(layer, current, prefix + layer.name);
      for (const extra of outputs.slice(1)) {
        this.track([extra], -1);
        extra.dispose();
      }
      if (current !== inputs) this.free(current);
      current = outputs.slice(0, 1);
    }
    return current;
  }

  /** A shared layer runs once per call: the second call is `name#2`, and so on. */
  private callId(id: string): string {
    const calls = (this.calls.get(id) ?? 0) + 1;
    this.calls.set(id, calls);
    return calls === 1 ? id : `${id}#${calls}`;
  }

  private free(tensors: tf.Tensor[]): void {
    this.track(tensors, -1);
    tf.dispose(tensors);
  }

  private runGraph(graph: tfl.LayersModel, inputs: tf.Tensor[], prefix: string): tf.Tensor[] {
    const keys = containerNodesOf(graph);
    const remaining = consumers(graph);
    const values = new Map<number, tf.Tensor>();
    graph.inputs.forEach((symbolic, i) => {
      const input = inputs[i];
      if (input) values.set(symbolic.id, input);
    });
    const release = (ids: number[]): void => {
      for (const id of ids) {
        const left = (remaining.get(id) ?? 0) - 1;
        remaining.set(id, left);
        const tensor = values.get(id);
        if (left <= 0 && tensor && !inputs.includes(tensor)) {
          this.free([tensor]);
          values.delete(id);
        }
      }
    };
    for (const layer of graph.layers) {
      if (isInputLayer(layer)) continue;
      inboundNodesOf(layer).forEach((node, index) => {
        if (!keys.has(`${layer.name}_ib-${index}`)) return;
        const args = node.inputTensors.map((symbolic) => {
          const value = values.get(symbolic.id);
          if (!value) throw new Error(`layer ${layer.name}: its input ${symbolic.name} was not computed`);
          return value;
        });
        const outputs = this.call(layer, args, this.callId(prefix + layer.name));
        node.outputTensors.forEach((symbolic, i) => {
          const output = outputs[i];
          if (output) values.set(symbolic.id, output);
        });
        // Outputs nobody reads (e.g. an unused RNN state) are freed at once.
        this.free(outputs.slice(node.outputTensors.length));
        release(node.inputTensors.map((symbolic) => symbolic.id));
      });
    }
    const results = graph.outputs.map((symbolic) => {
      const value = values.get(symbolic.id);
      if (!value) throw new Error(`the model output ${symbolic.name} was not computed`);
      return value;
    });
    // Everything else computed here is garbage now.
    for (const tensor of values.values()) {
      if (!results.includes(tensor) && !inputs.includes(tensor)) this.free([tensor]);
    }
    return results;
  }

  private call(layer: tfl.layers.Layer, args: tf.Tensor[], id: string): tf.Tensor[] {
    if (layer instanceof tfl.LayersModel) {
      const started = performance.now();
      const outputs = this.run(layer, args, `${id}/`);
      this.record(id, outputs, performance.now() - started);
      return outputs;
    }
    const started = performance.now();
    const result = tf.tidy(() => layer.apply(args.length === 1 ? args[0]! : args, {}) as tf.Tensor | tf.Tensor[]);
    const outputs = Array.isArray(result) ? result : [result];
    // The WASM and cpu backends compute eagerly; reading one value also waits for tfjs-node.
    if (outputs[0]) outputs[0].dataSync();
    this.record(id, outputs, performance.now() - started);
    this.track(outputs, 1);
    return outputs;
  }

  private record(id: string, outputs: tf.Tensor[], ms: number): void {
    const entry: LayerTimes = { id, outputShapes: outputs.map((output) => output.shape), ms };
    if (this.withStats && outputs[0]) entry.stats = valueStats(outputs[0].dataSync());
    this.times.push(entry);
  }
}

function layeredPass(model: tfl.LayersModel, inputs: tf.Tensor[], withStats: boolean): Pass & { outputs: tf.Tensor[] } {
  const executor = new Executor(withStats);
  const started = performance.now();
  const outputs = executor.run(model, inputs, '');
  const totalMs = performance.now() - started;
  return { times: executor.times, totalMs, peakBytes: executor.peakBytes, outputs };
}

/** The concrete shape for a declared one: null batch -> batch size, other nulls -> unknownDim. */
export function concreteShape(shape: ReadonlyArray<number | null>, options: RunOptions): number[] {
  return shape.map((dim, axis) => (dim === null || dim < 0 ? (axis === 0 ? options.batchSize : options.unknownDim) : dim));
}

/** Seeded, so two runs (or two files holding the same model) see the same input. */
const INPUT_SEED = 1234;

function generate(shape: number[], dtype: tf.DataType, options: RunOptions, intRange: number, index: number): tf.Tensor {
  if (options.input === 'zeros') return tf.zeros(shape, dtype);
  const seed = INPUT_SEED + index;
  if (dtype === 'int32') return tf.randomUniform(shape, 0, intRange, 'int32', seed);
  return options.input === 'uniform' ? tf.randomUniform(shape, 0, 1, 'float32', seed) : tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Integer inputs usually feed an Embedding: draw indices below its input_dim. */
function embeddingRange(model: tfl.LayersModel): number {
  for (const layer of model.layers) {
    const inputDim = (layer.getConfig() as { inputDim?: unknown }).inputDim;
    if (layer.getClassName() === 'Embedding' && typeof inputDim === 'number') return inputDim;
  }
  return 10;
}

function preview(name: string, tensor: tf.Tensor): OutputPreview {
  const shape = tensor.shape;
  const perSample = shape.slice(1).reduce((a, b) => a * b, 1);
  const values = Array.from(tensor.dataSync().subarray(0, perSample));
  const result: OutputPreview = { name, shape, values: values.slice(0, 10) };
  const lastAxis = shape[shape.length - 1] ?? 0;
  const first = values.slice(0, lastAxis);
  const sum = first.reduce((a, b) => a + b, 0);
  if (lastAxis > 1 && first.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) < 1e-3) {
    result.top5 = first
      .map((value, index) => ({ index, value }))
      .sort((a, b) => b.value - a.value)
      .slice(0, 5);
  }
  return result;
}

function mergeTimes(first: Pass, warm: Pass): LayerRun[] {
  const warmById = new Map(warm.times.map((entry) => [entry.id, entry.ms]));
  return first.times.map((entry) => ({
    id: entry.id,
    outputShapes: entry.outputShapes,
    firstMs: round(entry.ms),
    warmMs: round(warmById.get(entry.id) ?? entry.ms),
    stats: entry.stats ?? valueStats(new Float32Array(0)),
  }));
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function runLayers(model: tfl.LayersModel, options: RunOptions): Omit<RunResult, 'backend' | 'rebuildMs' | 'options' | 'warnings'> {
  const intRange = embeddingRange(model);
  const inputs = model.inputs.map((symbolic, i) => generate(concreteShape(symbolic.shape, options), symbolic.dtype, options, intRange, i));
  try {
    const first = layeredPass(model, inputs, true);
    const outputs = first.outputs.map((tensor, i) => preview(model.outputs[i]?.name ?? `output_${i}`, tensor));
    const outputShapes = first.outputs.map((tensor) => tensor.shape);
    tf.dispose(first.outputs);
    const warm = layeredPass(model, inputs, false);
    tf.dispose(warm.outputs);
    return {
      inputShapes: inputs.map((input) => input.shape),
      outputShapes,
      firstMs: round(first.totalMs),
      warmMs: round(warm.totalMs),
      layers: mergeTimes(first, warm),
      outputs,
      peakActivationBytes: first.peakBytes + inputs.reduce((sum, input) => sum + bytesOf(input), 0),
    };
  } finally {
    tf.dispose(inputs);
  }
}

function runGraph(model: GraphModel, options: RunOptions): Omit<RunResult, 'backend' | 'rebuildMs' | 'options' | 'warnings'> {
  const specs = model.inputs;
  const inputs = specs.map((spec, i) =>
    generate(concreteShape(spec.shape ?? [], options), (spec.dtype ?? 'float32') as tf.DataType, options, 10, i),
  );
  const feed: tf.NamedTensorMap = {};
  specs.forEach((spec, i) => {
    feed[spec.name] = inputs[i]!;
  });
  const timed = (): { outputs: tf.Tensor[]; ms: number } => {
    const started = performance.now();
    const result = model.execute(feed) as tf.Tensor | tf.Tensor[];
    const outputs = Array.isArray(result) ? result : [result];
    for (const output of outputs) output.dataSync();
    return { outputs, ms: performance.now() - started };
  };
  try {
    const before = tf.memory().numBytes;
    const first = timed();
    const peak = tf.memory().numBytes - before;
    const outputNames = model.outputs.map((spec) => spec.name);
    const previews = first.outputs.map((tensor, i) => preview(outputNames[i] ?? `output_${i}`, tensor));
    const outputShapes = first.outputs.map((tensor) => tensor.shape);
    tf.dispose(first.outputs);
    const warm = timed();
    tf.dispose(warm.outputs);
    return {
      inputShapes: inputs.map((input) => input.shape),
      outputShapes,
      firstMs: round(first.ms),
      warmMs: round(warm.ms),
      layers: [],
      outputs: previews,
      peakActivationBytes: Math.max(0, peak),
    };
  } finally {
    tf.dispose(inputs);
  }
}

export function runModel(rebuilt: RebuiltModel, options: RunOptions, rebuildMs: number): RunResult {
  const warnings: string[] = [];
  const result = rebuilt.kind === 'layers' ? runLayers(rebuilt.model, options) : runGraph(rebuilt.model, options);
  if (rebuilt.kind === 'graph') warnings.push('graph models run as one piece: no per-layer times');
  const nonFinite = result.layers.filter((layer) => layer.stats.nan > 0 || layer.stats.inf > 0);
  if (nonFinite.length > 0) warnings.push(`NaN or Inf first appears in the output of ${nonFinite[0]!.id}`);
  return { backend: tf.getBackend(), options, rebuildMs: round(rebuildMs), warnings, ...result };
}
