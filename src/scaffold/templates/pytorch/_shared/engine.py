"""What every script of this project shares: the config, seeding, devices, torchrun and
DistributedDataParallel, the run log (runs/<run-name>/metrics.jsonl + run.json, the format Deep
Learning Kit's training monitor reads), TensorBoard, checkpoints, learning-rate schedules, mixed
precision, early stopping, a progress bar, and fit(): the epoch loop that train.py hands its
training step and its evaluation to.

Nothing here knows the model: train.py says what one training step and one evaluation are.
Works with torch 1.13 and 2.x, as `python train.py` and as `torchrun --nproc_per_node=N train.py`.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as torch_dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

try:
    import tomllib  # Python >= 3.11
except ModuleNotFoundError:  # Python < 3.11: pip install tomli
    import tomli as tomllib

PROJECT_DIR = Path(__file__).resolve().parent
TORCH_VERSION = tuple(int(part) for part in re.findall(r"\d+", torch.__version__)[:2])


# ----------------------------------------------------------------------------------------- config

def load_config(path=None, smoke=False):
    """config.toml as a dict; smoke=True merges its [smoke.*] tables over the rest."""
    path = Path(path) if path else PROJECT_DIR / "config.toml"
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    smoke_overrides = cfg.pop("smoke", {})
    if smoke:
        _merge(cfg, smoke_overrides)
    cfg.setdefault("run", {})["smoke"] = bool(smoke)
    return cfg


def _merge(base, overrides):
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def project_path(path):
    """A path from the config: relative ones are relative to the project folder, not the current directory."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else PROJECT_DIR / path


def flatten(cfg, prefix=""):
    """{"optim": {"lr": 0.001}} -> {"optim.lr": 0.001}: easy to compare between runs."""
    flat = {}
    for key, value in cfg.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def parse_args(description, argv=None):
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(PROJECT_DIR / "config.toml"), help="the settings (default: config.toml)")
    parser.add_argument("--epochs", type=int, help="train this many epochs in all (overrides train.epochs)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny synthetic data and model, a few seconds on a CPU: checks that everything runs")
    parser.add_argument("--resume", nargs="?", const="last", metavar="CHECKPOINT",
                        help="continue a run from its last checkpoint: the latest run, the --run-name run, "
                             "or the checkpoint file given")
    parser.add_argument("--run-name", help="the run's folder name under runs/ and checkpoints/ (default: run.name + time)")
    parser.add_argument("--device", choices=["auto", "cuda", "mps", "cpu"], help="overrides run.device")
    return parser.parse_args(argv)


# ------------------------------------------------------------------------------ seeding and devices

