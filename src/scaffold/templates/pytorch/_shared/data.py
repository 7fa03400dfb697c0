"""Image data: synthetic shapes (the default: offline, instant, and learnable), or MNIST / CIFAR-10
through torchvision, downloaded into data.root the first time they are chosen.

build_datasets(cfg["data"]) -> ({"train", "val", "test"}: datasets of (image (C, S, S) in [0, 1], label),
                                info: what the model needs to know: channels, image_size, num_classes, ...)
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch.utils.data import Subset, TensorDataset

PROJECT_DIR = Path(__file__).resolve().parent
SHAPES = ("disc", "ring", "square", "frame", "horizontal bar", "vertical bar", "plus", "cross", "diamond", "two dots")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
collate = None  # images and labels: the DataLoader's default collate stacks them


class DatasetUnavailable(RuntimeError):
    """The chosen dataset cannot be had (no network, a missing file, ...): train.py prints the message."""


# ------------------------------------------------------------------------------------ synthetic

def _signed_distance(shape, dx, dy, r, t):
    """Signed distance to one of SHAPES (negative inside), for offsets dx, dy from its centre."""
    ax, ay = dx.abs(), dy.abs()
    hbar = torch.maximum(ay - t, ax - r)
    vbar = torch.maximum(ax - t, ay - r)
    if shape == 0:
        return torch.hypot(dx, dy) - r
    if shape == 1:
        return (torch.hypot(dx, dy) - r).abs() - t
    if shape == 2:
        return torch.maximum(ax, ay) - 0.8 * r
    if shape == 3:
        return (torch.maximum(ax, ay) - 0.8 * r).abs() - t
    if shape == 4:
        return hbar
    if shape == 5:
        return vbar
    if shape == 6:
        return torch.minimum(hbar, vbar)
    if shape == 7:
        u, v = ((dx + dy) / math.sqrt(2)).abs(), ((dx - dy) / math.sqrt(2)).abs()
        return torch.minimum(torch.maximum(u - t, v - r), torch.maximum(v - t, u - r))
    if shape == 8:
        return ax + ay - r
    return torch.minimum(torch.hypot(dx - r / 2, dy), torch.hypot(dx + r / 2, dy)) - 1.5 * t


def synthetic_shapes(n, image_size=28, channels=1, num_classes=10, noise=0.1, seed=0):
    """n images (n, channels, S, S) in [0, 1], each one of the first `num_classes` SHAPES at a random
    place, size and colour, plus pixel noise; and their labels (n,). The same seed gives the same data."""
    if not 2 <= num_classes <= len(SHAPES):
        raise ValueError(f"synthetic images have 2 to {len(SHAPES)} classes, not {num_classes}")
    g = torch.Generator().manual_seed(seed)

    def uniform(low, high, *shape):
        return low + (high - low) * torch.rand(*shape, generator=g)

    labels = torch.randint(0, num_classes, (n,), generator=g)
    coords = torch.linspace(-1.0, 1.0, image_size)
    y, x = torch.meshgrid(coords, coords, indexing="ij")  # (S, S)
    dx = x - uniform(-0.25, 0.25, n, 1, 1)  # (n, S, S): offsets from each shape's centre
    dy = y - uniform(-0.25, 0.25, n, 1, 1)
    radius = uniform(0.4, 0.7, n, 1, 1)
    thickness = uniform(0.1, 0.18, n, 1, 1)
    distance = torch.empty(n, image_size, image_size)
    for shape in range(num_classes):
        chosen = labels == shape
        distance[chosen] = _signed_distance(shape, dx[chosen], dy[chosen], radius[chosen], thickness[chosen])
    mask = torch.sigmoid(-distance * (image_size - 1))  # edges about one pixel wide
    colour = uniform(0.5, 1.0, n, channels, 1, 1)
    images = mask.unsqueeze(1) * colour + noise * torch.randn(n, channels, image_size, image_size, generator=g)
    return images.clamp(0.0, 1.0), labels


# -------------------------------------------------------------------------------- torchvision sets

def _torchvision_splits(name, root, download, val_fraction, augment, seed):
    try:
        from torchvision import datasets, transforms
    except ImportError as error:
        raise DatasetUnavailable(f"data.dataset = \"{name}\" needs torchvision: pip install torchvision "
                           f"(or train on data.dataset = \"synthetic\")") from error
    cls = {"mnist": datasets.MNIST, "cifar10": datasets.CIFAR10}[name]
    plain = transforms.ToTensor()  # (C, H, W) in [0, 1]
    train_transform = plain
    if augment and name == "cifar10":
        train_transform = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                              transforms.ToTensor()])
    try:
        train = cls(str(root), train=True, download=download, transform=train_transform)
        test = cls(str(root), train=False, download=download, transform=plain)
    except Exception as error:  # no network, a proxy, a half-downloaded file, ...
        raise DatasetUnavailable(
            f"could not {'download' if download else 'find'} {name} in {root}: {error}\n"
            f"Check the network connection (or the proxy variables HTTPS_PROXY / HTTP_PROXY), put the files "
            f"there by hand, or train offline with data.dataset = \"synthetic\" in config.toml."
        ) from error
    train_for_eval = cls(str(root), train=True, download=False, transform=plain)  # validation: no augmentation
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed)).tolist()
    n_val = max(1, int(len(train) * val_fraction))
    splits = {"train": Subset(train, order[n_val:]), "val": Subset(train_for_eval, order[:n_val]), "test": test}
    channels, size = (1, 28) if name == "mnist" else (3, 32)
    classes = [str(i) for i in range(10)] if name == "mnist" else list(CIFAR10_CLASSES)
    return splits, {"channels": channels, "image_size": size, "num_classes": 10, "class_names": classes}


# ----------------------------------------------------------------------------------------- splits

def build_datasets(cfg_data, seed=0, info=None):
    """The train / val / test splits named by data.dataset, and their description."""
    name = cfg_data["dataset"]
    if name == "synthetic":
        s = cfg_data["synthetic"]
        splits = {}
        for offset, (split, n) in enumerate((("train", s["train_samples"]), ("val", s["val_samples"]),
                                             ("test", s["test_samples"]))):
            images, labels = synthetic_shapes(n, s["image_size"], s["channels"], s["num_classes"], s["noise"],
                                              seed=seed * 1000 + offset)
            splits[split] = TensorDataset(images, labels)
        description = {"channels": s["channels"], "image_size": s["image_size"], "num_classes": s["num_classes"],
                       "class_names": list(SHAPES[: s["num_classes"]])}
    elif name in ("mnist", "cifar10"):
        root = Path(cfg_data.get("root", "data")).expanduser()
        root = root if root.is_absolute() else PROJECT_DIR / root
        splits, description = _torchvision_splits(name, root, cfg_data.get("download", True),
                                                   cfg_data.get("val_fraction", 0.1), cfg_data.get("augment", False),
                                                   seed)
    else:
        raise ValueError(f"data.dataset = {name!r}: use synthetic, mnist or cifar10")
    return splits, {"kind": "images", "dataset": name, **description}
