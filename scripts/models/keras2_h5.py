"""Keras 2 full-model HDF5 files (what tf.keras 2.15 `model.save("x.h5")` writes), with h5py.

Used by tfjs_to_keras_h5.py, make_bench_models.py and scripts/demo/make_demo.py. Run with
Debian's Python (/usr/bin/python3: h5py 3.7, numpy).

Facts this layout relies on, read in keras-team/tf-keras (written from them, not copied):

- tf_keras/saving/legacy/saving_utils.py, model_metadata(): the root attributes are
  keras_version (str), backend (str) and model_config = {"class_name": <model class>,
  "config": model.get_config()}; training_config only when the model was compiled.
- tf_keras/saving/legacy/hdf5_format.py, save_model_to_hdf5(): dict-valued metadata is stored
  as json.dumps(value).encode("utf8") (bytes), the other values as they are (str). Then group
  "model_weights" is filled by save_weights_to_hdf5_group().
- save_weights_to_hdf5_group(): attribute layer_names = [layer.name.encode("utf8") for layer in
  model.layers] (a Sequential's model.layers has no InputLayer, a Functional's has them);
  attributes backend and keras_version as utf8-encoded bytes; one group per layer, created in
  sorted-name order; then group "top_level_model_weights" with the model's own weights (none
  for Sequential/Functional models).
- save_subset_weights_to_hdf5_group(): attribute weight_names = [w.name.encode("utf8")] and one
  dataset per weight *named by the weight's full name*. As the name holds "/", the dataset for
  "dense/kernel:0" lands at model_weights/dense/dense/kernel:0.
- _legacy_weights(layer) = layer.trainable_weights + layer.non_trainable_weights. For a nested
  model (a Sequential or Functional used as a layer) that is ALL trainable weights of all its
  sublayers, in layer order, then all non-trainable ones: one group named after the nested
  model holds them, e.g. model_weights/encoder/ with weight_names [dense/kernel:0, dense/bias:0,
  batch_normalization/gamma:0, batch_normalization/beta:0, ..., batch_normalization/moving_mean:0,
  batch_normalization/moving_variance:0] and datasets model_weights/encoder/dense/kernel:0, ...
  (preprocess_weights_for_loading's convert_nested_model() splits such a list back the same way).
- tf_keras/engine/base_layer.py, Layer._name_scope(): a variable is named
  "<enclosing name scopes>/<layer>/<weight>:0". A nested model built on its own Input creates
  its variables outside any enclosing scope, so its sublayers' weights are "<sublayer>/<w>:0".
- tf_keras/layers/rnn/lstm.py and gru.py create their cell with name="lstm_cell" /
  name="gru_cell", so RNN weights are "lstm/lstm_cell/kernel:0", "gru/gru_cell/bias:0", ...
- save_attributes_to_hdf5_group(): if numpy.asarray(names).nbytes exceeds 64512 (the HDF5
  object-header limit), the list is split with numpy.array_split into attributes name0,
  name1, ... (numpy 'S' arrays); a single name over the limit is an error.

How h5py 3 stores those Python values (checked with h5py 3.7 against the tf.keras 2.11 file
shared/fixtures/real/keras_h5/tfk2110_attention.h5): str -> variable-length UTF-8 string;
bytes and lists of bytes -> variable-length ASCII strings; numpy 'S' arrays (the chunked case)
-> fixed-length NUL-padded strings; an empty list (weight_names of a layer without weights)
-> float64 array of shape (0,).
"""

import json
from dataclasses import dataclass, field

import h5py
import numpy as np

KERAS_VERSION = "2.15.0"
BACKEND = "tensorflow"
HDF5_OBJECT_HEADER_LIMIT = 64512


@dataclass
class LayerWeights:
    """One entry of model.layers and the weights Keras saves for it, in saving order."""
    name: str
    weights: list = field(default_factory=list)  # [(full weight name "layer/kernel:0", ndarray)]


