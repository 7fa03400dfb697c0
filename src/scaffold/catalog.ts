/** What can be scaffolded: architectures, styles and the datasets each architecture can train on. */

export const STYLES = ['pytorch', 'keras', 'tensorflow'] as const;
export type Style = (typeof STYLES)[number];

export const ARCHITECTURES = ['cnn', 'rnn', 'gan', 'transformer', 'autoencoder'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface DatasetInfo {
  id: string;
  label: string;
  detail: string;
}

export interface ArchitectureInfo {
  id: Architecture;
  /** As in "New CNN Project…". */
  title: string;
  description: string;
  /** The first is the default: always synthetic, so a new project trains offline. */
  datasets: DatasetInfo[];
  /**
   * Template folders this architecture shares with some others (not all), applied between a
   * style's `_shared/` and the architecture's own folder: `_sequences` (text data),
   * `_generative` (image grids).
   */
  sharedWith: string[];
}

export interface StyleInfo {
  id: Style;
  label: string;
  description: string;
}

const SYNTHETIC_IMAGES: DatasetInfo = { id: 'synthetic', label: 'Synthetic images', detail: 'generated on the fly: trains offline, in seconds' };
const SYNTHETIC_SEQUENCES: DatasetInfo = { id: 'synthetic', label: 'Synthetic sequences', detail: 'generated on the fly: trains offline, in seconds' };
const MNIST: DatasetInfo = { id: 'mnist', label: 'MNIST', detail: '28×28 handwritten digits, downloaded on first use' };
const CIFAR10: DatasetInfo = { id: 'cifar10', label: 'CIFAR-10', detail: '32×32 colour images in 10 classes, downloaded on first use' };
const IMDB: DatasetInfo = { id: 'imdb', label: 'IMDB reviews', detail: 'sentiment of 50k movie reviews, downloaded on first use' };
const TEXT_FILE: DatasetInfo = { id: 'textfile', label: 'A text file', detail: 'your own corpus: set data.path in config.toml' };

export const CATALOG: Record<Architecture, ArchitectureInfo> = {
  cnn: { id: 'cnn', title: 'CNN', description: 'Convolutional image classifier', datasets: [SYNTHETIC_IMAGES, MNIST, CIFAR10], sharedWith: [] },
  rnn: { id: 'rnn', title: 'RNN', description: 'LSTM/GRU sequence classifier', datasets: [SYNTHETIC_SEQUENCES, IMDB, TEXT_FILE], sharedWith: ['_sequences'] },
  gan: { id: 'gan', title: 'GAN', description: 'DCGAN image generator with its discriminator', datasets: [SYNTHETIC_IMAGES, MNIST, CIFAR10], sharedWith: ['_generative'] },
  transformer: {
    id: 'transformer',
    title: 'Transformer',
    description: 'Transformer encoder text classifier with positional encoding and padding mask',
    datasets: [SYNTHETIC_SEQUENCES, IMDB, TEXT_FILE],
    sharedWith: ['_sequences'],
  },
  autoencoder: {
    id: 'autoencoder',
    title: 'Autoencoder',
    description: 'Convolutional variational autoencoder (VAE)',
    datasets: [SYNTHETIC_IMAGES, MNIST, CIFAR10],
    sharedWith: ['_generative'],
  },
};

export const STYLE_INFO: Record<Style, StyleInfo> = {
  pytorch: { id: 'pytorch', label: 'PyTorch', description: 'nn.Module and an explicit training loop; torchrun for several GPUs or machines' },
  keras: { id: 'keras', label: 'Keras 3', description: 'functional model, compile and fit; the Keras distribution API' },
  tensorflow: { id: 'tensorflow', label: 'TensorFlow', description: 'tf.GradientTape training step in tf.function; tf.distribute strategies' },
};

export function isStyle(value: string): value is Style {
  return (STYLES as readonly string[]).includes(value);
}

export function isArchitecture(value: string): value is Architecture {
  return (ARCHITECTURES as readonly string[]).includes(value);
}
