"""The DCGAN: output shapes, one training step lowers the discriminator loss, and resumable .keras files."""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # the GAN's train_step uses tf.GradientTape

from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import configlib  # noqa: E402
import data  # noqa: E402
from config import load_config  # noqa: E402
from model import build_discriminator, build_generator, compile_gan, discriminator_loss  # noqa: E402

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
    keras.utils.set_random_seed(0)
    generator, discriminator = build_generator(cfg, splits.info), build_discriminator(cfg, splits.info)
    noise = np.random.default_rng(0).standard_normal((4, cfg.model.latent_dim)).astype("float32")
    images = generator.predict(noise, verbose=0)
    assert images.shape == (4, *splits.info.input_shape)  # (B, H, W, C)
    assert -1.0 <= images.min() and images.max() <= 1.0
    assert discriminator.predict(images, verbose=0).shape == (4, 1)  # (B, 1) logits


def test_one_training_step_lowers_the_discriminator_loss(cfg, splits):
    keras.utils.set_random_seed(0)
    generator, discriminator = build_generator(cfg, splits.info), build_discriminator(cfg, splits.info)
    gan = compile_gan(generator, discriminator, cfg, steps_per_epoch=10)
    real = splits.train[:32] * 2.0 - 1.0
    fake = generator.predict(np.random.default_rng(1).standard_normal((32, cfg.model.latent_dim)).astype("float32"), verbose=0)

    def d_loss():
        return float(discriminator_loss(discriminator(real, training=False), discriminator(fake, training=False)))

    before = d_loss()
    gan.train_on_batch(real)
    assert d_loss() < before


def test_saved_models_keep_their_optimizers(cfg, splits, tmp_path):
    """--resume relies on it: generator.keras holds the generator's optimizer state and step count."""
    keras.utils.set_random_seed(0)
    generator, discriminator = build_generator(cfg, splits.info), build_discriminator(cfg, splits.info)
    gan = compile_gan(generator, discriminator, cfg, steps_per_epoch=10)
    gan.train_on_batch(splits.train[:16] * 2.0 - 1.0)
    generator.save(str(tmp_path / "generator.keras"))
    restored = keras.models.load_model(str(tmp_path / "generator.keras"))
    steps = [int(keras.ops.convert_to_numpy(net.optimizer.iterations)) for net in (restored, generator)]
    assert steps == [1, 1]