def seed_everything(seed, deterministic=False):
    """Seeds Python, NumPy and PyTorch (CPU and CUDA); deterministic=True also picks reproducible kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        torch.use_deterministic_algorithms(True, warn_only=True)
    elif torch.cuda.is_available():
        torch.backends.cudnn.benchmark = True  # fastest kernels for fixed input shapes


def seed_worker(worker_id):
    """DataLoader(worker_init_fn=seed_worker): reproducible NumPy / random streams in worker processes."""
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


def mps_available():
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def pick_device(preference="auto"):
    """auto: CUDA GPU, else Apple-silicon MPS, else CPU."""
    if preference in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if mps_available() else torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device = \"cuda\" but PyTorch sees no CUDA GPU (set run.device = \"auto\")")
    if preference == "mps" and not mps_available():
        raise RuntimeError("device = \"mps\" but MPS is not available (set run.device = \"auto\")")
    return torch.device(preference)


# ------------------------------------------------------------------------------------ distributed

class Distributed:
    """One process of a torchrun job, or the only process. rank 0 is the one that logs and saves."""

    def __init__(self, rank=0, local_rank=0, world_size=1, device=torch.device("cpu"), backend=None):
        self.rank, self.local_rank, self.world_size = rank, local_rank, world_size
        self.device, self.backend = device, backend

    @property
    def enabled(self):
        return self.world_size > 1

    @property
    def is_main(self):
        return self.rank == 0

    def wrap(self, model):
        """DistributedDataParallel around `model` when several processes train together."""
        if not self.enabled:
            return model
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=device_ids)

    def barrier(self):
        if self.enabled:
            if self.backend == "nccl":
                torch_dist.barrier(device_ids=[self.device.index])
            else:
                torch_dist.barrier()

    def all_reduce_sum(self, tensor):
        """Sums a tensor over all processes (returns it unchanged with one process)."""
        if self.enabled:
            tensor = tensor.clone()
            torch_dist.all_reduce(tensor, op=torch_dist.ReduceOp.SUM)
        return tensor

    def broadcast(self, value):
        """rank 0's value, in every process (any picklable object)."""
        if not self.enabled:
            return value
        holder = [value]
        torch_dist.broadcast_object_list(holder, src=0)
        return holder[0]

    @contextlib.contextmanager
    def main_first(self):
        """The first process of each machine runs the block first (e.g. downloads a dataset), then the others."""
        if self.local_rank != 0:
            self.barrier()
        yield
        if self.local_rank == 0:
            self.barrier()

    def close(self):
        if self.enabled and torch_dist.is_initialized():
            # Every process reaches here before any tears the group down: a process that leaves
            # while another still talks to it can leave the job hanging at exit.
            self.barrier()
            torch_dist.destroy_process_group()


