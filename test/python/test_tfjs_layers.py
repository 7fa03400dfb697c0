"""The TF.js layers in src/engine/layers/ compute what Keras computes, proven against PyTorch.

    /usr/bin/python3 -m pytest test/python/test_tfjs_layers.py -q

Each case is a small Keras model config (Keras 2 snake_case, as an .h5 file stores it) with random
weights in Keras' layout and random inputs. The expected output comes from PyTorch (float64), from
the Keras definitions in harness/tfjs_layers_reference.py (torch.nn.GRU with the gate order mapped,
einsum attention, the adjoint of conv1d for the transposed convolution, group_norm, ...). The
TF.js side is harness/tfjs_layers_probe.ts, bundled here with the repository's esbuild and run
with node on the cpu and on the WebAssembly backend: it maps the class names with tfjsClassFor,
builds the model with tfjs' modelFromJSON, sets the weights with layer.setWeights and predicts,
as the engine does. Outputs must match within rtol = atol = 1e-4, and no case may leave a
tensor behind. Two real Keras files from shared/fixtures/real run the same way.
"""
import json
import math
import zlib

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from harness.fixtures import REAL_FIXTURES
from harness.tfjs_layers_reference import (
    DOUBLE, additive_attention, causal_keep, conv1d_transpose, dot_attention, gru_loop, gru_with_torch, mha, t,
)
from harness.tfjs_layers_runner import Graph, bundle_probe, layer, probe_case, run_probe, sequential

BACKENDS = ("cpu", "wasm")
RTOL = ATOL = 1e-4
FIXTURES = REAL_FIXTURES

CASES = {}  # id -> (probe case, expected outputs)


def register(case_id, topology, weights, inputs, expected, **options):
    assert case_id not in CASES, f"two cases named {case_id}"
    CASES[case_id] = (probe_case(case_id, topology, weights, inputs, **options),
                      [np.asarray(e.detach().numpy() if isinstance(e, torch.Tensor) else e, dtype=np.float64) for e in expected])


def rng_for(case_id):
    return np.random.default_rng(zlib.crc32(case_id.encode()))


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# ============================================================================ GRU (reset_after=True)

