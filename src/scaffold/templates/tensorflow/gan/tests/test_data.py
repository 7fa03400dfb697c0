"""The synthetic images: shapes and ranges (no TensorFlow or Keras needed)."""
from pathlib import Path

import numpy as np

import configlib
import data
from config import load_config

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


def small_config():
    cfg = load_config(CONFIG)
    return configlib.with_changes(cfg, "data", dataset="synthetic", synthetic_train=64, synthetic_val=16, synthetic_test=16)


def test_shapes_and_ranges():
    cfg = small_config()
    splits = data.load(cfg)
    size, channels = cfg.data.synthetic_image_size, cfg.data.synthetic_channels
    assert splits.info.input_shape == (size, size, channels) and size % 4 == 0
    for images, count in zip((splits.train, splits.val, splits.test), (64, 16, 16)):
        assert images.shape == (count, size, size, channels) and images.dtype == np.float32
        assert 0.0 <= images.min() and images.max() <= 1.0


def test_each_image_has_one_bright_blob():
    images = data.load(small_config()).train
    assert (images.max(axis=(1, 2, 3)) > 0.35).all()
    corners = images[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.max() < 0.2, "the blobs stay away from the corners"
