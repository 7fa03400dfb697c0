"""Every PyTorch snippet (snippets/pytorch.json), expanded the way a user who accepts every default
gets it, is compiled and run in real PyTorch, and its effect is checked.

    node scripts/snippets/expand-all.mjs /tmp/expanded.json
    DLKIT_EXPANDED_SNIPPETS=/tmp/expanded.json /usr/bin/python3 -m pytest test/python/test_pytorch_snippets.py -q

Architecture snippets are run as written (they are self-contained), then their model gets a
forward and a backward pass on random input of the documented shape and their training function
runs on a tiny synthetic loader. Building blocks run with the names they document (model,
optimizer, train_loader, ...) bound to tiny stand-ins from harness.torchkit, in a temporary
working directory, and their effect is checked. Every option of every choice is run too
(test_choice_variant). A snippet without a runner below fails test_every_snippet_has_a_runner.
Any warning raised while a snippet runs fails its test.
"""
import copy
import glob
import json
import math
import os
import random
import re
import sys
import time

import numpy as np
import pytest

from harness.snippets import REPO, choice_variants, expand_bodies, load_expanded
from harness.torchkit import (
    CPU, Interrupted, WarningsAreErrors, assert_finite_history, changed, classification_data,
    classifier_world, exec_snippet, forward_backward, free_names, load_checkpoint, snapshot, summary_writer_stub, take_steps,
    tensorboard_available, tiny_classifier,
)

import torch  # noqa: E402  (after harness.torchkit has set the thread counts)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

SNIPPETS = {entry["prefix"]: entry for entry in load_expanded("pytorch")}
PREFIXES = sorted(SNIPPETS)
RUNNERS = {}


def runner(prefix):
    def register(function):
        assert prefix not in RUNNERS, f"two runners for {prefix}"
        RUNNERS[prefix] = function
        return function
    return register


class Case:
    """One snippet's code to run, with the test's temporary directory and output capture."""

    def __init__(self, prefix, code, tmp_path, capsys, monkeypatch):
        self.prefix, self.code, self.tmp_path, self.capsys, self.monkeypatch = prefix, code, tmp_path, capsys, monkeypatch

    def run(self, **names):
        return exec_snippet(self.code, self.prefix, names)

    def uses(self, text):
        """Whether the code (after expansion) contains `text`: for checks that depend on a choice."""
        return text in self.code


def run_case(prefix, code, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    function = RUNNERS.get(prefix)
    if function is None:
        pytest.fail(f"snippet {prefix} has no runner case in {__file__}: add one with @runner({prefix!r})")
    with WarningsAreErrors() as recorder:
        function(Case(prefix, code, tmp_path, capsys, monkeypatch))
    assert not recorder.caught, "warnings while running the snippet:\n" + "\n".join(recorder.messages())


# ============================================================================ the tests

def test_snippet_file_metadata():
    """Prefixes follow torch-<thing> and are unique; every snippet has a description; every body
    is a list of lines."""
    raw = json.loads((REPO / "snippets" / "pytorch.json").read_text(encoding="utf-8"))
    prefixes = []
    for name, snippet in raw.items():
        assert set(snippet) == {"prefix", "description", "body"}, f"{name}: keys {sorted(snippet)}"
        assert isinstance(snippet["prefix"], str) and re.fullmatch(r"torch-[a-z0-9]+(-[a-z0-9]+)*", snippet["prefix"]), name
        assert isinstance(snippet["description"], str) and len(snippet["description"]) >= 20, f"{name}: description"
        assert isinstance(snippet["body"], list) and all(isinstance(line, str) for line in snippet["body"]), name
        prefixes.append(snippet["prefix"])
    assert len(prefixes) == len(set(prefixes)), "duplicate prefixes"
    assert sorted(prefixes) == PREFIXES, "snippets/pytorch.json and the expanded file differ: expand again"


def test_every_snippet_has_a_runner():
    missing = sorted(set(PREFIXES) - set(RUNNERS))
    assert not missing, f"PyTorch snippets without a runner case in this file: {missing}"
    stale = sorted(set(RUNNERS) - set(PREFIXES))
    assert not stale, f"runner cases for snippets that no longer exist (renamed?): {stale}"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_compiles(prefix):
    compile(SNIPPETS[prefix]["code"], f"<snippet {prefix}>", "exec")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_assumed_names_are_documented(prefix):
    """A snippet that uses objects it does not define (a building block) names them all in its
    description as "(uses a, b, ...)"; the others define everything they use."""
    free = free_names(SNIPPETS[prefix]["code"])
    match = re.search(r"\(uses ([a-z_, ]+)\)", SNIPPETS[prefix]["description"])
    documented = sorted(match.group(1).split(", ")) if match else []
    assert free == documented, f"names used but not defined: {free}; the description says: {documented}"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_snippet(prefix, tmp_path, capsys, monkeypatch):
    run_case(prefix, SNIPPETS[prefix]["code"], tmp_path, capsys, monkeypatch)


VARIANTS = [variant for prefix in PREFIXES for variant in choice_variants(SNIPPETS[prefix])]


@pytest.fixture(scope="session")
def variant_code():
    codes = expand_bodies([variant.body for variant in VARIANTS])
    return {variant.id: code for variant, code in zip(VARIANTS, codes)}


@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.id for variant in VARIANTS])
def test_choice_variant(variant, variant_code, tmp_path, capsys, monkeypatch):
    code = variant_code[variant.id]
    compile(code, f"<snippet {variant.id}>", "exec")
    assert code != SNIPPETS[variant.prefix]["code"], "the variant expanded to the default code"
    run_case(variant.prefix, code, tmp_path, capsys, monkeypatch)