def gru_config(units, **overrides):
    config = dict(units=units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                  kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": None}},
                  recurrent_initializer={"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
                  bias_initializer={"class_name": "Zeros", "config": {}},
                  dropout=0.0, recurrent_dropout=0.0, implementation=2, return_sequences=False, return_state=False,
                  go_backwards=False, stateful=False, unroll=False, time_major=False, reset_after=True)
    config.update(overrides)
    return config


def gru_weights(rng, features, units, use_bias=True):
    weights = [rand(rng, features, 3 * units, scale=0.6), rand(rng, units, 3 * units, scale=0.6)]
    return weights + [rand(rng, 2, 3 * units, scale=0.5)] if use_bias else weights


def masked_sequences(rng, batch, steps, features):
    """Inputs with all-zero steps for Keras' Masking(mask_value=0): trailing padding in sample 0,
    a hole in the middle of sample 1. Returns (x, mask)."""
    x = rand(rng, batch, steps, features)
    mask = np.ones((batch, steps), dtype=np.float32)
    mask[0, steps - 2:] = 0
    mask[1, 1] = 0
    return x * mask[:, :, None], mask


def add_gru_cases():
    for return_sequences in (False, True):
        for go_backwards in (False, True):
            case_id = f"gru_{'sequences' if return_sequences else 'last'}{'_backwards' if go_backwards else ''}"
            rng = rng_for(case_id)
            x, weights = rand(rng, 3, 5, 4), gru_weights(rng, 4, 6)
            walked = np.ascontiguousarray(x[:, ::-1]) if go_backwards else x
            sequence = gru_with_torch(walked, *weights)  # Keras returns the steps in walking order
            expected = sequence if return_sequences else sequence[:, -1]
            topology = sequential((5, 4), layer("GRU", "gru", **gru_config(6, return_sequences=return_sequences, go_backwards=go_backwards)))
            register(case_id, topology, {"gru": weights}, [x], [expected])

    rng = rng_for("gru_relu_hard_sigmoid_no_bias")
    x, weights = rand(rng, 2, 6, 3), gru_weights(rng, 3, 5, use_bias=False)
    sequence, _ = gru_loop(x, *weights, activation="relu", recurrent_activation="hard_sigmoid")
    topology = sequential((6, 3), layer("GRU", "gru", **gru_config(5, activation="relu", recurrent_activation="hard_sigmoid",
                                                                   use_bias=False, return_sequences=True)))
    register("gru_relu_hard_sigmoid_no_bias", topology, {"gru": weights}, [x], [sequence])

    for case_id, return_sequences, go_backwards, zero_output in [
        ("gru_masked_sequences", True, False, False),
        ("gru_masked_last_backwards", False, True, False),
        ("gru_masked_sequences_backwards", True, True, False),
        ("gru_masked_zero_output_for_mask", True, False, True),
        ("gru_masked_last_zero_output_for_mask", False, False, True),
    ]:
        rng = rng_for(case_id)
        x, mask = masked_sequences(rng, 3, 5, 4)
        weights = gru_weights(rng, 4, 3)
        outputs, _ = gru_loop(x, *weights, mask=mask, go_backwards=go_backwards, zero_output_for_mask=zero_output)
        expected = outputs if return_sequences else outputs[:, -1]
        config = gru_config(3, return_sequences=return_sequences, go_backwards=go_backwards)
        if zero_output:
            config["zero_output_for_mask"] = True
        topology = sequential((5, 4), layer("Masking", "masking", mask_value=0.0), layer("GRU", "gru", **config))
        register(case_id, topology, {"gru": weights}, [x], [expected])

    rng = rng_for("gru_return_state")
    x, weights = rand(rng, 2, 4, 3), gru_weights(rng, 3, 5)
    outputs, state = gru_loop(x, *weights)
    graph = Graph()
    graph.add(layer("GRU", "gru", **gru_config(5, return_sequences=True, return_state=True)), graph.input("x", (4, 3)))
    register("gru_return_state", graph.model(("gru", 0), ("gru", 1)), {"gru": weights}, [x], [outputs, state])

    # A config without reset_after: Keras >= 2.3 (here 2.4.0, as the file would say) means True.
    rng = rng_for("gru_reset_after_by_version")
    x, weights = rand(rng, 2, 4, 3), gru_weights(rng, 3, 4)
    config = gru_config(4, return_sequences=True)
    del config["reset_after"]
    register("gru_reset_after_by_version", sequential((4, 3), layer("GRU", "gru", **config)), {"gru": weights}, [x],
             [gru_with_torch(x, *weights)], keras_version="2.4.0")

    for merge_mode, return_sequences in (("concat", True), ("sum", False), ("mul", True)):
        case_id = f"bidirectional_gru_{merge_mode}"
        rng = rng_for(case_id)
        x, mask = masked_sequences(rng, 3, 5, 4) if merge_mode == "mul" else (rand(rng, 3, 5, 4), None)
        forward_weights, backward_weights = gru_weights(rng, 4, 3), gru_weights(rng, 4, 3)
        forward, _ = gru_loop(x, *forward_weights, mask=mask)
        backward, _ = gru_loop(x, *backward_weights, mask=mask, go_backwards=True)
        if return_sequences:
            forward, backward = forward, torch.flip(backward, dims=[1])  # Bidirectional re-reverses the backward steps
        else:
            forward, backward = forward[:, -1], backward[:, -1]
        merged = {"concat": lambda a, b: torch.cat([a, b], dim=-1), "sum": torch.add, "mul": torch.mul}[merge_mode](forward, backward)
        inner = {"class_name": "GRU", "config": {"name": "gru", "trainable": True, "dtype": "float32",
                                                 **gru_config(3, return_sequences=return_sequences)}}
        layers = [layer("Bidirectional", "bidirectional", layer=inner, merge_mode=merge_mode)]
        if mask is not None:
            layers.insert(0, layer("Masking", "masking", mask_value=0.0))
        register(case_id, sequential((5, 4), *layers), {"bidirectional": forward_weights + backward_weights}, [x], [merged])


# ============================================================================ MultiHeadAttention

def mha_weights(rng, heads, key_dim, value_dim, dims, out_shape, use_bias=True):
    """[Wq, bq, Wk, bk, Wv, bv, Wo, bo] in Keras shapes; dims = (query, key, value) feature sizes."""
    dq, dk, dv = dims
    weights = [rand(rng, dq, heads, key_dim, scale=0.5), rand(rng, heads, key_dim, scale=0.3),
               rand(rng, dk, heads, key_dim, scale=0.5), rand(rng, heads, key_dim, scale=0.3),
               rand(rng, dv, heads, value_dim, scale=0.5), rand(rng, heads, value_dim, scale=0.3),
               rand(rng, heads, value_dim, *out_shape, scale=0.5), rand(rng, *out_shape, scale=0.3)]
    return weights if use_bias else [None if i % 2 else w for i, w in enumerate(weights)]


def mha_config(heads, key_dim, **overrides):
    config = dict(num_heads=heads, key_dim=key_dim, value_dim=key_dim, dropout=0.0, use_bias=True, output_shape=None,
                  attention_axes=None, kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": None}},
                  bias_initializer={"class_name": "Zeros", "config": {}})
    config.update(overrides)
    return config


def stored(weights):
    return [w for w in weights if w is not None]


def add_mha_cases():
    rng = rng_for("mha_self_attention")
    x = rand(rng, 2, 5, 8)
    weights = mha_weights(rng, 2, 3, 3, (8, 8, 8), (8,))
    out, _ = mha(x, x, None, weights, heads=2, key_dim=3)
    graph = Graph()
    source = graph.input("x", (5, 8))
    graph.add(layer("MultiHeadAttention", "mha", **mha_config(2, 3)), source, source)
    register("mha_self_attention", graph.model("mha"), {"mha": weights}, [x], [out])

    rng = rng_for("mha_cross_key_value_dim_output_shape_no_bias")
    q, v, k = rand(rng, 2, 4, 6), rand(rng, 2, 5, 7), rand(rng, 2, 5, 3)
    weights = mha_weights(rng, 3, 2, 5, (6, 3, 7), (9,), use_bias=False)
    out, _ = mha(q, v, k, weights, heads=3, key_dim=2)
    graph = Graph()
    inputs = [graph.input("q", (4, 6)), graph.input("v", (5, 7)), graph.input("k", (5, 3))]
    graph.add(layer("MultiHeadAttention", "mha", **mha_config(3, 2, value_dim=5, output_shape=9, use_bias=False)), *inputs)
    register("mha_cross_key_value_dim_output_shape_no_bias", graph.model("mha"), {"mha": stored(weights)}, [q, v, k], [out])

    rng = rng_for("mha_causal_with_scores")
    x = rand(rng, 2, 5, 4)
    weights = mha_weights(rng, 2, 3, 3, (4, 4, 4), (4,))
    out, scores = mha(x, x, None, weights, heads=2, key_dim=3, keep=causal_keep(5, 5))
    graph = Graph()
    source = graph.input("x", (5, 4))
    graph.add(layer("MultiHeadAttention", "mha", **mha_config(2, 3)), source, source,
              kwargs={"use_causal_mask": True, "return_attention_scores": True})
    register("mha_causal_with_scores", graph.model(("mha", 0), ("mha", 1)), {"mha": weights}, [x], [out, scores])

    rng = rng_for("mha_rank4_default_axes")
    x = rand(rng, 2, 3, 4, 5)
    weights = mha_weights(rng, 2, 3, 3, (5, 5, 5), (5,))
    out, _ = mha(x, x, None, weights, heads=2, key_dim=3,
                 equations=("bxyhk,buvhk->bhxyuv", "bhxyuv,buvhd->bxyhd"))
    graph = Graph()
    source = graph.input("x", (3, 4, 5))
    graph.add(layer("MultiHeadAttention", "mha", **mha_config(2, 3)), source, source)
    register("mha_rank4_default_axes", graph.model("mha"), {"mha": weights}, [x], [out])

    rng = rng_for("mha_rank4_attention_axis_2_with_scores")
    x = rand(rng, 2, 3, 4, 5)
    weights = mha_weights(rng, 2, 3, 2, (5, 5, 5), (6,))
    out, scores = mha(x, x, None, weights, heads=2, key_dim=3,
                      equations=("bxyhk,bxvhk->bxhyv", "bxhyv,bxvhd->bxyhd"))
    graph = Graph()
    source = graph.input("x", (3, 4, 5))
    graph.add(layer("MultiHeadAttention", "mha", **mha_config(2, 3, value_dim=2, output_shape=[6], attention_axes=[2])),
              source, source, kwargs={"return_attention_scores": True})
    register("mha_rank4_attention_axis_2_with_scores", graph.model(("mha", 0), ("mha", 1)), {"mha": weights}, [x], [out, scores])

    # tf.keras 2 saves mha(h, h) as a call on h with value=h as a keyword argument; then a residual Add.
    rng = rng_for("mha_keras2_keyword_value_residual")
    x = rand(rng, 2, 4, 5)
    kernel, bias = rand(rng, 5, 6, scale=0.5), rand(rng, 6, scale=0.3)
    weights = mha_weights(rng, 2, 3, 3, (6, 6, 6), (6,))
    hidden = t(x) @ t(kernel) + t(bias)
    out, _ = mha(hidden, hidden, None, weights, heads=2, key_dim=3)
    graph = Graph()
    graph.add(layer("Dense", "dense_proj", units=6, activation="linear", use_bias=True), graph.input("x", (4, 5)))
    graph.add(layer("MultiHeadAttention", "multi_head_attention", **mha_config(2, 3)), "dense_proj",
              kwargs={"value": ["dense_proj", 0, 0]})
    graph.add(layer("Add", "residual"), "dense_proj", "multi_head_attention")
    register("mha_keras2_keyword_value_residual", graph.model("residual"),
             {"dense_proj": [kernel, bias], "multi_head_attention": weights}, [x], [hidden + out])

    # The same block as a nested functional model: tfjs runs it through its own internal graph.
    rng = rng_for("mha_in_nested_model")
    x = rand(rng, 2, 4, 5)
    weights = mha_weights(rng, 2, 3, 3, (5, 5, 5), (5,))
    out, _ = mha(x, x, None, weights, heads=2, key_dim=3)
    inner = Graph()
    source = inner.input("inner_input", (4, 5))
    inner.add(layer("MultiHeadAttention", "mha", **mha_config(2, 3)), source, source)
    inner.add(layer("Add", "residual"), source, "mha")
    block = {**inner.model("residual"), "name": "block"}
    block["config"]["name"] = "block"
    outer = Graph()
    outer.add(block, outer.input("x", (4, 5)))
    # Keras numbers the outer call of a nested model 0; tfjs counts the model's own first node too.
    register("mha_in_nested_model", outer.model(("block", 0, 1)), {"block/mha": weights}, [x], [t(x) + out])

    # Self-attention over an Embedding with mask_zero: Keras masks padded keys and padded queries.
    rng = rng_for("mha_masked_by_embedding")
    tokens = np.array([[3, 1, 4, 0, 0], [2, 0, 5, 6, 1]], dtype=np.float32)
    table = rand(rng, 7, 4)
    weights = mha_weights(rng, 2, 3, 3, (4, 4, 4), (4,))
    keep_tokens = t(tokens != 0)
    keep = keep_tokens[:, None, :, None] * keep_tokens[:, None, None, :]
    embedded = table[tokens.astype(int)]
    out, _ = mha(embedded, embedded, None, weights, heads=2, key_dim=3, keep=keep)
    graph = Graph()
    graph.add(layer("Embedding", "embedding", input_dim=7, output_dim=4, mask_zero=True, input_length=None,
                    embeddings_initializer={"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": None}}),
              graph.input("tokens", (5,), dtype="int32"))
    graph.add(layer("MultiHeadAttention", "mha", **mha_config(2, 3)), "embedding", "embedding")
    register("mha_masked_by_embedding", graph.model("mha"), {"embedding": [table], "mha": weights}, [tokens], [out],
             input_dtypes=["int32"])


