/**
 * Rebuilds a parsed model in TensorFlow.js so it can run: Keras and TF.js
 * layers models through tfjs-layers (with our own layers for what it lacks),
 * TF.js graph models through tfjs-converter. Runs in the worker only.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import type { ParsedModel } from '../formats/types';
import type { IRLayer } from '../protocol/model';
import { registerCustomLayers, tfjsClassFor } from './layers';

export type RebuiltModel = { kind: 'layers'; model: tfl.LayersModel } | { kind: 'graph'; model: GraphModel };

/** The model cannot run in TF.js; the message says why (e.g. which layers are missing). */
export class RebuildError extends Error {
  override name = 'RebuildError';
}

interface KerasSerialized {
  class_name: string;
  config?: unknown;
  [key: string]: unknown;
}

function isSerialized(value: unknown): value is KerasSerialized {
  return typeof value === 'object' && value !== null && typeof (value as { class_name?: unknown }).class_name === 'string';
}

function isRegistered(className: string): boolean {
  return className in tf.serialization.SerializationMap.getMap().classNameMap;
}

/** The Keras version that wrote the file ("2.1.3"), when the producer string says it. */
function kerasVersion(producer: string): string | undefined {
  return /Keras (\d+(?:\.\d+)*)/.exec(producer)?.[1];
}

/** The layer configs of a model config, wherever this Keras dialect keeps them. */
function layerConfigsOf(modelConfig: unknown): KerasSerialized[] {
  if (Array.isArray(modelConfig)) return modelConfig.filter(isSerialized);
  const layers = (modelConfig as { layers?: unknown } | undefined)?.layers;
  return Array.isArray(layers) ? layers.filter(isSerialized) : [];
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/**
 * Rewrites a topology for tfjs-layers in place: classes tfjs lacks become our
 * own layers, and every initializer becomes Zeros, because the file's weights
 * replace them at once and random initialisation of a large model costs seconds.
 * Returns the class names nothing can run.
 */
function adaptTopology(topology: KerasSerialized, kerasVersion: string | undefined): string[] {
  const unsupported = new Set<string>();
  const visit = (layer: KerasSerialized): void => {
    const config = (layer.config ?? {}) as Record<string, unknown>;
    if (MODEL_CLASSES.has(layer.class_name)) {
      for (const child of layerConfigsOf(layer.config)) visit(child);
      return;
    }
    const replacement = tfjsClassFor(layer.class_name, config, kerasVersion);
    if (replacement) layer.class_name = replacement;
    else if (!isRegistered(layer.class_name)) unsupported.add(layer.class_name);
    for (const key of Object.keys(config)) {
      if (key.endsWith('_initializer') && config[key] !== null) config[key] = { class_name: 'Zeros', config: {} };
    }
    // Wrappers (Bidirectional, TimeDistributed) hold their inner layer here.
    if (isSerialized(config['layer'])) visit(config['layer']);
    if (isSerialized(config['cell'])) visit(config['cell']);
  };
  visit(topology);
  return [...unsupported].sort();
}

/** Layer classes in this model that TF.js cannot run even with our own layers. */
export function unsupportedClasses(parsed: ParsedModel): string[] {
  if (parsed.format === 'tfjs-graph') return [];
  if (!parsed.kerasTopology) return [];
  registerCustomLayers();
  return adaptTopology(structuredClone(parsed.kerasTopology), kerasVersion(parsed.producer));
}

/** Finds the tfjs layer for an IR id (`outer/inner/name`), descending into nested models. */
function findLayer(model: tfl.LayersModel, id: string): tfl.layers.Layer | undefined {
  let scope: tfl.layers.Layer[] = model.layers;
  let found: tfl.layers.Layer | undefined;
  for (const name of id.split('/')) {
    found = scope.find((layer) => layer.name === name);
    if (!found) return undefined;
    scope = found instanceof tfl.LayersModel ? found.layers : [];
  }
  return found;
}

async function setLayerWeights(parsed: ParsedModel, model: tfl.LayersModel, layers: IRLayer[]): Promise<void> {
  const shapes = new Map(parsed.weights.map((weight) => [weight.path, weight.shape]));
  for (const layer of layers) {
    if (layer.isModel || layer.weightPaths.length === 0) continue;
    const target = findLayer(model, layer.id);
    if (!target) throw new RebuildError(`layer ${layer.id} is in the file but not in the rebuilt model`);
    if (target.weights.length !== layer.weightPaths.length) {
      throw new RebuildError(
        `layer ${layer.id} (${layer.className}) stores ${layer.weightPaths.length} weight tensors; TF.js expects ${target.weights.length}`,
      );
    }
    const values: tf.Tensor[] = [];
    try {
      for (const weightPath of layer.weightPaths) {
        const data = await parsed.readTensor(weightPath);
        const shape = shapes.get(weightPath) ?? [data.length];
        values.push(tf.tensor(data, shape, data instanceof Float32Array ? 'float32' : 'int32'));
      }
      target.setWeights(values);
    } catch (error) {
      if (error instanceof RebuildError) throw error;
      throw new RebuildError(`weights of layer ${layer.id}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      tf.dispose(values);
    }
  }
}

async function rebuildLayersModel(parsed: ParsedModel): Promise<tfl.LayersModel> {
  if (!parsed.kerasTopology || !parsed.model) throw new RebuildError('the file holds no model architecture');
  registerCustomLayers();
  const topology = structuredClone(parsed.kerasTopology) as KerasSerialized;
  const unsupported = adaptTopology(topology, kerasVersion(parsed.producer));
  if (unsupported.length > 0) {
    throw new RebuildError(`TensorFlow.js has no implementation of ${unsupported.join(', ')}`);
  }
  let model: tfl.LayersModel;
  try {
    model = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
  } catch (error) {
    throw new RebuildError(`TensorFlow.js could not build the model: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    await setLayerWeights(parsed, model, parsed.model.layers);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

async function rebuildGraphModel(parsed: ParsedModel): Promise<GraphModel> {
  if (!parsed.loadTfjsArtifacts) throw new RebuildError('no graph model artifacts');
  const artifacts = await parsed.loadTfjsArtifacts();
  try {
    return await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: artifacts.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: artifacts.weightSpecs as tf.io.WeightsManifestEntry[],
        weightData: artifacts.weightData,
        format: 'graph-model',
      }),
    );
  } catch (error) {
    throw new RebuildError(`TensorFlow.js could not load the graph model: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function rebuildModel(parsed: ParsedModel): Promise<RebuiltModel> {
  if (parsed.framework !== 'keras' && parsed.framework !== 'tensorflow.js') {
    throw new RebuildError(`TensorFlow.js runs Keras and TF.js models; a ${parsed.formatLabel} is read, not run`);
  }
  if (parsed.format === 'tfjs-graph') return { kind: 'graph', model: await rebuildGraphModel(parsed) };
  return { kind: 'layers', model: await rebuildLayersModel(parsed) };
}

export function disposeRebuilt(rebuilt: RebuiltModel): void {
  rebuilt.model.dispose();
}
