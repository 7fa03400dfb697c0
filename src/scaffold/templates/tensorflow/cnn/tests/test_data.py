"""The synthetic images: shapes, ranges, and a task that is learnable (no TensorFlow or Keras needed)."""
from pathlib import Path

import numpy as np

import configlib
import data
from config import load_config

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


def small_config():
    cfg = load_config(CONFIG)
    return configlib.with_changes(cfg, "data", dataset="synthetic", synthetic_train=256, synthetic_val=64, synthetic_test=64)


def test_shapes_and_ranges():
    cfg = small_config()
    splits = data.load(cfg)
    size, channels = cfg.data.synthetic_image_size, cfg.data.synthetic_channels
    assert splits.info.input_shape == (size, size, channels)
    for (images, labels), count in zip((splits.train, splits.val, splits.test), (256, 64, 64)):
        assert images.shape == (count, size, size, channels) and images.dtype == np.float32
        assert labels.shape == (count,) and labels.dtype == np.int32
        assert 0.0 <= images.min() and images.max() <= 1.0
        assert 0 <= labels.min() and labels.max() < splits.info.num_classes


def test_same_seed_same_data():
    first, second = data.load(small_config()), data.load(small_config())
    np.testing.assert_array_equal(first.train[0], second.train[0])


def test_the_classes_are_separable():
    """A nearest-class-mean classifier on the raw pixels already beats chance by far."""
    splits = data.load(small_config())
    (x_train, y_train), (x_val, y_val) = splits.train, splits.val
    classes = splits.info.num_classes
    means = np.stack([x_train[y_train == k].mean(axis=0) for k in range(classes)]).reshape(classes, -1)
    distances = ((x_val.reshape(len(x_val), 1, -1) - means[np.newaxis]) ** 2).sum(axis=-1)
    accuracy = (distances.argmin(axis=1) == y_val).mean()
    assert accuracy > 2.0 / classes


def test_batches():
    assert data.num_batches(100, 32, drop_remainder=True) == 3
    assert data.num_batches(100, 32, drop_remainder=False) == 4
    assert data.num_batches(100, 32, drop_remainder=False, limit=2) == 2
