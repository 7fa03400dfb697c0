"""The VAE: shapes, sampling, one training step, and the PNG writer."""
import struct
import zlib

import pytest
import torch
from torch.utils.data import DataLoader

import data
import engine
import train
from images import save_image_grid
from model import build_model, vae_loss


@pytest.mark.parametrize("channels, size", [(1, 28), (3, 32), (1, 16)])
def test_shapes(smoke_config, channels, size):
    model = build_model(smoke_config["model"], {"channels": channels, "image_size": size}).eval()
    images = torch.rand(4, channels, size, size)
    logits, mu, logvar = model(images)
    latent = smoke_config["model"]["latent_dim"]
    assert logits.shape == images.shape and mu.shape == (4, latent) and logvar.shape == (4, latent)
    samples = model.sample(5)
    assert samples.shape == (5, channels, size, size) and samples.min() >= 0.0 and samples.max() <= 1.0


def test_loss_is_reconstruction_plus_kl():
    images = torch.rand(3, 1, 4, 4)
    loss, recon, kl = vae_loss(torch.zeros(3, 1, 4, 4), images, torch.zeros(3, 2), torch.zeros(3, 2))
    assert kl.item() == pytest.approx(0.0) and loss.item() == pytest.approx(recon.item())
    _, _, kl = vae_loss(torch.zeros(3, 1, 4, 4), images, torch.ones(3, 2), torch.zeros(3, 2))
    assert kl.item() == pytest.approx(1.0)  # 0.5 * mu^2 summed over 2 dimensions


def test_one_training_step_lowers_the_loss(smoke_config):
    cfg = smoke_config
    splits, info = data.build_datasets(cfg["data"], seed=0)
    images, labels = next(iter(DataLoader(splits["train"], batch_size=32)))
    model = build_model(cfg["model"], info)
    optimizer = engine.build_optimizer(model.parameters(), cfg["optim"], lr=1e-3)

    def loss_now():
        torch.manual_seed(1)  # the same sampled z each time
        model.train()
        with torch.no_grad():
            logits, mu, logvar = model(images)
            return vae_loss(logits, images, mu, logvar)[0].item()

    before = loss_now()
    metrics, n = train.train_step(model, (images, labels), optimizer, engine.make_scaler(False), torch.device("cpu"))
    assert n == 32 and set(metrics) == {"loss", "recon", "kl"}
    assert loss_now() < before


@pytest.mark.parametrize("channels", [1, 3])
def test_png_without_torchvision(tmp_path, channels):
    path = save_image_grid(torch.rand(6, channels, 5, 7), tmp_path / "grid.png", nrow=4, padding=2,
                           use_torchvision=False)
    png = path.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, color_type = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, color_type) == (4 * 9 + 2, 2 * 7 + 2, 8, 0 if channels == 1 else 2)
    length = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    assert len(zlib.decompress(png[41:41 + length])) == height * (1 + width * channels)