# ============================================================================ architectures

def images(n, channels=3, size=16, classes=10, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, size, size, generator=generator), torch.randint(0, classes, (n,), generator=generator)


@runner("torch-cnn")
def run_cnn(case):
    ns = case.run()
    model, criterion = ns["model"], ns["criterion"]
    x, y = images(4, size=32)  # documented: (B, in_channels=3, H, W) -> (B, num_classes=10)
    forward_backward(model, x, shape=(4, 10), loss_fn=lambda out: criterion(out, y))
    model.eval()
    with torch.no_grad():
        assert model(torch.rand(2, 3, 40, 24)).shape == (2, 10), "global pooling accepts other image sizes"
    x, y = images(8)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    before = snapshot(model)
    history = ns["fit"](loader, loader, num_epochs=2)
    assert_finite_history(history, 2, ["loss", "accuracy", "val_loss", "val_accuracy"])
    assert changed(model, before), "training changed no weight"


def token_batch(batch, length, vocab, lengths, seed=0):
    """Token ids (batch, length) in 1..vocab-1, padded with 0 after each row's length."""
    generator = torch.Generator().manual_seed(seed)
    tokens = torch.randint(1, vocab, (batch, length), generator=generator)
    for row, n in enumerate(lengths):
        tokens[row, n:] = 0
    return tokens


@runner("torch-lstm")
def run_lstm(case):
    ns = case.run()
    model = ns["model"]  # vocab 10000, 2 classes
    lengths = torch.tensor([12, 9, 5, 1])
    tokens = token_batch(4, 12, 10000, lengths.tolist())
    forward_backward(model, tokens, lengths, shape=(4, 2))
    model.eval()
    with torch.no_grad():
        padded_more = torch.cat([tokens, torch.zeros(4, 6, dtype=torch.long)], dim=1)
        assert torch.allclose(model(tokens, lengths), model(padded_more, lengths), atol=1e-5), \
            "extra padding changed the output: the LSTM runs over padding"
    labels = torch.tensor([0, 1, 1, 0])
    loader = DataLoader(TensorDataset(tokens, lengths, labels), batch_size=2)
    history = ns["fit"](loader, loader, num_epochs=2)
    assert_finite_history(history, 2, ["loss", "accuracy", "val_loss", "val_accuracy"])


@runner("torch-gru")
def run_gru(case):
    ns = case.run()
    model = ns["model"]  # windows (B, T, 8) -> (B, 1)
    x = torch.randn(4, 20, 8)
    forward_backward(model, x, shape=(4, 1), loss_fn=lambda out: ns["criterion"](out, torch.zeros(4, 1)))
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(3, 7, 8)).shape == (3, 1), "any window length works"
    series = torch.randn(16, 10, 8)
    targets = series[:, -1, :1] * 0.5  # (B, 1)
    loader = DataLoader(TensorDataset(series, targets), batch_size=8)
    before = snapshot(model)
    history = ns["fit"](loader, loader, num_epochs=2)
    assert_finite_history(history, 2, ["loss", "val_loss"])
    assert changed(model, before)


@runner("torch-gan")
def run_gan(case):
    ns = case.run()
    generator, discriminator, latent_dim = ns["generator"], ns["discriminator"], ns["latent_dim"]
    z = torch.randn(4, latent_dim)
    fake = forward_backward(generator, z, shape=(4, 1, 28, 28))
    assert fake.min() >= -1 and fake.max() <= 1, "tanh output"
    forward_backward(discriminator, torch.rand(4, 1, 28, 28) * 2 - 1, shape=(4, 1))
    # the generator's gradient flows through the discriminator
    generator.zero_grad(set_to_none=True)
    discriminator(generator(z)).mean().backward()
    assert all(p.grad is not None for p in generator.parameters())

    g_before, d_before = snapshot(generator), snapshot(discriminator)
    real = torch.rand(4, 1, 28, 28) * 2 - 1
    d_loss, g_loss = ns["train_step"](real)
    assert math.isfinite(d_loss) and math.isfinite(g_loss)
    assert changed(generator, g_before) and changed(discriminator, d_before), "both networks take a step"
    assert ns["opt_g"] is not ns["opt_d"]
    assert {id(p) for p in ns["opt_g"].param_groups[0]["params"]} == {id(p) for p in generator.parameters()}
    assert {id(p) for p in ns["opt_d"].param_groups[0]["params"]} == {id(p) for p in discriminator.parameters()}
    ns["fit"](DataLoader(TensorDataset(real, torch.zeros(4)), batch_size=2), num_epochs=1)


