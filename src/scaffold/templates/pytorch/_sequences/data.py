"""Text data: synthetic token sequences (the default: offline, instant, and learnable), the IMDB movie
reviews (downloaded into data.root the first time they are chosen), or a text file of your own.

build_datasets(cfg["data"]) -> ({"train", "val", "test"}: datasets of (token ids (T,), label),
                                info: vocab_size, num_classes, max_len, pad_idx, the vocabulary, ...)
collate(batch) pads a batch of sequences to (B, T) with PAD (id 0), which the models mask out.
"""
from __future__ import annotations

import os
import re
import shutil
import tarfile
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import Dataset

PROJECT_DIR = Path(__file__).resolve().parent
PAD, UNK = 0, 1
SPECIALS = ["<pad>", "<unk>"]
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?|[^\w\s]")  # words (with "don't"), and punctuation marks


class DatasetUnavailable(RuntimeError):
    """The chosen dataset cannot be had (no network, a missing file, ...): train.py prints the message."""


class SequenceDataset(Dataset):
    """Variable-length token sequences, stored as one flat tensor and offsets (compact, quick to pickle)."""

    def __init__(self, sequences, labels):
        lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
        self.offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)])
        self.tokens = torch.cat([torch.as_tensor(s, dtype=torch.long) for s in sequences]) if sequences \
            else torch.zeros(0, dtype=torch.long)
        self.labels = torch.as_tensor(labels, dtype=torch.long)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.tokens[self.offsets[i]:self.offsets[i + 1]], self.labels[i]


def collate(batch):
    """[(tokens (T_i,), label)] -> tokens (B, max T_i) padded with PAD, labels (B,)."""
    sequences, labels = zip(*batch)
    return pad_sequence(list(sequences), batch_first=True, padding_value=PAD), torch.stack(list(labels))


# ------------------------------------------------------------------------------------ synthetic

def synthetic_sequences(n, vocab_size=1000, num_classes=4, min_len=16, max_len=64, keywords_per_class=5, seed=0):
    """n random "sentences" of filler tokens, each with 1-3 keywords of its class (and sometimes one
    keyword of another class as a distractor): the label is the class whose keywords are in the majority.
    Returns (list of token-id lists, labels (n,))."""
    first_filler = len(SPECIALS) + num_classes * keywords_per_class
    if vocab_size < first_filler + 10:
        raise ValueError(f"vocab_size {vocab_size} is too small for {num_classes} classes x {keywords_per_class} keywords")
    if not 3 <= min_len <= max_len:
        raise ValueError("synthetic sequences need 3 <= min_len <= max_len")
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, num_classes, (n,), generator=g)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=g)
    tokens = torch.randint(first_filler, vocab_size, (n, max_len), generator=g)
    rows = torch.arange(n).unsqueeze(1)

    def keyword_of(classes, shape):  # a random keyword of each class
        return len(SPECIALS) + classes * keywords_per_class + torch.randint(0, keywords_per_class, shape, generator=g)

    def positions(count):  # random positions inside each sequence: (n, count)
        return (torch.rand(n, count, generator=g) * lengths.unsqueeze(1)).long()

    count = torch.randint(1, 4, (n,), generator=g)  # 1-3 keywords of the true class
    distractor = (count >= 2) & (torch.rand(n, generator=g) < 0.5)
    other = (labels + torch.randint(1, num_classes, (n,), generator=g)) % num_classes
    where = positions(1)
    tokens[rows[distractor], where[distractor]] = keyword_of(other, (n,)).unsqueeze(1)[distractor]
    where = positions(3)
    chosen = torch.arange(3).unsqueeze(0) < count.unsqueeze(1)  # (n, 3)
    true_keywords = keyword_of(labels.unsqueeze(1), (n, 3))
    tokens[rows.expand(n, 3)[chosen], where[chosen]] = true_keywords[chosen]
    return [tokens[i, : lengths[i]].tolist() for i in range(n)], labels


# ------------------------------------------------------------------------------------ real text

def tokenize(text, lowercase=True):
    text = text.replace("<br />", " ")
    return TOKEN.findall(text.lower() if lowercase else text)


def build_vocab(token_lists, max_vocab=20000, min_freq=2):
    """SPECIALS + the most frequent tokens (at least min_freq times), max_vocab entries in all."""
    counts = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
    return SPECIALS + words[: max(0, max_vocab - len(SPECIALS))]


def encode(token_lists, vocab, max_len):
    """Token lists -> id lists of at most max_len ids (at least one: an empty text becomes <unk>)."""
    index = {word: i for i, word in enumerate(vocab)}
    return [[index.get(w, UNK) for w in tokens[:max_len]] or [UNK] for tokens in token_lists]


