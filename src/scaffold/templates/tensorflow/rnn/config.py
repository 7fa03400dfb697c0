"""The hyperparameters of this project, as loaded from config.toml (configlib.py does the loading).

Every key of config.toml is a field here and every field must be in config.toml: a typo or a
missing key stops the program with a clear message instead of silently using a default.
"""
from dataclasses import dataclass

import configlib


@dataclass(frozen=True)
class DataConfig:
    dataset: str  # "synthetic", "imdb" or "textfile"
    path: str  # textfile: "<label><TAB><text>" per line
    vocab_size: int  # token ids 0 .. vocab_size - 1 (0 padding, 1 unknown word)
    max_len: int  # sequences are cut or padded (at the end) to this many tokens
    val_fraction: float  # imdb / textfile: share of the training examples held out for validation
    test_fraction: float  # textfile: share of the examples held out for the test split
    synthetic_train: int  # synthetic: sequences per split ...
    synthetic_val: int
    synthetic_test: int
    synthetic_classes: int
    synthetic_markers: int  # ... and marker tokens per class


@dataclass(frozen=True)
class ModelConfig:
    cell: str  # "lstm" or "gru"
    embed_dim: int
    units: int  # per direction
    num_layers: int
    bidirectional: bool
    dropout: float


@dataclass(frozen=True)
class TrainConfig:
    seed: int
    epochs: int
    batch_size: int  # per device: the global batch is batch_size x the number of devices
    learning_rate: float  # the peak, reached after warmup_epochs; cosine decay after it
    final_learning_rate_fraction: float  # the learning rate ends at learning_rate x this
    warmup_epochs: float
    clip_norm: float  # gradients are rescaled so that their global norm is at most this
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
