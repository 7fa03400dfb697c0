"""The sequence data: synthetic shapes and labels, and the text-file reader (no TensorFlow or Keras needed)."""
from pathlib import Path

import numpy as np

import configlib
import data
from config import load_config

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


def small_config(**changes):
    cfg = load_config(CONFIG)
    return configlib.with_changes(cfg, "data", **{
        "dataset": "synthetic", "synthetic_train": 256, "synthetic_val": 64, "synthetic_test": 64, **changes})


def test_shapes_and_padding():
    cfg = small_config()
    splits = data.load(cfg)
    for (tokens, labels), count in zip((splits.train, splits.val, splits.test), (256, 64, 64)):
        assert tokens.shape == (count, cfg.data.max_len) and tokens.dtype == np.int32
        assert labels.shape == (count,) and labels.dtype == np.int32
        assert tokens.min() >= 0 and tokens.max() < cfg.data.vocab_size
        lengths = (tokens != data.PAD).sum(axis=1)
        assert (tokens[np.arange(count), np.maximum(lengths - 1, 0)] != data.PAD).all(), "padding is at the end"


def test_the_label_is_the_class_with_most_markers():
    cfg = small_config()
    tokens, labels = data.load(cfg).train
    markers = cfg.data.synthetic_markers
    counts = np.stack([((tokens >= 2 + k * markers) & (tokens < 2 + (k + 1) * markers)).sum(axis=1)
                       for k in range(cfg.data.synthetic_classes)], axis=1)
    np.testing.assert_array_equal(counts.argmax(axis=1), labels)


def test_text_file(tmp_path):
    path = tmp_path / "train.tsv"
    lines = [f"{'good' if i % 2 else 'bad'}\t{'great fun' if i % 2 else 'dull and slow'} film number {i}" for i in range(40)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = small_config(dataset="textfile", path=str(path), val_fraction=0.25, test_fraction=0.25)
    splits = data.load(cfg)
    assert splits.info.class_names == ["bad", "good"]
    assert sum(len(split[0]) for split in (splits.train, splits.val, splits.test)) == 40
    tokens, labels = splits.train
    assert tokens.shape[1] == cfg.data.max_len and set(labels.tolist()) <= {0, 1}
    assert (tokens[:, 0] > data.UNKNOWN).all(), "frequent training words get their own ids"