def init_distributed(device_preference="auto"):
    """Joins the torchrun job when there is one (WORLD_SIZE > 1): nccl on GPUs, gloo on CPUs."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Distributed(device=pick_device(device_preference))
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device_preference in (None, "", "auto", "cuda") and torch.cuda.is_available():
        device, backend = torch.device("cuda", local_rank), "nccl"
        torch.cuda.set_device(device)
    else:  # CPU (also instead of MPS, which DistributedDataParallel does not support)
        device, backend = torch.device("cpu"), "gloo"
    torch_dist.init_process_group(backend=backend)  # MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE from torchrun
    return Distributed(rank, local_rank, world_size, device, backend)


# ----------------------------------------------------------------------------------- the session

@dataclass
class Session:
    """Everything train.py needs before it builds data and model."""

    cfg: dict
    dist: Distributed
    device: torch.device
    run_name: str
    run_dir: Path
    checkpoint_dir: Path
    use_amp: bool
    resume_state: dict | None = None

    @property
    def info(self):
        """The data description saved in the checkpoint being resumed (e.g. the vocabulary), or None."""
        return self.resume_state.get("info") if self.resume_state else None

    def close(self):
        self.dist.close()


def setup(args):
    """Reads the config (or the checkpoint to resume), joins torchrun, seeds, names the run."""
    cfg = load_config(args.config, smoke=args.smoke)
    dist = init_distributed(args.device or cfg["run"].get("device", "auto"))
    resume_state = None
    if args.resume:
        path = None
        if dist.is_main:
            try:
                path = str(find_checkpoint(cfg, args.resume, args.run_name, "last.pt"))
            except FileNotFoundError as error:
                raise SystemExit(f"error: nothing to resume: {error}")
        path = dist.broadcast(path)
        resume_state = load_checkpoint(path, trusted=True)
        cfg = resume_state["config"]  # the run continues with its own settings
        run_name = resume_state["run_name"]
        if dist.is_main:
            print(f"resuming {run_name} from {path}: {resume_state['epoch']} epoch(s) done")
    else:
        run_name = args.run_name
        if not run_name:
            run_name = cfg["run"]["name"]
            if cfg["run"].get("timestamp", True):
                run_name += "-" + time.strftime("%Y%m%d-%H%M%S")
            run_name = dist.broadcast(run_name)  # the same name in every process
    if args.epochs is not None:
        cfg["train"]["epochs"] = args.epochs
    if args.device:
        cfg["run"]["device"] = args.device
    if cfg["run"].get("smoke"):
        torch.set_num_threads(1)  # tiny tensors: threads only add overhead
    seed_everything(cfg["run"]["seed"] + dist.rank, cfg["run"].get("deterministic", False))
    use_amp = bool(cfg["train"].get("amp", False)) and dist.device.type == "cuda"
    return Session(
        cfg=cfg,
        dist=dist,
        device=dist.device,
        run_name=run_name,
        run_dir=project_path(cfg["run"]["runs_dir"]) / run_name,
        checkpoint_dir=project_path(cfg["checkpoint"]["dir"]) / run_name,
        use_amp=use_amp,
        resume_state=resume_state,
    )


def make_loader(dataset, cfg, dist, train, collate_fn=None, batch_size=None):
    """A DataLoader whose order depends only on the seed and the epoch (sampler.set_epoch), so a resumed
    run sees the same batches; with torchrun each process gets its own share of the data."""
    sampler = DistributedSampler(dataset, num_replicas=dist.world_size, rank=dist.rank, shuffle=train,
                                 seed=cfg["run"]["seed"], drop_last=False)
    batch_size = batch_size or cfg["train"]["batch_size"]
    workers = int(cfg["data"].get("num_workers", 0))
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        collate_fn=collate_fn,
        pin_memory=dist.device.type == "cuda",
        drop_last=train and len(sampler) >= batch_size,  # no 1-sample batch for batch norm
        persistent_workers=workers > 0,
        worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(cfg["run"]["seed"]),
    )


# ------------------------------------------------------------------- optimizers, schedules, AMP

def build_optimizer(params, cfg_optim, lr=None):
    """adamw | adam | sgd from [optim]; `lr` overrides optim.lr (the GAN has one per network)."""
    name = cfg_optim.get("name", "adamw").lower()
    lr = cfg_optim["lr"] if lr is None else lr
    weight_decay = cfg_optim.get("weight_decay", 0.0)
    betas = tuple(cfg_optim.get("betas", (0.9, 0.999)))
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=betas, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=cfg_optim.get("momentum", 0.9), nesterov=True,
                               weight_decay=weight_decay)
    raise ValueError(f"optim.name = {name!r}: use adamw, adam or sgd")


def build_scheduler(optimizer, cfg_schedule, epochs, steps_per_epoch):
    """A learning-rate schedule stepped after every optimizer step: linear warmup, then
    cosine (to lr * min_lr_ratio), step (x gamma every step_epochs epochs) or constant."""
    kind = cfg_schedule.get("name", "cosine")
    if kind not in ("cosine", "step", "constant"):
        raise ValueError(f"schedule.name = {kind!r}: use cosine, step or constant")
    total = max(1, epochs * steps_per_epoch)
    warmup = int(cfg_schedule.get("warmup_epochs", 0) * steps_per_epoch)
    min_ratio = cfg_schedule.get("min_lr_ratio", 0.0)
    step_size = max(1, int(cfg_schedule.get("step_epochs", 10) * steps_per_epoch))
    gamma = cfg_schedule.get("gamma", 0.1)

    def factor(step):  # step: optimizer steps done so far
        if step < warmup:
            return (step + 1) / warmup
        if kind == "constant":
            return 1.0
        if kind == "step":
            return gamma ** (step // step_size)
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def make_scaler(enabled):
    """GradScaler for float16 training on CUDA; a no-op when disabled."""
    if hasattr(torch.amp, "GradScaler"):  # torch >= 2.3
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)  # torch 1.10 - 2.2


def autocast(device, enabled):
    """float16 autocast on CUDA when enabled; elsewhere the same code runs in float32."""
    return torch.autocast(device_type="cuda" if enabled else "cpu", enabled=enabled)


def no_sync(model, skip):
    """model.no_sync() for a DistributedDataParallel model when `skip`: gradients stay local until a
    later backward pass all-reduces them together."""
    if skip and isinstance(model, DistributedDataParallel):
        return model.no_sync()
    return contextlib.nullcontext()


def unwrap(model):
    return model.module if isinstance(model, (DistributedDataParallel, torch.nn.DataParallel)) else model


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ----------------------------------------------------------------------------------- checkpoints

def save_checkpoint(path, state):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: an interrupted save leaves the previous checkpoint intact


def load_checkpoint(path, map_location="cpu", trusted=False):
    """trusted=True: a full checkpoint of your own (it holds NumPy RNG state, which only the full
    unpickler reads: it can run code, so never load files you did not write that way). Otherwise
    weights_only=True where torch supports it well (>= 2.1; 1.13's weights-only loader cannot read floats)."""
    weights_only = not trusted and TORCH_VERSION >= (2, 1)
    return torch.load(path, map_location=map_location, weights_only=weights_only)


def find_checkpoint(cfg, explicit=None, run_name=None, filename="last.pt"):
    """The checkpoint file given, the run's, or the most recently written one."""
    if explicit and explicit not in ("last", "best"):
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint file {path}")
        return path
    base = project_path(cfg["checkpoint"]["dir"])
    if run_name:
        path = base / run_name / filename
        if not path.is_file():
            raise FileNotFoundError(f"run {run_name!r} has no {path}")
        return path
    found = sorted(base.glob(f"*/{filename}"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise FileNotFoundError(f"no {filename} under {base}: train first (python train.py)")
    return found[-1]


def evaluation_arguments(description):
    """The command line of evaluate.py and sample.py: which checkpoint, which device."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", help="a checkpoint file (default: best.pt of the latest run, or of --run-name)")
    parser.add_argument("--run-name", help="the run whose checkpoint to use")
    parser.add_argument("--config", default=str(PROJECT_DIR / "config.toml"), help="where checkpoint.dir is set")
    parser.add_argument("--device", choices=["auto", "cuda", "mps", "cpu"], default="auto")
    return parser


def open_checkpoint(args, filename="best.pt"):
    """(path, checkpoint) chosen by evaluation_arguments(); the checkpoint holds the run's config and data info."""
    try:
        path = find_checkpoint(load_config(args.config), args.checkpoint, args.run_name, filename)
    except FileNotFoundError as error:
        raise SystemExit(f"error: {error}")
    state = load_checkpoint(path)
    print(f"{path}: run {state['run_name']}, epoch {state['epoch']}, step {state['step']}")
    return path, state


def append_metrics(run_dir, step, epoch, split, **metrics):
    """Adds one row to an existing run's metrics.jsonl (e.g. the "test" row of evaluate.py --log)."""
    row = {"step": int(step), "epoch": int(epoch), "split": split, "time": round(time.time(), 3)}
    row.update({name: _json_value(value) for name, value in metrics.items()})
    with open(Path(run_dir) / "metrics.jsonl", "a", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(row, allow_nan=False) + "\n")


def rng_state():
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state):
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"].cpu())
    if state.get("cuda") and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


# ------------------------------------------------------------------------------------- run log

def _json_value(value):
    """A metric as JSON: a finite float, "NaN", "Infinity", "-Infinity", or None (not measured)."""
    if value is None:
        return None
    value = float(value)
    if math.isfinite(value):
        return float(f"{value:.7g}")  # 7 significant digits: float32 precision, shorter lines
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


class RunLogger:
    """runs/<run-name>/metrics.jsonl and run.json in Deep Learning Kit's run-log format 1."""

    def __init__(self, directory, config=None, planned_epochs=None, planned_steps=None, resume=False):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.run = {"format": 1, "name": self.dir.name, "status": "running", "config": config or {},
                    "started": round(time.time(), 3), "ended": None,
                    "planned_epochs": planned_epochs, "planned_steps": planned_steps, "pid": os.getpid()}
        previous = self.dir / "run.json"
        if resume and previous.is_file():
            with contextlib.suppress(ValueError, OSError):
                old = json.loads(previous.read_text(encoding="utf-8"))
                self.run["started"] = old.get("started", self.run["started"])
                self.run["resumed"] = old.get("resumed", []) + [round(time.time(), 3)]
        self._write_run()  # "running" before the first metrics line
        mode = "a" if resume else "w"  # a resumed run appends; a new run starts the file over
        self._metrics = open(self.dir / "metrics.jsonl", mode, encoding="utf-8", newline="\n")

    def log(self, step, epoch, split, **metrics):
        row = {"step": int(step), "epoch": int(epoch), "split": split, "time": round(time.time(), 3)}
        row.update({name: _json_value(value) for name, value in metrics.items()})
        self._metrics.write(json.dumps(row, allow_nan=False) + "\n")  # one whole line per write
        self._metrics.flush()

    def finish(self, status="finished"):
        if not self._metrics.closed:
            self._metrics.close()
        self.run.update(status=status, ended=round(time.time(), 3), pid=None)
        self._write_run()

    def _write_run(self):
        tmp = self.dir / "run.json.tmp"
        tmp.write_text(json.dumps(self.run, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, self.dir / "run.json")  # atomic: readers never see half a file


class TensorBoard:
    """TensorBoard events beside the run log, when the tensorboard package is installed."""

    def __init__(self, log_dir, enabled=True):
        self.writer = None
        if not enabled:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except Exception:  # tensorboard not installed (or too old): the JSONL run log is enough
            return
        self.writer = SummaryWriter(log_dir=str(log_dir))

    def log(self, step, split, metrics):
        if self.writer is not None:
            for name, value in metrics.items():
                self.writer.add_scalar(f"{name}/{split}", value, step)

    def close(self):
        if self.writer is not None:
            self.writer.close()


# --------------------------------------------------------------------- progress and early stopping

class _PlainProgress:
    """The progress bar without tqdm: a line at most every 10% of the epoch and every 2 seconds."""

    def __init__(self, iterable, total, desc):
        self.iterable, self.total, self.desc = iterable, total, desc
        self.postfix = ""

    def __iter__(self):
        started = last = time.time()
        shown = 0
        for i, item in enumerate(self.iterable, 1):
            yield item
            now = time.time()
            if i < self.total and i - shown >= self.total / 10 and now - last >= 2.0:
                left = (now - started) / i * (self.total - i)
                print(f"{self.desc}  {i}/{self.total}  {now - started:.0f}s (epoch ends in {left:.0f}s)  {self.postfix}",
                      flush=True)
                shown, last = i, now

    def set_postfix(self, values):
        self.postfix = "  ".join(f"{k} {v:.4g}" for k, v in values.items())

    def close(self):
        pass


class _NoProgress(_PlainProgress):
    def __iter__(self):
        return iter(self.iterable)


def progress(iterable, total, desc, enabled=True):
    """tqdm when it is installed, else a plain line every 10%; nothing when not enabled (ranks > 0)."""
    if not enabled:
        return _NoProgress(iterable, total, desc)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _PlainProgress(iterable, total, desc)
    bar = tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)
    return _TqdmProgress(bar)


class _TqdmProgress:
    def __init__(self, bar):
        self.bar = bar

    def __iter__(self):
        return iter(self.bar)

    def set_postfix(self, values):
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()}, refresh=False)

    def close(self):
        self.bar.close()


