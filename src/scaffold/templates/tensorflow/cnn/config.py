"""The hyperparameters of this project, as loaded from config.toml (configlib.py does the loading).

Every key of config.toml is a field here and every field must be in config.toml: a typo or a
missing key stops the program with a clear message instead of silently using a default.
"""
from dataclasses import dataclass

import configlib


@dataclass(frozen=True)
class DataConfig:
    dataset: str  # "synthetic", "mnist" or "cifar10"
    val_fraction: float  # mnist / cifar10: share of the training images held out for validation
    synthetic_train: int  # synthetic: number of training images
    synthetic_val: int
    synthetic_test: int
    synthetic_image_size: int  # synthetic: height = width
    synthetic_channels: int
    synthetic_classes: int
    synthetic_noise: float  # standard deviation of the pixel noise


@dataclass(frozen=True)
class ModelConfig:
    filters: tuple[int, ...]  # one block of two 3x3 convolutions and a 2x2 max-pool per entry
    dropout: float
    augment: bool  # random shifts and zooms of the training images


@dataclass(frozen=True)
class TrainConfig:
    seed: int
    epochs: int
    batch_size: int  # per device: the global batch is batch_size x the number of devices
    learning_rate: float  # the peak, reached after warmup_epochs; cosine decay after it
    final_learning_rate_fraction: float  # the learning rate ends at learning_rate x this
    warmup_epochs: float
    weight_decay: float
    patience: int  # early stopping: epochs without a better validation loss
    mixed_precision: bool  # float16 compute when a GPU is present
    log_every_steps: int  # a "train" row in metrics.jsonl every this many steps
    smoke_batches: int  # --smoke: batches per split
    keep_checkpoints: int  # how many of the latest checkpoints to keep (tf.train.CheckpointManager)
    runs_dir: str


@dataclass(frozen=True)
class Config:
    data: DataConfig
    model: ModelConfig
    train: TrainConfig


def load_config(path="config.toml"):
    return configlib.load(path, Config)
