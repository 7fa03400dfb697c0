"""PyTorch model files in every form `dlkit summary` reads, each with the true numbers beside it.

    /usr/bin/python3 scripts/models/make_pytorch_models.py OUTDIR

Uses Debian's torch 1.13 and torchvision (weights=None: nothing is downloaded), seeded random weights.
Writes into OUTDIR:

- `<model>.pth` (zip, torch >= 1.6) and `<model>_legacy.pth` (`_use_new_zipfile_serialization=False`)
  state_dicts of: resnet18, mobilenet_v2, transformer (a small nn.Transformer), recurrent (Embedding, a
  2-layer bidirectional LSTM, GRU, an LSTM with proj_size, Linear), zoo (Conv1d/Conv3d, GroupNorm,
  PReLU, weight_norm, MultiheadAttention with kdim/vdim, LSTMCell/GRUCell/RNN) and tied (Embedding and
  an output Linear sharing one weight);
- `recurrent_checkpoint.pt`: {"model": state_dict, "optimizer": Adam state after one step, "epoch": 3};
- `tiny_cnn_whole.pt`: `torch.save(model)` of TinyCNN, a class defined here (pickled as `__main__.TinyCNN`);
- `tiny_cnn_scripted.pt` / `tiny_cnn_traced.pt`: TorchScript (torch.jit.script / trace + torch.jit.save);
- `tiny_cnn.onnx`: torch.onnx.export, opset 13, dynamic batch axis;
- `transformer.safetensors`: written by `write_safetensors` below from the format's description (u64 LE
  header length, JSON header {name: {dtype, shape, data_offsets}} in offset order plus `__metadata__`,
  padded with spaces to a multiple of 8 bytes, then the little-endian tensor bytes).

Beside each file, `<file>.expected.json`: total_params (numel of model.parameters(), a tied weight once;
for ONNX the initializers' elements, since the export folds BatchNorm into Conv), trainable_params,
buffer_elements, state_dict_tensors and `tensors` (name, shape, dtype, storage number, buffer flag, in
state_dict order), `modules` (every named_modules() path with type(m).__name__ and whether it is a
leaf), file_bytes and weight_bytes (tensor bytes, a shared storage once). Every file is read back and
compared with what was meant; any difference exits non-zero. About 15 s, ~160 MB.
"""
import json
import os
import struct
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torchvision

SEED = 0

SAFETENSORS_DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


class TinyCNN(nn.Module):
    """Conv, BatchNorm, ReLU, pooling and a Linear head: small enough for every format."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(16, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(100, 16)
        self.lstm = nn.LSTM(16, 32, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(64, 24, batch_first=True)
        self.projected = nn.LSTM(24, 20, proj_size=10, batch_first=True)
        self.fc = nn.Linear(10, 5)

    def forward(self, tokens):
        x, _ = self.lstm(self.embedding(tokens))
        x, _ = self.gru(x)
        x, _ = self.projected(x)
        return self.fc(x[:, -1])


class Zoo(nn.Module):
    """One of each less common layer the module tree knows."""

    def __init__(self):
        super().__init__()
        self.conv1d = nn.Conv1d(4, 8, 5)
        self.conv3d = nn.Conv3d(2, 4, (3, 3, 3), bias=False)
        self.group_norm = nn.GroupNorm(2, 8)
        self.prelu = nn.PReLU(8)
        self.norm = nn.LayerNorm(16)
        self.dense = nn.utils.weight_norm(nn.Linear(16, 16))
        self.attention = nn.MultiheadAttention(16, 4, kdim=8, vdim=12)
        self.cell = nn.LSTMCell(16, 12)
        self.gru_cell = nn.GRUCell(12, 6, bias=False)
        self.rnn = nn.RNN(6, 7, num_layers=3)


class Tied(nn.Module):
    """A language model whose output layer reuses the embedding matrix."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.rnn = nn.LSTM(16, 16, batch_first=True)
        self.head = nn.Linear(16, 50, bias=False)
        self.head.weight = self.embed.weight


def small_transformer():
    return nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=64)


MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(weights=None),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(weights=None),
    "transformer": small_transformer,
    "recurrent": Recurrent,
    "zoo": Zoo,
    "tied": Tied,
}


# ---------------------------------------------------------------------------- the true numbers


def storage_numbers(state_dict):
    """Each tensor's storage as a small number, in first-seen order (tied tensors share one)."""
    numbers = {}
    return [numbers.setdefault(tensor.storage().data_ptr(), len(numbers)) for tensor in state_dict.values()]


def expected_for(model, state_dict, path, fmt):
    params = list(model.parameters())  # deduplicated by identity: a tied weight once
    buffer_names = {name for name, _ in model.named_buffers()}
    storages = storage_numbers(state_dict)
    seen, weight_bytes = set(), 0
    for storage, tensor in zip(storages, state_dict.values()):
        if storage not in seen:
            seen.add(storage)
            weight_bytes += tensor.numel() * tensor.element_size()
    return {
        "file": os.path.basename(path),
        "format": fmt,
        "model_class": type(model).__name__,
        "total_params": sum(p.numel() for p in params),
        "trainable_params": sum(p.numel() for p in params if p.requires_grad),
        "buffer_elements": sum(b.numel() for b in model.buffers()),
        "state_dict_tensors": len(state_dict),
        "tensors": [
            {"name": name, "shape": list(tensor.shape), "dtype": str(tensor.dtype).replace("torch.", ""),
             "storage": storage, "buffer": name in buffer_names}
            for (name, tensor), storage in zip(state_dict.items(), storages)
        ],
        "modules": [
            {"path": name, "class": type(module).__name__, "leaf": len(list(module.children())) == 0}
            for name, module in model.named_modules() if name
        ],
        "file_bytes": os.path.getsize(path),
        "weight_bytes": weight_bytes,
    }


def write_expected(path, expected):
    with open(path + ".expected.json", "w") as out:
        json.dump(expected, out, indent=1)


# ---------------------------------------------------------------------------- safetensors


