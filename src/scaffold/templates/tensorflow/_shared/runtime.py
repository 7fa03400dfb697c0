"""Where and how training runs: seed, GPUs, mixed precision and the tf.distribute strategy.

--distribute in train.py:
    none          tf.distribute.get_strategy(), the default strategy: one device (TensorFlow puts the
                  work on the first GPU when there is one).
    mirrored      tf.distribute.MirroredStrategy: every GPU of this machine, one replica each.
    multi-worker  tf.distribute.MultiWorkerMirroredStrategy: several machines, each described by its
                  TF_CONFIG environment variable.
    auto          (default) multi-worker when TF_CONFIG is set, mirrored with more than one GPU, else none.
The training loop is the same for all of them: it builds everything inside strategy.scope() and runs
each step on every replica with strategy.run().
"""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # the models use Keras 3 layers: they must run as TensorFlow ops

import random  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from runlog import is_chief  # noqa: E402

DISTRIBUTE = ("auto", "none", "mirrored", "multi-worker")


@dataclass
class Runtime:
    strategy: object  # the tf.distribute strategy
    distribute: str  # what --distribute resolved to
    replicas: int  # devices that each take a slice of the global batch
    is_chief: bool  # this process writes the run log, TensorBoard and the checkpoints that count
    gpus: int
    precision: str  # the Keras dtype policy: "float32" or "mixed_float16"


def setup(seed, mixed_precision, distribute="auto"):
    """Call first: before any other TensorFlow work (MultiWorkerMirroredStrategy requires it)."""
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)  # take GPU memory as needed, not all at once
    if distribute == "auto":
        distribute = "multi-worker" if os.environ.get("TF_CONFIG") else ("mirrored" if len(gpus) > 1 else "none")
    if distribute == "none":
        strategy = tf.distribute.get_strategy()
    elif distribute == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
    elif distribute == "multi-worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()  # the cluster comes from TF_CONFIG
    else:
        raise SystemExit(f"--distribute: unknown choice {distribute!r}; choose one of {', '.join(DISTRIBUTE)}")

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)  # the global seed: every op-level seed derives from it
    precision = "float32"
    if mixed_precision and gpus:
        precision = "mixed_float16"  # float16 compute, float32 variables; the models keep their outputs in float32
        keras.mixed_precision.set_global_policy(precision)  # before the models are built
    return Runtime(strategy, distribute, strategy.num_replicas_in_sync, is_chief(), len(gpus), precision)


def loss_scaled(optimizer, precision):
    """Under mixed_float16, wraps the optimizer in a LossScaleOptimizer: the step multiplies the loss by
    a dynamic scale (optimizer.scale_loss) so that small float16 gradients do not underflow, and the
    optimizer divides the gradients by it again (and skips steps whose gradients overflowed)."""
    if precision == "mixed_float16":
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def scaled(optimizer, loss):
    """The loss to take gradients of: multiplied by the loss scale under mixed float16."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.scale_loss(loss)
    return loss