@runner("torch-transformer-encoder")
def run_transformer_encoder(case):
    ns = case.run()
    model = ns["model"]  # vocab 10000, 2 classes, pad 0
    tokens = token_batch(4, 16, 10000, [16, 10, 3, 1])
    forward_backward(model, tokens, shape=(4, 2), loss_fn=lambda out: ns["criterion"](out, torch.tensor([0, 1, 0, 1])))
    model.eval()
    with torch.no_grad():
        padded_more = torch.cat([tokens, torch.zeros(4, 8, dtype=torch.long)], dim=1)
        assert torch.allclose(model(tokens), model(padded_more), atol=1e-5), "padding is not masked out"
    pe = ns["PositionalEncoding"](d_model=8, max_len=10, dropout=0.0).pe
    assert pe.shape == (1, 10, 8)
    assert torch.allclose(pe[0, :, 0], torch.sin(torch.arange(10.0)), atol=1e-6)
    loader = DataLoader(TensorDataset(tokens, torch.tensor([0, 1, 0, 1])), batch_size=2)
    history = ns["fit"](loader, loader, num_epochs=2)
    assert_finite_history(history, 2, ["loss", "accuracy", "val_loss", "val_accuracy"])


@runner("torch-transformer-lm")
def run_transformer_lm(case):
    ns = case.run()
    model = ns["model"]  # vocab 10000, max_len 256
    tokens = torch.randint(0, 10000, (2, 16))
    forward_backward(model, tokens, shape=(2, 16, 10000),
                     loss_fn=lambda out: F.cross_entropy(out[:, :-1].reshape(-1, 10000), tokens[:, 1:].reshape(-1)))
    assert model.lm_head.weight is model.token_emb.weight, "tied weights"
    model.eval()
    with torch.no_grad():
        changed_future = tokens.clone()
        changed_future[:, 10:] = (changed_future[:, 10:] + 1) % 10000
        a, b = model(tokens), model(changed_future)
        assert torch.allclose(a[:, :10], b[:, :10], atol=1e-5), "a position sees the future: the causal mask is missing"
        assert not torch.allclose(a[:, 10:], b[:, 10:], atol=1e-5)

    small = ns["TransformerLM"](vocab_size=50, d_model=32, nhead=4, num_layers=2, dim_feedforward=64, max_len=8)
    out = small.generate(torch.randint(0, 50, (2, 4)), max_new_tokens=12, top_k=5)  # past max_len: crops the context
    assert out.shape == (2, 16) and int(out.min()) >= 0 and int(out.max()) < 50
    assert small.training, "generate() restores the mode"
    loss = ns["train_step"](torch.randint(0, 10000, (2, 17)))
    assert math.isfinite(loss) and loss > 0
    ns["fit"](DataLoader(torch.randint(0, 10000, (4, 9)), batch_size=2), num_epochs=1)


@runner("torch-autoencoder")
def run_autoencoder(case):
    ns = case.run()
    model = ns["model"]  # (B, 784) -> (B, 784), code (B, 32)
    x = torch.rand(4, 784)
    out = forward_backward(model, x, shape=(4, 784), loss_fn=lambda out: F.mse_loss(out, x))
    assert out.min() >= 0 and out.max() <= 1
    assert model.encoder(x).shape == (4, 32)
    before = snapshot(model)
    history = ns["fit"](DataLoader(TensorDataset(x, torch.zeros(4)), batch_size=2), DataLoader(x, batch_size=2), num_epochs=2)
    assert_finite_history(history, 2, ["loss", "val_loss"])
    assert changed(model, before)


@runner("torch-conv-autoencoder")
def run_conv_autoencoder(case):
    ns = case.run()
    model = ns["model"]  # (B, 1, 28, 28) -> (B, 1, 28, 28), code (B, 64)
    x = torch.rand(4, 1, 28, 28)
    out = forward_backward(model, x, shape=(4, 1, 28, 28), loss_fn=lambda out: F.mse_loss(out, x))
    assert out.min() >= 0 and out.max() <= 1
    assert model.encode(x).shape == (4, 64)
    other = ns["ConvAutoEncoder"](channels=3, image_size=32, latent_dim=16, width=8)
    forward_backward(other, torch.rand(2, 3, 32, 32), shape=(2, 3, 32, 32))
    before = snapshot(model)
    history = ns["fit"](DataLoader(TensorDataset(x, torch.zeros(4)), batch_size=2), DataLoader(x, batch_size=2), num_epochs=2)
    assert_finite_history(history, 2, ["loss", "val_loss"])
    assert changed(model, before)


