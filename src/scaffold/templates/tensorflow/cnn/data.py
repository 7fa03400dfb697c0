"""Image classification data: NumPy arrays for the train / val / test splits, and tf.data pipelines.

data.dataset in config.toml chooses the source:
    synthetic  one random low-frequency pattern per class, shifted a few pixels and noised: a
               learnable task that needs no download, made in a second.
    mnist      28x28x1 handwritten digits (keras.datasets, downloaded on first use).
    cifar10    32x32x3 colour images in 10 classes (keras.datasets, downloaded on first use).
Images are float32 in [0, 1], channels last: (N, H, W, C); labels are int32 class ids: (N,).
"""
from dataclasses import dataclass

import numpy as np


@dataclass
class DataInfo:
    input_shape: tuple  # (H, W, C)
    num_classes: int
    class_names: list


@dataclass
class Splits:
    train: tuple  # (images (N, H, W, C) float32, labels (N,) int32)
    val: tuple
    test: tuple
    info: DataInfo


def load(cfg):
    """The three splits of the dataset that cfg.data.dataset names."""
    if cfg.data.dataset == "synthetic":
        return synthetic(cfg)
    if cfg.data.dataset in ("mnist", "cifar10"):
        return downloaded(cfg.data.dataset, cfg.data.val_fraction, cfg.train.seed)
    raise ValueError(f"data.dataset = {cfg.data.dataset!r}: choose synthetic, mnist or cifar10")


def synthetic(cfg):
    size, channels, classes = cfg.data.synthetic_image_size, cfg.data.synthetic_channels, cfg.data.synthetic_classes
    patterns = np.random.default_rng(cfg.train.seed).random((classes, 4, 4, channels))
    patterns = patterns.repeat(-(-size // 4), axis=1).repeat(-(-size // 4), axis=2)[:, :size, :size]  # (K, H, W, C)

    def split(count, seed):
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, classes, count).astype(np.int32)
        images = np.empty((count, size, size, channels), np.float32)
        for i, label in enumerate(labels):
            shift = rng.integers(-2, 3, size=2)
            images[i] = np.roll(patterns[label], tuple(shift), axis=(0, 1))
        images += rng.normal(0.0, cfg.data.synthetic_noise, images.shape).astype(np.float32)
        return np.clip(images, 0.0, 1.0), labels

    seed = cfg.train.seed
    info = DataInfo((size, size, channels), classes, [f"pattern {k}" for k in range(classes)])
    return Splits(
        split(cfg.data.synthetic_train, seed + 1),
        split(cfg.data.synthetic_val, seed + 2),
        split(cfg.data.synthetic_test, seed + 3),
        info,
    )


MNIST_NAMES = [str(digit) for digit in range(10)]
CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def downloaded(name, val_fraction, seed):
    import keras  # only here: the synthetic data needs NumPy alone

    load_data = {"mnist": keras.datasets.mnist.load_data, "cifar10": keras.datasets.cifar10.load_data}[name]
    (x_train, y_train), (x_test, y_test) = load_data()

    def prepare(x, y):
        x = x.astype(np.float32) / 255.0
        if x.ndim == 3:  # mnist: (N, 28, 28) -> (N, 28, 28, 1)
            x = x[..., np.newaxis]
        return x, y.reshape(-1).astype(np.int32)  # cifar10 labels come as (N, 1)

    x_train, y_train = prepare(x_train, y_train)
    order = np.random.default_rng(seed).permutation(len(x_train))
    n_val = int(len(x_train) * val_fraction)
    val, train = order[:n_val], order[n_val:]
    names = MNIST_NAMES if name == "mnist" else CIFAR10_NAMES
    info = DataInfo(tuple(x_train.shape[1:]), len(names), names)
    return Splits((x_train[train], y_train[train]), (x_train[val], y_train[val]), prepare(x_test, y_test), info)


def num_batches(count, batch_size, drop_remainder, limit=None):
    batches = count // batch_size if drop_remainder else -(-count // batch_size)
    return min(batches, limit) if limit else batches


def to_dataset(arrays, batch_size, shuffle=False, seed=0, drop_remainder=False, limit=None):
    """A tf.data pipeline of (images, labels) batches; Keras 3 fit() takes it on every backend."""
    import tensorflow as tf  # tf.data only: the arrays above need NumPy alone

    dataset = tf.data.Dataset.from_tensor_slices(arrays)
    if shuffle:
        dataset = dataset.shuffle(len(arrays[0]), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if limit:
        dataset = dataset.take(limit)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA  # multi-worker
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
