#!/usr/bin/python3
"""Rewrite a TF.js LayersModel (model.json + weight shards) as a Keras 2 full-model .h5.

    /usr/bin/python3 scripts/models/tfjs_to_keras_h5.py MODEL_JSON OUT_H5
    /usr/bin/python3 scripts/models/tfjs_to_keras_h5.py --all OUTDIR   # OUTDIR/*/tfjs/model.json
                                                                       #   -> OUTDIR/*/keras2.h5

The file has the layout tf.keras 2.15 `model.save("x.h5")` gives (see keras2_h5.py for the
facts it follows): model_config is the TF.js topology in Keras 2 spelling, no training_config.
Every file written is read back with h5py and compared with what was meant; a table is printed.

TF.js topologies already use Keras's snake_case keys. What differs from a Keras 2 config, and is
converted here:
- a Functional model is "Model" in tfjs-layers and "Functional" in Keras >= 2.4;
- Keras 2 Sequential configs start with an InputLayer entry (named "<first layer>_input" when the
  first layer was given input_shape) and then still keep batch_input_shape on the first layer;
- Keras 2 layer configs always carry name, trainable and dtype (first, in that order); InputLayer
  configs carry ragged; RNN layers carry time_major;
- tfjs writes null for a few settings it leaves at its own default: Embedding mask_zero (off),
  LSTM unit_forget_bias (off), LSTM/GRU implementation (unused by tfjs): written as False,
  False and 2 (Keras 2's default) so that Keras 2 can read them.
- weights named "<layer>/<weight>" (tfjs-layers) or "<model>/<layer>/<weight>" (converter output
  of Keras 3 models) become Keras 2 variable names "<layer>/<weight>:0"; LSTM/GRU/SimpleRNN
  weights live in the cell: "lstm/lstm_cell/kernel:0".
Topologies the converter took from Keras 3 are brought back to Keras 2 spelling where that is a
renaming (batch_shape -> batch_input_shape, DTypePolicy objects -> their name, no module /
registered_name / build_config); Keras 3 functional call records (inbound_nodes with "args") are
refused rather than half converted.
"""

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True
import keras2_h5  # noqa: E402

MODEL_CLASSES = {"Sequential", "Model", "Functional"}
RNN_CELLS = {"LSTM": "lstm_cell", "GRU": "gru_cell", "SimpleRNN": "simple_rnn_cell"}
NON_TRAINABLE_WEIGHTS = {"moving_mean", "moving_variance"}
# Settings tfjs serializes as null (meaning: its default) and the value Keras 2 writes instead.
NULL_TO_KERAS2 = {
    "Embedding": {"mask_zero": False},
    "LSTM": {"unit_forget_bias": False, "implementation": 2},
    "GRU": {"implementation": 2},
    "SimpleRNN": {},
}
DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4"), "bool": np.dtype("u1")}
QUANTIZED = {"uint8": np.dtype("u1"), "uint16": np.dtype("<u2"), "float16": np.dtype("<f2")}


class ConversionError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Reading model.json and its shards
# ---------------------------------------------------------------------------------------------

