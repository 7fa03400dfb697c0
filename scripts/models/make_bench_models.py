#!/usr/bin/python3
"""Large model files for the benchmark, written with h5py/numpy (no TensorFlow needed):

    /usr/bin/python3 scripts/models/make_bench_models.py OUTDIR [--skip-100mb]

OUTDIR/keras_small_cnn_1mb.h5        Sequential CNN (Conv2D, BatchNormalization, MaxPooling2D,
                                     Conv2D, MaxPooling2D, Flatten, Dense, Dropout, Dense softmax)
OUTDIR/keras_resnet_style_25mb.h5    Functional ResNet-style net of basic residual blocks
                                     (Conv2D/BatchNormalization/Add/Activation), 96x96x3 -> 100
OUTDIR/keras_resnet50_100mb.h5       the ResNet50 of keras.applications (include_top, 224x224x3,
                                     1000 classes): same layer names, order, shapes and 25,636,712
                                     parameters
OUTDIR/tfjs_resnet_style_25mb/       the 25 MB model as a TF.js LayersModel: model.json and 4 MiB
                                     shards, in tensorflowjs_converter's layout

All are Keras 2 (tf.keras 2.15) full-model files (see keras2_h5.py), with seeded float32 weights
(He-scaled kernels, BatchNormalization statistics in a plausible range). Everything written is
read back and compared; a table is printed.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True
import keras2_h5  # noqa: E402
import tfjs_writer  # noqa: E402
from keras2_config import ModelBuilder  # noqa: E402

RESNET50_PARAMS = 25_636_712
RESNET50_NON_TRAINABLE = 53_120
RESNET50_LAYERS = 177  # len(model.layers), the InputLayer included


def small_cnn():
    b = ModelBuilder("small_cnn", seed=101)
    x = b.input((28, 28, 1))
    x = b.conv2d(x, 32, 3, activation="relu")
    x = b.batch_norm(x)
    x = b.max_pool2d(x, 2)
    x = b.conv2d(x, 64, 3, activation="relu")
    x = b.max_pool2d(x, 2)
    x = b.flatten(x)
    x = b.dense(x, 128, activation="relu")
    x = b.dropout(x, 0.5)
    b.dense(x, 10, activation="softmax")
    return b, b.sequential_config()


def resnet_style(width=48, blocks=(2, 2, 2, 2), classes=100):
    """ResNet-18-like: a strided 3x3 stem, four stages of basic blocks (widths w, 2w, 4w, 8w)."""
    b = ModelBuilder("resnet_style", seed=202)
    inputs = b.input((96, 96, 3))
    x = b.conv2d(inputs, width, 3, strides=2, padding="same", use_bias=False, name="stem_conv")
    x = b.batch_norm(x, name="stem_bn")
    x = b.activation(x, "relu", name="stem_relu")
    for stage, count in enumerate(blocks):
        filters = width * 2 ** stage
        for block in range(count):
            prefix = f"stage{stage + 1}_block{block + 1}"
            stride = 2 if stage > 0 and block == 0 else 1
            shortcut = x
            if stride != 1 or x.shape[-1] != filters:
                shortcut = b.conv2d(x, filters, 1, strides=stride, use_bias=False, name=f"{prefix}_0_conv")
                shortcut = b.batch_norm(shortcut, name=f"{prefix}_0_bn")
            y = b.conv2d(x, filters, 3, strides=stride, padding="same", use_bias=False, name=f"{prefix}_1_conv")
            y = b.batch_norm(y, name=f"{prefix}_1_bn")
            y = b.activation(y, "relu", name=f"{prefix}_1_relu")
            y = b.conv2d(y, filters, 3, padding="same", use_bias=False, name=f"{prefix}_2_conv")
            y = b.batch_norm(y, name=f"{prefix}_2_bn", gamma_scale=0.2)
            x = b.add([shortcut, y], name=f"{prefix}_add")
            x = b.activation(x, "relu", name=f"{prefix}_out")
    x = b.global_avg_pool2d(x, name="avg_pool")
    outputs = b.dense(x, classes, activation="softmax", name="predictions")
    return b, b.functional_config([inputs], [outputs])


def resnet50():
    """keras.applications.ResNet50(weights=None): names and structure as tf.keras 2.15 builds
    them (resnet.py: ResNet, stack1, block1; BatchNormalization epsilon 1.001e-5)."""
    eps = 1.001e-5
    b = ModelBuilder("resnet50", seed=303)
    inputs = b.input((224, 224, 3))
    x = b.zero_padding2d(inputs, ((3, 3), (3, 3)), name="conv1_pad")
    x = b.conv2d(x, 64, 7, strides=2, name="conv1_conv")
    x = b.batch_norm(x, epsilon=eps, name="conv1_bn")
    x = b.activation(x, "relu", name="conv1_relu")
    x = b.zero_padding2d(x, ((1, 1), (1, 1)), name="pool1_pad")
    x = b.max_pool2d(x, 3, strides=2, name="pool1_pool")

    def block1(x, filters, stride, conv_shortcut, name):
        if conv_shortcut:
            shortcut = b.conv2d(x, 4 * filters, 1, strides=stride, name=f"{name}_0_conv")
            shortcut = b.batch_norm(shortcut, epsilon=eps, name=f"{name}_0_bn")
        else:
            shortcut = x
        y = b.conv2d(x, filters, 1, strides=stride, name=f"{name}_1_conv")
        y = b.batch_norm(y, epsilon=eps, name=f"{name}_1_bn")
        y = b.activation(y, "relu", name=f"{name}_1_relu")
        y = b.conv2d(y, filters, 3, padding="same", name=f"{name}_2_conv")
        y = b.batch_norm(y, epsilon=eps, name=f"{name}_2_bn")
        y = b.activation(y, "relu", name=f"{name}_2_relu")
        y = b.conv2d(y, 4 * filters, 1, name=f"{name}_3_conv")
        y = b.batch_norm(y, epsilon=eps, name=f"{name}_3_bn", gamma_scale=0.2)
        y = b.add([shortcut, y], name=f"{name}_add")
        return b.activation(y, "relu", name=f"{name}_out")

    for stage, (filters, blocks, stride) in enumerate([(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)], start=2):
        x = block1(x, filters, stride, True, f"conv{stage}_block1")
        for i in range(2, blocks + 1):
            x = block1(x, filters, 1, False, f"conv{stage}_block{i}")
    x = b.global_avg_pool2d(x, name="avg_pool")
    outputs = b.dense(x, 1000, activation="softmax", name="predictions")
    return b, b.functional_config([inputs], [outputs])


def write_keras(out_dir, file_name, builder, config):
    path = Path(out_dir) / file_name
    layers = builder.layer_weights(config)
    keras2_h5.write_model_h5(path, config, layers)
    _, problems = keras2_h5.compare_with_intent(path, config, layers)
    trainable, frozen = builder.param_counts()
    return layers, {"file": file_name, "class": config["class_name"], "layers": len(config["config"]["layers"]),
                    "params": trainable + frozen, "non_trainable": frozen, "bytes": path.stat().st_size,
                    "problems": problems}


def write_tfjs(out_dir, dir_name, builder, config, layers):
    path = Path(out_dir) / dir_name
    tfjs_writer.write_layers_model(path, config, layers, converted_by="scripts/models/make_bench_models.py")
    doc, stored = tfjs_writer.read_layers_model(path)
    problems = []
    expected = dict(tfjs_writer.converter_weight_order(layers))
    if list(stored) != list(expected) or any(not np.array_equal(stored[k], expected[k]) for k in expected):
        problems.append("weights read back differ")
    if doc["modelTopology"]["model_config"] != config:
        problems.append("model_config read back differs")
    paths = doc["weightsManifest"][0]["paths"]
    sizes = [(path / p).stat().st_size for p in paths]
    if any(s != tfjs_writer.SHARD_BYTES for s in sizes[:-1]) or not 0 < sizes[-1] <= tfjs_writer.SHARD_BYTES:
        problems.append(f"shard sizes {sizes}")
    trainable, frozen = builder.param_counts()
    return {"file": f"{dir_name}/ ({len(paths)} shards)", "class": config["class_name"],
            "layers": len(config["config"]["layers"]), "params": trainable + frozen, "non_trainable": frozen,
            "bytes": sum(sizes) + (path / "model.json").stat().st_size, "problems": problems}


def print_table(rows):
    header = ["file", "class", "layers", "params", "non-trainable", "MB", "read back"]
    lines = [[r["file"], r["class"], str(r["layers"]), f"{r['params']:,}", f"{r['non_trainable']:,}",
              f"{r['bytes'] / 1e6:.1f}", "ok" if not r["problems"] else "DIFFERS"] for r in rows]
    widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--skip-100mb", action="store_true", help="do not write the ResNet50 file")
    args = ap.parse_args()
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    rows, problems = [], []

    b, config = small_cnn()
    _, row = write_keras(out, "keras_small_cnn_1mb.h5", b, config)
    rows.append(row)

    b, config = resnet_style()
    layers, row = write_keras(out, "keras_resnet_style_25mb.h5", b, config)
    rows.append(row)
    rows.append(write_tfjs(out, "tfjs_resnet_style_25mb", b, config, layers))

    if not args.skip_100mb:
        b, config = resnet50()
        _, row = write_keras(out, "keras_resnet50_100mb.h5", b, config)
        rows.append(row)
        if (row["params"], row["non_trainable"], row["layers"]) != (RESNET50_PARAMS, RESNET50_NON_TRAINABLE,
                                                                    RESNET50_LAYERS):
            problems.append(f"ResNet50: {row['params']:,} params ({row['non_trainable']:,} non-trainable), "
                            f"{row['layers']} layers; keras.applications has {RESNET50_PARAMS:,} "
                            f"({RESNET50_NON_TRAINABLE:,}), {RESNET50_LAYERS}")

    print_table(rows)
    problems += [f"{r['file']}: {p}" for r in rows for p in r["problems"]]
    if problems:
        print("\nPROBLEMS:\n- " + "\n- ".join(problems))
        return 1
    print(f"\nwrote {len(rows)} models to {out}; every file read back equal to what was meant")
    return 0


if __name__ == "__main__":
    sys.exit(main())
