"""TF.js LayersModel folders (model.json + weight shards) in the layout tensorflowjs_converter
gives a Keras .h5, written with numpy from a Keras 2 config and its weights.

Facts followed, read in tensorflow/tfjs (tfjs-converter/python/tensorflowjs/), written from
them, not copied:
- converters/keras_h5_conversion.py, h5_merged_saved_model_to_tfjs_format(): modelTopology =
  {"keras_version", "backend", "model_config"} taken from the .h5's root attributes; weights
  are collected layer group by layer group in the order h5py lists model_weights (names sorted),
  each group in its weight_names order, names without the ":0" suffix.
- converters/keras_h5_conversion.py, write_artifacts(): model.json keys format "layers-model",
  generatedBy "keras v<version>", convertedBy, modelTopology, weightsManifest, written by
  json.dump with default separators.
- write_weights.py: one group; its weights' bytes are concatenated and cut into shards of
  shard_size_bytes (4 MiB by default), named group1-shard<i>of<n>.bin; manifest entries are
  {"name", "shape", "dtype"}.
"""

import json
import math
from pathlib import Path

import numpy as np

from keras2_h5 import BACKEND, KERAS_VERSION

SHARD_BYTES = 4 * 1024 * 1024


def converter_weight_order(layers):
    """[(name without :0, array)] in the order the converter reads a Keras .h5."""
    out = []
    for layer in sorted(layers, key=lambda item: item.name):
        for weight_name, value in layer.weights:
            out.append((weight_name[:-2] if weight_name.endswith(":0") else weight_name, np.asarray(value)))
    return out


def write_layers_model(out_dir, model_config, layers, converted_by, keras_version=KERAS_VERSION,
                       shard_bytes=SHARD_BYTES):
    """Write out_dir/model.json and its shards; returns the model.json dict."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("group*-shard*of*.bin"):
        old.unlink()
    weights = converter_weight_order(layers)
    data = b"".join(np.ascontiguousarray(v, dtype="<f4").tobytes() for _, v in weights)
    count = max(1, math.ceil(len(data) / shard_bytes))
    paths = []
    for i in range(count):
        name = f"group1-shard{i + 1}of{count}.bin"
        (out_dir / name).write_bytes(data[i * shard_bytes:(i + 1) * shard_bytes])
        paths.append(name)
    model_json = {
        "format": "layers-model",
        "generatedBy": f"keras v{keras_version}",
        "convertedBy": converted_by,
        "modelTopology": {"keras_version": keras_version, "backend": BACKEND, "model_config": model_config},
        "weightsManifest": [{"paths": paths, "weights": [
            {"name": n, "shape": list(v.shape), "dtype": "float32"} for n, v in weights]}],
    }
    with open(out_dir / "model.json", "w", encoding="utf-8") as f:
        json.dump(model_json, f)
    return model_json


def read_layers_model(model_dir):
    """(model.json dict, {weight name: array}) read back from a folder written above."""
    model_dir = Path(model_dir)
    doc = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    out = {}
    for group in doc["weightsManifest"]:
        data = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            if spec["dtype"] != "float32" or "quantization" in spec:
                raise ValueError(f"{model_dir}: {spec['name']} is not plain float32")
            n = int(np.prod(spec["shape"], dtype=np.int64))
            if offset + 4 * n > len(data):
                raise ValueError(f"{model_dir}: shards end inside {spec['name']}")
            out[spec["name"]] = np.frombuffer(data, "<f4", n, offset).reshape(spec["shape"])
            offset += 4 * n
        if offset != len(data):
            raise ValueError(f"{model_dir}: {len(data) - offset} bytes in the shards are not in the manifest")
    return doc, out