def read_tfjs(model_json):
    """(model_config {"class_name", "config"}, [(weight name, ndarray)]) of a TF.js LayersModel."""
    model_json = Path(model_json)
    try:
        doc = json.loads(model_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConversionError(f"{model_json}: cannot read model.json: {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("modelTopology"), dict):
        raise ConversionError(f"{model_json}: no modelTopology object")
    if doc.get("format") not in (None, "layers-model"):
        raise ConversionError(f"{model_json}: format {doc.get('format')!r} is not a LayersModel")
    topology = doc["modelTopology"]
    config = topology.get("model_config", topology)  # converter output wraps it in model_config
    if not isinstance(config, dict) or config.get("class_name") not in MODEL_CLASSES:
        raise ConversionError(f"{model_json}: the topology is not a Sequential or Functional model")
    weights = []
    for group in doc.get("weightsManifest", []):
        weights.extend(_read_group(model_json, group))
    return {"class_name": config["class_name"], "config": config["config"]}, weights


def _read_group(model_json, group):
    base = model_json.parent.resolve()
    files = []
    for p in group.get("paths", []):
        f = (base / p).resolve()
        if base not in f.parents:
            raise ConversionError(f"{model_json}: weight path {p!r} leaves the model's folder")
        files.append(f)
    sizes = [f.stat().st_size for f in files]
    specs = []
    total = 0
    for spec in group.get("weights", []):
        shape = spec.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ConversionError(f"{model_json}: weight {spec.get('name')!r} has shape {shape!r}")
        quant = spec.get("quantization")
        dtype = QUANTIZED.get(quant.get("dtype")) if quant else DTYPES.get(spec.get("dtype"))
        if dtype is None:
            raise ConversionError(f"{model_json}: weight {spec.get('name')!r}: unsupported dtype "
                                  f"{(quant or spec).get('dtype')!r}")
        nbytes = math.prod(shape) * dtype.itemsize
        specs.append((spec, shape, dtype, total, nbytes))
        total += nbytes
        if total > sum(sizes):
            raise ConversionError(f"{model_json}: the manifest describes more bytes than the shards "
                                  f"{[f.name for f in files]} hold ({sum(sizes)})")
    if total != sum(sizes):
        raise ConversionError(f"{model_json}: the manifest describes {total} bytes, the shards "
                              f"{[str(f.name) for f in files]} hold {sum(sizes)}")
    data = b"".join(f.read_bytes() for f in files)
    out = []
    for spec, shape, dtype, offset, nbytes in specs:
        raw = np.frombuffer(data, dtype=dtype, count=nbytes // dtype.itemsize, offset=offset)
        quant = spec.get("quantization")
        if quant and quant["dtype"] == "float16":
            value = raw.astype(np.float32)
        elif quant:
            value = (raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"]))
        elif spec.get("dtype") == "bool":
            value = raw.astype(bool)
        else:
            value = raw.copy()
        out.append((spec["name"], value.reshape(shape)))
    return out


# ---------------------------------------------------------------------------------------------
# Topology -> Keras 2 config
# ---------------------------------------------------------------------------------------------

KERAS3_ONLY_KEYS = {"module", "registered_name", "build_config", "compile_config", "shared_object_id"}


def _without_keras3_spelling(value):
    """Keras 3 serialization details that are pure renamings of Keras 2 ones, undone (recursive)."""
    if isinstance(value, list):
        return [_without_keras3_spelling(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and isinstance(value.get("config"), dict):
        return value["config"].get("name", "float32")
    out = {}
    for key, item in value.items():
        if key in KERAS3_ONLY_KEYS:
            continue
        out["batch_input_shape" if key == "batch_shape" else key] = _without_keras3_spelling(item)
    return out


def _keras2_layer_config(class_name, config):
    config = _without_keras3_spelling(dict(config))
    for key, value in NULL_TO_KERAS2.get(class_name, {}).items():
        if config.get(key) is None:
            config[key] = value
    if class_name in RNN_CELLS:
        config.setdefault("time_major", False)
    if class_name == "InputLayer":
        config.setdefault("ragged", False)
        order = ["batch_input_shape", "dtype", "sparse", "ragged", "name"]
    else:
        config.setdefault("trainable", True)
        config.setdefault("dtype", "float32")
        order = ["name", "trainable", "dtype"]
    head = {k: config[k] for k in order if k in config}
    head.update((k, v) for k, v in config.items() if k not in head)
    return head


def keras2_model_config(model):
    """{"class_name", "config"} of a tfjs model topology, in Keras 2 spelling (recursive)."""
    class_name = "Functional" if model["class_name"] == "Model" else model["class_name"]
    config = {k: _without_keras3_spelling(v) for k, v in model["config"].items() if k != "layers"}
    config["layers"] = model["config"]["layers"]
    if class_name == "Sequential":
        layers = [_keras2_entry(layer, functional=False) for layer in config["layers"]]
        first = layers[0] if layers else None
        if first and first["class_name"] != "InputLayer" and "batch_input_shape" in first["config"]:
            layers.insert(0, {"class_name": "InputLayer", "config": {
                "batch_input_shape": first["config"]["batch_input_shape"],
                "dtype": first["config"].get("dtype", "float32"),
                "sparse": False, "ragged": False, "name": f"{first['config']['name']}_input"}})
        config["layers"] = layers
    else:
        config["layers"] = [_keras2_entry(layer, functional=True) for layer in config["layers"]]
    return {"class_name": class_name, "config": config}


def _keras2_entry(layer, functional):
    if layer["class_name"] in MODEL_CLASSES:
        entry = keras2_model_config(layer)
    else:
        entry = {"class_name": layer["class_name"],
                 "config": _keras2_layer_config(layer["class_name"], layer["config"])}
    if functional:
        nodes = layer.get("inbound_nodes", [])
        if any(isinstance(node, dict) for node in nodes):
            raise ConversionError(f"layer {entry['config']['name']!r}: Keras 3 call records in inbound_nodes "
                                  "are not converted")
        entry["name"] = layer.get("name", entry["config"]["name"])
        entry["inbound_nodes"] = nodes
    return entry


# ---------------------------------------------------------------------------------------------
# Weights -> model.layers groups
# ---------------------------------------------------------------------------------------------

def model_layers(model_config):
    """Entries of model.layers: a Sequential's list without its InputLayer, a Functional's all."""
    layers = model_config["config"]["layers"]
    if model_config["class_name"] == "Sequential":
        return [layer for layer in layers if layer["class_name"] != "InputLayer"]
    return layers


def _leaves(entry, trainable=True):
    """(name, class_name, trainable) of every non-model layer inside entry, in order."""
    trainable = trainable and entry["config"].get("trainable", True)
    if entry["class_name"] in MODEL_CLASSES:
        out = []
        for child in model_layers(entry):
            out.extend(_leaves(child, trainable))
        return out
    return [(entry["config"]["name"], entry["class_name"], trainable)]


def keras_weight_groups(model_config, tfjs_weights, source):
    """[LayerWeights] in model.layers order, weights in Keras's saving order and names."""
    top = model_layers(model_config)
    leaf_info = {}
    for entry in top:
        for name, class_name, trainable in _leaves(entry):
            if name in leaf_info:
                raise ConversionError(f"{source}: layer name {name!r} occurs twice")
            leaf_info[name] = (class_name, trainable, entry["config"]["name"])
    per_leaf = {name: [] for name in leaf_info}
    for tfjs_name, value in tfjs_weights:
        parts = tfjs_name.split("/")
        owner = next((i for i in range(len(parts) - 2, -1, -1) if parts[i] in leaf_info), None)
        if owner is None:
            raise ConversionError(f"{source}: weight {tfjs_name!r} belongs to no layer of the model")
        leaf = parts[owner]
        class_name, trainable, _ = leaf_info[leaf]
        tail = parts[owner + 1:]
        if class_name in RNN_CELLS:
            keras_name = f"{leaf}/{RNN_CELLS[class_name]}/{tail[-1]}:0"
        else:
            keras_name = f"{leaf}/{'/'.join(tail)}:0"
        is_trainable = trainable and tail[-1] not in NON_TRAINABLE_WEIGHTS
        if any(n == keras_name for n, _, _ in per_leaf[leaf]):
            raise ConversionError(f"{source}: two weights map to {keras_name!r}")
        per_leaf[leaf].append((keras_name, value, is_trainable))
    groups = []
    for entry in top:
        leaves = [name for name, _, _ in _leaves(entry)]
        trainable = [(n, v) for leaf in leaves for n, v, t in per_leaf[leaf] if t]
        frozen = [(n, v) for leaf in leaves for n, v, t in per_leaf[leaf] if not t]
        groups.append(keras2_h5.LayerWeights(entry["config"]["name"], trainable + frozen))
    return groups


def convert(model_json, out_h5):
    source = Path(model_json)
    tfjs_config, tfjs_weights = read_tfjs(source)
    model_config = keras2_model_config(tfjs_config)
    groups = keras_weight_groups(model_config, tfjs_weights, source)
    Path(out_h5).parent.mkdir(parents=True, exist_ok=True)
    keras2_h5.write_model_h5(out_h5, model_config, groups)
    got, problems = keras2_h5.compare_with_intent(out_h5, model_config, groups)
    tfjs_total = sum(v.size for _, v in tfjs_weights)
    h5_total = sum(np.asarray(v).size for g in got["layers"] for _, v in g.weights)
    if tfjs_total != h5_total:
        problems.append(f"{tfjs_total} weight elements in TF.js, {h5_total} in the .h5")
    nested = [g.name for g, e in zip(groups, model_layers(model_config)) if e["class_name"] in MODEL_CLASSES]
    return {
        "model": str(source),
        "out": str(out_h5),
        "class": model_config["class_name"],
        "layers": len(groups),
        "nested": nested,
        "weights": sum(len(g.weights) for g in groups),
        "params": h5_total,
        "bytes": Path(out_h5).stat().st_size,
        "string_attrs": "/".join(sorted(set(got["attr_kinds"].values()))),
        "problems": problems,
    }


def print_table(rows):
    header = ["model.json", "class", "layers", "nested groups", "weights", "elements", "h5 bytes", "read back"]
    lines = [[r["model"], r["class"], str(r["layers"]), ",".join(r["nested"]) or "-", str(r["weights"]),
              str(r["params"]), str(r["bytes"]), "ok" if not r["problems"] else "DIFFERS"] for r in rows]
    widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--all", metavar="OUTDIR", help="convert OUTDIR/*/tfjs/model.json to OUTDIR/*/keras2.h5")
    ap.add_argument("model_json", nargs="?")
    ap.add_argument("out_h5", nargs="?")
    args = ap.parse_args()
    if args.all:
        jobs = [(p, p.parent.parent / "keras2.h5") for p in sorted(Path(args.all).glob("*/tfjs/model.json"))]
        if not jobs:
            ap.error(f"no */tfjs/model.json under {args.all}")
    elif args.model_json and args.out_h5:
        jobs = [(Path(args.model_json), Path(args.out_h5))]
    else:
        ap.error("give MODEL_JSON OUT_H5, or --all OUTDIR")
    rows = []
    try:
        for model_json, out_h5 in jobs:
            rows.append(convert(model_json, out_h5))
    except ConversionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print_table(rows)
    problems = [f"{r['out']}: {p}" for r in rows for p in r["problems"]]
    if problems:
        print("\nPROBLEMS:\n- " + "\n- ".join(problems))
        return 1
    print(f"\nstring attributes as Keras writes them ({rows[0]['string_attrs']}); every file read back equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
