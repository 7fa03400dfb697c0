"""What the PyTorch snippets' runners need: a quiet, small, deterministic torch; tiny synthetic
data, models and optimizers standing in for the names that building-block snippets assume; and
checks for models (forward + backward) and for code run under exec()."""
import ast
import importlib.util
import inspect
import os
import sys
import types
import warnings
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.set_num_threads(2)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # already set, or inter-op work already ran
    pass

TORCH_VERSION = tuple(int(part) for part in torch.__version__.split(".")[:2])
CPU = torch.device("cpu")


# ------------------------------------------------------------------------------ running code

def exec_snippet(code, prefix, names=None):
    """Runs snippet code as a module of its own; `names` are the objects it may assume.
    Returns the module namespace."""
    namespace = {"__name__": "snippet_" + prefix.replace("-", "_")}
    namespace.update(names or {})
    exec(compile(code, f"<snippet {prefix}>", "exec"), namespace)
    return namespace


def free_names(code):
    """Names the code reads but never defines, imports or gets from builtins: for a building block,
    the objects it assumes (model, optimizer, ...)."""
    import builtins
    import symtable

    module = symtable.symtable(code, "<snippet>", "exec")
    defined = {s.get_name() for s in module.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    free = set()

    def visit(table):
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (table is module or symbol.is_global()) and not (
                    table is module and (symbol.is_assigned() or symbol.is_imported())):
                free.add(symbol.get_name())
        for child in table.get_children():
            visit(child)

    visit(module)
    return sorted(free - defined - set(dir(builtins)))


class WarningsAreErrors:
    """Records every warning raised inside the block; the test then fails on any of them
    (deprecations on torch 2.x, scheduler-order warnings, worker-count warnings, ...)."""

    def __enter__(self):
        self._context = warnings.catch_warnings(record=True)
        self.caught = self._context.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._context.__exit__(*exc)
        return False

    def messages(self):
        return [f"{w.category.__name__} at {Path(w.filename).name}:{w.lineno}: {w.message}" for w in self.caught]


# ------------------------------------------------------------------------------ model checks

def forward_backward(model, *inputs, shape, loss_fn=None):
    """Forward in train mode, checks the output shape, backward, and checks that every trainable
    parameter got a finite gradient. Returns the output."""
    model.train()
    model.zero_grad(set_to_none=True)
    output = model(*inputs)
    assert tuple(output.shape) == tuple(shape), f"output shape {tuple(output.shape)}, expected {tuple(shape)}"
    loss = loss_fn(output) if loss_fn is not None else output.float().pow(2).mean()
    loss.backward()
    no_grad = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not no_grad, f"parameters without a gradient: {no_grad}"
    bad = [name for name, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]
    assert not bad, f"non-finite gradients: {bad}"
    return output


def snapshot(module):
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def changed(module, before):
    """Names of the floating-point parameters/buffers that differ from a snapshot."""
    return [name for name, value in module.state_dict().items()
            if value.is_floating_point() and not torch.equal(value, before[name])]


def assert_finite_history(history, epochs, keys):
    assert len(history) == epochs, f"{len(history)} history records, expected {epochs}"
    for record in history:
        assert set(keys) <= set(record), f"history record {record} lacks {set(keys) - set(record)}"
        for key in keys:
            assert record[key] == record[key] and abs(record[key]) != float("inf"), f"{key} is not finite: {record}"


# ------------------------------------------------------------------------------ synthetic world

class CountingLoss(nn.Module):
    """CrossEntropyLoss that counts its calls, notes the lr at each call, and can raise after a
    number of calls (to interrupt a training loop)."""

    def __init__(self, optimizer=None, fail_after=None):
        super().__init__()
        self.inner = nn.CrossEntropyLoss()
        self.optimizer = optimizer
        self.fail_after = fail_after
        self.calls = 0
        self.lrs = []

    def forward(self, outputs, targets):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise Interrupted(f"interrupted after {self.calls} loss calls")
        self.calls += 1
        if self.optimizer is not None:
            self.lrs.append(self.optimizer.param_groups[0]["lr"])
        return self.inner(outputs, targets)


class Interrupted(Exception):
    pass


def classification_data(n, features=8, seed=0):
    """Learnable 3-class data: the class is how many of the first two features are positive."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=generator)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    return x, y


def tiny_classifier(features=8, classes=3, hidden=16):
    return nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def classifier_world(seed=0, lr=1e-2, batch_size=16, n_train=48, n_val=24, shuffle_generator=True, **loss_options):
    """The objects that training building blocks assume: model, optimizer, criterion, train_loader,
    val_loader, device (3 training batches, 2 validation batches, 8 features, 3 classes)."""
    torch.manual_seed(seed)
    model = tiny_classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = classification_data(n_train + n_val, seed=seed)
    train_options = {"generator": torch.Generator().manual_seed(seed)} if shuffle_generator else {}
    return {
        "model": model,
        "optimizer": optimizer,
        "criterion": CountingLoss(optimizer, **loss_options),
        "train_loader": DataLoader(TensorDataset(x[:n_train], y[:n_train]), batch_size=batch_size, shuffle=True, **train_options),
        "val_loader": DataLoader(TensorDataset(x[n_train:], y[n_train:]), batch_size=batch_size),
        "device": CPU,
    }


def take_steps(world, steps):
    """Trains the world's model for some batches (so that the optimizer has state)."""
    model, optimizer = world["model"], world["optimizer"]
    done = 0
    while done < steps:
        for x, y in world["train_loader"]:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
            done += 1
            if done == steps:
                return


def load_checkpoint(path):
    """torch.load as a test would do it: weights_only where this torch reads floats safely (>= 2.1)."""
    return torch.load(path, map_location=CPU, weights_only=TORCH_VERSION >= (2, 1))


# ------------------------------------------------------------------------------ TensorBoard

def tensorboard_available():
    return importlib.util.find_spec("tensorboard") is not None


def summary_writer_stub():
    """A stand-in torch.utils.tensorboard module for machines without the tensorboard package.
    Its SummaryWriter has the real class's public methods with their real signatures, read from
    torch's own torch/utils/tensorboard/writer.py, and records every call after binding the
    arguments to that signature (so a wrong argument fails as it would for real)."""
    utils_dir = Path(importlib.util.find_spec("torch.utils").submodule_search_locations[0])
    tree = ast.parse((utils_dir / "tensorboard" / "writer.py").read_text(encoding="utf-8"))
    real = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "SummaryWriter")
    signatures = {}
    for node in real.body:
        if isinstance(node, ast.FunctionDef) and (node.name == "__init__" or not node.name.startswith("_")):
            args = node.args
            for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                if arg is not None:
                    arg.annotation = None
            args.defaults = [ast.Constant(None) for _ in args.defaults]
            args.kw_defaults = [None if d is None else ast.Constant(None) for d in args.kw_defaults]
            stub = ast.FunctionDef(name=node.name, args=args, body=[ast.Pass()], decorator_list=[], returns=None,
                                   type_comment=None, **({"type_params": []} if sys.version_info >= (3, 12) else {}))
            module = ast.fix_missing_locations(ast.Module(body=[stub], type_ignores=[]))
            scope = {}
            exec(compile(module, "<SummaryWriter signature>", "exec"), scope)
            signatures[node.name] = inspect.signature(scope[node.name])
    assert {"__init__", "add_scalar", "add_histogram", "flush", "close"} <= set(signatures), sorted(signatures)

    class SummaryWriter:
        calls = []  # every call of every instance: (method, arguments)

        def __init__(self, *args, **kwargs):
            bound = signatures["__init__"].bind(self, *args, **kwargs)
            self.log_dir = bound.arguments.get("log_dir") or os.path.join("runs", "stub")
            os.makedirs(self.log_dir, exist_ok=True)
            SummaryWriter.calls.append(("__init__", dict(bound.arguments)))

        def __getattr__(self, name):
            if name not in signatures:
                raise AttributeError(f"SummaryWriter has no public method {name!r}")

            def method(*args, **kwargs):
                bound = signatures[name].bind(self, *args, **kwargs)
                arguments = dict(bound.arguments)
                arguments.pop("self", None)
                SummaryWriter.calls.append((name, arguments))
            return method

    module = types.ModuleType("torch.utils.tensorboard")
    module.SummaryWriter = SummaryWriter
    return module
