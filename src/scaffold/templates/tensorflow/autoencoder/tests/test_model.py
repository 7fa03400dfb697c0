"""The VAE: output shapes, one training step lowers the loss, the KL term, checkpoints restore the model."""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import configlib  # noqa: E402
import data  # noqa: E402
from config import load_config  # noqa: E402
from model import build_model, make_optimizer, vae_loss  # noqa: E402
from train import Trainer  # noqa: E402

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
    tf.random.set_seed(0)
    model = build_model(cfg, splits.info)
    images = splits.val[:4]
    logits, z_mean, z_log_var = model(images, training=False)
    assert logits.shape == images.shape and logits.dtype == tf.float32  # (B, H, W, C)
    assert z_mean.shape == z_log_var.shape == (4, cfg.model.latent_dim)
    decoded = model.decode(tf.zeros([3, cfg.model.latent_dim]))
    assert decoded.shape == (3, *splits.info.input_shape)
    assert 0.0 <= float(tf.reduce_min(decoded)) and float(tf.reduce_max(decoded)) <= 1.0


def test_one_training_step_lowers_the_loss(cfg, splits):
    tf.random.set_seed(0)
    model = build_model(cfg, splits.info)
    trainer = Trainer(tf.distribute.get_strategy(), model, make_optimizer(cfg, steps_per_epoch=10), cfg.model.beta)
    images = tf.constant(splits.train[:32])

    def loss():  # inference: z = z_mean, no sampling noise
        return float(tf.reduce_mean(vae_loss(images, *model(images, training=False), cfg.model.beta)[0]))

    before = loss()
    trainer.train_step(images)
    assert loss() < before


def test_the_kl_term_is_positive(cfg, splits):
    tf.random.set_seed(0)
    model = build_model(cfg, splits.info)
    images = tf.constant(splits.val[:8])
    total, reconstruction, kl = vae_loss(images, *model(images, training=False), cfg.model.beta)
    assert float(tf.reduce_min(kl)) >= 0.0
    np.testing.assert_allclose(total, reconstruction + cfg.model.beta * kl, rtol=1e-6)


def test_checkpoint_restores_the_model_and_the_optimizer(cfg, splits, tmp_path):
    """What --resume relies on: the weights, the optimizer's slots and its step count come back."""
    tf.random.set_seed(0)
    model, optimizer = build_model(cfg, splits.info), make_optimizer(cfg, steps_per_epoch=10)
    Trainer(tf.distribute.get_strategy(), model, optimizer, cfg.model.beta).train_step(tf.constant(splits.train[:8]))
    path = tf.train.Checkpoint(model=model, optimizer=optimizer).save(str(tmp_path / "ckpt"))
    other, other_optimizer = build_model(cfg, splits.info), make_optimizer(cfg, steps_per_epoch=10)
    other_optimizer.build(other.trainable_variables)
    tf.train.Checkpoint(model=other, optimizer=other_optimizer).restore(path).assert_existing_objects_matched()
    assert int(other_optimizer.iterations.numpy()) == 1
    images = splits.val[:4]
    np.testing.assert_allclose(other(images, training=False)[0], model(images, training=False)[0], rtol=1e-5, atol=1e-6)
