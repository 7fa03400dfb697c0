"""Keras-style model configs (as an .h5 file's model_config holds them, Keras 2 snake_case) and the
TF.js side of test_tfjs_layers.py: test/python/harness/tfjs_layers_probe.ts, bundled with the repo's
esbuild and run with node, builds each model the engine's way and predicts."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
PROBE = REPO / "test" / "python" / "harness" / "tfjs_layers_probe.ts"
ESBUILD = REPO / "node_modules" / ".bin" / "esbuild"


def layer(class_name, name, **config):
    return {"class_name": class_name, "name": name, "config": {"name": name, "trainable": True, "dtype": "float32", **config}}


def sequential(input_shape, *layers, input_dtype="float32"):
    """A Sequential model whose first layer carries batch_input_shape, as Keras 2 saves it."""
    first, *rest = layers
    first = {**first, "config": {**first["config"], "batch_input_shape": [None, *input_shape]}}
    if input_dtype != "float32":
        first["config"]["dtype"] = input_dtype
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [first, *rest]}}


class Graph:
    """A Keras 2 functional model config: inputs, then layers called on earlier layers' outputs."""

    def __init__(self):
        self.layers = []
        self.inputs = []

    def input(self, name, shape, dtype="float32"):
        self.layers.append({"class_name": "InputLayer", "name": name, "inbound_nodes": [],
                            "config": {"batch_input_shape": [None, *shape], "dtype": dtype, "sparse": False, "name": name}})
        self.inputs.append([name, 0, 0])
        return name

    def add(self, spec, *inbound, kwargs=None):
        """Calls the layer `spec` on the outputs named in `inbound` (a name, or (name, tensor index))."""
        refs = []
        for ref in inbound:
            name, tensor = (ref, 0) if isinstance(ref, str) else ref
            refs.append([name, 0, tensor, kwargs or {}])
        self.layers.append({**spec, "inbound_nodes": [refs]})
        return spec["name"]

    def model(self, *outputs):
        """outputs: names, (name, tensor index) or (name, tensor index, node index)."""
        refs = [[name, 0, 0] if isinstance(name, str) else [name[0], name[2] if len(name) > 2 else 0, name[1]] for name in outputs]
        return {"class_name": "Model", "config": {"name": "model", "layers": self.layers,
                                                  "input_layers": self.inputs, "output_layers": refs}}


def tensor_json(array, dtype="float32"):
    array = np.asarray(array)
    return {"shape": list(array.shape), "data": array.astype(np.float64).ravel().tolist(), "dtype": dtype}


def probe_case(case_id, topology, weights, inputs, keras_version=None, input_dtypes=None):
    """One entry of the probe's CASES.json. weights: {layer name: [arrays in Keras order]}."""
    dtypes = input_dtypes or ["float32"] * len(inputs)
    case = {
        "id": case_id,
        "topology": topology,
        "weights": {name: [tensor_json(w) for w in values] for name, values in weights.items()},
        "inputs": [tensor_json(x, dtype) for x, dtype in zip(inputs, dtypes)],
    }
    if keras_version:
        case["kerasVersion"] = keras_version
    return case


def bundle_probe(folder):
    """Bundles the probe (and the layers it imports from src/engine/layers) into folder/probe.js."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH", pytrace=False)
    if not ESBUILD.exists():
        pytest.fail(f"{ESBUILD} is missing: the repository's dev dependencies are not installed", pytrace=False)
    bundle = Path(folder) / "probe.js"
    result = subprocess.run(
        [str(ESBUILD), str(PROBE), "--bundle", "--platform=node", "--format=cjs", f"--outfile={bundle}", "--log-level=warning"],
        cwd=REPO, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"esbuild could not bundle the probe:\n{result.stdout}\n{result.stderr}"
    return node, bundle


def run_probe(probe, folder, cases, backend):
    """Runs every case on one TF.js backend with the bundled probe (node, bundle); returns what the
    probe wrote: {"results": {case id: result}, "supported": {...}}."""
    node, bundle = probe
    cases_file = Path(folder) / "cases.json"
    results_file = Path(folder) / f"results-{backend}.json"
    cases_file.write_text(json.dumps(cases), encoding="utf-8")
    result = subprocess.run([node, str(bundle), str(cases_file), str(results_file), backend],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"the probe failed on {backend}:\n{result.stdout}\n{result.stderr}"
    return json.loads(results_file.read_text(encoding="utf-8"))
