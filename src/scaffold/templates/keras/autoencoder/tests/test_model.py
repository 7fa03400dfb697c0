"""The VAE: output shapes, one training step lowers the loss, and a .keras round trip."""
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
    cfg = load_config(CONFIG)
    cfg = configlib.with_changes(cfg, "data", dataset="synthetic", synthetic_train=64, synthetic_val=16, synthetic_test=16)
    cfg = configlib.with_changes(cfg, "model", dense_units=32, filters=(8, 16))
    return configlib.with_changes(cfg, "train", warmup_epochs=0.0, learning_rate=0.003)


@pytest.fixture(scope="module")
def splits(cfg):
    return data.load(cfg)


def test_output_shapes(cfg, splits):
    keras.utils.set_random_seed(0)
    vae = build_model(cfg, splits.info)
    images = splits.val[:4]
    reconstructions = vae.predict(images, verbose=0)
    assert reconstructions.shape == images.shape  # (B, H, W, C)
    assert 0.0 <= reconstructions.min() and reconstructions.max() <= 1.0
    z_mean, z_log_var = vae.get_layer("encoder").predict(images, verbose=0)
    assert z_mean.shape == z_log_var.shape == (4, cfg.model.latent_dim)
    codes = np.zeros((3, cfg.model.latent_dim), "float32")
    assert vae.get_layer("decoder").predict(codes, verbose=0).shape == (3, *splits.info.input_shape)


def test_inference_is_deterministic(cfg, splits):
    keras.utils.set_random_seed(0)
    vae = build_model(cfg, splits.info)
    np.testing.assert_allclose(vae.predict(splits.val[:4], verbose=0), vae.predict(splits.val[:4], verbose=0))


def test_one_training_step_lowers_the_loss(cfg, splits):
    keras.utils.set_random_seed(0)
    vae = compile_model(build_model(cfg, splits.info), cfg, steps_per_epoch=10)
    images = splits.train[:32]
    before = vae.evaluate(images, images, verbose=0, return_dict=True)["loss"]  # z = z_mean: no sampling noise
    vae.train_on_batch(images, images)
    after = vae.evaluate(images, images, verbose=0, return_dict=True)["loss"]
    assert after < before


def test_the_kl_term_is_part_of_the_loss(cfg, splits):
    keras.utils.set_random_seed(0)
    vae = compile_model(build_model(cfg, splits.info), cfg, steps_per_epoch=10)
    images = splits.val[:8]
    results = vae.evaluate(images, images, verbose=0, return_dict=True)
    assert results["loss"] > results["reconstruction"]  # loss = reconstruction + beta * KL, KL > 0


def test_keras_file_round_trip(cfg, splits, tmp_path):
    keras.utils.set_random_seed(0)
    vae = compile_model(build_model(cfg, splits.info), cfg, steps_per_epoch=10)
    path = tmp_path / "vae.keras"
    vae.save(str(path))
    restored = keras.models.load_model(str(path))
    images = splits.val[:4]
    np.testing.assert_allclose(restored.predict(images, verbose=0), vae.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