# ============================================================================ Attention, AdditiveAttention

def attention_graph(class_name, config, shapes, kwargs=None, outputs=("attention",)):
    graph = Graph()
    names = [graph.input(name, shape) for name, shape in zip(("q", "v", "k"), shapes)]
    graph.add(layer(class_name, "attention", **config), *names, kwargs=kwargs)
    return graph.model(*outputs)


def add_attention_cases():
    rng = rng_for("attention_dot")
    q, v = rand(rng, 2, 4, 5), rand(rng, 2, 6, 5)
    register("attention_dot", attention_graph("Attention", dict(use_scale=False, score_mode="dot", dropout=0.1), [(4, 5), (6, 5)]),
             {}, [q, v], [dot_attention(q, v)[0]])

    rng = rng_for("attention_dot_scale_with_key")
    q, v, k = rand(rng, 2, 4, 5), rand(rng, 2, 6, 3), rand(rng, 2, 6, 5)
    scale = np.float32(0.7)
    register("attention_dot_scale_with_key",
             attention_graph("Attention", dict(use_scale=True, score_mode="dot"), [(4, 5), (6, 3), (6, 5)]),
             {"attention": [np.array(scale)]}, [q, v, k], [dot_attention(q, v, k, scale=float(scale))[0]])

    rng = rng_for("attention_concat_scale")
    q, v = rand(rng, 2, 3, 4), rand(rng, 2, 5, 4)
    scale, concat_weight = np.float32(1.3), np.float32(-0.8)
    register("attention_concat_scale", attention_graph("Attention", dict(use_scale=True, score_mode="concat"), [(3, 4), (5, 4)]),
             {"attention": [np.array(scale), np.array(concat_weight)]}, [q, v],
             [dot_attention(q, v, scale=float(scale), concat_score_weight=float(concat_weight))[0]])

    rng = rng_for("attention_causal_with_scores")
    q, v = rand(rng, 2, 5, 3), rand(rng, 2, 5, 3)
    result, weights = dot_attention(q, v, keep=causal_keep(5, 5))
    register("attention_causal_with_scores",
             attention_graph("Attention", dict(use_scale=False, score_mode="dot"), [(5, 3), (5, 3)],
                             kwargs={"use_causal_mask": True, "return_attention_scores": True},
                             outputs=(("attention", 0), ("attention", 1))),
             {}, [q, v], [result, weights])

    # Keras 2.4 to 2.9 wrote the causal flag into the config.
    rng = rng_for("attention_causal_config")
    q, v = rand(rng, 2, 4, 3), rand(rng, 2, 4, 3)
    register("attention_causal_config", attention_graph("Attention", dict(use_scale=False, causal=True, dropout=0.0), [(4, 3), (4, 3)]),
             {}, [q, v], [dot_attention(q, v, keep=causal_keep(4, 4))[0]])

    # Self-attention after Masking: padded steps are masked as values (keys) and zeroed as queries.
    rng = rng_for("attention_masked_self")
    x, mask = masked_sequences(rng, 3, 5, 4)
    graph = Graph()
    graph.add(layer("Masking", "masking", mask_value=0.0), graph.input("x", (5, 4)))
    graph.add(layer("Attention", "attention", use_scale=False, score_mode="dot"), "masking", "masking")
    register("attention_masked_self", graph.model("attention"), {}, [x],
             [dot_attention(x, x, keep=t(mask)[:, None, :], query_mask=mask)[0]])

    rng = rng_for("additive_attention_scale")
    q, v = rand(rng, 2, 4, 5), rand(rng, 2, 3, 5)
    scale = rand(rng, 5)
    register("additive_attention_scale", attention_graph("AdditiveAttention", dict(use_scale=True, dropout=0.0), [(4, 5), (3, 5)]),
             {"attention": [scale]}, [q, v], [additive_attention(q, v, scale=scale)[0]])

    rng = rng_for("additive_attention_with_key_no_scale")
    q, v, k = rand(rng, 2, 4, 5), rand(rng, 2, 3, 2), rand(rng, 2, 3, 5)
    register("additive_attention_with_key_no_scale",
             attention_graph("AdditiveAttention", dict(use_scale=False), [(4, 5), (3, 2), (3, 5)]),
             {}, [q, v, k], [additive_attention(q, v, k)[0]])


