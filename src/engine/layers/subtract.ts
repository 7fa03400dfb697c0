/** Keras `Subtract`: the first of two inputs minus the second, with broadcasting like Keras' merge layers. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { LayerConfigError, type KerasLayerArgs } from './config';
import { NO_MASK, shapeList, tensorList, type Shape } from './inputs';

/** The broadcast of two shapes, aligned on the right; null where a size is unknown. */
export function broadcastShapes(layerClass: string, a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i];
    const y = b[b.length - rank + i];
    if (x === undefined) out.push(y ?? null);
    else if (y === undefined) out.push(x);
    else if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === null || y === null) out.push(x ?? y);
    else if (x !== y) throw new LayerConfigError(`${layerClass}: shapes [${a.map(String).join(', ')}] and [${b.map(String).join(', ')}] do not broadcast`);
    else out.push(x);
  }
  return out;
}

export class DlkitSubtract extends tfl.layers.Layer {
  static className = 'DlkitSubtract';

  constructor(args: KerasLayerArgs = {}) {
    super(args);
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [a, b] = shapeList('Subtract', inputShape, 2, 2) as [Shape, Shape];
    return broadcastShapes('Subtract', a, b);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [a, b] = tensorList('Subtract', inputs, 2, 2) as [tf.Tensor, tf.Tensor];
      return tf.sub(a, b);
    });
  }

  /** Keras keeps a mask only where both inputs are unmasked. */
  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    if (!Array.isArray(mask)) return mask ?? NO_MASK;
    const present = mask.filter((item): item is tf.Tensor => item != null);
    if (present.length === 0) return NO_MASK;
    return tf.tidy(() => present.slice(1).reduce((all, item) => tf.logicalAnd(all, item), tf.cast(present[0] as tf.Tensor, 'bool')));
  }
}
