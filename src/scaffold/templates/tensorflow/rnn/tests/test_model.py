"""The model and the training step: output shapes, one step lowers the loss, checkpoints restore the model."""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import configlib  # noqa: E402
import data  # noqa: E402
from config import load_config  # noqa: E402
from model import build_model, make_optimizer  # noqa: E402
from train import Trainer  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


@pytest.fixture(scope="module")
def cfg():
    """Small synthetic data and no dropout: the tests are fast and deterministic."""
    cfg = load_config(CONFIG)
    cfg = configlib.with_changes(cfg, "data", dataset="synthetic", max_len=32, synthetic_train=64, synthetic_val=16, synthetic_test=16)
    cfg = configlib.with_changes(cfg, "model", dropout=0.0, units=16, embed_dim=16)
    return configlib.with_changes(cfg, "train", warmup_epochs=0.0, learning_rate=0.01)


@pytest.fixture(scope="module")
def splits(cfg):
    return data.load(cfg)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_output_shapes(cfg, splits, cell):
    tf.random.set_seed(0)
    model = build_model(configlib.with_changes(cfg, "model", cell=cell), splits.info)
    logits = model(splits.val[0][:8], training=False)
    assert logits.shape == (8, splits.info.num_classes) and logits.dtype == tf.float32  # (B, num_classes)


def test_one_training_step_lowers_the_loss(cfg, splits):
    tf.random.set_seed(0)
    model = build_model(cfg, splits.info)
    trainer = Trainer(tf.distribute.get_strategy(), model, make_optimizer(cfg, steps_per_epoch=10))
    batch = (tf.constant(splits.train[0][:32]), tf.constant(splits.train[1][:32]))
    losses = []
    for _ in range(2):
        trainer.reset("train")
        trainer.train_step(batch)  # the metric holds the loss before this step's update
        losses.append(trainer.results("train")["loss"])
    assert losses[1] < losses[0]


def test_checkpoint_restores_the_model_and_the_optimizer(cfg, splits, tmp_path):
    """What --resume relies on: the weights, the optimizer's slots and its step count come back."""
    tf.random.set_seed(0)
    model, optimizer = build_model(cfg, splits.info), make_optimizer(cfg, steps_per_epoch=10)
    Trainer(tf.distribute.get_strategy(), model, optimizer).train_step(
        (tf.constant(splits.train[0][:8]), tf.constant(splits.train[1][:8]))
    )
    path = tf.train.Checkpoint(model=model, optimizer=optimizer).save(str(tmp_path / "ckpt"))
    other, other_optimizer = build_model(cfg, splits.info), make_optimizer(cfg, steps_per_epoch=10)
    other_optimizer.build(other.trainable_variables)
    tf.train.Checkpoint(model=other, optimizer=other_optimizer).restore(path).assert_existing_objects_matched()
    assert int(other_optimizer.iterations.numpy()) == 1
    inputs = splits.val[0][:4]
    np.testing.assert_allclose(other(inputs, training=False), model(inputs, training=False), rtol=1e-5, atol=1e-6)