class EarlyStopping:
    """Tracks the best value of the monitored validation metric; step() says whether it improved and
    whether training should stop (patience epochs without improvement; patience 0: never)."""

    def __init__(self, patience=5, mode="min", min_delta=0.0):
        if mode not in ("min", "max"):
            raise ValueError("train.monitor_mode must be 'min' (e.g. a loss) or 'max' (e.g. an accuracy)")
        self.patience, self.mode, self.min_delta = patience, mode, min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = None
        self.bad_epochs = 0

    def step(self, value, epoch=None):
        value = float(value)
        better = value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta
        if better:  # NaN never improves
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
            return True, False
        self.bad_epochs += 1
        return False, self.patience > 0 and self.bad_epochs >= self.patience

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state):
        self.best, self.best_epoch, self.bad_epochs = state["best"], state["best_epoch"], state["bad_epochs"]


class Meter:
    """Sums of batch metrics (kept on the device: no GPU sync per step), averaged over all processes."""

    def __init__(self):
        self.sums, self.count = {}, 0

    def add(self, metrics, n):
        for name, value in metrics.items():
            value = torch.as_tensor(value).detach().float() * n
            self.sums[name] = self.sums[name] + value if name in self.sums else value
        self.count += n

    def reduce(self, dist):
        names = list(self.sums)  # the same order in every process (the order train_step returns them)
        if not names:
            return {}
        totals = torch.stack([self.sums[name].to(dist.device) for name in names]
                             + [torch.tensor(float(self.count), device=dist.device)])
        totals = dist.all_reduce_sum(totals).tolist()
        return {name: total / max(totals[-1], 1.0) for name, total in zip(names, totals)}


