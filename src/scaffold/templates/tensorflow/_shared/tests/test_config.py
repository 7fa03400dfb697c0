"""config.toml matches config.py exactly (no TensorFlow or Keras needed)."""
from pathlib import Path

import pytest

import configlib
from config import load_config

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


def test_config_loads():
    cfg = load_config(CONFIG)
    assert cfg.train.epochs >= 1 and cfg.train.batch_size >= 1
    assert cfg.data.dataset


def test_an_unknown_key_is_an_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.read_text(encoding="utf-8").replace("[train]", "[train]\nepochz = 3", 1), encoding="utf-8")
    with pytest.raises(configlib.ConfigError, match="epochz"):
        load_config(path)


def test_a_missing_key_is_an_error(tmp_path):
    lines = CONFIG.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "config.toml"
    path.write_text("\n".join(line for line in lines if not line.startswith("seed ")), encoding="utf-8")
    with pytest.raises(configlib.ConfigError, match="seed"):
        load_config(path)


def test_with_changes_replaces_one_key():
    cfg = load_config(CONFIG)
    changed = configlib.with_changes(cfg, "train", epochs=1)
    assert changed.train.epochs == 1 and changed.train.seed == cfg.train.seed and changed.data == cfg.data
