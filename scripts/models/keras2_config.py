"""Keras 2 model configs, written the way tf.keras 2.15 `model.get_config()` spells them, with the
weights each layer owns, so that full-model .h5 files can be made without TensorFlow.

    b = ModelBuilder("mnist_cnn", seed=5)
    x = b.input((28, 28, 1))
    y = b.dense(b.flatten(b.conv2d(x, 32, 3, activation="relu")), 10, activation="softmax")
    b.sequential_config()  /  b.functional_config([x], [y])
    b.layer_weights(functional=False)   # [keras2_h5.LayerWeights] with seeded values

Layer configs follow the legacy (h5) serialization of tf.keras 2.x, as in the model_config of
shared/fixtures/real/keras_h5/tfk2110_attention.h5: initializers as
{"class_name": "GlorotUniform", "config": {"seed": null}}, no module/registered_name keys; a
Functional layer entry is {"class_name", "config", "name", "inbound_nodes": [[[layer, 0, 0, {}]]]}.
BatchNormalization's axis is saved as a list ([3]) because tf.keras's build() replaces the int
with a list before get_config() runs (tf_keras/layers/normalization/batch_normalization.py).

Functional.layers order (which is also the order of the config's "layers" and of the h5
attribute layer_names) follows tf_keras/engine/functional.py _map_graph_network(): layers by
decreasing depth from the outputs, ties broken by the order a depth-first walk from the outputs
(inputs of a node in order) first reaches them.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from keras2_h5 import LayerWeights

GLOROT = {"class_name": "GlorotUniform", "config": {"seed": None}}
ZEROS = {"class_name": "Zeros", "config": {}}
ONES = {"class_name": "Ones", "config": {}}


@dataclass(frozen=True)
class Tensor:
    layer: str
    shape: tuple  # without the batch dimension


@dataclass
class Layer:
    class_name: str
    config: dict
    inbound: list  # [Tensor]
    weights: list = field(default_factory=list)  # [(short name, shape, role, trainable)]

    @property
    def name(self):
        return self.config["name"]


def _pair(v):
    return [v, v] if isinstance(v, int) else list(v)


def _conv_out(size, kernel, stride, padding):
    return math.ceil(size / stride) if padding == "same" else (size - kernel) // stride + 1


class ModelBuilder:
    def __init__(self, name, seed=0):
        self.name = name
        self.seed = seed
        self.layers = []
        self._counts = {}

    # -- bookkeeping -----------------------------------------------------------------------------

    def _name(self, base, name):
        if name:
            return name
        n = self._counts.get(base, 0)
        self._counts[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def _add(self, class_name, config, inbound, shape, weights=()):
        self.layers.append(Layer(class_name, config, list(inbound), list(weights)))
        return Tensor(config["name"], tuple(shape))

    @staticmethod
    def _base(name, **extra):
        return {"name": name, "trainable": True, "dtype": "float32", **extra}

    # -- layers ----------------------------------------------------------------------------------

    def input(self, shape, name=None, dtype="float32"):
        if not name:  # Keras numbers inputs from 1: input_1, input_2, ...
            self._counts["input"] = self._counts.get("input", 0) + 1
            name = f"input_{self._counts['input']}"
        config = {"batch_input_shape": [None, *shape], "dtype": dtype, "sparse": False, "ragged": False, "name": name}
        return self._add("InputLayer", config, [], shape)

    def conv2d(self, x, filters, kernel_size, strides=1, padding="valid", activation="linear", use_bias=True, name=None):
        name = self._name("conv2d", name)
        k, s = _pair(kernel_size), _pair(strides)
        config = self._base(name, filters=filters, kernel_size=k, strides=s, padding=padding,
                            data_format="channels_last", dilation_rate=[1, 1], groups=1, activation=activation,
                            use_bias=use_bias, kernel_initializer=GLOROT, bias_initializer=ZEROS,
                            kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                            kernel_constraint=None, bias_constraint=None)
        h, w, c = x.shape
        out = (_conv_out(h, k[0], s[0], padding), _conv_out(w, k[1], s[1], padding), filters)
        weights = [("kernel", (k[0], k[1], c, filters), "kernel", True)]
        if use_bias:
            weights.append(("bias", (filters,), "bias", True))
        return self._add("Conv2D", config, [x], out, weights)

    def batch_norm(self, x, epsilon=1e-3, momentum=0.99, name=None, gamma_scale=1.0):
        """gamma_scale: the seeded gammas are drawn around this value (small on the last
        normalization of a residual branch keeps deep stacks in range)."""
        name = self._name("batch_normalization", name)
        axis = len(x.shape)  # channels_last: the last axis, counted with the batch dimension
        config = self._base(name, axis=[axis], momentum=momentum, epsilon=epsilon, center=True, scale=True,
                            beta_initializer=ZEROS, gamma_initializer=ONES, moving_mean_initializer=ZEROS,
                            moving_variance_initializer=ONES, beta_regularizer=None, gamma_regularizer=None,
                            beta_constraint=None, gamma_constraint=None)
        c = (x.shape[-1],)
        weights = [("gamma", c, ("gamma", gamma_scale), True), ("beta", c, "beta", True),
                   ("moving_mean", c, "moving_mean", False), ("moving_variance", c, "moving_variance", False)]
        return self._add("BatchNormalization", config, [x], x.shape, weights)

    def activation(self, x, activation, name=None):
        name = self._name("activation", name)
        return self._add("Activation", self._base(name, activation=activation), [x], x.shape)

    def add(self, xs, name=None):
        name = self._name("add", name)
        if len({t.shape for t in xs}) != 1:
            raise ValueError(f"{name}: Add of different shapes {[t.shape for t in xs]}")
        return self._add("Add", self._base(name), xs, xs[0].shape)

    def zero_padding2d(self, x, padding, name=None):
        name = self._name("zero_padding2d", name)
        (top, bottom), (left, right) = padding
        config = self._base(name, padding=[[top, bottom], [left, right]], data_format="channels_last")
        h, w, c = x.shape
        return self._add("ZeroPadding2D", config, [x], (h + top + bottom, w + left + right, c))

    def max_pool2d(self, x, pool_size, strides=None, padding="valid", name=None):
        name = self._name("max_pooling2d", name)
        p = _pair(pool_size)
        s = _pair(strides if strides is not None else pool_size)
        config = self._base(name, pool_size=p, padding=padding, strides=s, data_format="channels_last")
        h, w, c = x.shape
        out = (_conv_out(h, p[0], s[0], padding), _conv_out(w, p[1], s[1], padding), c)
        return self._add("MaxPooling2D", config, [x], out)

    def global_avg_pool2d(self, x, name=None):
        name = self._name("global_average_pooling2d", name)
        config = self._base(name, data_format="channels_last", keepdims=False)
        return self._add("GlobalAveragePooling2D", config, [x], (x.shape[-1],))

    def flatten(self, x, name=None):
        name = self._name("flatten", name)
        return self._add("Flatten", self._base(name, data_format="channels_last"), [x], (int(np.prod(x.shape)),))

    def dropout(self, x, rate, name=None):
        name = self._name("dropout", name)
        return self._add("Dropout", self._base(name, rate=rate, noise_shape=None, seed=None), [x], x.shape)

    def dense(self, x, units, activation="linear", use_bias=True, name=None):
        name = self._name("dense", name)
        config = self._base(name, units=units, activation=activation, use_bias=use_bias,
                            kernel_initializer=GLOROT, bias_initializer=ZEROS, kernel_regularizer=None,
                            bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                            bias_constraint=None)
        weights = [("kernel", (x.shape[-1], units), ("kernel", "linear" if activation != "relu" else "relu"), True)]
        if use_bias:
            weights.append(("bias", (units,), "bias", True))
        return self._add("Dense", config, [x], (*x.shape[:-1], units), weights)

    # -- configs ---------------------------------------------------------------------------------

    def sequential_config(self):
        """A Sequential of the layers in the order they were added (the first must be the input)."""
        if not self.layers or self.layers[0].class_name != "InputLayer":
            raise ValueError("a Sequential starts with its InputLayer")
        for prev, layer in zip(self.layers, self.layers[1:]):
            if [t.layer for t in layer.inbound] != [prev.name]:
                raise ValueError(f"{layer.name} does not follow {prev.name}: not a Sequential")
        layers = [{"class_name": l.class_name, "config": l.config} for l in self.layers]
        return {"class_name": "Sequential", "config": {"name": self.name, "layers": layers}}

    def functional_order(self, outputs):
        """Names of Functional.layers, in tf.keras's order (see the module docstring)."""
        by_name = {l.name: l for l in self.layers}
        preorder = {}
        post = []
        done = set()

        def walk(name):
            if name in done:
                return
            preorder.setdefault(name, len(preorder))
            for t in by_name[name].inbound:
                walk(t.layer)
            done.add(name)
            post.append(name)

        for t in outputs:
            walk(t.layer)
        depth = {}
        for name in reversed(post):
            d = depth.setdefault(name, 0)
            for t in by_name[name].inbound:
                depth[t.layer] = max(depth.get(t.layer, 0), d + 1)
        return sorted(post, key=lambda n: (-depth[n], preorder[n]))

    def functional_config(self, inputs, outputs):
        by_name = {l.name: l for l in self.layers}
        entries = []
        for name in self.functional_order(outputs):
            layer = by_name[name]
            nodes = [[[t.layer, 0, 0, {}] for t in layer.inbound]] if layer.inbound else []
            entries.append({"class_name": layer.class_name, "config": layer.config, "name": name,
                            "inbound_nodes": nodes})
        return {"class_name": "Functional", "config": {
            "name": self.name, "layers": entries,
            "input_layers": [[t.layer, 0, 0] for t in inputs],
            "output_layers": [[t.layer, 0, 0] for t in outputs]}}

    # -- weights ---------------------------------------------------------------------------------

    def param_counts(self):
        trainable = sum(int(np.prod(s)) for l in self.layers for _, s, _, t in l.weights if t)
        frozen = sum(int(np.prod(s)) for l in self.layers for _, s, _, t in l.weights if not t)
        return trainable, frozen

    def layer_weights(self, model_config):
        """[LayerWeights] for model.layers of `model_config` (from sequential_config() or
        functional_config()), with seeded values in Keras's names and saving order."""
        rng = np.random.default_rng(self.seed)
        by_name = {l.name: l for l in self.layers}
        entries = model_config["config"]["layers"]
        if model_config["class_name"] == "Sequential":
            entries = [e for e in entries if e["class_name"] != "InputLayer"]
        out = []
        for entry in entries:
            layer = by_name[entry["config"]["name"]]
            ordered = [w for w in layer.weights if w[3]] + [w for w in layer.weights if not w[3]]
            out.append(LayerWeights(layer.name, [(f"{layer.name}/{short}:0", seeded_values(rng, shape, role))
                                                 for short, shape, role, _ in ordered]))
        return out


def seeded_values(rng, shape, role):
    """float32 values for one weight: He/Glorot-scaled kernels, small non-zero biases, BatchNorm
    statistics in a plausible range, so that outputs are neither ~0 nor explode."""
    kind, arg = role if isinstance(role, tuple) else (role, None)
    if kind == "kernel":
        fan_in = int(np.prod(shape[:-1]))
        gain = 2.0 if arg in (None, "relu") else 1.0
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(math.sqrt(gain / fan_in)))
    if kind == "gamma":
        scale = arg if arg is not None else 1.0
        return rng.uniform(0.8 * scale, 1.2 * scale, shape).astype(np.float32)
    if kind == "moving_variance":
        return rng.uniform(0.8, 1.2, shape).astype(np.float32)
    if kind == "moving_mean":
        return rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    return rng.uniform(-0.05, 0.05, shape).astype(np.float32)  # bias, beta