def set_name_list_attr(group, name, values):
    """Store a list of names the way Keras does (chunked into name0, name1, ... when large)."""
    data = [v.encode("utf8") for v in values]
    too_long = [v for v in data if len(v) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(f"names longer than {HDF5_OBJECT_HEADER_LIMIT} bytes cannot be stored: {too_long[:1]}")
    as_array = np.asarray(data)
    chunks = 1
    parts = np.array_split(as_array, chunks)
    while any(p.nbytes > HDF5_OBJECT_HEADER_LIMIT for p in parts):
        chunks += 1
        parts = np.array_split(as_array, chunks)
    if chunks == 1:
        group.attrs[name] = data
    else:
        for i, part in enumerate(parts):
            group.attrs[f"{name}{i}"] = part


def write_model_h5(path, model_config, layers, keras_version=KERAS_VERSION):
    """Write a Keras 2 full-model .h5 (no training_config, no optimizer weights).

    model_config: {"class_name": ..., "config": ...} in Keras 2 spelling.
    layers: [LayerWeights] in model.layers order.
    """
    names = [layer.name for layer in layers]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate layer names in {names}")
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = keras_version
        f.attrs["backend"] = BACKEND
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        root = f.create_group("model_weights")
        set_name_list_attr(root, "layer_names", names)
        root.attrs["backend"] = BACKEND.encode("utf8")
        root.attrs["keras_version"] = keras_version.encode("utf8")
        for layer in sorted(layers, key=lambda item: item.name):
            g = root.create_group(layer.name)
            set_name_list_attr(g, "weight_names", [w for w, _ in layer.weights])
            for weight_name, value in layer.weights:
                value = np.asarray(value)
                dset = g.create_dataset(weight_name, value.shape, dtype=value.dtype)
                if value.shape:
                    dset[:] = value
                else:
                    dset[()] = value
        top = root.create_group("top_level_model_weights")
        set_name_list_attr(top, "weight_names", [])


# ---------------------------------------------------------------------------------------------
# Reading back (for the checks)
# ---------------------------------------------------------------------------------------------

def as_text(value):
    return value.decode("utf8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def string_attr_kind(obj, name):
    """'vlen-utf8', 'vlen-ascii', 'fixed-ascii', 'fixed-utf8', or the numpy dtype for non-strings."""
    attr = obj.attrs.get_id(name)
    tid = attr.get_type()
    if tid.get_class() != h5py.h5t.STRING:
        return str(attr.dtype)
    cset = "utf8" if tid.get_cset() == h5py.h5t.CSET_UTF8 else "ascii"
    return f"{'vlen' if tid.is_variable_str() else 'fixed'}-{cset}"


def read_name_list_attr(group, name):
    if name in group.attrs:
        return [as_text(v) for v in group.attrs[name]]
    out, i = [], 0
    while f"{name}{i}" in group.attrs:
        out.extend(as_text(v) for v in group.attrs[f"{name}{i}"])
        i += 1
    return out


def read_model_h5(path):
    """The structure of a Keras 2 full-model file, for comparisons."""
    with h5py.File(path, "r") as f:
        root = f["model_weights"]
        layer_names = read_name_list_attr(root, "layer_names")
        layers = []
        for name in layer_names:
            g = root[name]
            weight_names = read_name_list_attr(g, "weight_names")
            layers.append(LayerWeights(name, [(w, np.asarray(g[w])) for w in weight_names]))
        return {
            "keras_version": as_text(f.attrs["keras_version"]),
            "backend": as_text(f.attrs["backend"]),
            "model_config": json.loads(as_text(f.attrs["model_config"])),
            "has_training_config": "training_config" in f.attrs,
            "attr_kinds": {
                "keras_version": string_attr_kind(f, "keras_version"),
                "backend": string_attr_kind(f, "backend"),
                "model_config": string_attr_kind(f, "model_config"),
                "model_weights/backend": string_attr_kind(root, "backend"),
                "model_weights/keras_version": string_attr_kind(root, "keras_version"),
                "model_weights/layer_names": (string_attr_kind(root, "layer_names")
                                              if "layer_names" in root.attrs else "chunked"),
            },
            "group_keras_version": as_text(root.attrs["keras_version"]),
            "group_backend": as_text(root.attrs["backend"]),
            "layers": layers,
            "top_level_weight_names": read_name_list_attr(root["top_level_model_weights"], "weight_names"),
        }


def compare_with_intent(path, model_config, layers, keras_version=KERAS_VERSION):
    """Read `path` back and list every difference from what was meant to be written."""
    got = read_model_h5(path)
    problems = []
    if got["keras_version"] != keras_version or got["group_keras_version"] != keras_version:
        problems.append(f"keras_version {got['keras_version']!r} / {got['group_keras_version']!r}")
    if got["backend"] != BACKEND or got["group_backend"] != BACKEND:
        problems.append(f"backend {got['backend']!r}")
    if got["model_config"] != model_config:
        problems.append("model_config differs after the JSON round trip")
    if got["has_training_config"]:
        problems.append("training_config should be absent")
    expected_kinds = {"keras_version": "vlen-utf8", "backend": "vlen-utf8", "model_config": "vlen-ascii",
                      "model_weights/backend": "vlen-ascii", "model_weights/keras_version": "vlen-ascii"}
    for key, kind in expected_kinds.items():
        if got["attr_kinds"][key] != kind:
            problems.append(f"attribute {key} stored as {got['attr_kinds'][key]}, Keras writes {kind}")
    if [l.name for l in got["layers"]] != [l.name for l in layers]:
        problems.append("layer_names differ")
    for want, have in zip(layers, got["layers"]):
        if [w for w, _ in want.weights] != [w for w, _ in have.weights]:
            problems.append(f"{want.name}: weight_names {[w for w, _ in have.weights]}")
            continue
        for (wname, a), (_, b) in zip(want.weights, have.weights):
            a = np.asarray(a)
            if a.shape != b.shape or a.dtype != b.dtype or not np.array_equal(a, b):
                problems.append(f"{want.name}/{wname}: stored values differ")
    if got["top_level_weight_names"]:
        problems.append("top_level_model_weights should be empty")
    return got, problems
