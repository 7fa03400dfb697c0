"""The run log: runs/<run-name>/metrics.jsonl and run.json, Deep Learning Kit run-log format 1.

metrics.jsonl holds one JSON object per line, appended as training goes:
    {"step": optimizer steps so far, "epoch": counted from 1, "split": "train" | "val" | "test",
     "time": Unix seconds, <metric>: value, ...}
Validation metrics keep their plain names (`loss` on a "val" row, never `val_loss`), and a
diverged value is written as the string "NaN", "Infinity" or "-Infinity" so that every line stays
valid JSON. run.json says what the run is: name, status ("running", "finished" or "failed"),
config, started, ended, planned_epochs, planned_steps and the writing process's pid. It is
written before the first metric and rewritten atomically when the run ends, also when it fails or
is interrupted with Ctrl+C.

Standard library only: no TensorFlow, no Keras.
"""
import json
import math
import os
import time
from pathlib import Path


def metric_value(value):
    """A metric as JSON: a finite float, or "NaN" / "Infinity" / "-Infinity"; None means not measured."""
    if value is None:
        return None
    value = float(value)  # also NumPy scalars and 0-d tensors of any backend
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def write_json(path, data):
    """Writes JSON atomically: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path, default=None):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


class RunLog:
    """Writes one run. Use it as a context manager: an exception or Ctrl+C marks the run "failed".

    resume=True appends to an existing run (training continued from a checkpoint); otherwise
    metrics.jsonl starts empty. enabled=False makes every method a no-op: in multi-worker or
    multi-process training only the chief writes the run log.
    """

    def __init__(self, directory, config=None, planned_epochs=None, planned_steps=None, resume=False, enabled=True):
        self.dir = Path(directory)
        self.enabled = enabled
        self.run = {}
        self._metrics = None
        if not enabled:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        previous = read_json(self.dir / "run.json", {}) if resume else {}
        self.run = {
            "format": 1,
            "name": self.dir.name,
            "status": "running",
            "config": config or {},
            "started": previous.get("started") or round(time.time(), 3),
            "ended": None,
            "planned_epochs": planned_epochs,
            "planned_steps": planned_steps,
            "pid": os.getpid(),
        }
        write_json(self.dir / "run.json", self.run)  # run.json first, then the metrics
        mode = "a" if resume else "w"
        self._metrics = open(self.dir / "metrics.jsonl", mode, encoding="utf-8", newline="\n")

    def log(self, step, epoch, split, **metrics):
        """One line: log(step, epoch, "train", loss=0.52, accuracy=0.81, lr=0.001)."""
        if not self.enabled:
            return
        row = {"step": int(step), "epoch": int(epoch), "split": split, "time": round(time.time(), 3)}
        for name, value in metrics.items():
            try:
                row[name] = metric_value(value)
            except (TypeError, ValueError):
                pass  # not a scalar number: not a metric
        self._metrics.write(json.dumps(row, allow_nan=False) + "\n")
        self._metrics.flush()

    def update(self, **fields):
        """Rewrites run.json with some fields changed, e.g. update(planned_steps=...)."""
        if not self.enabled:
            return
        self.run.update(fields)
        write_json(self.dir / "run.json", self.run)

    def finish(self, status="finished"):
        if not self.enabled or self._metrics is None:
            return
        self._metrics.close()
        self._metrics = None
        self.update(status=status, ended=round(time.time(), 3), pid=None)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.finish("failed" if exc_type else "finished")
        return False


def last_position(directory):
    """(step, epoch) of the last line of a run's metrics.jsonl, or (0, 0) when it has none."""
    step, epoch = 0, 0
    try:
        lines = (Path(directory) / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return step, epoch
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and "step" in row:
            step, epoch = int(row["step"]), int(row.get("epoch", epoch))
    return step, epoch


def append_row(directory, split, **metrics):
    """Appends one line after the run has ended, e.g. the "test" evaluation, at the run's last step."""
    step, epoch = last_position(directory)
    row = {"step": step, "epoch": max(epoch, 1), "split": split, "time": round(time.time(), 3)}
    row.update({name: metric_value(value) for name, value in metrics.items()})
    with open(Path(directory) / "metrics.jsonl", "a", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(row, allow_nan=False) + "\n")
    return row


def latest_run(runs_dir, marker="checkpoints"):
    """The most recently changed run directory under runs_dir that holds `marker`, or None."""
    runs = [p for p in Path(runs_dir).glob("*") if (p / marker).exists()]
    return max(runs, key=lambda p: (p / marker).stat().st_mtime) if runs else None


def resolve_run_dir(runs_dir, run_name, resume, prefix):
    """The directory of this run: runs_dir/run_name; a new name from the date and time if none is
    given; with resume and no name, the latest run that has checkpoints."""
    if run_name:
        return Path(runs_dir) / run_name
    if resume:
        latest = latest_run(runs_dir)
        if latest is None:
            raise SystemExit(f"--resume: no run with checkpoints under {runs_dir}/; name one with --run-name")
        return latest
    return Path(runs_dir) / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"


def is_chief(environ=None):
    """Whether this process writes the run log and the checkpoints that count.

    TensorFlow multi-worker training names each process in TF_CONFIG: the "chief" task if the
    cluster has one, else worker 0. The Keras distribution API (JAX) numbers processes with
    KERAS_DISTRIBUTION_PROCESS_ID: process 0. A single process is always the chief.
    """
    environ = os.environ if environ is None else environ
    if environ.get("TF_CONFIG"):
        tf_config = json.loads(environ["TF_CONFIG"])
        task = tf_config.get("task", {})
        kind, index = task.get("type"), int(task.get("index", 0))
        if "chief" in tf_config.get("cluster", {}):
            return kind == "chief"
        return kind in (None, "worker") and index == 0
    return int(environ.get("KERAS_DISTRIBUTION_PROCESS_ID", "0")) == 0