@runner("torch-vae")
def run_vae(case):
    ns = case.run()
    model, vae_loss = ns["model"], ns["vae_loss"]  # (B, 784), latent 20
    x = torch.rand(4, 784)
    model.train()
    recon, mu, logvar = model(x)
    assert recon.shape == (4, 784) and mu.shape == (4, 20) and logvar.shape == (4, 20)
    loss, rec, kl = vae_loss(recon, x, mu, logvar)
    model.zero_grad()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert kl.item() >= 0 and torch.isclose(loss, rec + kl)
    zeros = torch.zeros(4, 20)
    assert vae_loss(recon, x, zeros, zeros)[2].item() == pytest.approx(0.0, abs=1e-6), "KL(N(0, I) || N(0, I)) = 0"
    assert vae_loss(recon, x, torch.ones(4, 20), zeros)[2].item() == pytest.approx(10.0), "KL = 0.5 * sum(mu^2) per sample"
    z1, z2 = model.reparameterize(mu, logvar), model.reparameterize(mu, logvar)
    assert not torch.equal(z1, z2), "reparameterisation samples"
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x)[0], model(x)[0]), "eval uses the mean"
    assert model.sample(3).shape == (3, 784)
    history = ns["fit"](DataLoader(TensorDataset(x, torch.zeros(4)), batch_size=2), DataLoader(x, batch_size=2), num_epochs=2)
    assert_finite_history(history, 2, ["loss", "recon", "kl", "val_loss"])


# ============================================================================ layers and losses

@runner("torch-residual-block")
def run_residual_block(case):
    ns = case.run()
    block_class = ns["ResidualBlock"]
    down = block_class(16, 32, stride=2)
    forward_backward(down, torch.randn(2, 16, 8, 8), shape=(2, 32, 4, 4))
    assert isinstance(down.shortcut, nn.Sequential), "projection shortcut when the shape changes"
    same = block_class(16, 16)
    forward_backward(same, torch.randn(2, 16, 8, 8), shape=(2, 16, 8, 8))
    assert isinstance(same.shortcut, nn.Identity)


@runner("torch-conv-block")
def run_conv_block(case):
    ns = case.run()
    block_class = ns["ConvBlock"]
    forward_backward(block_class(3, 8), torch.randn(2, 3, 16, 16), shape=(2, 8, 8, 8))
    forward_backward(block_class(3, 8, kernel_size=5, pool=1, dropout=0.1), torch.randn(2, 3, 16, 16), shape=(2, 8, 16, 16))


@runner("torch-mha-block")
def run_mha_block(case):
    ns = case.run()
    block = ns["TransformerBlock"](d_model=32, num_heads=4)
    x = torch.randn(2, 6, 32)
    forward_backward(block, x, shape=(2, 6, 32))
    mask = ns["causal_mask"](6)
    assert mask.dtype == torch.bool and mask.shape == (6, 6) and mask[0, 1] and not mask[1, 0]
    block.eval()
    with torch.no_grad():
        future = x.clone()
        future[:, 4:] += 1.0
        a, b = block(x, attn_mask=mask), block(future, attn_mask=mask)
        assert torch.allclose(a[:, :4], b[:, :4], atol=1e-5), "causal mask: earlier positions ignore later ones"
        padding = torch.tensor([[False] * 6, [False] * 3 + [True] * 3])
        noisy = x.clone()
        noisy[1, 3:] = torch.randn(3, 32)
        a, b = block(x, key_padding_mask=padding), block(noisy, key_padding_mask=padding)
        assert torch.allclose(a[1, :3], b[1, :3], atol=1e-5), "padding mask: real tokens ignore padded ones"
    block.train()
    forward_backward(block, x, mask, padding, shape=(2, 6, 32))


@runner("torch-positional-encoding")
def run_positional_encoding(case):
    ns = case.run()
    pe_class = ns["PositionalEncoding"]
    layer = pe_class(d_model=16)
    x = torch.randn(2, 10, 16, requires_grad=True)
    forward_backward(layer, x, shape=(2, 10, 16))
    assert x.grad is not None
    layer.eval()
    with torch.no_grad():
        added = layer(torch.zeros(1, 10, 16))[0]  # (T, d_model): the encoding itself
    positions = torch.arange(10.0)
    assert torch.allclose(added[:, 0], torch.sin(positions), atol=1e-6)
    assert torch.allclose(added[:, 1], torch.cos(positions), atol=1e-6)
    assert torch.allclose(added[:, 2], torch.sin(positions / 10000 ** (2 / 16)), atol=1e-6)
    assert "pe" in layer.state_dict() and not list(layer.parameters()), "a buffer, not a parameter"
    assert pe_class(d_model=7, max_len=4)(torch.zeros(1, 4, 7)).shape == (1, 4, 7), "odd d_model works"


@runner("torch-vae-loss")
def run_vae_loss(case):
    ns = case.run()
    vae_loss = ns["vae_loss"]
    x = torch.rand(4, 12)
    recon = torch.rand(4, 12, requires_grad=True)
    mu = torch.zeros(4, 3, requires_grad=True)
    logvar = torch.zeros(4, 3, requires_grad=True)
    loss, rec, kl = vae_loss(recon, x, mu, logvar)
    reference = F.mse_loss if case.uses("F.mse_loss") else F.binary_cross_entropy
    assert torch.allclose(rec, reference(recon, x, reduction="sum") / 4)
    assert kl.item() == pytest.approx(0.0, abs=1e-7)
    loss.backward()
    assert recon.grad is not None and mu.grad is not None and logvar.grad is not None
    kl = vae_loss(recon, x, torch.full((4, 3), 2.0), torch.zeros(4, 3))[2]
    assert kl.item() == pytest.approx(0.5 * 3 * 4.0), "KL = 0.5 * sum(mu^2) per sample when sigma = 1"
    loss, rec, kl = vae_loss(recon, x, torch.ones(4, 3), torch.zeros(4, 3), beta=0.5)
    assert torch.isclose(loss, rec + 0.5 * kl)


