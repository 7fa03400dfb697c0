#!/usr/bin/python3
"""Load every file of demo/ back and check it, after scripts/demo/make_demo.py.

    /usr/bin/python3 scripts/demo/check_demo.py

Exits non-zero, listing the problems, if anything is off.
"""

import csv
import io
import json
import pickle
import struct
import sys
from pathlib import Path

import h5py
import numpy as np
import onnx
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True
import make_demo as md  # noqa: E402  (the model classes)

DEMO = md.DEMO
M = md.MODELS
problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


fallbacks = []


def load(path):
    """torch.load with weights_only=True where this PyTorch can.

    weights_only exists from PyTorch 1.13 on, but 1.13's weights-only unpickler
    has no BINFLOAT opcode, so it refuses any file holding a Python float (the
    optimizer's lr, betas, eps in checkpoint_epoch3.pt). Those files (our own)
    are then loaded with the full unpickler, and the report says so.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:
        fallbacks.append(f"{path.name} (no weights_only in this PyTorch)")
    except pickle.UnpicklingError as e:
        fallbacks.append(f"{path.name} (weights_only refused: {str(e).rsplit(': ', 1)[-1]})")
    return torch.load(path, map_location="cpu")


def txt(x):
    """An HDF5 string attribute as str: h5py 3 gives str for variable-length, bytes for fixed-length."""
    return x.decode("utf8") if hasattr(x, "decode") else x


def run_onnx(model, x):
    """Evaluate the exported CNN's graph with torch ops (no onnxruntime here): enough for the
    Conv/Relu/MaxPool/Flatten/Gemm graph that torch.onnx.export makes of SmallCNN."""
    from onnx import helper, numpy_helper
    env = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    env[model.graph.input[0].name] = x
    for node in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[n] for n in node.input if n]
        if node.op_type == "Conv":
            pads = a.get("pads", [0, 0, 0, 0])
            check(pads[:2] == pads[2:], "asymmetric pads")
            y = torch.nn.functional.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                                           stride=a.get("strides", 1), padding=pads[:2],
                                           dilation=a.get("dilations", 1), groups=a.get("group", 1))
        elif node.op_type == "Relu":
            y = torch.relu(ins[0])
        elif node.op_type == "MaxPool":
            y = torch.nn.functional.max_pool2d(ins[0], a["kernel_shape"], a.get("strides"), a.get("pads", [0, 0])[:2])
        elif node.op_type == "Flatten":
            y = torch.flatten(ins[0], a.get("axis", 1))
        elif node.op_type == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            B = ins[1].T if a.get("transB", 0) else ins[1]
            y = a.get("alpha", 1.0) * (A @ B) + a.get("beta", 1.0) * ins[2]
        else:
            raise ValueError(f"op {node.op_type} not handled by run_onnx")
        env[node.output[0]] = y
    return env[model.graph.output[0].name]


def string_kind(obj, name):
    """How HDF5 stores a string attribute: vlen/fixed and utf8/ascii (None if not a string)."""
    tid = obj.attrs.get_id(name).get_type()
    if tid.get_class() != h5py.h5t.STRING:
        return None
    return ("vlen-" if tid.is_variable_str() else "fixed-") + ("utf8" if tid.get_cset() == h5py.h5t.CSET_UTF8 else "ascii")


def keras_weight_shapes(layers):
    """{layer name: [(weight name, shape)]} that a Keras 2 Sequential of these layer configs
    owns, from its input shape (the layer types of the demo CNN and MLP only)."""
    shape = list(layers[0]["config"]["batch_input_shape"][1:])
    out = {}
    for layer in layers[1:]:
        cls, c = layer["class_name"], layer["config"]
        name, weights = c["name"], []
        if cls == "Conv2D":
            kh, kw = c["kernel_size"]
            check(c["padding"] == "valid" and c["strides"] == [1, 1], f"{name}: conv settings")
            weights = [("kernel", (kh, kw, shape[2], c["filters"])), ("bias", (c["filters"],))]
            shape = [shape[0] - kh + 1, shape[1] - kw + 1, c["filters"]]
        elif cls == "MaxPooling2D":
            ph, pw = c["pool_size"]
            shape = [shape[0] // ph, shape[1] // pw, shape[2]]
        elif cls == "Flatten":
            shape = [int(np.prod(shape))]
        elif cls == "Dense":
            weights = [("kernel", (shape[-1], c["units"])), ("bias", (c["units"],))]
            shape = shape[:-1] + [c["units"]]
        elif cls != "Dropout":
            raise ValueError(f"keras_weight_shapes: {cls} not handled")
        out[name] = [(f"{name}/{w}:0", s) for w, s in weights]
    return out


def run_mnist_cnn(layers, weights, x):
    """Forward pass of the demo CNN (channels_last) in numpy: x (n, 28, 28, 1) -> (n, 10)."""
    for layer in layers[1:]:
        cls, c = layer["class_name"], layer["config"]
        if cls == "Conv2D":
            k, b = weights[c["name"]]
            win = np.lib.stride_tricks.sliding_window_view(x, k.shape[:2], axis=(1, 2))
            x = np.einsum("nhwcij,ijcf->nhwf", win, k) + b
        elif cls == "MaxPooling2D":
            n, h, w, ch = x.shape
            x = x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, ch).max(axis=(2, 4))
        elif cls == "Flatten":
            x = x.reshape(len(x), -1)
        elif cls == "Dense":
            k, b = weights[c["name"]]
            x = x @ k + b
        if c.get("activation") == "relu":
            x = np.maximum(x, 0)
        elif c.get("activation") == "softmax":
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            x = e / e.sum(axis=-1, keepdims=True)
    return x


def params_of(module):
    return sum(p.numel() for p in module.parameters())


def main():
    report = []

    # ---- sizes
    files = sorted(p for p in DEMO.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    for p in files:
        check(p.stat().st_size < 500 * 1024, f"{p} is {p.stat().st_size} bytes (limit 500 KB)")
        report.append(f"{p.stat().st_size:>8}  {p.relative_to(DEMO)}")
    check(total < 2 * 1024 * 1024, f"demo/ is {total} bytes (limit 2 MB)")
    report.append(f"{total:>8}  total ({len(files)} files)")

    # ---- PyTorch files
    sd = load(M / "mnist_cnn.pt")
    check(open(M / "mnist_cnn.pt", "rb").read(2) == b"PK", "mnist_cnn.pt is not a zip")
    legacy = load(M / "mnist_cnn_legacy.pth")
    check(open(M / "mnist_cnn_legacy.pth", "rb").read(2) != b"PK", "mnist_cnn_legacy.pth is a zip, not legacy")
    check(list(sd) == list(legacy) and all(torch.equal(sd[k], legacy[k]) for k in sd),
          "mnist_cnn.pt and mnist_cnn_legacy.pth differ")
    cnn = md.SmallCNN()
    cnn.load_state_dict(sd, strict=True)
    report.append(f"mnist_cnn.pt / mnist_cnn_legacy.pth: {params_of(cnn)} parameters, {len(sd)} tensors")

    ck = load(M / "checkpoint_epoch3.pt")
    check(set(ck) == {"model", "optimizer", "epoch"} and ck["epoch"] == 3, "checkpoint_epoch3.pt keys/epoch")
    m3 = md.SmallCNN()
    m3.load_state_dict(ck["model"], strict=True)
    opt = torch.optim.Adam(m3.parameters())
    opt.load_state_dict(ck["optimizer"])
    check(not all(torch.equal(ck["model"][k], sd[k]) for k in sd), "checkpoint equals the final weights")
    report.append(f"checkpoint_epoch3.pt: epoch {ck['epoch']}, {params_of(m3)} parameters, "
                  f"optimizer state for {len(ck['optimizer']['state'])} tensors")

    lstm_sd = load(M / "lstm_classifier.pt")
    lstm = md.LSTMClassifier()
    lstm.load_state_dict(lstm_sd, strict=True)
    out = lstm(torch.randint(1, 500, (2, 7)))
    check(tuple(out.shape) == (2, 4), "lstm output shape")
    report.append(f"lstm_classifier.pt: {params_of(lstm)} parameters")

    # ---- ONNX
    om = onnx.load(str(M / "mnist_cnn.onnx"))
    onnx.checker.check_model(om, full_check=True)
    check([o.version for o in om.opset_import if o.domain in ("", "ai.onnx")] == [13], "onnx opset is not 13")
    inp = om.graph.input[0]
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    check(inp.name == "input" and dims == ["batch", 1, 28, 28], f"onnx input {inp.name} {dims}")
    outp = om.graph.output[0]
    odims = [d.dim_param or d.dim_value for d in outp.type.tensor_type.shape.dim]
    check(outp.name == "logits" and odims == ["batch", 10], f"onnx output {outp.name} {odims}")
    n_init = sum(int(np.prod(i.dims)) for i in om.graph.initializer)
    cnn.eval()
    x = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        diff = (run_onnx(om, x) - cnn(x)).abs().max().item()
    check(diff < 1e-4, f"onnx graph output differs from PyTorch by {diff}")
    report.append(f"mnist_cnn.onnx: checker OK, opset 13, input {dims}, output {odims}, "
                  f"{n_init} initializer elements, graph output matches PyTorch (max abs diff {diff:.1e}, batch 3)")

    # ---- safetensors, parsed by hand
    raw = (M / "tiny_mlp.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    check(raw[8:9] == b"{", "safetensors header does not start with {")
    check((8 + n) % 8 == 0, "safetensors data is not 8-byte aligned")
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    check(all(isinstance(v, str) for v in meta.values()), "safetensors metadata values must be strings")
    spans = sorted(tuple(v["data_offsets"]) for v in header.values())
    check(spans[0][0] == 0 and spans[-1][1] == len(data) and all(a[1] == b[0] for a, b in zip(spans, spans[1:])),
          "safetensors data offsets leave holes or overlap")
    mlp = md.TinyMLP()
    mlp_sd = mlp.state_dict()
    st_count = 0
    for name, info in header.items():
        check(info["dtype"] == "F32", f"{name} dtype {info['dtype']}")
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype="<f4").reshape(info["shape"])
        st_count += arr.size
        mlp_sd[name] = torch.from_numpy(arr.copy())
    mlp.load_state_dict(mlp_sd, strict=True)
    report.append(f"tiny_mlp.safetensors: header {n} bytes, {len(header)} tensors, {st_count} parameters, "
                  f"metadata {meta}")

    # ---- Keras-2-layout HDF5
    with h5py.File(M / "dense_mlp.weights.h5", "r") as f:
        names = [txt(x) for x in f.attrs["layer_names"]]
        check(txt(f.attrs["backend"]) == "tensorflow", "h5 backend attr")
        check(txt(f.attrs["keras_version"]).startswith("2."), "h5 keras_version attr")
        h5_count = 0
        for name in names:
            wn = [txt(x) for x in f[name].attrs["weight_names"]]
            check(wn == [f"{name}/kernel:0", f"{name}/bias:0"], f"h5 weight_names of {name}: {wn}")
            for w in wn:
                h5_count += f[name][w].size
        check(len(f["top_level_model_weights"].attrs["weight_names"]) == 0, "h5 top_level_model_weights")
        k0 = f["dense"]["dense/kernel:0"]
        check(k0.shape == (20, 64) and k0.dtype == np.float32, "h5 dense kernel shape/dtype")
    report.append(f"dense_mlp.weights.h5: layers {names}, {h5_count} parameters")

    # ---- full Keras 2 model (.h5 written by model.save in tf.keras 2.x)
    with h5py.File(M / "keras_cnn_mnist.h5", "r") as f:
        kinds = {k: string_kind(f, k) for k in ("keras_version", "backend", "model_config")}
        check(kinds == {"keras_version": "vlen-utf8", "backend": "vlen-utf8", "model_config": "vlen-ascii"},
              f"keras_cnn_mnist.h5 root attribute types {kinds}")
        check(txt(f.attrs["keras_version"]) == "2.15.0" and txt(f.attrs["backend"]) == "tensorflow",
              "keras_cnn_mnist.h5 keras_version/backend")
        check("training_config" not in f.attrs, "keras_cnn_mnist.h5 should have no training_config")
        config = json.loads(txt(f.attrs["model_config"]))
        layers = config["config"]["layers"]
        classes = [l["class_name"] for l in layers]
        check(config["class_name"] == "Sequential" and classes == [
            "InputLayer", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dropout", "Dense"],
            f"keras_cnn_mnist.h5 model_config: {config['class_name']} {classes}")
        check(layers[0]["config"]["batch_input_shape"] == [None, 28, 28, 1], "keras_cnn_mnist.h5 input shape")
        check(layers[-1]["config"]["units"] == 10 and layers[-1]["config"]["activation"] == "softmax",
              "keras_cnn_mnist.h5 output layer")
        mw = f["model_weights"]
        layer_names = [txt(x) for x in mw.attrs["layer_names"]]
        check(layer_names == [l["config"]["name"] for l in layers[1:]], f"keras_cnn_mnist.h5 layer_names {layer_names}")
        check(string_kind(mw, "layer_names") == "vlen-ascii", "keras_cnn_mnist.h5 layer_names type")
        check(txt(mw.attrs["keras_version"]) == "2.15.0" and txt(mw.attrs["backend"]) == "tensorflow",
              "keras_cnn_mnist.h5 model_weights attributes")
        expected = keras_weight_shapes(layers)
        cnn_weights, cnn_count = {}, 0
        for name in layer_names:
            wn = [txt(x) for x in mw[name].attrs["weight_names"]]
            check(wn == [w for w, _ in expected[name]], f"keras_cnn_mnist.h5 weight_names of {name}: {wn}")
            for wname, shape in expected[name]:
                d = mw[name][wname] if wname in mw[name] else None
                if check(d is not None and d.shape == shape and d.dtype == np.float32,
                         f"keras_cnn_mnist.h5 {name}/{wname} missing or not float32 {shape}"):
                    cnn_weights.setdefault(name, []).append(d[()])
                    cnn_count += d.size
        check(len(mw["top_level_model_weights"].attrs["weight_names"]) == 0, "keras_cnn_mnist.h5 top_level_model_weights")
    if all(len(cnn_weights.get(name, [])) == len(expected[name]) for name in layer_names):
        x, _ = md.make_dataset(3, 5, md.make_prototypes())
        probs = run_mnist_cnn(layers, cnn_weights, x.permute(0, 2, 3, 1).numpy().astype(np.float64))
        check(probs.shape == (3, 10) and np.allclose(probs.sum(axis=1), 1), "keras_cnn_mnist.h5 forward pass")
        check(float(probs.std()) > 1e-3, "keras_cnn_mnist.h5 outputs are nearly constant")
    report.append(f"keras_cnn_mnist.h5: Sequential {classes[1:]}, {cnn_count} parameters, "
                  f"numpy forward pass gives softmax rows summing to 1")

    # ---- TF.js LayersModel (tensorflowjs_converter layout)
    tdir = M / "tfjs_mlp"
    doc = json.loads((tdir / "model.json").read_text(encoding="utf-8"))
    check(doc.get("format") == "layers-model" and doc.get("generatedBy") == "keras v2.15.0",
          "tfjs_mlp/model.json format/generatedBy")
    topo = doc["modelTopology"]
    check(set(topo) == {"keras_version", "backend", "model_config"}, f"tfjs_mlp modelTopology keys {set(topo)}")
    mlayers = topo["model_config"]["config"]["layers"]
    check([l["class_name"] for l in mlayers] == ["InputLayer", "Dense", "Dense", "Dense"], "tfjs_mlp layers")
    (group,) = doc["weightsManifest"]
    blob = b"".join((tdir / p).read_bytes() for p in group["paths"])
    expected = keras_weight_shapes(mlayers)
    want = [(w[:-2], list(s)) for name in sorted(expected) for w, s in expected[name]]
    got = [(w["name"], w["shape"]) for w in group["weights"]]
    check(got == want, f"tfjs_mlp manifest {got}")
    check(all(w["dtype"] == "float32" for w in group["weights"]), "tfjs_mlp dtypes")
    check(len(blob) == 4 * sum(int(np.prod(s)) for _, s in want), "tfjs_mlp shard size")
    tfjs_w, offset = {}, 0
    for w in group["weights"]:
        n = int(np.prod(w["shape"]))
        tfjs_w[w["name"]] = np.frombuffer(blob, "<f4", n, offset).reshape(w["shape"])
        offset += 4 * n
    with h5py.File(M / "dense_mlp.weights.h5", "r") as f:
        check(all(np.array_equal(tfjs_w[k], f[k.split("/")[0]][k + ":0"][()]) for k in tfjs_w),
              "tfjs_mlp weights differ from dense_mlp.weights.h5")
    torch.manual_seed(41)  # the module make_demo.py took these weights from
    ref = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 32), torch.nn.ReLU(),
                              torch.nn.Linear(32, 3))
    xin = torch.randn(4, 20, generator=torch.Generator().manual_seed(3))
    h = xin.numpy()
    for layer in mlayers[1:]:
        name = layer["config"]["name"]
        h = h @ tfjs_w[f"{name}/kernel"] + tfjs_w[f"{name}/bias"]
        if layer["config"]["activation"] == "relu":
            h = np.maximum(h, 0)
    with torch.no_grad():
        diff = float(np.abs(h - ref(xin).numpy()).max())
    check(diff < 1e-5, f"tfjs_mlp forward pass differs from the PyTorch module by {diff}")
    report.append(f"tfjs_mlp/: {len(group['weights'])} weights in {group['paths']}, {offset // 4} parameters, "
                  f"same as dense_mlp.weights.h5, forward pass matches PyTorch (max abs diff {diff:.1e})")

    # ---- runs in the extension's format
    for run in ("cnn-baseline", "cnn-wider"):
        rows = [json.loads(l) for l in (DEMO / "runs" / run / "metrics.jsonl").read_text().splitlines()]
        info = json.loads((DEMO / "runs" / run / "run.json").read_text())
        check(all(set(r) == {"step", "epoch", "split", "time", "loss", "accuracy", "lr"} for r in rows),
              f"{run}: metrics.jsonl keys")
        check(all(r["split"] in ("train", "val") for r in rows), f"{run}: split values")
        check(all(a["step"] <= b["step"] and a["time"] <= b["time"] for a, b in zip(rows, rows[1:])),
              f"{run}: step/time not monotonic")
        check(set(info) == {"name", "status", "config", "started", "ended", "planned_epochs", "planned_steps",
                            "pid"} and info["status"] == "finished" and info["pid"] is None, f"{run}: run.json")
        check(rows[-1]["step"] == info["planned_steps"] and rows[-1]["epoch"] == info["planned_epochs"],
              f"{run}: last row is not the planned end")
        check(info["started"] <= rows[0]["time"] and rows[-1]["time"] <= info["ended"], f"{run}: times")
        val = [r for r in rows if r["split"] == "val"]
        report.append(f"runs/{run}: {len(rows)} rows ({len(val)} val), final val loss {val[-1]['loss']}, "
                      f"accuracy {val[-1]['accuracy']}")

    # ---- Keras CSVLogger
    text = (DEMO / "logs" / "keras_csvlogger" / "training.log").read_bytes().decode()
    check(text.startswith("epoch,accuracy,loss,val_accuracy,val_loss\r\n"), "keras header")
    check(text.count("\r\n") == text.count("\n"), "keras file must use CRLF")
    krows = list(csv.DictReader(io.StringIO(text, newline="")))
    check([int(r["epoch"]) for r in krows] == list(range(len(krows))), "keras epochs not 0..n-1")
    check(all(float(r[k]) >= 0 for r in krows for k in r), "keras values")
    report.append(f"keras_csvlogger/training.log: {len(krows)} epochs")

    # ---- Lightning CSVLogger
    text = (DEMO / "lightning_logs" / "version_0" / "metrics.csv").read_bytes().decode()
    header = text.split("\r\n", 1)[0].split(",")
    check(header == sorted(header) and set(header) == {"epoch", "step", "train_loss", "val_loss", "val_acc"},
          f"lightning header {header}")
    check(text.count("\r\n") == text.count("\n"), "lightning file must use CRLF")
    lrows = list(csv.DictReader(io.StringIO(text, newline="")))
    check(any(r["val_loss"] == "" for r in lrows) and any(r["train_loss"] == "" for r in lrows),
          "lightning rows should be sparse")
    hp = yaml.safe_load((DEMO / "lightning_logs" / "version_0" / "hparams.yaml").read_text())
    report.append(f"lightning_logs/version_0: {len(lrows)} rows, hparams {hp}")

    tl = (DEMO / "train.log").read_text()
    check("loss: " in tl and "WARNING" in tl and "Epoch 1/" in tl, "train.log content")

    report.append("torch.load with weights_only=True: all .pt/.pth files" if not fallbacks else
                  "loaded without weights_only: " + "; ".join(fallbacks))
    print("\n".join(report))
    if problems:
        print("\nPROBLEMS:\n- " + "\n- ".join(problems))
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
