"""The DCGAN: a generator and a discriminator (Keras 3 functional models) and the GAN model that
trains them in turn, each with its own optimizer, in fit().

GAN.train_step takes gradients with tf.GradientTape, so this project runs on the TensorFlow backend:
the first lines below select it before Keras is imported.
"""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # GAN.train_step uses tf.GradientTape: TensorFlow backend only

import keras  # noqa: E402  (after choosing the backend)
import tensorflow as tf  # noqa: E402
from keras import layers, ops  # noqa: E402


def build_generator(cfg, info):
    """Noise (B, latent_dim) -> images (B, H, W, C) in [-1, 1], float32."""
    height, width, channels = info.input_shape
    if height % 4 or width % 4:
        raise ValueError(f"image height and width must be divisible by 4, not {height}x{width}")
    base = cfg.model.generator_width
    inputs = keras.Input(shape=(cfg.model.latent_dim,), name="noise")  # (B, latent_dim)
    x = layers.Dense((height // 4) * (width // 4) * base, use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Reshape((height // 4, width // 4, base))(x)  # (B, H/4, W/4, base)
    x = layers.Conv2DTranspose(base // 2, 4, strides=2, padding="same", use_bias=False)(x)  # (B, H/2, W/2, base/2)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same")(x)  # (B, H, W, C)
    outputs = layers.Activation("tanh", dtype="float32", name="images")(x)  # in [-1, 1]
    return keras.Model(inputs, outputs, name="generator")


def build_discriminator(cfg, info):
    """Images (B, H, W, C) in [-1, 1] -> one real/fake logit per image (B, 1), float32."""
    width = cfg.model.discriminator_width
    inputs = keras.Input(shape=info.input_shape, name="images")  # (B, H, W, C)
    x = layers.Conv2D(width, 4, strides=2, padding="same")(inputs)  # (B, H/2, W/2, width)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Conv2D(2 * width, 4, strides=2, padding="same")(x)  # (B, H/4, W/4, 2 width)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(cfg.model.dropout)(x)
    outputs = layers.Dense(1, dtype="float32", name="logit")(x)  # (B, 1)
    return keras.Model(inputs, outputs, name="discriminator")


def discriminator_loss(real_logits, fake_logits):
    """Real images should score 1, generated ones 0: the mean binary cross-entropy of both."""
    real = keras.losses.binary_crossentropy(ops.ones_like(real_logits), real_logits, from_logits=True)  # (B,)
    fake = keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True)
    return ops.mean(real) + ops.mean(fake)


def generator_loss(fake_logits):
    """The non-saturating generator loss: generated images should score 1."""
    return ops.mean(keras.losses.binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True))


def _scaled(optimizer, loss):
    """Under mixed float16 the optimizer is a LossScaleOptimizer: scale the loss so small gradients survive."""
    return optimizer.scale_loss(loss) if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) else loss


class GAN(keras.Model):
    """Trains the discriminator, then the generator, on every batch of real images.

    The optimizers are the generator's and the discriminator's own (compile_gan compiles each
    with its optimizer), so that saving generator.keras and discriminator.keras also saves the
    optimizer states, and --resume continues exactly.
    """

    def __init__(self, generator, discriminator, latent_dim, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]  # reset by fit() every epoch

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def train_step(self, data):
        real_images = data[0] if isinstance(data, (tuple, list)) else data  # (B, H, W, C) in [-1, 1]
        batch_size = ops.shape(real_images)[0]
        # Losses are means over this replica's batch; with several replicas (tf.distribute) the
        # optimizers sum the replicas' gradients, so each replica contributes 1/replicas of them.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        d_optimizer, g_optimizer = self.discriminator.optimizer, self.generator.optimizer

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)  # (B, latent_dim)
        with tf.GradientTape() as tape:
            fake_images = self.generator(noise, training=True)  # (B, H, W, C)
            d_loss = discriminator_loss(
                self.discriminator(real_images, training=True), self.discriminator(fake_images, training=True)
            )
            scaled = _scaled(d_optimizer, d_loss / replicas)
        grads = tape.gradient(scaled, self.discriminator.trainable_weights)
        d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            g_loss = generator_loss(self.discriminator(self.generator(noise, training=True), training=True))
            scaled = _scaled(g_optimizer, g_loss / replicas)
        grads = tape.gradient(scaled, self.generator.trainable_weights)
        g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {metric.name: metric.result() for metric in self.metrics}

    def test_step(self, data):
        """Both losses on held-out real images, without updates: a discriminator that scores the
        training images far better than these is memorising them."""
        real_images = data[0] if isinstance(data, (tuple, list)) else data
        noise = keras.random.normal((ops.shape(real_images)[0], self.latent_dim), seed=self.seed_generator)
        fake_logits = self.discriminator(self.generator(noise, training=False), training=False)
        self.d_loss_tracker.update_state(discriminator_loss(self.discriminator(real_images, training=False), fake_logits))
        self.g_loss_tracker.update_state(generator_loss(fake_logits))
        return {metric.name: metric.result() for metric in self.metrics}


def learning_rate_schedule(peak, cfg, steps_per_epoch):
    return keras.optimizers.schedules.CosineDecay(
        peak, decay_steps=max(1, cfg.train.epochs * steps_per_epoch), alpha=cfg.train.final_learning_rate_fraction
    )


def compile_gan(generator, discriminator, cfg, steps_per_epoch, loss_scale=False):
    """Gives the generator and the discriminator each its own Adam optimizer, and returns the GAN."""
    for net, peak in ((generator, cfg.train.generator_learning_rate), (discriminator, cfg.train.discriminator_learning_rate)):
        optimizer = keras.optimizers.Adam(learning_rate=learning_rate_schedule(peak, cfg, steps_per_epoch), beta_1=cfg.train.beta_1)
        if loss_scale:  # mixed float16: dynamic loss scaling against float16 gradient underflow
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        net.compile(optimizer=optimizer)
        net.optimizer.build(net.trainable_variables)  # its variables now, not inside the first traced train_step
    return wrap(generator, discriminator, cfg)


def wrap(generator, discriminator, cfg):
    """The GAN of two compiled models (e.g. just loaded from generator.keras and discriminator.keras)."""
    gan = GAN(generator, discriminator, cfg.model.latent_dim, seed=cfg.train.seed)
    gan(ops.zeros((1, cfg.model.latent_dim)))  # built now, so that fit() does not try to build it from images
    # fit() needs a compiled model; train_step uses the two models' own optimizers, not this one (SGD: no slots).
    gan.compile(optimizer=keras.optimizers.SGD())
    return gan
