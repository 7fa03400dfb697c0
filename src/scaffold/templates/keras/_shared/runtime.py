"""Where and how training runs: seed, accelerator, mixed precision and multi-device distribution.

Keras 3 runs on the backend named by the KERAS_BACKEND environment variable (tensorflow by
default; jax and torch also work). Distribution (--distribute in train.py):

    none           one device.
    data-parallel  the Keras distribution API: keras.distribution.DataParallel over a 1-D
                   keras.distribution.DeviceMesh of all devices. JAX backend only. Several
                   processes or machines: set KERAS_DISTRIBUTION_JOB_ADDRESSES,
                   KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID in each.
    mirrored       tf.distribute.MirroredStrategy: all GPUs of one machine. TensorFlow backend only.
    multi-worker   tf.distribute.MultiWorkerMirroredStrategy: several machines, each described by
                   its TF_CONFIG environment variable. TensorFlow backend only.
    auto           (default) multi-worker when TF_CONFIG is set, mirrored or data-parallel when
                   the backend sees more than one GPU, else none.
"""
import contextlib
import os
from dataclasses import dataclass

import keras

from runlog import is_chief

DISTRIBUTE = ("auto", "none", "data-parallel", "mirrored", "multi-worker")
TENSORFLOW_DISTRIBUTE = ("auto", "none", "mirrored", "multi-worker")  # for code that needs the TensorFlow backend


@dataclass
class Runtime:
    backend: str  # "tensorflow", "jax" or "torch"
    accelerator: str  # "gpu", "tpu" or "cpu"
    distribute: str  # what --distribute resolved to
    replicas: int  # devices that each take a slice of the global batch
    is_chief: bool  # this process writes the run log, TensorBoard and the checkpoints that count
    precision: str  # the Keras dtype policy: "float32", "mixed_float16" or "mixed_bfloat16"
    strategy: object = None  # the tf.distribute strategy, if any

    def scope(self):
        """Build, compile and load models inside this (tf.distribute needs it; a no-op otherwise)."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()


def accelerator(backend):
    """The kind of device the backend computes on."""
    if backend == "tensorflow":
        import tensorflow as tf

        return "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
    if backend == "jax":
        import jax

        return jax.default_backend()  # "gpu", "tpu" or "cpu"
    if backend == "torch":
        import torch

        return "gpu" if torch.cuda.is_available() else "cpu"
    return "cpu"


def local_device_count(backend):
    if backend == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        return len(keras.distribution.list_devices())
    return 1


def setup(seed, mixed_precision, distribute="auto", tensorflow_only=False):
    """Call first, before building a model: chooses the distribution, seeds every random number
    generator (Python, NumPy, backend) and sets the mixed precision policy when a GPU or TPU is there."""
    backend = keras.config.backend()
    if tensorflow_only and backend != "tensorflow":
        raise SystemExit(f"This project needs the TensorFlow backend (KERAS_BACKEND={backend}).")
    if distribute == "auto":
        if os.environ.get("TF_CONFIG") and backend == "tensorflow":
            distribute = "multi-worker"
        elif int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "1")) > 1 and backend == "jax":
            distribute = "data-parallel"
        elif local_device_count(backend) > 1:
            distribute = {"tensorflow": "mirrored", "jax": "data-parallel"}.get(backend, "none")
        else:
            distribute = "none"

    strategy, replicas = None, 1
    if distribute == "data-parallel":
        if backend != "jax":
            raise SystemExit(
                "--distribute data-parallel uses the Keras distribution API, which Keras implements for the JAX "
                "backend: run with KERAS_BACKEND=jax, or use --distribute mirrored with the TensorFlow backend."
            )
        if int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "1")) > 1:
            keras.distribution.initialize()  # reads the KERAS_DISTRIBUTION_* environment variables
        devices = keras.distribution.list_devices()  # every process's devices
        mesh = keras.distribution.DeviceMesh(shape=(len(devices),), axis_names=["batch"], devices=devices)
        keras.distribution.set_distribution(keras.distribution.DataParallel(device_mesh=mesh))
        replicas = len(devices)
    elif distribute in ("mirrored", "multi-worker"):
        if backend != "tensorflow":
            raise SystemExit(f"--distribute {distribute} uses tf.distribute: run with KERAS_BACKEND=tensorflow.")
        import tensorflow as tf

        # Create the strategy before any other TensorFlow work (MultiWorkerMirroredStrategy requires it).
        if distribute == "mirrored":
            strategy = tf.distribute.MirroredStrategy()
        else:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()  # the cluster comes from TF_CONFIG
        replicas = strategy.num_replicas_in_sync
    elif distribute != "none":
        raise SystemExit(f"--distribute: unknown choice {distribute!r}; choose one of {', '.join(DISTRIBUTE)}")

    keras.utils.set_random_seed(seed)
    device = accelerator(backend)
    precision = "float32"
    if mixed_precision and device in ("gpu", "tpu"):
        precision = "mixed_bfloat16" if device == "tpu" else "mixed_float16"
        keras.mixed_precision.set_global_policy(precision)  # before the model is built
    return Runtime(backend, device, distribute, replicas, is_chief(), precision, strategy)
