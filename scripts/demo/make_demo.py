#!/usr/bin/python3
"""Generate the sample workspace demo/ that `npm start` opens.

Run with Debian's Python, which has PyTorch 1.13, h5py, numpy, onnx and PyYAML:

    /usr/bin/python3 scripts/demo/make_demo.py

Everything is made here, by the real libraries, from fixed seeds; nothing is
downloaded. The model files come from small real PyTorch modules and the logs
from real short training runs on CPU on synthetic data. Re-running gives the
same bytes, except for demo/models/mnist_cnn_legacy.pth: PyTorch's legacy
(pre-1.6) format names each storage by its memory address, so its pickle
differs from run to run while the tensors stay the same.

Wall-clock times in the logs are nominal (a fixed start time plus a fixed
duration per step) so that the logs, too, are byte-for-byte reproducible; pass
--wall-clock to record the real times of this run instead.

The full Keras model (models/keras_cnn_mnist.h5) and the TF.js model (models/tfjs_mlp/) are
written by h5py/numpy in the layouts tf.keras 2.15 and tensorflowjs_converter use, by the shared
code in scripts/models/ (keras2_h5.py, keras2_config.py, tfjs_writer.py).

Run scripts/demo/check_demo.py afterwards to load every file back.
"""

import argparse
import copy
import csv
import io
import json
import logging
import math
import os
import struct
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "models"))
sys.dont_write_bytecode = True
import keras2_h5  # noqa: E402  (Keras 2 full-model .h5 layout)
import tfjs_writer  # noqa: E402  (TF.js LayersModel layout)
from keras2_config import ModelBuilder  # noqa: E402

DEMO = REPO / "demo"
MODELS = DEMO / "models"
REGEN = "/usr/bin/python3 scripts/demo/make_demo.py"

# Nominal start times (UTC) of the runs, spaced like runs made one after another.
T0 = 1717236000.0  # 2024-06-01T10:00:00Z

log = logging.getLogger("make_demo")


# --------------------------------------------------------------------------
# Synthetic "digit-like" data
# --------------------------------------------------------------------------

IMG = 28
CLASSES = 10


def _segment_field(p0, p1, sigma=1.1):
    """Image of a blurred line segment from p0 to p1 (pixel coordinates)."""
    ys, xs = torch.meshgrid(torch.arange(IMG, dtype=torch.float32),
                            torch.arange(IMG, dtype=torch.float32), indexing="ij")
    px, py = xs - p0[0], ys - p0[1]
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    t = ((px * dx + py * dy) / (dx * dx + dy * dy + 1e-6)).clamp(0, 1)
    d2 = (px - t * dx) ** 2 + (py - t * dy) ** 2
    return torch.exp(-d2 / (2 * sigma * sigma))


def make_prototypes(seed=1234):
    """One fixed pattern per class: three random strokes, scaled to [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    protos = []
    for _ in range(CLASSES):
        img = torch.zeros(IMG, IMG)
        pts = 6 + torch.rand(4, 2, generator=g) * (IMG - 12)
        for a, b in ((0, 1), (1, 2), (2, 3)):
            img = torch.maximum(img, _segment_field(pts[a], pts[b]))
        protos.append(img)
    return torch.stack(protos)


def make_dataset(n, seed, protos, noise=0.3, label_noise=0.05):
    """n images (n, 1, 28, 28) float32 and labels (n,) int64.

    Each image is its class pattern shifted by up to 3 pixels, scaled by a
    random contrast and covered in Gaussian noise; a fraction `label_noise`
    of the labels is replaced by a random class, so accuracy cannot reach 100%.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, CLASSES, (n,), generator=g)
    shifts = torch.randint(-3, 4, (n, 2), generator=g)
    amp = 0.6 + 0.6 * torch.rand(n, generator=g)
    x = torch.empty(n, IMG, IMG)
    for i in range(n):
        x[i] = torch.roll(protos[labels[i]], shifts=(int(shifts[i, 0]), int(shifts[i, 1])), dims=(0, 1))
    x = x * amp[:, None, None] + noise * torch.randn(n, IMG, IMG, generator=g)
    flip = torch.rand(n, generator=g) < label_noise
    labels[flip] = torch.randint(0, CLASSES, (int(flip.sum()),), generator=g)
    return x.unsqueeze(1).contiguous(), labels


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

