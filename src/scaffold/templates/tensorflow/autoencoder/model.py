"""The convolutional variational autoencoder: a subclassed keras.Model and its loss (the negative ELBO),
trained by a custom TensorFlow loop (train.py)."""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # the layers below run as TensorFlow ops, inside tf.function

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from schedule import WarmupCosine  # noqa: E402


class VAE(keras.Model):
    """Images (B, H, W, C) in [0, 1] -> (reconstruction logits (B, H, W, C), z_mean, z_log_var (B, latent_dim))."""

    def __init__(self, image_shape, latent_dim, filters, dense_units, **kwargs):
        super().__init__(**kwargs)
        height, width, channels = image_shape
        steps = 2 ** len(filters)
        if height % steps or width % steps:
            raise ValueError(f"image height and width must be divisible by {steps}, not {height}x{width}")
        self.latent_dim = latent_dim
        self.encoder = keras.Sequential(
            [layers.Conv2D(f, 3, strides=2, padding="same", activation="relu") for f in filters]  # halves H and W
            + [
                layers.Flatten(),
                layers.Dense(dense_units, activation="relu"),
                layers.Dense(2 * latent_dim, dtype="float32"),  # (B, 2 latent_dim): mean and log-variance
            ],
            name="encoder",
        )
        self.decoder = keras.Sequential(
            [
                layers.Dense(dense_units, activation="relu"),
                layers.Dense((height // steps) * (width // steps) * filters[-1], activation="relu"),
                layers.Reshape((height // steps, width // steps, filters[-1])),
            ]
            + [layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu") for f in reversed(filters)]
            + [layers.Conv2D(channels, 3, padding="same", dtype="float32")],  # (B, H, W, C) logits
            name="decoder",
        )

    def encode(self, images, training=False):
        z_mean, z_log_var = tf.split(self.encoder(images, training=training), num_or_size_splits=2, axis=-1)
        return z_mean, z_log_var  # (B, latent_dim) each

    def reparameterize(self, z_mean, z_log_var):
        """z = mean + sigma * eps, eps ~ N(0, I): a sample that gradients flow through."""
        return z_mean + tf.exp(0.5 * z_log_var) * tf.random.normal(tf.shape(z_mean))

    def call(self, images, training=False):
        z_mean, z_log_var = self.encode(images, training=training)
        z = self.reparameterize(z_mean, z_log_var) if training else z_mean  # inference: the encoder's best guess
        return self.decoder(z, training=training), z_mean, z_log_var

    def decode(self, z):
        """Codes (B, latent_dim) -> images (B, H, W, C) in [0, 1]."""
        return tf.sigmoid(self.decoder(z, training=False))


def vae_loss(images, logits, z_mean, z_log_var, beta):
    """Per image, each (B,): (negative ELBO, reconstruction term, KL term).

    Reconstruction: Bernoulli negative log-likelihood summed over the pixels; KL: of q(z|x) from N(0, I).
    """
    reconstruction = tf.reduce_sum(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits), axis=[1, 2, 3]
    )  # (B,)
    kl = -0.5 * tf.reduce_sum(1.0 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=1)  # (B,)
    return reconstruction + beta * kl, reconstruction, kl


def build_model(cfg, info):
    model = VAE(info.input_shape, cfg.model.latent_dim, cfg.model.filters, cfg.model.dense_units, name="vae")
    model(tf.zeros((1, *info.input_shape)))  # create the variables now (checkpoints restore into them)
    return model


def make_optimizer(cfg, steps_per_epoch):
    """Adam with a linear warmup and a cosine decay of the learning rate."""
    schedule = WarmupCosine(
        cfg.train.learning_rate,
        warmup_steps=int(cfg.train.warmup_epochs * steps_per_epoch),
        total_steps=cfg.train.epochs * steps_per_epoch,
        final_fraction=cfg.train.final_learning_rate_fraction,
    )
    return keras.optimizers.Adam(learning_rate=schedule)