def write_safetensors(path, tensors, metadata):
    """The format as its description gives it; every tensor stored contiguous, little-endian."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous()
        array = (data.view(torch.int16) if data.dtype == torch.bfloat16 else data).numpy()
        raw = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[data.dtype], "shape": list(data.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)


def read_safetensors(path):
    """name -> (dtype, shape, bytes), checking the layout on the way."""
    with open(path, "rb") as source:
        blob = source.read()
    (size,) = struct.unpack("<Q", blob[:8])
    assert size % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(blob[8:8 + size])
    data = blob[8 + size:]
    header.pop("__metadata__")
    end = 0
    out = {}
    for name, entry in header.items():
        begin, stop = entry["data_offsets"]
        assert begin == end, f"{name}: offsets not in order"
        end = stop
        out[name] = (entry["dtype"], entry["shape"], data[begin:stop])
    assert end == len(data), "data size differs from the offsets"
    return out


# ---------------------------------------------------------------------------- read-back checks


def same_state_dict(expected, loaded, what):
    if list(expected) != list(loaded):
        raise SystemExit(f"{what}: keys differ")
    for name, tensor in expected.items():
        if not torch.equal(tensor, loaded[name]):
            raise SystemExit(f"{what}: {name} differs")


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    warnings.filterwarnings("ignore")
    rows = []

    def record(model, state_dict, filename, fmt, **extra):
        path = os.path.join(outdir, filename)
        expected = expected_for(model, state_dict, path, fmt)
        expected.update(extra)
        write_expected(path, expected)
        rows.append((filename, fmt, expected["total_params"], expected["state_dict_tensors"], expected["file_bytes"]))

    models = {}
    for name, make in MODELS.items():
        torch.manual_seed(SEED)
        model = make().eval()
        models[name] = model
        state_dict = model.state_dict()
        for filename, new_zip in ((f"{name}.pth", True), (f"{name}_legacy.pth", False)):
            path = os.path.join(outdir, filename)
            torch.save(state_dict, path, _use_new_zipfile_serialization=new_zip)
            same_state_dict(state_dict, torch.load(path), filename)
            record(model, state_dict, filename, "pytorch-zip" if new_zip else "pytorch-legacy")

    # A training checkpoint: the model's state_dict nested beside optimizer state and the epoch.
    recurrent = models["recurrent"]
    optimizer = torch.optim.Adam(recurrent.parameters(), lr=1e-3)
    recurrent.train()
    recurrent(torch.randint(0, 100, (2, 5))).sum().backward()
    optimizer.step()
    recurrent.eval()
    state_dict = recurrent.state_dict()
    path = os.path.join(outdir, "recurrent_checkpoint.pt")
    torch.save({"model": state_dict, "optimizer": optimizer.state_dict(), "epoch": 3}, path)
    loaded = torch.load(path)
    same_state_dict(state_dict, loaded["model"], "recurrent_checkpoint.pt")
    optimizer_tensors = [t for s in optimizer.state_dict()["state"].values() for t in s.values() if torch.is_tensor(t)]
    record(recurrent, state_dict, "recurrent_checkpoint.pt", "checkpoint", checkpoint_keys=["model", "optimizer", "epoch"],
           epoch=3, optimizer_state_tensors=len(optimizer_tensors), optimizer_state_values=sum(t.numel() for t in optimizer_tensors))

    # One small CNN as a whole-model pickle, TorchScript (scripted and traced) and ONNX.
    torch.manual_seed(SEED)
    tiny = TinyCNN().eval()
    state_dict = tiny.state_dict()
    path = os.path.join(outdir, "tiny_cnn_whole.pt")
    torch.save(tiny, path)
    same_state_dict(state_dict, torch.load(path).state_dict(), "tiny_cnn_whole.pt")
    record(tiny, state_dict, "tiny_cnn_whole.pt", "whole-model", pickled_class="__main__.TinyCNN")

    example = torch.randn(2, 3, 16, 16)
    for filename, compiled in (("tiny_cnn_scripted.pt", torch.jit.script(tiny)), ("tiny_cnn_traced.pt", torch.jit.trace(tiny, example))):
        path = os.path.join(outdir, filename)
        torch.jit.save(compiled, path)
        reloaded = torch.jit.load(path)
        same_state_dict(state_dict, reloaded.state_dict(), filename)
        if not torch.allclose(reloaded(example), tiny(example)):
            raise SystemExit(f"{filename}: outputs differ")
        record(tiny, state_dict, filename, "torchscript")

    import onnx
    from onnx import numpy_helper

    path = os.path.join(outdir, "tiny_cnn.onnx")
    torch.onnx.export(tiny, example, path, opset_version=13, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    initializers = [numpy_helper.to_array(init) for init in proto.graph.initializer]
    record(tiny, state_dict, "tiny_cnn.onnx", "onnx", torch_params=sum(p.numel() for p in tiny.parameters()),
           total_params=int(sum(array.size for array in initializers)), initializers=len(initializers),
           opset=13, input_dims=["batch", 3, 16, 16])

    # safetensors: the transformer's state_dict (no buffers, no ties: every tensor is a parameter).
    transformer = models["transformer"]
    state_dict = transformer.state_dict()
    path = os.path.join(outdir, "transformer.safetensors")
    write_safetensors(path, state_dict, {"format": "pt", "producer": "make_pytorch_models.py"})
    stored = read_safetensors(path)
    for name, tensor in state_dict.items():
        dtype, shape, raw = stored[name]
        back = torch.from_numpy(np.frombuffer(raw, dtype="<f4").reshape(shape).copy())
        if dtype != "F32" or not torch.equal(back, tensor):
            raise SystemExit(f"transformer.safetensors: {name} differs")
    record(transformer, state_dict, "transformer.safetensors", "safetensors")

    print(f"{'file':32} {'format':15} {'params':>10} {'tensors':>8} {'bytes':>10}")
    for row in rows:
        print(f"{row[0]:32} {row[1]:15} {row[2]:>10} {row[3]:>8} {row[4]:>10}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_pytorch_models.py OUTDIR")
    main(sys.argv[1])
