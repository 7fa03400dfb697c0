/**
 * Stand-ins for Keras layers that change nothing at inference time (dropout
 * variants, activity regularisation, random augmentation) and that
 * tfjs-layers lacks or cannot build from a Keras config. Each keeps its Keras
 * config for getConfig and returns its input.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { ConfigReader, type KerasLayerArgs } from './config';
import { oneShape, oneTensor, type Shape } from './inputs';

/**
 * Keras classes that are the identity at inference and that we run as
 * pass-through layers. (Dropout, SpatialDropout1D, AlphaDropout,
 * GaussianDropout and GaussianNoise are not here: tfjs-layers runs them.)
 */
export const PASS_THROUGH_CLASSES = [
  'ActivityRegularization',
  'Identity',
  'SpatialDropout2D',
  'SpatialDropout3D',
  // Random augmentation: active only when training.
  'RandomFlip',
  'RandomRotation',
  'RandomZoom',
  'RandomContrast',
  'RandomTranslation',
  'RandomBrightness',
  'RandomHeight',
  'RandomWidth',
  'RandomGrayscale',
  'RandomHue',
  'RandomSaturation',
  'RandomSharpness',
  'RandomShear',
  'RandomColorJitter',
  'RandomColorDegeneration',
  'RandomPosterization',
  'RandomInvert',
  'RandomErasing',
  'RandomGaussianBlur',
  'RandomPerspective',
  'RandomElasticTransform',
  'RandAugment',
  'AugMix',
  'MixUp',
  'CutMix',
] as const;

export class PassThroughLayer extends tfl.layers.Layer {
  static className = 'DlkitPassThrough';
  private readonly own: Record<string, unknown>;

  constructor(args: KerasLayerArgs) {
    super(args);
    this.own = new ConfigReader(this.getClassName(), args).ownEntries();
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return oneShape(this.getClassName(), inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => tf.clone(oneTensor(this.getClassName(), inputs)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...(this.own as tf.serialization.ConfigDict), ...super.getConfig() };
  }
}

/** One registered class per Keras name, so a rebuilt model still says which layer each one stands for. */
export function passThroughClass(kerasClass: string): typeof PassThroughLayer {
  return class extends PassThroughLayer {
    static override className = `Dlkit${kerasClass}`;
  };
}