# ============================================================================ merging, normalisation

def add_merge_and_normalization_cases():
    rng = rng_for("subtract")
    a, b = rand(rng, 3, 4, 2), rand(rng, 3, 4, 2)
    graph = Graph()
    graph.add(layer("Subtract", "subtract"), graph.input("a", (4, 2)), graph.input("b", (4, 2)))
    register("subtract", graph.model("subtract"), {}, [a, b], [t(a) - t(b)])

    for case_id, shape, groups, axis, center, scale, class_name in [
        ("group_norm_channels_last", (3, 4, 6), 3, -1, True, True, "GroupNormalization"),
        ("group_norm_addons_channels_first_no_center", (6, 5), 2, 1, False, True, "Addons>GroupNormalization"),
        ("group_norm_instance_no_scale", (5, 4), -1, -1, True, False, "GroupNormalization"),
        ("group_norm_addons_instance_default_groups", (4, 3), None, -1, True, True, "Addons>InstanceNormalization"),
    ]:
        rng = rng_for(case_id)
        x = rand(rng, 2, *shape, scale=2.0) + 0.5
        channels = shape[axis] if axis == -1 else shape[axis - 1]
        gamma, beta = rand(rng, channels) + 1, rand(rng, channels)
        channels_first = t(x) if axis == 1 else t(x).movedim(-1, 1)
        expected = F.group_norm(channels_first, channels if groups in (-1, None) else groups,
                                t(gamma) if scale else None, t(beta) if center else None, eps=1e-3)
        expected = expected if axis == 1 else expected.movedim(1, -1)
        config = dict(axis=axis, epsilon=1e-3, center=center, scale=scale)
        if groups is not None:
            config["groups"] = groups
        weights = ([gamma] if scale else []) + ([beta] if center else [])
        register(case_id, sequential(shape, layer(class_name, "norm", **config)), {"norm": weights}, [x], [expected])

    for case_id, axis in (("unit_norm_last_axis", -1), ("unit_norm_two_axes", [1, 2])):
        rng = rng_for(case_id)
        x = rand(rng, 2, 3, 4)
        dims = [-1] if axis == -1 else axis
        expected = t(x) / torch.sqrt(torch.clamp((t(x) ** 2).sum(dim=dims, keepdim=True), min=1e-12))
        register(case_id, sequential((3, 4), layer("UnitNormalization", "unit", axis=axis)), {}, [x], [expected])