def _download(url, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    print(f"downloading {url} to {path} ...", flush=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as f:
            shutil.copyfileobj(response, f)
    except (OSError, urllib.error.URLError) as error:
        if partial.exists():
            partial.unlink()
        raise DatasetUnavailable(
            f"could not download {url}: {error}\n"
            f"Check the network connection (or the proxy variables HTTPS_PROXY / HTTP_PROXY), download the file "
            f"by hand to {path}, or train offline with data.dataset = \"synthetic\" in config.toml."
        ) from error
    os.replace(partial, path)


def load_imdb(root, download=True):
    """The IMDB reviews: ((train texts, labels), (test texts, labels)); label 1 = positive."""
    folder = root / "aclImdb"
    if not (folder / "test").is_dir():
        archive = root / "aclImdb_v1.tar.gz"
        if not archive.is_file():
            if not download:
                raise DatasetUnavailable(f"IMDB is not in {root} and data.download = false")
            _download(IMDB_URL, archive)
        print(f"extracting {archive} ...", flush=True)
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.12 (and security updates of 3.8 - 3.11)
                tar.extractall(root, filter="data")
            else:
                tar.extractall(root)

    def read(split):
        texts, labels = [], []
        for label, sentiment in enumerate(("neg", "pos")):
            for file in sorted((folder / split / sentiment).glob("*.txt")):
                texts.append(file.read_text(encoding="utf-8"))
                labels.append(label)
        return texts, labels

    return read("train"), read("test")


def read_labelled_lines(path):
    """A text file with one example per line, "<label><TAB><text>": (texts, label strings)."""
    if not Path(path).is_file():
        raise DatasetUnavailable(f"{path} does not exist: set data.path in config.toml to a UTF-8 text file with "
                                 f"one example per line, \"<label><TAB><text>\"")
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if "\t" not in line:
                raise DatasetUnavailable(f"{path}:{number}: expected \"<label><TAB><text>\"")
            label, text = line.split("\t", 1)
            labels.append(label.strip())
            texts.append(text)
    if not texts:
        raise DatasetUnavailable(f"{path} has no examples")
    return texts, labels


def _split_off(items, fraction, seed):
    """(rest, held out): a seeded random share `fraction` of the indices of `items`."""
    order = torch.randperm(len(items), generator=torch.Generator().manual_seed(seed)).tolist()
    n = max(1, int(len(items) * fraction))
    return order[n:], order[:n]


def _project_path(path):
    path = Path(path).expanduser()
    return path if path.is_absolute() else PROJECT_DIR / path


# ----------------------------------------------------------------------------------------- splits

def build_datasets(cfg_data, seed=0, info=None):
    """The train / val / test splits named by data.dataset, and their description. `info` (from a
    checkpoint) brings back the vocabulary and class names the model was trained with."""
    name = cfg_data["dataset"]
    if name == "synthetic":
        s = cfg_data["synthetic"]
        splits = {}
        for offset, (split, n) in enumerate((("train", s["train_samples"]), ("val", s["val_samples"]),
                                             ("test", s["test_samples"]))):
            sequences, labels = synthetic_sequences(n, s["vocab_size"], s["num_classes"], s["min_len"], s["max_len"],
                                                    s["keywords_per_class"], seed=seed * 1000 + offset)
            splits[split] = SequenceDataset(sequences, labels)
        return splits, {"kind": "text", "dataset": name, "vocab_size": s["vocab_size"], "num_classes": s["num_classes"],
                        "class_names": [f"class {i}" for i in range(s["num_classes"])], "max_len": s["max_len"],
                        "pad_idx": PAD, "vocab": None}

    lowercase = cfg_data.get("lowercase", True)
    if name == "imdb":
        (train_texts, train_labels), (test_texts, test_labels) = load_imdb(_project_path(cfg_data["root"]),
                                                                          cfg_data.get("download", True))
        class_names = ["negative", "positive"]
    elif name == "textfile":
        texts, label_names = read_labelled_lines(_project_path(cfg_data["path"]))
        if cfg_data.get("test_path"):
            test_texts, test_label_names = read_labelled_lines(_project_path(cfg_data["test_path"]))
            train_idx = list(range(len(texts)))
        else:
            train_idx, test_idx = _split_off(texts, cfg_data.get("test_fraction", 0.1), seed + 1)
            test_texts, test_label_names = [texts[i] for i in test_idx], [label_names[i] for i in test_idx]
        class_names = info["class_names"] if info else sorted(set(label_names))
        ids = {label: i for i, label in enumerate(class_names)}
        unknown = sorted(set(test_label_names) - set(ids))
        if unknown:
            raise DatasetUnavailable(f"labels {unknown} are in the test data but not in the training data")
        train_texts, train_labels = [texts[i] for i in train_idx], [ids[label_names[i]] for i in train_idx]
        test_labels = [ids[label] for label in test_label_names]
    else:
        raise ValueError(f"data.dataset = {name!r}: use synthetic, imdb or textfile")

    train_tokens = [tokenize(t, lowercase) for t in train_texts]
    test_tokens = [tokenize(t, lowercase) for t in test_texts]
    keep, held_out = _split_off(train_tokens, cfg_data.get("val_fraction", 0.1), seed)
    vocab = info["vocab"] if info and info.get("vocab") else build_vocab(
        [train_tokens[i] for i in keep], cfg_data.get("max_vocab", 20000), cfg_data.get("min_freq", 2))
    max_len = cfg_data.get("max_len", 256)
    encoded = encode(train_tokens, vocab, max_len)
    splits = {
        "train": SequenceDataset([encoded[i] for i in keep], [train_labels[i] for i in keep]),
        "val": SequenceDataset([encoded[i] for i in held_out], [train_labels[i] for i in held_out]),
        "test": SequenceDataset(encode(test_tokens, vocab, max_len), test_labels),
    }
    return splits, {"kind": "text", "dataset": name, "vocab_size": len(vocab), "num_classes": len(class_names),
                    "class_names": class_names, "max_len": max_len, "pad_idx": PAD, "vocab": vocab}
