"""The model: output shapes, one training step lowers the loss, and a .keras round trip."""
from pathlib import Path

import keras
import numpy as np
import pytest

import configlib
import data
from config import load_config
from model import build_model, compile_model

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


@pytest.fixture(scope="module")
def cfg():
    """Small synthetic data, no dropout or augmentation: the tests are fast and deterministic."""
    cfg = load_config(CONFIG)
    cfg = configlib.with_changes(cfg, "data", dataset="synthetic", synthetic_train=64, synthetic_val=16, synthetic_test=16)
    cfg = configlib.with_changes(cfg, "model", dropout=0.0, augment=False)
    return configlib.with_changes(cfg, "train", warmup_epochs=0.0)


@pytest.fixture(scope="module")
def splits(cfg):
    return data.load(cfg)


def test_output_shapes(cfg, splits):
    keras.utils.set_random_seed(0)
    net = build_model(cfg, splits.info)
    probabilities = net.predict(splits.val[0][:8], verbose=0)
    assert probabilities.shape == (8, splits.info.num_classes)  # (B, num_classes)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-3)


def test_one_training_step_lowers_the_loss(cfg, splits):
    keras.utils.set_random_seed(0)
    net = compile_model(build_model(cfg, splits.info), cfg, steps_per_epoch=10)
    images, labels = splits.train[0][:32], splits.train[1][:32]
    before = net.train_on_batch(images, labels, return_dict=True)["loss"]  # the loss before this step's update
    after = net.train_on_batch(images, labels, return_dict=True)["loss"]  # ... and after one update
    assert after < before


def test_keras_file_round_trip(cfg, splits, tmp_path):
    keras.utils.set_random_seed(0)
    net = compile_model(build_model(cfg, splits.info), cfg, steps_per_epoch=10)
    path = tmp_path / "model.keras"
    net.save(str(path))
    restored = keras.models.load_model(str(path))
    images = splits.val[0][:4]
    np.testing.assert_allclose(restored.predict(images, verbose=0), net.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
