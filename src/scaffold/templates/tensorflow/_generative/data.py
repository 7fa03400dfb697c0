"""Images to generate: NumPy arrays for the train / val / test splits, and tf.data pipelines.

data.dataset in config.toml chooses the source:
    synthetic  soft round blobs of random position, size and colour: a simple image distribution
               that a small model learns in minutes, made on the fly without a download.
    mnist      28x28x1 handwritten digits (keras.datasets, downloaded on first use).
    cifar10    32x32x3 colour images (keras.datasets, downloaded on first use).
Images are float32 in [0, 1], channels last: (N, H, W, C), with H and W divisible by 4. Labels are
not used.
"""
from dataclasses import dataclass

import numpy as np


@dataclass
class DataInfo:
    input_shape: tuple  # (H, W, C)


@dataclass
class Splits:
    train: np.ndarray  # (N, H, W, C) float32 in [0, 1]
    val: np.ndarray
    test: np.ndarray
    info: DataInfo


def load(cfg):
    """The three splits of the dataset that cfg.data.dataset names."""
    if cfg.data.dataset == "synthetic":
        return synthetic(cfg)
    if cfg.data.dataset in ("mnist", "cifar10"):
        return downloaded(cfg.data.dataset, cfg.data.val_fraction, cfg.train.seed)
    raise ValueError(f"data.dataset = {cfg.data.dataset!r}: choose synthetic, mnist or cifar10")


def blobs(count, size, channels, seed):
    """(count, size, size, channels) float32 images of one soft blob each, on black."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(0.3 * size, 0.7 * size, (count, 2, 1, 1))
    radii = rng.uniform(0.08 * size, 0.2 * size, (count, 1, 1))
    colors = rng.uniform(0.4, 1.0, (count, 1, 1, channels))
    rows, columns = np.mgrid[0:size, 0:size]
    squared = (rows - centers[:, 0]) ** 2 + (columns - centers[:, 1]) ** 2  # (count, size, size)
    shape = np.exp(-squared / (2.0 * radii**2))[..., np.newaxis]  # (count, size, size, 1)
    return (shape * colors).astype(np.float32)


def synthetic(cfg):
    size, channels, seed = cfg.data.synthetic_image_size, cfg.data.synthetic_channels, cfg.train.seed
    if size % 4:
        raise ValueError("data.synthetic_image_size must be divisible by 4")
    return Splits(
        blobs(cfg.data.synthetic_train, size, channels, seed + 1),
        blobs(cfg.data.synthetic_val, size, channels, seed + 2),
        blobs(cfg.data.synthetic_test, size, channels, seed + 3),
        DataInfo((size, size, channels)),
    )


def downloaded(name, val_fraction, seed):
    import keras  # only here: the synthetic data needs NumPy alone

    load_data = {"mnist": keras.datasets.mnist.load_data, "cifar10": keras.datasets.cifar10.load_data}[name]
    (x_train, _), (x_test, _) = load_data()

    def prepare(x):
        x = x.astype(np.float32) / 255.0
        return x[..., np.newaxis] if x.ndim == 3 else x  # mnist: (N, 28, 28) -> (N, 28, 28, 1)

    x_train, x_test = prepare(x_train), prepare(x_test)
    order = np.random.default_rng(seed).permutation(len(x_train))
    n_val = int(len(x_train) * val_fraction)
    return Splits(x_train[order[n_val:]], x_train[order[:n_val]], x_test, DataInfo(tuple(x_train.shape[1:])))


def num_batches(count, batch_size, drop_remainder, limit=None):
    batches = count // batch_size if drop_remainder else -(-count // batch_size)
    return min(batches, limit) if limit else batches


def to_dataset(arrays, batch_size, shuffle=False, seed=0, drop_remainder=False, limit=None):
    """A tf.data pipeline of batches of `arrays` (an array, or a tuple of arrays of the same length)."""
    import tensorflow as tf  # tf.data only: the arrays above need NumPy alone

    count = len(arrays[0]) if isinstance(arrays, tuple) else len(arrays)
    dataset = tf.data.Dataset.from_tensor_slices(arrays)
    if shuffle:
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if limit:
        dataset = dataset.take(limit)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA  # multi-worker
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