# ============================================================================ Conv1DTranspose

def add_conv1d_transpose_cases():
    for case_id, kernel, stride, padding, output_padding, dilation, data_format, use_bias, activation in [
        ("conv1d_transpose_valid_stride2", 3, 2, "valid", None, 1, "channels_last", True, "linear"),
        ("conv1d_transpose_same_stride2_even_kernel", 4, 2, "same", None, 1, "channels_last", True, "linear"),
        ("conv1d_transpose_valid_output_padding", 2, 3, "valid", 1, 1, "channels_last", True, "linear"),
        ("conv1d_transpose_same_output_padding", 3, 2, "same", 1, 1, "channels_last", True, "linear"),
        ("conv1d_transpose_same_dilation2", 3, 1, "same", None, 2, "channels_last", True, "linear"),
        ("conv1d_transpose_valid_kernel_below_stride", 2, 3, "valid", None, 1, "channels_last", True, "linear"),
        ("conv1d_transpose_channels_first_relu_no_bias", 3, 2, "same", None, 1, "channels_first", False, "relu"),
    ]:
        rng = rng_for(case_id)
        x, weights = rand(rng, 2, 5, 3), [rand(rng, kernel, 4, 3, scale=0.5)]
        if use_bias:
            weights.append(rand(rng, 4, scale=0.5))
        expected = conv1d_transpose(x, weights[0], weights[1] if use_bias else None, stride=stride, padding=padding,
                                    dilation=dilation, output_padding=output_padding)
        expected = torch.relu(expected) if activation == "relu" else expected
        config = dict(filters=4, kernel_size=[kernel], strides=[stride], padding=padding, data_format=data_format,
                      dilation_rate=[dilation], output_padding=None if output_padding is None else [output_padding],
                      activation=activation, use_bias=use_bias,
                      kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": None}},
                      bias_initializer={"class_name": "Zeros", "config": {}})
        if data_format == "channels_first":
            x, expected = np.ascontiguousarray(x.transpose(0, 2, 1)), expected.transpose(1, 2)
        register(case_id, sequential(x.shape[1:], layer("Conv1DTranspose", "deconv", **config)), {"deconv": weights}, [x], [expected])


