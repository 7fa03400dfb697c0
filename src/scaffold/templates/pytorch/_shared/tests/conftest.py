"""pytest setup: the project folder importable, one CPU thread, a fixed seed, the smoke config."""
import sys
from pathlib import Path

import pytest
import torch

PROJECT_DIR = Path(__file__).resolve().parents[1]
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))  # import engine, model, data, train

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


@pytest.fixture
def smoke_config():
    """config.toml with its [smoke.*] values: tiny synthetic data and model."""
    import engine

    return engine.load_config(smoke=True)
