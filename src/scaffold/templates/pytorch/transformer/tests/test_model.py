"""The Transformer: shapes, padding, the synthetic data, and one training step."""
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

import data
import engine
import train
from model import build_model

INFO = {"vocab_size": 50, "num_classes": 3, "pad_idx": data.PAD, "max_len": 32}


def test_output_shape_and_padding_is_masked(smoke_config):
    model = build_model(smoke_config["model"], INFO).eval()
    tokens = torch.randint(2, 50, (4, 10))
    tokens[1, 6:] = data.PAD  # a shorter sequence
    logits = model(tokens)
    assert logits.shape == (4, 3)
    padded = torch.cat([tokens, torch.full((4, 5), data.PAD)], dim=1)  # more padding changes nothing
    assert torch.allclose(model(padded), logits, atol=1e-5)


def test_positional_encoding_tells_positions_apart(smoke_config):
    model = build_model(smoke_config["model"], INFO).eval()
    pe = model.pos_encoding.pe[0]  # (max_len, d_model)
    assert pe.shape == (INFO["max_len"], smoke_config["model"]["d_model"])
    assert not torch.allclose(pe[0], pe[1])
    swapped = torch.tensor([[5, 6, 7, 8]]), torch.tensor([[8, 7, 6, 5]])
    assert not torch.allclose(model(swapped[0]), model(swapped[1]))  # order matters


def test_synthetic_sequences_and_collate(smoke_config):
    splits, info = data.build_datasets(smoke_config["data"], seed=0)
    s = smoke_config["data"]["synthetic"]
    tokens, label = splits["train"][0]
    assert s["min_len"] <= len(tokens) <= s["max_len"] and bool((tokens > data.PAD).all())
    batch_tokens, batch_labels = data.collate([splits["train"][i] for i in range(8)])
    assert batch_tokens.shape[0] == 8 and batch_tokens.shape[1] <= s["max_len"] and batch_labels.shape == (8,)
    assert info["vocab_size"] == s["vocab_size"] and info["num_classes"] == s["num_classes"]


def test_tokenizer_and_vocabulary():
    tokens = data.tokenize("A <br />great film, don't miss it!")
    assert tokens == ["a", "great", "film", ",", "don't", "miss", "it", "!"]
    vocab = data.build_vocab([tokens, ["great", "film"]], max_vocab=5, min_freq=1)
    assert vocab[:2] == data.SPECIALS and vocab[2:] == ["film", "great", "!"]
    assert data.encode([["great", "unseen"], []], vocab, max_len=8) == [[3, data.UNK], [data.UNK]]


def test_one_training_step_lowers_the_loss(smoke_config):
    cfg = smoke_config
    splits, info = data.build_datasets(cfg["data"], seed=0)
    tokens, labels = next(iter(DataLoader(splits["train"], batch_size=32, collate_fn=data.collate)))
    model = build_model(cfg["model"], info)
    optimizer = engine.build_optimizer(model.parameters(), cfg["optim"], lr=1e-3)

    def loss_now():
        torch.manual_seed(1)  # the same dropout masks each time
        model.train()
        with torch.no_grad():
            return F.cross_entropy(model(tokens), labels).item()

    before = loss_now()
    metrics, n = train.train_step(model, (tokens, labels), optimizer, engine.make_scaler(False), torch.device("cpu"),
                                  clip_grad_norm=cfg["optim"]["clip_grad_norm"])
    assert n == 32 and set(metrics) == {"loss", "accuracy"}
    assert loss_now() < before
