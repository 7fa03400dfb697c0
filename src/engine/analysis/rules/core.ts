/**
 * Layers that keep their input's shape (activations, dropout and noise,
 * masking, inference-time augmentation), normalisation layers, Dense and
 * Embedding.
 */
import type { Shape } from '../../../protocol/model';
import { readPositive, ShapeError } from '../config';
import { multiply, product, sampleElements } from '../shapeMath';
import { lastDim, mainInput, type LayerRule, type RuleTable } from './types';

/** Output = input; no MACs (element-wise or a no-op at inference). */
const identity: LayerRule = {
  outputShapes: (_config, inputs) => [mainInput(inputs)],
};

/**
 * Output = input; one MAC per element. At inference a normalisation is a
 * per-element scale and shift (BatchNormalization folds its moving
 * statistics into them); computing LayerNormalization's or
 * GroupNormalization's mean and variance is not counted.
 */
const perElement: LayerRule = {
  outputShapes: (_config, inputs) => [mainInput(inputs)],
  macs: (_config, inputs) => sampleElements(mainInput(inputs)),
};

const IDENTITY_CLASSES = [
  'Activation',
  'ActivityRegularization',
  'AlphaDropout',
  'Dropout',
  'ELU',
  'GaussianDropout',
  'GaussianNoise',
  'Identity',
  'LeakyReLU',
  'Masking',
  'PReLU',
  'RandomBrightness',
  'RandomContrast',
  'RandomFlip',
  'RandomRotation',
  'RandomTranslation',
  'RandomZoom',
  'ReLU',
  'Softmax',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'ThresholdedReLU',
];

const PER_ELEMENT_CLASSES = [
  'BatchNormalization',
  'GroupNormalization',
  'LayerNormalization',
  'Normalization',
  'Rescaling',
  'SyncBatchNormalization',
  'UnitNormalization',
];

/** Dense on any rank: the last axis becomes `units`; every other position is an independent row. */
const dense: LayerRule = {
  outputShapes(config, inputs) {
    const input = mainInput(inputs);
    if (input.length < 2) throw new ShapeError('expects at least (batch, features)');
    return [[...input.slice(0, -1), readPositive(config, 'units')]];
  },
  macs(config, inputs) {
    const input = mainInput(inputs);
    const rows = product(input.slice(1, -1));
    return multiply(rows, lastDim(input), readPositive(config, 'units'));
  },
};

/** Embedding: a lookup adds `output_dim` to the index shape; a lookup multiplies nothing (0 MACs). */
const embedding: LayerRule = {
  outputShapes(config, inputs) {
    const input: Shape = mainInput(inputs);
    return [[...input, readPositive(config, 'output_dim')]];
  },
};

export const coreRules: RuleTable = {
  ...Object.fromEntries(IDENTITY_CLASSES.map((name) => [name, identity])),
  ...Object.fromEntries(PER_ELEMENT_CLASSES.map((name) => [name, perElement])),
  Dense: dense,
  Embedding: embedding,
};
