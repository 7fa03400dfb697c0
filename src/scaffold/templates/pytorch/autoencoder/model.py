"""The convolutional variational autoencoder (VAE): images (B, C, S, S) in [0, 1] -> a latent Gaussian
(mu, logvar: (B, latent_dim)) -> reconstructions. S must be divisible by 4 (16, 28, 32, 64, ...)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvVAE(nn.Module):
    def __init__(self, channels=1, image_size=28, latent_dim=16, width=32):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"the VAE needs an image size divisible by 4, not {image_size}")
        self.latent_dim, self.width, self.small = latent_dim, width, image_size // 4
        flat = 2 * width * self.small * self.small
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, width, 4, stride=2, padding=1),  # (B, W, S/2, S/2)
            nn.ReLU(True),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),  # (B, 2W, S/4, S/4)
            nn.ReLU(True),
            nn.Flatten(),  # (B, 2W * S/4 * S/4)
        )
        self.to_mu = nn.Linear(flat, latent_dim)
        self.to_logvar = nn.Linear(flat, latent_dim)
        self.expand = nn.Sequential(nn.Linear(latent_dim, flat), nn.ReLU(True))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),  # (B, W, S/2, S/2)
            nn.ReLU(True),
            nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1),  # (B, C, S, S) logits
        )

    def encode(self, images):  # images: (B, C, S, S)
        h = self.encoder(images)
        return self.to_mu(h), self.to_logvar(h)  # (B, latent_dim) each

    def decode_logits(self, z):  # z: (B, latent_dim)
        h = self.expand(z).view(-1, 2 * self.width, self.small, self.small)
        return self.decoder(h)  # (B, C, S, S) logits: sigmoid gives pixel values

    def decode(self, z):
        return torch.sigmoid(self.decode_logits(z))  # (B, C, S, S) in [0, 1]

    def forward(self, images):
        """(reconstruction logits (B, C, S, S), mu, logvar); z is sampled in training, z = mu in eval."""
        mu, logvar = self.encode(images)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if self.training else mu  # reparameterisation
        return self.decode_logits(z), mu, logvar

    @torch.no_grad()
    def sample(self, n=None, z=None):
        """New images (n, C, S, S) decoded from the prior N(0, I), or from the given z."""
        if z is None:
            z = torch.randn(n, self.latent_dim, device=self.to_mu.weight.device)
        return self.decode(z)


def vae_loss(logits, images, mu, logvar, beta=1.0):
    """Negative ELBO per image: reconstruction (binary cross-entropy, summed over pixels) + beta * KL
    divergence of N(mu, sigma^2) from N(0, I). Computed in float32. Returns (loss, recon, kl)."""
    batch = images.size(0)
    recon = F.binary_cross_entropy_with_logits(logits.float(), images.float(), reduction="sum") / batch
    mu, logvar = mu.float(), logvar.float()
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / batch
    return recon + beta * kl, recon, kl


def build_model(cfg_model, info):
    """The model for config.toml's [model] and the data description from data.build_datasets()."""
    return ConvVAE(info["channels"], info["image_size"], cfg_model["latent_dim"], cfg_model["width"])
