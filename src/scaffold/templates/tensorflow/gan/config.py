"""The hyperparameters of this project, as loaded from config.toml (configlib.py does the loading).

Every key of config.toml is a field here and every field must be in config.toml: a typo or a
missing key stops the program with a clear message instead of silently using a default.
"""
from dataclasses import dataclass

import configlib


@dataclass(frozen=True)
class DataConfig:
    dataset: str  # "synthetic", "mnist" or "cifar10"
    val_fraction: float  # mnist / cifar10: share of the training images held out (not trained on)
    synthetic_train: int  # synthetic: images per split ...
    synthetic_val: int
    synthetic_test: int
    synthetic_image_size: int  # ... their height and width (divisible by 4) ...
    synthetic_channels: int  # ... and channels


@dataclass(frozen=True)
class ModelConfig:
    latent_dim: int  # size of the noise vector the generator starts from
    generator_width: int  # channels of the generator's first feature map (H/4 x W/4)
    discriminator_width: int  # channels of the discriminator's first convolution
    dropout: float  # in the discriminator


@dataclass(frozen=True)
class TrainConfig:
    seed: int
    epochs: int
    batch_size: int  # per device: the global batch is batch_size x the number of devices
    generator_learning_rate: float
    discriminator_learning_rate: float
    beta_1: float  # Adam's first moment decay; 0.5 is the DCGAN choice
    final_learning_rate_fraction: float  # cosine decay of both learning rates to this fraction
    mixed_precision: bool  # 16-bit compute when a GPU is present
    log_every_steps: int  # a "train" row in metrics.jsonl every this many steps
    sample_every_epochs: int  # a grid of generated images in runs/<run-name>/samples/ every this many epochs
    sample_count: int  # images per grid
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
