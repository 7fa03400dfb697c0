"""The shared machinery: config, run log, schedules, early stopping, checkpoints."""
import json
import math

import pytest
import torch

import engine

SECTIONS = {
    "run": ["name", "runs_dir", "log_every_steps", "seed", "device"],
    "data": ["dataset", "root", "num_workers", "synthetic"],
    "model": [],
    "optim": ["name", "betas", "weight_decay"],
    "schedule": ["name", "warmup_epochs", "min_lr_ratio", "step_epochs", "gamma"],
    "train": ["epochs", "batch_size", "amp", "monitor", "monitor_mode", "early_stopping_patience"],
    "checkpoint": ["dir"],
}


@pytest.mark.parametrize("smoke", [False, True])
def test_config_has_every_setting(smoke):
    cfg = engine.load_config(smoke=smoke)
    for section, keys in SECTIONS.items():
        assert section in cfg, f"config.toml has no [{section}]"
        for key in keys:
            assert key in cfg[section], f"config.toml has no {section}.{key}"
    assert cfg["run"]["smoke"] is smoke
    assert "smoke" not in cfg  # the overrides are merged, not kept


def test_smoke_config_is_tiny_and_offline():
    cfg = engine.load_config(smoke=True)
    assert cfg["data"]["dataset"] == "synthetic"
    assert cfg["data"]["synthetic"]["train_samples"] <= 512
    assert cfg["train"]["epochs"] <= 3


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_run_logger_writes_the_run_log_format(tmp_path):
    log = engine.RunLogger(tmp_path / "run-a", config={"lr": 0.1}, planned_epochs=2, planned_steps=8)
    run = json.loads((tmp_path / "run-a" / "run.json").read_text())
    assert run["status"] == "running" and run["pid"] and run["ended"] is None and run["name"] == "run-a"
    log.log(4, 1, "train", loss=float("nan"), big=float("inf"), small=-math.inf, accuracy=torch.tensor(0.5))
    log.log(4, 1, "val", loss=1.25, missing=None)
    log.finish()
    text = (tmp_path / "run-a" / "metrics.jsonl").read_text(encoding="utf-8")
    assert text.endswith("\n") and "NaN," not in text.replace('"NaN"', "")
    train, val = _rows(tmp_path / "run-a" / "metrics.jsonl")
    assert list(train)[:4] == ["step", "epoch", "split", "time"]
    assert train["loss"] == "NaN" and train["big"] == "Infinity" and train["small"] == "-Infinity"
    assert train["accuracy"] == 0.5 and val["missing"] is None
    run = json.loads((tmp_path / "run-a" / "run.json").read_text())
    assert run["status"] == "finished" and run["ended"] >= run["started"] and run["pid"] is None
    assert run["planned_epochs"] == 2 and run["planned_steps"] == 8 and run["format"] == 1


def test_resumed_run_log_appends(tmp_path):
    first = engine.RunLogger(tmp_path / "r")
    first.log(1, 1, "train", loss=1.0)
    first.finish("failed")
    started = json.loads((tmp_path / "r" / "run.json").read_text())["started"]
    second = engine.RunLogger(tmp_path / "r", resume=True)
    second.log(2, 2, "train", loss=0.5)
    second.finish()
    assert [row["step"] for row in _rows(tmp_path / "r" / "metrics.jsonl")] == [1, 2]
    run = json.loads((tmp_path / "r" / "run.json").read_text())
    assert run["started"] == started and run["status"] == "finished" and len(run["resumed"]) == 1


@pytest.mark.parametrize("name", ["cosine", "step", "constant"])
def test_schedule_warms_up_then_never_rises(name):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    cfg = {"name": name, "warmup_epochs": 1, "min_lr_ratio": 0.1, "step_epochs": 1, "gamma": 0.5}
    scheduler = engine.build_scheduler(optimizer, cfg, epochs=3, steps_per_epoch=4)
    lrs = []
    for _ in range(12):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[:4] == sorted(lrs[:4]) and lrs[0] < lrs[3] <= 1.0  # warmup
    assert all(a >= b for a, b in zip(lrs[4:], lrs[5:]))  # then never up
    if name == "cosine":
        assert lrs[-1] == pytest.approx(0.1, abs=0.05)


def test_early_stopping():
    early = engine.EarlyStopping(patience=2, mode="min")
    assert early.step(1.0, 1) == (True, False)
    assert early.step(0.5, 2) == (True, False)
    assert early.step(0.7, 3) == (False, False)
    assert early.step(float("nan"), 4) == (False, True)
    assert early.best == 0.5 and early.best_epoch == 2
    never = engine.EarlyStopping(patience=0)
    never.step(1.0)
    assert all(never.step(2.0) == (False, False) for _ in range(10))


def test_checkpoint_round_trip_restores_the_random_streams(tmp_path):
    model = torch.nn.Linear(3, 2)
    state = {"models": {"model": model.state_dict()}, "rng": engine.rng_state(), "epoch": 3}
    engine.save_checkpoint(tmp_path / "ckpt" / "last.pt", state)
    expected = torch.rand(5)
    loaded = engine.load_checkpoint(tmp_path / "ckpt" / "last.pt", trusted=True)
    engine.set_rng_state(loaded["rng"])
    assert torch.equal(torch.rand(5), expected)
    assert loaded["epoch"] == 3 and not (tmp_path / "ckpt" / "last.pt.tmp").exists()


def test_meter_averages_by_batch_size():
    meter = engine.Meter()
    meter.add({"loss": torch.tensor(1.0)}, 1)
    meter.add({"loss": torch.tensor(4.0)}, 3)
    assert meter.reduce(engine.Distributed()) == {"loss": pytest.approx(3.25)}