# --------------------------------------------------------------------------------------- fit

def _fmt(metrics):
    return "  ".join(f"{name} {value:.4g}" for name, value in metrics.items())


def fit(session, *, models, optimizers, schedulers, scalers, train_loader, val_loader, train_step, evaluate,
        info=None, run_info=None, on_epoch_end=None):
    """The epoch loop: training steps with a progress bar, the run log, validation each epoch, best and
    last checkpoints, early stopping and --resume. Only rank 0 logs and saves.

    models, optimizers, schedulers, scalers: {name: object} (saved and restored by name).
    train_step(batch) -> ({metric: 0-dim tensor}, batch size): one optimizer step (or one per optimizer).
    evaluate(loader) -> {metric: float}: the validation metrics, already summed over all processes.
    on_epoch_end(epoch, step): called in every process after validation (e.g. to write samples).
    Returns the last validation metrics.
    """
    cfg, dist = session.cfg, session.dist
    epochs = cfg["train"]["epochs"]
    steps_per_epoch = len(train_loader)
    log_every = max(1, int(cfg["run"].get("log_every_steps", 20)))
    monitor = cfg["train"].get("monitor", "loss")
    early = EarlyStopping(cfg["train"].get("early_stopping_patience", 0), cfg["train"].get("monitor_mode", "min"),
                          cfg["train"].get("early_stopping_min_delta", 0.0))
    start_epoch, step = 1, 0
    state = session.resume_state
    resumed = state is not None
    if resumed:
        for name, model in models.items():
            unwrap(model).load_state_dict(state["models"][name])
        for name, optimizer in optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        for name, scheduler in schedulers.items():
            scheduler.load_state_dict(state["schedulers"][name])
        for name, scaler in scalers.items():
            if state["scalers"].get(name) and scaler.is_enabled():
                scaler.load_state_dict(state["scalers"][name])
        early.load_state_dict(state["early_stopping"])
        start_epoch, step = state["epoch"] + 1, state["step"]
        if dist.is_main:
            set_rng_state(state["rng"])  # the exact random stream of the interrupted run
        else:
            seed_everything(cfg["run"]["seed"] + dist.rank + 1000 * start_epoch)
        session.resume_state = state = None  # all restored: free the memory

    main = dist.is_main
    log = tensorboard = None
    if main:
        config = flatten(cfg)
        config.update(run_info or {})
        config.update(device=str(session.device), processes=dist.world_size, log_every_steps=log_every,
                      amp=session.use_amp, torch=str(torch.__version__))
        log = RunLogger(session.run_dir, config, planned_epochs=epochs, planned_steps=epochs * steps_per_epoch,
                        resume=resumed)
        tensorboard = TensorBoard(session.run_dir, enabled=cfg["run"].get("tensorboard", True))
        where = f"{session.device}" + (f" x {dist.world_size} processes" if dist.enabled else "")
        print(f"run {session.run_name} on {where}: {steps_per_epoch} steps per epoch, "
              f"log in {session.run_dir}", flush=True)

    def lrs():
        if len(optimizers) == 1:
            return {"lr": next(iter(optimizers.values())).param_groups[0]["lr"]}
        return {f"lr_{name}": opt.param_groups[0]["lr"] for name, opt in optimizers.items()}

    val = {}
    status = "failed"
    try:
        if start_epoch > epochs and main:
            print(f"{session.run_name} already has {start_epoch - 1} epoch(s); pass --epochs N (N > {start_epoch - 1}) "
                  f"to train more")
        for epoch in range(start_epoch, epochs + 1):
            started = time.time()
            train_loader.sampler.set_epoch(epoch)  # a new shuffle each epoch, the same in every process
            for model in models.values():
                model.train()
            window, whole_epoch = Meter(), Meter()
            bar = progress(train_loader, steps_per_epoch, f"epoch {epoch}/{epochs}", enabled=main)
            for i, batch in enumerate(bar):
                metrics, n = train_step(batch)
                step += 1
                for scheduler in schedulers.values():
                    scheduler.step()
                window.add(metrics, n)
                whole_epoch.add(metrics, n)
                if step % log_every == 0 or i == steps_per_epoch - 1:
                    values = window.reduce(dist)  # every process takes part
                    window = Meter()
                    if main:
                        values.update(lrs())
                        log.log(step, epoch, "train", **values)
                        tensorboard.log(step, "train", values)
                        bar.set_postfix(values)
            bar.close()
            train_means = whole_epoch.reduce(dist)

            val = evaluate(val_loader)
            if monitor not in val:
                raise KeyError(f"train.monitor = {monitor!r}, but the validation metrics are {sorted(val)}")
            improved, stop = early.step(val[monitor], epoch)
            if main:
                log.log(step, epoch, "val", **val)
                tensorboard.log(step, "val", val)
            if on_epoch_end is not None:
                on_epoch_end(epoch, step)

            dist.barrier()
            if main:
                checkpoint = {
                    "format": 1, "epoch": epoch, "step": step, "run_name": session.run_name, "config": cfg,
                    "info": info, "metrics": val, "torch_version": str(torch.__version__),
                    "models": {name: unwrap(model).state_dict() for name, model in models.items()},
                }
                if improved:
                    save_checkpoint(session.checkpoint_dir / "best.pt", checkpoint)
                checkpoint.update(
                    optimizers={name: opt.state_dict() for name, opt in optimizers.items()},
                    schedulers={name: sch.state_dict() for name, sch in schedulers.items()},
                    scalers={name: scaler.state_dict() for name, scaler in scalers.items()},
                    early_stopping=early.state_dict(),
                    rng=rng_state(),
                )
                save_checkpoint(session.checkpoint_dir / "last.pt", checkpoint)
                print(f"epoch {epoch}/{epochs}  train: {_fmt(train_means)}  |  val: {_fmt(val)}  |  "
                      f"{time.time() - started:.1f}s" + ("  * best" if improved else ""), flush=True)
            dist.barrier()
            if stop:
                if main:
                    print(f"early stop: val {monitor} has not improved for {early.patience} epochs "
                          f"(best {early.best:.4g} at epoch {early.best_epoch})")
                break
        status = "finished"
    except KeyboardInterrupt:
        if main:
            print(f"\ninterrupted: continue with  python train.py --resume --run-name {session.run_name}",
                  file=sys.stderr)
        raise
    finally:
        if log is not None:
            log.finish(status)
        if tensorboard is not None:
            tensorboard.close()
    if main and early.best_epoch is not None:
        print(f"best val {monitor} {early.best:.4g} at epoch {early.best_epoch}: {session.checkpoint_dir / 'best.pt'}")
    return val