# ============================================================================ padding, cropping, upsampling, pooling

def spatial_case(case_id, class_name, config, shape, reference, data_format=None, shift=0.0):
    """reference(x) works on channels-last float64 tensors; channels_first inputs are transposed around it."""
    rng = rng_for(case_id)
    x = rand(rng, 2, *shape) + np.float32(shift)
    if data_format == "channels_first":
        last = t(x).movedim(1, -1)
        expected = reference(last).movedim(-1, 1) if reference(last).dim() == x.ndim else reference(last)
        config = {**config, "data_format": data_format}
    else:
        expected = reference(t(x))
        if data_format:
            config = {**config, "data_format": data_format}
    register(case_id, sequential(shape, layer(class_name, "spatial", **config)), {}, [x], [expected])


def pad_spatial(pads):
    """torch F.pad for channels-last (B, *spatial, C) with per-axis (before, after)."""
    def apply(x):
        flat = [0, 0]  # channels
        for before, after in reversed(pads):
            flat += [before, after]
        return F.pad(x, flat)
    return apply


def crop_spatial(crops):
    def apply(x):
        index = [slice(None)]
        for axis, (before, after) in enumerate(crops, start=1):
            index.append(slice(before, x.shape[axis] - after))
        return x[tuple(index)]
    return apply


def upsample_spatial(sizes):
    def apply(x):
        for axis, size in enumerate(sizes, start=1):
            x = torch.repeat_interleave(x, size, dim=axis)
        return x
    return apply


def max_pool_same_as_tf(x, pool, strides, padding):
    """Keras MaxPooling3D on channels-last (B, D, H, W, C): 'same' pads each axis with -inf, the
    smaller half before, as TensorFlow does."""
    y = x.movedim(-1, 1)
    if padding == "same":
        pads = []
        for size, k, s in zip(reversed(y.shape[2:]), reversed(pool), reversed(strides)):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        y = F.pad(y, pads, value=-math.inf)
    return F.max_pool3d(y, pool, strides).movedim(1, -1)


