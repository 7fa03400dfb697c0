"""The DCGAN: output shapes, one training step lowers the discriminator loss, checkpoints restore the generator."""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import configlib  # noqa: E402
import data  # noqa: E402
from config import load_config  # noqa: E402
from model import build_models, discriminator_loss, make_optimizers  # noqa: E402
from train import GanTrainer  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


@pytest.fixture(scope="module")
def cfg():
    cfg = load_config(CONFIG)
    cfg = configlib.with_changes(cfg, "data", dataset="synthetic", synthetic_train=64, synthetic_val=16, synthetic_test=16)
    cfg = configlib.with_changes(cfg, "model", dropout=0.0, generator_width=32, discriminator_width=16)
    return configlib.with_changes(cfg, "train", discriminator_learning_rate=0.001)


@pytest.fixture(scope="module")
def splits(cfg):
    return data.load(cfg)


def test_output_shapes(cfg, splits):
    tf.random.set_seed(0)
    generator, discriminator = build_models(cfg, splits.info)
    images = generator(tf.random.normal([4, cfg.model.latent_dim]), training=False)
    assert images.shape == (4, *splits.info.input_shape) and images.dtype == tf.float32  # (B, H, W, C)
    assert -1.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0
    assert discriminator(images, training=False).shape == (4, 1)  # (B, 1) logits


def test_one_training_step_lowers_the_discriminator_loss(cfg, splits):
    tf.random.set_seed(0)
    generator, discriminator = build_models(cfg, splits.info)
    g_optimizer, d_optimizer = make_optimizers(cfg, steps_per_epoch=10)
    trainer = GanTrainer(tf.distribute.get_strategy(), generator, discriminator, g_optimizer, d_optimizer)
    real = tf.constant(splits.train[:32] * 2.0 - 1.0)
    fake = generator(tf.random.normal([32, cfg.model.latent_dim]), training=False)

    def d_loss():
        return float(tf.reduce_mean(discriminator_loss(discriminator(real, training=False), discriminator(fake, training=False))))

    before = d_loss()
    trainer.train_step(real)
    assert d_loss() < before


def test_checkpoint_restores_the_generator_and_its_optimizer(cfg, splits, tmp_path):
    """What --resume and sample.py rely on."""
    tf.random.set_seed(0)
    generator, discriminator = build_models(cfg, splits.info)
    g_optimizer, d_optimizer = make_optimizers(cfg, steps_per_epoch=10)
    GanTrainer(tf.distribute.get_strategy(), generator, discriminator, g_optimizer, d_optimizer).train_step(
        tf.constant(splits.train[:8] * 2.0 - 1.0)
    )
    path = tf.train.Checkpoint(generator=generator, g_optimizer=g_optimizer).save(str(tmp_path / "ckpt"))
    other, _ = build_models(cfg, splits.info)
    other_optimizer, _ = make_optimizers(cfg, steps_per_epoch=10)
    other_optimizer.build(other.trainable_variables)
    tf.train.Checkpoint(generator=other, g_optimizer=other_optimizer).restore(path).assert_existing_objects_matched()
    assert int(other_optimizer.iterations.numpy()) == 1
    noise = tf.random.normal([4, cfg.model.latent_dim])
    np.testing.assert_allclose(other(noise, training=False), generator(noise, training=False), rtol=1e-5, atol=1e-6)
