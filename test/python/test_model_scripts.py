#!/usr/bin/python3
"""Tests of the model-file writers in scripts/models/:

    /usr/bin/python3 -m pytest test/python/test_model_scripts.py -q
"""

import json
import sys
import tempfile
import unittest
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "models"))
sys.dont_write_bytecode = True
import keras2_h5  # noqa: E402
import tfjs_to_keras_h5 as conv  # noqa: E402
import tfjs_writer  # noqa: E402
from keras2_config import ModelBuilder  # noqa: E402


def dense(name, units, **extra):
    return {"class_name": "Dense", "config": {"units": units, "activation": "linear", "use_bias": True,
                                              "name": name, "trainable": True, **extra}}


def bn(name):
    return {"class_name": "BatchNormalization", "config": {"axis": -1, "name": name, "trainable": True}}


def write_tfjs(folder, topology, weights, fmt="layers-model", paths=("weights.bin",), data=None):
    """A model.json the way tfjs-layers saves one; weights: [(name, array)] in manifest order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    blob = b"".join(np.asarray(v, "<f4").tobytes() for _, v in weights) if data is None else data
    (folder / "weights.bin").write_bytes(blob)
    doc = {"modelTopology": topology, "format": fmt, "generatedBy": "TensorFlow.js tfjs-layers v4.22.0",
           "convertedBy": None, "weightsManifest": [{"paths": list(paths), "weights": [
               {"name": n, "shape": list(np.shape(v)), "dtype": "float32"} for n, v in weights]}]}
    (folder / "model.json").write_text(json.dumps(doc))
    return folder / "model.json"


def autoencoder_topology():
    encoder = {"class_name": "Sequential", "config": {"name": "encoder", "layers": [
        dense("dense", 3, batch_input_shape=[None, 4], dtype="float32"), bn("batch_normalization"),
        dense("dense_1", 2)]}}
    decoder = {"class_name": "Sequential", "config": {"name": "decoder", "layers": [
        dense("dense_2", 4, batch_input_shape=[None, 2], dtype="float32")]}}
    return {"class_name": "Sequential", "config": {"name": "autoencoder", "layers": [encoder, decoder]},
            "keras_version": "tfjs-layers 4.22.0", "backend": "tensor_flow.js"}


def autoencoder_weights():
    """In tfjs's save order: every trainable weight, then every non-trainable one."""
    r = np.random.default_rng(0)
    w = lambda *s: r.standard_normal(s).astype(np.float32)  # noqa: E731
    return [("dense/kernel", w(4, 3)), ("dense/bias", w(3)), ("batch_normalization/gamma", w(3)),
            ("batch_normalization/beta", w(3)), ("dense_1/kernel", w(3, 2)), ("dense_1/bias", w(2)),
            ("dense_2/kernel", w(2, 4)), ("dense_2/bias", w(4)),
            ("batch_normalization/moving_mean", w(3)), ("batch_normalization/moving_variance", w(3))]


class Keras2H5Tests(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())

    def test_name_lists_are_stored_as_keras_stores_them(self):
        with h5py.File(self.tmp / "a.h5", "w") as f:
            many = [f"layer_with_a_rather_long_name_{i:05d}" for i in range(3000)]  # > 64512 bytes
            keras2_h5.set_name_list_attr(f, "layer_names", many)
            keras2_h5.set_name_list_attr(f, "few", ["dense", "dense_1"])
            keras2_h5.set_name_list_attr(f, "none", [])
        with h5py.File(self.tmp / "a.h5", "r") as f:
            self.assertNotIn("layer_names", f.attrs)
            chunks = sorted(k for k in f.attrs if k.startswith("layer_names"))
            self.assertGreater(len(chunks), 1)
            self.assertTrue(all(keras2_h5.string_attr_kind(f, k) == "fixed-ascii" for k in chunks))
            self.assertEqual(keras2_h5.read_name_list_attr(f, "layer_names"), many)
            self.assertEqual(keras2_h5.string_attr_kind(f, "few"), "vlen-ascii")
            self.assertEqual(keras2_h5.read_name_list_attr(f, "few"), ["dense", "dense_1"])
            self.assertEqual((f.attrs["none"].dtype, f.attrs["none"].shape), (np.float64, (0,)))

    def test_nested_model_weights_live_under_the_nested_group(self):
        config = {"class_name": "Sequential", "config": {"name": "m", "layers": []}}
        k = np.arange(6, dtype=np.float32).reshape(2, 3)
        layers = [keras2_h5.LayerWeights("encoder", [("dense/kernel:0", k), ("bn/moving_mean:0", k[0])]),
                  keras2_h5.LayerWeights("flatten", [])]
        path = self.tmp / "m.h5"
        keras2_h5.write_model_h5(path, config, layers)
        _, problems = keras2_h5.compare_with_intent(path, config, layers)
        self.assertEqual(problems, [])
        with h5py.File(path, "r") as f:
            np.testing.assert_array_equal(f["model_weights/encoder/dense/kernel:0"][()], k)
            self.assertEqual(keras2_h5.string_attr_kind(f, "keras_version"), "vlen-utf8")
            self.assertEqual(keras2_h5.string_attr_kind(f, "model_config"), "vlen-ascii")
            self.assertEqual(keras2_h5.string_attr_kind(f["model_weights"], "keras_version"), "vlen-ascii")
            self.assertNotIn("training_config", f.attrs)
            f_names = [keras2_h5.as_text(n) for n in f["model_weights"].attrs["layer_names"]]
            self.assertEqual(f_names, ["encoder", "flatten"])

    def test_the_read_back_check_reports_a_changed_value(self):
        config = {"class_name": "Sequential", "config": {"name": "m", "layers": []}}
        layers = [keras2_h5.LayerWeights("dense", [("dense/bias:0", np.ones(3, np.float32))])]
        path = self.tmp / "m.h5"
        keras2_h5.write_model_h5(path, config, layers)
        with h5py.File(path, "r+") as f:
            f["model_weights/dense/dense/bias:0"][0] = 2.0
        _, problems = keras2_h5.compare_with_intent(path, config, layers)
        self.assertEqual(problems, ["dense/dense/bias:0: stored values differ"])


