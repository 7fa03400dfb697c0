"""The run log is written in Deep Learning Kit's format 1 (no TensorFlow or Keras needed)."""
import json

import pytest

from runlog import RunLog, append_row, is_chief


def strict_json(line):
    def refuse(token):
        raise ValueError(f"bare {token} is not JSON")

    return json.loads(line, parse_constant=refuse)


def test_a_finished_run(tmp_path):
    run_dir = tmp_path / "runs" / "example"
    with RunLog(run_dir, config={"lr": 0.001}, planned_epochs=1, planned_steps=2) as log:
        assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
        log.log(1, 1, "train", loss=1.5, accuracy=float("nan"))
        log.log(2, 1, "train", loss=float("inf"))
        log.log(2, 1, "val", loss=1.25)
    append_row(run_dir, "test", loss=1.3)
    rows = [strict_json(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [(r["step"], r["epoch"], r["split"]) for r in rows] == [(1, 1, "train"), (2, 1, "train"), (2, 1, "val"), (2, 1, "test")]
    assert all(list(r)[:4] == ["step", "epoch", "split", "time"] for r in rows)
    assert rows[0]["accuracy"] == "NaN" and rows[1]["loss"] == "Infinity"
    run = json.loads((run_dir / "run.json").read_text())
    assert run["name"] == "example" and run["status"] == "finished" and run["pid"] is None
    assert run["ended"] >= run["started"] and run["planned_steps"] == 2


def test_an_interrupted_run_is_failed(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with RunLog(tmp_path / "run") as log:
            log.log(1, 1, "train", loss=1.0)
            raise KeyboardInterrupt
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "failed"


def test_only_the_chief_writes():
    assert is_chief({})
    worker = '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": %d}}'
    assert is_chief({"TF_CONFIG": worker % 0}) and not is_chief({"TF_CONFIG": worker % 1})
    assert not is_chief({"KERAS_DISTRIBUTION_PROCESS_ID": "1"})
