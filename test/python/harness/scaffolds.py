"""What the scaffold tests need: generating a project with the built CLI, running its scripts in
the system Python, and checking a run log against docs/run-log-format.md."""
import atexit
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CLI = REPO / "dist" / "cli.js"
TEMPLATES = REPO / "src" / "scaffold" / "templates"
PYTHON = sys.executable  # /usr/bin/python3 in test/run.mjs: the interpreter with torch
NON_FINITE = {"NaN", "Infinity", "-Infinity"}
SPLITS = {"train", "val", "test"}
# torchrun's own variables must not leak from an outer job into the projects' processes
_DIST_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "GROUP_RANK",
              "ROLE_RANK", "TORCHELASTIC_RUN_ID")


_cli_copy = None


def _cli():
    """A private copy of dist/cli.js and dist/templates, taken once: a `npm run build` elsewhere in
    the tree (it empties dist/ first) cannot pull them away in the middle of the tests."""
    global _cli_copy
    if _cli_copy is None:
        if not CLI.is_file() or not (REPO / "dist" / "templates" / "pytorch").is_dir():
            pytest.fail(f"{CLI} or dist/templates/pytorch is missing: run `npm run build` first", pytrace=False)
        folder = Path(tempfile.mkdtemp(prefix="dlkit-cli-"))
        atexit.register(shutil.rmtree, folder, True)
        shutil.copy2(CLI, folder / "cli.js")
        shutil.copytree(REPO / "dist" / "templates", folder / "templates")
        _cli_copy = folder / "cli.js"
    return _cli_copy


def generate(architecture, out_dir, style="pytorch", name=None, dataset=None):
    """Writes a project with `node dist/cli.js scaffold` and returns its folder."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH", pytrace=False)
    name = name or f"demo_{architecture}"
    args = [node, str(_cli()), "scaffold", "--arch", architecture, "--style", style, "--out", str(out_dir), "--name", name]
    if dataset:
        args += ["--dataset", dataset]
    result = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"dlkit scaffold failed:\n{result.stdout}\n{result.stderr}"
    return Path(out_dir) / name


def environment():
    env = {k: v for k, v in os.environ.items() if k not in _DIST_VARS}
    env.update(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1")
    return env


def run(args, cwd, timeout=120):
    """Runs a command in the project folder; fails the test with its output unless it exits 0.
    Returns (stdout + stderr, seconds)."""
    started = time.monotonic()
    try:
        result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=environment())
    except subprocess.TimeoutExpired as error:
        output = (error.stdout or b"").decode(errors="replace") if isinstance(error.stdout, bytes) else error.stdout
        pytest.fail(f"{' '.join(map(str, args))} took more than {timeout}s in {cwd}:\n{output}", pytrace=False)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited with {result.returncode} in {cwd}:\n{output}", pytrace=False)
    return output, seconds


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_processes(script_args, cwd, timeout=180):
    """Runs `train.py ...` as a two-process job; returns (output, seconds).

    Where torchrun works, through torchrun. torch 1.13's launcher on Python 3.11 does not (see
    torchrun_workarounds), and with its workaround its agent sometimes never returns after both
    workers finished; there the two ranks are started directly with the environment torchrun
    gives them (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), which exercises the same
    project code (env:// rendezvous, gloo, DistributedSampler, rank-0 logging)."""
    port = free_port()
    if not torchrun_workarounds():
        return run([PYTHON, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_addr=127.0.0.1",
                    f"--master_port={port}", *script_args], cwd, timeout=timeout)
    started = time.monotonic()
    processes = []
    for rank in range(2):
        env = environment()
        env.update(RANK=str(rank), LOCAL_RANK=str(rank), GROUP_RANK="0", WORLD_SIZE="2", LOCAL_WORLD_SIZE="2",
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        processes.append(subprocess.Popen([PYTHON, *script_args], cwd=cwd, env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    outputs, failures = [], []
    for rank, process in enumerate(processes):
        try:
            output, _ = process.communicate(timeout=max(1.0, timeout - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            pytest.fail(f"rank {rank} of {' '.join(script_args)} took more than {timeout}s in {cwd}", pytrace=False)
        outputs.append(output)
        if process.returncode != 0:
            failures.append(f"rank {rank} exited with {process.returncode}:\n{output}")
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)
    return "".join(outputs), time.monotonic() - started


def torchrun_workarounds():
    """Extra torchrun options this torch needs: torch 1.13's launcher on Python 3.11 cannot parse its
    default --redirects / --tee value "0" (IntFlag no longer iterates over the zero member), and
    stops with "'NoneType' object has no attribute 'get'". A non-zero value avoids it."""
    from torch.distributed.elastic.multiprocessing.api import Std

    return ["--redirects", "1", "--tee", "1"] if Std.from_str("0") is None else []


def _reject_constant(token):
    raise ValueError(f"bare {token} is not JSON (write it as a string)")


def read_run_log(run_dir):
    """(rows of metrics.jsonl, run.json), each checked against docs/run-log-format.md."""
    run_dir = Path(run_dir)
    raw = (run_dir / "metrics.jsonl").read_bytes().decode("utf-8")
    assert raw.endswith("\n"), "metrics.jsonl: the last line has no newline"
    rows = []
    last_time = -math.inf
    for number, line in enumerate(raw.split("\n")[:-1], 1):
        where = f"metrics.jsonl:{number}"
        row = json.loads(line, parse_constant=_reject_constant)
        assert isinstance(row, dict), f"{where}: not an object"
        assert list(row)[:4] == ["step", "epoch", "split", "time"], f"{where}: keys out of order: {list(row)}"
        assert type(row["step"]) is int and row["step"] >= 0, f"{where}: step {row['step']!r}"
        assert type(row["epoch"]) is int and row["epoch"] >= 1, f"{where}: epoch {row['epoch']!r}"
        assert row["split"] in SPLITS, f"{where}: split {row['split']!r}"
        assert isinstance(row["time"], (int, float)) and not isinstance(row["time"], bool), f"{where}: time"
        assert row["time"] >= last_time, f"{where}: time went backwards"
        last_time = row["time"]
        for key, value in list(row.items())[4:]:
            ok = value is None or value in NON_FINITE or (isinstance(value, (int, float)) and not isinstance(value, bool))
            assert ok, f"{where}: metric {key} = {value!r}"
        rows.append(row)
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"), parse_constant=_reject_constant)
    assert run.get("format", 1) == 1
    assert run["name"] == run_dir.name
    assert run["status"] in ("running", "finished", "failed")
    assert isinstance(run["config"], dict)
    assert isinstance(run["started"], (int, float))
    assert run["ended"] is None or run["ended"] >= run["started"]
    for key in ("planned_epochs", "planned_steps", "pid"):
        assert run[key] is None or type(run[key]) is int, f"run.json: {key} = {run[key]!r}"
    return rows, run


def check_epochs(rows, epochs):
    """Train rows then one val row per epoch, the val row at the step of the epoch's last train row;
    steps never go down within a split."""
    for split in ("train", "val"):
        steps = [row["step"] for row in rows if row["split"] == split]
        assert steps == sorted(steps), f"{split} steps go down: {steps}"
    for epoch in epochs:
        train = [row for row in rows if row["epoch"] == epoch and row["split"] == "train"]
        val = [row for row in rows if row["epoch"] == epoch and row["split"] == "val"]
        assert train, f"no train rows for epoch {epoch}"
        assert len(val) == 1, f"epoch {epoch} has {len(val)} val rows"
        assert val[0]["step"] == train[-1]["step"]


def is_png(path):
    return Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