def add_spatial_cases():
    spatial_case("zero_padding1d_int", "ZeroPadding1D", {"padding": 2}, (4, 3), pad_spatial([(2, 2)]))
    spatial_case("zero_padding1d_pair", "ZeroPadding1D", {"padding": [1, 3]}, (4, 3), pad_spatial([(1, 3)]))
    spatial_case("zero_padding3d_pairs", "ZeroPadding3D", {"padding": [[1, 0], [0, 2], [1, 1]]}, (2, 3, 2, 2),
                 pad_spatial([(1, 0), (0, 2), (1, 1)]), "channels_last")
    spatial_case("zero_padding3d_channels_first", "ZeroPadding3D", {"padding": [1, 2, 0]}, (2, 2, 3, 2),
                 pad_spatial([(1, 1), (2, 2), (0, 0)]), "channels_first")
    spatial_case("cropping1d", "Cropping1D", {"cropping": [1, 2]}, (6, 3), crop_spatial([(1, 2)]))
    spatial_case("cropping3d_pairs", "Cropping3D", {"cropping": [[1, 0], [0, 1], [2, 1]]}, (3, 4, 5, 2),
                 crop_spatial([(1, 0), (0, 1), (2, 1)]), "channels_last")
    spatial_case("cropping3d_channels_first_int", "Cropping3D", {"cropping": 1}, (2, 4, 3, 5),
                 crop_spatial([(1, 1)] * 3), "channels_first")
    spatial_case("upsampling1d", "UpSampling1D", {"size": 3}, (4, 2), upsample_spatial([3]))
    spatial_case("upsampling3d", "UpSampling3D", {"size": [2, 1, 3]}, (2, 3, 2, 2), upsample_spatial([2, 1, 3]), "channels_last")
    spatial_case("upsampling3d_channels_first", "UpSampling3D", {"size": [2, 2, 2]}, (3, 2, 1, 2),
                 upsample_spatial([2, 2, 2]), "channels_first")
    spatial_case("max_pooling3d_negative_values", "MaxPooling3D", {"pool_size": [2, 2, 2], "strides": None, "padding": "valid"},
                 (4, 4, 5, 2), lambda x: max_pool_same_as_tf(x, (2, 2, 2), (2, 2, 2), "valid"), "channels_last",
                 shift=-3.0)  # whole windows below zero: the case tfjs-backend-wasm's own maxPool3d gets wrong
    spatial_case("max_pooling3d_same_channels_first", "MaxPooling3D", {"pool_size": [3, 2, 2], "strides": [2, 1, 2], "padding": "same"},
                 (2, 5, 3, 4), lambda x: max_pool_same_as_tf(x, (3, 2, 2), (2, 1, 2), "same"), "channels_first")
    spatial_case("global_average_pooling3d", "GlobalAveragePooling3D", {}, (2, 3, 4, 5), lambda x: x.mean(dim=(1, 2, 3)), "channels_last")
    spatial_case("global_max_pooling3d_channels_first_keepdims", "GlobalMaxPooling3D", {"keepdims": True}, (4, 2, 3, 2),
                 lambda x: x.amax(dim=(1, 2, 3), keepdim=True), "channels_first")


# ============================================================================ inference identities

def add_pass_through_cases():
    rng = rng_for("pass_through_image_pipeline")
    x = rand(rng, 2, 6, 6, 3)
    kernel, bias = rand(rng, 3, 2), rand(rng, 2)
    layers = [
        layer("RandomFlip", "flip", mode="horizontal_and_vertical", seed=None),
        layer("RandomRotation", "rotation", factor=0.2, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0),
        layer("RandomZoom", "zoom", height_factor=0.1, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None),
        layer("RandomContrast", "contrast", factor=0.2, seed=None),
        layer("RandomTranslation", "translation", height_factor=0.1, width_factor=0.1, fill_mode="reflect", seed=None),
        layer("RandomHeight", "height", factor=0.2, interpolation="bilinear", seed=None),
        layer("RandomWidth", "width", factor=0.2, interpolation="bilinear", seed=None),
        layer("SpatialDropout2D", "spatial_dropout", rate=0.5, noise_shape=None, seed=None),
        layer("ActivityRegularization", "activity", l1=0.01, l2=0.0),
        layer("Identity", "identity"),
        layer("Dense", "dense", units=2, activation="linear", use_bias=True,
              kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": None}},
              bias_initializer={"class_name": "Zeros", "config": {}}),
    ]
    register("pass_through_image_pipeline", sequential((6, 6, 3), *layers), {"dense": [kernel, bias]}, [x],
             [t(x) @ t(kernel) + t(bias)])

    rng = rng_for("pass_through_spatial_dropout3d")
    x = rand(rng, 2, 2, 3, 2, 4)
    register("pass_through_spatial_dropout3d",
             sequential((2, 3, 2, 4), layer("SpatialDropout3D", "dropout", rate=0.3, noise_shape=None, seed=None)), {}, [x], [x])


# ============================================================================ real Keras files

def read_keras_h5(path):
    """The model config, the Keras version and the weights per layer (Keras order) of a full-model .h5."""
    with h5py.File(path, "r") as file:
        topology = json.loads(file.attrs["model_config"])
        version = file.attrs["keras_version"]
        version = version.decode() if isinstance(version, bytes) else str(version)
        weights = {}
        for name in file["model_weights"].attrs["layer_names"]:
            name = name.decode() if isinstance(name, bytes) else name
            group = file["model_weights"][name]
            names = [w.decode() if isinstance(w, bytes) else w for w in group.attrs["weight_names"]]
            if names:
                weights[name] = [np.array(group[w]) for w in names]
    return topology, version, weights


