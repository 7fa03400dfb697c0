/**
 * TF.js layers of our own for Keras layers tfjs-layers 4.22 lacks or refuses,
 * registered under `Dlkit*` names. A Keras topology runs in tfjs once the
 * classes tfjsClassFor() names replace the Keras ones; the layers read the
 * Keras config (camelCased by tfjs) and take their weights in Keras order and
 * shapes, so `layer.setWeights(weightsFromFile)` works unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DlkitAdditiveAttention, DlkitAttention } from './attention';
import { DlkitConv1DTranspose } from './conv1dTranspose';
import { DlkitGRU, DlkitGRUCell } from './gru';
import { DlkitMultiHeadAttention } from './multiHeadAttention';
import { DlkitGroupNormalization, DlkitInstanceNormalization, DlkitUnitNormalization } from './normalization';
import { PASS_THROUGH_CLASSES, passThroughClass } from './passThrough';
import { DlkitGlobalAveragePooling3D, DlkitGlobalMaxPooling3D, DlkitMaxPooling3D } from './pooling3d';
import { DlkitCropping1D, DlkitCropping3D, DlkitUpSampling1D, DlkitUpSampling3D, DlkitZeroPadding1D, DlkitZeroPadding3D } from './spatial';
import { DlkitSubtract } from './subtract';

type LayerClass = tf.serialization.SerializableConstructor<tf.serialization.Serializable>;

/** Keras class name -> our layer, for every class whose Keras config always means our layer. */
const BY_KERAS_CLASS: ReadonlyMap<string, LayerClass> = new Map<string, LayerClass>([
  ['MultiHeadAttention', DlkitMultiHeadAttention],
  ['Attention', DlkitAttention],
  ['AdditiveAttention', DlkitAdditiveAttention],
  ['Subtract', DlkitSubtract],
  ['GroupNormalization', DlkitGroupNormalization],
  ['Addons>GroupNormalization', DlkitGroupNormalization],
  ['Addons>InstanceNormalization', DlkitInstanceNormalization],
  ['UnitNormalization', DlkitUnitNormalization],
  ['Conv1DTranspose', DlkitConv1DTranspose],
  ['ZeroPadding1D', DlkitZeroPadding1D],
  ['ZeroPadding3D', DlkitZeroPadding3D],
  ['Cropping1D', DlkitCropping1D],
  ['Cropping3D', DlkitCropping3D],
  ['UpSampling1D', DlkitUpSampling1D],
  ['UpSampling3D', DlkitUpSampling3D],
  ['GlobalAveragePooling3D', DlkitGlobalAveragePooling3D],
  ['GlobalMaxPooling3D', DlkitGlobalMaxPooling3D],
  // tfjs has MaxPooling3D, but the WebAssembly backend computes it wrongly (see pooling3d.ts).
  ['MaxPooling3D', DlkitMaxPooling3D],
  ...PASS_THROUGH_CLASSES.map((name): [string, LayerClass] => [name, passThroughClass(name)]),
]);

/** Keras classes that are the identity at inference and run as our pass-through layers. */
export const INFERENCE_IDENTITIES: ReadonlySet<string> = new Set(PASS_THROUGH_CLASSES);

/** Keras class names that run in TF.js (or, MaxPooling3D, run right on every backend) thanks to these layers; GRU when reset_after is true. */
export const SUPPORTED_CUSTOM: ReadonlySet<string> = new Set(['GRU', ...BY_KERAS_CLASS.keys()]);

let registered = false;

/** Registers every Dlkit* class with tfjs's serialization map. Safe to call more than once. */
export function registerCustomLayers(): void {
  if (registered) return;
  for (const cls of [DlkitGRU, DlkitGRUCell, ...new Set(BY_KERAS_CLASS.values())]) tf.serialization.registerClass(cls as LayerClass);
  registered = true;
}

/** The Keras version as [major, minor], from a number (the major alone) or a version string. */
function parseVersion(version: number | string | undefined): [number, number] | undefined {
  if (typeof version === 'number') return Number.isFinite(version) ? [Math.trunc(version), 0] : undefined;
  const match = typeof version === 'string' ? /^(\d+)(?:\.(\d+))?/.exec(version.trim()) : null;
  return match ? [Number(match[1]), Number(match[2] ?? 0)] : undefined;
}

/**
 * Whether a Keras GRU config means reset_after=True. Configs written since
 * Keras 2.1 always say; a config without the key comes from an older Keras
 * (reset_after did not exist: False) unless the caller knows the file was
 * written by Keras 2.3 or later, whose default is True. A major version alone
 * (2) cannot tell 2.3 from 2.0 and counts as older.
 */
function gruResetsAfter(config: Record<string, unknown>, kerasVersion: number | string | undefined): boolean {
  const resetAfter = config['reset_after'] ?? config['resetAfter'];
  if (typeof resetAfter === 'boolean') return resetAfter;
  const version = parseVersion(kerasVersion);
  return version !== undefined && (version[0] > 2 || (version[0] === 2 && version[1] >= 3));
}

/**
 * The class name to put in the tfjs topology for a Keras layer, or undefined
 * when tfjs-layers' own class runs it. `config` is the Keras-2-spelled
 * (snake_case) layer config; `kerasVersion` is the version that wrote the
 * file ('2.3.1', or just the major version as a number) when known.
 */
export function tfjsClassFor(className: string, config: Record<string, unknown>, kerasVersion?: number | string): string | undefined {
  if (className === 'GRU') return gruResetsAfter(config, kerasVersion) ? DlkitGRU.className : undefined;
  const cls = BY_KERAS_CLASS.get(className);
  return cls ? cls.className : undefined;
}
