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
    synthetic_train: int  # synthetic: images per split ...
    synthetic_val: int
    synthetic_test: int
    synthetic_image_size: int  # ... their height and width (divisible by 4) ...
    synthetic_channels: int  # ... and channels


@dataclass(frozen=True)
class ModelConfig:
    latent_dim: int  # size of the latent code z
    filters: tuple[int, ...]  # the encoder's two strided convolutions (the decoder mirrors them)
    dense_units: int  # the hidden layer between the convolutions and z
    beta: float  # weight of the KL term: 1 is the plain VAE, more gives a smoother latent space


@dataclass(frozen=True)
class TrainConfig:
    seed: int
    epochs: int
    batch_size: int  # per device: the global batch is batch_size x the number of devices
    learning_rate: float  # the peak, reached after warmup_epochs; cosine decay after it
    final_learning_rate_fraction: float  # the learning rate ends at learning_rate x this
    warmup_epochs: float
    patience: int  # early stopping: epochs without a better validation loss
    mixed_precision: bool  # 16-bit compute when a GPU or TPU is present
    log_every_steps: int  # a "train" row in metrics.jsonl every this many steps
    sample_every_epochs: int  # grids of samples and reconstructions in runs/<run-name>/samples/
    sample_count: int  # images per grid
    smoke_batches: int  # --smoke: batches per split
    runs_dir: str


@dataclass(frozen=True)
class Config:
    data: DataConfig
    model: ModelConfig
    train: TrainConfig


def load_config(path="config.toml"):
    return configlib.load(path, Config)