def add_real_file_cases():
    # tf.keras 2.11: Dense -> Attention(dense, dense) on rank 2 tensors -> Concatenate -> Dense -> Dense.
    topology, version, weights = read_keras_h5(FIXTURES / "keras_h5" / "tfk2110_attention.h5")
    x = rand(rng_for("real_tfk2110_attention"), 6, 22)

    def dense(name, inputs):
        kernel, bias = weights[name]
        return torch.relu(inputs @ t(kernel) + t(bias))

    hidden = dense("dense", t(x))
    attended, _ = dot_attention(hidden, hidden)  # rank 2: the scores mix the batch, as in Keras
    expected = dense("outputs", dense("dense_1", torch.cat([hidden, attended], dim=-1)))
    register("real_tfk2110_attention", topology, weights, [x], [expected], keras_version=version)

    # tf.keras 2.2.4: (Conv3D same tanh -> SpatialDropout3D -> Cropping3D 1 -> MaxPooling3D 2) x 2.
    topology, version, weights = read_keras_h5(FIXTURES / "keras_h5" / "tfk224_cnn3d.h5")
    x = rand(rng_for("real_tfk224_cnn3d"), 2, 10, 10, 10, 3)
    y = t(x).permute(0, 4, 1, 2, 3)
    for conv in ("conv3d_24", "conv3d_25"):
        kernel, bias = weights[conv]
        y = torch.tanh(F.conv3d(y, t(kernel).permute(4, 3, 0, 1, 2), t(bias), padding=1))
        y = F.max_pool3d(y[:, :, 1:-1, 1:-1, 1:-1], 2)
    register("real_tfk224_cnn3d", topology, weights, [x], [y.permute(0, 2, 3, 4, 1)], keras_version=version)


for add_cases in (add_gru_cases, add_mha_cases, add_attention_cases, add_merge_and_normalization_cases,
                  add_conv1d_transpose_cases, add_spatial_cases, add_pass_through_cases, add_real_file_cases):
    add_cases()


# ============================================================================ the tests

@pytest.fixture(scope="session")
def probe_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tfjs_layers")
    probe = bundle_probe(folder)
    cases = [case for case, _ in CASES.values()]
    return {backend: run_probe(probe, folder, cases, backend) for backend in BACKENDS}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case_id", sorted(CASES))
def test_layer_matches_pytorch(case_id, backend, probe_results):
    result = probe_results[backend]["results"][case_id]
    assert "error" not in result, f"TF.js could not run {case_id}: {result.get('error')}"
    assert result["backend"] == backend
    expected = CASES[case_id][1]
    assert len(result["outputs"]) == len(expected), f"{len(result['outputs'])} outputs, expected {len(expected)}"
    for index, (output, want) in enumerate(zip(result["outputs"], expected)):
        assert output["shape"] == list(want.shape), f"output {index}: shape {output['shape']}, expected {list(want.shape)}"
        got = np.array(output["data"], dtype=np.float64).reshape(want.shape)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"output {index} of {case_id} on {backend}")
    assert result["leakedTensors"] == 0, f"{result['leakedTensors']} tensors left behind"


def test_gru_step_loop_agrees_with_torch_gru():
    """The hand-written Keras loop (used for masks and other activations) equals torch.nn.GRU where both apply."""
    rng = rng_for("reference_self_check")
    x, weights = rand(rng, 3, 7, 4), gru_weights(rng, 4, 5)
    loop, state = gru_loop(x, *weights)
    torch.testing.assert_close(loop, gru_with_torch(x, *weights), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(state, loop[:, -1], rtol=0, atol=0)


def test_conv1d_transpose_reference_matches_torch_conv_transpose():
    """Where torch's conv_transpose1d has the same geometry (valid padding), the adjoint reference equals it."""
    rng = rng_for("reference_conv_check")
    x, kernel, bias = rand(rng, 2, 5, 3), rand(rng, 3, 4, 3), rand(rng, 4)
    adjoint = conv1d_transpose(x, kernel, bias, stride=2, padding="valid")
    direct = F.conv_transpose1d(t(x).transpose(1, 2), t(kernel).permute(2, 1, 0), t(bias), stride=2).transpose(1, 2)
    torch.testing.assert_close(adjoint, direct.to(DOUBLE), rtol=1e-10, atol=1e-10)


def test_every_supported_class_has_a_case(probe_results):
    """Every Keras class src/engine/layers/ claims to run (SUPPORTED_CUSTOM, as the probe reports it)
    has a numerical case here, the inference identities at least through their shared class."""
    classes = set()
    for case, _ in CASES.values():
        stack = [case["topology"]]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                classes.add(item.get("class_name"))
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    supported = probe_results["cpu"]["supported"]
    identities = set(supported["inferenceIdentities"])
    assert identities and identities <= set(supported["custom"])
    missing = sorted(set(supported["custom"]) - identities - classes)
    assert not missing, f"no numerical case for {missing}"
    assert len(identities & classes) >= 10, "the pass-through cases should cover a good part of the identities"
