"""`dlkit summary` on real Keras and TF.js files, checked against what Debian's h5py (and plain
json) find stored in the same files: the parameter total must equal the number of weight values
the file really holds, and every model must run in TF.js unless a layer is named as unsupported.

    npm run build && /usr/bin/python3 -m pytest test/python/test_model_summary.py -q -p no:cacheprovider
"""
import io
import json
import math
import subprocess
import zipfile
from pathlib import Path

import h5py
import pytest

from harness.fixtures import REAL_FIXTURES

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "dist" / "cli.js"
FIXTURES = REAL_FIXTURES

KERAS_H5 = sorted((FIXTURES / "keras_h5").glob("*.h*5"))
KERAS_V3 = sorted((FIXTURES / "keras_v3").glob("*.keras"))
TFJS = sorted((FIXTURES / "tfjs_layers").glob("*/model.json")) + sorted((FIXTURES / "tfjs_graph").glob("*/model.json"))


def dlkit_summary(path, *options):
    result = subprocess.run(
        ["node", str(CLI), "summary", str(path), "--json", *options],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert result.stdout, f"no output (exit {result.returncode}): {result.stderr}"
    return result.returncode, json.loads(result.stdout)


def count(shape):
    return math.prod(int(dim) for dim in shape)


def stored_values_h5(group, skip=("optimizer_weights", "optimizer")):
    """Number of values in every dataset below `group`, optimizer state excluded."""
    total = 0

    def visit(name, item):
        nonlocal total
        if isinstance(item, h5py.Dataset) and name.split("/")[0] not in skip:
            total += count(item.shape)

    group.visititems(visit)
    return total


def stored_values_keras_h5(path):
    with h5py.File(path, "r") as file:
        return stored_values_h5(file["model_weights"] if "model_weights" in file else file)


def stored_values_keras_v3(path):
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(data), "r") as file:
        return stored_values_h5(file)


def stored_values_tfjs(path):
    manifest = json.loads(Path(path).read_text())["weightsManifest"]
    return sum(count(weight["shape"]) for group in manifest for weight in group["weights"])


CASES = (
    [(path, stored_values_keras_h5) for path in KERAS_H5]
    + [(path, stored_values_keras_v3) for path in KERAS_V3]
    + [(path, stored_values_tfjs) for path in TFJS]
)


def test_every_kind_of_fixture_is_present():
    assert len(KERAS_H5) >= 7 and len(KERAS_V3) >= 1 and len(TFJS) >= 3


@pytest.mark.parametrize("path,stored", CASES, ids=[f"{p.parent.name}/{p.name}" for p, _ in CASES])
def test_total_params_equal_the_values_stored_in_the_file(path, stored):
    code, summary = dlkit_summary(path)
    assert code == 0, summary
    assert summary["totalParams"] == stored(path)
    assert summary["trainableParams"] + summary["nonTrainableParams"] == summary["totalParams"]
    assert summary["format"] and summary["producer"]


@pytest.mark.parametrize("path", [p for p, _ in CASES], ids=[f"{p.parent.name}/{p.name}" for p, _ in CASES])
def test_every_model_runs_unless_a_layer_is_named_unsupported(path):
    code, summary = dlkit_summary(path, "--run", "--batch", "2", "--dim", "8")
    if summary["format"] == "keras-h5-weights":
        assert code == 1 and "architecture" in summary["runError"]
        return
    if summary["unsupportedLayers"]:
        assert code == 1
        for name in summary["unsupportedLayers"]:
            assert name in summary["runError"]
        return
    assert code == 0, summary.get("runError")
    run = summary["run"]
    assert run["backend"] == "wasm"
    assert run["outputShapes"] and all(shape[0] == 2 for shape in run["outputShapes"])
    assert run["firstMs"] > 0 and run["warmMs"] > 0
    for output in run["outputs"]:
        assert all(math.isfinite(value) for value in output["values"]), output


# PyTorch and ONNX: torch.load / onnx.load are the referees.
PYTORCH = sorted((FIXTURES / "pytorch").glob("*.*"))
ONNX = sorted((FIXTURES / "onnx").glob("*.onnx"))
BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def torch_parameters(path):
    """Values of the parameters torch finds in the file's state_dict (buffers are not parameters)."""
    import torch

    loaded = torch.load(path, map_location="cpu")
    state = loaded.get("state_dict", loaded) if isinstance(loaded, dict) else loaded
    return sum(t.numel() for name, t in state.items() if torch.is_tensor(t) and not name.endswith(BUFFERS))


def onnx_initializer_values(path):
    import onnx

    model = onnx.load(str(path))
    return sum(math.prod(init.dims) for init in model.graph.initializer)


def test_every_pytorch_and_onnx_fixture_is_present():
    assert len(PYTORCH) >= 3 and len(ONNX) >= 2


@pytest.mark.parametrize("path", PYTORCH, ids=[p.name for p in PYTORCH])
def test_pytorch_fixture_params_equal_what_torch_loads(path):
    code, summary = dlkit_summary(path)
    assert code == 0, summary
    assert summary["framework"] == "pytorch"
    assert summary["totalParams"] == torch_parameters(path)
    assert all(layer["type"] != "" for layer in summary["layers"])


@pytest.mark.parametrize("path", ONNX, ids=[p.name for p in ONNX])
def test_onnx_fixture_params_equal_its_initializers(path):
    code, summary = dlkit_summary(path)
    assert code == 0, summary
    assert summary["format"] == "onnx"
    assert summary["totalParams"] == onnx_initializer_values(path)
    assert summary["onnx"]["opsets"]