class SmallCNN(nn.Module):
    """MNIST-shaped CNN: conv-bn-relu-pool, conv-relu-pool, two linear layers."""

    def __init__(self, width=8, hidden=16, classes=CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.fc1 = nn.Linear(2 * width * 7 * 7, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


class LSTMClassifier(nn.Module):
    """Token ids (batch, seq) -> embedding -> 1-layer LSTM -> last hidden -> 4 classes."""

    def __init__(self, vocab=500, embed=32, hidden=48, classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.lstm = nn.LSTM(embed, hidden, num_layers=1, batch_first=True)
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.embedding(tokens))
        return self.classifier(h[-1])


class TinyMLP(nn.Module):
    def __init__(self, sizes=(16, 32, 32, 4)):
        super().__init__()
        self.fc1 = nn.Linear(sizes[0], sizes[1])
        self.fc2 = nn.Linear(sizes[1], sizes[2])
        self.out = nn.Linear(sizes[2], sizes[3])

    def forward(self, x):
        return self.out(F.relu(self.fc2(F.relu(self.fc1(x)))))


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def n_buffer_elems(module):
    return sum(b.numel() for b in module.buffers())


# --------------------------------------------------------------------------
# Training (one loop, three ways of logging it)
# --------------------------------------------------------------------------

class Clock:
    """Nominal clock: start + steps * step_seconds (+ eval time), or real time."""

    def __init__(self, start, step_seconds, eval_seconds, wall):
        self.wall = wall
        self.t = time.time() if wall else start
        self.step_seconds = step_seconds
        self.eval_seconds = eval_seconds

    def now(self):
        return time.time() if self.wall else self.t

    def advance(self, seconds):
        if not self.wall:
            self.t = round(self.t + seconds, 6)


def f32(x):
    """The Python float that a float32 metric becomes via .item() / .numpy()."""
    return float(np.float32(x))


def evaluate(model, x, y, batch_size=256):
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            out = model(x[i:i + batch_size])
            total_loss += F.cross_entropy(out, y[i:i + batch_size], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch_size]).sum().item()
    model.train()
    return total_loss / len(x), correct / len(x)


def train(model, data, *, seed, epochs, batch_size, lr, schedule, on_step=None, on_epoch=None):
    """Plain PyTorch loop with Adam. Calls on_step(step, epoch, batch_in_epoch, loss, n_correct, n, lr)
    after every optimizer step and on_epoch(epoch, stats) after every epoch (epoch counts from 0)."""
    (xtr, ytr), (xva, yva) = data
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(xtr) / batch_size)
    sched = None
    if schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    step = 0
    for epoch in range(epochs):
        perm = torch.randperm(len(xtr), generator=g)
        loss_sum, correct, seen = 0.0, 0, 0
        for b in range(steps_per_epoch):
            idx = perm[b * batch_size:(b + 1) * batch_size]
            xb, yb = xtr[idx], ytr[idx]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            used_lr = opt.param_groups[0]["lr"]
            opt.step()
            if sched is not None:
                sched.step()
            step += 1
            n_ok = (out.argmax(1) == yb).sum().item()
            loss_sum += loss.item() * len(yb)
            correct += n_ok
            seen += len(yb)
            if on_step:
                on_step(step, epoch, b, loss.item(), n_ok, len(yb), used_lr)
        val_loss, val_acc = evaluate(model, xva, yva)
        stats = {"loss": loss_sum / seen, "accuracy": correct / seen,
                 "val_loss": val_loss, "val_accuracy": val_acc,
                 "lr": opt.param_groups[0]["lr"], "step": step}
        if on_epoch:
            on_epoch(epoch, stats, model, opt)
    return opt


