"""Sequence classification data: padded token ids and labels for train / val / test, and tf.data pipelines.

data.dataset in config.toml chooses the source:
    synthetic  random token sequences of random length; each class has a few marker tokens and the
               label is the class whose markers occur most often: a learnable task, made offline.
    imdb       50,000 movie reviews labelled negative / positive (keras.datasets, downloaded once).
    textfile   your own corpus at data.path: one example per line, "<label><TAB><text>". Words
               are lower-cased; the data.vocab_size - 2 most frequent training words get ids.
Token ids are int32, (N, data.max_len): 0 is padding (at the end), 1 an unknown word. Labels are
int32 class ids, (N,).
"""
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

PAD, UNKNOWN = 0, 1


@dataclass
class DataInfo:
    input_shape: tuple  # (T,)
    num_classes: int
    class_names: list
    vocab_size: int


@dataclass
class Splits:
    train: tuple  # (token ids (N, T) int32, labels (N,) int32)
    val: tuple
    test: tuple
    info: DataInfo


def load(cfg):
    """The three splits of the dataset that cfg.data.dataset names."""
    if cfg.data.dataset == "synthetic":
        return synthetic(cfg)
    if cfg.data.dataset == "imdb":
        return imdb(cfg)
    if cfg.data.dataset == "textfile":
        return textfile(cfg)
    raise ValueError(f"data.dataset = {cfg.data.dataset!r}: choose synthetic, imdb or textfile")


def pad(sequences, max_len):
    """Lists of token ids -> (N, max_len) int32, cut or padded with 0 at the end."""
    out = np.zeros((len(sequences), max_len), dtype=np.int32)
    for i, sequence in enumerate(sequences):
        sequence = list(sequence)[:max_len]
        out[i, : len(sequence)] = sequence
    return out


def synthetic(cfg):
    classes, markers, max_len = cfg.data.synthetic_classes, cfg.data.synthetic_markers, cfg.data.max_len
    first_filler = 2 + classes * markers  # ids 2 .. first_filler - 1 are the classes' marker tokens
    if cfg.data.vocab_size <= first_filler + 1:
        raise ValueError(f"data.vocab_size must exceed {first_filler + 1} for {classes} classes of {markers} markers")

    def split(count, seed):
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, classes, count).astype(np.int32)
        sequences = []
        for label in labels:
            length = int(rng.integers(max(4, max_len // 4), max_len + 1))
            tokens = rng.integers(first_filler, cfg.data.vocab_size, length)
            hits = int(rng.integers(2, max(3, length // 4)))
            other = int(rng.integers(0, classes))
            misses = int(rng.integers(0, hits)) if other != label else 0  # fewer markers of another class
            places = rng.permutation(length)[: hits + misses]
            tokens[places[:hits]] = 2 + label * markers + rng.integers(0, markers, hits)
            tokens[places[hits:]] = 2 + other * markers + rng.integers(0, markers, misses)
            sequences.append(tokens)
        return pad(sequences, max_len), labels

    seed = cfg.train.seed
    info = DataInfo((max_len,), classes, [f"class {k}" for k in range(classes)], cfg.data.vocab_size)
    return Splits(
        split(cfg.data.synthetic_train, seed + 1),
        split(cfg.data.synthetic_val, seed + 2),
        split(cfg.data.synthetic_test, seed + 3),
        info,
    )


def imdb(cfg):
    import keras  # only here: the synthetic data needs NumPy alone

    # Ids as keras.datasets.imdb makes them: 0 padding, 1 start of review, 2 unknown word, 3... words.
    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=cfg.data.vocab_size)
    x_train = keras.utils.pad_sequences(x_train, maxlen=cfg.data.max_len, padding="post", truncating="post")
    x_test = keras.utils.pad_sequences(x_test, maxlen=cfg.data.max_len, padding="post", truncating="post")
    train, val = split_indices(len(x_train), cfg.data.val_fraction, cfg.train.seed)
    info = DataInfo((cfg.data.max_len,), 2, ["negative", "positive"], cfg.data.vocab_size)

    def as_arrays(x, y):
        return x.astype(np.int32), y.astype(np.int32)

    return Splits(as_arrays(x_train[train], y_train[train]), as_arrays(x_train[val], y_train[val]),
                  as_arrays(x_test, y_test), info)


def split_indices(count, fraction, seed):
    """(first, second): a seeded shuffle of range(count), the second part holding `fraction` of it."""
    order = np.random.default_rng(seed).permutation(count)
    cut = count - int(count * fraction)
    return order[:cut], order[cut:]


WORD = re.compile(r"[a-z0-9']+")


def words(text):
    return WORD.findall(text.lower())


def textfile(cfg):
    """data.path: one example per line, "<label><TAB><text>"; labels are any strings."""
    examples = []
    with open(cfg.data.path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            label, tab, text = line.rstrip("\n").partition("\t")
            if not tab:
                raise ValueError(f"{cfg.data.path}:{number}: expected <label><TAB><text>")
            examples.append((label.strip(), words(text)))
    names = sorted({label for label, _ in examples})
    rest, test = split_indices(len(examples), cfg.data.test_fraction, cfg.train.seed)
    train_part, val_part = split_indices(len(rest), cfg.data.val_fraction, cfg.train.seed + 1)
    train, val = rest[train_part], rest[val_part]
    counts = Counter(word for i in train for word in examples[i][1])
    vocabulary = {word: i + 2 for i, (word, _) in enumerate(counts.most_common(cfg.data.vocab_size - 2))}

    def encode(indices):
        ids = [[vocabulary.get(word, UNKNOWN) for word in examples[i][1]] for i in indices]
        labels = np.array([names.index(examples[i][0]) for i in indices], dtype=np.int32)
        return pad(ids, cfg.data.max_len), labels

    info = DataInfo((cfg.data.max_len,), len(names), names, cfg.data.vocab_size)
    return Splits(encode(train), encode(val), encode(test), info)


def num_batches(count, batch_size, drop_remainder, limit=None):
    batches = count // batch_size if drop_remainder else -(-count // batch_size)
    return min(batches, limit) if limit else batches


def to_dataset(arrays, batch_size, shuffle=False, seed=0, drop_remainder=False, limit=None):
    """A tf.data pipeline of (token ids, labels) batches; Keras 3 fit() takes it on every backend."""
    import tensorflow as tf  # tf.data only: the arrays above need NumPy alone

    dataset = tf.data.Dataset.from_tensor_slices(arrays)
    if shuffle:
        dataset = dataset.shuffle(len(arrays[0]), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if limit:
        dataset = dataset.take(limit)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA  # multi-worker
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
