"""The DCGAN: a generator and a discriminator (subclassed keras.Model), their losses and optimizers.
train.py trains them in turn with two tf.GradientTapes and two optimizers."""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # the layers below run as TensorFlow ops, inside tf.function

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from schedule import WarmupCosine  # noqa: E402


class Generator(keras.Model):
    """Noise (B, latent_dim) -> images (B, H, W, C) in [-1, 1], float32; H and W divisible by 4."""

    def __init__(self, image_shape, latent_dim, width, **kwargs):
        super().__init__(**kwargs)
        height, image_width, channels = image_shape
        if height % 4 or image_width % 4:
            raise ValueError(f"image height and width must be divisible by 4, not {height}x{image_width}")
        self.latent_dim = latent_dim
        self.project = layers.Dense((height // 4) * (image_width // 4) * width, use_bias=False)
        self.norm0 = layers.BatchNormalization()
        self.reshape = layers.Reshape((height // 4, image_width // 4, width))
        self.up1 = layers.Conv2DTranspose(width // 2, 4, strides=2, padding="same", use_bias=False)
        self.norm1 = layers.BatchNormalization()
        self.up2 = layers.Conv2DTranspose(channels, 4, strides=2, padding="same")
        self.leaky = layers.LeakyReLU(negative_slope=0.2)
        self.to_image = layers.Activation("tanh", dtype="float32")

    def call(self, noise, training=False):
        x = self.leaky(self.norm0(self.project(noise), training=training))  # (B, H/4 * W/4 * width)
        x = self.reshape(x)  # (B, H/4, W/4, width)
        x = self.leaky(self.norm1(self.up1(x), training=training))  # (B, H/2, W/2, width/2)
        return self.to_image(self.up2(x))  # (B, H, W, C) in [-1, 1]


class Discriminator(keras.Model):
    """Images (B, H, W, C) in [-1, 1] -> one real/fake logit per image, (B, 1) float32."""

    def __init__(self, width, dropout, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv2D(width, 4, strides=2, padding="same")
        self.conv2 = layers.Conv2D(2 * width, 4, strides=2, padding="same")
        self.leaky = layers.LeakyReLU(negative_slope=0.2)
        self.flatten = layers.Flatten()
        self.dropout = layers.Dropout(dropout)
        self.logit = layers.Dense(1, dtype="float32")

    def call(self, images, training=False):
        x = self.leaky(self.conv1(images))  # (B, H/2, W/2, width)
        x = self.leaky(self.conv2(x))  # (B, H/4, W/4, 2 width)
        return self.logit(self.dropout(self.flatten(x), training=training))  # (B, 1)


def discriminator_loss(real_logits, fake_logits):
    """Per image, (B,): real images should score 1, generated ones 0 (binary cross-entropy on logits)."""
    real = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(real_logits), logits=real_logits)
    fake = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(fake_logits), logits=fake_logits)
    return tf.reduce_sum(real + fake, axis=-1)


def generator_loss(fake_logits):
    """Per image, (B,): the non-saturating generator loss, generated images should score 1."""
    return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(fake_logits), logits=fake_logits), axis=-1)


def build_models(cfg, info):
    """(generator, discriminator), their variables created (checkpoints restore into them)."""
    generator = Generator(info.input_shape, cfg.model.latent_dim, cfg.model.generator_width, name="generator")
    discriminator = Discriminator(cfg.model.discriminator_width, cfg.model.dropout, name="discriminator")
    images = generator(tf.zeros((1, cfg.model.latent_dim)))
    discriminator(images)
    return generator, discriminator


def make_optimizers(cfg, steps_per_epoch):
    """(generator optimizer, discriminator optimizer): Adam, each with a cosine-decayed learning rate."""
    total = cfg.train.epochs * steps_per_epoch

    def adam(peak):
        schedule = WarmupCosine(peak, warmup_steps=0, total_steps=total, final_fraction=cfg.train.final_learning_rate_fraction)
        return keras.optimizers.Adam(learning_rate=schedule, beta_1=cfg.train.beta_1)

    return adam(cfg.train.generator_learning_rate), adam(cfg.train.discriminator_learning_rate)