class ConverterTests(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())

    def test_nested_sequentials_keep_trainable_then_non_trainable_order(self):
        model_json = write_tfjs(self.tmp / "ae", autoencoder_topology(), autoencoder_weights())
        row = conv.convert(model_json, self.tmp / "ae.h5")
        self.assertEqual(row["problems"], [])
        got = keras2_h5.read_model_h5(self.tmp / "ae.h5")
        self.assertEqual([l.name for l in got["layers"]], ["encoder", "decoder"])
        self.assertEqual([n for n, _ in got["layers"][0].weights], [
            "dense/kernel:0", "dense/bias:0", "batch_normalization/gamma:0", "batch_normalization/beta:0",
            "dense_1/kernel:0", "dense_1/bias:0", "batch_normalization/moving_mean:0",
            "batch_normalization/moving_variance:0"])
        source = dict(autoencoder_weights())
        for name, value in got["layers"][0].weights:
            np.testing.assert_array_equal(value, source[name[:-2]])
        encoder = got["model_config"]["config"]["layers"][0]
        self.assertEqual(encoder["config"]["layers"][0]["class_name"], "InputLayer")
        self.assertEqual(encoder["config"]["layers"][0]["config"]["name"], "dense_input")
        self.assertEqual(encoder["config"]["layers"][1]["config"]["dtype"], "float32")

    def test_functional_models_and_rnn_cells_get_keras_2_names(self):
        topology = {"class_name": "Model", "config": {"name": "f", "layers": [
            {"name": "x", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 5, 2],
                                                                 "dtype": "float32", "sparse": False, "name": "x"},
             "inbound_nodes": []},
            {"name": "lstm", "class_name": "LSTM", "config": {"units": 1, "name": "lstm", "trainable": True,
                                                              "implementation": None, "unit_forget_bias": None},
             "inbound_nodes": [[["x", 0, 0, {}]]]}],
            "input_layers": [["x", 0, 0]], "output_layers": [["lstm", 0, 0]]}}
        weights = [("lstm/kernel", np.zeros((2, 4))), ("lstm/recurrent_kernel", np.zeros((1, 4))),
                   ("lstm/bias", np.zeros(4))]
        conv.convert(write_tfjs(self.tmp / "f", topology, weights), self.tmp / "f.h5")
        got = keras2_h5.read_model_h5(self.tmp / "f.h5")
        self.assertEqual(got["model_config"]["class_name"], "Functional")
        lstm = got["model_config"]["config"]["layers"][1]
        self.assertEqual(list(lstm), ["class_name", "config", "name", "inbound_nodes"])
        self.assertEqual((lstm["config"]["implementation"], lstm["config"]["unit_forget_bias"],
                          lstm["config"]["time_major"]), (2, False, False))
        self.assertEqual(got["model_config"]["config"]["layers"][0]["config"]["ragged"], False)
        self.assertEqual([l.name for l in got["layers"]], ["x", "lstm"])
        self.assertEqual([n for n, _ in got["layers"][1].weights],
                         ["lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0", "lstm/lstm_cell/bias:0"])

    def test_quantized_weights_are_dequantized(self):
        topology = {"class_name": "Sequential", "config": {"name": "q", "layers": [
            dense("d", 2, batch_input_shape=[None, 1], dtype="float32", use_bias=False)]}}
        model_json = write_tfjs(self.tmp / "q", topology, [], data=bytes([0, 255]))
        doc = json.loads(model_json.read_text())
        doc["weightsManifest"][0]["weights"] = [{"name": "d/kernel", "shape": [1, 2], "dtype": "float32",
                                                 "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}}]
        model_json.write_text(json.dumps(doc))
        _, weights = conv.read_tfjs(model_json)
        np.testing.assert_array_equal(weights[0][1], np.array([[-1.0, 126.5]], np.float32))

    def test_malformed_inputs_give_errors_naming_the_file(self):
        good = autoencoder_weights()
        cases = {
            "truncated": dict(data=b"\0" * 12),
            "escape": dict(paths=("../outside.bin",)),
            "graph": dict(fmt="graph-model"),
        }
        messages = {}
        for name, kwargs in cases.items():
            model_json = write_tfjs(self.tmp / name, autoencoder_topology(), good, **kwargs)
            with self.assertRaises(conv.ConversionError) as ctx:
                conv.read_tfjs(model_json)
            self.assertIn(str(model_json), str(ctx.exception))
            messages[name] = str(ctx.exception)
        self.assertIn("describes more bytes than the shards", messages["truncated"])
        self.assertIn("leaves the model's folder", messages["escape"])
        self.assertIn("is not a LayersModel", messages["graph"])
        stray = write_tfjs(self.tmp / "stray", autoencoder_topology(), good + [("nowhere/kernel", np.zeros(2))])
        with self.assertRaisesRegex(conv.ConversionError, "'nowhere/kernel' belongs to no layer"):
            conv.convert(stray, self.tmp / "stray.h5")


class BuilderAndWriterTests(unittest.TestCase):
    def test_functional_layer_order_follows_keras(self):
        """A ResNet bottleneck's shortcut conv sits between the residual branch's layers, as in
        keras.applications.ResNet50().summary()."""
        b = ModelBuilder("block")
        x = b.input((8, 8, 4))
        s = b.batch_norm(b.conv2d(x, 8, 1, name="b_0_conv"), name="b_0_bn")
        y = b.activation(b.conv2d(x, 2, 1, name="b_1_conv"), "relu", name="b_1_relu")
        y = b.batch_norm(b.conv2d(y, 8, 1, name="b_3_conv"), name="b_3_bn")
        out = b.add([s, y], name="b_add")
        self.assertEqual(b.functional_order([out]), [
            "input_1", "b_1_conv", "b_1_relu", "b_0_conv", "b_3_conv", "b_0_bn", "b_3_bn", "b_add"])
        config = b.functional_config([x], [out])
        self.assertEqual(config["config"]["layers"][-1]["inbound_nodes"], [[["b_0_bn", 0, 0, {}], ["b_3_bn", 0, 0, {}]]])
        bn_weights = next(l for l in b.layer_weights(config) if l.name == "b_0_bn").weights
        self.assertEqual([n for n, _ in bn_weights], ["b_0_bn/gamma:0", "b_0_bn/beta:0", "b_0_bn/moving_mean:0",
                                                      "b_0_bn/moving_variance:0"])
        self.assertTrue(all((v > 0).all() for n, v in bn_weights if "variance" in n))

    def test_converter_layout_shards_and_order(self):
        layers = [keras2_h5.LayerWeights("dense_1", [("dense_1/kernel:0", np.ones((10, 10), np.float32))]),
                  keras2_h5.LayerWeights("dense", [("dense/kernel:0", np.full((5,), 2, np.float32))])]
        out = Path(tempfile.mkdtemp())
        doc = tfjs_writer.write_layers_model(out, {"class_name": "Sequential", "config": {}}, layers,
                                             converted_by="test", shard_bytes=100)
        self.assertEqual(doc["weightsManifest"][0]["paths"], [f"group1-shard{i}of5.bin" for i in range(1, 6)])
        self.assertEqual([(out / p).stat().st_size for p in doc["weightsManifest"][0]["paths"]], [100] * 4 + [20])
        read_doc, weights = tfjs_writer.read_layers_model(out)
        self.assertEqual(list(weights), ["dense/kernel", "dense_1/kernel"])
        np.testing.assert_array_equal(weights["dense_1/kernel"], np.ones((10, 10)))
        self.assertEqual(list(read_doc), ["format", "generatedBy", "convertedBy", "modelTopology", "weightsManifest"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
