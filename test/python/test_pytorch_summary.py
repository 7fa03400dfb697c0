"""PyTorch, TorchScript, ONNX and safetensors files made by Debian's torch
(scripts/models/make_pytorch_models.py), read back by our TypeScript, against torch's own numbers
(`<file>.expected.json` beside each file).

    /usr/bin/python3 -m pytest test/python/test_pytorch_summary.py -q -p no:cacheprovider

Two views:
- `test_module_tree_*`: src/formats/moduleTree.ts, bundled into a small probe, given each file's
  state_dict tensor list as torch reports it (names, shapes, dtypes, shared storages) and no class
  names: the module tree, every class it infers, tied weights and buffers against torch.
- `test_cli_*`: `node dist/cli.js summary FILE --json` (needs `npm run build` with the PyTorch,
  ONNX and safetensors readers wired in): totalParams exactly, each determinable module's class.

Classes the tensors cannot tell exactly, compared as a family (the exceptions, with the reason):
- BatchNorm1d/2d/3d -> `BatchNorm`: running statistics and affine vectors are 1-D whatever the input
  rank, so the dimension is not in the file (a whole-model pickle or TorchScript names it exactly).
- NonDynamicallyQuantizableLinear (MultiheadAttention.out_proj) -> `Linear`: a Linear subclass that
  differs only in how quantization treats it; the tensors are a Linear's.
ONNX files have graph nodes, not modules: only totalParams is checked there, and it counts the
initializers the file holds (the export folds BatchNorm into Conv).
"""
import json
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "dist" / "cli.js"
SCRIPT = ROOT / "scripts" / "models" / "make_pytorch_models.py"
MODULE_TREE = ROOT / "src" / "formats" / "moduleTree.ts"

STATE_DICT_MODELS = ["resnet18", "mobilenet_v2", "transformer", "recurrent", "zoo", "tied"]
FILES = (
    [f"{name}.pth" for name in STATE_DICT_MODELS]
    + [f"{name}_legacy.pth" for name in STATE_DICT_MODELS]
    + ["recurrent_checkpoint.pt", "tiny_cnn_whole.pt", "tiny_cnn_scripted.pt", "tiny_cnn_traced.pt", "tiny_cnn.onnx", "transformer.safetensors"]
)
TORCH_FILES = [name for name in FILES if not name.endswith(".onnx")]

# Classes whose tensors tell them (each must be inferred, never left `Module`).
DETERMINABLE = {
    "Conv1d", "Conv2d", "Conv3d", "Linear", "NonDynamicallyQuantizableLinear", "BatchNorm1d", "BatchNorm2d",
    "BatchNorm3d", "LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "Embedding", "MultiheadAttention", "LayerNorm",
}
# torch's class -> what the tensors can say (see the module docstring).
FAMILY = {
    "BatchNorm1d": "BatchNorm",
    "BatchNorm2d": "BatchNorm",
    "BatchNorm3d": "BatchNorm",
    "NonDynamicallyQuantizableLinear": "Linear",
}

PROBE = """
import {{ readFileSync, writeFileSync }} from 'node:fs';
import {{ bufferPaths, inferModules, linkWeights }} from {module};
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = {{}};
for (const [id, weights] of Object.entries(cases)) {{
  results[id] = {{ modules: inferModules(weights), linked: linkWeights(weights), buffers: [...bufferPaths(weights)] }};
}}
writeFileSync(process.argv[3], JSON.stringify(results));
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("pytorch_models")
    result = subprocess.run(["/usr/bin/python3", str(SCRIPT), str(outdir)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    made = sorted(path.name for path in outdir.iterdir() if not path.name.endswith(".expected.json"))
    assert made == sorted(FILES)
    return outdir


def expected_of(models, name):
    return json.loads((models / f"{name}.expected.json").read_text())


@pytest.fixture(scope="module")
def probe_results(models, tmp_path_factory):
    """moduleTree.ts on every torch file's tensor list, through one esbuild bundle and one node run."""
    work = tmp_path_factory.mktemp("module_tree_probe")
    entry = work / "probe.ts"
    entry.write_text(textwrap.dedent(PROBE.format(module=json.dumps(str(MODULE_TREE)))))
    bundle = work / "probe.js"
    build = (
        "require('esbuild').buildSync({entryPoints: [process.argv[1]], outfile: process.argv[2], bundle: true, "
        "platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error'})"
    )
    subprocess.run(["node", "-e", build, str(entry), str(bundle)], check=True, cwd=ROOT, timeout=120)
    cases = {}
    for name in TORCH_FILES:
        cases[name] = [
            {"path": t["name"], "layer": "", "name": t["name"].rsplit(".", 1)[-1], "shape": t["shape"], "dtype": t["dtype"],
             "bytes": 0, "trainable": True, "storage": str(t["storage"])}
            for t in expected_of(models, name)["tensors"]
        ]
    (work / "cases.json").write_text(json.dumps(cases))
    subprocess.run(["node", str(bundle), str(work / "cases.json"), str(work / "results.json")], check=True, cwd=ROOT, timeout=120)
    return json.loads((work / "results.json").read_text())