def setup_determinism():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def run_jsonl(name, data, *, width, hidden, seed, epochs, batch_size, lr, start,
              step_seconds, eval_seconds, wall, log_every=4, keep=None):
    """A run in the extension's own format: runs/<name>/metrics.jsonl + run.json."""
    torch.manual_seed(seed)
    model = SmallCNN(width=width, hidden=hidden)
    (xtr, _), (xva, _) = data
    steps_per_epoch = math.ceil(len(xtr) / batch_size)
    clock = Clock(start, step_seconds, eval_seconds, wall)
    started = clock.now()
    rows = []
    window = []

    def on_step(step, epoch, b, loss, n_ok, n, used_lr):
        clock.advance(step_seconds)
        window.append((loss, n_ok, n))
        if step % log_every == 0 or b == steps_per_epoch - 1:
            tot = sum(w[2] for w in window)
            rows.append({"step": step, "epoch": epoch + 1, "split": "train", "time": round(clock.now(), 3),
                         "loss": round(sum(w[0] * w[2] for w in window) / tot, 6),
                         "accuracy": round(sum(w[1] for w in window) / tot, 6),
                         "lr": round(used_lr, 8)})
            window.clear()

    def on_epoch(epoch, stats, model, opt):
        clock.advance(eval_seconds)
        rows.append({"step": stats["step"], "epoch": epoch + 1, "split": "val", "time": round(clock.now(), 3),
                     "loss": round(stats["val_loss"], 6), "accuracy": round(stats["val_accuracy"], 6),
                     "lr": round(stats["lr"], 8)})
        log.info("%s epoch %d/%d: loss %.4f acc %.4f | val_loss %.4f val_acc %.4f", name, epoch + 1, epochs,
                 stats["loss"], stats["accuracy"], stats["val_loss"], stats["val_accuracy"])
        if keep is not None:
            keep(epoch + 1, model, opt)

    opt = train(model, data, seed=seed, epochs=epochs, batch_size=batch_size, lr=lr, schedule="cosine",
                on_step=on_step, on_epoch=on_epoch)
    ended = clock.now()
    out = DEMO / "runs" / name
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "metrics.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    run = {
        "name": name,
        "status": "finished",
        "config": {
            "model": "SmallCNN", "width": width, "hidden": hidden, "params": n_params(model),
            "optimizer": "Adam", "lr": lr, "lr_schedule": "cosine, per step, to 0",
            "batch_size": batch_size, "epochs": epochs, "seed": seed,
            "dataset": "synthetic-digits (scripts/demo/make_demo.py)",
            "train_samples": len(xtr), "val_samples": len(xva), "device": "cpu",
            "log_every_steps": log_every,
        },
        "started": round(started, 3),
        "ended": round(ended, 3),
        "planned_epochs": epochs,
        "planned_steps": epochs * steps_per_epoch,
        "pid": None,
    }
    with open(out / "run.json", "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(run, indent=2) + "\n")
    return model, opt, ended


def run_keras_style(data, *, seed, epochs, batch_size, lr):
    """Keras CSVLogger file + a Keras-like console transcript (demo/train.log)."""
    torch.manual_seed(seed)
    model = SmallCNN(width=8, hidden=16)
    (xtr, _), (xva, _) = data
    steps_per_epoch = math.ceil(len(xtr) / batch_size)
    console = [f"SmallCNN(width=8, hidden=16): {n_params(model)} parameters; "
               f"{len(xtr)} training and {len(xva)} validation samples; batch size {batch_size}"]
    console.append("WARNING:make_demo:CUDA is not used: training on CPU with 1 thread so that the run is reproducible")
    epoch_logs = []

    def on_epoch(epoch, stats, model, opt):
        # Keras hands CSVLogger float32 metrics converted to Python floats.
        logs = {"accuracy": f32(stats["accuracy"]), "loss": f32(stats["loss"]),
                "val_accuracy": f32(stats["val_accuracy"]), "val_loss": f32(stats["val_loss"])}
        epoch_logs.append((epoch, logs))
        console.append(f"Epoch {epoch + 1}/{epochs}")
        console.append(f"{steps_per_epoch}/{steps_per_epoch} - loss: {logs['loss']:.4f} - accuracy: {logs['accuracy']:.4f}"
                       f" - val_loss: {logs['val_loss']:.4f} - val_accuracy: {logs['val_accuracy']:.4f}")

    train(model, data, seed=seed, epochs=epochs, batch_size=batch_size, lr=lr, schedule=None, on_epoch=on_epoch)

    # What keras.callbacks.CSVLogger does: keys sorted, "epoch" first (0-based),
    # csv.DictWriter with the excel dialect (so CRLF line ends), no newline translation.
    out = DEMO / "logs" / "keras_csvlogger"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "training.log", "w", newline="") as f:
        keys = sorted(epoch_logs[0][1].keys())

        class CustomDialect(csv.excel):
            delimiter = ","

        writer = csv.DictWriter(f, fieldnames=["epoch"] + keys, dialect=CustomDialect)
        writer.writeheader()
        for epoch, logs in epoch_logs:
            row = {"epoch": epoch}
            row.update((k, logs[k]) for k in keys)
            writer.writerow(row)

    best = min(range(len(epoch_logs)), key=lambda i: epoch_logs[i][1]["val_loss"])
    console.append(f"Best val_loss {epoch_logs[best][1]['val_loss']:.4f} at epoch {best + 1}")
    with open(DEMO / "train.log", "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(console) + "\n")


def run_lightning_style(data, *, seed, epochs, batch_size, lr, log_every_n_steps):
    """lightning_logs/version_0/{metrics.csv,hparams.yaml} as Lightning 2.x's CSVLogger writes them.

    The LightningModule this mirrors logs self.log("train_loss", loss) in
    training_step (on_step only) and self.log("val_loss") / self.log("val_acc")
    in validation_step (epoch means). Lightning logs a training row when
    (batches_stepped + 1) % log_every_n_steps == 0 with step = batches_stepped,
    and validation at the end of an epoch with the step of the epoch's last batch;
    it adds "epoch" to every row and the writer adds "step".
    """
    hparams = {"width": 8, "hidden": 16, "lr": lr, "batch_size": batch_size}
    torch.manual_seed(seed)
    model = SmallCNN(width=hparams["width"], hidden=hparams["hidden"])
    rows = []
    _, (xva, yva) = data

    def on_step(step, epoch, b, loss, n_ok, n, used_lr):
        batches_stepped = step - 1  # Lightning's counter before it is incremented for this batch
        if (batches_stepped + 1) % log_every_n_steps == 0:
            rows.append({"train_loss": f32(loss), "epoch": epoch, "step": batches_stepped})

    def on_epoch(epoch, stats, model, opt):
        # validation_step logs per-batch values; Lightning reduces them to a batch-size weighted mean.
        rows.append({"val_loss": f32(stats["val_loss"]), "val_acc": f32(stats["val_accuracy"]),
                     "epoch": epoch, "step": stats["step"] - 1})

    train(model, data, seed=seed, epochs=epochs, batch_size=batch_size, lr=lr, schedule=None,
          on_step=on_step, on_epoch=on_epoch)

    out = DEMO / "lightning_logs" / "version_0"
    out.mkdir(parents=True, exist_ok=True)
    # lightning.fabric.loggers.csv_logs._ExperimentWriter.save (2.1+): header = all keys seen, sorted;
    # csv.DictWriter default (excel) dialect, so CRLF line ends; missing keys are empty cells.
    keys = sorted(set().union(*rows))
    with open(out / "metrics.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    with open(out / "hparams.yaml", "w", newline="") as f:
        yaml.dump(hparams, f)


# --------------------------------------------------------------------------
# Model files
# --------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    """safetensors by hand: u64 LE header length, JSON header, raw little-endian data.

    Tensors are laid out in name order, back to back; the header is padded with
    spaces to a multiple of 8 bytes (as the reference writer does) so the data is aligned.
    """
    dtypes = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("int64"): "I64"}
    header = {"__metadata__": dict(metadata)}
    blobs, offset = [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtypes[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (-(8 + len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def write_keras2_weights_h5(path, layers, keras_version="2.15.0"):
    """HDF5 laid out as Keras 2.x Model.save_weights("x.h5") lays it out
    (keras/saving/legacy/hdf5_format.py: save_weights_to_hdf5_group), written with h5py.

    layers: list of (layer_name, [(weight_name, array), ...]) in model order.
    """
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [name.encode("utf8") for name, _ in layers]
        f.attrs["backend"] = "tensorflow".encode("utf8")
        f.attrs["keras_version"] = keras_version.encode("utf8")
        for name, weights in sorted(layers, key=lambda l: l[0]):
            g = f.create_group(name)
            weight_names = [w.encode("utf8") for w, _ in weights]
            g.attrs["weight_names"] = weight_names
            for wname, val in zip(weight_names, (v for _, v in weights)):
                dset = g.create_dataset(wname, val.shape, dtype=val.dtype)
                dset[:] = val
        # Recent Keras 2 versions also write the model's own (top-level) weights; a Sequential has none.
        g = f.create_group("top_level_model_weights")
        g.attrs["weight_names"] = []


def mnist_cnn_builder():
    """The Keras MNIST CNN: Conv2D, MaxPooling2D, Conv2D, Flatten, Dropout, Dense softmax."""
    b = ModelBuilder("mnist_cnn", seed=51)
    x = b.input((IMG, IMG, 1))
    x = b.conv2d(x, 32, 3, activation="relu")
    x = b.max_pool2d(x, 2)
    x = b.conv2d(x, 64, 3, activation="relu")
    x = b.flatten(x)
    x = b.dropout(x, 0.5)
    b.dense(x, CLASSES, activation="softmax")
    return b


def write_keras_cnn(path):
    """A full Keras 2 model file (model_config + model_weights) with seeded weights."""
    b = mnist_cnn_builder()
    config = b.sequential_config()
    layers = b.layer_weights(config)
    keras2_h5.write_model_h5(path, config, layers)
    return config, layers


def write_tfjs_mlp(out_dir, keras_layers):
    """The dense MLP of dense_mlp.weights.h5 (same weights) as a TF.js LayersModel, in the layout
    tensorflowjs_converter writes for a Keras .h5."""
    b = ModelBuilder("dense_mlp")
    x = b.input((20,))
    x = b.dense(x, 64, activation="relu")
    x = b.dense(x, 32, activation="relu")
    b.dense(x, 3)
    config = b.sequential_config()
    layers = [keras2_h5.LayerWeights(name, weights) for name, weights in keras_layers]
    if [l.name for l in layers] != [e["config"]["name"] for e in config["config"]["layers"][1:]]:
        raise ValueError("the MLP's layer names do not match dense_mlp.weights.h5")
    return tfjs_writer.write_layers_model(out_dir, config, layers, converted_by="scripts/demo/make_demo.py")


def export_onnx(model, path):
    model.eval()
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 1, IMG, IMG), buf, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    path.write_bytes(buf.getvalue())
    model.train()


def describe_state_dict(sd, indent="  "):
    lines = []
    for k, v in sd.items():
        lines.append(f"{indent}- `{k}`: {str(v.dtype).replace('torch.', '')} {list(v.shape)}")
    return lines


def fmt(n):
    return f"{n:,}"


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wall-clock", action="store_true",
                    help="record the real times of this run in the logs (output then differs per run)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    setup_determinism()
    MODELS.mkdir(parents=True, exist_ok=True)

    protos = make_prototypes()
    data = (make_dataset(4096, 1, protos), make_dataset(512, 2, protos))
    data_desc = ("synthetic 28x28 one-channel images in 10 classes (each class a fixed pattern of three blurred "
                 "strokes, randomly shifted by up to 3 px, scaled and covered in Gaussian noise; 5% of labels "
                 "replaced by a random class): 4,096 for training, 512 for validation")

    # ---- the two overlayable runs; the baseline's weights become the CNN model files
    snapshots = {}

    def keep(epoch, model, opt):
        if epoch == 3:
            snapshots[3] = {"model": copy.deepcopy(model.state_dict()),
                            "optimizer": copy.deepcopy(opt.state_dict()), "epoch": 3}

    base_cfg = dict(hidden=16, seed=7, epochs=5, batch_size=64, lr=3e-3, step_seconds=0.12, eval_seconds=0.8,
                    wall=args.wall_clock)
    cnn, cnn_opt, t_end = run_jsonl("cnn-baseline", data, width=8, start=T0, keep=keep, **base_cfg)
    wide, _, _ = run_jsonl("cnn-wider", data, width=16, start=math.floor(t_end) + 120.0,
                           **dict(base_cfg, step_seconds=0.21, eval_seconds=1.4))
    run_keras_style(data, seed=11, epochs=6, batch_size=32, lr=1e-3)
    run_lightning_style(data, seed=13, epochs=4, batch_size=64, lr=1e-3, log_every_n_steps=10)

    # ---- model files
    cnn.eval()
    sd = cnn.state_dict()
    torch.save(sd, MODELS / "mnist_cnn.pt")
    torch.save(sd, MODELS / "mnist_cnn_legacy.pth", _use_new_zipfile_serialization=False)
    torch.save(snapshots[3], MODELS / "checkpoint_epoch3.pt")
    export_onnx(cnn, MODELS / "mnist_cnn.onnx")

    torch.manual_seed(21)
    lstm = LSTMClassifier()
    torch.save(lstm.state_dict(), MODELS / "lstm_classifier.pt")

    torch.manual_seed(31)
    mlp = TinyMLP()
    write_safetensors(MODELS / "tiny_mlp.safetensors",
                      {k: v.detach().numpy() for k, v in mlp.state_dict().items()},
                      {"format": "pt", "source": "scripts/demo/make_demo.py", "model": "TinyMLP 16-32-32-4"})

    torch.manual_seed(41)
    dense = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 3))
    linears = [m for m in dense if isinstance(m, nn.Linear)]
    keras_layers = []
    for i, lin in enumerate(linears):
        lname = "dense" if i == 0 else f"dense_{i}"
        keras_layers.append((lname, [(f"{lname}/kernel:0", lin.weight.detach().numpy().T.copy()),  # (in, out)
                                     (f"{lname}/bias:0", lin.bias.detach().numpy().copy())]))
    write_keras2_weights_h5(MODELS / "dense_mlp.weights.h5", keras_layers)
    keras_cnn_config, keras_cnn_layers = write_keras_cnn(MODELS / "keras_cnn_mnist.h5")
    tfjs_mlp_json = write_tfjs_mlp(MODELS / "tfjs_mlp", keras_layers)

    # ---- counts for the README, from the files as written
    onnx_model = onnx.load(str(MODELS / "mnist_cnn.onnx"))
    onnx_inits = [(i.name, list(i.dims), onnx.TensorProto.DataType.Name(i.data_type)) for i in onnx_model.graph.initializer]
    onnx_count = sum(int(np.prod(d)) if d else 1 for _, d, _ in onnx_inits)
    ck = snapshots[3]
    opt_state_elems = sum(t.numel() for s in ck["optimizer"]["state"].values() for t in s.values()
                          if torch.is_tensor(t))
    lstm_params = n_params(lstm)
    mlp_params = n_params(mlp)
    dense_params = n_params(dense)
    cnn_params, cnn_buf = n_params(cnn), n_buffer_elems(cnn)
    wide_params = n_params(wide)

    write_models_readme(sd, cnn_params, cnn_buf, ck, opt_state_elems, onnx_inits, onnx_count, onnx_model,
                        lstm, lstm_params, mlp, mlp_params, keras_layers, dense_params, wide_params,
                        keras_cnn_config, keras_cnn_layers, tfjs_mlp_json)
    write_demo_readme(data_desc)
    # The CSV logs must keep the CRLF line ends their writers use, and the model files are binary:
    # tell git not to convert line ends anywhere in demo/.
    (DEMO / ".gitattributes").write_text("# Generated files: keep their bytes as written (CRLF CSVs, binaries).\n* -text\n",
                                         encoding="utf-8")
    log.info("wrote %s", DEMO.relative_to(REPO))


def write_models_readme(sd, cnn_params, cnn_buf, ck, opt_state_elems, onnx_inits, onnx_count, onnx_model,
                        lstm, lstm_params, mlp, mlp_params, keras_layers, dense_params, wide_params,
                        keras_cnn_config, keras_cnn_layers, tfjs_mlp_json):
    L = []
    L.append("# Sample model files")
    L.append("")
    L.append(f"Generated by `scripts/demo/make_demo.py` (regenerate with `{REGEN}`) with PyTorch "
             f"{torch.__version__.split('a')[0]}, ONNX {onnx.__version__} and h5py {h5py.__version__}, from fixed seeds. "
             "\"Parameters\" counts the elements of the trainable tensors; buffers (BatchNorm running statistics "
             "and its batch counter) and optimizer state are counted separately. All numbers below are computed "
             "by the script from the models it saved.")
    L.append("")
    L.append("The CNN is `SmallCNN` in the script: `conv1` Conv2d(1, 8, 3, padding=1) → `bn1` BatchNorm2d(8) → "
             "ReLU → max-pool 2 → `conv2` Conv2d(8, 16, 3, padding=1) → ReLU → max-pool 2 → flatten (16·7·7 = 784) "
             "→ `fc1` Linear(784, 16) → ReLU → `fc2` Linear(16, 10). Input (N, 1, 28, 28), output 10 logits. "
             "Its weights are the final weights of the training run in `../runs/cnn-baseline/` (5 epochs on "
             "synthetic data, see `../README.md`).")
    L.append("")
    L.append("| file | what it holds | parameters |")
    L.append("| --- | --- | --- |")
    L.append(f"| `mnist_cnn.pt` | `state_dict()` of the CNN, `torch.save` zip format (PyTorch ≥ 1.6 default) | "
             f"{fmt(cnn_params)} (+ {fmt(cnn_buf)} buffer elements) |")
    L.append(f"| `mnist_cnn_legacy.pth` | the same `state_dict`, legacy pre-1.6 format "
             f"(`_use_new_zipfile_serialization=False`: pickle stream, not a zip) | {fmt(cnn_params)} "
             f"(+ {fmt(cnn_buf)} buffer elements) |")
    L.append(f"| `checkpoint_epoch3.pt` | dict `{{\"model\": state_dict, \"optimizer\": Adam state_dict, \"epoch\": 3}}` "
             f"taken from the same run after its 3rd epoch; zip format | model {fmt(cnn_params)} "
             f"(+ {fmt(cnn_buf)} buffer elements); optimizer state {fmt(opt_state_elems)} elements |")
    L.append(f"| `mnist_cnn.onnx` | `torch.onnx.export` of the CNN in eval mode, opset 13, input `input` "
             f"[batch, 1, 28, 28], output `logits` [batch, 10], `batch` dynamic | {fmt(onnx_count)} "
             f"(initializer elements; the exporter folded `bn1` into `conv1`) |")
    L.append(f"| `lstm_classifier.pt` | `state_dict()` of a text classifier: Embedding(500, 32, padding_idx=0) → "
             f"LSTM(32, 48, 1 layer, batch_first) → Linear(48, 4); seeded initial weights, not trained | "
             f"{fmt(lstm_params)} |")
    L.append(f"| `tiny_mlp.safetensors` | MLP 16 → 32 → 32 → 4 (`fc1`, `fc2`, `out`, ReLU between); seeded initial "
             f"weights, not trained; float32; written byte by byte from the safetensors spec (not with the "
             f"`safetensors` package), `__metadata__` = format/source/model | {fmt(mlp_params)} |")
    L.append(f"| `dense_mlp.weights.h5` | weights of a 20 → 64 → 32 → 3 Dense MLP (`dense`, `dense_1`, `dense_2`) in "
             f"the HDF5 layout of Keras 2 `model.save_weights(\"….h5\")`. **Written by h5py in the Keras layout, "
             f"not by Keras**: the values are a seeded PyTorch `nn.Linear` initialization, kernels transposed to "
             f"Keras's (in, out) | {fmt(dense_params)} |")
    keras_cnn_params = sum(v.size for layer in keras_cnn_layers for _, v in layer.weights)
    L.append(f"| `keras_cnn_mnist.h5` | a full Keras 2 model (`model.save(\"….h5\")` layout of tf.keras "
             f"{keras2_h5.KERAS_VERSION}: architecture in `model_config`, weights in `model_weights`, no "
             f"`training_config`): the Keras MNIST CNN, input (28, 28, 1) → Conv2D 32 → MaxPooling2D → "
             f"Conv2D 64 → Flatten → Dropout 0.5 → Dense 10 softmax. **Written by h5py in the Keras layout, "
             f"not by Keras**, with seeded weights (He-scaled normal kernels, small uniform biases), not "
             f"trained | {fmt(keras_cnn_params)} |")
    L.append(f"| `tfjs_mlp/` | a TF.js LayersModel (`model.json` + `group1-shard1of1.bin`) in the layout "
             f"`tensorflowjs_converter` writes for a Keras .h5: the MLP of `dense_mlp.weights.h5` with the same "
             f"weights (20 → 64 ReLU → 32 ReLU → 3, logits). **Written by numpy, not by the converter** | "
             f"{fmt(dense_params)} |")
    L.append("")
    L.append("Notes for readers of these files:")
    L.append("")
    L.append("- The zip-format `.pt` files keep their records under a folder named after the file "
             "(`mnist_cnn/data.pkl`, `mnist_cnn/data/0`, …, `mnist_cnn/version` = `3`); other PyTorch versions and "
             "writers may use another folder name (such as `archive/`), so do not rely on it.")
    L.append("- `mnist_cnn_legacy.pth` is the legacy stream: pickled magic number, protocol version and system info, "
             "then the pickled object, then the storage keys and raw storages. Its storage keys are memory "
             "addresses, so the file's bytes change on every regeneration while its tensors do not.")
    L.append("- PyTorch 1.13's `torch.load(..., weights_only=True)` loads every file here except "
             "`checkpoint_epoch3.pt`: its restricted unpickler has no opcode for Python floats, which the optimizer "
             "state holds (lr, betas, eps). `scripts/demo/check_demo.py` loads that one without `weights_only`.")
    L.append("")
    L.append("## Contents")
    L.append("")
    L.append("`mnist_cnn.pt` and `mnist_cnn_legacy.pth` (same tensors):")
    L.append("")
    L.extend(describe_state_dict(sd, indent=""))
    L.append("")
    L.append(f"Trainable: {fmt(cnn_params)}; buffers `bn1.running_mean`, `bn1.running_var` (8 each) and "
             f"`bn1.num_batches_tracked` (int64 scalar): {fmt(cnn_buf)} elements; "
             f"{fmt(cnn_params + cnn_buf)} elements in all, {len(sd)} tensors.")
    L.append("")
    L.append("`checkpoint_epoch3.pt`:")
    L.append("")
    L.append(f"- `model`: the {len(ck['model'])} tensors above (values after epoch 3)")
    nstate = len(ck["optimizer"]["state"])
    L.append(f"- `optimizer`: `state` for {nstate} parameters (`step` float32 scalar, `exp_avg`, `exp_avg_sq`: "
             f"{fmt(opt_state_elems)} elements), `param_groups` with one group "
             f"(lr {ck['optimizer']['param_groups'][0]['lr']:.6g} at that point, betas, eps, weight_decay, "
             f"amsgrad, initial_lr, …)")
    L.append("- `epoch`: `3` (three epochs completed)")
    L.append("")
    L.append("`mnist_cnn.onnx` initializers:")
    L.append("")
    for name, dims, dt in onnx_inits:
        L.append(f"- `{name}`: {dt} {dims}")
    ops = [n.op_type for n in onnx_model.graph.node]
    L.append("")
    L.append(f"Nodes: {', '.join(ops)}.")
    L.append("")
    L.append("`lstm_classifier.pt`:")
    L.append("")
    L.extend(describe_state_dict(lstm.state_dict(), indent=""))
    L.append("")
    L.append("`tiny_mlp.safetensors` (tensors stored in name order, all F32):")
    L.append("")
    L.extend(describe_state_dict({k: mlp.state_dict()[k] for k in sorted(mlp.state_dict())}, indent=""))
    L.append("")
    L.append("`dense_mlp.weights.h5`: root attributes `layer_names` = [dense, dense_1, dense_2], "
             "`backend` = tensorflow, `keras_version` = 2.15.0 (the version whose layout this copies). Keras hands h5py "
             "these names as byte strings, which h5py 3 stores as variable-length ASCII strings (files written "
             "with h5py 2 have fixed-length strings instead), so readers must accept both. One group per layer, "
             "with attribute `weight_names` and the datasets (float32):")
    L.append("")
    for lname, ws in keras_layers:
        for wname, v in ws:
            L.append(f"- `/{lname}/{wname}`: {list(v.shape)}")
    L.append("")
    L.append("and an empty group `top_level_model_weights` whose `weight_names` is an empty array (h5py stores Keras's "
             "`[]` as float64 with shape (0,)), which recent Keras 2 versions add. "
             "Note: Keras 3 requires the `.weights.h5` suffix but writes a different layout (`layers/<name>/vars/0`, "
             "…); this file uses the Keras 2 layout, so a reader must look at the contents, not the name.")
    L.append("")
    L.append("`keras_cnn_mnist.h5`: root attributes `keras_version` = 2.15.0 and `backend` = tensorflow "
             "(variable-length UTF-8 strings), `model_config` (JSON, variable-length ASCII) = a `Sequential` whose "
             "first entry is its `InputLayer`; `model_weights` has attributes `layer_names` (the layers without "
             "the InputLayer), `backend` and `keras_version`, one group per layer with attribute "
             "`weight_names`, an empty group `top_level_model_weights`, and the datasets (float32):")
    L.append("")
    for layer in keras_cnn_layers:
        if not layer.weights:
            L.append(f"- `/model_weights/{layer.name}`: no weights (`weight_names` is an empty float64 array)")
        for wname, v in layer.weights:
            L.append(f"- `/model_weights/{layer.name}/{wname}`: {list(v.shape)}")
    L.append("")
    manifest = tfjs_mlp_json["weightsManifest"][0]
    L.append(f"`tfjs_mlp/model.json`: `format` = {tfjs_mlp_json['format']}, `generatedBy` = "
             f"{tfjs_mlp_json['generatedBy']}, `convertedBy` = {tfjs_mlp_json['convertedBy']}, `modelTopology` = "
             f"{{keras_version, backend, model_config}} (a Keras 2 `Sequential`: InputLayer, Dense ×3), one weight "
             f"group in `{', '.join(manifest['paths'])}` (float32, little-endian, back to back):")
    L.append("")
    for w in manifest["weights"]:
        L.append(f"- `{w['name']}`: {w['dtype']} {w['shape']}")
    L.append("")
    L.append(f"Not saved as a model file: the wider CNN of `../runs/cnn-wider/` (width 16, {fmt(wide_params)} "
             f"parameters).")
    L.append("")
    (MODELS / "README.md").write_text("\n".join(L), encoding="utf-8")


def write_demo_readme(data_desc):
    para = (
        "This folder is the workspace that `npm start` opens, so that each feature of Deep Learning Kit has real "
        "files to show. Everything in it was written by `scripts/demo/make_demo.py` from fixed seeds, on CPU, "
        "without downloading anything, using Debian's PyTorch 1.13, ONNX and h5py; no TensorFlow or Keras was "
        "involved. `models/` holds small PyTorch (zip and legacy `torch.save` formats, a training checkpoint), "
        "ONNX, safetensors, Keras HDF5 and TF.js model files; `models/README.md` lists what each holds and its "
        "parameter count (the safetensors file is written byte by byte from the format's spec; the HDF5 files are "
        "written by h5py in the layouts Keras 2 uses for weights-only and full-model `.h5` files, not by Keras; the "
        "TF.js model is written by numpy in the layout of TensorFlow.js's converter). The logs come from real short "
        f"training runs of a small CNN on {data_desc}. `runs/cnn-baseline/` and `runs/cnn-wider/` (width 8 vs "
        "16: the channels of the first conv layer, the second having twice as many; same data, seed and "
        "schedule, so they can be overlaid) are in the "
        "extension's own format: `metrics.jsonl` has one JSON object per line with `step` (optimizer steps done), "
        "`epoch` (counted from 1), `split` (`train`: mean over the last 4 batches; `val`: the whole validation set "
        "at the end of the epoch), `time`, `loss`, `accuracy` and `lr`, and `run.json` describes the run. "
        "`logs/keras_csvlogger/training.log` is a third run, written by the script the way Keras's `CSVLogger` "
        "writes (header `epoch` then the metric names sorted, epochs counted from 0, float32 values printed in "
        "full, CRLF line ends), and `train.log` is that run's console output, in the manner of Keras "
        "`verbose=2` but without its timing fields. `lightning_logs/version_0/` is a fourth run, written the way "
        "PyTorch Lightning 2.x's `CSVLogger` writes (`metrics.csv` with the sorted header of every key logged, "
        "empty cells where a row lacks a metric, CRLF line ends; and `hparams.yaml`), again by the script's own "
        "training loop, not by Lightning. The losses and accuracies are the real values of these runs, but the "
        "times in `metrics.jsonl` and `run.json` are nominal (a fixed start plus a fixed duration per step) so "
        "that regenerating gives the same bytes; the one file that changes on every regeneration is "
        "`models/mnist_cnn_legacy.pth`, because PyTorch's legacy format names storages by their memory addresses."
    )
    import textwrap
    text = ("# Sample workspace\n\n" + textwrap.fill(para, 110, break_on_hyphens=False, break_long_words=False)
            + "\n\nRegenerate it, and load every file back, from the repository root:\n\n```sh\n"
            + REGEN + "\n/usr/bin/python3 scripts/demo/check_demo.py\n```\n")
    (DEMO / "README.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