@runner("torch-gan-step")
def run_gan_step(case):
    torch.manual_seed(0)
    generator = nn.Sequential(nn.Linear(100, 16), nn.ReLU(), nn.Linear(16, 12), nn.Tanh())
    discriminator = nn.Sequential(nn.Linear(12, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
    ns = case.run(generator=generator, discriminator=discriminator, opt_g=opt_g, opt_d=opt_d, device=CPU)
    g_before, d_before = snapshot(generator), snapshot(discriminator)
    d_loss, g_loss = ns["gan_step"](torch.rand(8, 12))
    assert math.isfinite(d_loss) and math.isfinite(g_loss) and d_loss > 0 and g_loss > 0
    assert changed(generator, g_before) and changed(discriminator, d_before)
    # the discriminator's update used only its own loss: with the generator frozen, its step is unchanged
    d_params = snapshot(discriminator)
    for p in generator.parameters():
        p.requires_grad_(False)
    ns["gan_step"](torch.rand(8, 12))
    assert changed(discriminator, d_params)


# ============================================================================ training building blocks

@runner("torch-train")
def run_train(case):
    world = classifier_world()
    before = snapshot(world["model"])
    ns = case.run(**world)
    history = ns["history"]
    assert_finite_history(history, 10, ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"])
    assert [record["epoch"] for record in history] == list(range(1, 11))
    assert history[-1]["loss"] < history[0]["loss"], "training lowers the loss"
    assert changed(world["model"], before)
    assert world["criterion"].calls == 10 * (3 + 2), "every train and val batch of every epoch"
    assert "epoch 10/10" in case.capsys.readouterr().out


@runner("torch-eval")
def run_eval(case):
    world = classifier_world()
    take_steps(world, 5)
    model = world["model"]
    model.train()
    before = snapshot(model)
    ns = case.run(**world)
    metrics = ns["metrics"]
    x = torch.cat([batch[0] for batch in world["val_loader"]])
    y = torch.cat([batch[1] for batch in world["val_loader"]])
    with torch.no_grad():
        out = model(x)
    assert metrics["loss"] == pytest.approx(F.cross_entropy(out, y).item(), rel=1e-5)
    assert metrics["accuracy"] == pytest.approx((out.argmax(1) == y).float().mean().item())
    assert model.training, "evaluate() restores the model's mode"
    assert not changed(model, before)
    assert "accuracy" in case.capsys.readouterr().out


@runner("torch-dataset")
def run_dataset(case):
    ns = case.run()
    dataset_class = ns["ArrayDataset"]
    samples = np.random.rand(10, 3)
    dataset = dataset_class(samples, list(range(10)), transform=lambda s: s * 2)
    assert len(dataset) == 10
    sample, target = dataset[4]
    assert sample.shape == (3,) and sample.is_floating_point() and int(target) == 4
    assert torch.allclose(sample.double(), torch.from_numpy(samples[4] * 2), atol=1e-6)
    batch_x, batch_y = next(iter(DataLoader(dataset, batch_size=4)))
    assert batch_x.shape == (4, 3) and batch_y.shape == (4,)
    with pytest.raises(ValueError):
        dataset_class(samples, [0, 1])


@runner("torch-dataloader")
def run_dataloader(case):
    x, y = classification_data(200)
    dataset = TensorDataset(x, y)
    ns = case.run(dataset=dataset)
    train_set, val_set, train_loader, val_loader = ns["train_set"], ns["val_set"], ns["train_loader"], ns["val_loader"]
    assert len(val_set) == 20 and len(train_set) == 180
    assert sorted(train_set.indices + val_set.indices) == list(range(200)), "a partition of the dataset"
    batches = list(train_loader)
    expected = 180 // 64 if train_loader.drop_last else math.ceil(180 / 64)
    assert len(batches) == len(train_loader) == expected
    assert batches[0][0].shape == (64, 8) and batches[0][1].shape == (64,)
    assert sum(len(b[1]) for b in val_loader) == 20
    again = exec_snippet(case.code, case.prefix, {"dataset": dataset})
    assert again["val_set"].indices == val_set.indices, "the split is reproducible"
    assert "180 training samples" in case.capsys.readouterr().out


@runner("torch-early-stopping")
def run_early_stopping(case):
    ns = case.run()
    stopper = ns["early_stopping"]
    sign = 1.0 if stopper.mode == "min" else -1.0
    model = nn.Linear(2, 1)
    values = [1.0, 0.8, 0.85, 0.9, 0.81, 0.9, 0.95, 0.97]  # best 0.8 at epoch 2, then 5 bad epochs
    stops = []
    for epoch, value in enumerate(values, start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        stops.append(stopper.step(sign * value, model, epoch))
        if stops[-1]:
            break
    assert stops == [False] * 6 + [True], f"patience 5: stop at epoch 7, got {stops}"
    assert stopper.best_epoch == 2 and stopper.best == pytest.approx(sign * 0.8)
    stopper.restore_best(model)
    assert torch.all(model.weight == 2.0), "restore_best loads the weights of the best epoch"

    early_stopping_class = ns["EarlyStopping"]
    maximise = early_stopping_class(patience=2, mode="max")
    assert [maximise.step(v) for v in [0.5, 0.6, 0.6, float("nan")]] == [False, False, False, True]
    with_delta = early_stopping_class(patience=1, min_delta=0.1)
    assert [with_delta.step(v) for v in [1.0, 0.95]] == [False, True], "an improvement below min_delta does not count"
    with pytest.raises(ValueError):
        early_stopping_class(mode="lowest")


@runner("torch-checkpoint-save")
def run_checkpoint_save(case):
    world = classifier_world()
    take_steps(world, 3)
    model, optimizer = world["model"], world["optimizer"]
    ns = case.run(model=model, optimizer=optimizer, epoch=3)
    path = case.tmp_path / "checkpoints" / "last.pt"
    assert path.is_file() and not (case.tmp_path / "checkpoints" / "last.pt.tmp").exists()
    checkpoint = load_checkpoint(path)
    assert checkpoint["epoch"] == 3
    restored = tiny_classifier()
    restored.load_state_dict(checkpoint["model_state_dict"])
    assert not changed(restored, snapshot(model))
    fresh_optimizer = torch.optim.Adam(restored.parameters(), lr=1.0)
    fresh_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    assert fresh_optimizer.param_groups[0]["lr"] == 1e-2 and len(fresh_optimizer.state) == 4

    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    scaler = torch.amp.GradScaler("cuda", enabled=False) if hasattr(torch.amp, "GradScaler") else torch.cuda.amp.GradScaler(enabled=False)
    ns["save_checkpoint"]("nested/dir/full.pt", nn.DataParallel(model), optimizer, 4,
                          scheduler=scheduler, scaler=scaler, val_loss=0.25)
    full = load_checkpoint(case.tmp_path / "nested" / "dir" / "full.pt")
    assert {"epoch", "model_state_dict", "optimizer_state_dict", "scheduler_state_dict", "scaler_state_dict", "val_loss"} <= set(full)
    assert full["val_loss"] == 0.25
    assert not any(key.startswith("module.") for key in full["model_state_dict"]), "DataParallel is unwrapped"


@runner("torch-checkpoint-load")
def run_checkpoint_load(case):
    world = classifier_world()
    model = world["model"]
    model.train()
    torch.manual_seed(1)
    trained = tiny_classifier()
    optimizer = torch.optim.Adam(trained.parameters(), lr=1e-3)
    os.makedirs("checkpoints")
    torch.save({"epoch": 7, "model_state_dict": trained.state_dict(), "optimizer_state_dict": optimizer.state_dict()},
               "checkpoints/best.pt")
    case.run(model=model, device=CPU)
    assert not changed(model, snapshot(trained)), "the checkpoint's weights are loaded"
    assert not model.training, "eval mode for inference"
    assert "epoch 7" in case.capsys.readouterr().out

    # a bare state_dict saved from a DataParallel model ("module." prefixes)
    torch.manual_seed(2)
    other = tiny_classifier()
    torch.save(nn.DataParallel(other).state_dict(), "checkpoints/best.pt")
    case.run(model=model, device=CPU)
    assert not changed(model, snapshot(other))


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def fresh_dir(case, name):
    path = case.tmp_path / name
    path.mkdir()
    return path


@runner("torch-resume")
def run_resume(case):
    def world():
        w = classifier_world(shuffle_generator=False)  # shuffling from the global RNG, which the checkpoint restores
        w["scheduler"] = torch.optim.lr_scheduler.StepLR(w["optimizer"], step_size=2, gamma=0.5)
        return w

    steps_per_epoch = 3
    # 1) no checkpoint: trains all 10 epochs in one go
    case.monkeypatch.chdir(fresh_dir(case, "straight"))
    torch.manual_seed(123)
    straight = world()
    ns = case.run(**straight)
    assert ns["start_epoch"] == 1
    assert load_checkpoint("checkpoints/last.pt")["epoch"] == 10

    # 2) the same run interrupted in epoch 4, then resumed by running the snippet again
    case.monkeypatch.chdir(fresh_dir(case, "resumed"))
    torch.manual_seed(123)
    first = world()
    first["criterion"].fail_after = 3 * steps_per_epoch + 1
    with pytest.raises(Interrupted):
        case.run(**first)
    assert load_checkpoint("checkpoints/last.pt")["epoch"] == 3

    torch.manual_seed(999)  # a new process: other initial weights and RNG state
    second = world()
    ns = case.run(**second)
    assert ns["start_epoch"] == 4
    assert second["criterion"].calls == 7 * steps_per_epoch, "epochs 4..10 only"
    state = next(iter(second["optimizer"].state.values()))
    assert int(state["step"]) == 10 * steps_per_epoch, "Adam's state was restored"
    assert second["scheduler"].last_epoch == 10, "the scheduler's state was restored"
    assert second["optimizer"].param_groups[0]["lr"] == pytest.approx(straight["optimizer"].param_groups[0]["lr"])
    for name, value in second["model"].state_dict().items():
        assert torch.allclose(value, straight["model"].state_dict()[name], atol=1e-6), \
            f"{name}: the resumed run ends with other weights than the uninterrupted one"


@runner("torch-device")
def run_device(case):
    ns = case.run()
    device = ns["device"]
    assert isinstance(device, torch.device)
    if torch.cuda.is_available():
        assert device.type == "cuda"
    elif not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        assert device.type == "cpu"
    assert torch.zeros(1, device=device).device.type == device.type
    assert "device:" in case.capsys.readouterr().out


@runner("torch-seed")
def run_seed(case):
    case.monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)  # restored after the test
    flags = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic, torch.are_deterministic_algorithms_enabled())
    try:
        ns = case.run()
        draws = (random.random(), float(np.random.rand()), torch.rand(1).item(), torch.rand(1, generator=ns["generator"]).item())
        ns["seed_everything"](ns["seed"])
        generator = torch.Generator().manual_seed(ns["seed"])
        assert draws == (random.random(), float(np.random.rand()), torch.rand(1).item(), torch.rand(1, generator=generator).item())
        deterministic = case.uses("seed_everything(seed, deterministic=True)")
        assert torch.are_deterministic_algorithms_enabled() == deterministic
        ns["seed_everything"](7, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.deterministic
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        torch.manual_seed(5)
        ns["seed_worker"](0)
        first = (random.random(), float(np.random.rand()))
        torch.manual_seed(5)
        ns["seed_worker"](0)
        assert first == (random.random(), float(np.random.rand()))
    finally:
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = flags[0], flags[1]
        torch.use_deterministic_algorithms(flags[2])


@runner("torch-amp")
def run_amp(case):
    # The GradScaler class this torch recommends (torch.amp's from 2.3, else torch.cuda.amp's), recording
    # its calls, and clip_grad_norm_ recording its own: on CPU the scaler is disabled, so only the order
    # of the calls shows that the loop is right for CUDA.
    events = []
    modern = hasattr(torch.amp, "GradScaler")
    real_scaler = torch.amp.GradScaler if modern else torch.cuda.amp.GradScaler

    class RecordingScaler(real_scaler):
        pass

    for method in ("scale", "unscale_", "step", "update"):
        def recorder(self, *args, _name=method, **kwargs):
            events.append(_name)
            return getattr(real_scaler, _name)(self, *args, **kwargs)
        setattr(RecordingScaler, method, recorder)
    case.monkeypatch.setattr(torch.amp if modern else torch.cuda.amp, "GradScaler", RecordingScaler)
    real_clip = torch.nn.utils.clip_grad_norm_

    def recording_clip(*args, **kwargs):
        events.append("clip")
        return real_clip(*args, **kwargs)
    case.monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", recording_clip)

    world = classifier_world()
    before = snapshot(world["model"])
    ns = case.run(**world)
    assert isinstance(ns["scaler"], RecordingScaler), "the snippet uses the GradScaler that this torch recommends"
    assert ns["use_amp"] is (world["device"].type == "cuda") and not ns["scaler"].is_enabled(), "AMP is off on CPU"
    assert events == ["scale", "unscale_", "clip", "step", "update"] * (10 * 3), events[:10]
    assert changed(world["model"], before)
    assert world["criterion"].calls == 10 * 3
    assert "epoch 10/10" in case.capsys.readouterr().out


@runner("torch-lr-schedule")
def run_lr_schedule(case):
    world = classifier_world(lr=1e-2)
    ns = case.run(**world)
    scheduler, lrs = ns["scheduler"], world["criterion"].lrs  # the lr used at each step
    total = 10 * 3
    assert ns["total_steps"] == total and len(lrs) == total and scheduler.last_epoch == total
    assert len(set(lrs)) >= 3, f"the lr hardly changes: {sorted(set(lrs))}"
    assert scheduler.get_last_lr()[0] < 0.5 * 1e-2, "the lr decays by the end"
    if isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR):
        assert max(lrs) == pytest.approx(1e-2, rel=0.05) and lrs[0] < 1e-3, "warm-up to the optimizer's lr"


@runner("torch-clip-grad")
def run_clip_grad(case):
    world = classifier_world()
    model, optimizer = world["model"], world["optimizer"]
    x, y = next(iter(world["train_loader"]))
    reference = copy.deepcopy(model)
    (F.cross_entropy(reference(x), y) * 1000).backward()
    norm_before = torch.norm(torch.stack([p.grad.norm() for p in reference.parameters()])).item()
    assert norm_before > 10
    before = snapshot(model)
    ns = case.run(model=model, optimizer=optimizer, loss=F.cross_entropy(model(x), y) * 1000)
    assert ns["grad_norm"].item() == pytest.approx(norm_before, rel=1e-4), "returns the norm before clipping"
    norm_after = torch.norm(torch.stack([p.grad.norm() for p in model.parameters()])).item()
    assert norm_after == pytest.approx(1.0, rel=1e-3), "gradients are clipped to max_norm"
    assert changed(model, before), "the optimizer stepped"


@runner("torch-jsonl-log")
def run_jsonl_log(case):
    world = classifier_world()
    started = time.time()
    ns = case.run(**world)
    run_dirs = glob.glob("runs/experiment-*")
    assert len(run_dirs) == 1, run_dirs
    info = json.loads(read_text(os.path.join(run_dirs[0], "run.json")))
    assert set(info) == {"name", "status", "config", "started", "ended", "planned_epochs", "planned_steps", "pid"}
    assert info["status"] == "finished" and info["pid"] is None
    assert info["name"] == os.path.basename(run_dirs[0])
    assert info["planned_epochs"] == 10 and info["planned_steps"] == 30
    assert info["config"] == {"lr": 1e-2, "batch_size": 16, "epochs": 10}
    assert started - 1 <= info["started"] <= info["ended"] <= time.time() + 1
    lines = read_text(os.path.join(run_dirs[0], "metrics.jsonl")).splitlines()
    rows = [json.loads(line) for line in lines]
    for row in rows:
        assert {"step", "epoch", "split", "time"} <= set(row) and row["split"] in ("train", "val"), row
        assert isinstance(row["step"], int) and isinstance(row["epoch"], int) and isinstance(row["loss"], float), row
    assert [r["epoch"] for r in rows if r["split"] == "val"] == list(range(1, 11))
    assert all({"loss", "lr"} <= set(r) for r in rows if r["split"] == "train")
    assert all({"loss", "accuracy"} <= set(r) for r in rows if r["split"] == "val")
    assert all(a["step"] <= b["step"] and a["time"] <= b["time"] for a, b in zip(rows, rows[1:]))
    assert rows[-1]["step"] == info["planned_steps"] and rows[-1]["epoch"] == info["planned_epochs"]
    assert info["started"] <= rows[0]["time"] and rows[-1]["time"] <= info["ended"]

    # while running: status running with this pid; an exception marks the run failed
    run_logger = ns["RunLogger"]
    with pytest.raises(RuntimeError):
        with run_logger("broken", {"a": 1}, planned_epochs=2, planned_steps=4) as log:
            running = json.loads(read_text("runs/broken/run.json"))
            assert running["status"] == "running" and running["pid"] == os.getpid() and running["ended"] is None
            log.log(1, 1, "train", loss=torch.tensor(0.5), bad=float("nan"), up=float("inf"), down=float("-inf"))
            raise RuntimeError("training crashed")
    failed = json.loads(read_text("runs/broken/run.json"))
    assert failed["status"] == "failed" and failed["pid"] is None and failed["ended"] is not None
    row = json.loads(read_text("runs/broken/metrics.jsonl"))  # strict JSON: no NaN
    assert row["loss"] == 0.5 and row["bad"] == "NaN" and row["up"] == "Infinity" and row["down"] == "-Infinity"


@runner("torch-summary")
def run_summary(case):
    model = nn.Sequential(
        nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU()),
        nn.Linear(16, 3),
    )
    for p in model[0][0].parameters():
        p.requires_grad_(False)  # 8 * 16 + 16 = 144 frozen
    model.train()
    ns = case.run(model=model)
    total = 144 + 32 + 51
    assert ns["summary"] == {"total": total, "trainable": total - 144, "non_trainable": 144, "buffers": 33}
    out = case.capsys.readouterr().out
    assert f"total params: {total:,}" in out and "non-trainable: 144" in out
    assert re.search(r"^\s+0\s+Linear\s+144\s+0$", out, re.MULTILINE), out
    summary = ns["model_summary"](model, example_input=torch.randn(1, 8))
    assert summary["total"] == total and model.training, "the model's mode is restored"
    out = case.capsys.readouterr().out
    assert "(1, 16)" in out and "(1, 3)" in out, out


@runner("torch-tensorboard")
def run_tensorboard(case):
    stub = None
    if not tensorboard_available():
        stub = summary_writer_stub()
        case.monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", stub)
    world = classifier_world()
    ns = case.run(**world)
    log_dirs = glob.glob("runs/experiment-*")
    assert len(log_dirs) == 1 and ns["writer"].log_dir == log_dirs[0]
    n_params = len(list(world["model"].parameters()))
    if stub is not None:
        calls = stub.SummaryWriter.calls
        scalars = [args["tag"] for name, args in calls if name == "add_scalar"]
        histograms = [args for name, args in calls if name == "add_histogram"]
        assert all(isinstance(args["scalar_value"], float) for name, args in calls if name == "add_scalar")
        assert all(torch.is_tensor(args["values"]) for args in histograms)
        assert calls[-1][0] == "close"
    else:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        accumulator = EventAccumulator(log_dirs[0], size_guidance={"scalars": 0, "histograms": 0})
        accumulator.Reload()
        tags = accumulator.Tags()
        scalars = [tag for tag in tags["scalars"] for _ in accumulator.Scalars(tag)]
        histograms = [event for tag in tags["histograms"] for event in accumulator.Histograms(tag)]
    assert scalars.count("loss/train") == 30 and scalars.count("lr") == 30
    assert scalars.count("loss/val") == 10 and scalars.count("accuracy/val") == 10
    assert len(histograms) == 10 * n_params