def family(torch_class):
    return FAMILY.get(torch_class, torch_class)


# ---------------------------------------------------------------------------- moduleTree.ts


@pytest.mark.parametrize("name", TORCH_FILES)
def test_module_tree_classes_match_torch(models, probe_results, name):
    expected = expected_of(models, name)
    torch_classes = {module["path"]: module["class"] for module in expected["modules"]}
    inferred = {node["id"]: node for node in probe_results[name]["modules"]}
    # Every module with tensors is in the tree, with the class torch has (or its family).
    owners = {t["name"].rsplit(".", 1)[0] for t in expected["tensors"]}
    checked = 0
    for path in owners:
        torch_class = torch_classes[path]
        node = inferred[path]
        assert node["classSource"] == "inferred", path
        if torch_class in DETERMINABLE or node["className"] != "Module":
            assert node["className"] == family(torch_class), f"{path}: torch {torch_class}, inferred {node['className']} {node['settings']}"
            checked += 1
    assert checked == len(owners)  # no module of these models is left undecided
    # Containers are torch modules with children; nothing outside torch's modules.
    for path, node in inferred.items():
        assert path in torch_classes, path
        if node["classSource"] == "container":
            assert path not in owners
            assert next(m for m in expected["modules"] if m["path"] == path)["leaf"] is False, path


@pytest.mark.parametrize("name", TORCH_FILES)
def test_module_tree_params_ties_and_buffers_match_torch(models, probe_results, name):
    expected = expected_of(models, name)
    result = probe_results[name]
    buffers = set(result["buffers"])
    assert buffers == {t["name"] for t in expected["tensors"] if t["buffer"]}
    counted = sum(_numel(w["shape"]) for w in result["linked"] if "sharedWith" not in w and w["path"] not in buffers)
    assert counted == expected["total_params"]
    tied = {w["path"]: w["sharedWith"] for w in result["linked"] if "sharedWith" in w}
    assert tied == ({"head.weight": ["embed"]} if name.startswith("tied") else {})


def test_module_tree_settings_of_real_layers(probe_results):
    resnet = {node["id"]: node for node in probe_results["resnet18.pth"]["modules"]}
    assert resnet["conv1"]["settings"]["kernel_size"] == "7×7"
    assert resnet["layer2.0.downsample.1"]["settings"]["dimension"].endswith("likely 2d)")
    assert resnet["fc"]["settings"] == {"in_features": "512", "out_features": "1000", "bias": "true"}
    recurrent = {node["id"]: node for node in probe_results["recurrent.pth"]["modules"]}
    assert recurrent["lstm"]["settings"] == {"input_size": "16", "hidden_size": "32", "num_layers": "2", "bidirectional": "true", "bias": "true"}
    assert recurrent["projected"]["settings"]["proj_size"] == "10"
    zoo = {node["id"]: node for node in probe_results["zoo.pth"]["modules"]}
    assert (zoo["attention"]["settings"]["kdim"], zoo["attention"]["settings"]["vdim"]) == ("8", "12")
    assert zoo["dense"]["settings"]["weight stored as"].startswith("weight_norm")
    transformer = {node["id"]: node for node in probe_results["transformer.pth"]["modules"]}
    assert transformer["encoder.layers.0.self_attn"]["settings"]["embed_dim"] == "32"


def _numel(shape):
    size = 1
    for dim in shape:
        size *= dim
    return size


# ---------------------------------------------------------------------------- the CLI


def dlkit_summary(path):
    result = subprocess.run(["node", str(CLI), "summary", str(path), "--json"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.stdout, f"no output (exit {result.returncode}): {result.stderr}"
    summary = json.loads(result.stdout)
    assert "error" not in summary, summary["error"]
    return summary


@pytest.mark.parametrize("name", FILES)
def test_cli_total_params_and_classes(models, name):
    expected = expected_of(models, name)
    summary = dlkit_summary(models / name)
    assert summary["totalParams"] == expected["total_params"]
    if name.endswith(".onnx"):
        return
    layers = {layer["id"]: layer for layer in summary["layers"]}
    for module in expected["modules"]:
        if module["class"] in DETERMINABLE:
            layer = layers.get(module["path"])
            assert layer is not None, f"no layer {module['path']}"
            # A pickle or TorchScript names the exact class; tensors alone give the family.
            assert layer["type"] in (module["class"], family(module["class"])), f"{module['path']}: torch {module['class']}, summary {layer['type']}"
