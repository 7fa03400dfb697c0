"""The DCGAN: shapes, one discriminator and one generator step, and the PNG writer."""
import struct
import zlib

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

import data
import engine
import train
from images import save_image_grid
from model import build_models


@pytest.mark.parametrize("channels, size", [(1, 28), (3, 32), (1, 16)])
def test_shapes(smoke_config, channels, size):
    generator, discriminator = build_models(smoke_config["model"], {"channels": channels, "image_size": size})
    generator.eval()
    discriminator.eval()
    fake = generator(torch.randn(4, smoke_config["model"]["latent_dim"]))
    assert fake.shape == (4, channels, size, size) and fake.min() >= -1.0 and fake.max() <= 1.0
    assert discriminator(fake).shape == (4, 1)


def _setup(cfg):
    splits, info = data.build_datasets(cfg["data"], seed=0)
    images, _ = next(iter(DataLoader(splits["train"], batch_size=32)))
    generator, discriminator = build_models(cfg["model"], info)
    z = torch.randn(32, cfg["model"]["latent_dim"])
    return train.to_gan_range(images), z, generator, discriminator


def test_one_discriminator_step_lowers_its_loss(smoke_config):
    real, z, generator, discriminator = _setup(smoke_config)
    with torch.no_grad():
        fake = generator(z)
    optimizer = engine.build_optimizer(discriminator.parameters(), smoke_config["optim"], lr=1e-3)

    def d_loss():
        with torch.no_grad():
            real_logits, fake_logits = discriminator(real), discriminator(fake)
        return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))).item()

    before = d_loss()
    metrics = train.discriminator_step(discriminator, real, fake, optimizer, engine.make_scaler(False))
    assert set(metrics) == {"d_loss", "d_real", "d_fake"}
    assert d_loss() < before


def test_one_generator_step_lowers_its_loss(smoke_config):
    _, z, generator, discriminator = _setup(smoke_config)
    optimizer = engine.build_optimizer(generator.parameters(), smoke_config["optim"], lr=1e-3)

    def g_loss():
        with torch.no_grad():
            logits = discriminator(generator(z))
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)).item()

    before = g_loss()
    train.generator_step(discriminator, generator(z), optimizer, engine.make_scaler(False))
    assert g_loss() < before


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
