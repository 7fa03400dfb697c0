"""The DCGAN: a generator, noise (B, latent_dim) -> images (B, C, S, S) in [-1, 1], and a discriminator,
images -> real/fake logits (B, 1). S must be divisible by 4 (16, 28, 32, 64, ...)."""
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim=100, channels=1, image_size=28, features=64):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"the DCGAN needs an image size divisible by 4, not {image_size}")
        self.features, self.small = features, image_size // 4
        self.project = nn.Sequential(  # (B, latent_dim) -> (B, 2F * S/4 * S/4)
            nn.Linear(latent_dim, 2 * features * self.small * self.small, bias=False),
            nn.BatchNorm1d(2 * features * self.small * self.small),
            nn.ReLU(True),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * features, features, 4, stride=2, padding=1, bias=False),  # (B, F, S/2, S/2)
            nn.BatchNorm2d(features),
            nn.ReLU(True),
            nn.ConvTranspose2d(features, channels, 4, stride=2, padding=1),  # (B, C, S, S)
            nn.Tanh(),
        )

    def forward(self, z):  # z: (B, latent_dim)
        x = self.project(z).view(-1, 2 * self.features, self.small, self.small)  # (B, 2F, S/4, S/4)
        return self.upsample(x)  # (B, C, S, S) in [-1, 1]


class Discriminator(nn.Module):
    def __init__(self, channels=1, image_size=28, features=64):
        super().__init__()
        small = image_size // 4
        self.net = nn.Sequential(
            nn.Conv2d(channels, features, 4, stride=2, padding=1),  # (B, F, S/2, S/2)
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(features, 2 * features, 4, stride=2, padding=1, bias=False),  # (B, 2F, S/4, S/4)
            nn.BatchNorm2d(2 * features),
            nn.LeakyReLU(0.2, True),
            nn.Flatten(),
            nn.Linear(2 * features * small * small, 1),  # (B, 1) logit: > 0 means "real"
        )

    def forward(self, images):  # images: (B, C, S, S) in [-1, 1]
        return self.net(images)


def dcgan_init(module):
    """DCGAN initialisation: weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_models(cfg_model, info):
    """(generator, discriminator) for config.toml's [model] and the data description from data.py."""
    generator = Generator(cfg_model["latent_dim"], info["channels"], info["image_size"], cfg_model["g_features"])
    discriminator = Discriminator(info["channels"], info["image_size"], cfg_model["d_features"])
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    return generator, discriminator
