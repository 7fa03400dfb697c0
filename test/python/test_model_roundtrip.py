"""Round trip: models built with tfjs-layers for the five architectures (scripts/models/
build_tfjs_models.mjs), saved by tfjs as TF.js files and written as Keras 2 .h5 files with Debian's
h5py (scripts/models/tfjs_to_keras_h5.py). `dlkit summary --run` must find the same parameter
count as tfjs' own countParams() in both files, and both files must give the same outputs for the
same seeded input.

    npm run build && /usr/bin/python3 -m pytest test/python/test_model_roundtrip.py -q -p no:cacheprovider
"""
import json
import math
import subprocess
from pathlib import Path

import pytest

from harness.scaffolds import PYTHON

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "dist" / "cli.js"
MODELS = ["cnn", "rnn", "gan_generator", "gan_discriminator", "transformer", "autoencoder"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roundtrip")
    subprocess.run(["node", str(ROOT / "scripts/models/build_tfjs_models.mjs"), str(folder)], check=True, cwd=ROOT, capture_output=True)
    subprocess.run([PYTHON, str(ROOT / "scripts/models/tfjs_to_keras_h5.py"), "--all", str(folder)], check=True, cwd=ROOT, capture_output=True)
    return folder


def summarise(path):
    result = subprocess.run(
        ["node", str(CLI), "summary", str(path), "--json", "--run", "--input", "uniform", "--batch", "2", "--dim", "6"],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_all_five_architectures_are_built(built):
    assert sorted(p.name for p in built.iterdir() if p.is_dir()) == sorted(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_tfjs_and_keras_h5_files_agree(built, name):
    reference = json.loads((built / name / "reference.json").read_text())
    from_tfjs = summarise(built / name / "tfjs" / "model.json")
    from_h5 = summarise(built / name / "keras2.h5")

    assert from_tfjs["format"] == "tfjs-layers" and from_h5["format"] == "keras-h5"
    assert from_tfjs["totalParams"] == from_h5["totalParams"] == reference["countParams"]
    assert from_tfjs["trainableParams"] == from_h5["trainableParams"]
    assert [layer["params"] for layer in from_tfjs["layers"] if layer["params"]] == \
        [layer["params"] for layer in from_h5["layers"] if layer["params"]]

    tfjs_run, h5_run = from_tfjs["run"], from_h5["run"]
    assert tfjs_run["outputShapes"] == h5_run["outputShapes"]
    for a, b in zip(tfjs_run["outputs"], h5_run["outputs"]):
        assert len(a["values"]) == len(b["values"]) > 0
        for x, y in zip(a["values"], b["values"]):
            assert math.isclose(x, y, rel_tol=1e-5, abs_tol=1e-6), (a["values"], b["values"])


@pytest.mark.parametrize("name", MODELS)
def test_static_output_shapes_match_what_tfjs_built(built, name):
    """The summary's shapes come from our own rules, without TF.js: tfjs-layers is the referee."""
    reference = json.loads((built / name / "reference.json").read_text())
    layers = {layer["id"]: layer for layer in summarise(built / name / "keras2.h5")["layers"]}
    for expected in reference["layers"]:
        layer = layers[expected["name"]]
        assert layer["outputShape"] == expected["outputShape"], (expected["name"], layer["outputShape"])
        assert layer["params"] == expected["params"], expected["name"]
